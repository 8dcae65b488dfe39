//! The validator against generated layouts (accepted, round-trip) and
//! arbitrary mutations of them (never a panic; accepted only if every
//! promised invariant holds, checked here by a naive reference).

use layout_meta::encode::encode;
use layout_meta::{
    flags, limits, validate, Error, FieldLayout, Identity, ModuleLayout, TypeLayout, WitnessAddrs,
};
use proptest::prelude::*;

const BASE: usize = 0x4000_0000;
const CODE: (usize, usize) = (0x1000, 0x2000);

fn scalar() -> impl Strategy<Value = Identity> {
    prop_oneof![
        Just(("u8", 1)),
        Just(("u16", 2)),
        Just(("u32", 4)),
        Just(("u64", 8)),
        Just(("f32", 4)),
        Just(("f64", 8)),
        Just(("bool", 1)),
        Just(("u128", 16)),
    ]
    .prop_map(|(name, size)| Identity::Scalar {
        name: name.into(),
        size,
        align: size,
    })
}

fn identity() -> impl Strategy<Value = Identity> {
    scalar().prop_recursive(3, 8, 1, |inner| {
        prop_oneof![
            (inner.clone(), 0usize..5).prop_map(|(e, count)| Identity::Array {
                size: e.size() * count,
                align: e.align(),
                element: Box::new(e),
                count,
            }),
            inner.prop_map(|e| Identity::Opaque {
                name: format!("Opaque{}", e.size()),
                size: e.size(),
                align: e.align(),
            }),
        ]
    })
}

fn round_up(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

/// A valid type: fields laid out in order with random padding.
fn type_layout(index: usize) -> impl Strategy<Value = TypeLayout> {
    (
        prop::collection::vec((identity(), 0usize..3), 0..8),
        0u32..7,
        0usize..3,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(fields, align_log, extra_stride, frozen, clonable)| {
            let mut offset = 0;
            let mut align = 1usize << align_log;
            let mut out = Vec::new();
            for (i, (id, pad)) in fields.into_iter().enumerate() {
                align = align.max(id.align());
                offset = round_up(offset + pad, id.align());
                out.push(FieldLayout {
                    name: format!("f{i}"),
                    offset,
                    identity: id.clone(),
                });
                offset += id.size();
            }
            let size = round_up(offset, align);
            let mut t = TypeLayout {
                name: format!("T{index}"),
                flags: if frozen { flags::FROZEN } else { 0 }
                    | if clonable { flags::CLONABLE } else { 0 },
                size,
                align,
                stride: size + extra_stride * align,
                fingerprint: 0,
                fields: out,
                witnesses: WitnessAddrs {
                    clone: if clonable { CODE.0 + 16 } else { 0 },
                    ..WitnessAddrs::default()
                },
                accessors: Vec::new(),
                enum_info: None,
            };
            t.fingerprint = t.compute_fingerprint();
            t
        })
}

fn module() -> impl Strategy<Value = ModuleLayout> {
    (0usize..5)
        .prop_flat_map(|n| (0..n).map(type_layout).collect::<Vec<_>>())
        .prop_map(|types| ModuleLayout {
            name: "generated".into(),
            version: "0.3.1".into(),
            types,
            functions: Vec::new(),
            impls: Vec::new(),
        })
}

/// Every invariant the validator promises, checked the slow, obvious way.
fn assert_invariants(m: &ModuleLayout) {
    for (i, t) in m.types.iter().enumerate() {
        assert!(m.types[..i].iter().all(|u| u.name != t.name));
        assert!(t.align.is_power_of_two() && t.align <= limits::MAX_ALIGN);
        assert_eq!(t.size % t.align, 0);
        assert!(t.stride >= t.size && t.stride % t.align == 0);
        assert_eq!(t.fingerprint, t.compute_fingerprint());
        for (j, f) in t.fields.iter().enumerate() {
            assert!(f.identity.align().is_power_of_two());
            assert!(f.offset as u128 + f.identity.size() as u128 <= t.size as u128);
            for g in &t.fields[..j] {
                assert_ne!(f.name, g.name);
                let (a, b) = (f.offset as u128, g.offset as u128);
                let (sa, sb) = (f.identity.size() as u128, g.identity.size() as u128);
                assert!(sa == 0 || sb == 0 || a + sa <= b || b + sb <= a, "overlap");
            }
        }
        let w = t.witnesses;
        assert_eq!(w.drop != 0, t.flags & flags::NEEDS_DROP != 0);
        assert_eq!(w.clone != 0, t.flags & flags::CLONABLE != 0);
        assert_eq!(w.default_init != 0, t.flags & flags::DEFAULT_INIT != 0);
    }
}

/// `cases` natively; under Miri (an interpreter, thousands of times slower)
/// a handful, enough to check the unsafe reads, and no regression file
/// (Miri's isolation has no file system).
fn config(cases: u32) -> ProptestConfig {
    if cfg!(miri) {
        ProptestConfig {
            cases: 4,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig {
            cases,
            ..ProptestConfig::default()
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn valid_layouts_are_accepted_and_round_trip(m in module()) {
        let image = encode(&m, BASE);
        let decoded = validate(&image.memory(CODE), BASE).expect("a valid layout is accepted");
        prop_assert_eq!(&decoded, &m);
        assert_invariants(&decoded);
    }

    #[test]
    fn mutated_metadata_is_rejected_or_sound(
        m in module(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 1..8),
    ) {
        let mut image = encode(&m, BASE);
        let len = image.bytes.len();
        for (at, byte, word) in edits {
            let i = at.index(len);
            if word {
                // Write a whole word of "interesting" value: pointers into and
                // out of the image, huge counts.
                let v = match byte % 4 {
                    0 => usize::MAX - usize::from(byte),
                    1 => BASE + usize::from(byte) * 8,
                    2 => usize::from(byte),
                    _ => 1usize << (byte % 64),
                };
                let end = (i + 8).min(len);
                image.bytes[i..end].copy_from_slice(&v.to_ne_bytes()[..end - i]);
            } else {
                image.bytes[i] = byte;
            }
        }
        if let Ok(decoded) = validate(&image.memory(CODE), BASE) {
            assert_invariants(&decoded);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mem = layout_meta::SliceMemory { base: BASE, bytes: &bytes, code: CODE };
        let _ = validate(&mem, BASE);
    }
}

fn valid() -> ModuleLayout {
    let id = Identity::Scalar {
        name: "u32".into(),
        size: 4,
        align: 4,
    };
    let mut t = TypeLayout {
        name: "Widget".into(),
        flags: 0,
        size: 8,
        align: 4,
        stride: 8,
        fingerprint: 0,
        fields: vec![
            FieldLayout {
                name: "a".into(),
                offset: 0,
                identity: id.clone(),
            },
            FieldLayout {
                name: "b".into(),
                offset: 4,
                identity: id,
            },
        ],
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    t.fingerprint = t.compute_fingerprint();
    ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![t],
        functions: Vec::new(),
        impls: Vec::new(),
    }
}

fn refused(edit: impl FnOnce(&mut ModuleLayout)) -> Error {
    let mut m = valid();
    edit(&mut m);
    for t in &mut m.types {
        if t.fingerprint != 0xbad {
            t.fingerprint = t.compute_fingerprint();
        }
    }
    validate(&encode(&m, BASE).memory(CODE), BASE).expect_err("must be refused")
}

fn refused_bytes(edit: impl FnOnce(&mut Vec<u8>)) -> Error {
    let mut image = encode(&valid(), BASE);
    edit(&mut image.bytes);
    validate(&image.memory(CODE), BASE).expect_err("must be refused")
}

#[test]
fn each_problem_gets_its_own_error() {
    use layout_meta::format::offsets::ALL;
    let at = |rec: &str, f: &str| ALL.iter().find(|e| e.0 == rec && e.1 == f).unwrap().2;
    assert!(matches!(
        refused_bytes(|b| b[0] = b'X'),
        Error::BadMagic { .. }
    ));
    let v = at("rsl_manifest", "format_version");
    assert!(matches!(
        refused_bytes(|b| b[v..v + 4].copy_from_slice(&2u32.to_ne_bytes())),
        Error::UnsupportedVersion {
            found: 2,
            supported: 1
        }
    ));
    let pw = at("rsl_manifest", "pointer_width");
    assert!(matches!(
        refused_bytes(|b| b[pw] = 4),
        Error::TargetMismatch {
            property: "pointer width",
            ..
        }
    ));
    let e = at("rsl_manifest", "endianness");
    assert!(matches!(
        refused_bytes(|b| b[e] = 9),
        Error::TargetMismatch {
            property: "endianness",
            ..
        }
    ));
    let hs = at("rsl_manifest", "header_size");
    assert!(matches!(
        refused_bytes(|b| b[hs..hs + 4].copy_from_slice(&8u32.to_ne_bytes())),
        Error::BadRecordSize { .. }
    ));
    let tc = at("rsl_manifest", "type_count");
    assert!(matches!(
        refused_bytes(|b| b[tc..tc + 8].copy_from_slice(&usize::MAX.to_ne_bytes())),
        Error::LimitExceeded { .. }
    ));
    assert!(matches!(
        refused_bytes(|b| b[tc..tc + 8].copy_from_slice(&1000usize.to_ne_bytes())),
        Error::Unreadable { .. }
    ));
    assert!(matches!(
        refused(|m| m.version = "1.0".into()),
        Error::InvalidVersion { .. }
    ));
    assert!(matches!(
        refused(|m| m.name = String::new()),
        Error::InvalidName { .. }
    ));
    assert!(matches!(
        refused(|m| m.name = "a\nb".into()),
        Error::InvalidName { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].align = 3),
        Error::BadAlignment { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].size = 6),
        Error::BadSize { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].stride = 4),
        Error::BadStride { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].fields[1].offset = 6),
        Error::FieldOutOfBounds { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].fields[1].offset = usize::MAX - 1),
        Error::Overflow { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].fields[1].offset = 2),
        Error::OverlappingFields { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].fields[1].name = "a".into()),
        Error::DuplicateField { .. }
    ));
    assert!(matches!(
        refused(|m| m.types.push(m.types[0].clone())),
        Error::DuplicateType { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].fingerprint = 0xbad),
        Error::FingerprintMismatch { .. }
    ));
    assert!(matches!(
        refused(|m| m.types[0].witnesses.drop = CODE.0),
        Error::BadWitness {
            witness: "drop",
            ..
        }
    ));
    assert!(matches!(
        refused(|m| m.types[0].fields[0].identity = Identity::Array {
            element: Box::new(Identity::Scalar {
                name: "u8".into(),
                size: 1,
                align: 1
            }),
            count: 3,
            size: 4,
            align: 1,
        }),
        Error::BadIdentity { .. }
    ));
    // A name that is not UTF-8: corrupt the first byte of the module name.
    let name_at = {
        let image = encode(&valid(), BASE);
        let p = at("rsl_manifest", "module_name");
        usize::from_ne_bytes(image.bytes[p..p + 8].try_into().unwrap()) - BASE
    };
    assert!(matches!(
        refused_bytes(|b| b[name_at] = 0xff),
        Error::InvalidName {
            reason: "it is not UTF-8",
            ..
        }
    ));
}

#[test]
fn errors_name_the_problem_and_are_send_sync() {
    fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
    assert_bounds::<Error>();
    let e = refused(|m| m.types[0].fields[1].offset = 6);
    assert_eq!(
        e.to_string(),
        "field `Widget.b` at offset 6 with size 4 ends past the type's size 8"
    );
}

#[test]
fn witnesses_outside_code_are_refused() {
    let mut m = valid();
    m.types[0].flags |= flags::CLONABLE;
    m.types[0].witnesses.clone = 0x9999_9999;
    let image = encode(&m, BASE);
    let module = validate(&image.memory(CODE), BASE).unwrap();
    let err = layout_meta::verify_code_addresses(&image.memory(CODE), &module).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadWitness {
                witness: "clone",
                ..
            }
        ),
        "{err}"
    );
}

/// One large type record copied 65,536 times under as many names, all
/// sharing one field list (a file of a few megabytes), would decode to
/// hundreds of gigabytes; the module budget refuses it after a few dozen
/// copies. (Listed 65,536 times under one name, it is refused at once:
/// type names are unique.)
#[test]
#[cfg_attr(
    miri,
    ignore = "decodes tens of megabytes, hours under Miri; the proptests cover the same reads"
)]
fn a_type_record_listed_many_times_hits_the_module_budget() {
    use layout_meta::format::offsets::ALL;
    let off = |field: &str| {
        ALL.iter()
            .find(|(r, f, _)| *r == "rsl_manifest" && *f == field)
            .unwrap()
            .2
    };
    let u8_id = Identity::Scalar {
        name: "u8".into(),
        size: 1,
        align: 1,
    };
    let mut t = TypeLayout {
        name: "Wide".into(),
        flags: 0,
        size: limits::MAX_FIELDS,
        align: 1,
        stride: limits::MAX_FIELDS,
        fingerprint: 0,
        fields: (0..limits::MAX_FIELDS)
            .map(|i| FieldLayout {
                name: format!("{i:0>1000}"),
                offset: i,
                identity: u8_id.clone(),
            })
            .collect(),
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    t.fingerprint = t.compute_fingerprint();
    let m = ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![t],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let mut image = encode(&m, BASE);
    validate(&image.memory(CODE), BASE).expect("one copy is fine");
    let word = std::mem::size_of::<usize>();
    let read_word =
        |bytes: &[u8], at: usize| usize::from_ne_bytes(bytes[at..at + word].try_into().unwrap());
    let list = read_word(&image.bytes, off("types")) - BASE;
    let record = read_word(&image.bytes, list) - BASE;
    let record_size = std::mem::size_of::<layout_meta::TypeDescriptor>();
    let name_at = ALL
        .iter()
        .find(|(r, f, _)| *r == "rsl_type_descriptor" && *f == "name")
        .unwrap()
        .2;
    let copies = limits::MAX_TYPES;
    // Copies of the record, each under its own name (type names are
    // unique), sharing the one large field list.
    let template = image.bytes[record..record + record_size].to_vec();
    let mut records = Vec::with_capacity(copies);
    for k in 0..copies {
        let name = format!("W{k}");
        let name_ptr = BASE + image.bytes.len();
        image.bytes.extend_from_slice(name.as_bytes());
        let mut copy = template.clone();
        copy[name_at..name_at + word].copy_from_slice(&name_ptr.to_ne_bytes());
        copy[name_at + word..name_at + 2 * word].copy_from_slice(&name.len().to_ne_bytes());
        while image.bytes.len() % word != 0 {
            image.bytes.push(0);
        }
        records.push(BASE + image.bytes.len());
        image.bytes.extend_from_slice(&copy);
    }
    let new_list = image.bytes.len();
    for r in records {
        image.bytes.extend_from_slice(&r.to_ne_bytes());
    }
    image.bytes[off("type_count")..off("type_count") + word].copy_from_slice(&copies.to_ne_bytes());
    image.bytes[off("types")..off("types") + word]
        .copy_from_slice(&(BASE + new_list).to_ne_bytes());
    let err = validate(&image.memory(CODE), BASE).unwrap_err();
    assert!(
        matches!(&err, Error::LimitExceeded { what, .. } if what.contains("decoded module")),
        "{err}"
    );
}

/// A scalar identity with a count or an element pointer is malformed
/// (FORMAT.md: both are for arrays only): refused, never followed.
#[test]
fn non_array_identities_carry_no_count_or_element() {
    use layout_meta::format::offsets::ALL;
    let off = |record: &str, field: &str| {
        ALL.iter()
            .find(|(r, f, _)| *r == record && *f == field)
            .unwrap()
            .2
    };
    let word = std::mem::size_of::<usize>();
    let read_word =
        |bytes: &[u8], at: usize| usize::from_ne_bytes(bytes[at..at + word].try_into().unwrap());
    // manifest -> type list -> type record -> field list -> first field's identity.
    let at_identity = |bytes: &[u8]| {
        let list = read_word(bytes, off("rsl_manifest", "types")) - BASE;
        let ty = read_word(bytes, list) - BASE;
        let fields = read_word(bytes, ty + off("rsl_type_descriptor", "fields")) - BASE;
        fields + off("rsl_field_descriptor", "identity")
    };
    for (what, field, value) in [("count", "count", 1usize), ("element", "element", BASE)] {
        let err = refused_bytes(|b| {
            let at = at_identity(b) + off("rsl_type_identity", field);
            b[at..at + word].copy_from_slice(&value.to_ne_bytes());
        });
        assert!(
            matches!(&err, Error::BadIdentity { reason, .. } if reason.contains("not an array")),
            "{what}: {err}"
        );
    }
}

/// A nested field and the module's type of that name must agree in size
/// and alignment (a client binds the field through that type).
#[test]
fn a_nested_field_must_fit_the_modules_type_of_that_name() {
    let nest = |m: &mut ModuleLayout, inner_size: usize| {
        let mut inner = m.types[0].clone();
        inner.name = "Inner".into();
        inner.size = inner_size;
        inner.stride = inner_size;
        inner.fields.clear();
        inner.fingerprint = inner.compute_fingerprint();
        m.types[0].fields[1].identity = Identity::Resilient {
            name: "Inner".into(),
            size: 4,
            align: 4,
        };
        m.types[0].fingerprint = m.types[0].compute_fingerprint();
        m.types.push(inner);
    };
    let mut ok = valid();
    nest(&mut ok, 4);
    validate(&encode(&ok, BASE).memory(CODE), BASE).expect("same size: accepted");
    let err = refused(|m| nest(m, 8));
    assert!(
        matches!(&err, Error::BadIdentity { field, reason, .. } if field == "b" && reason.contains("nested")),
        "{err}"
    );
}

/// `#[derive(Resilient)]` on a type with no public field exports an empty
/// field list at a dangling address (Rust's empty slice): the validator
/// refused the library our own producer made. An empty list needs no memory.
#[test]
fn an_empty_field_list_at_a_dangling_address_is_accepted() {
    #[derive(layout_meta::Resilient)]
    #[allow(dead_code, reason = "private: exported as an empty field list")]
    pub struct Sealed {
        secret: u64,
    }
    use layout_meta::Resilient;
    let d = Sealed::DESCRIPTOR;
    assert!(d.fields().is_empty());
    let mut t = d.to_layout();
    t.witnesses = WitnessAddrs::default();
    t.flags = 0;
    let m = ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![t.clone()],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    use layout_meta::format::offsets::ALL;
    let off = |record: &str, field: &str| {
        ALL.iter()
            .find(|(r, f, _)| *r == record && *f == field)
            .unwrap()
            .2
    };
    let word = std::mem::size_of::<usize>();
    let mut image = encode(&m, BASE);
    let list = usize::from_ne_bytes(
        image.bytes[off("rsl_manifest", "types")..][..word]
            .try_into()
            .unwrap(),
    ) - BASE;
    let ty = usize::from_ne_bytes(image.bytes[list..][..word].try_into().unwrap()) - BASE;
    let at = ty + off("rsl_type_descriptor", "fields");
    // The address the compiler gives the derive's empty list.
    let dangling = d.fields().as_ptr() as usize;
    image.bytes[at..at + word].copy_from_slice(&dangling.to_ne_bytes());
    let decoded = validate(&image.memory(CODE), BASE).expect("an empty list needs no memory");
    assert_eq!(decoded.types[0], t);
}

/// The symbols C readers use (`T_size`, `T_align`, `T_<field>_offset`) are
/// compared with the descriptor: a library whose symbols disagree, or lack
/// one, is refused, naming the type and symbol.
#[test]
fn c_symbols_must_say_what_the_descriptor_says() {
    use layout_meta::{type_record_addresses, verify_c_symbols, SymbolTable};
    use std::collections::HashMap;
    struct Table(HashMap<String, usize>);
    impl SymbolTable for Table {
        fn name_at(&self, addr: usize) -> Option<String> {
            self.0
                .iter()
                .find(|&(_, &a)| a == addr)
                .map(|(n, _)| n.clone())
        }
        fn address_of(&self, name: &str) -> Option<usize> {
            self.0.get(name).copied()
        }
    }
    let m = valid();
    let mut image = encode(&m, BASE);
    let records = type_record_addresses(&image.memory(CODE), BASE).unwrap();
    let mut table = HashMap::new();
    let mut words = Vec::new();
    for (t, &rec) in m.types.iter().zip(&records) {
        table.insert(format!("p_{}_descriptor", t.name), rec);
        let mut put = |name: String, value: usize| {
            table.insert(name, BASE + image.bytes.len() + words.len() * 8);
            words.push(value);
        };
        put(format!("p_{}_size", t.name), t.size);
        put(format!("p_{}_align", t.name), t.align);
        for f in &t.fields {
            put(format!("p_{}_{}_offset", t.name, f.name), f.offset);
        }
    }
    let at = image.bytes.len();
    for w in &words {
        image.bytes.extend_from_slice(&w.to_ne_bytes());
    }
    let mem = image.memory(CODE);
    verify_c_symbols(&mem, &Table(table.clone()), BASE, &m).expect("symbols agree");

    let t = &m.types[0];
    // A size symbol that disagrees.
    let mut bad = image.bytes.clone();
    bad[at..at + 8].copy_from_slice(&(t.size + 8).to_ne_bytes());
    let err = verify_c_symbols(
        &image_with(&image, bad).memory(CODE),
        &Table(table.clone()),
        BASE,
        &m,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "type `{0}`: symbol `p_{0}_size` holds {1}, the descriptor says {2}",
            t.name,
            t.size + 8,
            t.size
        )
    );
    // A missing offset symbol.
    if let Some(f) = t.fields.first() {
        let mut missing = table.clone();
        missing.remove(&format!("p_{}_{}_offset", t.name, f.name));
        let err = verify_c_symbols(&mem, &Table(missing), BASE, &m).unwrap_err();
        assert!(err.to_string().ends_with("_offset` missing"), "{err}");
    }
    // A descriptor not exported under its type's name.
    let mut renamed = table.clone();
    renamed.remove(&format!("p_{}_descriptor", t.name));
    renamed.insert("Other_descriptor".into(), records[0]);
    let err = verify_c_symbols(&mem, &Table(renamed), BASE, &m).unwrap_err();
    assert!(
        err.to_string().contains("exported under another name"),
        "{err}"
    );
}

fn image_with(image: &layout_meta::encode::Image, bytes: Vec<u8>) -> layout_meta::encode::Image {
    let mut copy = image.clone();
    copy.bytes = bytes;
    copy
}

/// A module with one function, `f(&Widget) -> u32`, whose thunk is code.
fn with_function() -> ModuleLayout {
    use layout_meta::function::{abi, pass};
    use layout_meta::{FunctionLayout, ParamLayout};
    let mut m = valid();
    let widget = Identity::Resilient {
        name: "Widget".into(),
        size: 8,
        align: 4,
    };
    m.functions.push(FunctionLayout {
        name: "f".into(),
        abi: abi::THUNK_V2,
        flags: 0,
        params: vec![ParamLayout {
            name: "w".into(),
            pass: pass::REF,
            identity: widget,
        }],
        ret: ParamLayout {
            name: "return".into(),
            pass: pass::VALUE,
            identity: Identity::Scalar {
                name: "u32".into(),
                size: 4,
                align: 4,
            },
        },
        thunk: CODE.0 + 64,
    });
    m
}

fn refused_function(edit: impl FnOnce(&mut layout_meta::FunctionLayout)) -> String {
    let mut m = with_function();
    edit(&mut m.functions[0]);
    let err = validate(&encode(&m, BASE).memory(CODE), BASE).expect_err("must be refused");
    assert!(matches!(err, Error::BadFunction { .. }), "{err}");
    err.to_string()
}

/// Every shape rule of function records (`docs/FORMAT.md`, "Functions"),
/// each refused with its own reason, naming the function and parameter.
#[test]
fn function_records_of_the_wrong_shape_are_refused_naming_them() {
    use layout_meta::function::pass;
    let m = with_function();
    let ok = validate(&encode(&m, BASE).memory(CODE), BASE).expect("the base is valid");
    assert_eq!(ok.functions.len(), 1);

    let widget = m.functions[0].params[0].identity.clone();
    let owned_ret = |f: &mut layout_meta::FunctionLayout| {
        f.ret.pass = pass::OWNED;
        f.ret.identity = widget.clone();
    };
    // An owned result of a listed type is valid.
    let mut good = with_function();
    owned_ret(&mut good.functions[0]);
    let ok = validate(&encode(&good, BASE).memory(CODE), BASE).expect("an owned result");
    assert_eq!(ok.functions[0].ret.pass, pass::OWNED);
    assert_eq!(ok.functions[0].to_string(), "fn f(w: &Widget) -> Widget");

    type Edit = Box<dyn FnOnce(&mut layout_meta::FunctionLayout)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "function `f`, parameter `w`: only a result is passed owned",
            Box::new(|f| {
                f.params[0].pass = pass::OWNED;
                f.ret.pass = pass::VALUE;
            }),
        ),
        (
            "function `f`, parameter `w`: a resilient type never crosses by value",
            Box::new(|f| f.params[0].pass = pass::VALUE),
        ),
        (
            "function `f`, parameter `return`: a result is not a reference",
            Box::new(|f| {
                f.ret.pass = pass::REF;
                f.ret.identity = f.params[0].identity.clone();
            }),
        ),
        (
            "function `f`, parameter `return`: a reference or an owned result is of a resilient type",
            Box::new(|f| f.ret.pass = pass::OWNED),
        ),
        (
            "function `f`, parameter `return`: it refers to a type the module does not list",
            Box::new(|f| {
                f.ret.pass = pass::OWNED;
                f.ret.identity = Identity::Resilient {
                    name: "Gadget".into(),
                    size: 8,
                    align: 4,
                };
            }),
        ),
        (
            "function `f`, parameter `return`: the module's type of that name has another size or alignment",
            Box::new(|f| {
                f.ret.pass = pass::OWNED;
                f.ret.identity = Identity::Resilient {
                    name: "Widget".into(),
                    size: 16,
                    align: 4,
                };
            }),
        ),
        (
            "function `f`, parameter `w`: `()` is a result of no bytes",
            Box::new(|f| f.params[0].pass = pass::UNIT),
        ),
    ];
    for (want, edit) in cases {
        let got = refused_function(edit);
        let want = want.split_once(": ").unwrap();
        assert!(
            got.contains(want.0) && got.contains(want.1),
            "expected {want:?}, got {got}"
        );
    }
}

/// Function records that are well formed one by one but not together, or
/// whose thunk is not code, and implementations that break their rules.
#[test]
fn function_tables_and_thunks_are_checked() {
    use layout_meta::ImplLayout;
    let refused_module = |edit: &dyn Fn(&mut ModuleLayout)| {
        let mut m = with_function();
        edit(&mut m);
        // What a loader runs: the validator, then the code addresses
        // against the library's own segments.
        let image = encode(&m, BASE);
        validate(&image.memory(CODE), BASE)
            .and_then(|module| layout_meta::verify_code_addresses(&image.memory(CODE), &module))
            .expect_err("must be refused")
            .to_string()
    };
    type Edit<'a> = &'a dyn Fn(&mut ModuleLayout);
    let cases: [(Edit<'_>, &str); 5] = [
        (
            &|m| m.functions[0].thunk = BASE + 8,
            "function `f`: its thunk is not in the library's code",
        ),
        (
            &|m| {
                let twin = m.functions[0].clone();
                m.functions.push(twin);
            },
            "two functions are called `f`",
        ),
        (
            &|m| {
                let method = m.functions[0].clone();
                m.impls.push(ImplLayout {
                    interface: "Shape".into(),
                    type_name: "Gadget".into(),
                    methods: vec![method],
                });
            },
            "the implementing type is not a type of the module",
        ),
        (
            &|m| {
                let mut method = m.functions[0].clone();
                method.params.clear();
                m.impls.push(ImplLayout {
                    interface: "Shape".into(),
                    type_name: "Widget".into(),
                    methods: vec![method],
                });
            },
            "a method's first parameter is `&Type` or `&mut Type` of the implementing type",
        ),
        (
            &|m| {
                let method = m.functions[0].clone();
                let imp = ImplLayout {
                    interface: "Shape".into(),
                    type_name: "Widget".into(),
                    methods: vec![method],
                };
                m.impls.push(imp.clone());
                m.impls.push(imp);
            },
            "the type implements the interface twice",
        ),
    ];
    for (edit, want) in cases {
        let got = refused_module(edit);
        assert!(got.contains(want), "expected {want:?}, got {got}");
    }
    // A method with its receiver is valid.
    let mut m = with_function();
    let method = m.functions[0].clone();
    m.impls.push(ImplLayout {
        interface: "Shape".into(),
        type_name: "Widget".into(),
        methods: vec![method],
    });
    let ok = validate(&encode(&m, BASE).memory(CODE), BASE).expect("a method");
    assert_eq!(ok.impls[0].methods[0].name, "f");
}

/// A valid module with one enum: `plain` lays it out as `repr(u8)` does.
fn with_enum(plain: bool) -> ModuleLayout {
    use layout_meta::{CaseLayout, EnumLayout};
    let u32_id = Identity::Scalar {
        name: "u32".into(),
        size: 4,
        align: 4,
    };
    let at = |o: usize| if plain { o } else { 0 };
    let mut t = TypeLayout {
        name: "Status".into(),
        flags: flags::ENUM,
        size: 8,
        align: 4,
        stride: 8,
        fingerprint: 0,
        fields: Vec::new(),
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: Some(EnumLayout {
            tag: plain.then_some((0, 1)),
            payload_plain: plain,
            cases: vec![
                CaseLayout {
                    name: "Idle".into(),
                    tag: 0,
                    fields: Vec::new(),
                },
                CaseLayout {
                    name: "Busy".into(),
                    tag: u64::from(plain),
                    fields: vec![FieldLayout {
                        name: "jobs".into(),
                        offset: at(4),
                        identity: u32_id,
                    }],
                },
            ],
            case_of: CODE.0 + 8,
            locate: if plain { 0 } else { CODE.0 + 16 },
            write_case: CODE.0 + 24,
        }),
    };
    t.fingerprint = t.compute_fingerprint();
    let mut m = valid();
    m.types.push(t);
    m
}

/// Every rule of enum records (`docs/FORMAT.md`, "Enums"), each refused
/// with its own reason naming the enum (and case), the fingerprint kept
/// right so that the rule itself is what refuses; and both layouts
/// accepted as they are.
#[test]
fn enum_records_that_break_a_rule_are_refused_naming_the_case() {
    for plain in [true, false] {
        let m = with_enum(plain);
        let image = encode(&m, BASE);
        let ok = validate(&image.memory(CODE), BASE).expect("a valid enum");
        assert_eq!(ok.types[1], m.types[1], "read back as written");
        layout_meta::verify_code_addresses(&image.memory(CODE), &ok).unwrap();
    }
    type Edit = Box<dyn Fn(&mut TypeLayout)>;
    let e = |f: fn(&mut layout_meta::EnumLayout)| -> Edit {
        Box::new(move |t: &mut TypeLayout| f(t.enum_info.as_mut().unwrap()))
    };
    let cases: Vec<(bool, &str, Edit)> = vec![
        (
            true,
            "case `Status::Busy`: its tag does not fit in the tag's size",
            e(|e| e.cases[1].tag = 256),
        ),
        (
            true,
            "case `Status::Busy`: two cases share this tag",
            e(|e| e.cases[1].tag = 0),
        ),
        (
            true,
            "case `Status::Idle`: two cases share this name",
            e(|e| e.cases[1].name = "Idle".into()),
        ),
        (
            true,
            "enum `Status`: a plain tag is 1, 2, 4 or 8 bytes",
            e(|e| e.tag = Some((0, 3))),
        ),
        (
            true,
            "enum `Status`: the plain tag lies outside the value",
            e(|e| e.tag = Some((6, 4))),
        ),
        (
            true,
            "field `Status::Busy.jobs` at offset 6",
            e(|e| e.cases[1].fields[0].offset = 6),
        ),
        (
            true,
            "field `Status::Busy.jobs` at offset 8",
            e(|e| e.cases[1].fields[0].offset = 8),
        ),
        (
            true,
            "fields `Status::Busy.jobs` and `Status::Busy.(tag)` overlap",
            e(|e| {
                e.tag = Some((4, 4));
                e.cases[1].fields[0].offset = 4;
            }),
        ),
        (
            false,
            "enum `Status`: payloads that are not plain need the locate witness",
            e(|e| e.locate = 0),
        ),
        (
            false,
            "a payload reached through `locate` has offsets of 0",
            e(|e| e.cases[1].fields[0].offset = 4),
        ),
        (
            true,
            "enum `Status`: the case_of witness is absent",
            e(|e| e.case_of = 0),
        ),
        (
            false,
            "field `Status::Busy.jobs`",
            e(|e| {
                e.cases[1].fields[0].identity = Identity::Array {
                    element: Box::new(Identity::Scalar {
                        name: "u8".into(),
                        size: 1,
                        align: 1,
                    }),
                    count: 64,
                    size: 64,
                    align: 1,
                };
            }),
        ),
        (
            true,
            "enum `Status`: an enum is not plain old data",
            Box::new(|t: &mut TypeLayout| t.flags |= flags::POD),
        ),
        (
            true,
            "enum `Status`: an enum has no fields of its own",
            Box::new(|t: &mut TypeLayout| {
                t.fields.push(FieldLayout {
                    name: "x".into(),
                    offset: 0,
                    identity: Identity::Scalar {
                        name: "u8".into(),
                        size: 1,
                        align: 1,
                    },
                });
            }),
        ),
        (
            true,
            "enum `Status`: the enum flag is set but the type has no enum record",
            Box::new(|t: &mut TypeLayout| t.enum_info = None),
        ),
        (
            true,
            "enum `Status`: an enum record on a type without the enum flag",
            Box::new(|t: &mut TypeLayout| t.flags &= !flags::ENUM),
        ),
    ];
    for (plain, want, edit) in cases {
        let mut m = with_enum(plain);
        edit(&mut m.types[1]);
        m.types[1].fingerprint = m.types[1].compute_fingerprint();
        let err = validate(&encode(&m, BASE).memory(CODE), BASE)
            .expect_err(want)
            .to_string();
        assert!(err.contains(want), "expected {want:?}, got {err}");
    }
    // A witness outside the library's code.
    let mut m = with_enum(false);
    m.types[1].enum_info.as_mut().unwrap().write_case = BASE + 8;
    m.types[1].fingerprint = m.types[1].compute_fingerprint();
    let image = encode(&m, BASE);
    let decoded = validate(&image.memory(CODE), BASE).unwrap();
    let err = layout_meta::verify_code_addresses(&image.memory(CODE), &decoded).unwrap_err();
    assert!(
        err.to_string().contains("write_case")
            && err.to_string().contains("not in the library's code"),
        "{err}"
    );
    // An enum record that claims more cases than the limit.
    let mut m = with_enum(true);
    let e = m.types[1].enum_info.as_mut().unwrap();
    let case = e.cases[0].clone();
    e.cases = (0..=limits::MAX_CASES)
        .map(|i| layout_meta::CaseLayout {
            name: format!("C{i}"),
            ..case.clone()
        })
        .collect();
    let err = validate(&encode(&m, BASE).memory(CODE), BASE).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}

/// The function rule on calling conventions: a library function exported
/// with another convention than the one the client calls is refused,
/// naming the function and both conventions; the same convention binds.
#[test]
fn a_function_of_another_calling_convention_is_refused_naming_it() {
    let m = with_function();
    let want = m.functions[0].clone();
    let mut found = want.clone();
    layout_meta::compat::bind_function(&want, true, Some(&found)).unwrap();
    // A library of the unreleased convention 1 (every result through
    // memory) is refused by a client of convention 2.
    found.abi = 1;
    let err = layout_meta::compat::bind_function(&want, true, Some(&found)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "function `f` has calling convention 1, the client calls convention 2"
    );
    // An optional function that is absent binds to nothing.
    assert!(layout_meta::compat::bind_function(&want, false, None)
        .unwrap()
        .is_none());
}
