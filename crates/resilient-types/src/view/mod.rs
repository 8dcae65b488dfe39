//! Views: what a consumer needs of a foreign type, declared once with
//! [`view!`](crate::view), checked once at bind time, then used through
//! `Copy` field tokens.

mod bind;
mod bound;
mod macros;
mod token;

use core::fmt;

use layout_meta::compat::Access as Reach;
use layout_meta::TypeIdentity;

use crate::foreign::{BindingId, ForeignType};

pub use bind::BindCx;
pub use bound::{Bound, Client};
#[doc(hidden)]
pub use token::AccessorFns;
pub(crate) use token::Computed;
pub use token::{Elems, ElemsOf, Field, FieldValue, Nested, OptText, Text, Token};

/// Size, alignment and stride of a bound type, plus its binding: what a
/// handle needs besides field tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The binding these numbers come from.
    pub binding: BindingId,
    /// Size in bytes.
    pub size: usize,
    /// Alignment (a power of two).
    pub align: usize,
    /// Distance between array elements.
    pub stride: usize,
}

impl Shape {
    /// The shape of the in-domain type `D`, for direct views.
    pub const fn direct<D>() -> Shape {
        Shape {
            binding: BindingId::DIRECT,
            size: core::mem::size_of::<D>(),
            align: core::mem::align_of::<D>(),
            stride: core::mem::size_of::<D>(),
        }
    }

    /// The shape of a bound foreign type, from its validated layout.
    pub(crate) fn of(ty: &ForeignType) -> Shape {
        let l = ty.layout();
        Shape {
            binding: ty.id(),
            size: l.size,
            align: l.align,
            stride: l.stride,
        }
    }
}

/// What a view asks of one field: its name, whether it is required, and the
/// type identity it expects.
#[derive(Clone, Copy)]
pub struct FieldSpec {
    /// The field's name in the library.
    pub name: &'static str,
    /// Whether binding fails without it.
    pub required: bool,
    /// How the consumer reaches it (by value, or nested through a view).
    pub access: Reach,
    /// The identity it must have.
    pub identity: TypeIdentity,
}

/// A consumer's view of a foreign type: declared with
/// [`view!`](crate::view), which implements this trait for every
/// [`Strategy`](crate::Strategy).
///
/// # Safety
///
/// Handles trust a view: [`View::shape`] returns the size, alignment,
/// stride and binding of the type the view was bound to (or, for a direct
/// view, of the in-domain type), and every token the view holds was made
/// for that same binding (by [`Bindable::resolve`] through [`BindCx`], or
/// as a compile-time constant of the in-domain type). Implement it only
/// through [`view!`](crate::view).
pub unsafe trait View: Copy + Send + Sync + fmt::Debug + 'static {
    /// How the view's tokens reach fields.
    type Strategy: crate::Strategy;
    /// The module that exports the type.
    const MODULE: &'static str;
    /// The type's name in the module.
    const TYPE_NAME: &'static str;
    /// `Some(fingerprint)` if the view expects the type frozen with exactly
    /// that layout.
    const FROZEN: Option<u64>;
    /// The fields the view uses.
    const FIELDS: &'static [FieldSpec];
    /// Whether this is a view of an enum ([`enum_view!`](crate::enum_view))
    /// rather than of a struct.
    const IS_ENUM: bool = false;
    /// Size, alignment, stride and binding of the type.
    fn shape(&self) -> Shape;
}

/// A view that can be bound against a library: the indirect instantiation
/// of a [`view!`](crate::view).
///
/// # Safety
///
/// As [`View`]; moreover `resolve` builds the view only from tokens that
/// [`BindCx::field`] returned and the shape [`BindCx::shape`] returned, and
/// `as_with` returns `self`. Implement it only through
/// [`view!`](crate::view).
pub unsafe trait Bindable: View<Strategy = crate::Indirect> {
    /// The same view under another strategy.
    type With<S: crate::Strategy>: View<Strategy = S>;
    /// `self` as `Self::With<Indirect>` (the same type).
    fn as_with(&self) -> &Self::With<crate::Indirect>;
    #[doc(hidden)]
    fn resolve(cx: &mut BindCx<'_>) -> Option<Self>;
}

/// A view instantiated with the direct strategy of the in-domain type:
/// made at compile time.
///
/// # Safety
///
/// `direct` returns the view whose tokens are the in-domain type's own
/// compile-time offsets and whose shape is that type's. Implement it only
/// through [`view!`](crate::view).
pub unsafe trait DirectView: View {
    /// The view, every offset a constant.
    fn direct() -> Self;
}
