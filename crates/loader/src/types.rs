//! A module's types, each checked the first time it is asked for: the
//! manifest and the type names are checked when a library is opened
//! (`layout_meta::ModuleIndex`), a type (all of it, by every rule) when it
//! is first bound. One implementation for a loaded library and for a file
//! read offline (the registry's choice), so that both reach one verdict.
//!
//! What is checked is kept in a [`Manifest`], which the loader shares
//! between the opens of one loaded object (`load`'s record of it): the
//! bytes checked are the same as long as the object stays loaded where it
//! was, so a second open checks nothing again. What each open makes of a
//! layout (a [`ForeignType`], with its own binding id and owner) is that
//! open's, in [`Types`].

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use layout_meta::{Identity, ModuleIndex, ModuleLayout, TypeLayout};
use resilient_types::ForeignType;

/// What asking for a type gives: the type, or why it is not valid.
pub(crate) type Checked = Result<Arc<ForeignType>, layout_meta::Error>;

/// What checking a type's layout gave.
type Layout = Result<Arc<TypeLayout>, layout_meta::Error>;

/// One module's checked manifest and the layouts checked so far. It owns
/// nothing of the library (no handle, no witness made callable), so it may
/// outlive an open; but a loaded library's manifest holds that object's
/// run-time addresses (witnesses, thunks) and was checked against it, so it
/// serves only opens of that same load (`load`'s record says which). The
/// registry's manifest of a file read offline is its own and never lent.
pub(crate) struct Manifest {
    index: ModuleIndex,
    layouts: Vec<OnceLock<Layout>>,
    /// The types the functions refer to (checked with the manifest).
    referred: Vec<usize>,
}

impl Manifest {
    /// The manifest `index`, with the layouts `checked` with it.
    pub(crate) fn new(index: ModuleIndex, checked: Vec<(usize, TypeLayout)>) -> Manifest {
        let layouts: Vec<OnceLock<Layout>> = (0..index.len()).map(|_| OnceLock::new()).collect();
        let mut referred = Vec::with_capacity(checked.len());
        for (i, t) in checked {
            if let Some(slot) = layouts.get(i) {
                referred.push(i);
                let _ = slot.set(Ok(Arc::new(t)));
            }
        }
        Manifest {
            index,
            layouts,
            referred,
        }
    }

    /// The manifest's index.
    pub(crate) fn index(&self) -> &ModuleIndex {
        &self.index
    }

    /// Type `i`'s layout: checked with `check` the first time any open of
    /// the manifest asks, remembered after.
    fn layout(
        &self,
        i: usize,
        check: impl FnOnce(&ModuleIndex, usize) -> Result<TypeLayout, layout_meta::Error>,
    ) -> Option<&Layout> {
        let slot = self.layouts.get(i)?;
        Some(slot.get_or_init(|| check(&self.index, i).map(Arc::new)))
    }
}

/// The types of one module as one open made them (see the module docs).
pub(crate) struct Types {
    manifest: Arc<Manifest>,
    slots: Vec<OnceLock<Checked>>,
}

impl Types {
    /// The types of `manifest`; those the functions refer to (checked
    /// with the manifest) made now with `make`, every other one when
    /// first asked for.
    pub(crate) fn new(
        manifest: Arc<Manifest>,
        mut make: impl FnMut(Arc<TypeLayout>) -> ForeignType,
    ) -> Types {
        let slots: Vec<OnceLock<Checked>> =
            (0..manifest.index.len()).map(|_| OnceLock::new()).collect();
        for &i in &manifest.referred {
            let checked = manifest.layouts.get(i).and_then(OnceLock::get);
            if let (Some(slot), Some(Ok(t))) = (slots.get(i), checked) {
                let _ = slot.set(Ok(Arc::new(make(Arc::clone(t)))));
            }
        }
        Types { manifest, slots }
    }

    /// The manifest's index.
    pub(crate) fn index(&self) -> &ModuleIndex {
        self.manifest.index()
    }

    /// Type `i`: its layout checked with `check` the first time any open
    /// of the manifest asks, made with `make` the first time this one
    /// does; both remembered after.
    pub(crate) fn get(
        &self,
        i: usize,
        check: impl FnOnce(&ModuleIndex, usize) -> Result<TypeLayout, layout_meta::Error>,
        make: impl FnOnce(Arc<TypeLayout>) -> ForeignType,
    ) -> Option<&Checked> {
        let slot = self.slots.get(i)?;
        let layout = self.manifest.layout(i, check)?;
        Some(slot.get_or_init(|| layout.clone().map(|t| Arc::new(make(t)))))
    }

    /// The types made so far.
    pub(crate) fn made(&self) -> impl Iterator<Item = &Arc<ForeignType>> {
        self.slots.iter().filter_map(|s| s.get()?.as_ref().ok())
    }

    /// Checks type `name` and the types it nests (by name, at any depth),
    /// through `get`: a bad one is an error naming it. A name the module
    /// does not list is left to the binder.
    pub(crate) fn check_closure<'a>(
        &self,
        name: &str,
        get: &dyn Fn(usize) -> Option<&'a Checked>,
    ) -> Result<(), layout_meta::Error> {
        let Some(first) = self.index().find(name) else {
            return Ok(());
        };
        // Most types nest none: nothing is allocated for them.
        let mut seen = BTreeSet::new();
        let mut todo = Vec::new();
        let mut next = Some(first);
        while let Some(i) = next.take().or_else(|| todo.pop()) {
            let l = match get(i) {
                Some(Ok(t)) => t.layout(),
                Some(Err(e)) => return Err(e.clone()),
                None => continue,
            };
            let payloads = l
                .enum_info
                .iter()
                .flat_map(|e| &e.cases)
                .flat_map(|c| &c.fields);
            for f in l.fields.iter().chain(payloads) {
                let mut id = &f.identity;
                while let Identity::Array { element, .. } = id {
                    id = element;
                }
                if let Identity::Resilient { name, .. } = id {
                    if let Some(j) = self.index().find(name) {
                        if seen.is_empty() {
                            seen.insert(first);
                        }
                        if seen.insert(j) {
                            todo.push(j);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The whole module, every type checked through `get`, in the order of
    /// [`ModuleIndex::order`]: the first problem is the one a reader that
    /// checks the whole module at once reports.
    pub(crate) fn module<'a>(
        &self,
        get: &dyn Fn(usize) -> Option<&'a Checked>,
    ) -> Result<ModuleLayout, layout_meta::Error> {
        for i in self.index().order(&self.manifest.referred) {
            if let Some(Err(e)) = get(i) {
                return Err(e.clone());
            }
        }
        let types = (0..self.index().len())
            .filter_map(|i| match get(i) {
                Some(Ok(t)) => Some(t.layout().clone()),
                _ => None,
            })
            .collect();
        Ok(ModuleLayout {
            name: self.index().name().to_owned(),
            version: self.index().version().to_owned(),
            types,
            functions: self.index().functions().to_vec(),
            impls: self.index().impls().to_vec(),
        })
    }
}

/// A manifest of two types made in memory: `Good` (one `u64`) and `Bad`
/// (a field past its type's end), at 0x1000, checked with no library.
#[cfg(test)]
pub(crate) fn test_manifest() -> (layout_meta::encode::Image, Manifest) {
    use layout_meta::{FieldLayout, WitnessAddrs};
    let ty = |name: &str, offset| {
        let mut t = TypeLayout {
            name: name.into(),
            flags: layout_meta::flags::POD,
            size: 8,
            align: 8,
            stride: 8,
            fingerprint: 0,
            fields: vec![FieldLayout {
                name: "x".into(),
                offset,
                identity: Identity::Scalar {
                    name: "u64".into(),
                    size: 8,
                    align: 8,
                },
            }],
            witnesses: WitnessAddrs::default(),
            accessors: Vec::new(),
            enum_info: None,
        };
        t.fingerprint = t.compute_fingerprint();
        t
    };
    let module = ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![ty("Good", 0), ty("Bad", 8)],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let image = layout_meta::encode::encode(&module, 0x1000);
    let (index, checked) =
        ModuleIndex::new(&image.memory((0, 0)), 0x1000, None).expect("the manifest is valid");
    (image, Manifest::new(index, checked))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A foreign type of `t` with nothing to call and nothing to keep.
    fn made(t: Arc<TypeLayout>) -> ForeignType {
        // SAFETY: no witness is present and the layout is never used to
        // make a value.
        unsafe {
            ForeignType::new(
                t,
                resilient_types::Witnesses::default(),
                resilient_types::Origin {
                    library: "test".into(),
                    module: "m".into(),
                    version: "1.0.0".into(),
                },
                Arc::new(()),
            )
        }
    }

    #[test]
    fn two_opens_of_one_manifest_check_each_type_once_and_make_their_own() {
        let (image, manifest) = test_manifest();
        let mem = image.memory((0, 0));
        let manifest = Arc::new(manifest);
        let (a, b) = (
            Types::new(Arc::clone(&manifest), made),
            Types::new(manifest, made),
        );
        let checks = Cell::new(0);
        let check = |index: &ModuleIndex, i| {
            checks.set(checks.get() + 1);
            index.validate_type(&mem, i, None)
        };
        let good = a.index().find("Good").expect("listed");
        let bad = a.index().find("Bad").expect("listed");
        let (ta, tb) = match (a.get(good, check, made), b.get(good, check, made)) {
            (Some(Ok(ta)), Some(Ok(tb))) => (Arc::clone(ta), Arc::clone(tb)),
            other => panic!("Good is valid: {other:?}"),
        };
        assert_eq!(checks.get(), 1, "checked once for both");
        assert!(std::ptr::eq(ta.layout(), tb.layout()), "one layout");
        assert_ne!(ta.id(), tb.id(), "each open its own type");
        let (ea, eb) = match (a.get(bad, check, made), b.get(bad, check, made)) {
            (Some(Err(ea)), Some(Err(eb))) => (ea.to_string(), eb.to_string()),
            other => panic!("Bad is refused: {other:?}"),
        };
        assert_eq!(checks.get(), 2, "the bad one checked once too");
        assert_eq!(ea, eb);
        assert!(ea.contains("Bad"), "{ea}");
        assert!(a.get(2, check, made).is_none(), "past the end");
        assert_eq!(a.made().count(), 1);
    }
}
