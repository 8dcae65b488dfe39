//! Field tokens: [`Field`] (by value), [`Nested`] (through a view of the
//! nested type) and `Option` of either, and how each resolves at bind time.

use core::fmt;
use core::marker::PhantomData;

use layout_meta::compat::Access as Reach;
use layout_meta::{FieldLayout, FieldType, TypeIdentity};

use super::bind::{bind_view, BindCx};
use super::Bindable;
use crate::foreign::BindingId;

/// A field token: the offset of a field of type `T` in values of one bound
/// type. `Copy`, two words: a hot loop keeps it in registers.
///
/// Handles check that a token belongs to their binding (one compare of two
/// registers, hoisted out of loops), so a token cannot read another type's
/// or another version's bytes.
pub struct Field<T> {
    offset: usize,
    binding: BindingId,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Field<T> {}

impl<T> fmt::Debug for Field<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Field<{}>(+{})",
            core::any::type_name::<T>(),
            self.offset
        )
    }
}

impl<T> Field<T> {
    /// The field's byte offset.
    pub fn offset(self) -> usize {
        self.offset
    }
    /// The binding this token belongs to.
    pub fn binding(self) -> BindingId {
        self.binding
    }

    /// Reads the field of the value at `base` without checking the binding.
    ///
    /// # Safety
    ///
    /// `base` points at a live value of the type this token was bound from
    /// (the same [`ForeignType`](crate::ForeignType)), readable for its whole size.
    #[inline(always)]
    pub unsafe fn read_raw(self, base: *const u8) -> T
    where
        T: bytemuck::AnyBitPattern,
    {
        // SAFETY:
        // - the caller passes a live value of the bound type, and binding
        //   proved `offset + size_of::<T>() <= size` (the field lies inside
        //   the value) with a field type identical to `T`, so the bytes are
        //   initialised and readable;
        // - `T: AnyBitPattern`: any bytes are a valid `T`;
        // - `read_unaligned` needs no alignment (packed types).
        unsafe { base.add(self.offset).cast::<T>().read_unaligned() }
    }

    /// Writes the field of the value at `base` without checking the binding.
    ///
    /// # Safety
    ///
    /// `base` points at a live value of the type this token was bound from,
    /// writable for its whole size, that nothing else accesses meanwhile.
    #[inline(always)]
    pub unsafe fn write_raw(self, base: *mut u8, value: T)
    where
        T: bytemuck::NoUninit,
    {
        // SAFETY: as for `read_raw`, with the caller's exclusive, writable
        // access; the field's type is `T`, so any `T` is a valid field value.
        unsafe { base.add(self.offset).cast::<T>().write_unaligned(value) }
    }
}

/// A nested resilient field: its offset, and the bound view of the nested
/// type (bound from the same library, checked like any other).
#[derive(Clone, Copy, Debug)]
pub struct Nested<V> {
    offset: usize,
    binding: BindingId,
    view: V,
}

impl<V: Bindable> Nested<V> {
    /// The field's byte offset.
    pub fn offset(self) -> usize {
        self.offset
    }
    /// The binding of the outer type.
    pub fn binding(self) -> BindingId {
        self.binding
    }
    /// The nested type's view.
    pub fn view(&self) -> &V {
        &self.view
    }
}

/// The tokens a view can hold: [`Field`], [`Nested`], and `Option` of
/// either for optional fields (sealed: these only).
pub trait Token: Copy + Send + Sync + 'static + crate::sealed::Sealed {
    /// Whether a library without the field is refused.
    const REQUIRED: bool;
    /// How the token reaches the field.
    const ACCESS: Reach;
    /// The identity the field must have.
    const IDENTITY: TypeIdentity;
    #[doc(hidden)]
    fn resolve(found: Option<&FieldLayout>, cx: &mut BindCx<'_>) -> Option<Self>;
}

impl<T> crate::sealed::Sealed for Field<T> {}
impl<V> crate::sealed::Sealed for Nested<V> {}
impl<T: crate::sealed::Sealed> crate::sealed::Sealed for Option<T> {}

/// A type a view reads and writes by value through [`Field`]: an exported
/// field type ([`FieldType`]) that is plain (`Copy`) and may be shared
/// between threads. One bound, so a view of a field that cannot be read
/// by value gets one message saying why, not one per trait.
#[diagnostic::on_unimplemented(
    message = "a view cannot read `{Self}` by value: `Field<{Self}>` is not a field token",
    label = "`Field<T>` reads and writes a `T` by value",
    note = "`Field<T>` takes a scalar, an array of them, or a plain type its library exports `opaque`; a nested exported struct is `Nested<ItsView>`; what a library keeps private (a `String`, a `Vec`) is not in a view: the library reads it through its functions"
)]
pub trait FieldValue: FieldType + Copy + Send + Sync + 'static {}
// Reported as `FieldValue` unmet (this trait's message), not as each of
// the bounds below.
#[diagnostic::do_not_recommend]
impl<T: FieldType + Copy + Send + Sync + 'static> FieldValue for T {}

/// Refuses, at compile time, a by-value token of a type that is or holds a
/// resilient type (whose layout may change: it is reached through
/// `Nested<View>`). [`compat::bind_field`] refuses the same at bind time.
struct ByValue<T>(PhantomData<T>);
impl<T: FieldType> ByValue<T> {
    const PLAIN: () = assert!(
        T::NESTED.is_none(),
        "a resilient type is reached through `Nested<View>`, never as `Field<T>`"
    );
}

impl<T: FieldValue> Token for Field<T> {
    const REQUIRED: bool = true;
    const ACCESS: Reach = Reach::ByValue;
    const IDENTITY: TypeIdentity = {
        // Evaluated wherever a view names `Field<T>`.
        let () = ByValue::<T>::PLAIN;
        T::IDENTITY
    };
    fn resolve(found: Option<&FieldLayout>, cx: &mut BindCx<'_>) -> Option<Self> {
        let f = cx.bind_field(Self::REQUIRED, Self::ACCESS, &Self::IDENTITY, found)?;
        Some(Field {
            offset: f.offset,
            binding: cx.ty.id(),
            _type: PhantomData,
        })
    }
}

impl<V: Bindable> Token for Nested<V> {
    const REQUIRED: bool = true;
    const ACCESS: Reach = Reach::Nested;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    fn resolve(found: Option<&FieldLayout>, cx: &mut BindCx<'_>) -> Option<Self> {
        let f = cx.bind_field(Self::REQUIRED, Self::ACCESS, &Self::IDENTITY, found)?;
        let inner = cx.nested(f)?;
        let view = bind_view::<V>(&inner, cx.source, cx.mismatches)?;
        Some(Nested {
            offset: f.offset,
            binding: cx.ty.id(),
            view,
        })
    }
}

impl<T: Token> Token for Option<T> {
    const REQUIRED: bool = false;
    const ACCESS: Reach = T::ACCESS;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    fn resolve(found: Option<&FieldLayout>, cx: &mut BindCx<'_>) -> Option<Self> {
        match found {
            None => Some(None),
            Some(_) => T::resolve(found, cx).map(Some),
        }
    }
}
