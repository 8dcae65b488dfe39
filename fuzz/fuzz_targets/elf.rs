//! The offline ELF reader over arbitrary files: parsing, relocating and
//! reading the manifest and view records never panics.
//!
//! FIXME: the reader is moving to crates/offline (package
//! `resilient-offline`); repoint this target there when it lands.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use resilient_cli::elf::Image;

fuzz_target!(|data: &[u8]| {
    let Ok(image) = Image::parse(Path::new("fuzz.so"), data) else {
        return;
    };
    if let Ok(module) = image.module() {
        resilient_fuzz::assert_sound(&module);
    }
    let _ = image.views();
});
