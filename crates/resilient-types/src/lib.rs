//! # resilient-types: the client side of a resilience boundary
//!
//! A consumer in another resilience domain does not know a foreign type's
//! layout when it is compiled. It declares what it needs with [`view!`],
//! binds that once against what the library exports ([`Bound::bind`]), and
//! then reaches fields through `Copy` tokens ([`Field`], [`Nested`]) that
//! a hot loop keeps in registers: no lock, no hash, no global re-read.
//!
//! ```
//! use resilient_types::{view, Bound, Field, InProcess, Value};
//!
//! // A library type (here compiled in, to keep the example self-contained;
//! // normally it lives in a plugin and `resilient-loader` binds it).
//! #[derive(layout_meta::Resilient, Clone, Default)]
//! #[resilient(clone, default)]
//! pub struct Widget { pub id: u64, pub weight: f32, secret: String }
//!
//! view! {
//!     pub struct WidgetView = "widgets"::"Widget" {
//!         pub id: Field<u64>,
//!         pub weight: Field<f32>,
//!         pub scale: Option<Field<f64>>, // absent here: binds to None
//!     }
//! }
//!
//! let src = InProcess::new("widgets", "1.0.0").with::<Widget>();
//!
//! let w = Bound::<WidgetView>::bind(&src)?;
//! let mut value = Value::new(&w)?;            // the library's Default
//! value.as_mut().set(w.id, 42);
//! assert_eq!(value.as_ref().get(w.id), 42);
//! assert!(w.scale.is_none());
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! Values of run-time size live on the heap ([`Value`], [`Array`]), on the
//! stack ([`with_stack`]: in its own frame up to [`SMALL_STACK`] bytes, else
//! through an `alloca` trampoline, on the heap over [`STACK_CAP`]) or in an
//! inline buffer
//! ([`with_inline`]); their witnesses run exactly once. Views are generic
//! over a [`Strategy`]: the same client code runs over loaded offsets
//! ([`Indirect`]) or compile-time constants ([`Direct`]), and
//! [`Bound::specialize`] picks the direct one when the loaded layout equals
//! the compiled-in one.
//!
//! Field reads use `bytemuck` bounds: [`Ref::get`] needs `AnyBitPattern`,
//! `bool` and `char` go through [`Ref::get_checked`], and types with neither
//! bound cannot be read at all.
//!
//! A resilient type, or an array of one, is never read by value: its layout
//! may change under its name. It is reached through `Nested<View>`, and a
//! `Field<T>` of one does not compile:
//!
//! ```compile_fail
//! use resilient_types::{view, Field};
//! #[derive(layout_meta::Resilient, Clone, Copy)]
//! pub struct Point { pub x: i32, pub y: i32 }
//! view! {
//!     pub struct Shape = "shapes"::"Shape" { pub corners: Field<[Point; 4]> }
//! }
//! ```
//!
//! ## What does not compile
//!
//! What the unsafe code here relies on, the compiler enforces. Each example
//! below fails to build on the line marked, and only there.
//!
//! [`Access`], [`Strategy`] and [`Token`] are sealed (handles trust a
//! token's offset), so no other crate can make a token that reads outside a
//! value:
//!
//! ```compile_fail
//! #[derive(Clone, Copy)]
//! struct AnyOffset(usize);
//!
//! impl resilient_types::Access<u64> for AnyOffset { // `Sealed` is not implemented
//!     type Strategy = resilient_types::Indirect;
//!     fn offset(self) -> usize { self.0 }
//!     fn assert_binding(self, _: resilient_types::BindingId, _: &'static str) {}
//! }
//! ```
//!
//! ```compile_fail
//! use resilient_types::{Field, Nested, View};
//!
//! #[derive(Clone, Copy, Debug)]
//! struct Mine;
//!
//! impl resilient_types::Strategy for Mine { // `Sealed` is not implemented
//!     // Nor can any token belong to it: this one is `Indirect`'s.
//!     type Field<T: resilient_types::FieldValue, const N: u64> = Field<T>;
//!     type Nested<W: View, const N: u64> = Nested<W>;
//! }
//! ```
//!
//! ```compile_fail
//! use layout_meta::{FieldLayout, FieldType, TypeIdentity};
//! use resilient_types::BindCx;
//!
//! #[derive(Clone, Copy)]
//! struct MyToken;
//!
//! impl resilient_types::Token for MyToken { // `Sealed` is not implemented
//!     const REQUIRED: bool = true;
//!     const ACCESS: layout_meta::compat::Access = layout_meta::compat::Access::ByValue;
//!     const IDENTITY: TypeIdentity = <u8 as FieldType>::IDENTITY;
//!     fn resolve(_: Option<&FieldLayout>, _: &mut BindCx<'_>) -> Option<Self> { None }
//! }
//! ```
//!
//! The seal itself is private:
//!
//! ```compile_fail
//! struct Mine;
//! impl resilient_types::sealed::Sealed for Mine {} // the module is private
//! ```
//!
//! The examples that follow are this working one with one line added:
//!
//! ```
//! # use resilient_types::{view, Bound, Direct, DirectView, Field, InProcess, Ref, Value};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Sample { pub a: u32, pub on: bool }
//! # view! { pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub on: Field<bool> } }
//! let bound = Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>())?;
//! let value = Value::new(&bound)?;
//! let r = value.as_ref();
//! let a: u32 = r.get(bound.a);
//! let on: Option<bool> = r.get_checked(bound.on);
//! let direct = SampleView::<Direct<Sample>>::direct();
//! let sample = Sample { a: 1, on: true };
//! assert_eq!(Ref::<SampleView<Direct<Sample>>>::from_direct(&sample).get(direct.a), 1);
//! assert!(value.into_send().is_err()); // `Sample` is not marked `send`
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! A handle takes only tokens of its own strategy: a compile-time offset of
//! the in-domain type does not apply to a value of a loaded layout, nor a
//! loaded offset to an in-domain value (both would skip the binding check):
//!
//! ```compile_fail
//! # use resilient_types::{view, Bound, Direct, DirectView, Field, InProcess, Value};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Sample { pub a: u32, pub on: bool }
//! # view! { pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub on: Field<bool> } }
//! let bound = Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>())?;
//! let direct = SampleView::<Direct<Sample>>::direct();
//! let value = Value::new(&bound)?;
//! let a = value.as_ref().get(bound.a);
//! let a = value.as_ref().get(direct.a); // a `Direct<Sample>` token on an `Indirect` value
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! ```compile_fail
//! # use resilient_types::{view, Bound, Direct, DirectView, Field, InProcess, Ref};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Sample { pub a: u32, pub on: bool }
//! # view! { pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub on: Field<bool> } }
//! let bound = Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>())?;
//! let direct = SampleView::<Direct<Sample>>::direct();
//! let sample = Sample { a: 1, on: true };
//! let r = Ref::<SampleView<Direct<Sample>>>::from_direct(&sample);
//! let a = r.get(direct.a);
//! let a = r.get(bound.a); // an `Indirect` token on a `Direct<Sample>` value
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! A field whose type has invalid bit patterns is read with
//! [`Ref::get_checked`], never [`Ref::get`]:
//!
//! ```compile_fail
//! # use resilient_types::{view, Bound, Field, InProcess, Value};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Sample { pub a: u32, pub on: bool }
//! # view! { pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub on: Field<bool> } }
//! let bound = Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>())?;
//! let value = Value::new(&bound)?;
//! let on: Option<bool> = value.as_ref().get_checked(bound.on);
//! let on: bool = value.as_ref().get(bound.on); // `bool` is not `AnyBitPattern`
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! A handle does not outlive its value, and a value stays on its thread
//! unless its type is marked `send` ([`Value::into_send`] checks the mark):
//!
//! ```compile_fail
//! # use resilient_types::{view, Bound, Field, InProcess, Value};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Sample { pub a: u32, pub on: bool }
//! # view! { pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub on: Field<bool> } }
//! let bound = Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>())?;
//! let value = Value::new(&bound)?;
//! let r = value.as_ref();
//! drop(value);
//! let a = r.get(bound.a); // `value` was dropped while borrowed
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! ```compile_fail
//! # use resilient_types::{view, Bound, Field, InProcess, Value};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Sample { pub a: u32, pub on: bool }
//! # view! { pub struct SampleView = "samples"::"Sample" { pub a: Field<u32>, pub on: Field<bool> } }
//! let bound = Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>())?;
//! let value = Value::new(&bound)?;
//! std::thread::spawn(move || drop(value)); // `Value` is not `Send`
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! A direct view has no nested tokens (a limitation of 0.1): building one
//! of a view with a [`Nested`] field fails at compile time.
//!
//! ```compile_fail
//! # use resilient_types::{view, Direct, DirectView, Field, Nested};
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Point { pub x: i32, pub y: i32 }
//! # #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
//! # #[resilient(pod)]
//! # pub struct Widget { pub id: u64, pub origin: Point }
//! view! { pub struct PointView = "widgets"::"Point" { pub x: Field<i32> } }
//! view! { pub struct WidgetView = "widgets"::"Widget" { pub id: Field<u64>, pub origin: Nested<PointView> } }
//! let direct = WidgetView::<Direct<Widget>>::direct(); // evaluation panicked: no nested field
//! ```
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod access;
mod error;

/// The supertrait that keeps [`Access`], [`Strategy`], [`Token`],
/// [`TokenFor`] and the direct tokens to this crate's own types: unsafe code
/// here trusts their offsets and checks, so nobody else may implement them.
mod sealed {
    pub trait Sealed {}
}
pub mod dynamic;
mod enums;
mod foreign;
mod function;
mod interface;
mod stack;
mod strategy;
mod value;
mod view;

pub use access::{Mut, Ref, Slice};
pub use enums::{Case, Construct, EnumReader, Payload, PayloadToken, PayloadView};
pub use error::{Error, Mismatch};
pub use foreign::{BindingId, ForeignType, InProcess, Origin, TypeSource, Witnesses};
pub use function::{
    Api, ApiCx, CallFailed, FnToken, ForeignFunction, Func, HostArg, HostRet, In, InMut, LibString,
    LibVec, OptIn, Out, OwnedSlice, OwnedStr, Owner, Signature, SliceOf, Str, MAX_ARITY,
};
pub use interface::{
    implementations, DynMut, DynRef, ForeignImpl, Implementation, Interface, Object, This, ThisMut,
};
pub use stack::{with_inline, with_stack, INLINE_ALIGN, SMALL_STACK, STACK_CAP};
pub use strategy::{Access, Const, Direct, Indirect, NoDirectNested, Strategy, TokenFor};
pub use value::{Array, Sendable, Value};
pub use view::{
    BindCx, Bindable, Bound, Client, DirectView, Elems, ElemsOf, Field, FieldSpec, FieldValue,
    Nested, OptText, Shape, Text, Token, View,
};

/// What the macros need; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::enums::{
        __case_of as case_of, payload_name, Case, CaseCx, Construct, EnumReader, PayloadToken,
        PayloadView,
    };
    pub use crate::strategy::{name_hash, DirectToken};
    pub use layout_meta::compat::Access;
    pub use layout_meta::needs::{
        CaseNeedRecord, EnumViewRecord, FnNeedRecord, ViewFieldRecord, ViewRecord,
    };
    pub use layout_meta::{unraw, Resilient};

    /// The compile-time check of `view!` (a field's nested view), `api!`
    /// and `interface!` (an owned result's view): the nested module rule,
    /// [`layout_meta::compat::nested_view_in_module`].
    ///
    /// # Panics
    ///
    /// (At compile time.) If `nested` is another module than `outer`.
    pub const fn nested_in_module(outer: &str, nested: Option<&str>) {
        if let Some(nested) = nested {
            assert!(
                layout_meta::compat::nested_view_in_module(outer, nested),
                "a view nested in a view or returned by a function (`Nested<V>`, `ElemsOf<V>`, \
                 `Out<V>`) must name the module of the view or API that holds it: its type \
                 comes from that library"
            );
        }
    }
}
