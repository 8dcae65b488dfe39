//! Witnesses run exactly once (counted), on the heap, the stack and inline,
//! including when the closure panics; every alignment; zero-sized types;
//! values over the stack cap.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use resilient_types::{
    view, with_inline, with_stack, Array, Bound, Field, InProcess, Value, STACK_CAP,
};

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static MADE: Cell<isize> = const { Cell::new(0) };
    static DROPPED: Cell<isize> = const { Cell::new(0) };
}

fn counts() -> (isize, isize, isize) {
    (LIVE.get(), MADE.get(), DROPPED.get())
}

macro_rules! counted {
    ($name:ident, $align:literal, $payload:ty, $prefix:literal) => {
        /// Exported as `T`, the name the view asks for.
        #[derive(layout_meta::Resilient)]
        #[resilient(clone, default, name = "T", prefix = $prefix)]
        #[repr(C, align($align))]
        pub struct $name {
            pub tag: u32,
            pub payload: $payload,
            heap: Box<u8>,
        }
        impl Default for $name {
            fn default() -> Self {
                LIVE.set(LIVE.get() + 1);
                MADE.set(MADE.get() + 1);
                $name {
                    tag: 7,
                    payload: <$payload>::default(),
                    heap: Box::new(1),
                }
            }
        }
        impl Clone for $name {
            fn clone(&self) -> Self {
                LIVE.set(LIVE.get() + 1);
                MADE.set(MADE.get() + 1);
                $name {
                    tag: self.tag,
                    payload: self.payload.clone(),
                    heap: self.heap.clone(),
                }
            }
        }
        impl Drop for $name {
            fn drop(&mut self) {
                LIVE.set(LIVE.get() - 1);
                DROPPED.set(DROPPED.get() + 1);
            }
        }
    };
}

counted!(A1, 1, u8, "a1_");
counted!(A8, 8, u64, "a8_");
counted!(A64, 64, [u8; 32], "a64_");
counted!(A4096, 4096, u8, "a4096_");
counted!(A65536, 65536, u8, "a65536_");

#[derive(layout_meta::Resilient)]
#[resilient(clone, default, name = "T", prefix = "big_")]
pub struct Big {
    pub tag: u32,
    pub payload: [u8; STACK_CAP + 1],
    heap: Box<u8>,
}
impl Default for Big {
    fn default() -> Self {
        LIVE.set(LIVE.get() + 1);
        MADE.set(MADE.get() + 1);
        Big {
            tag: 7,
            payload: [9; STACK_CAP + 1],
            heap: Box::new(1),
        }
    }
}
impl Clone for Big {
    fn clone(&self) -> Self {
        LIVE.set(LIVE.get() + 1);
        MADE.set(MADE.get() + 1);
        Big {
            tag: self.tag,
            payload: self.payload,
            heap: self.heap.clone(),
        }
    }
}
impl Drop for Big {
    fn drop(&mut self) {
        LIVE.set(LIVE.get() - 1);
        DROPPED.set(DROPPED.get() + 1);
    }
}

view! {
    pub struct TagView = "counted"::"T" {
        pub tag: Field<u32>,
    }
}

fn bound<T: layout_meta::Resilient>() -> Bound<TagView> {
    // Every counted type is exported as `T`, one per module.
    Bound::bind(&InProcess::new("counted", "1.0.0").with::<T>()).unwrap()
}

/// Runs every way of holding a value of `T` and checks the witness counts.
fn exercise<T: layout_meta::Resilient>() {
    let b = bound::<T>();
    let align = b.shape().align;
    let before = counts();
    {
        let v = Value::new(&b).unwrap();
        assert_eq!(
            v.as_ref().as_ptr() as usize % align,
            0,
            "heap value aligned to {align}"
        );
        let c = v.try_clone().unwrap();
        assert_eq!(c.as_ref().get(b.tag), 7);
        let arr = Array::new(&b, 3).unwrap();
        assert!(arr
            .as_slice()
            .iter()
            .all(|r| r.get(b.tag) == 7 && r.as_ptr() as usize % align == 0));
    }
    let tag = with_stack(&b, |mut m| {
        assert_eq!(
            m.as_mut_ptr() as usize % align,
            0,
            "stack value aligned to {align}"
        );
        m.set(b.tag, 11);
        m.get(b.tag)
    })
    .unwrap();
    assert_eq!(tag, 11);
    let tag = with_inline::<256, _, _>(&b, |mut m| {
        assert_eq!(
            m.as_mut_ptr() as usize % align,
            0,
            "inline value aligned to {align}"
        );
        m.set(b.tag, 12);
        m.get(b.tag)
    })
    .unwrap();
    assert_eq!(tag, 12);
    // A panic in the closure still drops the value, then propagates.
    for inline in [false, true] {
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let f = |_m: resilient_types::Mut<'_, TagView>| -> () { panic!("boom") };
            if inline {
                let _ = with_inline::<256, _, _>(&b, f);
            } else {
                let _ = with_stack(&b, f);
            }
        }));
        assert_eq!(*caught.unwrap_err().downcast::<&str>().unwrap(), "boom");
    }
    let after = counts();
    assert_eq!(after.0, before.0, "every value made was dropped");
    assert_eq!(after.1 - before.1, 1 + 1 + 3 + 1 + 1 + 2, "made once each");
    assert_eq!(
        after.2 - before.2,
        after.1 - before.1,
        "dropped exactly once each"
    );
}

#[test]
fn witnesses_run_exactly_once_at_alignment_1() {
    exercise::<A1>();
}

#[test]
fn witnesses_run_exactly_once_at_alignment_8() {
    exercise::<A8>();
}

#[test]
fn witnesses_run_exactly_once_at_alignment_64() {
    exercise::<A64>();
}

#[test]
#[cfg_attr(
    miri,
    ignore = "an alignment over INLINE_ALIGN goes through the C `alloca` trampoline, which Miri cannot run"
)]
fn witnesses_run_exactly_once_at_alignment_4096() {
    exercise::<A4096>();
}

#[test]
fn witnesses_run_exactly_once_at_alignment_65536_on_the_heap() {
    // Over the stack cap and the inline alignment: every path falls back to
    // the heap, still aligned.
    exercise::<A65536>();
}

#[test]
fn values_over_the_stack_cap_go_to_the_heap() {
    exercise::<Big>();
    if cfg!(miri) {
        // Miri places stack and heap allocations anywhere in its address
        // space: the distance heuristic below would mean nothing.
        return;
    }
    let b = bound::<Big>();
    let on_stack = |p: usize| {
        let here = &p as *const usize as usize;
        here.abs_diff(p) < 1 << 20
    };
    with_stack(&b, |mut m| {
        assert!(
            !on_stack(m.as_mut_ptr() as usize),
            "a big value is on the heap"
        )
    })
    .unwrap();
    let small = bound::<A8>();
    with_stack(&small, |mut m| {
        assert!(
            on_stack(m.as_mut_ptr() as usize),
            "a small value is on the stack"
        )
    })
    .unwrap();
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod)]
pub struct Zst;

view! {
    pub struct ZstView = "zst"::"Zst" {}
}

#[test]
fn zero_sized_types() {
    let b = Bound::<ZstView>::bind(&InProcess::new("zst", "1.0.0").with::<Zst>()).unwrap();
    assert_eq!(b.shape().size, 0);
    let v = Value::new(&b).unwrap();
    let _c = v.try_clone().unwrap();
    assert_eq!(
        Array::new(&b, 1000).unwrap().as_slice().iter().count(),
        1000
    );
    assert_eq!(with_stack(&b, |_| 5).unwrap(), 5);
    assert_eq!(with_inline::<8, _, _>(&b, |_| 6).unwrap(), 6);
}

#[derive(layout_meta::Resilient)]
pub struct NoWitness {
    pub tag: u32,
    s: String,
}

view! {
    pub struct NoWitnessView = "nw"::"NoWitness" { pub tag: Field<u32> }
}

#[test]
fn a_type_without_default_or_clone_says_so() {
    let b =
        Bound::<NoWitnessView>::bind(&InProcess::new("nw", "1.0.0").with::<NoWitness>()).unwrap();
    let err = Value::new(&b).err().unwrap();
    let text = "type `NoWitness` of nw 1.0.0 (<in-process>) has no default_init witness, so this side cannot make a value of it: the library exports one with `#[resilient(default)]` on the type (or `pod`, for plain data), or hands out values through its functions";
    assert_eq!(err.to_string(), text);
    assert_eq!(format!("{err:?}"), text, "Debug reads as Display");
    assert!(with_stack(&b, |_| ()).is_err());
    let _ = NoWitness {
        tag: 0,
        s: String::new(),
    }
    .s;
}
