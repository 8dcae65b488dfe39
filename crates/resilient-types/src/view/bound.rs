//! Bound views: the tokens of a view bound to a foreign type, which keep its
//! library alive, and optimistic specialisation.

use core::fmt;
use core::ops::Deref;
use std::sync::Arc;

use super::bind::bind_view;
use super::{Bindable, DirectView, Shape, View};
use crate::error::{Error, Mismatch};
use crate::foreign::{ForeignType, TypeSource};

/// A view bound to a foreign type: its field tokens (reach them through
/// `Deref`) and the type, which keeps the library alive.
pub struct Bound<V: Bindable> {
    view: V,
    ty: Arc<ForeignType>,
}

impl<V: Bindable> Clone for Bound<V> {
    fn clone(&self) -> Self {
        Bound {
            view: self.view,
            ty: Arc::clone(&self.ty),
        }
    }
}

impl<V: Bindable> fmt::Debug for Bound<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bound")
            .field("view", &self.view)
            .field("type", &self.ty)
            .finish()
    }
}

impl<V: Bindable> Deref for Bound<V> {
    type Target = V;
    fn deref(&self) -> &V {
        &self.view
    }
}

impl<V: Bindable> Bound<V> {
    /// Binds `V` against the module `source` exports: every required field
    /// must exist with the identity the view expects, optional fields may be
    /// absent, a frozen view needs the same frozen layout.
    ///
    /// # Errors
    ///
    /// [`Error::ModuleMismatch`] if `source` is another module,
    /// [`Error::Bind`] listing every mismatch at once (type, field, expected,
    /// found).
    pub fn bind(source: &dyn TypeSource) -> Result<Self, Error> {
        crate::foreign::check_module(source, V::MODULE)?;
        let mut mismatches = Vec::new();
        match Self::bind_into(source, &mut mismatches) {
            Some(bound) if mismatches.is_empty() => Ok(bound),
            _ => Err(Error::Bind {
                origin: source.origin(),
                ty: V::TYPE_NAME.into(),
                mismatches,
            }),
        }
    }

    /// Binds `V` against `source`'s type of its name (the module already
    /// checked), pushing every mismatch to `mismatches`.
    pub(crate) fn bind_into(
        source: &dyn TypeSource,
        mismatches: &mut Vec<Mismatch>,
    ) -> Option<Self> {
        let Some(ty) = crate::foreign::named_type(source, V::TYPE_NAME) else {
            mismatches.push(Mismatch::MissingType {
                ty: V::TYPE_NAME.into(),
            });
            return None;
        };
        let before = mismatches.len();
        let view = bind_view::<V>(&ty, source, mismatches)?;
        (mismatches.len() == before).then_some(Bound { view, ty })
    }

    /// The tokens (also reachable through `Deref`).
    pub fn view(&self) -> &V {
        &self.view
    }
    /// The bound foreign type.
    pub fn foreign_type(&self) -> &Arc<ForeignType> {
        &self.ty
    }
    /// Size, alignment, stride and binding, from the bound type's validated
    /// layout itself (what values are allocated with).
    pub fn shape(&self) -> Shape {
        Shape::of(&self.ty)
    }
}

/// Generic client code run by [`Bound::specialize`] under whichever
/// strategy the loaded layout allows.
pub trait Client<V: Bindable> {
    /// What the client returns.
    type Output;
    /// Runs over `values` with `view` (both of strategy `S`).
    fn run<S: crate::Strategy>(
        self,
        view: &V::With<S>,
        values: crate::Slice<'_, V::With<S>>,
    ) -> Self::Output;
}

impl<V: Bindable> Bound<V> {
    /// Whether the loaded layout is exactly that of the in-domain type `D`:
    /// same name, size, alignment, stride and fingerprint, and every
    /// exported field at the same offset with the same type (compared one
    /// by one: a fingerprint is a 64-bit hash, not a proof).
    pub fn matches_in_domain<D: layout_meta::Resilient>(&self) -> bool {
        self.ty.is_in_domain(D::DESCRIPTOR)
    }

    /// Optimistic specialisation: runs `client` with the direct
    /// instantiation (constant offsets of `D`) when the loaded layout equals
    /// `D`'s, and with the bound tokens otherwise. Returns whether the
    /// direct path was taken, and the client's output.
    ///
    /// # Panics
    ///
    /// If `values` belong to another binding.
    pub fn specialize<D, C>(&self, values: crate::Slice<'_, V>, client: C) -> (bool, C::Output)
    where
        D: layout_meta::Resilient + 'static,
        C: Client<V>,
        V::With<crate::Direct<D>>: DirectView,
    {
        assert_eq!(
            values.shape().binding,
            self.shape().binding,
            "specialize: the values belong to another binding"
        );
        if self.matches_in_domain::<D>() {
            let view = <V::With<crate::Direct<D>> as DirectView>::direct();
            // SAFETY: the values are live values of the bound type (the
            // slice's contract), whose exported layout equals `D`'s: the
            // same fields, offsets, types, size and stride (compared field
            // by field above). The direct view reaches only
            // exported fields, at `D`'s offsets.
            let direct = unsafe {
                crate::Slice::from_raw_parts(values.as_ptr(), values.len(), view.shape())
            };
            (true, client.run(&view, direct))
        } else {
            // SAFETY: `With<Indirect>` is `V` itself (`as_with`); the slice
            // is unchanged.
            let same = unsafe {
                crate::Slice::from_raw_parts(values.as_ptr(), values.len(), values.shape())
            };
            (false, client.run(self.view.as_with(), same))
        }
    }
}
