//! Builds the C `alloca` trampoline (`c/dynstack.c`, inside this crate so
//! that it is packaged with it) that backs `with_stack`. The `cc` crate
//! picks the platform's C compiler and flags.

fn main() {
    let src = "c/dynstack.c";
    println!("cargo:rerun-if-changed={src}");
    cc::Build::new()
        .file(src)
        .warnings(true)
        .flag_if_supported("-std=c99")
        // Probe the stack while `alloca` grows it (the C file also probes
        // by hand, for compilers without the flag).
        .flag_if_supported("-fstack-clash-protection")
        .compile("resilient_dynstack");
}
