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
use layout_meta::needs::{decode_enum_view, decode_view, CaseNeed, EnumNeed, FieldNeed, ViewNeed};
use layout_meta::{
    flags, CaseLayout, EnumLayout, FieldLayout, FunctionLayout, Identity, ModuleLayout,
    ParamLayout, TypeLayout, WitnessAddrs,
};
use resilient_fuzz::capi::{Expect as Described, Node, Op, Reached, Str};
use resilient_fuzz::{encode_enum_view, encode_view, input, Input};
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
        name: Identity::scalar_name(name),
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
        accessors: Vec::new(),
        enum_info: None,
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
        abi: abi::THUNK_V2,
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
        impls: Vec::new(),
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
        impls: Vec::new(),
    };
    let mut types_only = in_code(widgets(), CODE.0 + 0x10);
    types_only.functions.clear();
    // Enums (format 1.2): a plain `repr(u8)` one and one read through its
    // witnesses, both with payloads.
    let mut with_enums = in_code(widgets(), CODE.0 + 0x10);
    with_enums
        .types
        .push(enum_type("Status", true, CODE.0 + 0x40));
    with_enums
        .types
        .push(enum_type("Shape", false, CODE.0 + 0x50));
    // Accessor and computed fields (format 1.3): text, optional text,
    // elements and a computed `u32`.
    let mut with_accessors = in_code(widgets(), CODE.0 + 0x10);
    with_accessors.types.push(profile_type(CODE.0 + 0x60));
    let modules = [
        ("empty", empty, false),
        ("enums", with_enums, false),
        ("accessors", with_accessors, false),
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

/// A struct with one stored field and four accessor fields whose
/// functions are at `code` and after.
fn profile_type(code: usize) -> TypeLayout {
    use layout_meta::accessor::{accessor_flags, shape};
    let accessor = |name: &str, shape, flags, identity, at: usize| layout_meta::AccessorLayout {
        name: name.into(),
        shape,
        flags,
        identity,
        get: code + at,
        set: code + at + 2,
    };
    let mut t = ty("Profile", 0, 8, 8, vec![field("id", 0, scalar("u64", 8))]);
    t.accessors = vec![
        accessor("name", shape::STR, 0, opaque("str", 1, 1), 0),
        accessor(
            "nick",
            shape::STR,
            accessor_flags::OPTIONAL,
            opaque("str", 1, 1),
            4,
        ),
        accessor("tags", shape::SLICE, 0, scalar("u32", 4), 8),
        accessor("score", shape::VALUE, 0, scalar("u32", 4), 12),
    ];
    t
}

/// An enum of three cases (a unit one, one with a `u32`, one with a `u64`
/// and a `bool`): `plain` lays it out as `repr(u8)` would (tag at 0,
/// payload offsets), else its payloads are reached through `locate`;
/// witnesses at `code` and after.
fn enum_type(name: &str, plain: bool, code: usize) -> TypeLayout {
    let at = |offset: usize| if plain { offset } else { 0 };
    let cases = vec![
        CaseLayout {
            name: "Idle".into(),
            tag: 0,
            fields: Vec::new(),
        },
        CaseLayout {
            name: "Busy".into(),
            tag: if plain { 1 } else { 0 },
            fields: vec![field("jobs", at(4), scalar("u32", 4))],
        },
        CaseLayout {
            name: "Failed".into(),
            tag: if plain { 7 } else { 0 },
            fields: vec![
                field("code", at(8), scalar("u64", 8)),
                field("fatal", at(16), scalar("bool", 1)),
            ],
        },
    ];
    let mut t = TypeLayout {
        name: name.into(),
        flags: flags::ENUM | flags::NEEDS_DROP,
        size: 24,
        align: 8,
        stride: 24,
        fingerprint: 0,
        fields: Vec::new(),
        witnesses: WitnessAddrs {
            drop: code,
            ..WitnessAddrs::default()
        },
        accessors: Vec::new(),
        enum_info: Some(EnumLayout {
            tag: plain.then_some((0, 1)),
            payload_plain: plain,
            cases,
            case_of: code + 4,
            locate: if plain { 0 } else { code + 8 },
            write_case: code + 12,
        }),
    };
    t.fingerprint = t.compute_fingerprint();
    t
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

/// Enum views of the fixture's `Status`: an open one and a frozen one.
fn enum_views() -> Vec<(&'static str, EnumNeed)> {
    let payload = |name: &str, identity: Identity| FieldNeed {
        name: String::from(name),
        required: true,
        access: Access::ByValue,
        identity,
    };
    let status = |frozen| EnumNeed {
        module: "widgets".into(),
        type_name: "Status".into(),
        frozen,
        cases: vec![
            CaseNeed {
                name: "Idle".into(),
                fields: Vec::new(),
            },
            CaseNeed {
                name: "Busy".into(),
                fields: vec![payload("jobs", scalar("u32", 4))],
            },
            CaseNeed {
                name: "Failed".into(),
                fields: vec![payload("0", scalar("i64", 8))],
            },
        ],
    };
    vec![
        ("enum-status", status(None)),
        ("enum-frozen-status", status(Some(0x0123_4567_89ab_cdef))),
    ]
}

#[test]
fn decode_view_seeds() {
    for (name, view) in enum_views() {
        let image = encode_enum_view(&view, BASE);
        let data = input(BASE, CODE, 0, &image);
        let parsed = Input::parse(&data).unwrap();
        assert_eq!(
            decode_enum_view(&parsed.memory(), parsed.record).unwrap(),
            view
        );
        seed("decode_view", name, &data);
    }
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

/// A `capi` seed: its name, its program, and a check of what it reached.
type Program = (&'static str, Vec<Op>, fn(&Reached));

/// Seeds of the `capi` target: programs of C API calls against the
/// fixture, each checked to still reach what it was written for.
fn capi_programs() -> Vec<Program> {
    let s = Str::of;
    let known = |view, which, required| Op::AddKnown {
        view,
        which,
        required,
    };
    let get = |value, token, size| Op::ValueGet { value, token, size };
    let set = |value, token, bytes: &[u8]| Op::ValueSet {
        value,
        token,
        bytes: bytes.to_vec(),
    };
    let forge = |binding_kind, offset_kind, token, index| Op::Forge {
        binding_kind,
        binding: 0,
        offset_kind,
        token,
        index,
        raw: 0,
        offset: 0,
    };
    let widget_view = |view| {
        let mut ops = vec![Op::ViewNew {
            module: s("widgets"),
            ty: s("Widget"),
        }];
        // id, weight, flags, tags, origin (nested), active; label (absent).
        ops.extend((0..6).map(|w| known(view, w, true)));
        ops.push(known(view, 8, false));
        ops
    };
    let mut widget = widget_view(0);
    // Tokens 0..6: id, weight, flags, tags, origin, active.
    widget.extend([
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::ValueNew { bound: 0 },
        get(0, 0, 8),
        set(0, 0, &42u64.to_le_bytes()),
        get(0, 1, 4),
        set(0, 1, &2.5f32.to_le_bytes()),
        set(0, 2, &7u16.to_le_bytes()),
        set(0, 3, b"abcd"),
        get(0, 4, 8),       // nested: not by value
        set(0, 5, &[1]),    // a bool
        set(0, 5, &[2]),    // not a bool: refused
        set(0, 0, &[1, 2]), // wrong size
        Op::ValueClone { value: 0 },
        get(1, 0, 8),
        Op::InitAt {
            bound: 0,
            offset: 0,
            size: 4096,
        },
        Op::InitAt {
            bound: 0,
            offset: 1, // misaligned
            size: 4096,
        },
        Op::InitAt {
            bound: 0,
            offset: 0,
            size: 1, // too small
        },
        Op::CloneAt {
            bound: 0,
            from_room: false,
            src: 0,
            offset: 8,
            size: 4096,
        },
        Op::BoundGet {
            bound: 0,
            in_room: true,
            target: 0,
            token: 0,
            size: 8,
        },
        Op::BoundSet {
            bound: 0,
            in_room: true,
            target: 1,
            token: 0,
            bytes: 7u64.to_le_bytes().to_vec(),
        },
        Op::DropAt { room: 0, bound: 0 },
        Op::BoundQuery { bound: 0 },
        Op::FieldNamed {
            bound: 0,
            name: s("id"),
            expect: Described::default(),
            access: 0,
        },
        Op::FieldNamed {
            bound: 0,
            name: s("id"),
            expect: Described::scalar("u32"),
            access: 0,
        },
        Op::BoundField {
            bound: 0,
            index: 6, // label: absent
        },
        Op::BoundField {
            bound: 0,
            index: 99,
        },
        // Token 7: a copy of token 0 made up from its parts (accepted).
        forge(1, 1, 0, 0),
        get(0, 7, 8),
        // Token 8: token 0's offset with token 1's index (refused).
        forge(1, 1, 0, 1),
        get(0, 8, 4),
        // Token 9: the next binding's id (refused).
        forge(2, 1, 0, 0),
        set(0, 9, &1u64.to_le_bytes()),
        Op::ValueFree { value: 0 },
        Op::BoundFree { bound: 0 },
    ]);

    let point = vec![
        Op::ViewNew {
            module: s("widgets"),
            ty: s("Point"),
        },
        known(0, 6, true),
        known(0, 7, true),
        Op::SetFrozen {
            view: 0,
            real: Some(s("Point")),
            fingerprint: 0,
        },
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::InitAt {
            bound: 0,
            offset: 0,
            size: 8,
        },
        Op::BoundSet {
            bound: 0,
            in_room: true,
            target: 0,
            token: 1,
            bytes: (-3i32).to_le_bytes().to_vec(),
        },
        Op::ValueNew { bound: 0 },
        Op::CloneAt {
            bound: 0,
            from_room: true,
            src: 0,
            offset: 0,
            size: 8,
        },
        Op::BoundGet {
            bound: 0,
            in_room: false,
            target: 0,
            token: 0,
            size: 4,
        },
        // Another frozen fingerprint does not bind.
        Op::ViewNew {
            module: s("widgets"),
            ty: s("Point"),
        },
        known(1, 6, true),
        Op::SetFrozen {
            view: 1,
            real: None,
            fingerprint: 0x1234,
        },
        Op::Bind {
            view: 1,
            library: 0,
        },
        Op::BoundFree { bound: 0 },
        Op::DropAt { room: 1, bound: 0 },
    ];

    let mut stale = widget_view(0);
    stale.extend([
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::ValueNew { bound: 0 },
        Op::BoundFree { bound: 0 },
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::ValueNew { bound: 0 },
        get(1, 0, 8),      // a token of the freed binding: refused
        get(0, 0, 8),      // on its own value: accepted
        get(1, 6, 8),      // the new binding's own token
        forge(0, 1, 0, 0), // binding id 0: never a binding's
        get(1, 12, 8),
    ]);

    let raw = |name: Str, required, access, expect| Op::AddField {
        view: 0,
        name,
        required,
        access,
        expect,
    };
    let cyclic = Described(vec![Node {
        kind: 2,
        name: Str::Null,
        size: 0,
        align: 0,
        count: 2,
        element: 0,
    }]);
    let huge = Described::array(Described::scalar("u64"), u64::MAX);
    let odd = Described(vec![Node {
        kind: 9,
        name: Str::Bytes(vec![0xff, 0xfe]),
        size: 3,
        align: 3,
        count: 1,
        element: 255,
    }]);
    let views = vec![
        Op::ViewNew {
            module: Str::Bytes(vec![0xc3, 0x28]),
            ty: s("Widget"),
        },
        Op::ViewNew {
            module: Str::Null,
            ty: s("Widget"),
        },
        Op::ViewNew {
            module: s(""),
            ty: s("Widget"),
        },
        Op::ViewNew {
            module: s("widgets"),
            ty: s("Widget"),
        },
        raw(s("id"), 1, 0, cyclic),
        raw(s("id"), 1, 0, huge),
        raw(s("id"), 1, 0, odd),
        raw(s("id"), 1, 0, Described::opaque("Blob", 3, 2)),
        raw(s("id"), 1, 0, Described::opaque("Blob", 1 << 62, 1 << 40)),
        raw(s("id"), 1, 7, Described::scalar("u64")),
        raw(s("id"), -1, 1, Described::nested("Point")),
        raw(s(""), 1, 0, Described::scalar("u64")),
        raw(Str::Bytes(vec![0x80]), 1, 0, Described::scalar("u64")),
        raw(Str::Null, 1, 0, Described::scalar("u64")),
        raw(s("weight"), 0, 0, Described::default()),
        raw(s("id"), 1, 0, Described::scalar("u64")),
        raw(s("id"), 1, 0, Described::scalar("u64")), // declared twice
        raw(s("ghost"), 1, 0, Described::scalar("u8")),
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::ViewNew {
            module: s("other"),
            ty: s("Widget"),
        },
        Op::Bind {
            view: 1,
            library: 0,
        },
        Op::ViewNew {
            module: s("widgets"),
            ty: s("Gadget"),
        },
        Op::Bind {
            view: 2,
            library: 0,
        },
    ];

    let mut nulls = widget_view(0);
    nulls.extend([
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::ValueNew { bound: 0 },
    ]);
    for which in 0..20 {
        for mask in [1, 2, 4, 7] {
            nulls.push(Op::Nulls { which, mask });
        }
    }
    nulls.push(Op::ToggleError);
    nulls.extend((0..20).map(|which| Op::Nulls { which, mask: 0 }));

    let mut libraries = widget_view(0);
    libraries.extend([
        Op::LibraryOpen { which: 0 },
        Op::LibraryOpen { which: 1 },
        Op::LibraryOpen { which: 2 },
        Op::Bind {
            view: 0,
            library: 1,
        },
        Op::LibraryClose { library: 0 },
        // The binding and its values keep the library loaded.
        Op::ValueNew { bound: 0 },
        get(0, 0, 8),
        Op::Bind {
            view: 0,
            library: 1, // closed: NULL
        },
        Op::ToggleError,
        Op::Bind {
            view: 0,
            library: 0,
        },
        Op::ValueNew { bound: 1 },
        get(1, 0, 8), // another library's binding: refused
    ]);

    vec![
        ("widget", widget, |r: &Reached| {
            assert!(
                r.binds == 1 && r.values == 4 && r.writes == 6 && r.reads >= 5,
                "{r:?}"
            );
        }),
        ("point-frozen", point, |r: &Reached| {
            assert!(
                r.binds == 1 && r.values == 3 && r.writes == 1 && r.reads == 1,
                "{r:?}"
            );
        }),
        ("stale-tokens", stale, |r: &Reached| {
            assert!(r.binds == 2 && r.reads == 2 && r.refusals == 2, "{r:?}");
        }),
        ("raw-views", views, |r: &Reached| {
            assert!(r.binds == 0 && r.refusals >= 18, "{r:?}");
        }),
        ("nulls", nulls, |r: &Reached| {
            assert!(r.binds == 1 && r.refusals >= 60, "{r:?}");
        }),
        ("libraries", libraries, |r: &Reached| {
            assert!(r.binds == 2 && r.reads == 1, "{r:?}");
        }),
    ]
}

#[test]
fn capi_seeds() {
    // The fixture, built as the workspace tests build it: where the target
    // looks for it.
    let built = resilient_fuzz::capi::build_fixture();
    if std::env::var_os("RESILIENT_FUZZ_CAPI_LIBRARY").is_none() {
        assert_eq!(built, resilient_fuzz::capi::fixture_path());
    }
    for (name, ops, reached) in capi_programs() {
        let data = resilient_fuzz::capi::encode(&ops);
        assert_eq!(resilient_fuzz::capi::parse(&data), ops, "{name}");
        reached(&resilient_fuzz::capi::run(&ops));
        seed("capi", name, &data);
    }
}
