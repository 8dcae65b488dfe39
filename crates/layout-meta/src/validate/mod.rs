//! The validator: untrusted metadata in, a checked [`ModuleLayout`] or a typed
//! [`Error`] out. It never panics and never dereferences a pointer it read:
//! every byte comes through a [`Memory`], which answers `None` for anything
//! outside the image, so hostile pointers become errors, not crashes.
//!
//! It runs in two steps, both public: [`decode`] turns the records into an
//! owned, unchecked layout (only bounds, counts, names and kinds are checked,
//! so that decoding itself is safe), and [`verify`] proves every invariant
//! [`TypeLayout`] promises. [`validate`] is both.

mod decode;
mod error;
mod index;
mod symbols;
mod verify;

pub use decode::{decode, type_record_addresses, validate};
pub(crate) use decode::{decode_identity_at, decode_param, read_name_at, record, Record};
pub use error::Error;
pub(crate) use error::Result;
pub use index::{validate_library, LibrarySymbols, ModuleIndex};
pub use symbols::{verify_c_symbols, SymbolTable};
pub(crate) use verify::is_semver;
pub use verify::{verify, verify_code_addresses};

/// Memory that holds a library's metadata: a loaded image, or a file read
/// offline with its relocations applied.
pub trait Memory {
    /// The bytes at `[addr, addr + len)`, or `None` if any of them is not
    /// readable memory of the image (or the range overflows).
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]>;
    /// Whether `addr` lies in the image's executable code.
    fn is_code(&self, addr: usize) -> bool;
}

/// A byte slice placed at a base address: the simplest [`Memory`], used by
/// tests, the encoder and offline tools.
#[derive(Clone, Copy, Debug)]
pub struct SliceMemory<'a> {
    /// Address of `bytes[0]`.
    pub base: usize,
    /// The image.
    pub bytes: &'a [u8],
    /// Addresses in `[code.0, code.1)` count as code.
    pub code: (usize, usize),
}

impl Memory for SliceMemory<'_> {
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
        let start = addr.checked_sub(self.base)?;
        let end = start.checked_add(len)?;
        self.bytes.get(start..end)
    }
    fn is_code(&self, addr: usize) -> bool {
        (self.code.0..self.code.1).contains(&addr)
    }
}
