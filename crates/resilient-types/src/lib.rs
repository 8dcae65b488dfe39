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
mod foreign;
mod function;
mod stack;
mod strategy;
mod value;
mod view;

pub use access::{Mut, Ref, Slice};
pub use error::{Error, Mismatch};
pub use foreign::{BindingId, ForeignType, InProcess, Origin, TypeSource, Witnesses};
pub use function::{
    Api, ApiCx, FnToken, ForeignFunction, Func, HostArg, HostRet, In, InMut, OptIn, Signature,
    SliceOf, Str, MAX_ARITY,
};
pub use stack::{with_inline, with_stack, INLINE_ALIGN, SMALL_STACK, STACK_CAP};
pub use strategy::{Access, Const, Direct, Indirect, NoDirectNested, Strategy, TokenFor};
pub use value::{Array, Sendable, Value};
pub use view::{
    BindCx, Bindable, Bound, Client, DirectView, Field, FieldSpec, Nested, Shape, Token, View,
};

/// What the macros need; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::strategy::{name_hash, DirectToken};
    pub use layout_meta::needs::{ViewFieldRecord, ViewRecord};
    pub use layout_meta::{unraw, Resilient};
}
