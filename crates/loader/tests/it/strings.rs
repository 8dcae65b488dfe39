//! A host replaces a library's `String` field a million times through its
//! accessor, with growing contents: the library allocates and frees each
//! one with its own allocator, and its count of live allocations returns
//! to where it started once the value is dropped. CI runs this binary under
//! valgrind's memcheck, which reports any leak or bad free as an error.

use resilient_loader::Library;
use resilient_types::{api, view, Func, OptText, Text, Value};

use crate::plugin;

view! {
    pub struct NamesView = "widgets"::"Profile" {
        pub name: Text,
        pub nick: OptText,
    }
}

api! {
    pub struct Allocations = "widgets" {
        pub live_allocations: Func<fn() -> isize>,
    }
}

/// A million (about 30 s under memcheck, half a second natively).
const ROUNDS: usize = 1_000_000;

#[test]
fn a_million_replacements_free_what_they_allocate() {
    // A copy of its own: the library's allocation counter is process-wide,
    // and other tests of this binary use widgets 1.0 at the same time.
    let copy = resilient_testkit::scratch_dir("million").join("libwidget_million.so");
    std::fs::copy(plugin("widget-v1"), &copy).unwrap();
    let lib = Library::open(&copy).unwrap();
    let bound = lib.bind::<NamesView>().unwrap();
    let counters = lib.bind_api::<Allocations>().unwrap();
    let p = *bound.view();
    let rounds = ROUNDS;
    let start = counters.live_allocations.call().unwrap();
    {
        let mut value = Value::new(&bound).unwrap();
        let text = "x".repeat(4096);
        let mut m = value.as_mut();
        for i in 0..rounds {
            // Growing contents (1 to 4,096 bytes, then again), so the
            // library's `String` reallocates as it goes; the optional one
            // also goes back to `None` (freed) every third round.
            let len = 1 + i % 4096;
            m.set_text(p.name, &text[..len]);
            m.set_opt_text(p.nick, (i % 3 != 0).then(|| &text[..len / 2]));
        }
        let r = value.as_ref();
        assert_eq!(r.text(p.name).unwrap().len(), 1 + (rounds - 1) % 4096);
        assert!(counters.live_allocations.call().unwrap() > start);
    }
    assert_eq!(
        counters.live_allocations.call().unwrap(),
        start,
        "the library's allocations alive after the value is dropped"
    );
}
