//! Versioned plugin registries, hot upgrade, and the global one-time binding.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};
use resilient_offline::Image;
use resilient_types::{Bindable, Bound, ForeignType, Origin, TypeSource, Witnesses};

use crate::types::{Checked, Manifest, Types};
use crate::{Error, Library, UnloadPolicy};

/// A directory of plugin files, each a version of some module.
///
/// [`Registry::newest`] reads every candidate's metadata from its file
/// (`resilient_offline`: nothing is loaded, no code runs), chooses the
/// newest version whose view binds, and opens only that one: a host built
/// against 1.0 picks 1.2, and passes over 2.0 when 2.0 removed a field the
/// host uses, without ever loading 2.0. The choice from the file is the
/// loader's own verdict: the same checks of the manifest and of each type
/// the view binds ([`layout_meta::ModuleIndex`]), the same binder; what a
/// file cannot say (a missing dependency) shows when the chosen library is
/// opened, and then the next newest is tried.
///
/// The library opened follows the registry's [`UnloadPolicy`] (by default
/// [`UnloadPolicy::WhenUnused`]). Plugins that must never be unloaded (see
/// the crate docs) call for [`Registry::with_policy`].
#[derive(Debug)]
pub struct Registry {
    dir: PathBuf,
    policy: UnloadPolicy,
}

impl Registry {
    /// A registry over the shared libraries in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Registry {
            dir: dir.into(),
            policy: UnloadPolicy::default(),
        }
    }

    /// The same registry, opening libraries with `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: UnloadPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The unload policy libraries are opened with.
    pub fn policy(&self) -> UnloadPolicy {
        self.policy
    }

    fn candidates(&self) -> Result<Vec<PathBuf>, Error> {
        let io = |source| Error::Io {
            path: self.dir.clone(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let is_lib = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(std::env::consts::DLL_SUFFIX));
            if is_lib && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    /// Binds `V` against the newest version in the directory that accepts
    /// it (semver order of the module versions; libraries of other modules
    /// are skipped), opening only that library (see the type docs).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory cannot be read;
    /// [`Error::NoCompatibleVersion`] listing every candidate and why it was
    /// passed over (the error opening and binding it would give).
    pub fn newest<V: Bindable>(&self) -> Result<Bound<V>, Error> {
        let mut rejected = Vec::new();
        let mut fits: Vec<(semver::Version, PathBuf)> = Vec::new();
        for path in self.candidates()? {
            match verdict_from_file::<V>(&path) {
                Ok(version) => match semver::Version::parse(&version) {
                    Ok(v) => fits.push((v, path)),
                    Err(_) => rejected.push((path, "version is not semver".into())),
                },
                Err(e) => rejected.push((path, e.to_string())),
            }
        }
        fits.sort_by(|a, b| b.0.cmp(&a.0));
        for (_, path) in fits {
            match Library::open_with(&path, self.policy).and_then(|lib| lib.bind::<V>()) {
                Ok(bound) => return Ok(bound),
                Err(e) => rejected.push((path, e.to_string())),
            }
        }
        Err(Error::NoCompatibleVersion {
            dir: self.dir.clone(),
            module: V::MODULE.into(),
            rejected,
        })
    }
}

/// Whether view `V` binds the library file at `path`, read offline
/// (`resilient_offline`: nothing is loaded, no code runs): the module's
/// version if it does.
///
/// This is the verdict of [`Library::open`] then [`Library::bind`] as far
/// as the file can tell: the same pre-flight, the same checks of the
/// manifest and of the types the view binds (in the same order), the same
/// binder, and the same error, word for word (but for addresses: the
/// file's are link-time addresses). What only loading can tell
/// differs: a dependency that is missing, or that defines the manifest
/// (the loader then says [`Error::Open`] or [`Error::ForeignManifest`],
/// the file [`Error::NoManifest`]).
///
/// # Errors
///
/// The error opening and binding the library would give.
pub fn verdict_from_file<V: Bindable>(path: &Path) -> Result<String, Error> {
    let path = crate::library::file_path(path);
    // `read_library` checks what the path names before opening it, by the
    // rule the loader applies (`resilient_offline::library_file`).
    let offline = |e| crate::load::offline_error(&path, e);
    let image = Image::read_library(&path).map_err(offline)?;
    let (index, checked) = image.index().map_err(offline)?;
    let version = index.version().to_owned();
    let file = FileTypes::new(&path, &image, index, checked);
    file.types
        .check_closure(V::TYPE_NAME, &|i| file.type_at(i))
        .map_err(|source| Error::InvalidMetadata {
            path: path.clone(),
            source,
        })?;
    Bound::<V>::bind(&file)?;
    Ok(version)
}

/// A library file's types, read offline, for the binder: checked as the
/// loader checks them, with no witnesses (nothing is ever made of them).
struct FileTypes<'a> {
    image: &'a Image,
    origin: Origin,
    owner: Arc<dyn std::any::Any + Send + Sync>,
    types: Types,
}

impl<'a> FileTypes<'a> {
    fn new(
        path: &Path,
        image: &'a Image,
        index: layout_meta::ModuleIndex,
        checked: Vec<(usize, layout_meta::TypeLayout)>,
    ) -> Self {
        let origin = Origin {
            library: path.display().to_string(),
            module: index.name().to_owned(),
            version: index.version().to_owned(),
        };
        let owner: Arc<dyn std::any::Any + Send + Sync> = Arc::new(());
        let types = Types::new(Arc::new(Manifest::new(index, checked)), |t| {
            witnessless(t, &origin, &owner)
        });
        FileTypes {
            image,
            origin,
            owner,
            types,
        }
    }

    fn type_at(&self, i: usize) -> Option<&Checked> {
        self.types.get(
            i,
            |index, i| index.validate_type(self.image, i, Some(&self.image.symbols())),
            |t| witnessless(t, &self.origin, &self.owner),
        )
    }
}

/// A type of a file read offline, for a verdict: its checked layout and no
/// witnesses.
fn witnessless(
    t: Arc<layout_meta::TypeLayout>,
    origin: &Origin,
    owner: &Arc<dyn std::any::Any + Send + Sync>,
) -> ForeignType {
    // SAFETY:
    // - `t` was accepted by the validator, with the library checks, from
    //   the file: it is the layout the loaded library's type has;
    // - no witness is present, so nothing calls into the file (which is
    //   not loaded), and no value of the type can be made through it;
    // - the type refers to no memory of the file: `owner` keeps nothing.
    unsafe {
        ForeignType::new(
            t,
            Witnesses {
                drop: None,
                clone: None,
                default_init: None,
            },
            origin.clone(),
            Arc::clone(owner),
        )
    }
}

impl TypeSource for FileTypes<'_> {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        let i = self.types.index().find(name)?;
        self.type_at(i)?.as_ref().ok().cloned()
    }
    fn origin(&self) -> Origin {
        self.origin.clone()
    }
}

/// The current binding of a view, swappable while the host runs.
///
/// Readers take the current binding with [`Slot::current`] (a read lock and
/// an `Arc` clone, once per batch of work, never per field access) and then
/// use its tokens lock-free. [`Slot::upgrade`] swaps in a newer library: new
/// readers get it, and everything made from the old binding (values, other
/// clones) keeps the old library loaded until dropped.
pub struct Slot<V: Bindable> {
    current: RwLock<Bound<V>>,
}

impl<V: Bindable> Slot<V> {
    /// A slot holding `bound`.
    pub fn new(bound: Bound<V>) -> Self {
        Slot {
            current: RwLock::new(bound),
        }
    }

    /// The current binding.
    pub fn current(&self) -> Bound<V> {
        self.current.read().clone()
    }

    /// Replaces the binding; returns the previous one.
    pub fn replace(&self, bound: Bound<V>) -> Bound<V> {
        std::mem::replace(&mut *self.current.write(), bound)
    }

    /// Opens `path`, binds `V` and swaps it in.
    ///
    /// # Errors
    ///
    /// Any error of [`Library::open`] or [`Library::bind`]; the current
    /// binding is then left as it was.
    pub fn upgrade(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.upgrade_with(path, UnloadPolicy::default())
    }

    /// [`Slot::upgrade`], opening the library with `policy`.
    ///
    /// # Errors
    ///
    /// As [`Slot::upgrade`].
    pub fn upgrade_with(&self, path: impl AsRef<Path>, policy: UnloadPolicy) -> Result<(), Error> {
        let bound = Library::open_with(path, policy)?.bind::<V>()?;
        self.replace(bound);
        Ok(())
    }

    /// Swaps in the newest compatible version from `registry`.
    ///
    /// # Errors
    ///
    /// As [`Registry::newest`]; the current binding is then left as it was.
    pub fn upgrade_from(&self, registry: &Registry) -> Result<(), Error> {
        self.replace(registry.newest::<V>()?);
        Ok(())
    }
}

/// A binding made once for the whole process: the common single-plugin
/// case.
///
/// ```no_run
/// # use resilient_types::{view, Field};
/// # view! { pub struct WidgetView = "widgets"::"Widget" { pub id: Field<u64> } }
/// use resilient_loader::Global;
/// static WIDGETS: Global<WidgetView> = Global::new();
///
/// let w = WIDGETS.init("plugins/libwidgets.so")?;   // opens and binds once
/// let again = WIDGETS.get().expect("bound above");  // lock-free afterwards
/// # Ok::<(), resilient_loader::Error>(())
/// ```
pub struct Global<V: Bindable> {
    cell: OnceLock<Bound<V>>,
    init: Mutex<()>,
}

impl<V: Bindable> Default for Global<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Bindable> Global<V> {
    /// An empty global binding.
    pub const fn new() -> Self {
        Global {
            cell: OnceLock::new(),
            init: Mutex::new(()),
        }
    }

    /// Opens `path` and binds `V`, the first time; later calls return the
    /// first binding (whatever path they name).
    ///
    /// # Errors
    ///
    /// As [`Library::open`] and [`Library::bind`]; a failed first call
    /// leaves the global empty, so it can be tried again.
    pub fn init(&self, path: impl AsRef<Path>) -> Result<&Bound<V>, Error> {
        self.init_with(path, UnloadPolicy::default())
    }

    /// [`Global::init`], opening the library with `policy`.
    ///
    /// # Errors
    ///
    /// As [`Global::init`].
    pub fn init_with(
        &self,
        path: impl AsRef<Path>,
        policy: UnloadPolicy,
    ) -> Result<&Bound<V>, Error> {
        if let Some(b) = self.cell.get() {
            return Ok(b);
        }
        let _guard = self.init.lock();
        if let Some(b) = self.cell.get() {
            return Ok(b);
        }
        let bound = Library::open_with(path, policy)?.bind::<V>()?;
        Ok(self.cell.get_or_init(|| bound))
    }

    /// The binding, once [`Global::init`] succeeded.
    pub fn get(&self) -> Option<&Bound<V>> {
        self.cell.get()
    }
}
