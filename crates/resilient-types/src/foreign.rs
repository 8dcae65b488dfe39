//! Foreign types: a validated layout, its callable witnesses, and the owner
//! that keeps the library holding them alive.

use core::any::Any;
use core::fmt;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use layout_meta::TypeLayout;

/// Identifies one [`ForeignType`] for the life of the process. Field tokens
/// carry the id of the type they were bound from; handles check it, so a
/// token can never be used on a value of another type or library version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BindingId(u64);

impl BindingId {
    /// The binding of direct (in-domain) views: never handed out to a
    /// loaded type.
    pub const DIRECT: BindingId = BindingId(0);

    /// The id as a number (what the C API's field tokens carry). Never 0
    /// for a loaded type or a dynamic binding, and never reused in the
    /// process.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// A new id, never handed out before in this process: one counter
    /// serves every [`ForeignType`] and every [`crate::dynamic::DynBound`].
    pub(crate) fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // Relaxed: only uniqueness matters; a u64 does not wrap in practice
        // (nor reaches `COMPUTED`, the bit computed tokens set).
        BindingId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The bit a computed field's token sets in the binding it holds, so
    /// that a handle's one compare (`token == handle`) is true for stored
    /// fields only; a computed read takes the other (cold) branch, which
    /// compares the binding without the bit and calls the library.
    const COMPUTED: u64 = 1 << 63;

    /// This binding as a computed field's token holds it.
    pub(crate) const fn computed(self) -> Self {
        BindingId(self.0 | Self::COMPUTED)
    }

    /// The binding a token belongs to, stored or computed.
    pub(crate) const fn untagged(self) -> Self {
        BindingId(self.0 & !Self::COMPUTED)
    }

    /// Whether a token holding this binding reaches a computed field.
    pub(crate) const fn is_computed(self) -> bool {
        self.0 & Self::COMPUTED != 0
    }
}

/// The value witnesses of a foreign type, as callable functions: the
/// format's own record ([`layout_meta::ValueWitnesses`]), one form in every
/// crate.
pub use layout_meta::ValueWitnesses as Witnesses;

/// Where a foreign type comes from, for error messages: the library path and
/// the module name and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Path of the library (or `"<in-process>"`).
    pub library: String,
    /// Module name.
    pub module: String,
    /// Module version.
    pub version: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.module, self.version, self.library)
    }
}

const _: () = assert!(
    core::mem::align_of::<layout_meta::TypeDescriptor>() >= 2,
    "ForeignType::is_in_domain keeps a flag in bit 0 of a descriptor's address"
);

/// One type of a loaded library: its checked layout and witnesses, plus an
/// owner that keeps the library loaded for as long as this lives.
pub struct ForeignType {
    id: BindingId,
    /// May be shared with other foreign types made from the same
    /// validated layout.
    layout: Arc<TypeLayout>,
    witnesses: Witnesses,
    /// Shared by the types of one library (one copy of its names).
    origin: Arc<Origin>,
    owner: Arc<dyn Any + Send + Sync>,
    /// The address of the last in-domain descriptor this layout was
    /// compared with, bit 0 set if it differed (0: none yet): a one-entry
    /// cache for [`ForeignType::is_in_domain`].
    same_as: AtomicUsize,
    /// For a type compiled into this program: its descriptor, whose address
    /// is the type's alone ([`ForeignType::is_compiled_from`]), and the
    /// descriptors of the types its fields nest (`Resilient::NESTED`).
    compiled: Option<(
        &'static layout_meta::TypeDescriptor,
        &'static [Option<&'static layout_meta::TypeDescriptor>],
    )>,
}

impl fmt::Debug for ForeignType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignType")
            .field("id", &self.id)
            .field("name", &self.layout.name)
            .field("origin", &self.origin)
            .field("size", &self.layout.size)
            .field("align", &self.layout.align)
            .field("witnesses", &self.witnesses)
            .finish_non_exhaustive()
    }
}

impl ForeignType {
    /// A foreign type with the given layout and witnesses, kept alive by
    /// `owner`.
    ///
    /// # Safety
    ///
    /// - `layout` is a validated layout ([`layout_meta::verify`] accepted it)
    ///   that truly describes the values the witnesses create, and that the
    ///   library's own code reads and writes;
    /// - each witness present is a function of its documented signature
    ///   that honours the witness contract of `docs/FORMAT.md` and does not
    ///   unwind; so is each nonzero enum witness address of `layout`
    ///   (`case_of`, `locate`, `write_case`);
    /// - the code and data those point into stay valid as long as `owner`
    ///   lives.
    pub unsafe fn new(
        layout: impl Into<Arc<TypeLayout>>,
        witnesses: Witnesses,
        origin: Origin,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        // SAFETY: the caller's contract, passed on.
        unsafe { Self::with_shared_origin(layout, witnesses, Arc::new(origin), owner) }
    }

    /// [`ForeignType::new`] with an origin shared with the other types of
    /// its library (what a loader that makes many types of one library
    /// passes, instead of a copy of the origin's names per type). The
    /// layout, too, may be shared (an `Arc<TypeLayout>`): types made anew
    /// from one validated layout then copy nothing.
    ///
    /// # Safety
    ///
    /// As [`ForeignType::new`].
    pub unsafe fn with_shared_origin(
        layout: impl Into<Arc<TypeLayout>>,
        witnesses: Witnesses,
        origin: Arc<Origin>,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        ForeignType {
            id: BindingId::fresh(),
            layout: layout.into(),
            witnesses,
            origin,
            owner,
            same_as: AtomicUsize::new(0),
            compiled: None,
        }
    }

    /// Whether this type's layout is exactly the in-domain descriptor `d`
    /// ([`TypeLayout::is_descriptor`]: every field compared). The verdict
    /// is remembered by the descriptor's address, so asking again for the
    /// same in-domain type costs one load and one compare.
    ///
    /// [`TypeLayout::is_descriptor`]: layout_meta::TypeLayout::is_descriptor
    pub fn is_in_domain(&self, d: &'static layout_meta::TypeDescriptor) -> bool {
        // The cache holds the descriptor's address, with bit 0 set for "not
        // the same" (descriptors are word-aligned, so bit 0 is free).
        let addr = core::ptr::from_ref(d) as usize;
        let cached = self.same_as.load(Ordering::Relaxed);
        if cached & !1 == addr {
            return cached & 1 == 0;
        }
        let same = self.layout.is_descriptor(d);
        self.same_as
            .store(addr | usize::from(!same), Ordering::Relaxed);
        same
    }

    /// The type of a [`layout_meta::Resilient`] type compiled into this
    /// program: the in-domain case, always safe.
    pub fn in_process<T: layout_meta::Resilient>(module: &str, version: &str) -> Self {
        Self::in_process_with::<T>(module, version, Arc::new(()))
    }

    /// [`ForeignType::in_process`] with the owner of its module: the types
    /// of one module share one owner (nested fields bind only to a type of
    /// the same library, that is, of the same owner).
    fn in_process_with<T: layout_meta::Resilient>(
        module: &str,
        version: &str,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        let d = T::DESCRIPTOR;
        let w = d.witnesses();
        // SAFETY:
        // - the descriptor was produced by the derive from `T` itself (the
        //   `Resilient` contract), so its layout describes `T` exactly, and
        //   `to_layout` only copies it (the derive's numbers satisfy every
        //   invariant `check` proves, the compiler computed them);
        // - the witnesses are the derive's, compiled into this program, with
        //   the documented signatures;
        // - they live in this program, which outlives every value.
        let mut t = unsafe {
            ForeignType::new(
                d.to_layout(),
                *w,
                Origin {
                    library: "<in-process>".into(),
                    module: module.into(),
                    version: version.into(),
                },
                owner,
            )
        };
        t.compiled = Some((d, T::NESTED));
        t
    }

    /// Whether this is the type compiled into this program whose
    /// descriptor is `d` (`Resilient::DESCRIPTOR`): the same address, not an
    /// equal layout. What binding asks before it lets code compiled for a
    /// type take a value of this one ([`ForeignType::is_in_domain`]
    /// compares layouts, which is what a direct field access needs: two
    /// types of equal layouts may differ in their private fields).
    pub fn is_compiled_from(&self, d: &'static layout_meta::TypeDescriptor) -> bool {
        self.compiled.is_some_and(|(c, _)| core::ptr::eq(c, d))
    }

    /// Whether `inner` may be the type this one's fields of `inner`'s name
    /// nest (in place, or as the elements of a `Vec`), as binding a nested
    /// view asks (a type source is safe to implement, so it is not trusted
    /// to hand out the right one): a type of the same library, and, for a
    /// type compiled into this program, exactly the type every such field
    /// was compiled with ([`ForeignType::is_compiled_from`]), since the
    /// outer type's own code (its clone and drop, its accessors) acts on
    /// them as that type. (A loaded library's validated module names each
    /// type once.) `Err` says why not.
    ///
    /// # Errors
    ///
    /// The reason `inner` is refused.
    pub fn accepts_nested(&self, inner: &ForeignType) -> Result<(), String> {
        if !Arc::ptr_eq(&inner.owner, &self.owner) || inner.origin != self.origin {
            return Err(format!(
                "from {}, not from the library of the outer type",
                inner.origin
            ));
        }
        let Some((_, nested)) = self.compiled else {
            return Ok(());
        };
        let name = inner.layout.name.as_str();
        let mut fields = nested
            .iter()
            .flatten()
            .filter(|d| d.name() == name)
            .peekable();
        if fields.peek().is_some() && fields.all(|d| inner.is_compiled_from(d)) {
            Ok(())
        } else {
            Err("not the type the outer type was compiled with".into())
        }
    }

    /// Its binding id.
    pub fn id(&self) -> BindingId {
        self.id
    }
    /// Its checked layout. Unsafe code may rely on the invariants documented
    /// on [`TypeLayout`].
    pub fn layout(&self) -> &TypeLayout {
        &self.layout
    }
    /// Its witnesses.
    pub fn witnesses(&self) -> &Witnesses {
        &self.witnesses
    }
    /// An enum's witnesses, as functions (`None` for a struct).
    pub(crate) fn enum_witnesses(&self) -> Option<crate::enums::EnumWitnesses> {
        let e = self.layout.enum_info.as_ref()?;
        if e.case_of == 0 {
            return None;
        }
        use layout_meta::format::code_at;
        // SAFETY: `new`'s contract: each nonzero witness address of a
        // validated layout is a function of its documented signature
        // (`layout_meta::format::{CaseOfFn, LocateFn, WriteCaseFn}`) that
        // honours its contract, alive as long as `self`.
        unsafe {
            Some(crate::enums::EnumWitnesses {
                case_of: code_at::<layout_meta::CaseOfFn>(e.case_of),
                locate: (e.locate != 0).then(|| code_at::<layout_meta::LocateFn>(e.locate)),
                write_case: (e.write_case != 0)
                    .then(|| code_at::<layout_meta::WriteCaseFn>(e.write_case)),
            })
        }
    }
    /// Where it comes from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// The owner that keeps its library alive.
    pub fn owner(&self) -> &Arc<dyn Any + Send + Sync> {
        &self.owner
    }
}

/// Something that hands out the foreign types of one module: a loaded
/// library, or an in-process registry.
///
/// Safe to implement: binding does not trust a source to hand out the
/// right type. A type of another name than the one asked for counts as
/// missing, a type of another library than a function's
/// is refused, and a function compiled into this program binds only to
/// exactly the types it was compiled with.
pub trait TypeSource {
    /// The type called `name`, if the module has it.
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>>;
    /// The module's name, version and library.
    fn origin(&self) -> Origin;
    /// The module's name: what binding compares a view's or an API's module
    /// with. By default [`TypeSource::origin`]'s; a source that holds its
    /// origin lends the name instead of copying the whole origin.
    fn module_name(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Owned(self.origin().module)
    }
    /// The function called `name`, if the module exports it (none by
    /// default: a source of types only).
    fn function(&self, name: &str) -> Option<Arc<crate::ForeignFunction>> {
        let _ = name;
        None
    }
    /// The module's implementations of interface `name` (none by default).
    fn impls(&self, interface: &str) -> Vec<crate::ForeignImpl> {
        let _ = interface;
        Vec::new()
    }
}

/// An implementation compiled into this program: its record and the types
/// its methods were compiled with (`ExportedImpl::DESCRIPTOR`, `REFERENTS`).
struct CompiledImpl {
    record: &'static layout_meta::function::ImplDescriptor,
    referents: &'static [&'static [Option<&'static layout_meta::TypeDescriptor>]],
}

impl fmt::Debug for CompiledImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.record, f)
    }
}

/// The module rule for every binder ([`layout_meta::compat::bind_module`]):
/// `source` exports module `expected`, else the error naming the library
/// and both modules.
pub(crate) fn check_module(source: &dyn TypeSource, expected: &str) -> Result<(), crate::Error> {
    if layout_meta::compat::bind_module(expected, &source.module_name()).is_ok() {
        return Ok(());
    }
    let origin = source.origin();
    Err(crate::Error::ModuleMismatch {
        library: origin.library,
        expected: expected.into(),
        found: origin.module,
    })
}

/// The type `source` has under `name`, as binding asks for it: `None` if it
/// has none, or hands out a type named otherwise (a source is safe to
/// implement, and a view, a reference parameter or an owned result bound
/// to another type than the one its name says would size values and pass
/// them by that other type's layout).
pub(crate) fn named_type(source: &dyn TypeSource, name: &str) -> Option<Arc<ForeignType>> {
    source
        .foreign_type(name)
        .filter(|t| t.layout().name == name)
}

/// A module whose types are compiled into this program: a [`TypeSource`]
/// for in-domain use, tests and examples.
///
/// ```
/// use resilient_types::InProcess;
/// #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
/// #[resilient(pod)]
/// pub struct Point { pub x: i32, pub y: i32 }
/// let module = InProcess::new("geometry", "1.0.0").with::<Point>();
/// ```
#[derive(Debug)]
pub struct InProcess {
    origin: Origin,
    types: Vec<Arc<ForeignType>>,
    functions: Vec<Arc<crate::ForeignFunction>>,
    impls: Vec<CompiledImpl>,
    owner: Arc<dyn Any + Send + Sync>,
}

impl InProcess {
    /// An empty module.
    pub fn new(module: &str, version: &str) -> Self {
        InProcess {
            origin: Origin {
                library: "<in-process>".into(),
                module: module.into(),
                version: version.into(),
            },
            types: Vec::new(),
            functions: Vec::new(),
            impls: Vec::new(),
            owner: Arc::new(()),
        }
    }

    /// Adds the in-domain implementation of the interface whose name hashes
    /// to `H` (`layout_meta::name_hash("Shape")`) by type `T` (made by
    /// `#[layout_meta::export] impl Shape for T`); add `T` too.
    pub fn with_impl<T: layout_meta::ExportedImpl<H>, const H: u64>(mut self) -> Self {
        self.impls.push(CompiledImpl {
            record: T::DESCRIPTOR,
            referents: T::REFERENTS,
        });
        self
    }

    /// Adds the in-domain function `F` (made by `#[layout_meta::export]`).
    pub fn with_fn<F: layout_meta::ExportedFn>(mut self) -> Self {
        let f = crate::ForeignFunction::in_process_with::<F>(
            self.origin.clone(),
            Arc::clone(&self.owner),
        );
        self.functions.push(Arc::new(f));
        self
    }

    /// Adds the in-domain type `T`.
    pub fn with<T: layout_meta::Resilient>(mut self) -> Self {
        let ty = ForeignType::in_process_with::<T>(
            &self.origin.module,
            &self.origin.version,
            Arc::clone(&self.owner),
        );
        self.types.push(Arc::new(ty));
        self
    }
}

impl TypeSource for InProcess {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        self.types.iter().find(|t| t.layout().name == name).cloned()
    }
    fn origin(&self) -> Origin {
        self.origin.clone()
    }
    fn module_name(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(&self.origin.module)
    }
    fn function(&self, name: &str) -> Option<Arc<crate::ForeignFunction>> {
        self.functions
            .iter()
            .find(|f| f.layout().name == name)
            .cloned()
    }
    fn impls(&self, interface: &str) -> Vec<crate::ForeignImpl> {
        // The implementing type is the one the methods were compiled for,
        // among the types of its name (two versions of one type may be
        // listed): an implementation of a type not added is not listed.
        self.impls
            .iter()
            .filter(|c| c.record.interface() == interface)
            .filter_map(|c| {
                self.types
                    .iter()
                    .filter(|t| t.layout().name == c.record.type_name())
                    .find_map(|t| {
                        let ty = Arc::clone(t);
                        crate::ForeignImpl::in_process_of(c.record, c.referents, ty, &self.origin)
                    })
            })
            .collect()
    }
}
