//! The checked-in seed corpus (`fuzz/seeds/<target>/`): valid inputs each
//! reader accepts, so the fuzzer starts from deep inside the format.
//!
//! `cargo test --manifest-path fuzz/Cargo.toml` checks that every seed is
//! still accepted and that the generated ones are up to date;
//! `RESILIENT_WRITE_SEEDS=1` (re)writes them (the ELF seeds need `gcc`).
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout_meta::compat::Access;
use layout_meta::encode::encode;
use layout_meta::function::{abi, fn_flags, pass};
use layout_meta::needs::{decode_view, FieldNeed, ViewNeed};
use layout_meta::{
    flags, FieldLayout, FunctionLayout, Identity, ModuleLayout, ParamLayout, TypeLayout,
    WitnessAddrs,
};
use resilient_fuzz::{encode_view, input, Input};
use resilient_offline::{Expect, Image};

const BASE: usize = 0x4000_0000;
const CODE: (usize, usize) = (0x1000, 0x2000);

fn seeds(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
}

fn writing() -> bool {
    std::env::var_os("RESILIENT_WRITE_SEEDS").is_some()
}

/// Writes `bytes` as seed `name`, or checks the checked-in one equals it.
fn seed(target: &str, name: &str, bytes: &[u8]) {
    let path = seeds(target).join(name);
    if writing() {
        std::fs::create_dir_all(seeds(target)).unwrap();
        std::fs::write(&path, bytes).unwrap();
    } else {
        let found = std::fs::read(&path).unwrap_or_default();
        assert!(
            found == bytes,
            "{} is out of date: rerun with RESILIENT_WRITE_SEEDS=1",
            path.display()
        );
    }
}

fn scalar(name: &str, size: usize) -> Identity {
    Identity::Scalar {
        name: name.into(),
        size,
        align: size,
    }
}

fn array(element: Identity, count: usize) -> Identity {
    Identity::Array {
        size: element.size() * count,
        align: element.align(),
        element: Box::new(element),
        count,
    }
}

fn field(name: &str, offset: usize, identity: Identity) -> FieldLayout {
    FieldLayout {
        name: name.into(),
        offset,
        identity,
    }
}

fn ty(name: &str, flags: u32, size: usize, align: usize, fields: Vec<FieldLayout>) -> TypeLayout {
    let mut t = TypeLayout {
        name: name.into(),
        flags,
        size,
        align,
        stride: size,
        fingerprint: 0,
        fields,
        witnesses: WitnessAddrs::default(),
    };
    t.fingerprint = t.compute_fingerprint();
    t
}

fn opaque(name: &str, size: usize, align: usize) -> Identity {
    Identity::Opaque {
        name: name.into(),
        size,
        align,
    }
}

fn param(name: &str, pass: u32, identity: Identity) -> ParamLayout {
    ParamLayout {
        name: name.into(),
        pass,
        identity,
    }
}

fn function(name: &str, flags: u32, params: Vec<ParamLayout>, ret: ParamLayout) -> FunctionLayout {
    FunctionLayout {
        name: name.into(),
        abi: abi::THUNK_V1,
        flags,
        params,
        ret,
        thunk: 1, // placed in the code range by the caller
    }
}

/// Functions over `widgets()`'s types, one of every pass code.
fn functions() -> Vec<FunctionLayout> {
    let point = Identity::Resilient {
        name: "Point".into(),
        size: 8,
        align: 4,
    };
    let widget = Identity::Resilient {
        name: "Widget".into(),
        size: 64,
        align: 8,
    };
    let unit = || param("return", pass::UNIT, opaque("()", 0, 1));
    vec![
        function(
            "area",
            0,
            vec![param("p", pass::REF, point)],
            param("return", pass::VALUE, scalar("f64", 8)),
        ),
        function(
            "rename",
            0,
            vec![
                param("w", pass::MUT, widget.clone()),
                param("label", pass::STR, opaque("str", 1, 1)),
            ],
            unit(),
        ),
        function(
            "total",
            fn_flags::FALLIBLE,
            vec![
                param("xs", pass::SLICE, scalar("u16", 2)),
                param("scale", pass::OPT_REF, widget),
                param("by", pass::VALUE, array(scalar("u8", 1), 4)),
            ],
            param("return", pass::VALUE, scalar("u64", 8)),
        ),
        function("reset", 0, Vec::new(), unit()),
    ]
}

/// Two types: a clonable `Widget` with scalar, array, nested and opaque
/// fields, and the plain `Point` it nests; functions of every pass code.
fn widgets() -> ModuleLayout {
    let point = ty(
        "Point",
        flags::POD | flags::FROZEN,
        8,
        4,
        vec![
            field("x", 0, scalar("i32", 4)),
            field("y", 4, scalar("i32", 4)),
        ],
    );
    let mut widget = ty(
        "Widget",
        flags::CLONABLE | flags::SEND,
        64,
        8,
        vec![
            field("id", 0, scalar("u64", 8)),
            field("weight", 8, scalar("f32", 4)),
            field(
                "origin",
                12,
                Identity::Resilient {
                    name: "Point".into(),
                    size: 8,
                    align: 4,
                },
            ),
            field("tags", 20, array(array(scalar("u16", 2), 2), 3)),
            field(
                "handle",
                32,
                Identity::Opaque {
                    name: "Handle".into(),
                    size: 16,
                    align: 8,
                },
            ),
            field("empty", 48, array(scalar("u8", 1), 0)),
        ],
    );
    widget.witnesses.clone = 1; // placed in the code range by the caller
    widget.fingerprint = widget.compute_fingerprint();
    ModuleLayout {
        name: "widgets".into(),
        version: "1.2.0-rc.1+build.5".into(),
        types: vec![widget, point],
        functions: functions(),
    }
}

/// `m` with its witnesses and thunks at addresses from `code` on.
fn in_code(mut m: ModuleLayout, code: usize) -> ModuleLayout {
    for t in &mut m.types {
        if t.witnesses.clone != 0 {
            t.witnesses.clone = code;
        }
    }
    for (i, f) in m.functions.iter_mut().enumerate() {
        f.thunk = code + 0x10 * (i + 1);
    }
    m
}

#[test]
fn validate_seeds() {
    let empty = ModuleLayout {
        name: "empty".into(),
        version: "0.0.1".into(),
        types: Vec::new(),
        functions: Vec::new(),
    };
    let mut types_only = in_code(widgets(), CODE.0 + 0x10);
    types_only.functions.clear();
    let modules = [
        ("empty", empty, false),
        ("widgets", in_code(widgets(), CODE.0 + 0x10), false),
        // A format-1.0 manifest: the header ends before the function fields.
        ("widgets-1.0", types_only, true),
    ];
    for (name, m, v1_0) in modules {
        let mut image = encode(&m, BASE);
        if v1_0 {
            let at = resilient_fuzz::off("rsl_manifest", "header_size");
            let size = layout_meta::format::MANIFEST_V1_0_SIZE;
            image.bytes[at..at + 4].copy_from_slice(&size.to_ne_bytes());
        }
        let data = input(BASE, CODE, 0, &image.bytes);
        let parsed = Input::parse(&data).unwrap();
        let decoded = layout_meta::validate(&parsed.memory(), parsed.record).unwrap();
        assert_eq!(decoded, m);
        layout_meta::verify_code_addresses(&parsed.memory(), &decoded).unwrap();
        resilient_fuzz::assert_sound(&decoded);
        resilient_fuzz::assert_in_code(&decoded, |a| (CODE.0..CODE.1).contains(&a));
        seed("validate", name, &data);
    }
}

fn views() -> Vec<(&'static str, ViewNeed)> {
    let need = |name: &str, required, identity: Identity| FieldNeed {
        name: String::from(name),
        required,
        access: match identity {
            Identity::Resilient { .. } => Access::Nested,
            _ => Access::ByValue,
        },
        identity,
    };
    let w = widgets();
    vec![
        (
            "widget",
            ViewNeed {
                module: "widgets".into(),
                type_name: "Widget".into(),
                frozen: None,
                fields: w.types[0]
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| need(&f.name, i % 2 == 0, f.identity.clone()))
                    .collect(),
            },
        ),
        (
            "frozen-point",
            ViewNeed {
                module: "widgets".into(),
                type_name: "Point".into(),
                frozen: Some(w.types[1].fingerprint),
                fields: vec![need("x", true, scalar("i32", 4))],
            },
        ),
    ]
}

#[test]
fn decode_view_seeds() {
    for (name, view) in views() {
        let image = encode_view(&view, BASE);
        let data = input(BASE, CODE, 0, &image);
        let parsed = Input::parse(&data).unwrap();
        assert_eq!(decode_view(&parsed.memory(), parsed.record).unwrap(), view);
        seed("decode_view", name, &data);
    }
}

/// A C initialiser of `id`; array elements become statics in `out`.
fn c_identity(id: &Identity, out: &mut String, counter: &mut usize) -> String {
    let name = |s: &str| format!("{{\"{s}\", {}}}", s.len());
    let element = match id.element() {
        Some(e) => {
            let init = c_identity(e, out, counter);
            *counter += 1;
            writeln!(out, "static const rsl_type_identity id{counter} = {init};").unwrap();
            format!("&id{counter}")
        }
        None => "0".into(),
    };
    format!(
        "{{{}, 0, {}, {}, {}, {}, {element}}}",
        id.kind_code(),
        if id.name().is_empty() {
            "{0, 0}".into()
        } else {
            name(id.name())
        },
        id.size(),
        id.align(),
        id.count(),
    )
}

/// C source of a library exporting `m` (if given) and recording `views`:
/// its witnesses and thunks are a function of the library's own code
/// (never called: the ELF seeds are read, not run), and each type's C
/// symbols (`T_descriptor`, `T_size`, `T_align`, `T_<field>_offset`) say
/// what its descriptor says.
fn c_library(m: Option<&ModuleLayout>, views: &[ViewNeed]) -> String {
    let mut out = String::from(
        "#include \"resilient/layout.h\"\n\
         static void witness(void *dst, const void *src) { *(char *)dst = *(const char *)src; }\n",
    );
    let s = |s: &str| format!("{{\"{s}\", {}}}", s.len());
    let mut counter = 0;
    if let Some(m) = m {
        let mut types = Vec::new();
        for (i, t) in m.types.iter().enumerate() {
            let mut fields = Vec::new();
            for f in &t.fields {
                let id = c_identity(&f.identity, &mut out, &mut counter);
                fields.push(format!("{{{}, {}, {id}}}", s(&f.name), f.offset));
                writeln!(
                    out,
                    "const size_t {}_{}_offset = {};",
                    t.name, f.name, f.offset
                )
                .unwrap();
            }
            writeln!(
                out,
                "static const rsl_field_descriptor fields{i}[] = {{{}}};",
                fields.join(", ")
            )
            .unwrap();
            let clone = if t.witnesses.clone != 0 {
                "(rsl_clone_fn)witness"
            } else {
                "0"
            };
            writeln!(
                out,
                "const size_t {0}_size = {3};\n\
                 const size_t {0}_align = {4};\n\
                 const rsl_type_descriptor {0}_descriptor = {{{1}u, 0, {2}, {3}, {4}, {5}, {6:#x}ull, {7}, fields{i}, {{0, {clone}, 0}}}};",
                t.name,
                t.flags,
                s(&t.name),
                t.size,
                t.align,
                t.stride,
                t.fingerprint,
                t.fields.len(),
            )
            .unwrap();
            types.push(format!("&{}_descriptor", t.name));
        }
        let c_param = |p: &ParamLayout, out: &mut String, counter: &mut usize| {
            let id = c_identity(&p.identity, out, counter);
            format!("{{{}, {}, 0, {id}}}", s(&p.name), p.pass)
        };
        let mut functions = Vec::new();
        for (i, f) in m.functions.iter().enumerate() {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| c_param(p, &mut out, &mut counter))
                .collect();
            let list = if params.is_empty() {
                "0".to_owned()
            } else {
                writeln!(
                    out,
                    "static const rsl_param_descriptor params{i}[] = {{{}}};",
                    params.join(", ")
                )
                .unwrap();
                format!("params{i}")
            };
            let ret = c_param(&f.ret, &mut out, &mut counter);
            writeln!(
                out,
                "static const rsl_function_descriptor function{i} = {{{}, {}, {}, {}, {list}, {ret}, (void (*)(void))witness}};",
                s(&f.name),
                f.abi,
                f.flags,
                f.params.len(),
            )
            .unwrap();
            functions.push(format!("&function{i}"));
        }
        if functions.is_empty() {
            functions.push("0".into());
        }
        writeln!(
            out,
            "static const rsl_type_descriptor *const types[] = {{{}}};\n\
             static const rsl_function_descriptor *const functions[] = {{{}}};\n\
             const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),\n\
             sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},\n\
             {}, {}, {}, types, sizeof(rsl_function_descriptor), sizeof(rsl_param_descriptor), {}, functions}};",
            types.join(", "),
            functions.join(", "),
            s(&m.name),
            s(&m.version),
            m.types.len(),
            m.functions.len(),
        )
        .unwrap();
    }
    out.push_str(
        "typedef struct { rsl_str name; uint32_t required, access; rsl_type_identity identity; } view_field;\n\
         typedef struct { uint8_t magic[8]; uint32_t format_version, record_size, frozen, reserved;\n\
         rsl_str module, type_name; uint64_t fingerprint; size_t field_count; const view_field *fields; } view_record;\n",
    );
    for (i, v) in views.iter().enumerate() {
        let mut fields = Vec::new();
        for f in &v.fields {
            let id = c_identity(&f.identity, &mut out, &mut counter);
            fields.push(format!(
                "{{{}, {}, {}, {id}}}",
                s(&f.name),
                u32::from(f.required),
                f.access.code(),
            ));
        }
        writeln!(
            out,
            "static const view_field vfields{i}[] = {{{}}};\n\
             static const view_record view{i} = {{{{'R','S','L','N','T','V','W',0}}, 1, sizeof(view_record), {}, 0,\n\
             {}, {}, {:#x}ull, {}, vfields{i}}};\n\
             __attribute__((used, section(RSL_VIEWS_SECTION))) static const view_record *const view{i}_ptr = &view{i};",
            fields.join(", "),
            u32::from(v.frozen.is_some()),
            s(&v.module),
            s(&v.type_name),
            v.frozen.unwrap_or(0),
            v.fields.len(),
        )
        .unwrap();
    }
    out
}

fn build_c(dir: &Path, name: &str, src: &str, strip: bool) -> Vec<u8> {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).unwrap();
    let lib = dir.join(name);
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cpp/include");
    let mut cmd = Command::new("gcc");
    // No libc and one page per segment: a few kilobytes.
    cmd.args([
        "-shared",
        "-fPIC",
        "-O1",
        "-nostdlib",
        "-Wl,-z,max-page-size=4096",
        "-Wl,-z,noseparate-code",
        "-Wl,--build-id=none",
        "-I",
    ])
    .arg(include)
    .arg(&c)
    .arg("-o")
    .arg(&lib);
    if strip {
        cmd.arg("-s");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{src}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&lib).unwrap()
}

#[test]
fn elf_seeds() {
    let module = widgets();
    let views: Vec<ViewNeed> = views().into_iter().map(|v| v.1).collect();
    if writing() {
        let dir = std::env::temp_dir().join(format!("resilient-fuzz-seeds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lib = build_c(&dir, "widgets.so", &c_library(Some(&module), &views), true);
        seed("elf", "widgets.so", &lib);
        let consumer = build_c(&dir, "consumer.so", &c_library(None, &views[..1]), false);
        seed("elf", "consumer.so", &consumer);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // The compiled seeds are not reproducible byte for byte (they depend
    // on the compiler): check what they hold.
    let read = |name: &str, expect| {
        let path = seeds("elf").join(name);
        let bytes = std::fs::read(&path).unwrap();
        Image::parse(&path, &bytes, expect).unwrap()
    };
    let lib = read("widgets.so", Expect::SharedObject);
    let found = lib.module().unwrap();
    resilient_fuzz::assert_sound(&found);
    assert_eq!(found.types.len(), module.types.len());
    for (a, b) in found.types.iter().zip(&module.types) {
        assert_eq!((&a.name, a.fingerprint), (&b.name, b.fingerprint));
    }
    let names =
        |m: &ModuleLayout| -> Vec<String> { m.functions.iter().map(|f| f.to_string()).collect() };
    assert_eq!(names(&found), names(&module));
    // View records sit in writable data: a consumer binary's reading.
    let as_consumer = read("widgets.so", Expect::Binary);
    assert_eq!(as_consumer.views().unwrap().len(), views.len());
    let consumer = read("consumer.so", Expect::Binary);
    assert!(consumer.module().is_err());
    assert_eq!(consumer.views().unwrap(), views[..1]);
}
