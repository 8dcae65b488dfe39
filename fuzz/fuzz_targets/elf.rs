//! The offline ELF reader (`resilient_offline::Image`) over arbitrary
//! files, read both as a shared library and as a consumer binary: parsing,
//! relocating, validating the manifest (C symbols and code addresses
//! included) and decoding view records never panics; an accepted module
//! keeps every promise, and the views it carries bind, or not, by the rule.
#![no_main]

use std::path::Path;

use layout_meta::compat::bind_view;
use layout_meta::Memory;
use libfuzzer_sys::fuzz_target;
use resilient_fuzz::{assert_in_code, assert_placement, assert_sound};
use resilient_offline::{Expect, Image};

fuzz_target!(|data: &[u8]| {
    for expect in [Expect::SharedObject, Expect::Binary] {
        let Ok(image) = Image::parse(Path::new("fuzz.so"), data, expect) else {
            continue;
        };
        let module = image.module().ok();
        if let Some(m) = &module {
            assert_sound(m);
            assert_in_code(m, |a| image.is_code(a));
        }
        let Ok(views) = image.views() else {
            continue;
        };
        if let Some(m) = &module {
            for need in &views {
                if let Ok(placement) = bind_view(need, m) {
                    assert_placement(need, m, &placement);
                }
            }
        }
    }
});
