//! Functions of real plugins: bound once with their signatures checked,
//! called through the library's thunks; errors and panics come back as
//! errors and leave the library usable; signature changes are refused at
//! bind, naming the function.

use resilient_loader::{Error, Library};
use resilient_types::{api, Func, In, InMut, Out, OwnedSlice, OwnedStr, Str, Value};

use crate::{plugin, PointView, WidgetView};

api! {
    /// What a host written against widgets 1.0 calls.
    pub struct WidgetApi = "widgets" {
        pub live_count: Func<fn() -> isize>,
        pub widget_id: Func<fn(In<WidgetView>) -> u64>,
        pub label_len: Func<fn(In<WidgetView>) -> usize>,
        pub rename: Func<fn(InMut<WidgetView>, Str)>,
        pub parse_id: Func<fn(Str) -> u64>,
        pub maybe_panic: Func<fn(bool, Str) -> u32>,
        pub silence_panics: Func<fn()>,
        /// New in 1.1.
        pub weight_lb: Option<Func<fn(In<WidgetView>) -> f64>>,
    }
}

#[test]
fn a_plugins_functions_are_called_through_bound_signatures() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let api = lib.bind_api::<WidgetApi>().unwrap();
    assert!(api.weight_lb.is_none(), "1.0 has no weight_lb");
    let w = lib.bind::<WidgetView>().unwrap();
    let before = api.live_count.call().unwrap();
    let mut v = Value::new(&w).unwrap();
    assert_eq!(api.live_count.call().unwrap(), before + 1);
    v.as_mut().set(w.id, 0xfeed);
    assert_eq!(api.widget_id.call(v.as_ref()).unwrap(), 0xfeed);
    api.rename
        .call(v.as_mut(), "a longer label, on the library's heap")
        .unwrap();
    assert_eq!(api.label_len.call(v.as_ref()).unwrap(), 37);
    assert_eq!(api.parse_id.call("123").unwrap(), 123);
    let err = api.parse_id.call("12x").unwrap_err();
    assert!(
        err.to_string().starts_with("`parse_id` of widgets 1.0.0 (")
            && err
                .to_string()
                .ends_with("failed: invalid digit found in string"),
        "{err}"
    );
    drop(v);
    assert_eq!(api.live_count.call().unwrap(), before);

    let v2 = Library::open(plugin("widget-v2")).unwrap();
    let api2 = v2.bind_api::<WidgetApi>().unwrap();
    let w2 = v2.bind::<WidgetView>().unwrap();
    let value = Value::new(&w2).unwrap();
    let lb = api2
        .weight_lb
        .as_ref()
        .unwrap()
        .call(value.as_ref())
        .unwrap();
    assert!((lb - 2.5 * 2.204_622_6).abs() < 1e-9, "{lb}");
    // A value of 1.1's Widget passed to 1.0's function: refused.
    let err = api.widget_id.call(value.as_ref()).unwrap_err();
    assert!(
        matches!(err.error(), resilient_types::Error::WrongBinding { .. }),
        "{err}"
    );
}

/// A panicking function, 10,000 times, then a normal one: every panic is
/// an error naming the function with its message, the library stays
/// usable, and nothing leaks (CI runs this under valgrind's memcheck).
#[test]
fn panics_never_cross_and_the_library_stays_usable() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let api = lib.bind_api::<WidgetApi>().unwrap();
    api.silence_panics.call().unwrap();
    let rounds = if std::env::var_os("RESILIENT_SHORT").is_some() {
        100
    } else {
        10_000
    };
    for i in 0..rounds {
        let err = api
            .maybe_panic
            .call(true, "the bolts are loose")
            .unwrap_err();
        if i == 0 {
            assert!(
                err.to_string()
                    .starts_with("`maybe_panic` panicked: the bolts are loose (in widgets 1.0.0 ("),
                "{err}"
            );
            assert!(matches!(
                err.error(),
                resilient_types::Error::Call { panicked: true, .. }
            ));
        }
    }
    assert_eq!(api.maybe_panic.call(false, "").unwrap(), 7);
}

api! {
    pub struct Retyped = "widgets" {
        pub weight_lb: Func<fn(In<WidgetView>) -> f64>,
    }
}

#[test]
fn a_changed_signature_is_refused_at_bind_naming_it() {
    let lib = Library::open(plugin("widget-v4")).unwrap();
    let err = lib.bind_api::<Retyped>().unwrap_err();
    assert!(
        err.to_string()
            .contains("function `weight_lb` returns f32, the client expects f64"),
        "{err}"
    );
    let err = Library::open(plugin("widget-v1"))
        .unwrap()
        .bind_api::<Retyped>()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("function `weight_lb` (fn weight_lb(p0: &Widget) -> f64) is missing"),
        "{err}"
    );
}

#[test]
fn a_bound_function_keeps_its_library_loaded() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let api = lib.bind_api::<WidgetApi>().unwrap();
    let err = lib.clone().unload().unwrap_err();
    assert!(matches!(err, Error::InUse { .. }), "{err}");
    drop(lib);
    // The library is still mapped: the call runs its code.
    assert!(api.live_count.call().unwrap() >= 0);
}

api! {
    /// The functions that hand the host values of exported types.
    pub struct Makers = "widgets" {
        pub make_widget: Func<fn(u64, Str) -> Out<WidgetView>>,
        pub parse_point: Func<fn(Str) -> Out<PointView>>,
        pub widget_id: Func<fn(In<WidgetView>) -> u64>,
        pub label_len: Func<fn(In<WidgetView>) -> usize>,
        pub live_count: Func<fn() -> isize>,
    }
}

/// A function returning a value of an exported type: the library moves it
/// into room of its run-time size, and the host owns it as a `Value` (read
/// through the view's tokens, cloned and dropped by the library's
/// witnesses), whatever the version's layout.
#[test]
fn values_of_exported_types_are_returned_as_owned_values() {
    let mut served = 0;
    for version in ["widget-v1", "widget-v2", "widget-v3", "widget-v4"] {
        let lib = Library::open(plugin(version)).unwrap();
        let api = match (lib.bind::<WidgetView>(), lib.bind_api::<Makers>()) {
            (Ok(_), Ok(api)) => api,
            // A version whose `Widget` the view cannot bind: the function
            // that returns one is refused too, naming the view's mismatch.
            (Err(view), Err(api)) => {
                let view = view.to_string();
                let first = view.rsplit(": ").next().unwrap();
                assert!(api.to_string().contains(first), "{api}\n{view}");
                continue;
            }
            (view, api) => panic!("{version}: {view:?} / {api:?}"),
        };
        served += 1;
        let before = api.live_count.call().unwrap();
        let label = "made by the library";
        let made: Value<WidgetView> = api.make_widget.call(42, label).unwrap();
        assert_eq!(api.live_count.call().unwrap(), before + 1, "{version}");
        let w = made.bound().clone();
        assert_eq!(made.as_ref().get(w.id), 42, "{version}");
        assert_eq!(api.widget_id.call(made.as_ref()).unwrap(), 42);
        assert_eq!(api.label_len.call(made.as_ref()).unwrap(), label.len());
        let twin = made.try_clone().unwrap();
        assert_eq!(api.label_len.call(twin.as_ref()).unwrap(), label.len());
        assert_eq!(api.live_count.call().unwrap(), before + 2, "{version}");
        drop((made, twin));
        assert_eq!(api.live_count.call().unwrap(), before, "{version}");

        let p = api.parse_point.call(" 3, -4").unwrap();
        let pv = p.bound().clone();
        assert_eq!((p.as_ref().get(pv.x), p.as_ref().get(pv.y)), (3, -4));
        let err = api.parse_point.call("3;4").unwrap_err();
        assert!(
            err.to_string().ends_with("failed: `3;4` is not `x,y`"),
            "{err}"
        );
    }
    assert!(served >= 2, "most versions serve the 1.0 host");
}

api! {
    /// `make_widget` declared as returning a point: refused at bind.
    pub struct WrongResult = "widgets" {
        pub make_widget: Func<fn(u64, Str) -> Out<PointView>>,
    }
}

#[test]
fn a_returned_value_of_another_type_is_refused_at_bind() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let err = lib.bind_api::<WrongResult>().unwrap_err();
    assert!(
        err.to_string()
            .contains("function `make_widget` returns Widget, the client expects Point"),
        "{err}"
    );
}

api! {
    /// Functions returning an owned `String` and `Vec<u64>`.
    pub struct Owned = "widgets" {
        pub greeting: Func<fn(Str) -> OwnedStr>,
        pub squares: Func<fn(u32) -> OwnedSlice<u64>>,
    }
}

/// An owned `String` or `Vec<T>` comes back in the library's own
/// allocation, read in place (no copy) and freed by the library when the
/// host drops it; 100,000 of them leak nothing (CI runs this under
/// memcheck). The host's copy keeps the library loaded.
#[test]
fn owned_strings_and_vectors_are_read_in_place_and_freed_by_the_library() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let api = lib.bind_api::<Owned>().unwrap();
    let s = api.greeting.call("host").unwrap();
    assert_eq!(s.as_str().unwrap(), "hello, host");
    let v = api.squares.call(5).unwrap();
    assert_eq!(&*v, &[0, 1, 4, 9, 16]);
    assert!(api.squares.call(0).unwrap().is_empty());
    let rounds = if std::env::var_os("RESILIENT_SHORT").is_some() {
        1_000
    } else {
        100_000
    };
    let mut total = 0usize;
    for i in 0..rounds {
        let s = api
            .greeting
            .call(if i % 2 == 0 { "a" } else { "bb" })
            .unwrap();
        total += s.as_bytes().len();
    }
    assert_eq!(total, rounds / 2 * 8 + rounds / 2 * 9);
    drop(lib);
    // The string outlives the library handle: it keeps the code alive.
    assert_eq!(s.as_str().unwrap(), "hello, host");
    drop(s);

    // A host declaring a `String` result against a function returning a
    // `u64` is refused at bind, naming it.
    api! {
        pub struct Wrong = "widgets" {
            pub live_count: Func<fn() -> OwnedStr>,
        }
    }
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let err = lib.bind_api::<Wrong>().unwrap_err();
    assert!(
        err.to_string()
            .contains("function `live_count` returns isize, the client expects String"),
        "{err}"
    );
}
