//! Builds the C `alloca` trampoline (cpp/src/dynstack.c) that backs
//! `with_stack`. The `cc` crate picks the platform's C compiler and flags.

fn main() {
    let src = "../../cpp/src/dynstack.c";
    println!("cargo:rerun-if-changed={src}");
    cc::Build::new()
        .file(src)
        .warnings(true)
        .flag_if_supported("-std=c99")
        .compile("resilient_dynstack");
}
