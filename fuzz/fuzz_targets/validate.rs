//! The manifest validator over arbitrary images: never a panic, and what it
//! accepts keeps every promise (functions included) and round-trips through
//! the encoder.
#![no_main]

use layout_meta::compat::bind_function;
use layout_meta::{encode::encode, validate, verify_code_addresses, Memory};
use libfuzzer_sys::fuzz_target;
use resilient_fuzz::{assert_in_code, assert_sound, Input};

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let mem = input.memory();
    let Ok(module) = validate(&mem, input.record) else {
        return;
    };
    assert_sound(&module);
    let addresses = verify_code_addresses(&mem, &module);
    if addresses.is_ok() {
        assert_in_code(&module, |a| mem.is_code(a));
    }
    // Every accepted function binds to itself by the function rule, and
    // prints.
    for f in &module.functions {
        let _ = f.to_string();
        assert_eq!(bind_function(f, true, Some(f)), Ok(Some(f)));
    }
    // What was accepted reads back the same from a fresh image.
    let base = input.base ^ 0x5555_0000;
    let image = encode(&module, base);
    let again = validate(&image.memory(input.code), base).expect("re-encoded module is valid");
    assert_eq!(again, module);
    assert_eq!(
        verify_code_addresses(&image.memory(input.code), &again),
        addresses
    );
});
