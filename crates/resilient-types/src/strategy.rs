//! One generic access API, two strategies.
//!
//! A view declared with [`view!`](crate::view) is generic over a
//! [`Strategy`]: `WidgetView<Indirect>` (the default) holds offsets loaded
//! from a library, `WidgetView<Direct<Widget>>` holds offsets that are
//! compile-time constants (`offset_of!` on the in-domain `Widget`). Client
//! code written once, generic over the strategy, is monomorphised into
//! register-offset code for the first and constant-offset code for the
//! second:
//!
//! ```
//! use resilient_types::{view, Direct, DirectView, Field, Slice, Strategy};
//!
//! #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! #[resilient(pod)]
//! pub struct Sample { pub a: u32, pub b: u64 }
//!
//! view! {
//!     pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub b: Field<u64> }
//! }
//!
//! fn sum<S: Strategy>(v: &SampleView<S>, values: Slice<'_, SampleView<S>>) -> u64 {
//!     values.iter().map(|r| u64::from(r.get(v.a)) + r.get(v.b)).sum()
//! }
//!
//! let direct = SampleView::<Direct<Sample>>::direct();
//! let data = [Sample { a: 1, b: 2 }, Sample { a: 3, b: 4 }];
//! assert_eq!(sum(&direct, Slice::from_direct(&data)), 10);
//! ```
//!
//! [`crate::Bound::specialize`] picks the direct instantiation at run time
//! when the loaded layout equals the compiled-in one, field by field
//! (optimistic specialisation). Views with nested resilient fields bind
//! indirectly only: the direct strategy has no nested tokens.

use core::fmt;
use core::marker::PhantomData;

use layout_meta::{FieldType, Resilient, TypeIdentity};

use crate::foreign::BindingId;
use crate::view::{Field, Nested, Token, View};

/// How a view's tokens reach fields: [`Indirect`] or [`Direct`] (sealed:
/// these two only).
pub trait Strategy: Copy + Send + Sync + fmt::Debug + 'static + crate::sealed::Sealed {
    /// The token of a field of type `T` named (by hash) `NAME`.
    type Field<T: crate::view::FieldValue, const NAME: u64>: Access<T, Strategy = Self>
        + Send
        + Sync
        + fmt::Debug
        + 'static;
    /// The token of a nested resilient field.
    type Nested<W: View, const NAME: u64>: Copy + Send + Sync + fmt::Debug + 'static;
    /// The token of an accessor field (`Text`, `OptText`, `Elems<T>`):
    /// itself when bound; none in a direct view.
    type Accessor<A: Copy + Send + Sync + fmt::Debug + 'static>: Copy
        + Send
        + Sync
        + fmt::Debug
        + 'static;
}

/// Offsets loaded from a library at bind time: tokens are [`Field`]s held in
/// registers, checked against the handle's binding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Indirect;

impl crate::sealed::Sealed for Indirect {}
impl<D> crate::sealed::Sealed for Direct<D> {}
impl<D, T, const NAME: u64> crate::sealed::Sealed for Const<D, T, NAME> {}
impl<D, W> crate::sealed::Sealed for NoDirectNested<D, W> {}

impl Strategy for Indirect {
    type Field<T: crate::view::FieldValue, const NAME: u64> = Field<T>;
    type Nested<W: View, const NAME: u64> = Nested<W>;
    type Accessor<A: Copy + Send + Sync + fmt::Debug + 'static> = A;
}

/// Offsets of the in-domain type `D`, known at compile time: tokens are
/// zero-sized [`Const`]s.
pub struct Direct<D>(PhantomData<fn() -> D>);

impl<D> Clone for Direct<D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<D> Copy for Direct<D> {}
impl<D> fmt::Debug for Direct<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Direct<{}>", core::any::type_name::<D>())
    }
}

impl<D: Resilient + 'static> Strategy for Direct<D> {
    type Field<T: crate::view::FieldValue, const NAME: u64> = Const<D, T, NAME>;
    type Nested<W: View, const NAME: u64> = NoDirectNested<D, W>;
    type Accessor<A: Copy + Send + Sync + fmt::Debug + 'static> = NoDirectNested<D, A>;
}

/// A token whose offset is a compile-time constant: the offset of the field
/// whose name hashes to `NAME` in the in-domain type `D`.
pub struct Const<D, T, const NAME: u64>(PhantomData<fn() -> (D, T)>);

impl<D, T, const NAME: u64> Clone for Const<D, T, NAME> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<D, T, const NAME: u64> Copy for Const<D, T, NAME> {}
impl<D: Resilient, T: FieldType, const NAME: u64> fmt::Debug for Const<D, T, NAME> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Const(+{:?})", Self::OFFSET)
    }
}

/// The hash of a field name: how view structs key direct tokens by name.
#[doc(hidden)]
pub const fn name_hash(name: &str) -> u64 {
    layout_meta::name_hash(name)
}

/// The offset of the field of `D` whose name hashes to `name`, if it exists
/// with identity `id`. Panics (at compile time, where it is used) if it
/// exists with another type or the name is ambiguous.
const fn find<D: Resilient>(name: u64, id: &TypeIdentity) -> Option<usize> {
    let fields = D::DESCRIPTOR.fields();
    let mut found = None;
    let mut i = 0;
    while i < fields.len() {
        if name_hash(fields[i].name()) == name {
            assert!(
                found.is_none(),
                "two fields of the in-domain type share a name hash"
            );
            assert!(
                fields[i].identity().same_as(id),
                "the in-domain type's field has another type than the view expects"
            );
            found = Some(fields[i].offset());
        }
        i += 1;
    }
    found
}

impl<D: Resilient, T: FieldType, const NAME: u64> Const<D, T, NAME> {
    /// The field's offset in `D`, or `None` if `D` has no such field.
    pub const MAYBE_OFFSET: Option<usize> = find::<D>(NAME, &T::IDENTITY);
    /// The field's offset in `D`; a compile-time error if `D` lacks it.
    pub const OFFSET: usize = match Self::MAYBE_OFFSET {
        Some(o) => o,
        None => panic!("the in-domain type lacks a required field of the view"),
    };
}

/// The direct strategy's stand-in for a nested resilient field: building a
/// direct view that has one is a compile-time error, and such views bind
/// indirectly only.
///
/// This is a limitation of version 0.1, listed in the CHANGELOG: a direct
/// nested token needs the nested field's in-domain type as well as its
/// view, which `view!` does not let a declaration name
/// (`Nested<PointView, Point>` would).
pub struct NoDirectNested<D, W>(PhantomData<fn() -> (D, W)>);

impl<D, W> Clone for NoDirectNested<D, W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<D, W> Copy for NoDirectNested<D, W> {}
impl<D, W> fmt::Debug for NoDirectNested<D, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoDirectNested")
    }
}

/// Tokens of a direct view, made at compile time.
#[doc(hidden)]
pub trait DirectToken: Copy + crate::sealed::Sealed {
    const NEW: Self;
}

impl<D: Resilient, T: FieldType, const NAME: u64> DirectToken for Const<D, T, NAME> {
    const NEW: Self = {
        let _ = Self::OFFSET;
        Const(PhantomData)
    };
}

impl<D: Resilient, T: FieldType, const NAME: u64> DirectToken for Option<Const<D, T, NAME>> {
    const NEW: Self = match Const::<D, T, NAME>::MAYBE_OFFSET {
        Some(_) => Some(Const(PhantomData)),
        None => None,
    };
}

// Generic over `D` so that the error fires only when a direct view with a
// nested field is actually built.
impl<D, W> DirectToken for NoDirectNested<D, W> {
    const NEW: Self = panic!("a direct view holds neither a nested resilient field (yet) nor an accessor field (`Text`, `OptText`, `Elems`)");
}

impl<D, W> DirectToken for Option<NoDirectNested<D, W>> {
    const NEW: Self = panic!("a direct view holds neither a nested resilient field (yet) nor an accessor field (`Text`, `OptText`, `Elems`)");
}

/// A token that reaches a field of type `T` under strategy
/// [`Access::Strategy`]. Handles accept only tokens of their own strategy.
///
/// Sealed: handles trust a token's offset (it lies inside the value and
/// holds a `T`), so only this crate's tokens, made by binding or from the
/// in-domain type's own layout, implement it.
pub trait Access<T>: Copy + crate::sealed::Sealed {
    /// The strategy the token belongs to.
    type Strategy: Strategy;
    /// The field's offset.
    fn offset(self) -> usize;
    /// Panics unless the token may be used on a value of `binding`.
    fn assert_binding(self, binding: BindingId, operation: &'static str);
    /// The library's getter and setter, for a field it computes (`None`:
    /// the field is stored at [`Access::offset`]).
    #[doc(hidden)]
    #[allow(
        private_interfaces,
        reason = "sealed: only this crate implements or calls it"
    )]
    fn computed(self) -> Option<crate::view::Computed>;
    /// Whether the token reaches a stored field of a value of `binding` at
    /// [`Access::offset`]: the one compare of the hot path. `false` for a
    /// computed field or another binding (then [`Access::assert_binding`]
    /// and [`Access::computed`] decide, off the hot path).
    #[doc(hidden)]
    fn stored_in(self, binding: BindingId) -> bool;
}

impl<T> Access<T> for Field<T> {
    type Strategy = Indirect;
    #[inline(always)]
    fn offset(self) -> usize {
        // Read only where the token reaches a stored field (`stored_in`, or
        // `computed()` was `None`): no test of the computed bit here.
        self.raw_offset()
    }
    #[inline(always)]
    #[allow(private_interfaces, reason = "sealed")]
    fn computed(self) -> Option<crate::view::Computed> {
        Field::computed(self)
    }
    #[inline(always)]
    fn stored_in(self, binding: BindingId) -> bool {
        // A computed token holds its binding with the computed bit, which
        // no handle's binding has.
        self.fast_binding() == binding
    }
    #[inline(always)]
    #[track_caller]
    fn assert_binding(self, binding: BindingId, operation: &'static str) {
        if binding != self.binding() {
            crate::access::wrong_binding(operation)
        }
    }
}

impl<D: Resilient + 'static, T: FieldType, const NAME: u64> Access<T> for Const<D, T, NAME> {
    type Strategy = Direct<D>;
    #[inline(always)]
    fn offset(self) -> usize {
        Self::OFFSET
    }
    #[inline(always)]
    #[allow(private_interfaces, reason = "sealed")]
    fn computed(self) -> Option<crate::view::Computed> {
        // The in-domain type's fields are stored: `OFFSET` is one of them.
        None
    }
    #[inline(always)]
    fn stored_in(self, _: BindingId) -> bool {
        // As `assert_binding`: direct handles hold only `D`'s values.
        true
    }
    #[inline(always)]
    fn assert_binding(self, _: BindingId, _: &'static str) {
        // Direct handles are made only from `&D` (or from values whose
        // layout has `D`'s fingerprint), and `OFFSET` is `D`'s own.
    }
}

/// What a view's written field type (`Field<T>`, `Option<Field<T>>`,
/// `Nested<V>`) becomes under a strategy (sealed, as [`Token`]).
pub trait TokenFor: Token {
    /// The token under strategy `S`, for the field whose name hashes to `N`.
    type In<S: Strategy, const N: u64>: Copy + Send + Sync + fmt::Debug + 'static;
}

impl<T: crate::view::FieldValue> TokenFor for Field<T> {
    type In<S: Strategy, const N: u64> = S::Field<T, N>;
}

impl<W: crate::Bindable> TokenFor for Nested<W> {
    type In<S: Strategy, const N: u64> = S::Nested<W, N>;
}

// Accessor fields are reached through the library under every strategy:
// the same token; a direct view cannot hold one (`DirectToken` below).
impl TokenFor for crate::view::Text {
    type In<S: Strategy, const N: u64> = S::Accessor<crate::view::Text>;
}
impl TokenFor for crate::view::OptText {
    type In<S: Strategy, const N: u64> = S::Accessor<crate::view::OptText>;
}
impl<T: layout_meta::accessor::Element + Send + Sync + 'static> TokenFor for crate::view::Elems<T> {
    type In<S: Strategy, const N: u64> = S::Accessor<crate::view::Elems<T>>;
}

impl<W: crate::Bindable> TokenFor for crate::view::ElemsOf<W> {
    type In<S: Strategy, const N: u64> = S::Accessor<crate::view::ElemsOf<W>>;
}

impl<T: TokenFor> TokenFor for Option<T> {
    type In<S: Strategy, const N: u64> = Option<T::In<S, N>>;
}
