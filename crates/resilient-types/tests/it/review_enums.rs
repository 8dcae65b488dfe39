//! Regression tests for the holes a review found in enum views and owned
//! results (each was undefined behaviour reachable from safe host code:
//! Miri reported it, or the process aborted), and what the review found
//! sound. Each hole's test now checks the refusal that closes it.

use std::sync::Arc;

use resilient_types::{
    api, enum_view, view, Api, Bound, Field, ForeignFunction, ForeignType, Func, InProcess, Origin,
    Out, TypeSource, Value,
};

// ---------------------------------------------------------------------------
// 1. Payload tokens are checked against the *host's* case index, which is
//    per view type, not per binding: two enum views of one binding number
//    their cases differently, and a token of one passes the check on a Case
//    of the other.

#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default)]
#[repr(u8)]
#[allow(dead_code, reason = "read through the views")]
pub enum Msg {
    #[default]
    Empty,
    Big {
        a: u64,
        b: u64,
    },
}

enum_view! {
    /// Knows `Big` first (host case 0 = library case `Big`).
    pub enum BigFirst: BigFirstView = "msgs"::"Msg" {
        Big(BigA { b: Field<u64> }),
        Empty,
    }
}

enum_view! {
    /// Knows `Empty` first (host case 0 = library case `Empty`).
    pub enum EmptyFirst: EmptyFirstView = "msgs"::"Msg" {
        Empty,
        Big(BigB { a: Field<u64> }),
    }
}

/// Was UB (read `Big.b` from a value in case `Empty`): tokens and cases
/// now carry the library's key of the case, the same in every view.
#[test]
#[should_panic(expected = "the token belongs to another binding")]
fn review_payload_token_of_another_view_passes_the_case_check() {
    let src = InProcess::new("msgs", "1.0.0").with::<Msg>();
    let big_first = Bound::<BigFirstView>::bind(&src).unwrap();
    let empty_first = Bound::<EmptyFirstView>::bind(&src).unwrap();
    let v = Value::new(&empty_first).unwrap(); // Msg::Empty
    match empty_first.read(v.as_ref()) {
        EmptyFirst::Empty(c) => {
            // A token of `Big` (host case 0 of the other view), on a Case
            // of `Empty` (host case 0 of this view): same binding, same
            // host index, so `field_ptr` lets it through. Safe code.
            let garbage: u64 = c.get(big_first.Big.b);
            std::hint::black_box(garbage);
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// 2. `Construct::__build` (what `make` calls) never checks that `bound` is
//    the binding the payload view's tokens (case index, field order,
//    write_case witness) were made for: it allocates the block from
//    `bound`'s layout and runs the *other* binding's witness into it.

/// Library 1.0's `Shape`: 24 bytes.
#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default, name = "Shape", prefix = "small_")]
pub enum SmallShape {
    #[default]
    Empty,
    Rect {
        w: f64,
        h: f64,
    },
}

/// Library 2.0's `Shape`: same `Rect`, one big case more (264 bytes).
#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default, name = "Shape", prefix = "big_")]
#[allow(clippy::large_enum_variant, reason = "the point: a bigger layout")]
pub enum BigShape {
    #[default]
    Empty,
    Rect {
        w: f64,
        h: f64,
    },
    Huge([u64; 32]),
}

enum_view! {
    pub enum ShapeCase: ShapeView = "shapes"::"Shape" {
        Empty,
        Rect(RectView { w: Field<f64>, h: Field<f64> }),
    }
}

/// Was UB (2.0's `write_case` wrote 264 bytes into 1.0's 24-byte block):
/// `make` now refuses a `Bound` of another binding.
#[test]
fn review_make_with_another_binding_overflows_the_block() {
    let v1 = InProcess::new("shapes", "1.0.0").with::<SmallShape>();
    let v2 = InProcess::new("shapes", "2.0.0").with::<BigShape>();
    let small = Bound::<ShapeView>::bind(&v1).unwrap();
    let big = Bound::<ShapeView>::bind(&v2).unwrap();
    assert_eq!(small.shape().size, 24);
    assert_eq!(big.shape().size, 264);
    // The payload view of the 2.0 binding, the `Bound` of the 1.0 one: safe.
    let made = big.Rect.make(&small, 1.0, 2.0);
    assert!(
        matches!(made, Err(resilient_types::Error::WrongBinding { .. })),
        "{made:?}"
    );
    let ok = big.Rect.make(&big, 1.0, 2.0).unwrap();
    assert!(matches!(big.read(ok.as_ref()), ShapeCase::Rect(r) if r.get(r.h) == 2.0));
}

// ---------------------------------------------------------------------------
// 3. Owned results: `Out<V>` binds the result's type through
//    `TypeSource::foreign_type`, the function through
//    `TypeSource::function`, and never checks that both come from the same
//    library. `TypeSource` is a safe trait (bind.rs says so, and checks the
//    owner for nested fields); a source that mixes two libraries makes a
//    `Value` of one type from the other library's bytes.

#[derive(layout_meta::Resilient)]
#[resilient(name = "Square", prefix = "small_")]
pub struct SmallSquare {
    pub side: f64,
}

#[derive(layout_meta::Resilient)]
#[resilient(name = "Square", prefix = "big_")]
#[allow(dead_code, reason = "a private field the library owns")]
pub struct BigSquare {
    pub side: f64,
    pub pad: [u64; 32],
    name: String,
}

#[layout_meta::export(name = "square")]
pub fn big_square(side: f64) -> BigSquare {
    BigSquare {
        side,
        pad: [7; 32],
        name: "a big square".into(),
    }
}

view! {
    pub struct SquareView = "squares"::"Square" { pub side: Field<f64> }
}

api! {
    pub struct Squares = "squares" { pub square: Func<fn(f64) -> Out<SquareView>> }
}

/// Types of one library, functions of another: safe to write.
struct Mixed {
    types: InProcess,
    functions: InProcess,
}

impl TypeSource for Mixed {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        self.types.foreign_type(name)
    }
    fn origin(&self) -> Origin {
        self.types.origin()
    }
    fn function(&self, name: &str) -> Option<Arc<ForeignFunction>> {
        self.functions.function(name)
    }
}

/// Was UB (a 272-byte `BigSquare` written into an 8-byte block of the
/// other library's `Square`): an owned result binds only to a type of the
/// function's own library.
#[test]
fn review_owned_result_from_a_mixed_type_source() {
    let src = Mixed {
        types: InProcess::new("squares", "1.0.0").with::<SmallSquare>(),
        functions: InProcess::new("squares", "2.0.0")
            .with::<BigSquare>()
            .with_fn::<big_square>(),
    };
    let err = Squares::bind(&src).unwrap_err();
    assert!(
        err.to_string()
            .contains("not from the library of the function"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// 4. `ForeignType::enum_witnesses` turns the witness *addresses* of the
//    layout (`usize`, made by `f as usize`, which exposes the pointer) back
//    into function pointers with `transmute::<usize, fn>`: a pointer
//    without provenance (transmute does not pick up exposed provenance).
//    Calling it is UB in Rust's abstract machine; Miri refuses the first
//    call, so every in-process read of a default-`repr` enum (case_of) and
//    every `make` (write_case) is UB under Miri, even with
//    `-Zmiri-permissive-provenance` (which CI uses).

#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default)]
pub enum Light {
    #[default]
    Off,
    On(u8),
}

enum_view! {
    pub enum LightCase: LightView = "lights"::"Light" {
        Off,
        On(OnView { _0: Field<u8> }),
    }
}

/// Was UB under Miri (the `case_of` witness called through a
/// provenance-less pointer): the addresses take back their exposed
/// provenance. Runs under Miri in CI.
#[test]
fn review_witness_call_through_a_transmuted_address() {
    let src = InProcess::new("lights", "1.0.0").with::<Light>();
    let lights = Bound::<LightView>::bind(&src).unwrap();
    let v = Value::new(&lights).unwrap();
    assert!(matches!(lights.read(v.as_ref()), LightCase::Off(_)));
}

/// Was UB (`InProcess` is not validated, and a function's result was not
/// checked against the type listed under its name): a compiled-in
/// function's result binds only to exactly its compiled-in type.
#[test]
fn review_owned_result_in_process_type_of_another_layout() {
    let src = InProcess::new("squares", "1.0.0")
        .with::<SmallSquare>()
        .with_fn::<big_square>();
    let err = Squares::bind(&src).unwrap_err();
    assert!(
        err.to_string()
            .contains("not the type the function was compiled for"),
        "{err}"
    );
    let good = InProcess::new("squares", "1.0.0")
        .with::<BigSquare>()
        .with_fn::<big_square>();
    let api = Squares::bind(&good).unwrap();
    let sq = Bound::<SquareView>::bind(&good).unwrap();
    assert_eq!(api.square.call(2.0).unwrap().as_ref().get(sq.side), 2.0);
}

// ---------------------------------------------------------------------------
// 5. `Construct::__build` took raw payload pointers as a safe function (the
//    host's own module could reach it): it is now an `unsafe fn`, so the
//    reviewer's reproducer (null payload pointers) no longer compiles.

// ---------------------------------------------------------------------------
// Checked and sound (kept as regression tests): an owned result of size 0
// (the block is a dangling, aligned pointer; the library writes and later
// drops the value exactly once), and an error status frees the block
// without running the drop witness.

static DROPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(layout_meta::Resilient)]
pub struct Nothing {}

impl Drop for Nothing {
    fn drop(&mut self) {
        DROPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[layout_meta::export]
pub fn nothing(fail: bool) -> Result<Nothing, String> {
    let n = Nothing {};
    if fail {
        // `n` is dropped here, in the library, once.
        return Err("refused".into());
    }
    Ok(n)
}

view! {
    pub struct NothingView = "zst"::"Nothing" {}
}

api! {
    pub struct Zst = "zst" { pub nothing: Func<fn(bool) -> Out<NothingView>> }
}

#[test]
fn review_sound_owned_result_of_size_zero_and_error_statuses() {
    use std::sync::atomic::Ordering::SeqCst;
    let src = InProcess::new("zst", "1.0.0")
        .with::<Nothing>()
        .with_fn::<nothing>();
    let api = Zst::bind(&src).unwrap();
    let before = DROPS.load(SeqCst);
    let v = api.nothing.call(false).unwrap();
    assert_eq!(
        DROPS.load(SeqCst),
        before,
        "moved into the block, not dropped"
    );
    drop(v);
    assert_eq!(
        DROPS.load(SeqCst),
        before + 1,
        "dropped once, by the witness"
    );
    assert!(api.nothing.call(true).is_err());
    assert_eq!(
        DROPS.load(SeqCst),
        before + 2,
        "the library dropped its own"
    );
}

#[layout_meta::export(name = "square")]
pub fn panicking_square(side: f64) -> BigSquare {
    let s = BigSquare {
        side,
        pad: [1; 32],
        name: "dropped by the unwinding library".into(),
    };
    assert!(side < 0.0, "boom");
    s
}

/// Sound: a panic in the library after it made (and before it moved) the
/// result comes back as an error; the block is freed, nothing leaks (Miri's
/// leak check), nothing is dropped twice.
#[test]
fn review_sound_owned_result_when_the_library_panics() {
    let src = InProcess::new("squares", "1.0.0")
        .with::<BigSquare>()
        .with_fn::<panicking_square>();
    let api = Squares::bind(&src).unwrap();
    let err = api.square.call(1.0).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    let v = api.square.call(-1.0).unwrap();
    drop(v);
}

/// Sound: a payload token of another binding (here: the same view bound to
/// another library version) panics, and so does `read` of a value of
/// another binding.
#[test]
#[cfg_attr(
    miri,
    ignore = "`make` calls write_case through a transmuted address (finding 4)"
)]
fn review_sound_tokens_and_values_of_another_binding_panic() {
    let v1 = InProcess::new("shapes", "1.0.0").with::<SmallShape>();
    let v2 = InProcess::new("shapes", "2.0.0").with::<BigShape>();
    let small = Bound::<ShapeView>::bind(&v1).unwrap();
    let big = Bound::<ShapeView>::bind(&v2).unwrap();
    let rect = small.Rect.make(&small, 1.0, 2.0).unwrap();
    let wrong_token = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match small.read(rect.as_ref()) {
            ShapeCase::Rect(r) => r.get(big.Rect.w),
            other => panic!("{other:?}"),
        }
    }));
    assert!(
        wrong_token.is_err(),
        "a token of another binding is refused"
    );
    let wrong_value = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = big.read(rect.as_ref());
    }));
    assert!(
        wrong_value.is_err(),
        "a value of another binding is refused"
    );
}

/// Library 1.1's `Shape`: `Rect` gained a field the host's view does not
/// name.
#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default, name = "Shape", prefix = "deep_")]
pub enum DeepShape {
    #[default]
    Empty,
    Rect {
        d: u8,
        w: f64,
        h: f64,
    },
}

/// Sound: a case with a field the view does not name cannot be built (it
/// is refused naming the field), and still reads.
#[test]
fn review_sound_a_case_with_more_fields_than_the_view_is_not_built() {
    let src = InProcess::new("shapes", "1.1.0").with::<DeepShape>();
    let deep = Bound::<ShapeView>::bind(&src).unwrap();
    let err = deep.Rect.make(&deep, 1.0, 2.0).unwrap_err();
    assert!(err.to_string().contains("`d`"), "{err}");
}

/// Sound: within one view, a token of another case panics before any read
/// (Miri-clean: a plain tag, the default witness, no enum witness call).
#[test]
fn review_sound_a_token_of_another_case_of_the_same_view_panics() {
    let src = InProcess::new("msgs", "1.0.0").with::<Msg>();
    let view = Bound::<EmptyFirstView>::bind(&src).unwrap();
    let v = Value::new(&view).unwrap(); // Msg::Empty
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match view.read(v.as_ref()) {
            EmptyFirst::Empty(c) => c.get(view.Big.a),
            other => panic!("{other:?}"),
        }
    }));
    assert!(read.is_err(), "a token of `Big` on a Case of `Empty`");
}
