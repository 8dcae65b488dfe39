//! The manifest validator over arbitrary images: never a panic, and what it
//! accepts keeps every promise and round-trips through the encoder.
#![no_main]

use layout_meta::{check_witness_addresses, encode::encode, validate};
use libfuzzer_sys::fuzz_target;
use resilient_fuzz::{assert_sound, Input};

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let mem = input.memory();
    let Ok(module) = validate(&mem, input.record) else {
        return;
    };
    assert_sound(&module);
    let addresses = check_witness_addresses(&mem, &module);
    // What was accepted reads back the same from a fresh image.
    let base = input.base ^ 0x5555_0000;
    let image = encode(&module, base);
    let again = validate(&image.memory(input.code), base).expect("re-encoded module is valid");
    assert_eq!(again, module);
    assert_eq!(
        check_witness_addresses(&image.memory(input.code), &again),
        addresses
    );
});
