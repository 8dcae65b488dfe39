//! Fixture plugin: a manifest with the right magic and version whose type
//! list points at an address no library maps. A loader that trusted it would
//! crash; ours must refuse it with a typed error.

/// Mimics the version-1 manifest header byte for byte (see docs/FORMAT.md),
/// with a hostile type-list pointer.
#[repr(C)]
pub struct FakeManifest {
    magic: [u8; 8],
    format_version: u32,
    header_size: u32,
    type_record_size: u32,
    field_record_size: u32,
    pointer_width: u8,
    endianness: u8,
    reserved: [u8; 6],
    module_name: (*const u8, usize),
    module_version: (*const u8, usize),
    type_count: usize,
    types: usize,
}

// SAFETY: immutable data; the pointers are never dereferenced by this library.
unsafe impl Sync for FakeManifest {}

/// The hostile manifest.
#[no_mangle]
#[allow(non_upper_case_globals, reason = "the documented C symbol name")]
pub static resilient_manifest: FakeManifest = FakeManifest {
    magic: *b"RSLNTMF\0",
    format_version: 1,
    header_size: 80,
    type_record_size: 96,
    field_record_size: 80,
    pointer_width: 8,
    endianness: if cfg!(target_endian = "little") { 1 } else { 2 },
    reserved: [0; 6],
    module_name: ("corrupt".as_ptr(), 7),
    module_version: ("1.0.0".as_ptr(), 5),
    type_count: 3,
    types: 0x0000_dead_beef_0000,
};
