//! Interfaces across the boundary, host side: the plugin-host pattern
//! ("every plugin provides implementations of `Shape`"). A library exports,
//! per type and interface, a method table (`#[layout_meta::export] impl
//! Shape for Circle`); a host declares the methods it calls with
//! [`interface!`](crate::interface), enumerates the implementations a
//! library has ([`implementations`]), creates values of types it never saw
//! at compile time ([`Implementation::create`]) and calls their methods
//! through an [`Object`]: a value and its bound method table.
//!
//! Each method is bound once, by the one function rule
//! (`layout_meta::compat::bind_function`) with the receiver taken as the
//! implementing type: a method the host needs that is missing or retyped is
//! refused, naming the type, the interface, the method and the parameter;
//! methods the host does not name may come and go; a method may be optional.

use core::fmt;
use core::marker::PhantomData;
use std::sync::Arc;

use layout_meta::function::pass;
use layout_meta::{ImplLayout, TypeIdentity};

use crate::dynamic::{DynBound, DynValue, DynView};
use crate::error::Error;
use crate::foreign::{BindingId, ForeignType, Origin, TypeSource};
use crate::function::{ApiCx, ForeignFunction, HostArg};

/// One type's implementation of one interface, as a library exports it: the
/// type and its method table (functions that keep the library loaded).
pub struct ForeignImpl {
    layout: ImplLayout,
    ty: Arc<ForeignType>,
    methods: Vec<Arc<ForeignFunction>>,
}

impl fmt::Debug for ForeignImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ForeignImpl({} as {})",
            self.layout.type_name, self.layout.interface
        )
    }
}

impl ForeignImpl {
    /// The implementation `layout` of type `ty`, with these methods (in the
    /// layout's order).
    ///
    /// # Safety
    ///
    /// `layout` was validated with its module, `ty` is the module's type
    /// `layout.type_name`, and `methods` are the [`ForeignFunction`]s of
    /// `layout.methods` (their own contract: each record describes its
    /// thunk).
    pub unsafe fn new(
        layout: ImplLayout,
        ty: Arc<ForeignType>,
        methods: Vec<Arc<ForeignFunction>>,
    ) -> Self {
        ForeignImpl {
            layout,
            ty,
            methods,
        }
    }

    /// `T`'s implementation of the interface whose name hashes to `H`,
    /// compiled into this program, for values of `ty`: `None` unless `ty`
    /// is exactly the type the methods were compiled for (a type of the
    /// same name and another layout, such as another version's, would have
    /// them read and write past its values).
    pub fn in_process<T: layout_meta::ExportedImpl<H>, const H: u64>(
        ty: Arc<ForeignType>,
        origin: &Origin,
    ) -> Option<Self> {
        Self::in_process_of(T::DESCRIPTOR, T::REFERENTS, ty, origin)
    }

    /// [`ForeignImpl::in_process`] for a record and its referents
    /// (`ExportedImpl::DESCRIPTOR` and `REFERENTS` of one implementation).
    pub(crate) fn in_process_of(
        d: &'static layout_meta::function::ImplDescriptor,
        referents: &'static [&'static [Option<&'static layout_meta::TypeDescriptor>]],
        ty: Arc<ForeignType>,
        origin: &Origin,
    ) -> Option<Self> {
        if referents.len() != d.methods().len() {
            return None;
        }
        // Each method's receiver is the implementing type.
        for list in referents {
            match list.first() {
                Some(Some(receiver)) if ty.is_compiled_from(receiver) => {}
                _ => return None,
            }
        }
        let methods = d
            .methods()
            .iter()
            .zip(referents)
            .map(|(m, list)| {
                // SAFETY: the record and its thunk were generated together
                // by `#[export]` in this program.
                let mut f = unsafe {
                    ForeignFunction::new(
                        m.to_layout(),
                        m.thunk(),
                        origin.clone(),
                        Arc::clone(ty.owner()),
                    )
                };
                // Its other reference parameters and its result bind only
                // to the types it was compiled with, as a function's.
                f.set_referents(list);
                Arc::new(f)
            })
            .collect();
        Some(ForeignImpl {
            layout: ImplLayout {
                interface: d.interface().into(),
                type_name: d.type_name().into(),
                methods: d.methods().iter().map(|m| m.to_layout()).collect(),
            },
            ty,
            methods,
        })
    }

    /// The interface's name.
    pub fn interface(&self) -> &str {
        &self.layout.interface
    }
    /// The implementing type's name.
    pub fn type_name(&self) -> &str {
        &self.layout.type_name
    }
    /// The implementing type.
    pub fn foreign_type(&self) -> &Arc<ForeignType> {
        &self.ty
    }
    /// The method called `name`.
    pub fn method(&self, name: &str) -> Option<Arc<ForeignFunction>> {
        self.methods
            .iter()
            .find(|m| m.layout().name == name)
            .cloned()
    }
    /// The validated record.
    pub fn layout(&self) -> &ImplLayout {
        &self.layout
    }
}

/// A shared borrow of an [`Object`]'s value: what a method's `&self`
/// receives.
#[derive(Clone, Copy)]
pub struct DynRef<'a> {
    ptr: *const u8,
    binding: BindingId,
    _p: PhantomData<&'a [u8]>,
}

/// An exclusive borrow of an [`Object`]'s value: what a method's
/// `&mut self` receives.
pub struct DynMut<'a> {
    ptr: *mut u8,
    binding: BindingId,
    _p: PhantomData<&'a mut [u8]>,
}

/// A method's `&self` (the implementing type, whatever it is).
#[derive(Debug)]
pub enum This {}
/// A method's `&mut self`.
#[derive(Debug)]
pub enum ThisMut {}
impl crate::sealed::Sealed for This {}
impl crate::sealed::Sealed for ThisMut {}

// SAFETY: a `DynRef` points at a live value of the object's type for `'a`;
// its binding (the type's) is returned for the call to compare with the
// implementation's.
unsafe impl HostArg for This {
    const PASS: u32 = pass::REF;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>("Self");
    const RECEIVER: bool = true;
    type Input<'a> = DynRef<'a>;
    type Ffi = *const u8;
    #[inline(always)]
    fn lower(input: DynRef<'_>) -> (*const u8, Option<BindingId>) {
        (input.ptr, Some(input.binding))
    }
}

// SAFETY: as `This`, exclusive for the call (the `DynMut` is consumed).
unsafe impl HostArg for ThisMut {
    const PASS: u32 = pass::MUT;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>("Self");
    const RECEIVER: bool = true;
    type Input<'a> = DynMut<'a>;
    type Ffi = *mut u8;
    #[inline(always)]
    fn lower(input: DynMut<'_>) -> (*mut u8, Option<BindingId>) {
        (input.ptr, Some(input.binding))
    }
}

/// A host's declaration of an interface: the methods it calls, declared
/// with [`interface!`](crate::interface).
///
/// # Safety
///
/// `resolve` builds the value only from tokens that
/// [`crate::FnToken::resolve`] returned. Implement it only through
/// [`interface!`](crate::interface).
pub unsafe trait Interface: Sized {
    /// The module that exports the implementations.
    const MODULE: &'static str;
    /// The interface's name.
    const INTERFACE: &'static str;
    #[doc(hidden)]
    fn resolve(cx: &mut ApiCx<'_>) -> Option<Self>;
}

/// One type's bound implementation of interface `I`: its methods, and how
/// to make values of it.
pub struct Implementation<I> {
    imp: ForeignImpl,
    methods: I,
    values: Arc<DynBound>,
}

impl<I: fmt::Debug> fmt::Debug for Implementation<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Implementation")
            .field("type", &self.imp.type_name())
            .field("methods", &self.methods)
            .finish()
    }
}

impl<I: Interface> Implementation<I> {
    /// The implementing type's name.
    pub fn type_name(&self) -> &str {
        self.imp.type_name()
    }
    /// The bound methods.
    pub fn methods(&self) -> &I {
        &self.methods
    }
    /// A new value of the implementing type (the library's default
    /// witness, or zeros for plain old data), with its methods.
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`] if the library cannot make one;
    /// [`Error::Alloc`].
    pub fn create(self: &Arc<Self>) -> Result<Object<I>, Error> {
        Ok(Object {
            value: DynValue::new(&self.values)?,
            binding: self.imp.foreign_type().id(),
            imp: Arc::clone(self),
        })
    }
}

/// A value of a type the host never saw at compile time, with the bound
/// methods of interface `I` (a `dyn`-like handle). Dropping it runs the
/// library's drop witness.
pub struct Object<I> {
    value: DynValue,
    /// The implementing type's binding (`imp`'s), kept beside the value so
    /// that a method call reads it with the value, one load from the
    /// object instead of two dependent ones through the implementation.
    binding: BindingId,
    imp: Arc<Implementation<I>>,
}

impl<I: Interface> Object<I> {
    /// The methods, to call with [`Object::this`] or [`Object::this_mut`].
    pub fn methods(&self) -> &I {
        &self.imp.methods
    }
    /// The implementing type's name.
    pub fn type_name(&self) -> &str {
        self.imp.type_name()
    }
    /// The value, for a method's `&self`.
    pub fn this(&self) -> DynRef<'_> {
        DynRef {
            ptr: self.value.as_ptr(),
            binding: self.binding,
            _p: PhantomData,
        }
    }
    /// The value, for a method's `&mut self`.
    pub fn this_mut(&mut self) -> DynMut<'_> {
        DynMut {
            ptr: self.value.as_mut_ptr(),
            binding: self.binding,
            _p: PhantomData,
        }
    }
    /// The value's methods and the value itself (for `&mut self` calls:
    /// `let (m, this) = obj.split(); m.grow.call(this, 2.0)`).
    pub fn split(&mut self) -> (&I, DynMut<'_>) {
        let binding = self.binding;
        (
            &self.imp.methods,
            DynMut {
                ptr: self.value.as_mut_ptr(),
                binding,
                _p: PhantomData,
            },
        )
    }
}

/// Every implementation of interface `I` that `source` exports, each bound
/// once: every method `I` requires must exist with exactly the declared
/// signature (the receiver being the implementing type).
///
/// # Errors
///
/// [`Error::ModuleMismatch`] for another module; [`Error::BindFunctions`]
/// with every mismatch of every implementation (each naming the type, the
/// interface, the method and the parameter).
pub fn implementations<I: Interface>(
    source: &dyn TypeSource,
) -> Result<Vec<Arc<Implementation<I>>>, Error> {
    Ok(bind_impls(source, I::MODULE, I::INTERFACE, I::resolve)?
        .into_iter()
        .map(|(imp, methods, values)| {
            Arc::new(Implementation {
                imp,
                methods,
                values,
            })
        })
        .collect())
}

/// The one way implementations are bound, typed ([`implementations`]) or
/// described as data ([`crate::dynamic::DynInterface`]): the module by
/// `compat::bind_module`, then, for every implementation of `interface`
/// that `source` exports, the methods by `resolve` (each by the one
/// function rule, through [`ApiCx`] with the implementation as receiver),
/// and a binding of the implementing type without fields, which makes its
/// values. Every mismatch of every implementation is reported at once.
pub(crate) fn bind_impls<M>(
    source: &dyn TypeSource,
    module: &str,
    interface: &str,
    mut resolve: impl FnMut(&mut ApiCx<'_>) -> Option<M>,
) -> Result<Vec<(ForeignImpl, M, Arc<DynBound>)>, Error> {
    crate::foreign::check_module(source, module)?;
    let mut out = Vec::new();
    let mut mismatches = Vec::new();
    for imp in source.impls(interface) {
        let mut cx = ApiCx::new(source, Some(&imp));
        let methods = resolve(&mut cx);
        let problems = cx.into_mismatches();
        match methods {
            Some(methods) if problems.is_empty() => {
                let view = DynView::new(module, imp.type_name())?;
                let placement = Vec::new();
                let values = Arc::new(DynBound::new(
                    Arc::clone(imp.foreign_type()),
                    &view,
                    &placement,
                )?);
                out.push((imp, methods, values));
            }
            _ => mismatches.extend(problems),
        }
    }
    if mismatches.is_empty() {
        Ok(out)
    } else {
        Err(Error::BindFunctions {
            origin: source.origin(),
            mismatches,
        })
    }
}

/// Declares the methods of an interface a host calls, each as a
/// [`Func`](crate::Func) whose first parameter is [`This`] (`&self`) or
/// [`ThisMut`] (`&mut self`); `Option<Func<..>>` for a method an
/// implementation may lack.
///
/// ```
/// use std::sync::Arc;
/// use resilient_types::{implementations, interface, Func, InProcess, This, ThisMut};
///
/// pub trait Shape {
///     fn area(&self) -> f64;
///     fn grow(&mut self, by: f64);
/// }
///
/// #[derive(layout_meta::Resilient, Default)]
/// #[resilient(default)]
/// pub struct Square { pub side: f64 }
///
/// #[layout_meta::export]
/// impl Shape for Square {
///     fn area(&self) -> f64 { self.side * self.side }
///     fn grow(&mut self, by: f64) { self.side += by }
/// }
///
/// interface! {
///     pub struct ShapeIface = "shapes"::"Shape" {
///         pub area: Func<fn(This) -> f64>,
///         pub grow: Func<fn(ThisMut, f64)>,
///         pub perimeter: Option<Func<fn(This) -> f64>>,
///     }
/// }
///
/// let src = InProcess::new("shapes", "1.0.0")
///     .with::<Square>()
///     .with_impl::<Square, { layout_meta::name_hash("Shape") }>();
/// for imp in implementations::<ShapeIface>(&src)? {
///     let mut obj = imp.create()?;
///     let (m, this) = obj.split();
///     m.grow.call(this, 2.0)?;
///     assert_eq!(obj.methods().area.call(obj.this())?, 4.0);
///     assert!(obj.methods().perimeter.is_none());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! interface {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident = $module:literal :: $iface:literal {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $token:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $token, )*
        }

        // SAFETY: `resolve` builds the value from `FnToken::resolve` only.
        unsafe impl $crate::Interface for $name {
            const MODULE: &'static str = $module;
            const INTERFACE: &'static str = $iface;
            fn resolve(cx: &mut $crate::ApiCx<'_>) -> ::core::option::Option<Self> {
                $( let $field = <$token as $crate::FnToken>::resolve(
                    $crate::__private::unraw(::core::stringify!($field)),
                    cx,
                ); )*
                ::core::option::Option::Some($name {
                    $( $field: $field?, )*
                })
            }
        }

        // An owned result's view names this module (the nested module
        // rule): refused here, at compile time.
        const _: () = {
            $( $crate::__private::nested_in_module($module, <$token as $crate::FnToken>::RESULT_MODULE); )*
        };
    };
}
