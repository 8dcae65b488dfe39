//! The view-record decoder over arbitrary images: never a panic, and what
//! it decodes round-trips through the record writer.
#![no_main]

use layout_meta::needs::{check, decode_view};
use layout_meta::ModuleLayout;
use libfuzzer_sys::fuzz_target;
use resilient_fuzz::{encode_view, Input};

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let Ok(need) = decode_view(&input.memory(), input.record) else {
        return;
    };
    let _ = need.heap_bytes();
    // Checking the need against a module never panics.
    let module = ModuleLayout {
        name: need.module.clone(),
        version: "1.0.0".into(),
        types: Vec::new(),
    };
    let _ = check(&need, &module);
    let base = input.base ^ 0x5555_0000;
    let image = encode_view(&need, base);
    let mem = layout_meta::SliceMemory {
        base,
        bytes: &image,
        code: (0, 0),
    };
    assert_eq!(
        decode_view(&mem, base).expect("re-encoded view decodes"),
        need
    );
});
