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

/// The registry chooses from the files: the versions it passes over are
/// never loaded (their initialisers never run), whatever its policy; the
/// one it chooses follows the policy.
#[test]
fn the_registry_loads_only_the_version_it_chooses() {
    for (name, policy) in [
        ("policy-when-unused", UnloadPolicy::WhenUnused),
        ("policy-never", UnloadPolicy::Never),
    ] {
        // widgets 2.0 is passed over (it retyped a field the view uses).
        let dir = plugin_dir(name, &[1, 4]);
        let r = Registry::new(&dir).with_policy(policy);
        assert_eq!(r.policy(), policy);
        let w = r.newest::<WidgetView>().unwrap();
        assert_eq!(w.foreign_type().origin().version, "1.0.0");
        assert!(mapped(&dir.join("libwidgets-1.so")), "the chosen one");
        assert!(
            !mapped(&dir.join("libwidgets-4.so")),
            "{name}: passed over from its file, never loaded"
        );
        drop(w);
        assert_eq!(
            mapped(&dir.join("libwidgets-1.so")),
            policy == UnloadPolicy::Never,
            "{name}: the chosen one follows the policy"
        );
    }
}

/// A new version installed by `rename` at the path of a version still
/// loaded: glibc's `dlopen` matches the path with the loaded object's name
/// and would hand back the old version; the upgrade loads the new file.
#[test]
fn upgrade_by_rename_to_the_same_path_loads_the_new_file() {
    let dir = resilient_testkit::scratch_dir("registry-rename");
    let path = dir.join("libwidgets.so");
    let install = |version: u32| {
        let tmp = dir.join("libwidgets.so.new");
        std::fs::copy(plugin(&format!("widget-v{version}")), &tmp).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    };
    install(1);
    let slot = Slot::new(
        resilient_loader::Library::open(&path)
            .unwrap()
            .bind::<WidgetView>()
            .unwrap(),
    );
    let v1 = slot.current();
    let mut old = Value::new(&v1).unwrap();
    old.as_mut().set(v1.id, 41);

    install(2);
    slot.upgrade(&path).unwrap();
    let v2 = slot.current();
    assert_eq!(v2.foreign_type().origin().version, "1.1.0", "the new file");
    assert_eq!(
        v2.foreign_type().origin().library,
        path.display().to_string()
    );
    let fresh = Value::new(&v2).unwrap();
    assert_eq!(fresh.as_ref().get(v2.id), 2, "v2's own default_init ran");

    // Opening the path again, while both are loaded, gives the file there,
    // and is lent what was checked in its load (v2's), not v1's.
    let again = resilient_loader::Library::open(&path).unwrap();
    assert_eq!(again.version_str(), "1.1.0");
    let layout = again.bind::<WidgetView>().unwrap().foreign_type().layout() as *const _;
    assert!(std::ptr::eq(layout, v2.foreign_type().layout()));
    assert!(!std::ptr::eq(layout, v1.foreign_type().layout()));
    drop(again);

    // And once more, to v3, while v1 and v2 are still in use.
    install(3);
    slot.upgrade(&path).unwrap();
    assert_eq!(slot.current().foreign_type().origin().version, "1.2.0");

    // v1's values and binding still work, through v1's own code.
    assert_eq!(v1.foreign_type().origin().version, "1.0.0");
    assert_eq!(old.as_ref().get(v1.id), 41);
    let copy = old.try_clone().unwrap();
    assert_eq!(copy.as_ref().get(v1.id), 41);
    assert_eq!(fresh.as_ref().get(v2.id), 2);
}

/// The same, when the old version was loaded by someone else (here plain
/// `dlopen`): the loader has no record of which file that object maps and
/// reads it from the process's mappings.
#[test]
fn an_object_loaded_by_someone_else_is_checked_by_its_mapping() {
    let dir = resilient_testkit::scratch_dir("registry-foreign-load");
    let path = dir.join("libwidgets.so");
    let install = |version: u32| {
        let tmp = dir.join("libwidgets.so.new");
        std::fs::copy(plugin(&format!("widget-v{version}")), &tmp).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    };
    install(1);
    // SAFETY: the fixture's initialisers are harmless.
    let foreign = unsafe { libloading::Library::new(&path) }.unwrap();
    let same = resilient_loader::Library::open(&path).unwrap();
    assert_eq!(same.version_str(), "1.0.0", "the file there is v1");
    install(2);
    let new = resilient_loader::Library::open(&path).unwrap();
    assert_eq!(new.version_str(), "1.1.0", "the file there now is v2");
    drop((same, new, foreign));
}
