//! One opened library: its validated module, its foreign types, and the
//! handle that keeps it loaded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use layout_meta::{ModuleIndex, ModuleLayout, SymbolTable as _, TypeLayout, MANIFEST_SYMBOL};
use resilient_offline::SymbolTables;
use resilient_types::{
    Api, Bindable, Bound, ForeignFunction, ForeignImpl, ForeignType, Origin, TypeSource, Witnesses,
};

use crate::image::LoadedImage;
use crate::load::{self, Opened};
use crate::types::{Checked, Manifest, Types};
use crate::Error;

/// What to do with the library once nothing uses it any more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnloadPolicy {
    /// `dlclose` it when the last handle, binding and value are gone (the
    /// default). See the crate docs for the hazards this avoids and those it
    /// cannot.
    #[default]
    WhenUnused,
    /// Never `dlclose` it: its code and data stay mapped for the life of the
    /// process. For libraries that register thread-local destructors or
    /// `atexit` handlers, or hand out pointers to their statics.
    Never,
}

/// The dynamic-loader handle. Dropped (and the library `dlclose`d, unless
/// the policy says never) only when every foreign type is gone, since each
/// holds an `Arc` of it.
struct Handle {
    opened: Option<Opened>,
    policy: UnloadPolicy,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(opened) = self.opened.take() {
            match self.policy {
                // The record of which file it maps goes first, then the
                // handle (`Opened`'s field order).
                UnloadPolicy::WhenUnused => drop(opened),
                // Never closed: the object stays, and so does the record.
                UnloadPolicy::Never => std::mem::forget(opened),
            }
        }
    }
}

struct Loaded {
    path: PathBuf,
    /// The object's image, where the types are read.
    image: LoadedImage,
    /// Where its dynamic symbol tables are.
    symbols: Option<SymbolTables>,
    /// Keeps the library loaded (as does every type and function).
    handle: Arc<dyn std::any::Any + Send + Sync>,
    origin: Arc<Origin>,
    /// The manifest, checked at open (or lent, checked by an earlier open
    /// of the same load); each type checked when asked for.
    types: Types,
    functions: HashMap<String, Arc<ForeignFunction>>,
    /// The whole module, once asked for.
    module: OnceLock<Result<ModuleLayout, layout_meta::Error>>,
}

impl Loaded {
    /// Type `i`, checked (the first time) and made callable.
    fn type_at(&self, i: usize) -> Option<&Checked> {
        self.types.get(
            i,
            |index, i| index.validate_type(&self.image, i, Some(&self.image.symbols(self.symbols))),
            // SAFETY: `validate_type` accepted the layout with the library
            // checks (its witnesses lie in the library's code), against
            // this very object: by this open, or by another open of the
            // same load whose manifest this one was lent (`load`'s module
            // docs, "What a reopen is lent"); `handle` keeps the library
            // loaded.
            |t| unsafe { foreign(t, &self.origin, &self.handle) },
        )
    }
}

/// A foreign type of the library from its checked layout.
///
/// # Safety
///
/// `t` was accepted with the library checks (its witnesses lie in the
/// library's code) from the library `owner` keeps loaded.
unsafe fn foreign(
    t: Arc<TypeLayout>,
    origin: &Arc<Origin>,
    owner: &Arc<dyn std::any::Any + Send + Sync>,
) -> ForeignType {
    let w = t.witnesses;
    // SAFETY:
    // - `t` was accepted by the validator (every invariant of `TypeLayout`
    //   holds) and describes the library's type, as its producer computed
    //   it;
    // - each nonzero witness address lies in the library's code (the
    //   caller's contract) and is, by the format's contract, a function of
    //   the documented signature; `usize` and function pointers have the
    //   same size;
    // - `owner` keeps the library loaded while the type lives.
    unsafe {
        ForeignType::with_shared_origin(
            t,
            Witnesses {
                drop: (w.drop != 0)
                    .then(|| layout_meta::format::code_at::<layout_meta::DropFn>(w.drop)),
                clone: (w.clone != 0)
                    .then(|| layout_meta::format::code_at::<layout_meta::CloneFn>(w.clone)),
                default_init: (w.default_init != 0).then(|| {
                    layout_meta::format::code_at::<layout_meta::DefaultInitFn>(w.default_init)
                }),
            },
            Arc::clone(origin),
            Arc::clone(owner),
        )
    }
}

/// An opened library whose manifest has been validated (each type is,
/// when first bound).
///
/// Cloning is cheap and shares the same load. Every binding and value made
/// from it keeps the library loaded; see [`Library::unload`].
///
/// # Thread safety
///
/// `Send + Sync`: the validated metadata is immutable, and binding takes no
/// lock.
#[derive(Clone)]
pub struct Library {
    loaded: Arc<Loaded>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("path", &self.loaded.path)
            .field("module", &self.loaded.types.index().name())
            .field("version", &self.loaded.types.index().version())
            .finish_non_exhaustive()
    }
}

impl Library {
    /// Opens the library at `path`, finds and checks its manifest (header,
    /// type names, functions and the types they refer to), and indexes its
    /// types; each other type is checked when first bound
    /// ([`Library::bind`]).
    ///
    /// Before the file is handed to the dynamic loader, its ELF header and
    /// program headers are checked (`resilient_offline::preflight`): a
    /// truncated or foreign file is refused instead of being mapped. If an
    /// object already loaded under the same name maps another file (a new
    /// version installed at the path by `rename`), the file now at the path
    /// is loaded, under another name.
    ///
    /// A library whose object a [`Library`], binding or value of this crate
    /// holds (the file at `path` being that object's), or that is opened
    /// again by the path it was first opened by with no shared object of
    /// the process unloaded since, is not checked again: the new open
    /// shares the manifest and the layouts checked in that load (the object
    /// and its read-only bytes are the same). Its types are its own.
    ///
    /// Opening runs the library's initialisers: code is trusted, metadata is
    /// not. The trust boundary is the path, which is why this function is
    /// safe (the crate docs, "Why `Library::open` is a safe function").
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Io`] (unreadable file),
    /// [`Error::Malformed`] (not a complete ELF shared object for this
    /// machine), [`Error::Open`] (refused by the dynamic loader: a missing
    /// dependency...), [`Error::NoManifest`], [`Error::ForeignManifest`],
    /// [`Error::InvalidMetadata`] (a corrupt manifest, format version or
    /// target mismatch, type names that are not valid or unique, functions
    /// or the types they refer to refused by the validator: a type's C
    /// symbols `<P><Type>_size`, `_align`, `_<field>_offset` missing or
    /// disagreeing with its descriptor, or its descriptor not exported as
    /// `<P><Type>_descriptor`; the validator's error as the source, naming
    /// the type and symbol). On error the library is closed again and
    /// nothing else is touched.
    pub fn open(path: impl AsRef<Path>) -> Result<Library, Error> {
        Self::open_with(path, UnloadPolicy::default())
    }

    /// [`Library::open`] with an explicit unload policy.
    ///
    /// # Errors
    ///
    /// As [`Library::open`].
    pub fn open_with(path: impl AsRef<Path>, policy: UnloadPolicy) -> Result<Library, Error> {
        let path = file_path(path.as_ref());
        let mut opened = load::open(&path)?;
        let image = match opened.image.take() {
            // Recorded at an earlier open of the object, loaded since.
            Some(image) => image,
            None => {
                // SAFETY: we read the image only below, while `opened` (then
                // `handle`) keeps it loaded.
                let image = unsafe { LoadedImage::with_dynamic(opened.dynamic) }
                    .ok_or(Error::NoManifest { path: path.clone() })?;
                opened._held.record_image(&image);
                image
            }
        };
        let manifest = match opened.manifest.take() {
            // Checked at an earlier open of the object, loaded since: the
            // same bytes at the same addresses.
            Some(manifest) => manifest,
            None => {
                let syms = image.symbols(opened.symbols);
                let addr = match syms.address_of(MANIFEST_SYMBOL) {
                    Some(addr) => addr,
                    None => manifest_elsewhere(&opened, &image, &path)?,
                };
                let invalid = |source| Error::InvalidMetadata {
                    path: path.clone(),
                    source,
                };
                let (index, checked) =
                    ModuleIndex::new(&image, addr, Some(&syms)).map_err(invalid)?;
                // Another open of the object may have recorded its own
                // meanwhile: all then share that one.
                opened
                    ._held
                    .record_manifest(Arc::new(Manifest::new(index, checked)))
            }
        };
        let symbols = opened.symbols;
        let handle: Arc<dyn std::any::Any + Send + Sync> = Arc::new(Handle {
            opened: Some(opened),
            policy,
        });
        let origin = Arc::new(Origin {
            library: path
                .to_str()
                .map_or_else(|| path.display().to_string(), str::to_owned),
            module: manifest.index().name().to_owned(),
            version: manifest.index().version().to_owned(),
        });
        let types = Types::new(manifest, |t| {
            // SAFETY: `ModuleIndex::new` accepted `t` with the library
            // checks, against this very object (by this open, or by an
            // open of the same load whose manifest this one was lent);
            // `handle` keeps the library loaded.
            unsafe { foreign(t, &origin, &handle) }
        });
        let functions = types
            .index()
            .functions()
            .iter()
            .map(|f| {
                // SAFETY:
                // - `f` was accepted by the validator and describes the
                //   library's thunk as its producer generated it (the record
                //   and the thunk come from one `#[export]` or C++ export);
                // - its address lies in the library's code (checked with
                //   the manifest, against this very object, as above);
                //   `usize` and function pointers have the same size;
                // - `handle` keeps the library loaded while it lives.
                let function = unsafe {
                    ForeignFunction::new(
                        f.clone(),
                        layout_meta::format::code_at::<layout_meta::function::ThunkFn>(f.thunk),
                        Origin::clone(&origin),
                        Arc::clone(&handle),
                    )
                };
                (f.name.clone(), Arc::new(function))
            })
            .collect();
        Ok(Library {
            loaded: Arc::new(Loaded {
                path,
                image,
                symbols,
                handle,
                origin,
                types,
                functions,
                module: OnceLock::new(),
            }),
        })
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        &self.loaded.path
    }
    /// Its module's name.
    pub fn name(&self) -> &str {
        self.loaded.types.index().name()
    }
    /// Its module's semver version.
    pub fn version(&self) -> Option<semver::Version> {
        semver::Version::parse(self.loaded.types.index().version()).ok()
    }
    /// Its module's version, as the library writes it.
    pub fn version_str(&self) -> &str {
        self.loaded.types.index().version()
    }
    /// How many types the module lists.
    pub fn type_count(&self) -> usize {
        self.loaded.types.index().len()
    }

    /// Its module layout, every type checked: those not bound yet are
    /// checked now (once), as [`Library::bind`] checks a type.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMetadata`] naming the first type that is not valid
    /// (in the order `resilient_offline::Image::module` checks them, so
    /// that both readers name the same one).
    pub fn module(&self) -> Result<&ModuleLayout, Error> {
        let l = &self.loaded;
        let module = l.module.get_or_init(|| l.types.module(&|i| l.type_at(i)));
        module.as_ref().map_err(|e| Error::InvalidMetadata {
            path: l.path.clone(),
            source: e.clone(),
        })
    }

    /// Binds view `V` against this library (see [`Bound::bind`]). The
    /// view's type, and the types it nests, are checked here the first
    /// time they are bound.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMetadata`] if the view's type, or a type it nests,
    /// is not valid (naming it); [`Error::Bind`] with every mismatch
    /// (type, field, expected, found).
    pub fn bind<V: Bindable>(&self) -> Result<Bound<V>, Error> {
        let l = &self.loaded;
        l.types
            .check_closure(V::TYPE_NAME, &|i| l.type_at(i))
            .map_err(|source| Error::InvalidMetadata {
                path: l.path.clone(),
                source,
            })?;
        Ok(Bound::bind(self)?)
    }

    /// Every implementation of interface `I` the library exports, each
    /// bound once (see [`resilient_types::interface!`]). The bound methods
    /// and the values made keep the library loaded.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] with every mismatch of every implementation (type,
    /// interface, method, parameter).
    pub fn implementations<I: resilient_types::Interface>(
        &self,
    ) -> Result<Vec<Arc<resilient_types::Implementation<I>>>, Error> {
        Ok(resilient_types::implementations::<I>(self)?)
    }

    /// Binds the functions API `A` declares (see [`resilient_types::api!`]):
    /// every signature checked once, here. The bound functions keep the
    /// library loaded.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] with every mismatch (function, parameter, both
    /// types).
    pub fn bind_api<A: Api>(&self) -> Result<A, Error> {
        Ok(A::bind(self)?)
    }

    /// How many bindings, values, bound functions and other handles use
    /// this library now.
    pub fn users(&self) -> usize {
        let handles = Arc::strong_count(&self.loaded) - 1;
        let bound: usize = self
            .loaded
            .types
            .made()
            .map(|t| Arc::strong_count(t) - 1)
            .sum();
        let called: usize = self
            .loaded
            .functions
            .values()
            .map(|f| Arc::strong_count(f) - 1)
            .sum();
        handles + bound + called
    }

    /// Unloads the library now, if nothing uses it.
    ///
    /// # Errors
    ///
    /// [`Error::InUse`] if bindings, values or other handles still use it:
    /// then nothing is unloaded, and the library stays loaded until the last
    /// of them is dropped (this handle is given up either way).
    pub fn unload(self) -> Result<(), Error> {
        match self.users() {
            0 => Ok(()),
            users => Err(Error::InUse {
                path: self.loaded.path.clone(),
                users,
            }),
        }
    }
}

/// A path names a file, always: `libx.so` is `./libx.so`. The dynamic
/// loader would search its library path for a name without a slash (and
/// could load another file than the one checked).
pub(crate) fn file_path(path: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    // One normal component: no `/`, not `.` or `..`.
    let bytes = path.as_os_str().as_bytes();
    let bare = !bytes.is_empty() && !bytes.contains(&b'/') && bytes != b"." && bytes != b"..";
    if bare {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

/// Where the manifest is when the object's own symbol table does not have
/// it: a dependency's (refused), or none.
fn manifest_elsewhere(opened: &Opened, image: &LoadedImage, path: &Path) -> Result<usize, Error> {
    // SAFETY: we take only the symbol's address (a `*const u8` that we
    // never dereference); nothing is read through the symbol here.
    let sym = unsafe { opened.lib.get::<*const u8>(MANIFEST_SYMBOL_C) };
    // For a data symbol, the value libloading hands out is its address.
    let Ok(addr) = sym.map(|s| *s as usize) else {
        return Err(Error::NoManifest {
            path: path.to_path_buf(),
        });
    };
    if image.is_mapped(addr) {
        // The object's own, though its table (read through its section
        // headers) does not say so: its C symbols cannot be checked either.
        return Ok(addr);
    }
    // SAFETY: only the object's name is read, while `opened` keeps the
    // library (and so its dependencies) loaded.
    let object = unsafe { LoadedImage::containing(addr) }.map(|i| i.name);
    Err(match object {
        Some(object) => Error::ForeignManifest {
            path: path.to_path_buf(),
            object,
        },
        None => Error::NoManifest {
            path: path.to_path_buf(),
        },
    })
}

/// The manifest symbol, NUL-terminated for `dlsym`.
const MANIFEST_SYMBOL_C: &[u8] = b"resilient_manifest\0";
const _: () = assert!(
    layout_meta::str_eq(MANIFEST_SYMBOL, "resilient_manifest"),
    "MANIFEST_SYMBOL_C is MANIFEST_SYMBOL"
);

impl TypeSource for Library {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        let i = self.loaded.types.index().find(name)?;
        self.loaded.type_at(i)?.as_ref().ok().cloned()
    }
    fn origin(&self) -> Origin {
        Origin::clone(&self.loaded.origin)
    }
    fn module_name(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(&self.loaded.origin.module)
    }
    fn function(&self, name: &str) -> Option<Arc<ForeignFunction>> {
        self.loaded.functions.get(name).cloned()
    }
    fn impls(&self, interface: &str) -> Vec<ForeignImpl> {
        let origin = self.origin();
        self.loaded
            .types
            .index()
            .impls()
            .iter()
            .filter(|imp| imp.interface == interface)
            .filter_map(|imp| {
                let ty = self.foreign_type(&imp.type_name)?;
                let methods = imp
                    .methods
                    .iter()
                    .map(|m| {
                        // SAFETY:
                        // - `m` was accepted by `validate` with its module
                        //   (its first parameter is the implementing type)
                        //   and describes the library's thunk;
                        // - its address lies in the library's code
                        //   (`verify_code_addresses`); `usize` and function
                        //   pointers have the same size;
                        // - the type's owner keeps the library loaded.
                        Arc::new(unsafe {
                            ForeignFunction::new(
                                m.clone(),
                                layout_meta::format::code_at::<layout_meta::function::ThunkFn>(
                                    m.thunk,
                                ),
                                origin.clone(),
                                Arc::clone(ty.owner()),
                            )
                        })
                    })
                    .collect();
                // SAFETY: `imp` was validated with the module, `ty` is the
                // module's type of its name, `methods` are its methods.
                Some(unsafe { ForeignImpl::new(imp.clone(), ty, methods) })
            })
            .collect()
    }
}
