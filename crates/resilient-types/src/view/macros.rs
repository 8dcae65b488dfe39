//! [`view!`](crate::view): the one way views are declared.

/// Declares a view of a foreign type: the module and type it comes from, and
/// the fields this consumer uses, each as a token type.
///
/// ```
/// use resilient_types::{view, Elems, Field, Nested, Text};
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
            // A nested view names this view's module (the nested module
            // rule): refused here, at compile time.
            $( $crate::__private::nested_in_module($module, <$token as $crate::Token>::NESTED_MODULE); )*
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
