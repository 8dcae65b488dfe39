//! Enums on the producer side: the derive's records for every kind of
//! case and `repr`, checked by the validator, and its witnesses reading,
//! locating and writing cases of real values.

use layout_meta::{verify, CaseLayout, ModuleLayout, Resilient};

/// Rust's default layout, with unit, tuple and struct cases.
#[derive(layout_meta::Resilient, Clone, Debug, PartialEq, Default)]
#[resilient(clone, default)]
pub enum Shape {
    #[default]
    Empty,
    Circle {
        radius: f64,
    },
    Rect(f32, f32),
    Labelled {
        id: u32,
        tags: [u8; 3],
        on: bool,
    },
}

/// A primitive `repr`: tag and payload offsets are plain data.
#[derive(layout_meta::Resilient, Clone, Copy, Debug, PartialEq)]
#[repr(u16)]
#[resilient(clone, frozen)]
pub enum Status {
    Idle = 3,
    Busy { jobs: u32, load: f32 },
    Failed(i64) = 40,
    Gone,
}

/// A niche: `Option<bool>`-like, the case in the bool's spare values, no
/// separate tag.
#[derive(layout_meta::Resilient)]
pub enum Link {
    None,
    To(bool),
}

/// A signed `repr` with negative discriminants: tags are their bits.
#[derive(layout_meta::Resilient, Clone, Copy)]
#[repr(i8)]
#[resilient(clone)]
pub enum Level {
    Low = -2,
    Mid,
    High = 5,
}

fn module() -> ModuleLayout {
    ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![
            Shape::DESCRIPTOR.to_layout(),
            Status::DESCRIPTOR.to_layout(),
            Link::DESCRIPTOR.to_layout(),
            Level::DESCRIPTOR.to_layout(),
        ],
        functions: Vec::new(),
        impls: Vec::new(),
    }
}

fn names(cases: &[CaseLayout]) -> Vec<&str> {
    cases.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn the_derive_describes_every_case_in_declaration_order() {
    let m = module();
    verify(&m).expect("the derive's records are valid");
    let shape = m.types[0].enum_info.as_ref().unwrap();
    assert_eq!(names(&shape.cases), ["Empty", "Circle", "Rect", "Labelled"]);
    assert_eq!(shape.tag, None, "a default-repr enum has no plain tag");
    assert!(!shape.payload_plain);
    assert!(shape.locate != 0 && shape.case_of != 0 && shape.write_case != 0);
    let labelled = &shape.cases[3];
    let fields: Vec<(&str, String)> = labelled
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.identity.to_string()))
        .collect();
    assert_eq!(
        fields,
        [
            ("id", "u32".to_owned()),
            ("tags", "[u8; 3]".to_owned()),
            ("on", "bool".to_owned())
        ]
    );
    assert_eq!(
        shape.cases[2].fields[1].name, "1",
        "tuple fields by position"
    );

    let status = m.types[1].enum_info.as_ref().unwrap();
    assert_eq!(status.tag, Some((0, 2)));
    assert!(status.payload_plain && status.locate == 0);
    let tags: Vec<u64> = status.cases.iter().map(|c| c.tag).collect();
    assert_eq!(tags, [3, 4, 40, 41], "explicit and implicit discriminants");
    assert!(m.types[1].is_frozen());

    let level = m.types[3].enum_info.as_ref().unwrap();
    let tags: Vec<u64> = level.cases.iter().map(|c| c.tag).collect();
    assert_eq!(tags, [0xfe, 0xff, 5], "a signed tag's bits");
    assert_eq!(std::mem::size_of::<Link>(), 1, "a niche layout");
    assert_eq!(m.types[2].size, 1);
}

/// Reads a value's case through the witness, and (for the plain enum)
/// through the tag, and every payload field through its offset or the
/// locate witness: each equals the value's own.
#[test]
fn witnesses_read_cases_and_payloads_of_real_values() {
    let m = module();
    let shape = m.types[0].enum_info.as_ref().unwrap();
    let case_of = Shape::DESCRIPTOR
        .enum_info()
        .unwrap()
        .witnesses()
        .0
        .unwrap();
    let locate = Shape::DESCRIPTOR
        .enum_info()
        .unwrap()
        .witnesses()
        .1
        .unwrap();
    let values = [
        Shape::Empty,
        Shape::Circle { radius: 2.5 },
        Shape::Rect(3.0, 4.0),
        Shape::Labelled {
            id: 7,
            tags: *b"abc",
            on: true,
        },
    ];
    for (i, v) in values.iter().enumerate() {
        let p = std::ptr::from_ref(v).cast::<u8>();
        // SAFETY: a live `Shape`.
        assert_eq!(unsafe { case_of(p) } as usize, i);
    }
    let v = &values[3];
    let p = std::ptr::from_ref(v).cast::<u8>();
    // SAFETY: a live `Shape` in case 3, fields 0..3.
    unsafe {
        assert_eq!(*locate(p, 3, 0).cast::<u32>(), 7);
        assert_eq!(*locate(p, 3, 1).cast::<[u8; 3]>(), *b"abc");
        assert!(*locate(p, 3, 2).cast::<bool>());
        assert!(locate(p, 3, 3).is_null(), "no fourth field");
        assert!(locate(p, 1, 0).is_null(), "not in that case");
    }
    assert_eq!(shape.cases[3].fields.len(), 3);

    let status = m.types[1].enum_info.as_ref().unwrap();
    for v in [
        Status::Idle,
        Status::Busy { jobs: 9, load: 0.5 },
        Status::Failed(-12),
        Status::Gone,
    ] {
        let p = std::ptr::from_ref(&v).cast::<u8>();
        // SAFETY: a plain tag of two bytes at offset 0 of a live value.
        let tag = u64::from(unsafe { p.cast::<u16>().read() });
        let case = status.cases.iter().position(|c| c.tag == tag).unwrap();
        let case_of = Status::DESCRIPTOR
            .enum_info()
            .unwrap()
            .witnesses()
            .0
            .unwrap();
        // SAFETY: a live `Status`.
        let by_witness = unsafe { case_of(p) } as usize;
        assert_eq!(by_witness, case, "tag and witness agree");
        if let Status::Busy { jobs, load } = v {
            let f = &status.cases[case].fields;
            // SAFETY: plain payload offsets of the live value's case.
            unsafe {
                assert_eq!(p.add(f[0].offset).cast::<u32>().read(), jobs);
                assert_eq!(p.add(f[1].offset).cast::<f32>().read(), load);
            }
        }
        if let Status::Failed(code) = v {
            let f = &status.cases[case].fields;
            // SAFETY: as above.
            assert_eq!(unsafe { p.add(f[0].offset).cast::<i64>().read() }, code);
        }
    }
}

#[test]
fn the_write_case_witness_builds_each_case_from_its_payload() {
    let write = Shape::DESCRIPTOR
        .enum_info()
        .unwrap()
        .witnesses()
        .2
        .unwrap();
    let mut out = std::mem::MaybeUninit::<Shape>::uninit();
    let (id, tags, on) = (9u32, *b"xyz", false);
    let payload = [
        std::ptr::from_ref(&id).cast::<u8>(),
        std::ptr::from_ref(&tags).cast::<u8>(),
        std::ptr::from_ref(&on).cast::<u8>(),
    ];
    // SAFETY: room for a `Shape`; case 3's three fields, each a live value
    // of its type.
    let status = unsafe { write(out.as_mut_ptr().cast(), 3, payload.as_ptr()) };
    assert_eq!(status, 0);
    // SAFETY: written above.
    let v = unsafe { out.assume_init() };
    assert_eq!(
        v,
        Shape::Labelled {
            id: 9,
            tags: *b"xyz",
            on: false
        }
    );
    let mut out = std::mem::MaybeUninit::<Shape>::uninit();
    // SAFETY: case 9 is out of range: nothing is read or written.
    let status = unsafe { write(out.as_mut_ptr().cast(), 9, std::ptr::null()) };
    assert_eq!(status, 1);
}

/// The fingerprint covers cases: a layout whose case list differs has
/// another fingerprint.
#[test]
fn an_enums_fingerprint_covers_its_cases() {
    let mut t = Status::DESCRIPTOR.to_layout();
    assert_eq!(t.compute_fingerprint(), t.fingerprint);
    t.enum_info.as_mut().unwrap().cases[0].tag = 99;
    assert_ne!(t.compute_fingerprint(), t.fingerprint);
    let mut t = Shape::DESCRIPTOR.to_layout();
    t.enum_info.as_mut().unwrap().cases.pop();
    assert_ne!(t.compute_fingerprint(), t.fingerprint);
}
