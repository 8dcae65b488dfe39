//! A view written against v1 reads and writes the right bytes in v1, v2 and
//! v3, and is refused by v4 with an error naming the fields.

use resilient_loader::{Error, Library};
use resilient_types::{Mismatch, Value};

use crate::{plugin, Ffi, WidgetView};

/// Reads the library's defaults, then writes a distinct byte pattern into
/// every field and reads it back, and checks through the library's own code
/// that it sees the same `id` and that its private label is untouched.
fn read_write_every_field(version: u64) {
    let path = plugin(&format!("widget-v{version}"));
    let lib = Library::open(&path).unwrap();
    let w = lib.bind::<WidgetView>().unwrap();
    let ffi = Ffi::open(&path);
    let mut value = Value::new(&w).unwrap();
    let n = version as i32;

    // The library's own defaults, read through our offsets.
    let r = value.as_ref();
    assert_eq!(r.get(w.id), version);
    assert_eq!(r.get(w.weight), version as f32 + 0.5);
    assert_eq!(r.get(w.flags), 0x0101 * version as u16);
    assert_eq!(&r.get(w.tags), format!("v{version}v{version}").as_bytes());
    assert_eq!(r.get_checked(w.active), Some(true));
    let origin = r.nested(w.origin);
    assert_eq!(
        (origin.get(w.origin.view().x), origin.get(w.origin.view().y)),
        (-n, n)
    );
    // SAFETY: `r` points at a live Widget of this very library.
    let label = unsafe { (ffi.label_len)(r.as_ptr()) };
    assert!(label > 0);

    // Distinct per-field, per-byte values: a wrong offset shows which bytes moved.
    let mut m = value.as_mut();
    m.set(w.id, 0x0102_0304_0506_0708);
    m.set(w.weight, f32::from_bits(0x1112_1314));
    m.set(w.flags, 0x2122);
    m.set(w.tags, [0x31, 0x32, 0x33, 0x34]);
    m.set(w.active, false);
    let p = w.origin.view();
    let mut o = m.nested(w.origin);
    o.set(p.x, 0x4142_4344);
    o.set(p.y, 0x5152_5354);

    let r = value.as_ref();
    assert_eq!(r.get(w.id), 0x0102_0304_0506_0708);
    assert_eq!(r.get(w.weight).to_bits(), 0x1112_1314);
    assert_eq!(r.get(w.flags), 0x2122);
    assert_eq!(r.get(w.tags), [0x31, 0x32, 0x33, 0x34]);
    assert_eq!(r.get_checked(w.active), Some(false));
    assert_eq!(r.nested(w.origin).get(p.x), 0x4142_4344);
    assert_eq!(r.nested(w.origin).get(p.y), 0x5152_5354);
    // SAFETY: `r` points at a live Widget of this very library.
    unsafe {
        assert_eq!(
            (ffi.get_id)(r.as_ptr()),
            0x0102_0304_0506_0708,
            "the library sees our write"
        );
        assert_eq!(
            (ffi.label_len)(r.as_ptr()),
            label,
            "private field untouched"
        );
    }
    match (version, w.scale) {
        (3, Some(scale)) => assert_eq!(r.get(scale), 0.5),
        (3, None) => panic!("v3 has `scale`"),
        (_, Some(_)) => panic!("only v3 has `scale`"),
        (_, None) => {}
    }
}

#[test]
fn v1_view_reads_and_writes_v1() {
    read_write_every_field(1);
}

#[test]
fn v1_view_reads_and_writes_v2_with_field_added_and_reordered() {
    read_write_every_field(2);
}

#[test]
fn v1_view_reads_and_writes_v3_grown_and_realigned() {
    read_write_every_field(3);
    let lib = Library::open(plugin("widget-v3")).unwrap();
    let w = lib.bind::<WidgetView>().unwrap();
    assert_eq!(w.shape().align, 64);
    let v = Value::new(&w).unwrap();
    assert_eq!(
        v.as_ref().as_ptr() as usize % 64,
        0,
        "value honours the run-time alignment"
    );
}

#[test]
fn v4_is_refused_naming_every_field() {
    let err = Library::open(plugin("widget-v4"))
        .unwrap()
        .bind::<WidgetView>()
        .unwrap_err();
    let Error::Bind { source, .. } = &err else {
        panic!("expected a bind error, got {err}");
    };
    let resilient_types::Error::Bind { mismatches, ty, .. } = &**source else {
        panic!("expected a bind error, got {err}");
    };
    assert_eq!(ty, "Widget");
    assert!(mismatches.contains(&Mismatch::Retyped {
        ty: "Widget".into(),
        field: "weight".into(),
        expected: "f32".into(),
        found: "f64".into(),
    }));
    // The missing field names what the type has, the closest names first.
    let missing = mismatches
        .iter()
        .find_map(|m| match m {
            Mismatch::MissingField {
                ty,
                field,
                expected,
                existing,
            } if ty == "Widget" && field == "flags" && expected == "u16" => Some(existing),
            _ => None,
        })
        .expect("flags is missing");
    assert_eq!(
        missing.first().map(String::as_str),
        Some("tags"),
        "{missing:?}"
    );
    assert_eq!(mismatches.len(), 2, "{mismatches:?}");
    let msg = err.to_string();
    assert!(msg.contains("libwidget_v4"), "{msg}");
    assert!(
        msg.contains("`Widget.weight` is f64, the view expects f32"),
        "{msg}"
    );
    assert!(msg.contains("`Widget.flags` (u16) is missing"), "{msg}");
}

#[test]
fn tokens_are_copy_and_refuse_other_bindings() {
    let v1 = Library::open(plugin("widget-v1"))
        .unwrap()
        .bind::<WidgetView>()
        .unwrap();
    let v2 = Library::open(plugin("widget-v2"))
        .unwrap()
        .bind::<WidgetView>()
        .unwrap();
    let a = Value::new(&v1).unwrap();
    let id = v2.id; // a v2 token
    assert!(a.as_ref().try_get(id).is_err());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.as_ref().get(id)));
    assert!(caught.is_err(), "a v2 token must not read a v1 value");
}

#[test]
fn witnesses_run_exactly_once() {
    let path = plugin("widget-v2");
    let ffi = Ffi::open(&path);
    let w = Library::open(&path).unwrap().bind::<WidgetView>().unwrap();
    let (live, clones, drops) = ((ffi.live)(), (ffi.clones)(), (ffi.drops)());
    {
        let a = Value::new(&w).unwrap();
        let b = a.try_clone().unwrap();
        let _c = b.try_clone().unwrap();
        assert_eq!((ffi.live)() - live, 3);
        assert_eq!((ffi.clones)() - clones, 2);
        let arr = resilient_types::Array::new(&w, 5).unwrap();
        assert_eq!(arr.as_slice().iter().map(|r| r.get(w.id)).sum::<u64>(), 10);
        assert_eq!((ffi.live)() - live, 8);
    }
    assert_eq!((ffi.live)(), live);
    assert_eq!((ffi.drops)() - drops, 8);
}
