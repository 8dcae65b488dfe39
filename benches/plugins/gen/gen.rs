//! Writes `$OUT_DIR/types.rs`: `n` exported types of 8 fields each, of
//! mixed scalar types, and the module manifest.

use std::fmt::Write as _;

pub fn write(n: usize) {
    let mut s = String::new();
    let types = ["u64", "u32", "f64", "u16", "i32", "u8", "f32", "i64"];
    for i in 0..n {
        let _ = writeln!(
            s,
            "/// Generated type {i}.\n#[derive(layout_meta::Resilient)]\npub struct T{i} {{"
        );
        for (j, t) in types.iter().enumerate() {
            let _ = writeln!(s, "    /// Field {j}.\n    pub f{j}: {t},");
        }
        s.push_str("}\n");
    }
    let list: Vec<String> = (0..n).map(|i| format!("T{i}")).collect();
    let _ = writeln!(
        s,
        "layout_meta::export_module! {{ name: \"generated{n}\", version: \"1.0.0\", types: [{}] }}",
        list.join(", ")
    );
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{out}/types.rs"), s).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=../gen/gen.rs");
}
