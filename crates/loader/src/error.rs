//! The loader's error type.

use std::fmt;
use std::path::PathBuf;

/// Why a library could not be opened, bound or unloaded. Every message
/// names the library path and what is wrong.
#[non_exhaustive]
pub enum Error {
    /// No file at the path.
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// The file was refused before it was handed to the dynamic loader:
    /// not a complete ELF shared object for this machine (truncated, not
    /// ELF, another architecture, a segment past the end of the file...).
    /// The source, `resilient-offline`'s pre-flight error, names the path
    /// and the reason.
    Malformed {
        /// The path.
        path: PathBuf,
        /// What the pre-flight found (boxed: it is much larger than the
        /// other variants).
        source: Box<resilient_offline::Error>,
    },
    /// The dynamic loader refused the file (missing dependency, unresolved
    /// symbol, initialiser failure...).
    Open {
        /// The path.
        path: PathBuf,
        /// The loader's own error.
        source: libloading::Error,
    },
    /// The library exports no `resilient_manifest`.
    NoManifest {
        /// The path.
        path: PathBuf,
    },
    /// The manifest symbol resolved to another object (a dependency).
    ForeignManifest {
        /// The path.
        path: PathBuf,
        /// The object that defines it.
        object: PathBuf,
    },
    /// The metadata was refused by the validator.
    InvalidMetadata {
        /// The path.
        path: PathBuf,
        /// What the validator found.
        source: layout_meta::Error,
    },
    /// A view does not bind. The inner error names the library (its
    /// origin), so this variant carries no path of its own.
    Bind {
        /// Every mismatch (boxed: it is much larger than the other variants).
        source: Box<resilient_types::Error>,
    },
    /// Another client-side failure (a value that cannot be made, a token of
    /// another binding...), for hosts that use one error type: every
    /// `resilient_types::Error` converts into this crate's with `?`.
    Client {
        /// The client's error.
        source: Box<resilient_types::Error>,
    },
    /// An explicit unload while bindings or values still use the library.
    /// The library stays loaded until they are gone.
    InUse {
        /// The path.
        path: PathBuf,
        /// How many bindings, values and handles use it.
        users: usize,
    },
    /// No library in a registry binds the view.
    NoCompatibleVersion {
        /// The directory.
        dir: PathBuf,
        /// The module.
        module: String,
        /// Each candidate and why it was passed over.
        rejected: Vec<(PathBuf, String)>,
    },
    /// A directory, or a library file, could not be read.
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl fmt::Debug for Error {
    /// The same sentence as `Display`: what `{:?}` shows a person (a
    /// `main` returning `Result<(), Box<dyn Error>>` prints this).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound { path } => write!(f, "{}: no such file", path.display()),
            // The pre-flight's message names the path and the reason.
            Error::Malformed { source, .. } => write!(f, "{source}"),
            Error::Open { path, source } => write!(
                f,
                "{}: cannot be loaded as a shared library: {source}",
                path.display()
            ),
            Error::NoManifest { path } => write!(
                f,
                "{}: exports no `{}` symbol (not a resilient library)",
                path.display(),
                layout_meta::MANIFEST_SYMBOL
            ),
            Error::ForeignManifest { path, object } => write!(
                f,
                "{}: its `{}` symbol is defined by another object, {}",
                path.display(),
                layout_meta::MANIFEST_SYMBOL,
                object.display()
            ),
            Error::InvalidMetadata { path, source } => {
                write!(f, "{}: invalid layout metadata: {source}", path.display())
            }
            // Transparent: the inner error's sentence, and its source.
            Error::Bind { source } | Error::Client { source } => write!(f, "{source}"),
            Error::InUse { path, users } => write!(
                f,
                "{}: cannot unload, {users} binding(s), value(s) or handle(s) still use it",
                path.display()
            ),
            Error::NoCompatibleVersion {
                dir,
                module,
                rejected,
            } => {
                write!(
                    f,
                    "{}: no library of module `{module}` binds the view",
                    dir.display()
                )?;
                for (p, why) in rejected {
                    write!(f, "; {}: {why}", p.display())?;
                }
                Ok(())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

/// Every message is one whole sentence that already includes the inner
/// error's, so `source()` skips to the inner error's own source: a chain
/// printed through `source()` never repeats a sentence. The inner errors are
/// the variants' public fields, typed.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open { source, .. } => source.source(),
            // Displayed whole above: its own cause comes next.
            Error::Malformed { source, .. } => (**source).source(),
            Error::InvalidMetadata { source, .. } => source.source(),
            Error::Bind { source } | Error::Client { source } => source.source(),
            Error::Io { source, .. } => source.source(),
            _ => None,
        }
    }
}

impl From<resilient_types::Error> for Error {
    /// A bind error becomes [`Error::Bind`], any other [`Error::Client`].
    fn from(source: resilient_types::Error) -> Self {
        let source = Box::new(source);
        match *source {
            resilient_types::Error::Bind { .. } | resilient_types::Error::BindFunctions { .. } => {
                Error::Bind { source }
            }
            _ => Error::Client { source },
        }
    }
}

impl From<resilient_types::CallFailed> for Error {
    /// A failed call becomes [`Error::Client`].
    fn from(e: resilient_types::CallFailed) -> Self {
        Error::from(e.into_error())
    }
}
