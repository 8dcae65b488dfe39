//! Frozen enum views (`enum_view! { .. frozen(FP) { .. } }`): no `Unknown`
//! arm, so a `match` is exhaustive; binding requires the enum frozen with
//! exactly that fingerprint and every case named; a value in a case the
//! metadata does not list is a typed refusal, never another case's arm.

use layout_meta::Resilient as _;
use resilient_types::{enum_view, Bound, Error, Field, InProcess, Mismatch, Ref};

#[derive(layout_meta::Resilient, Clone, Copy, Default)]
#[repr(u8)]
#[resilient(frozen, clone, default)]
#[allow(dead_code, reason = "read through the views")]
pub enum Level {
    #[default]
    Low,
    Normal,
    High {
        boost: u16,
    },
}

const LEVEL: u64 = Level::DESCRIPTOR.fingerprint();

enum_view! {
    /// Every case of the frozen `Level`: matched exhaustively.
    pub enum LevelCase: LevelView = "levels"::"Level" frozen(LEVEL) {
        Low,
        Normal,
        High(HighView { boost: Field<u16> }),
    }
}

/// The level a host reads: an exhaustive match, no `Unknown` arm (this
/// function does not compile if the case enum has one).
fn boost(levels: &LevelView, v: Ref<'_, LevelView>) -> u16 {
    match levels.read(v) {
        LevelCase::Low(_) => 0,
        LevelCase::Normal(_) => 1,
        LevelCase::High(h) => h.get(h.boost),
    }
}

fn levels() -> InProcess {
    InProcess::new("levels", "1.0.0").with::<Level>()
}

#[test]
fn a_frozen_view_binds_and_matches_exhaustively() {
    let src = levels();
    let b = Bound::<LevelView>::bind(&src).unwrap();
    let low = resilient_types::Value::new(&b).unwrap();
    assert_eq!(boost(&b, low.as_ref()), 0);
    let high = b.High.make(&b, 42).unwrap();
    assert_eq!(boost(&b, high.as_ref()), 42);
    assert!(matches!(b.try_read(high.as_ref()), Ok(LevelCase::High(_))));
    // `Normal` (tag 1 of the plain `repr(u8)` tag; a case without payload
    // is not built by the host).
    let bytes: [u16; 2] = [1, 0];
    assert_eq!(b.shape().size, core::mem::size_of_val(&bytes));
    // SAFETY: the bytes of `Level::Normal`, aligned and of its size.
    let normal = unsafe { Ref::<LevelView>::from_raw(bytes.as_ptr().cast(), b.shape()) };
    assert_eq!(boost(&b, normal), 1);
}

enum_view! {
    /// Written against another layout of `Level`.
    pub enum StaleCase: StaleView = "levels"::"Level" frozen(0x0123_4567_89ab_cdef) {
        Low,
        Normal,
        High(StaleHigh { boost: Field<u16> }),
    }
}

#[test]
fn a_frozen_view_of_another_fingerprint_is_refused_naming_the_enum() {
    let err = Bound::<StaleView>::bind(&levels()).unwrap_err();
    let Error::Bind { ty, mismatches, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(ty, "Level");
    assert_eq!(
        mismatches,
        &[Mismatch::FrozenChanged {
            ty: "Level".into(),
            expected: 0x0123_4567_89ab_cdef,
            found: LEVEL,
        }]
    );
    assert!(
        err.to_string()
            .contains("frozen type `Level` changed its layout"),
        "{err}"
    );
}

/// The same cases, not frozen: a library that never promised the layout.
mod open {
    #[derive(layout_meta::Resilient, Clone, Copy, Default)]
    #[repr(u8)]
    #[resilient(clone, default, name = "Level", prefix = "open_")]
    #[allow(dead_code, reason = "bound, not read")]
    pub enum OpenLevel {
        #[default]
        Low,
        Normal,
        High {
            boost: u16,
        },
    }
}

#[test]
fn a_frozen_view_of_an_enum_that_is_not_frozen_is_refused() {
    let src = InProcess::new("levels", "1.0.0").with::<open::OpenLevel>();
    let err = Bound::<LevelView>::bind(&src).unwrap_err();
    let Error::Bind { mismatches, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(mismatches, &[Mismatch::NotFrozen { ty: "Level".into() }]);
    assert!(
        err.to_string()
            .contains("type `Level` is not frozen, the view expects it frozen"),
        "{err}"
    );
}

enum_view! {
    /// Frozen, but without `Normal`: its match would have no arm for it.
    pub enum PartialCase: PartialView = "levels"::"Level" frozen(LEVEL) {
        Low,
        High(PartialHigh { boost: Field<u16> }),
    }
}

enum_view! {
    /// Not frozen, without `Normal`: `Normal` reads as `Unknown`.
    pub enum OpenCase: OpenView = "levels"::"Level" {
        Low,
        High(OpenHigh { boost: Field<u16> }),
    }
}

#[test]
fn a_frozen_view_names_every_case_and_an_open_one_keeps_unknown() {
    let src = levels();
    let err = Bound::<PartialView>::bind(&src).unwrap_err();
    assert!(
        err.to_string().contains(
            "frozen enum `Level` has case `Normal` the view does not name: a frozen view matches exhaustively"
        ),
        "{err}"
    );
    let open = Bound::<OpenView>::bind(&src).unwrap();
    // `Normal` (tag 1 of the plain `repr(u8)` tag) is not a case of the
    // open view: `Unknown`, never another arm.
    for (tag, unknown) in [(0u16, false), (1, true)] {
        let bytes = [tag, 0];
        assert_eq!(open.shape().size, core::mem::size_of_val(&bytes));
        // SAFETY: the bytes of a fieldless `Level` (tag `tag`), aligned and
        // of its size; only the host's tag read looks at them.
        let v = unsafe { Ref::<OpenView>::from_raw(bytes.as_ptr().cast(), open.shape()) };
        assert_eq!(
            matches!(open.read(v), OpenCase::Unknown),
            unknown,
            "tag {tag}"
        );
        assert!(open.try_read(v).is_ok());
    }
}

#[test]
fn a_value_in_a_case_the_metadata_does_not_list_is_refused_not_misread() {
    let src = levels();
    let b = Bound::<LevelView>::bind(&src).unwrap();
    // A library that broke its frozen promise: tag 9, which `Level`'s
    // metadata does not list (its tag is plain data at offset 0, read
    // without calling the library: no library code sees these bytes).
    let bytes: [u16; 2] = [9, 0];
    assert_eq!(b.shape().size, core::mem::size_of_val(&bytes));
    // SAFETY: readable, aligned bytes of the bound type's size, which only
    // the host's tag read looks at.
    let bad = unsafe { Ref::<LevelView>::from_raw(bytes.as_ptr().cast(), b.shape()) };
    let err = b.try_read(bad).map(|_| ()).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownCase {
            ty: "Level".into(),
            key: 9
        }
    );
    assert_eq!(
        err.to_string(),
        "a value of frozen enum `Level` is in a case its library does not list (tag or case index 9): the library broke its frozen promise"
    );
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = b.read(bad);
    }))
    .unwrap_err();
    let message = panicked
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("frozen enum `Level`"), "{message}");
}
