//! Type identities of field types: the [`FieldType`] trait and its impls for
//! scalars, arrays and zero-sized markers.

use core::marker::PhantomData;

use crate::format::TypeIdentity;

/// A type that can be the type of an exported field: it knows its identity.
///
/// Implemented here for the primitive scalars, fixed arrays, `()` and
/// `PhantomData`; `#[derive(Resilient)]` implements it for the derived type
/// (as a nested resilient type). Fields of other types are exported with
/// `#[resilient(opaque)]`, which names them by their written type.
///
/// # Safety
///
/// The identity must be that of `Self` exactly: two types with equal
/// identities must have the same size, alignment and valid bit patterns,
/// because a client reads and writes a field through any type whose identity
/// matches (a `u8` posing as `bool` would let a client write 2 into a
/// `bool`). Size and alignment always come from the compiler (the
/// [`TypeIdentity`] constructors take them from `T`); the name is the impl's
/// promise.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of an exported field: it has no layout a host can rely on",
    label = "the type of an exported (`pub`) field",
    note = "ways out: make the field private (hosts then never see it), or `#[resilient(skip)]`; a plain-data type (`bytemuck::Pod`) can be exported by its name with `#[resilient(opaque)]`; a struct or enum of yours can `#[derive(Resilient)]` and be nested; a `String`, `Box<str>`, `Option<String>`, `Vec<T>` or `Box<[T]>` of a plain `T` is exported through generated accessors (an alias of one: `#[resilient(accessor)]`)"
)]
pub unsafe trait FieldType {
    /// The identity.
    const IDENTITY: TypeIdentity;
    /// A `'static` reference to [`Self::IDENTITY`], for array elements.
    const IDENTITY_REF: &'static TypeIdentity = &Self::IDENTITY;
    /// The descriptor of the resilient type this field type nests (itself,
    /// or an array's element), if any: what [`export_module!`] checks the
    /// module's type of that name against.
    ///
    /// [`export_module!`]: crate::export_module
    const NESTED: Option<&'static crate::TypeDescriptor> = None;
}

macro_rules! scalars {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: the canonical name of the primitive itself.
        unsafe impl FieldType for $t {
            const IDENTITY: TypeIdentity = TypeIdentity::scalar::<$t>(stringify!($t));
        }
    )*};
}

scalars!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char);

// SAFETY: `()` has one value and no bytes.
unsafe impl FieldType for () {
    const IDENTITY: TypeIdentity = TypeIdentity::opaque::<()>("()");
}

// SAFETY: `PhantomData` has one value and no bytes.
unsafe impl<T: ?Sized> FieldType for PhantomData<T> {
    const IDENTITY: TypeIdentity = TypeIdentity::opaque::<PhantomData<T>>("PhantomData");
}

// SAFETY: an array's identity is its element's and its length: arrays of
// equal element identity and length accept the same bit patterns.
unsafe impl<T: FieldType, const N: usize> FieldType for [T; N] {
    const IDENTITY: TypeIdentity = TypeIdentity::array::<T, N>();
    const NESTED: Option<&'static crate::TypeDescriptor> = T::NESTED;
}
