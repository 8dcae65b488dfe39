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
/// The identity's size and alignment always come from the compiler (the
/// [`TypeIdentity`] constructors take them from `T`), so an impl can name a
/// type wrongly but cannot lie about its layout.
pub trait FieldType {
    /// The identity.
    const IDENTITY: TypeIdentity;
    /// A `'static` reference to [`Self::IDENTITY`], for array elements.
    const IDENTITY_REF: &'static TypeIdentity = &Self::IDENTITY;
}

macro_rules! scalars {
    ($($t:ty),* $(,)?) => {$(
        impl FieldType for $t {
            const IDENTITY: TypeIdentity = TypeIdentity::scalar::<$t>(stringify!($t));
        }
    )*};
}

scalars!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char);

impl FieldType for () {
    const IDENTITY: TypeIdentity = TypeIdentity::opaque::<()>("()");
}

impl<T: ?Sized> FieldType for PhantomData<T> {
    const IDENTITY: TypeIdentity = TypeIdentity::opaque::<PhantomData<T>>("PhantomData");
}

impl<T: FieldType, const N: usize> FieldType for [T; N] {
    const IDENTITY: TypeIdentity = TypeIdentity::array::<T, N>();
}
