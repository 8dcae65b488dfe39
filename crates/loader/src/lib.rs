//! # resilient-loader: open libraries, validate once, bind views
//!
//! ```no_run
//! use resilient_loader::Library;
//! use resilient_types::{view, Field, Value};
//!
//! view! {
//!     pub struct WidgetView = "widgets"::"Widget" {
//!         pub id: Field<u64>,
//!         pub weight: Field<f32>,
//!     }
//! }
//!
//! let lib = Library::open("plugins/libwidgets.so")?;  // the manifest checked here
//! let w = lib.bind::<WidgetView>()?;                  // the type and every field, here, once
//! let mut value = Value::new(&w).expect("the library can make widgets");
//! value.as_mut().set(w.id, 7);                        // base + offset, nothing else
//! assert_eq!(value.as_ref().get(w.id), 7);
//! # Ok::<(), resilient_loader::Error>(())
//! ```
//!
//! ## The trust contract
//!
//! Opening a library runs its code: ELF initialisers, C++ static
//! constructors, anything the library asked the dynamic loader to run. That
//! code is **trusted**, as with any `dlopen`. Its **file is not** until it
//! passes a pre-flight: before the dynamic loader maps it, its ELF header
//! and program headers are checked (`resilient_offline::preflight`), so a
//! truncated or foreign file is refused with [`Error::Malformed`] instead of
//! killing the process with `SIGBUS`. Its **metadata is not** trusted
//! either: the manifest and everything it points to is read through
//! bounded reads of the library's own read-only (or RELRO) segments and
//! validated before any use, so a corrupt or hostile manifest is refused
//! with [`Error::InvalidMetadata`], never a crash. Witness addresses must
//! lie in the library's code segments; what the code then does is the
//! library's business. These rules are `resilient_offline`'s (stated once
//! in `docs/FORMAT.md`, "Where metadata may live"): the offline tool
//! applies the same, so `resilient check` accepts what [`Library::open`]
//! accepts.
//!
//! Checking is split where it costs least: [`Library::open`] checks the
//! manifest (its header, every type's name, the functions and the types
//! they refer to), and each type is checked in full, by every rule, the
//! first time a view of it (or of a type nesting it) is bound; a bad type
//! is then refused by an error naming it, and no byte of it is used before.
//! [`Library::module`] checks every type (the C API does so at open).
//! An open of a load already checked shares what was checked instead of
//! checking it again: while a [`Library`], binding or value of this crate
//! holds the object (the file opened being the same), or when the object
//! is opened again by the name the dynamic loader knows it by (the path
//! it was first opened by, unless an upgrade loaded it under another) with
//! no shared object of the process unloaded since.
//!
//! What validation proves is that the metadata is **self-consistent** and
//! lies inside the library: every field inside its type, no overlap, sizes
//! and alignments that add up, witnesses where their flags say, and the C
//! symbols beside each descriptor (`Widget_size`, `Widget_align`,
//! `Widget_<field>_offset`, as `dlsym` finds them in the library itself,
//! read from its own dynamic symbol table)
//! saying what the descriptor says, so C readers and Rust readers are told
//! the same layout (`docs/FORMAT.md`, "Symbols"). It cannot
//! prove that the metadata tells the truth about the library's real types:
//! metadata that is consistent but wrong (hand-written, or stale: the
//! library's code rebuilt without it) describes memory that the library's
//! code then fills differently, with the consequences of any wrong header
//! file. So the metadata is trusted to be *true* exactly as far as the code
//! is trusted, and it can only be true by construction: `#[derive(Resilient)]`
//! and `RESILIENT_EXPORT_TYPE` take every number from the compiler, in the
//! same build as the code. Untrusted bytes get a typed error; a trusted
//! library that lies about itself is not defended against.
//!
//! ### Why `Library::open` is a safe function
//!
//! libloading's `Library::new` is `unsafe`, and so is its `get::<T>`: the
//! caller claims a type for a symbol, which nothing checks. Here nothing is
//! claimed by the caller: every type claim a host makes (a view's fields,
//! a function's signature) is checked against the library's metadata, and
//! the file and the metadata are checked before use. What is left is the
//! trust a host puts in the library's *code* when it chooses the path: the
//! same trust it puts in every crate it links, which Rust's safety model
//! does not cover either (a dependency's `unsafe` code, a program started
//! with `std::process::Command`). That trust cannot be checked by any
//! program, so an `unsafe` on every `open` would be a marker with nothing
//! for the caller to verify; the decision is recorded here instead: **the
//! trust boundary is the path.** Choose paths as you choose dependencies
//! (a directory only trusted users can write; the `Registry` reads every
//! library file of its directory, and opens the one it chooses). Everything
//! that crosses the path is checked.
//!
//! ## Lifetimes and unloading
//!
//! Every [`Library`] clone, every [`resilient_types::Bound`] binding, and
//! every value made from one holds the library loaded. [`Library::unload`]
//! while any of them lives is refused with [`Error::InUse`]: nothing is
//! unmapped under a live pointer. With the default [`UnloadPolicy`] the
//! library is `dlclose`d when the last user is gone.
//!
//! `dlclose` has hazards this cannot see:
//! - **thread-local destructors**: a library that registered TLS destructors
//!   (Rust `thread_local!` with `Drop`, C++ `thread_local` objects) must stay
//!   mapped until every thread that touched them exits. glibc keeps such a
//!   library loaded on its own (`__cxa_thread_atexit_impl` pins it), other C
//!   libraries may not;
//! - **`atexit` handlers and pointers into the library** handed out through
//!   other channels (a `&'static str` returned by a function, a callback
//!   registered elsewhere) dangle after unloading.
//!
//! Libraries like that should be opened with [`UnloadPolicy::Never`]. Also,
//! never overwrite a loaded library file in place (the mapping would change
//! under the running code): install new versions under a new name or by
//! `rename`, as [`Registry`] expects. A version installed by `rename` at
//! the path of a version still loaded is loaded as itself (the dynamic
//! loader alone would hand back the loaded one): see [`Library::open`].
//!
//! ## Platform
//!
//! Linux (ELF, glibc or musl, 64-bit): the bounded image reader uses
//! `dl_iterate_phdr`; loading a new version at the path of a loaded one
//! uses `/proc/self/fd` (and `/proc/self/maps`, once, for an object this
//! crate did not load).
//!
//! ## Cost
//!
//! Reopening a library already loaded costs one `stat` and the checks of
//! its manifest and of the types bound (a few microseconds for a module of
//! ten types); a first open adds the pre-flight's reads to what `dlopen`
//! costs. `docs/BENCHMARKS.md` ("The open path at the floor") has the
//! numbers.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod error;
mod image;
mod library;
mod load;
mod registry;
mod types;

pub use error::Error;
pub use library::{Library, UnloadPolicy};
pub use registry::{verdict_from_file, Global, Registry, Slot};
