//! A type source of hand-made layouts: what a library's validated metadata
//! can say, without a library.

use std::any::Any;
use std::sync::Arc;

use layout_meta::TypeLayout;
use resilient_types::{ForeignType, Origin, TypeSource, Witnesses};

/// A module of hand-made layouts (what a library's validated metadata can
/// say), with no witnesses: plain old data only.
pub struct Handmade {
    origin: Origin,
    types: Vec<Arc<ForeignType>>,
}

impl Handmade {
    /// A module `m` of these types, which `layout_meta::verify` accepted as a
    /// module (checked here) and which have no witnesses.
    pub fn new(types: Vec<TypeLayout>) -> Self {
        layout_meta::verify(&module(types.clone())).expect("hand-made layouts are valid");
        Self::each_valid(types)
    }

    /// As [`Handmade::new`], checking each type on its own only: what a
    /// `TypeSource` (safe to implement) may hand out although no one
    /// library's validated module would.
    pub fn each_valid(types: Vec<TypeLayout>) -> Self {
        for t in &types {
            layout_meta::verify(&module(vec![t.clone()])).expect("each layout is valid");
        }
        let owner: Arc<dyn Any + Send + Sync> = Arc::new(());
        let origin = Origin {
            library: "<handmade>".into(),
            module: "m".into(),
            version: "1.0.0".into(),
        };
        let types = types
            .into_iter()
            .map(|t| {
                assert!(t.witnesses == layout_meta::WitnessAddrs::default());
                // SAFETY: the caller checked the layouts (see `new`); they
                // have no witnesses, so no code runs; `owner` owns nothing.
                Arc::new(unsafe {
                    ForeignType::new(t, Witnesses::default(), origin.clone(), owner.clone())
                })
            })
            .collect();
        Handmade { origin, types }
    }
}

impl TypeSource for Handmade {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        self.types.iter().find(|t| t.layout().name == name).cloned()
    }
    fn origin(&self) -> Origin {
        self.origin.clone()
    }
}

/// The module `m` 1.0.0 of these types.
pub fn module(types: Vec<TypeLayout>) -> layout_meta::ModuleLayout {
    layout_meta::ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types,
        functions: Vec::new(),
        impls: Vec::new(),
    }
}
