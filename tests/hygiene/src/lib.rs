//! The derive, `export_module!` and `view!` used from a crate where
//! `layout_meta` and `resilient_types` are known by other names, and where
//! prelude names (`Option`, `Some`, `None`, `core`, `usize`...) are shadowed.
//! If any generated path were not fully qualified, this crate would not
//! compile.
#![allow(
    dead_code,
    non_camel_case_types,
    clippy::unwrap_used,
    reason = "shadowing the prelude on purpose"
)]

/// Shadows `::core`-less paths: generated code must say `::core`.
pub mod core {}
/// Shadows the prelude's `Option`, `Some`, `None`, `Clone`, `Default`, `Copy`.
pub struct Option;
/// See [`Option`].
pub struct Some;
/// See [`Option`].
pub struct None;
/// See [`Option`].
pub trait Clone {}
/// See [`Option`].
pub trait Default {}

/// A library type exported through the renamed crate.
#[derive(meta::Resilient, ::core::clone::Clone, ::core::default::Default)]
#[resilient(crate = "meta", clone, default)]
pub struct Gadget {
    /// An id.
    pub id: u64,
    /// A nested plain type.
    pub at: Spot,
    /// An array.
    pub bytes: [u8; 3],
    label: ::std::string::String,
}

/// A plain nested type.
#[derive(
    meta::Resilient,
    ::core::clone::Clone,
    ::core::marker::Copy,
    ::core::default::Default,
    bytemuck::Zeroable, // bytemuck's own derive needs its real name
)]
#[resilient(crate = "meta", pod, prefix = "hyg_")]
pub struct Spot {
    /// Across.
    pub x: i16,
}

meta::export_module! { name: "hygiene", version: "0.1.0", types: [Gadget, Spot] }

client::view! {
    /// A view declared through the renamed crate.
    pub struct SpotView = "hygiene"::"Spot" {
        /// Across.
        pub x: client::Field<i16>,
    }
}

client::view! {
    /// A view with every kind of token.
    pub struct GadgetView = "hygiene"::"Gadget" {
        /// Required.
        pub id: client::Field<u64>,
        /// Nested.
        pub at: client::Nested<SpotView>,
        /// Optional, absent.
        pub missing: ::core::option::Option<client::Field<u32>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_crates_and_shadowed_prelude_still_work() {
        // SAFETY: defined by `export_module!` above; immutable.
        let manifest = unsafe { &resilient_manifest };
        let module = manifest.to_layout().unwrap();
        assert_eq!(module.name, "hygiene");
        let src = client::InProcess::new("hygiene", "0.1.0")
            .with::<Gadget>()
            .with::<Spot>();
        let g = client::Bound::<GadgetView>::bind(&src).unwrap();
        let mut v = client::Value::new(&g).unwrap();
        v.as_mut().set(g.id, 5);
        let p = g.at.view();
        v.as_mut().nested(g.at).set(p.x, -3);
        assert_eq!(v.as_ref().get(g.id), 5);
        assert_eq!(v.as_ref().nested(g.at).get(p.x), -3);
        assert!(g.missing.is_none());
    }

    extern "C" {
        static resilient_manifest: meta::Manifest;
        static hyg_Spot_size: usize;
    }

    #[test]
    fn prefixed_symbols_exist() {
        // SAFETY: defined by the derive above; an immutable usize.
        assert_eq!(unsafe { hyg_Spot_size }, ::core::mem::size_of::<Spot>());
    }
}
