//! Fixture plugin: a perfectly good shared library that exports no layout
//! manifest at all.

/// Something to export.
#[no_mangle]
pub extern "C" fn answer() -> i32 {
    42
}
