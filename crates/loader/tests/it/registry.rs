//! Registries pick the newest compatible version; slots upgrade while
//! readers run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use resilient_loader::{Error, Global, Registry, Slot, UnloadPolicy};
use resilient_types::Value;

use crate::{plugin, WidgetView};

/// A directory holding copies of the given plugin versions.
fn plugin_dir(name: &str, versions: &[u64]) -> PathBuf {
    let dir = resilient_testkit::scratch_dir(&format!("registry-{name}"));
    for v in versions {
        std::fs::copy(
            plugin(&format!("widget-v{v}")),
            dir.join(format!("libwidgets-{v}.so")),
        )
        .unwrap();
    }
    std::fs::write(dir.join("README.txt"), "not a library").unwrap();
    dir
}

#[test]
fn newest_compatible_version_is_chosen() {
    let dir = plugin_dir("newest", &[1, 2, 3, 4]);
    std::fs::copy(plugin("no-manifest"), dir.join("libother.so")).unwrap();
    let w = Registry::new(&dir).newest::<WidgetView>().unwrap();
    assert_eq!(
        w.foreign_type().origin().version,
        "1.2.0",
        "2.0.0 is refused, 1.2.0 is next"
    );
    // A running host upgrades from the registry: new readers get 1.2.0.
    let old = plugin_dir("newest-old", &[1]);
    let slot = Slot::new(Registry::new(&old).newest::<WidgetView>().unwrap());
    assert_eq!(slot.current().foreign_type().origin().version, "1.0.0");
    slot.upgrade_from(&Registry::new(&dir)).unwrap();
    assert_eq!(slot.current().foreign_type().origin().version, "1.2.0");
}

#[test]
fn no_compatible_version_lists_every_candidate() {
    let dir = plugin_dir("none", &[4]);
    let err = Registry::new(&dir).newest::<WidgetView>().unwrap_err();
    let Error::NoCompatibleVersion { rejected, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(rejected.len(), 1);
    assert!(err.to_string().contains("`Widget.weight` is f64"), "{err}");
}

static GLOBAL: Global<WidgetView> = Global::new();

#[test]
fn global_binding_is_made_once() {
    assert!(GLOBAL.get().is_none());
    assert!(
        GLOBAL.init(plugin("widget-v4")).is_err(),
        "a failed init leaves it empty"
    );
    let first = GLOBAL
        .init(plugin("widget-v1"))
        .unwrap()
        .foreign_type()
        .id();
    let again = GLOBAL
        .init(plugin("widget-v2"))
        .unwrap()
        .foreign_type()
        .id();
    assert_eq!(first, again);
    assert_eq!(
        GLOBAL.get().unwrap().foreign_type().origin().version,
        "1.0.0"
    );
}

#[test]
fn readers_see_whole_versions_while_the_slot_upgrades() {
    let paths: Vec<PathBuf> = (1..=3).map(|v| plugin(&format!("widget-v{v}"))).collect();
    let slot = Slot::new(
        resilient_loader::Library::open(&paths[0])
            .unwrap()
            .bind::<WidgetView>()
            .unwrap(),
    );
    let done = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    let seen = [
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
    ];
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut kept = Vec::new();
                while !done.load(Ordering::Acquire) {
                    let w = slot.current();
                    let v = Value::new(&w).unwrap();
                    let r = v.as_ref();
                    let id = r.get(w.id);
                    // Every field of one value comes from one version: no torn read.
                    assert!((1..=3).contains(&id));
                    assert_eq!(r.get(w.weight), id as f32 + 0.5);
                    assert_eq!(r.get(w.flags), 0x0101 * id as u16);
                    seen[id as usize - 1].store(true, Ordering::Relaxed);
                    reads.fetch_add(1, Ordering::Relaxed);
                    if kept.len() < 64 {
                        kept.push((id, v)); // old values outlive the upgrade
                    }
                    std::thread::yield_now();
                }
                for (id, v) in kept {
                    assert_eq!(v.as_ref().get(v.bound().id), id, "old values stay valid");
                }
            });
        }
        // Upgrade only once readers made progress on the current version, so
        // the test does not depend on timing (it also runs under valgrind,
        // which serialises threads).
        let progress = |n: usize| {
            let start = reads.load(Ordering::Relaxed);
            while reads.load(Ordering::Relaxed) < start + n {
                std::thread::yield_now();
            }
        };
        for path in &paths[1..] {
            progress(20);
            slot.upgrade(path).unwrap();
        }
        assert!(
            slot.upgrade(plugin("widget-v4")).is_err(),
            "a refused upgrade keeps v3"
        );
        progress(20);
        done.store(true, Ordering::Release);
    });
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert!(
        seen.iter().all(|s| s.load(Ordering::Relaxed)),
        "every version was read"
    );
    assert_eq!(slot.current().foreign_type().origin().version, "1.2.0");
}

fn mapped(path: &std::path::Path) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let canon = path.canonicalize().unwrap();
    maps.contains(canon.to_str().unwrap())
}

#[test]
fn the_registry_policy_applies_to_the_versions_it_passes_over() {
    // widgets 2.0 is passed over (it retyped a field the view uses).
    let dir = plugin_dir("policy-when-unused", &[1, 4]);
    let w = Registry::new(&dir).newest::<WidgetView>().unwrap();
    assert_eq!(w.foreign_type().origin().version, "1.0.0");
    assert!(mapped(&dir.join("libwidgets-1.so")), "the chosen one stays");
    assert!(
        !mapped(&dir.join("libwidgets-4.so")),
        "closed again at once"
    );

    let dir = plugin_dir("policy-never", &[1, 4]);
    let r = Registry::new(&dir).with_policy(UnloadPolicy::Never);
    assert_eq!(r.policy(), UnloadPolicy::Never);
    let w = r.newest::<WidgetView>().unwrap();
    assert_eq!(w.foreign_type().origin().version, "1.0.0");
    assert!(
        mapped(&dir.join("libwidgets-4.so")),
        "never unloaded, though passed over"
    );
}
