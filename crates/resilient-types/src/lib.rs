//! # resilient-types: the client side of a resilience boundary
//!
//! A consumer in another resilience domain does not know a foreign type's
//! layout when it is compiled. It declares what it needs with [`view!`],
//! binds that once against what the library exports ([`Bound::bind`]), and
//! then reaches fields through `Copy` tokens ([`Field`], [`Nested`]) that
//! a hot loop keeps in registers: no lock, no hash, no global re-read.
//!
//! ```
//! use resilient_types::{view, Bound, Field, ForeignType, Nested, TypeSource, Origin, Value};
//! use std::sync::Arc;
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
//! struct InProcess(Arc<ForeignType>);
//! impl TypeSource for InProcess {
//!     fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
//!         (name == "Widget").then(|| self.0.clone())
//!     }
//!     fn origin(&self) -> Origin { self.0.origin().clone() }
//! }
//! let src = InProcess(Arc::new(ForeignType::in_process::<Widget>("widgets", "1.0.0")));
//!
//! let w = Bound::<WidgetView>::bind(&src)?;
//! let mut value = Value::new(&w)?;            // the library's Default
//! value.as_mut().set(w.id, 42);
//! assert_eq!(value.as_ref().get(w.id), 42);
//! assert!(w.scale.is_none());
//! # Ok::<(), resilient_types::Error>(())
//! ```
//!
//! Field reads use `bytemuck` bounds: [`Ref::get`] needs `AnyBitPattern`,
//! `bool` and `char` go through [`Ref::get_checked`], and types with neither
//! bound cannot be read at all.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod access;
mod error;
mod foreign;
mod value;
mod view;

pub use access::{Mut, Ref, Slice};
pub use error::{Error, Mismatch};
pub use foreign::{BindingId, ForeignType, Origin, TypeSource, Witnesses};
pub use value::{Array, Value};
pub use view::{BindCx, Bound, Field, FieldSpec, Nested, Shape, Token, View};
