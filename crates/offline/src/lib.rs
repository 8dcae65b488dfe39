//! # resilient-offline: a library's metadata from its file
//!
//! Reads a shared library **file** (it never loads or runs it) and yields
//! its validated [`layout_meta::ModuleLayout`], and a consumer binary's
//! recorded views ([`layout_meta::needs::ViewNeed`]). It is also the one
//! home of the rules for **where metadata may live**, which the loader
//! (`resilient-loader`) applies through the same functions, so that what
//! `resilient check` accepts is what `Library::open` accepts:
//!
//! 1. **The file** is a complete ELF shared object for this machine: ELF64,
//!    this machine's byte order and `e_machine`, `ET_DYN`, every program
//!    header and every segment's file bytes inside the file, the section
//!    header table too, loadable segments in address order without
//!    overlap ([`Headers::parse`]). The loader checks this before handing
//!    the file to the dynamic loader ([`preflight`]): a truncated library
//!    would otherwise be mapped past its end and kill the process with
//!    `SIGBUS`.
//! 2. **The manifest** is `resilient_manifest`, a dynamic symbol that
//!    `dlsym` finds in the object itself: defined in it, global or weak,
//!    default or protected visibility, not a hidden symbol version. A
//!    definition in a dependency does not count (the loader refuses it as
//!    a foreign manifest).
//! 3. **Readable** are the loadable segments that are readable and not
//!    writable, and the `PT_GNU_RELRO` parts of writable ones: bytes that
//!    are read-only once relocations are applied ([`Regions::of`]). Every
//!    record, name and array the manifest points to must lie there.
//! 4. **Code** is the executable loadable segments: every witness address
//!    must lie there.
//! 5. **C symbols** are the object's own dynamic symbols, read by one
//!    reader for both ([`DynamicSymbols`], from the tables the section
//!    headers locate): a type's record is named by the first symbol defined
//!    exactly at its address (as `dladdr` names it), and its `_size`,
//!    `_align` and `_<field>_offset` symbols are those found by name
//!    through the hash table as glibc's `dlsym` walks it, in the object
//!    itself (the manifest's rule 2; a dependency's definition does not
//!    count). What they must hold is `layout_meta::verify_c_symbols`'s
//!    rule, applied by both readers.
//!
//! Offline, segments sit at their link-time addresses, and the dynamic
//! relocations that metadata pointers use (relative, absolute and GOT
//! entries to symbols this file defines) are applied, as the dynamic loader
//! would at load bias 0.
//!
//! ```no_run
//! use std::path::Path;
//! use resilient_offline::Image;
//!
//! let module = Image::read_library(Path::new("plugins/libwidgets.so"))?.module()?;
//! println!("{} {}", module.name, module.version);
//! # Ok::<(), resilient_offline::Error>(())
//! ```
//!
//! ## Where the two readers can still differ
//!
//! Only in what a file alone cannot say: a library whose dependencies are
//! missing passes offline and fails to load; a metadata pointer bound
//! through a symbol that another loaded object interposes reads that
//! object in the process; the offline reader finds symbols and
//! relocations through the section headers, the dynamic loader through
//! the dynamic segment (every linker writes both consistently).
//!
//! ## Bounds
//!
//! Nothing here panics on hostile bytes, and memory is bounded by
//! [`limits`]: a library is never read whole, only its headers, dynamic
//! symbols, relocations and readable regions.
#![forbid(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod elf;
mod error;
mod image;
pub mod regions;
pub mod symbols;

pub use elf::{
    library_file, open_library_file, preflight, Expect, FileId, Headers, Preflight, ProgramHeader,
};
pub use error::Error;
pub use image::Image;
pub use regions::{Region, Regions};
pub use symbols::{DynamicSymbols, SymbolTables};

/// The limits of this reader, and of the loader's pre-flight.
pub mod limits {
    /// Program headers in a file (real libraries have about a dozen).
    pub const MAX_PROGRAM_HEADERS: usize = 1024;
    /// Loadable segments in a file (real libraries have four to six).
    pub const MAX_SEGMENTS: usize = 64;
    /// Bytes where metadata may live (read-only segments and RELRO parts)
    /// in a library: the loader refuses more too, so that the two readers
    /// accept the same files.
    pub const MAX_READABLE_BYTES: usize = 1 << 30;
    /// Bytes of readable segments the offline reader lays out in memory
    /// for one file (a consumer binary's writable data included).
    pub const MAX_IMAGE_BYTES: usize = 1 << 30;
    /// View records in a consumer binary.
    pub const MAX_VIEWS: usize = 4096;
}
