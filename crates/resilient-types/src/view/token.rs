//! Field tokens: [`Field`] (by value), [`Nested`] (through a view of the
//! nested type) and `Option` of either, and how each resolves at bind time.

use core::fmt;
use core::marker::PhantomData;

use layout_meta::accessor::{BorrowFn, GetValueFn, ReplaceFn, SetValueFn};
use layout_meta::compat::{Access as Reach, Place};
use layout_meta::{AccessorLayout, FieldLayout, FieldType, TypeIdentity};

use super::bind::{bind_view, BindCx};
use super::Bindable;
use crate::foreign::BindingId;

/// A field token: the offset of a field of type `T` in values of one bound
/// type, or, where the library computes the field, its getter and setter.
/// `Copy`: a hot loop keeps it in registers.
///
/// Handles check that a token belongs to their binding (one compare of two
/// registers, hoisted out of loops), so a token cannot read another type's
/// or another version's bytes.
///
/// A stored field is read at `base + offset`; a computed one (a library
/// that moved the field behind a getter: `docs/FORMAT.md`, "Accessor and
/// computed fields") by one call of the library's getter. The view is the
/// same for both.
pub struct Field<T> {
    /// A stored field's offset; for a computed field, the address of its
    /// interned [`Computed`] (`&'static`), so the token stays two words.
    offset: usize,
    /// The binding; with [`BindingId::computed`]'s bit for a computed
    /// field, so that a handle's one compare selects stored reads.
    binding: BindingId,
    _type: PhantomData<fn() -> T>,
}

/// A computed field's getter and setter (checked at bind time to lie in the
/// library's code, for a field of the token's type).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Computed {
    get: GetValueFn,
    set: SetValueFn,
}

impl Computed {
    /// The functions of accessor `a`, a computed field (shape `VALUE`).
    ///
    /// # Safety
    ///
    /// `a` was validated (its functions lie in a loaded library's code) and
    /// bound as a computed field ([`Place::Computed`]).
    pub(crate) unsafe fn of(a: &AccessorLayout) -> Computed {
        // SAFETY: the caller's contract: the addresses are the library's
        // getter and setter of a computed field, whose signatures the
        // format fixes.
        unsafe {
            Computed {
                get: layout_meta::format::code_at::<GetValueFn>(a.get),
                set: layout_meta::format::code_at::<SetValueFn>(a.set),
            }
        }
    }

    /// The one `'static` copy of these functions: what a computed token
    /// points to. One per distinct getter and setter in the process (a
    /// library bound again, or reloaded at the same address, reuses it), so
    /// the memory is bounded by the computed fields ever loaded.
    fn interned(self) -> &'static Computed {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock, PoisonError};
        // Keyed by the two code addresses.
        type Interned = HashMap<(usize, usize), &'static Computed>;
        static ALL: OnceLock<Mutex<Interned>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let key = (self.get as usize, self.set as usize);
        all.entry(key).or_insert_with(|| Box::leak(Box::new(self)))
    }

    /// Reads the field of the value at `base` through the library.
    ///
    /// # Safety
    ///
    /// `base` points at a live value of the type this was bound from, whose
    /// library is loaded; the field's type is `T`'s ([`FieldType`]
    /// identity), so the getter writes one `T` (all bytes: a zeroed buffer
    /// first, in case it writes fewer).
    #[inline(never)]
    pub(crate) unsafe fn read<T: bytemuck::AnyBitPattern>(self, base: *const u8) -> T {
        let mut out = T::zeroed();
        // SAFETY: the caller's contract; `out` has room for one `T`.
        unsafe { (self.get)(base, (&raw mut out).cast()) };
        out
    }

    /// Copies the field's value into `out` through the library's getter.
    ///
    /// # Safety
    ///
    /// As [`Computed::read`]; `out` is writable for the field's size.
    pub(crate) unsafe fn read_into(self, base: *const u8, out: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { (self.get)(base, out) }
    }

    /// Writes the field's value from `src` through the library's setter.
    ///
    /// # Safety
    ///
    /// As [`Computed::write`]; `src` holds a valid value of the field's type.
    pub(crate) unsafe fn write_from(self, base: *mut u8, src: *const u8) {
        // SAFETY: the caller's contract.
        unsafe { (self.set)(base, src) }
    }

    /// Reads the field's bits, for a type with invalid bit patterns.
    ///
    /// # Safety
    ///
    /// As [`Computed::read`].
    pub(crate) unsafe fn read_checked<T: bytemuck::CheckedBitPattern>(
        self,
        base: *const u8,
    ) -> Option<T> {
        // SAFETY: as `read`, into `T`'s bits (same size as `T`).
        let bits: T::Bits = unsafe { self.read(base) };
        if T::is_valid_bit_pattern(&bits) {
            // SAFETY: `CheckedBitPattern`: valid bits are a valid `T` of
            // the same size.
            Some(unsafe { core::mem::transmute_copy::<T::Bits, T>(&bits) })
        } else {
            None
        }
    }

    /// Writes the field of the value at `base` through the library.
    ///
    /// # Safety
    ///
    /// As [`Computed::read`], with exclusive access to the value.
    #[inline(never)]
    pub(crate) unsafe fn write<T: bytemuck::NoUninit>(self, base: *mut u8, value: T) {
        // SAFETY: the caller's contract; `value` is a valid `T`.
        unsafe { (self.set)(base, (&raw const value).cast()) }
    }
}

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Field<T> {}

impl<T> fmt::Debug for Field<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_computed() {
            write!(f, "Field<{}>(computed)", core::any::type_name::<T>())
        } else {
            write!(
                f,
                "Field<{}>(+{})",
                core::any::type_name::<T>(),
                self.offset
            )
        }
    }
}

impl<T> Field<T> {
    /// The field's byte offset (0 for a computed field).
    pub fn offset(self) -> usize {
        if self.is_computed() {
            0
        } else {
            self.offset
        }
    }
    /// Whether the library computes the field (reads and writes are calls).
    pub fn is_computed(self) -> bool {
        self.binding.is_computed()
    }
    #[inline(always)]
    pub(crate) fn computed(self) -> Option<Computed> {
        if self.is_computed() {
            // SAFETY: a computed token's `offset` is the exposed address of
            // an interned, leaked `Computed` (`resolve`), valid for
            // `'static`.
            Some(unsafe { *core::ptr::with_exposed_provenance::<Computed>(self.offset) })
        } else {
            None
        }
    }
    /// The stored offset, for the hot path (after `stored_in`).
    #[inline(always)]
    pub(crate) fn raw_offset(self) -> usize {
        self.offset
    }
    /// The binding this token belongs to.
    pub fn binding(self) -> BindingId {
        self.binding.untagged()
    }
    /// The binding as held: equal to a handle's binding exactly when the
    /// field is stored and the token is the handle's (the hot path).
    #[inline(always)]
    pub(crate) fn fast_binding(self) -> BindingId {
        self.binding
    }

    /// Reads the field of the value at `base` without checking the binding.
    ///
    /// # Safety
    ///
    /// `base` points at a live value of the type this token was bound from
    /// (the same [`ForeignType`](crate::ForeignType)), readable for its whole
    /// size, and that type's library is loaded.
    #[inline(always)]
    pub unsafe fn read_raw(self, base: *const u8) -> T
    where
        T: bytemuck::AnyBitPattern,
    {
        if let Some(c) = self.computed() {
            // SAFETY: the caller's contract; binding proved the getter is
            // the library's for a field of type `T`.
            return unsafe { c.read(base) };
        }
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
    /// writable for its whole size, that nothing else accesses meanwhile,
    /// and that type's library is loaded.
    #[inline(always)]
    pub unsafe fn write_raw(self, base: *mut u8, value: T)
    where
        T: bytemuck::NoUninit,
    {
        if let Some(c) = self.computed() {
            // SAFETY: as in `read_raw`, with exclusive access.
            return unsafe { c.write(base, value) };
        }
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
    /// The module of the view nested in this token (`Nested<V>`,
    /// `ElemsOf<V>`), which `view!` checks at compile time is the outer
    /// view's ([`compat::nested_view_in_module`]).
    #[doc(hidden)]
    const NESTED_MODULE: Option<&'static str> = None;
    #[doc(hidden)]
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self>;
}

/// What a type has under a view field's name: a stored field, or an
/// accessor (with its index), or neither (a name is never both).
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Found<'a> {
    pub(crate) stored: Option<&'a FieldLayout>,
    pub(crate) accessor: Option<(usize, &'a AccessorLayout)>,
}

impl Found<'_> {
    fn is_absent(&self) -> bool {
        self.stored.is_none() && self.accessor.is_none()
    }
}

impl<T> crate::sealed::Sealed for Field<T> {}
impl<V> crate::sealed::Sealed for Nested<V> {}
impl crate::sealed::Sealed for Text {}
impl crate::sealed::Sealed for OptText {}
impl<T> crate::sealed::Sealed for Elems<T> {}
impl<V> crate::sealed::Sealed for ElemsOf<V> {}
impl<T: crate::sealed::Sealed> crate::sealed::Sealed for Option<T> {}

/// A type a view reads and writes by value through [`Field`]: an exported
/// field type ([`FieldType`]) that is plain (`Copy`) and may be shared
/// between threads. One bound, so a view of a field that cannot be read
/// by value gets one message saying why, not one per trait.
#[diagnostic::on_unimplemented(
    message = "a view cannot read `{Self}` by value: `Field<{Self}>` is not a field token",
    label = "`Field<T>` reads and writes a `T` by value",
    note = "`Field<T>` takes a scalar, an array of them, or a plain type its library exports `opaque`; a nested exported struct is `Nested<ItsView>`; a `String`, `Option<String>` or `Vec<T>` field is `Text`, `OptText` or `Elems<T>` (read through the library's accessors)"
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
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        let place = cx.bind_member(Self::REQUIRED, Self::ACCESS, &Self::IDENTITY, found)?;
        let (offset, binding) = match place {
            Place::Stored(offset) => (offset, cx.ty.id()),
            Place::Computed(i) => {
                // SAFETY: the type was validated (its accessors' functions
                // lie in its library's code), and `bind_member` bound this
                // accessor as a computed field of `T`'s identity.
                let c = unsafe { Computed::of(&cx.layout().accessors[i]) };
                (
                    core::ptr::from_ref(c.interned()).expose_provenance(),
                    cx.ty.id().computed(),
                )
            }
            Place::Accessor(_) => unreachable!("by-value views never bind accessor fields"),
        };
        Some(Field {
            offset,
            binding,
            _type: PhantomData,
        })
    }
}

impl<V: Bindable> Token for Nested<V> {
    const REQUIRED: bool = true;
    const NESTED_MODULE: Option<&'static str> = Some(V::MODULE);
    const ACCESS: Reach = Reach::Nested;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        cx.bind_member(Self::REQUIRED, Self::ACCESS, &Self::IDENTITY, found)?;
        // A nested view binds stored fields only (`bind_member`).
        let f = found.stored?;
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
    const NESTED_MODULE: Option<&'static str> = T::NESTED_MODULE;
    const ACCESS: Reach = T::ACCESS;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        if found.is_absent() {
            Some(None)
        } else {
            T::resolve(found, cx).map(Some)
        }
    }
}

/// A text field the library keeps in a type of its own (`String`,
/// `Box<str>`, `std::string`): read as `&str` borrowed from the value
/// ([`Ref::text`](crate::Ref::text), checked to be UTF-8, or as bytes with
/// [`Ref::text_bytes`](crate::Ref::text_bytes)), replaced through the
/// library ([`Mut::set_text`](crate::Mut::set_text): it allocates with its
/// own allocator and frees what it held).
#[derive(Clone, Copy)]
pub struct Text {
    pub(crate) fns: AccessorFns,
}

/// As [`Text`], for a field that may hold nothing (`Option<String>`).
#[derive(Clone, Copy)]
pub struct OptText {
    pub(crate) fns: AccessorFns,
}

/// Elements the library keeps in a type of its own (`Vec<T>`, `Box<[T]>`,
/// `std::vector<T>`) of a plain `T`: read as `&[T]` borrowed from the value
/// ([`Ref::elems`](crate::Ref::elems)), replaced through the library
/// ([`Mut::set_elems`](crate::Mut::set_elems)).
pub struct Elems<T> {
    pub(crate) fns: AccessorFns,
    _type: PhantomData<fn() -> T>,
}

/// Elements of a type the library exports (`Vec<Widget>`): read as a
/// [`Slice`](crate::Slice) of the element view's values, borrowed from the
/// value ([`Ref::elems_of`](crate::Ref::elems_of)); replaced by clones the
/// library makes of values the host holds
/// ([`Mut::set_elems_of`](crate::Mut::set_elems_of)). The element type is
/// bound through its own view `V`, as a nested field's.
#[derive(Clone, Copy)]
pub struct ElemsOf<V> {
    pub(crate) fns: AccessorFns,
    pub(crate) view: V,
}

impl<V> ElemsOf<V> {
    /// The element type's view.
    pub fn view(&self) -> &V {
        &self.view
    }
}

impl<V: fmt::Debug> fmt::Debug for ElemsOf<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ElemsOf({:?}, {:?})", self.fns, self.view)
    }
}

impl<T> Clone for Elems<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Elems<T> {}

/// An accessor field's functions, its binding and its name (for messages).
#[derive(Clone, Copy)]
#[doc(hidden)]
pub struct AccessorFns {
    pub(crate) binding: BindingId,
    pub(crate) get: BorrowFn,
    pub(crate) set: ReplaceFn,
    pub(crate) name: &'static str,
}

impl fmt::Debug for AccessorFns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "accessor `{}`", self.name)
    }
}
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({:?})", self.fns)
    }
}
impl fmt::Debug for OptText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OptText({:?})", self.fns)
    }
}
impl<T> fmt::Debug for Elems<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Elems<{}>({:?})", core::any::type_name::<T>(), self.fns)
    }
}

impl AccessorFns {
    fn resolve(
        access: Reach,
        id: &TypeIdentity,
        found: Found<'_>,
        cx: &mut BindCx<'_>,
    ) -> Option<Self> {
        Self::resolve_at(access, id, found, cx).map(|(fns, _)| fns)
    }

    /// As `resolve`, also giving the accessor's index in the type.
    fn resolve_at(
        access: Reach,
        id: &TypeIdentity,
        found: Found<'_>,
        cx: &mut BindCx<'_>,
    ) -> Option<(Self, usize)> {
        let name = cx.field_name();
        match cx.bind_member(true, access, id, found)? {
            Place::Accessor(i) => {
                let a = &cx.layout().accessors[i];
                // SAFETY: the type was validated (the accessor's functions
                // lie in its library's code), and `bind_member` bound it as
                // a text or elements accessor, whose signatures the format
                // fixes.
                let (get, set) = unsafe {
                    (
                        layout_meta::format::code_at::<BorrowFn>(a.get),
                        layout_meta::format::code_at::<ReplaceFn>(a.set),
                    )
                };
                Some((
                    AccessorFns {
                        binding: cx.ty.id(),
                        get,
                        set,
                        name,
                    },
                    i,
                ))
            }
            Place::Stored(_) | Place::Computed(_) => {
                unreachable!("text and elements views bind accessor fields only")
            }
        }
    }
}

impl Token for Text {
    const REQUIRED: bool = true;
    const ACCESS: Reach = Reach::Text;
    const IDENTITY: TypeIdentity = layout_meta::accessor::STR_IDENTITY;
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        AccessorFns::resolve(Self::ACCESS, &Self::IDENTITY, found, cx).map(|fns| Text { fns })
    }
}

impl Token for OptText {
    const REQUIRED: bool = true;
    const ACCESS: Reach = Reach::OptionalText;
    const IDENTITY: TypeIdentity = layout_meta::accessor::STR_IDENTITY;
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        AccessorFns::resolve(Self::ACCESS, &Self::IDENTITY, found, cx).map(|fns| OptText { fns })
    }
}

impl<V: Bindable> Token for ElemsOf<V> {
    const REQUIRED: bool = true;
    const NESTED_MODULE: Option<&'static str> = Some(V::MODULE);
    const ACCESS: Reach = Reach::Elements;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        let (fns, i) = AccessorFns::resolve_at(Self::ACCESS, &Self::IDENTITY, found, cx)?;
        let a = &cx.layout().accessors[i];
        let inner = cx.elements(a)?;
        let view = bind_view::<V>(&inner, cx.source, cx.mismatches)?;
        Some(ElemsOf { fns, view })
    }
}

impl<T: layout_meta::accessor::Element + Send + Sync + 'static> Token for Elems<T> {
    const REQUIRED: bool = true;
    const ACCESS: Reach = Reach::Elements;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    fn resolve(found: Found<'_>, cx: &mut BindCx<'_>) -> Option<Self> {
        AccessorFns::resolve(Self::ACCESS, &Self::IDENTITY, found, cx).map(|fns| Elems {
            fns,
            _type: PhantomData,
        })
    }
}
