//! Versioned plugin registries, hot upgrade, and the global one-time binding.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use parking_lot::{Mutex, RwLock};
use resilient_types::{Bindable, Bound};

use crate::{Error, Library, UnloadPolicy};

/// A directory of plugin files, each a version of some module.
///
/// [`Registry::newest`] opens every candidate (running its initialisers) and
/// binds the view against the newest version that accepts it, so a host
/// built against 1.0 picks 1.2 when it binds, and passes over 2.0 when 2.0
/// removed a field the host uses.
///
/// Every library it opens, the one chosen and those passed over, follows
/// the registry's [`UnloadPolicy`] (by default [`UnloadPolicy::WhenUnused`]:
/// the ones passed over are closed again at once). Plugins that must never
/// be unloaded (see the crate docs) call for [`Registry::with_policy`].
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
    /// are skipped).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory cannot be read;
    /// [`Error::NoCompatibleVersion`] listing every candidate and why it was
    /// passed over.
    pub fn newest<V: Bindable>(&self) -> Result<Bound<V>, Error> {
        let mut rejected = Vec::new();
        let mut libs: Vec<(semver::Version, Library)> = Vec::new();
        for path in self.candidates()? {
            match Library::open_with(&path, self.policy) {
                Ok(lib) if lib.module().name != V::MODULE => rejected.push((
                    path,
                    format!("module `{}`, not `{}`", lib.module().name, V::MODULE),
                )),
                Ok(lib) => match lib.version() {
                    Some(v) => libs.push((v, lib)),
                    None => rejected.push((path, "version is not semver".into())),
                },
                Err(e) => rejected.push((path, e.to_string())),
            }
        }
        libs.sort_by(|a, b| b.0.cmp(&a.0));
        for (_, lib) in libs {
            match lib.bind::<V>() {
                Ok(bound) => return Ok(bound),
                Err(e) => rejected.push((lib.path().to_path_buf(), e.to_string())),
            }
        }
        Err(Error::NoCompatibleVersion {
            dir: self.dir.clone(),
            module: V::MODULE.into(),
            rejected,
        })
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
