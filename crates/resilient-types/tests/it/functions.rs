//! Functions across the boundary, in process (the loader's tests call real
//! plugins): signatures checked at bind, panics and errors caught, values
//! passed by reference checked against the library's type.

use layout_meta::Resilient;
use resilient_types::{
    api, view, Api, Bound, Error, Field, Func, In, InMut, InProcess, Mismatch, OptIn, SliceOf, Str,
    Value,
};

#[derive(Resilient, Clone, Default)]
#[resilient(clone, default)]
pub struct Circle {
    pub r: f64,
    label: String,
}

/// The area of a circle.
#[layout_meta::export]
pub fn area(c: &Circle) -> f64 {
    3.0 * c.r * c.r
}

#[layout_meta::export]
pub fn grow(c: &mut Circle, by: f64) {
    c.r += by;
    c.label.push('+');
}

#[layout_meta::export]
pub fn radius_or(c: Option<&Circle>, default: f64) -> f64 {
    c.map_or(default, |c| c.r)
}

#[layout_meta::export]
pub fn sum(xs: &[u32]) -> u64 {
    xs.iter().map(|&x| u64::from(x)).sum()
}

#[layout_meta::export]
pub fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.trim().parse()
}

#[layout_meta::export]
pub fn boom(n: u32) -> u32 {
    if n > 2 {
        panic!("n is {n}, too big");
    }
    n
}

view! {
    pub struct CircleView = "shapes"::"Circle" { pub r: Field<f64> }
}

api! {
    pub struct Shapes = "shapes" {
        pub area: Func<fn(In<CircleView>) -> f64>,
        pub grow: Func<fn(InMut<CircleView>, f64)>,
        pub radius_or: Func<fn(OptIn<CircleView>, f64) -> f64>,
        pub sum: Func<fn(SliceOf<u32>) -> u64>,
        pub parse: Func<fn(Str) -> u32>,
        pub boom: Func<fn(u32) -> u32>,
        pub later: Option<Func<fn(u32) -> u32>>,
    }
}

fn shapes() -> InProcess {
    InProcess::new("shapes", "1.0.0")
        .with::<Circle>()
        .with_fn::<area>()
        .with_fn::<grow>()
        .with_fn::<radius_or>()
        .with_fn::<sum>()
        .with_fn::<parse>()
        .with_fn::<boom>()
}

#[test]
fn bound_functions_are_called_with_checked_signatures() {
    let src = shapes();
    let api = Shapes::bind(&src).unwrap();
    let c = Bound::<CircleView>::bind(&src).unwrap();
    let mut v = Value::new(&c).unwrap();
    v.as_mut().set(c.r, 2.0);
    assert_eq!(api.area.call(v.as_ref()).unwrap(), 12.0);
    api.grow.call(v.as_mut(), 1.0).unwrap();
    assert_eq!(v.as_ref().get(c.r), 3.0);
    assert_eq!(api.radius_or.call(Some(v.as_ref()), 0.5).unwrap(), 3.0);
    assert_eq!(api.radius_or.call(None, 0.5).unwrap(), 0.5);
    assert_eq!(
        api.sum.call(&[1, 2, 3, u32::MAX]).unwrap(),
        6 + u64::from(u32::MAX)
    );
    assert_eq!(api.sum.call(&[]).unwrap(), 0);
    assert_eq!(api.parse.call(" 42 ").unwrap(), 42);
    assert!(api.later.is_none());
}

#[test]
fn errors_and_panics_come_back_as_errors_and_the_library_stays_usable() {
    let src = shapes();
    let api = Shapes::bind(&src).unwrap();
    let err = api.parse.call("forty-two").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`parse` of shapes 1.0.0 (<in-process>) failed: invalid digit found in string"
    );
    assert!(matches!(
        err.error(),
        Error::Call {
            panicked: false,
            ..
        }
    ));
    for _ in 0..if cfg!(miri) { 3 } else { 1_000 } {
        let err = api.boom.call(7).unwrap_err();
        assert!(
            matches!(err.error(), Error::Call { panicked: true, .. }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "`boom` panicked: n is 7, too big (in shapes 1.0.0 (<in-process>); the panic was caught)"
        );
    }
    assert_eq!(api.boom.call(2).unwrap(), 2);
}

#[test]
fn a_value_of_another_binding_is_refused() {
    let src = shapes();
    let api = Shapes::bind(&src).unwrap();
    // The same type from another module instance: another binding.
    let other = shapes();
    let c = Bound::<CircleView>::bind(&other).unwrap();
    let v = Value::new(&c).unwrap();
    let err = api.area.call(v.as_ref()).unwrap_err();
    assert!(matches!(err.error(), Error::WrongBinding { .. }), "{err}");
}

api! {
    pub struct Retyped = "shapes" {
        pub area: Func<fn(In<CircleView>) -> f32>,
        pub grow: Func<fn(In<CircleView>, f64)>,
        pub sum: Func<fn(SliceOf<u32>, u32) -> u64>,
        pub parse: Func<fn(u32) -> u32>,
        pub missing: Func<fn() -> u32>,
        pub boom: Option<Func<fn(i32) -> u32>>,
    }
}

#[test]
fn every_signature_mismatch_is_reported_at_once() {
    let err = Retyped::bind(&shapes()).unwrap_err();
    let Error::BindFunctions { mismatches, .. } = &err else {
        panic!("{err}")
    };
    let text: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "function `area` returns f64, the client expects f32",
            "function `grow`: parameter 1 (`c`) is &mut Circle, the client passes &Circle",
            "function `sum` is `fn sum(xs: &[u32]) -> u64`, the client expects `fn sum(p0: &[u32], p1: u32) -> u64`",
            "function `parse`: parameter 1 (`text`) is &str, the client passes u32",
            "function `missing` (fn missing() -> u32) is missing",
            "function `boom`: parameter 1 (`n`) is u32, the client passes i32",
        ]
    );
    assert!(matches!(mismatches[4], Mismatch::MissingFunction { .. }));
}

/// An error whose `Display` fails, or panics: the host gets an error, the
/// process does not abort (formatting ran outside the thunk's catch).
pub struct Awkward(bool);

impl std::fmt::Display for Awkward {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 {
            panic!("Display panicked");
        }
        Err(std::fmt::Error)
    }
}

#[layout_meta::export]
pub fn awkward(panics: bool) -> Result<u32, Awkward> {
    Err(Awkward(panics))
}

api! {
    pub struct AwkwardApi = "shapes" {
        pub awkward: Func<fn(bool) -> u32>,
    }
}

#[test]
fn an_error_whose_display_fails_or_panics_is_still_an_error() {
    let src = InProcess::new("shapes", "1.0.0").with_fn::<awkward>();
    let api = AwkwardApi::bind(&src).unwrap();
    let err = api.awkward.call(false).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("failed: (the error's message could not be formatted)"),
        "{err}"
    );
    let err = api.awkward.call(true).unwrap_err();
    assert!(
        matches!(err.error(), Error::Call { panicked: true, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Display panicked"), "{err}");
}

/// A library written by hand (as a C or C++ thunk is) returning `bool`:
/// for `n` 0 it succeeds with a byte that is no `bool` (2), for 1 with
/// `true`, and otherwise it fails and leaves 2 in the result slot.
struct GarbageBool;

mod garbage {
    use core::mem::MaybeUninit;
    use layout_meta::function::{__private, pass, status, CallError, ParamDescriptor, Ret};
    use layout_meta::FieldType;

    pub(super) unsafe extern "C" fn thunk(n: u32, _ret: *mut (), err: *mut CallError) -> Ret<bool> {
        let mut value = MaybeUninit::<bool>::uninit();
        // SAFETY: one byte of room: a `bool`'s storage, written with 2.
        unsafe { value.as_mut_ptr().cast::<u8>().write(2) };
        match n {
            0 => {
                return Ret {
                    value,
                    status: status::OK,
                }
            }
            1 => return Ret::ok(true),
            _ => {}
        }
        // SAFETY: the caller's error slot (the thunk convention).
        unsafe { err.write(__private::message("no".into())) };
        Ret {
            value,
            status: status::FAILED,
        }
    }

    pub(super) static PARAMS: [ParamDescriptor; 1] = [ParamDescriptor::new(
        "n",
        pass::VALUE,
        <u32 as FieldType>::IDENTITY,
    )];
}

// SAFETY: the descriptor's thunk has the signature its records give
// (`(u32) -> bool`, calling convention 2, fallible).
unsafe impl layout_meta::ExportedFn for GarbageBool {
    const DESCRIPTOR: &'static layout_meta::function::FunctionDescriptor = &{
        use layout_meta::function::{fn_flags, pass, FunctionDescriptor, ParamDescriptor};
        FunctionDescriptor::new(
            "garbage_bool",
            fn_flags::FALLIBLE,
            &garbage::PARAMS,
            ParamDescriptor::new("", pass::VALUE, <bool as layout_meta::FieldType>::IDENTITY),
            // SAFETY: called only through its signature, above.
            unsafe {
                core::mem::transmute::<
                    unsafe extern "C" fn(
                        u32,
                        *mut (),
                        *mut layout_meta::function::CallError,
                    ) -> layout_meta::function::Ret<bool>,
                    layout_meta::function::ThunkFn,
                >(garbage::thunk)
            },
        )
    };
}

api! {
    pub struct Garbage = "shapes" {
        pub garbage_bool: Func<fn(u32) -> bool>,
    }
}

/// Regression: a failed call's scalar slot is a `MaybeUninit` in `Ret`
/// and never read as the result type, so a library that leaves a byte
/// that is no `bool` there (C and C++ thunks may) is no undefined
/// behaviour. Natively the call fails either way; under Miri (CI runs this
/// file) a `Ret` whose `value` was a plain `bool` was the error.
#[test]
fn a_failed_call_never_reads_its_scalar_slot_as_the_result_type() {
    let src = InProcess::new("shapes", "1.0.0").with_fn::<GarbageBool>();
    let api = Garbage::bind(&src).unwrap();
    for _ in 0..3 {
        let e = api.garbage_bool.call(7).unwrap_err().to_string();
        assert!(e.contains("garbage_bool") && e.contains("no"), "{e}");
    }
}

/// Regression: a call that succeeds with bits that are no value of its
/// scalar result (a `bool` of 2; a C library returns `RSL_RET(uint8_t)`
/// for a `bool`, and nothing else checks it) is an error naming the
/// function and the type, never a `bool` of 2 in safe code; a valid result
/// still comes back.
#[test]
fn a_successful_call_returning_bits_that_are_no_bool_is_an_error() {
    let src = InProcess::new("shapes", "1.0.0").with_fn::<GarbageBool>();
    let api = Garbage::bind(&src).unwrap();
    let err = api.garbage_bool.call(0).unwrap_err();
    assert!(
        matches!(err.error(), Error::InvalidResult { scalar: "bool", .. }),
        "{err}"
    );
    let e = err.to_string();
    assert!(
        e.contains("`garbage_bool` of") && e.contains("not a valid bool"),
        "{e}"
    );
    assert!(api.garbage_bool.call(1).unwrap());
}
