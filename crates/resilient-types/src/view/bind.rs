//! The run-time binder: the rules of `layout_meta::compat` applied to a
//! view's tokens, one field at a time, against a [`TypeSource`].

use std::collections::BTreeMap;
use std::sync::Arc;

use layout_meta::compat::{self, Access as Reach, FieldQuery, Place};
use layout_meta::{AccessorLayout, FieldLayout, Identity, TypeIdentity};

use super::token::Found;
use super::{Bindable, Shape, Token};
use crate::error::Mismatch;
use crate::foreign::{ForeignType, TypeSource};

/// Binding state handed to the tokens of one view.
#[doc(hidden)]
pub struct BindCx<'a> {
    pub(super) ty: &'a ForeignType,
    pub(super) source: &'a dyn TypeSource,
    pub(super) mismatches: &'a mut Vec<Mismatch>,
    field: &'static str,
    /// The type's fields by name, when a scan per field would make binding
    /// quadratic (many fields bound against a type of many fields).
    by_name: Option<BTreeMap<&'a str, &'a FieldLayout>>,
    /// The same for the type's accessor fields.
    accessors_by_name: Option<BTreeMap<&'a str, (usize, &'a AccessorLayout)>>,
}

impl<'a> BindCx<'a> {
    pub(super) fn type_name(&self) -> String {
        self.ty.layout().name.clone()
    }
    pub(crate) fn push(&mut self, m: Mismatch) {
        self.mismatches.push(m);
    }

    /// Applies the member rule ([`compat::bind_member`]) to the field being
    /// resolved; records the mismatch and returns `None` if it fails or the
    /// (optional) field is absent.
    pub(super) fn bind_member(
        &mut self,
        required: bool,
        access: Reach,
        id: &TypeIdentity,
        found: Found<'_>,
    ) -> Option<Place> {
        let identity = Identity::from_record(id);
        let want = FieldQuery {
            name: self.field,
            required,
            identity: &identity,
            access,
        };
        match compat::bind_member(self.ty.layout(), want, found.stored, found.accessor) {
            Ok(p) => p,
            Err(m) => {
                self.push(m);
                None
            }
        }
    }

    /// The name of the field being resolved.
    pub(super) fn field_name(&self) -> &'static str {
        self.field
    }

    /// The type a nested field `f` holds, bound by the nested rule
    /// ([`compat::bind_nested`]) and coming from the same library as the
    /// outer type (a type source is safe to implement, so it is not
    /// trusted to hand out the right one).
    pub(super) fn nested(&mut self, f: &FieldLayout) -> Option<Arc<ForeignType>> {
        let inner = crate::foreign::named_type(self.source, f.identity.name());
        let verdict =
            compat::bind_nested(self.ty.layout(), f, inner.as_deref().map(|t| t.layout()));
        self.same_library(verdict, inner, &f.name, f.identity.name())
    }

    /// The exported type an elements field `a` holds (`Vec<Widget>`),
    /// bound by the elements rule ([`compat::bind_elements`]) and coming
    /// from the same library, as [`BindCx::nested`].
    pub(super) fn elements(&mut self, a: &AccessorLayout) -> Option<Arc<ForeignType>> {
        let inner = crate::foreign::named_type(self.source, a.identity.name());
        let verdict =
            compat::bind_elements(self.ty.layout(), a, inner.as_deref().map(|t| t.layout()));
        self.same_library(verdict, inner, &a.name, a.identity.name())
    }

    /// `inner` if `verdict` accepted it and it comes from the outer type's
    /// library; else records why and returns `None`.
    fn same_library(
        &mut self,
        verdict: Result<(), compat::Mismatch>,
        inner: Option<Arc<ForeignType>>,
        field: &str,
        nested: &str,
    ) -> Option<Arc<ForeignType>> {
        if let Err(m) = verdict {
            self.push(m);
            return None;
        }
        let inner = inner?;
        if let Err(reason) = self.ty.accepts_nested(&inner) {
            self.push(Mismatch::NestedMismatch {
                ty: self.type_name(),
                field: field.into(),
                nested: nested.into(),
                reason,
            });
            return None;
        }
        Some(inner)
    }

    /// The layout of the type being bound.
    pub(crate) fn layout(&self) -> &'a layout_meta::TypeLayout {
        self.ty.layout()
    }
    /// The binding being made.
    pub(crate) fn binding(&self) -> crate::BindingId {
        self.ty.id()
    }
    /// The witnesses of the enum being bound.
    pub(crate) fn enum_witnesses(&self) -> Option<crate::enums::EnumWitnesses> {
        self.ty.enum_witnesses()
    }
    /// The type being bound.
    pub(crate) fn foreign_type(&self) -> &'a ForeignType {
        self.ty
    }

    /// Resolves the field `name` as token `T`.
    pub fn field<T: Token>(&mut self, name: &'static str) -> Option<T> {
        self.field = name;
        let ty = self.ty;
        let stored = match &self.by_name {
            Some(map) => map.get(name).copied(),
            None => ty.layout().field(name),
        };
        let accessor = match &self.accessors_by_name {
            Some(map) => map.get(name).copied(),
            None => ty
                .layout()
                .accessors
                .iter()
                .enumerate()
                .find(|(_, a)| a.name == name),
        };
        T::resolve(Found { stored, accessor }, self)
    }

    /// The shape of the type being bound.
    pub fn shape(&self) -> Shape {
        Shape::of(self.ty)
    }
}

pub(crate) fn bind_view<V: Bindable>(
    ty: &ForeignType,
    source: &dyn TypeSource,
    mismatches: &mut Vec<Mismatch>,
) -> Option<V> {
    if let Err(m) = compat::bind_kind(ty.layout(), V::IS_ENUM) {
        mismatches.push(m);
        return None;
    }
    if let Err(m) = compat::bind_frozen(ty.layout(), V::FROZEN) {
        mismatches.push(m);
    }
    let before = mismatches.len();
    let fields = &ty.layout().fields;
    let by_name = (V::FIELDS.len() > 4 && fields.len() > 16)
        .then(|| fields.iter().map(|f| (f.name.as_str(), f)).collect());
    let accessors = &ty.layout().accessors;
    let accessors_by_name = (V::FIELDS.len() > 4 && accessors.len() > 16).then(|| {
        accessors
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), (i, a)))
            .collect()
    });
    let mut cx = BindCx {
        ty,
        source,
        mismatches,
        field: "",
        by_name,
        accessors_by_name,
    };
    let view = V::resolve(&mut cx);
    if mismatches.len() > before {
        return None;
    }
    view
}
