//! Bindings and values keep their library loaded; unloading while anything
//! uses it is refused.

use resilient_loader::{Error, Library, UnloadPolicy};
use resilient_types::Value;

use crate::{plugin, WidgetView};

#[test]
fn unload_while_bound_is_refused_and_the_binding_keeps_working() {
    let lib = Library::open(plugin("widget-v2")).unwrap();
    let w = lib.bind::<WidgetView>().unwrap();
    let value = Value::new(&w).unwrap();
    assert!(lib.users() >= 2, "binding and value count as users");
    let err = lib.clone().unload().unwrap_err();
    assert!(matches!(err, Error::InUse { .. }), "{err}");
    assert!(err.to_string().contains("libwidget_v2"), "{err}");
    // Drop the last handle: the binding and value still hold the library.
    drop(lib);
    assert_eq!(value.as_ref().get(w.id), 2);
    let again = Value::new(&w).unwrap();
    assert_eq!(again.as_ref().get(w.weight), 2.5);
}

#[test]
fn unload_when_unused_succeeds() {
    let lib = Library::open(plugin("widget-v3")).unwrap();
    {
        let w = lib.bind::<WidgetView>().unwrap();
        let _v = Value::new(&w).unwrap();
        assert!(lib.users() > 0);
    }
    assert_eq!(lib.users(), 0);
    lib.unload().unwrap();
}

#[test]
fn never_unload_policy_keeps_code_mapped() {
    let lib = Library::open_with(plugin("widget-v1"), UnloadPolicy::Never).unwrap();
    let w = lib.bind::<WidgetView>().unwrap();
    drop(Value::new(&w).unwrap());
    drop(w);
    lib.unload().unwrap();
}

#[test]
fn bindings_and_libraries_are_send_sync() {
    fn bounds<T: Send + Sync>() {}
    bounds::<Library>();
    bounds::<resilient_types::Bound<WidgetView>>();
    bounds::<resilient_types::Field<u64>>();
}

/// A second open of a library still loaded checks nothing again: both
/// opens share the layouts checked once (the same bytes at the same
/// addresses), but each makes its own types, with their own binding ids,
/// and each counts its own users. A private copy: no other test opens it.
#[test]
fn a_second_open_of_a_loaded_library_shares_its_checked_layouts() {
    let dir = resilient_testkit::scratch_dir("loader-shared-manifest");
    let path = dir.join("libwidget.so");
    std::fs::copy(plugin("widget-v2"), &path).unwrap();
    let first = Library::open(&path).unwrap();
    let a = first.bind::<WidgetView>().unwrap();
    // The same path (the fast road), and another name of the same file
    // (the checked road, which finds the object held all along).
    let link = dir.join("liblink.so");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    for other in [&path, &link] {
        let second = Library::open(other).unwrap();
        let b = second.bind::<WidgetView>().unwrap();
        assert!(
            std::ptr::eq(a.foreign_type().layout(), b.foreign_type().layout()),
            "{}: the layout checked by the first open serves the second",
            other.display()
        );
        assert_ne!(a.foreign_type().id(), b.foreign_type().id());
        assert_eq!(second.users(), 1);
        drop(b);
        second.unload().unwrap();
    }
    assert_eq!(first.users(), 1);
    // The first open's binding and values are still its own.
    let value = Value::new(&a).unwrap();
    assert_eq!(value.as_ref().get(a.id), 2);
    drop(value);
    drop(a);
    first.unload().unwrap();
}

/// Opens that race: threads open, bind, use and close one private copy at
/// once, so that lending what an open found, the first manifest recorded,
/// and the reset after the last close (when the object is unloaded)
/// interleave. Every value reads what the library's own code wrote. A
/// smoke test: a reloaded object mostly lands at its old address, so a
/// stale lend would often go unseen here; the rules themselves are tested
/// one by one in `load`'s unit tests (lending from a record no handle
/// holds is seen only in the mapped benchmark, `benches/open.rs`).
#[test]
fn racing_opens_of_one_library_each_read_right() {
    let dir = resilient_testkit::scratch_dir("loader-racing-opens");
    let path = dir.join("libwidget.so");
    std::fs::copy(plugin("widget-v2"), &path).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    let lib = Library::open(&path).unwrap();
                    let w = lib.bind::<WidgetView>().unwrap();
                    let value = Value::new(&w).unwrap();
                    assert_eq!(value.as_ref().get(w.id), 2);
                    assert_eq!(value.as_ref().get(w.weight), 2.5);
                    let copy = value.try_clone().unwrap();
                    assert_eq!(copy.as_ref().get(w.id), 2);
                    drop((copy, value, w));
                    lib.unload().unwrap();
                }
            });
        }
    });
}
