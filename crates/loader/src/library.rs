//! One opened library: its validated module, its foreign types, and the
//! handle that keeps it loaded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use layout_meta::{ModuleLayout, MANIFEST_SYMBOL};
use resilient_types::{
    Api, Bindable, Bound, ForeignFunction, ForeignImpl, ForeignType, Origin, TypeSource, Witnesses,
};

use crate::image::{LoadedImage, LoadedSymbols};
use crate::load::{self, Opened};
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
    module: ModuleLayout,
    types: Vec<Arc<ForeignType>>,
    index: HashMap<String, usize>,
    functions: HashMap<String, Arc<ForeignFunction>>,
}

/// An opened library whose metadata has been validated.
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
            .field("module", &self.loaded.module.name)
            .field("version", &self.loaded.module.version)
            .finish_non_exhaustive()
    }
}

impl Library {
    /// Opens the library at `path`, finds and validates its manifest, and
    /// indexes its types.
    ///
    /// Before the file is handed to the dynamic loader, its ELF header and
    /// program headers are checked (`resilient_offline::preflight`): a
    /// truncated or foreign file is refused instead of being mapped. If an
    /// object already loaded under the same name maps another file (a new
    /// version installed at the path by `rename`), the file now at the path
    /// is loaded, under another name.
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
    /// [`Error::InvalidMetadata`] (corrupt metadata, format version or
    /// target mismatch, or C symbols `<P><Type>_size`, `_align`,
    /// `_<field>_offset` missing or disagreeing with the type's descriptor,
    /// or its descriptor not exported as `<P><Type>_descriptor`: the
    /// validator's error as the source, naming the type and symbol). On
    /// error the library is closed again and nothing else is touched.
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
        if path.is_dir() {
            return Err(Error::Io {
                source: std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a directory, not a library file",
                ),
                path,
            });
        }
        if !path.is_file() {
            return Err(Error::NotFound { path });
        }
        let opened = load::open(&path)?;
        // SAFETY: we take only the symbol's address (a `*const u8` that we
        // never dereference); nothing is read through the symbol here.
        let addr = match unsafe { opened.lib.get::<*const u8>(MANIFEST_SYMBOL.as_bytes()) } {
            // For a data symbol, the value libloading hands out is its address.
            Ok(sym) => *sym as usize,
            Err(_) => return Err(Error::NoManifest { path }),
        };
        // SAFETY: we read the image only below, while `opened` keeps it
        // loaded.
        let image = unsafe { LoadedImage::containing(addr) }
            .ok_or(Error::NoManifest { path: path.clone() })?;
        // The symbol must be the opened object's own, not a dependency's.
        if image.dynamic != opened.dynamic {
            return Err(Error::ForeignManifest {
                path,
                object: image.name,
            });
        }
        let invalid = |source| Error::InvalidMetadata {
            path: path.clone(),
            source,
        };
        let module = layout_meta::validate(&image, addr).map_err(invalid)?;
        layout_meta::verify_code_addresses(&image, &module).map_err(invalid)?;
        // What C readers of the library read beside the descriptors.
        let symbols = LoadedSymbols {
            lib: &opened.lib,
            image: &image,
        };
        layout_meta::verify_c_symbols(&image, &symbols, addr, &module).map_err(invalid)?;

        let handle: Arc<dyn std::any::Any + Send + Sync> = Arc::new(Handle {
            opened: Some(opened),
            policy,
        });
        let origin = Origin {
            library: path.display().to_string(),
            module: module.name.clone(),
            version: module.version.clone(),
        };
        let types: Vec<Arc<ForeignType>> = module
            .types
            .iter()
            .map(|t| {
                // SAFETY:
                // - `t` was accepted by `validate` (every invariant of
                //   `TypeLayout` holds) and describes the library's type, as
                //   its producer computed it;
                // - each nonzero witness address lies in the library's code
                //   (`verify_code_addresses`) and is, by the format's
                //   contract, a function of the documented signature;
                //   `usize` and function pointers have the same size;
                // - `handle` keeps the library loaded while the type lives.
                unsafe {
                    let w = &t.witnesses;
                    ForeignType::new(
                        t.clone(),
                        Witnesses {
                            drop: (w.drop != 0)
                                .then(|| std::mem::transmute::<usize, layout_meta::DropFn>(w.drop)),
                            clone: (w.clone != 0).then(|| {
                                std::mem::transmute::<usize, layout_meta::CloneFn>(w.clone)
                            }),
                            default_init: (w.default_init != 0).then(|| {
                                std::mem::transmute::<usize, layout_meta::DefaultInitFn>(
                                    w.default_init,
                                )
                            }),
                        },
                        origin.clone(),
                        Arc::clone(&handle),
                    )
                }
            })
            .map(Arc::new)
            .collect();
        let index = types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.layout().name.clone(), i))
            .collect();
        let functions = module
            .functions
            .iter()
            .map(|f| {
                // SAFETY:
                // - `f` was accepted by `validate` and describes the
                //   library's thunk as its producer generated it (the record
                //   and the thunk come from one `#[export]` or C++ export);
                // - its address lies in the library's code
                //   (`verify_code_addresses`); `usize` and function pointers
                //   have the same size;
                // - `handle` keeps the library loaded while it lives.
                let function = unsafe {
                    ForeignFunction::new(
                        f.clone(),
                        std::mem::transmute::<usize, layout_meta::function::ThunkFn>(f.thunk),
                        origin.clone(),
                        Arc::clone(&handle),
                    )
                };
                (f.name.clone(), Arc::new(function))
            })
            .collect();
        Ok(Library {
            loaded: Arc::new(Loaded {
                path,
                module,
                types,
                index,
                functions,
            }),
        })
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        &self.loaded.path
    }
    /// Its validated module layout.
    pub fn module(&self) -> &ModuleLayout {
        &self.loaded.module
    }
    /// Its module's semver version.
    pub fn version(&self) -> Option<semver::Version> {
        semver::Version::parse(&self.loaded.module.version).ok()
    }

    /// Binds view `V` against this library (see [`Bound::bind`]).
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] with every mismatch (type, field, expected, found).
    pub fn bind<V: Bindable>(&self) -> Result<Bound<V>, Error> {
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
            .iter()
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
fn file_path(path: &Path) -> PathBuf {
    let bare = path.components().count() == 1
        && matches!(
            path.components().next(),
            Some(std::path::Component::Normal(_))
        );
    if bare {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

impl TypeSource for Library {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        let i = *self.loaded.index.get(name)?;
        self.loaded.types.get(i).cloned()
    }
    fn origin(&self) -> Origin {
        Origin {
            library: self.loaded.path.display().to_string(),
            module: self.loaded.module.name.clone(),
            version: self.loaded.module.version.clone(),
        }
    }
    fn function(&self, name: &str) -> Option<Arc<ForeignFunction>> {
        self.loaded.functions.get(name).cloned()
    }
    fn impls(&self, interface: &str) -> Vec<ForeignImpl> {
        let origin = self.origin();
        self.loaded
            .module
            .impls_of(interface)
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
                                std::mem::transmute::<usize, layout_meta::function::ThunkFn>(
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
