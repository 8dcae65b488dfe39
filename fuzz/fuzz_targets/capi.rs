//! The C API (`crates/capi`, `resilient.h`) over programs of calls whose
//! arguments come from the input (views described as data, field tokens
//! made up or kept past their binding, NULL arguments), against the
//! `widget-v1` fixture library opened once: nothing crashes, panics or
//! leaks; every refusal is a status code. Input format and checks:
//! `resilient_fuzz::capi`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resilient_fuzz::capi;

fuzz_target!(|data: &[u8]| {
    capi::run(&capi::parse(data));
});
