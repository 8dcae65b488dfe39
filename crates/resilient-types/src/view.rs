//! Views: what a consumer needs of a foreign type, declared once with
//! [`view!`](crate::view), checked once at bind time, then used through
//! `Copy` field tokens.

use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use std::sync::Arc;

use layout_meta::compat::{self, Access as Reach, FieldQuery};
use layout_meta::{FieldLayout, FieldType, Identity, TypeIdentity};

use crate::error::{Error, Mismatch};
use crate::foreign::{BindingId, ForeignType, TypeSource};

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
    /// (the same [`ForeignType`]), readable for its whole size.
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

impl<T: FieldType + Copy + Send + Sync + 'static> Token for Field<T> {
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

/// Binding state handed to the tokens of one view.
#[doc(hidden)]
pub struct BindCx<'a> {
    ty: &'a ForeignType,
    source: &'a dyn TypeSource,
    mismatches: &'a mut Vec<Mismatch>,
    field: &'static str,
}

impl<'a> BindCx<'a> {
    fn type_name(&self) -> String {
        self.ty.layout().name.clone()
    }
    fn push(&mut self, m: Mismatch) {
        self.mismatches.push(m);
    }

    /// Applies the field rule ([`compat::bind_field`]) to the field being
    /// resolved; records the mismatch and returns `None` if it fails or the
    /// (optional) field is absent.
    fn bind_field<'f>(
        &mut self,
        required: bool,
        access: Reach,
        id: &TypeIdentity,
        found: Option<&'f FieldLayout>,
    ) -> Option<&'f FieldLayout> {
        let identity = Identity::from_record(id);
        let want = FieldQuery {
            name: self.field,
            required,
            identity: &identity,
            access,
        };
        match compat::bind_field(self.ty.layout(), want, found) {
            Ok(f) => f,
            Err(m) => {
                self.push(m);
                None
            }
        }
    }

    /// The type a nested field `f` holds, bound by the nested rule
    /// ([`compat::bind_nested`]) and coming from the same library as the
    /// outer type (a type source is safe to implement, so it is not
    /// trusted to hand out the right one).
    fn nested(&mut self, f: &FieldLayout) -> Option<Arc<ForeignType>> {
        let inner = self.source.foreign_type(f.identity.name());
        let verdict =
            compat::bind_nested(self.ty.layout(), f, inner.as_deref().map(|t| t.layout()));
        if let Err(m) = verdict {
            self.push(m);
            return None;
        }
        let inner = inner?;
        if !Arc::ptr_eq(inner.owner(), self.ty.owner()) || inner.origin() != self.ty.origin() {
            self.push(Mismatch::NestedMismatch {
                ty: self.type_name(),
                field: f.name.clone(),
                nested: f.identity.name().into(),
                reason: format!(
                    "from {}, not from the library of the outer type",
                    inner.origin()
                ),
            });
            return None;
        }
        Some(inner)
    }

    /// Resolves the field `name` as token `T`.
    pub fn field<T: Token>(&mut self, name: &'static str) -> Option<T> {
        self.field = name;
        let ty = self.ty;
        T::resolve(ty.layout().field(name), self)
    }

    /// The shape of the type being bound.
    pub fn shape(&self) -> Shape {
        Shape::of(self.ty)
    }
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

fn bind_view<V: Bindable>(
    ty: &ForeignType,
    source: &dyn TypeSource,
    mismatches: &mut Vec<Mismatch>,
) -> Option<V> {
    if let Err(m) = compat::bind_frozen(ty.layout(), V::FROZEN) {
        mismatches.push(m);
    }
    let before = mismatches.len();
    let mut cx = BindCx {
        ty,
        source,
        mismatches,
        field: "",
    };
    let view = V::resolve(&mut cx);
    if mismatches.len() > before {
        return None;
    }
    view
}

/// A view bound to a foreign type: its field tokens (reach them through
/// `Deref`) and the type, which keeps the library alive.
pub struct Bound<V: Bindable> {
    view: V,
    ty: Arc<ForeignType>,
}

impl<V: Bindable> Clone for Bound<V> {
    fn clone(&self) -> Self {
        Bound {
            view: self.view,
            ty: Arc::clone(&self.ty),
        }
    }
}

impl<V: Bindable> fmt::Debug for Bound<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bound")
            .field("view", &self.view)
            .field("type", &self.ty)
            .finish()
    }
}

impl<V: Bindable> Deref for Bound<V> {
    type Target = V;
    fn deref(&self) -> &V {
        &self.view
    }
}

impl<V: Bindable> Bound<V> {
    /// Binds `V` against the module `source` exports: every required field
    /// must exist with the identity the view expects, optional fields may be
    /// absent, a frozen view needs the same frozen layout.
    ///
    /// # Errors
    ///
    /// [`Error::ModuleMismatch`] if `source` is another module,
    /// [`Error::Bind`] listing every mismatch at once (type, field, expected,
    /// found).
    pub fn bind(source: &dyn TypeSource) -> Result<Self, Error> {
        let origin = source.origin();
        if compat::bind_module(V::MODULE, &origin.module).is_err() {
            return Err(Error::ModuleMismatch {
                library: origin.library,
                expected: V::MODULE.into(),
                found: origin.module,
            });
        }
        let Some(ty) = source.foreign_type(V::TYPE_NAME) else {
            return Err(Error::Bind {
                origin,
                ty: V::TYPE_NAME.into(),
                mismatches: vec![Mismatch::MissingType {
                    ty: V::TYPE_NAME.into(),
                }],
            });
        };
        let mut mismatches = Vec::new();
        match bind_view::<V>(&ty, source, &mut mismatches) {
            Some(view) if mismatches.is_empty() => Ok(Bound { view, ty }),
            _ => Err(Error::Bind {
                origin,
                ty: V::TYPE_NAME.into(),
                mismatches,
            }),
        }
    }

    /// The tokens (also reachable through `Deref`).
    pub fn view(&self) -> &V {
        &self.view
    }
    /// The bound foreign type.
    pub fn foreign_type(&self) -> &Arc<ForeignType> {
        &self.ty
    }
    /// Size, alignment, stride and binding, from the bound type's validated
    /// layout itself (what values are allocated with).
    pub fn shape(&self) -> Shape {
        Shape::of(&self.ty)
    }
}

/// Generic client code run by [`Bound::specialize`] under whichever
/// strategy the loaded layout allows.
pub trait Client<V: Bindable> {
    /// What the client returns.
    type Output;
    /// Runs over `values` with `view` (both of strategy `S`).
    fn run<S: crate::Strategy>(
        self,
        view: &V::With<S>,
        values: crate::Slice<'_, V::With<S>>,
    ) -> Self::Output;
}

impl<V: Bindable> Bound<V> {
    /// Whether the loaded layout is exactly that of the in-domain type `D`:
    /// same name, size, alignment, stride and fingerprint, and every
    /// exported field at the same offset with the same type (compared one
    /// by one: a fingerprint is a 64-bit hash, not a proof).
    pub fn matches_in_domain<D: layout_meta::Resilient>(&self) -> bool {
        self.ty.is_in_domain(D::DESCRIPTOR)
    }

    /// Optimistic specialisation: runs `client` with the direct
    /// instantiation (constant offsets of `D`) when the loaded layout equals
    /// `D`'s, and with the bound tokens otherwise. Returns whether the
    /// direct path was taken, and the client's output.
    ///
    /// # Panics
    ///
    /// If `values` belong to another binding.
    pub fn specialize<D, C>(&self, values: crate::Slice<'_, V>, client: C) -> (bool, C::Output)
    where
        D: layout_meta::Resilient + 'static,
        C: Client<V>,
        V::With<crate::Direct<D>>: DirectView,
    {
        assert_eq!(
            values.shape().binding,
            self.shape().binding,
            "specialize: the values belong to another binding"
        );
        if self.matches_in_domain::<D>() {
            let view = <V::With<crate::Direct<D>> as DirectView>::direct();
            // SAFETY: the values are live values of the bound type (the
            // slice's contract), whose exported layout equals `D`'s: the
            // same fields, offsets, types, size and stride (compared field
            // by field above). The direct view reaches only
            // exported fields, at `D`'s offsets.
            let direct = unsafe {
                crate::Slice::from_raw_parts(values.as_ptr(), values.len(), view.shape())
            };
            (true, client.run(&view, direct))
        } else {
            // SAFETY: `With<Indirect>` is `V` itself (`as_with`); the slice
            // is unchanged.
            let same = unsafe {
                crate::Slice::from_raw_parts(values.as_ptr(), values.len(), values.shape())
            };
            (false, client.run(self.view.as_with(), same))
        }
    }
}

/// Declares a view of a foreign type: the module and type it comes from, and
/// the fields this consumer uses, each as a token type.
///
/// ```
/// use resilient_types::{view, Field, Nested};
///
/// view! {
///     /// A point, as this consumer sees it.
///     pub struct PointView = "widgets"::"Point" {
///         pub x: Field<i32>,
///         pub y: Field<i32>,
///     }
/// }
///
/// view! {
///     /// What this host needs of a widget.
///     pub struct WidgetView = "widgets"::"Widget" {
///         pub id: Field<u64>,
///         pub weight: Field<f32>,
///         pub origin: Nested<PointView>,
///         /// Only newer libraries have it: `None` when absent.
///         pub scale: Option<Field<f64>>,
///     }
/// }
/// ```
///
/// A view expecting a frozen type adds `frozen(<fingerprint>)` after the type
/// name: binding then also requires the type frozen with that exact layout.
#[macro_export]
macro_rules! view {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident = $module:literal :: $ty:literal $(frozen($fp:expr))? {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $token:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name<S: $crate::Strategy = $crate::Indirect> {
            $( $(#[$fmeta])* $fvis $field: <$token as $crate::TokenFor>::In<
                S,
                { $crate::__private::name_hash($crate::__private::unraw(::core::stringify!($field))) },
            >, )*
            __shape: $crate::Shape,
            __strategy: ::core::marker::PhantomData<S>,
        }

        impl<S: $crate::Strategy> ::core::clone::Clone for $name<S> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<S: $crate::Strategy> ::core::marker::Copy for $name<S> {}
        impl<S: $crate::Strategy> ::core::fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!($name))
                    $( .field($crate::__private::unraw(::core::stringify!($field)), &self.$field) )*
                    .field("shape", &self.__shape)
                    .finish()
            }
        }

        // SAFETY: the shape and the tokens come from binding (`resolve`
        // below) or from the in-domain type (`direct` below), never from
        // elsewhere: the macro is the only way this view is built.
        unsafe impl<S: $crate::Strategy> $crate::View for $name<S> {
            type Strategy = S;
            const MODULE: &'static str = $module;
            const TYPE_NAME: &'static str = $ty;
            const FROZEN: ::core::option::Option<u64> = $crate::__view_frozen!($($fp)?);
            const FIELDS: &'static [$crate::FieldSpec] = &[
                $( $crate::FieldSpec {
                    name: $crate::__private::unraw(::core::stringify!($field)),
                    required: <$token as $crate::Token>::REQUIRED,
                    access: <$token as $crate::Token>::ACCESS,
                    identity: <$token as $crate::Token>::IDENTITY,
                }, )*
            ];
            fn shape(&self) -> $crate::Shape {
                self.__shape
            }
        }

        // SAFETY: `resolve` builds the view from `cx.field` tokens and
        // `cx.shape()` only; `as_with` returns `self` (the same type).
        unsafe impl $crate::Bindable for $name<$crate::Indirect> {
            type With<S2: $crate::Strategy> = $name<S2>;
            fn as_with(&self) -> &Self::With<$crate::Indirect> {
                self
            }
            fn resolve(cx: &mut $crate::BindCx<'_>) -> ::core::option::Option<Self> {
                // Resolve every field before giving up, so that one bind
                // reports every mismatch.
                $( let $field = cx.field::<$token>($crate::__private::unraw(::core::stringify!($field))); )*
                ::core::option::Option::Some($name {
                    $( $field: $field?, )*
                    __shape: cx.shape(),
                    __strategy: ::core::marker::PhantomData,
                })
            }
        }

        // What this view needs, recorded as data in the consumer binary (ELF
        // section `resilient_views`) so tools can check a library against it
        // offline (`resilient check LIB --consumer BIN`).
        const _: () = {
            static RECORD: $crate::__private::ViewRecord = $crate::__private::ViewRecord::new(
                $module,
                $ty,
                $crate::__view_frozen!($($fp)?),
                &[$( $crate::__private::ViewFieldRecord::new(
                    $crate::__private::unraw(::core::stringify!($field)),
                    <$token as $crate::Token>::REQUIRED,
                    <$token as $crate::Token>::ACCESS,
                    <$token as $crate::Token>::IDENTITY,
                ), )*],
            );
            #[used]
            #[cfg_attr(target_os = "linux", link_section = "resilient_views")]
            static POINTER: &$crate::__private::ViewRecord = &RECORD;
        };

        // SAFETY: every token is a `DirectToken::NEW` constant of `D`'s own
        // layout, and the shape is `D`'s.
        unsafe impl<D: $crate::__private::Resilient + 'static> $crate::DirectView
            for $name<$crate::Direct<D>>
        {
            fn direct() -> Self {
                $name {
                    $( $field: <<$token as $crate::TokenFor>::In<
                        $crate::Direct<D>,
                        { $crate::__private::name_hash($crate::__private::unraw(::core::stringify!($field))) },
                    > as $crate::__private::DirectToken>::NEW, )*
                    __shape: $crate::Shape::direct::<D>(),
                    __strategy: ::core::marker::PhantomData,
                }
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __view_frozen {
    () => {
        ::core::option::Option::None
    };
    ($fp:expr) => {
        ::core::option::Option::Some($fp)
    };
}
