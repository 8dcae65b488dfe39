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
