//! `widget-host`: a host built once against widgets 1.0's view.
//!
//! ```text
//! widget-host PLUGIN              check every field of one plugin version
//! widget-host --hot P1 P2 P3...   readers run while the host upgrades P1 -> P2 -> ...
//! ```
//!
//! It prints one line per fact (`read ...`, `check NAME ok|FAIL ...`,
//! `verdict ...`) so that the demo and the tests can read it, and exits 0
//! when compatible, 3 when the plugin is refused at load, 1 when a check
//! fails.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use resilient_loader::{Library, Slot};
use resilient_types::{
    api, enum_view, interface, view, with_stack, Field, Func, In, Nested, Ref, This, ThisMut, Value,
};

view! {
    /// A point, as widgets 1.0 published it.
    pub struct PointView = "widgets"::"Point" {
        /// Across.
        pub x: Field<i32>,
        /// Down.
        pub y: Field<i32>,
    }
}

view! {
    /// What this host uses of a widget: written against widgets 1.0.
    pub struct WidgetView = "widgets"::"Widget" {
        /// Identifier.
        pub id: Field<u64>,
        /// Weight.
        pub weight: Field<f32>,
        /// Flag bits.
        pub flags: Field<u16>,
        /// Tags.
        pub tags: Field<[u8; 4]>,
        /// Position.
        pub origin: Nested<PointView>,
        /// On or off.
        pub active: Field<bool>,
        /// Only libraries from 1.2 on have it.
        pub scale: Option<Field<f64>>,
    }
}

enum_view! {
    /// What a job is doing, as widgets 1.0 published it: a later case (one
    /// this host does not know) reads as `Unknown`.
    pub enum StatusCase: StatusView = "widgets"::"Status" {
        /// Nothing to do.
        Idle,
        /// Working.
        Busy(BusyView {
            /// Jobs queued.
            jobs: Field<u32>,
        }),
        /// Stopped with an error code.
        Failed(FailedView {
            /// The code (the library's tuple field `0`).
            _0: Field<i64>,
        }),
    }
}

view! {
    /// A job: a struct with a field of the enum.
    pub struct JobView = "widgets"::"Job" {
        /// Identifier.
        pub id: Field<u32>,
        /// What it is doing.
        pub status: Nested<StatusView>,
    }
}

/// A status as this host prints it.
fn status(s: &StatusView, r: Ref<'_, StatusView>) -> String {
    match s.read(r) {
        StatusCase::Idle(_) => "Idle".into(),
        StatusCase::Busy(b) => format!("Busy(jobs={})", b.get(b.jobs)),
        StatusCase::Failed(f) => format!("Failed({})", f.get(f._0)),
        StatusCase::Unknown => "unknown".into(),
    }
}

/// The error code this host writes into a `Failed` status it builds.
const CODE: i64 = -0x0102_0304;

api! {
    /// The plugin's functions this host calls: bound once, signatures
    /// checked at load (no raw symbols, no `unsafe`).
    pub struct WidgetApi = "widgets" {
        /// Widgets alive in the library.
        pub live_count: Func<fn() -> isize>,
        /// A widget's id, read by the library's own code.
        pub widget_id: Func<fn(In<WidgetView>) -> u64>,
        /// The length of a widget's private label.
        pub label_len: Func<fn(In<WidgetView>) -> usize>,
        /// Only libraries from 1.1 on have it.
        pub weight_lb: Option<Func<fn(In<WidgetView>) -> f64>>,
    }
}

interface! {
    /// Something that describes itself: every type of the plugin that
    /// implements it, called without knowing the types.
    pub struct DescribeIface = "widgets"::"Describe" {
        /// Its key.
        pub key: Func<fn(This) -> u64>,
        /// Sets its key.
        pub set_key: Func<fn(ThisMut, u64)>,
        /// Added to the interface in 1.2.
        pub weight_key: Option<Func<fn(This) -> u64>>,
    }
}

fn describe(r: Ref<'_, WidgetView>, w: &WidgetView, api: &WidgetApi) -> String {
    let o = r.nested(w.origin);
    let p = w.origin.view();
    let tags = r.get(w.tags);
    format!(
        "id={} weight={} flags={:#06x} tags={} origin=({},{}) active={} lb={} scale={}",
        r.get(w.id),
        r.get(w.weight),
        r.get(w.flags),
        String::from_utf8_lossy(&tags),
        o.get(p.x),
        o.get(p.y),
        r.get_checked(w.active)
            .map_or("invalid".into(), |b| b.to_string()),
        api.weight_lb
            .as_ref()
            .map_or("absent".into(), |f| match f.call(r) {
                Ok(lb) => format!("{lb:.2}"),
                Err(e) => format!("error ({e})"),
            }),
        w.scale.map_or("absent".into(), |s| r.get(s).to_string()),
    )
}

/// Every field gets a distinct value with distinct bytes, so a wrong
/// offset shows which bytes moved.
const ID: u64 = 0x0102_0304_0506_0708;
const WEIGHT_BITS: u32 = 0x1112_1314;
const FLAGS: u16 = 0x2122;
const TAGS: [u8; 4] = [0x31, 0x32, 0x33, 0x34];
const X: i32 = 0x4142_4344;
const Y: i32 = 0x5152_5354;

fn check(failures: &mut usize, name: &str, ok: bool, detail: impl FnOnce() -> String) {
    if ok {
        println!("check {name} ok");
    } else {
        *failures += 1;
        println!("check {name} FAIL {}", detail());
    }
}

fn run_one(path: &Path) -> Result<usize, Refused> {
    let lib = Library::open(path)?;
    println!("module {} {}", lib.name(), lib.version_str());
    // Bind the view and the functions, and report every refusal at once.
    let (w, api, impls, sv, jv) = match (
        lib.bind::<WidgetView>(),
        lib.bind_api::<WidgetApi>(),
        lib.implementations::<DescribeIface>(),
        lib.bind::<StatusView>(),
        lib.bind::<JobView>(),
    ) {
        (Ok(w), Ok(api), Ok(impls), Ok(sv), Ok(jv)) => (w, api, impls, sv, jv),
        (w, api, impls, sv, jv) => {
            // The job view fails with the status view it nests: say it once.
            let jv = jv.err().filter(|_| sv.is_ok());
            let errors: Vec<String> = [w.err(), api.err(), impls.err(), sv.err(), jv]
                .into_iter()
                .flatten()
                .map(|e| e.to_string())
                .collect();
            return Err(Refused(errors.join("; ")));
        }
    };
    let live_before = api.live_count.call()?;
    let mut failures = 0;
    {
        let mut v = Value::new(&w)?;
        println!("read {}", describe(v.as_ref(), &w, &api));
        let label = api.label_len.call(v.as_ref())?;

        let mut m = v.as_mut();
        m.set(w.id, ID);
        m.set(w.weight, f32::from_bits(WEIGHT_BITS));
        m.set(w.flags, FLAGS);
        m.set(w.tags, TAGS);
        m.set(w.active, false);
        let p = *w.origin.view();
        let mut o = m.nested(w.origin);
        o.set(p.x, X);
        o.set(p.y, Y);

        let r = v.as_ref();
        check(&mut failures, "id", r.get(w.id) == ID, || {
            format!("{:#x}", r.get(w.id))
        });
        check(
            &mut failures,
            "weight",
            r.get(w.weight).to_bits() == WEIGHT_BITS,
            || format!("{:#x}", r.get(w.weight).to_bits()),
        );
        check(&mut failures, "flags", r.get(w.flags) == FLAGS, || {
            format!("{:#x}", r.get(w.flags))
        });
        check(&mut failures, "tags", r.get(w.tags) == TAGS, || {
            format!("{:?}", r.get(w.tags))
        });
        check(
            &mut failures,
            "active",
            r.get_checked(w.active) == Some(false),
            || format!("{:?}", r.get_checked(w.active)),
        );
        let o = r.nested(w.origin);
        check(
            &mut failures,
            "origin",
            (o.get(p.x), o.get(p.y)) == (X, Y),
            || format!("({:#x},{:#x})", o.get(p.x), o.get(p.y)),
        );
        let (lib_id, lib_label) = (api.widget_id.call(r)?, api.label_len.call(r)?);
        check(&mut failures, "library-sees-id", lib_id == ID, || {
            format!("{lib_id:#x}")
        });
        check(
            &mut failures,
            "private-label-untouched",
            lib_label == label,
            || format!("{lib_label} != {label}"),
        );
        // Every implementation of the interface, through objects of types
        // this host never saw.
        let mut described = Vec::new();
        for imp in &impls {
            let mut obj = imp.create()?;
            let (m, this) = obj.split();
            m.set_key.call(this, ID)?;
            described.push((
                imp.type_name().to_owned(),
                obj.methods().key.call(obj.this())?,
            ));
        }
        check(
            &mut failures,
            "interface",
            !described.is_empty() && described.iter().all(|(_, k)| *k == ID),
            || format!("{described:?}"),
        );
        let copy = v.try_clone()?;
        check(
            &mut failures,
            "clone",
            copy.as_ref().get(w.id) == ID,
            || "clone differs".into(),
        );
        let on_stack = with_stack(&w, |s| s.get(w.id))?;
        check(&mut failures, "stack-value", on_stack != ID, || {
            "fresh value equals ours".into()
        });
        // An enum nested in a struct, read in place by case name, and a
        // case built by the library and read back.
        let job = Value::new(&jv)?;
        let st = job.as_ref().nested(jv.status);
        println!("read status={}", status(&sv, st));
        check(
            &mut failures,
            "enum-case",
            matches!(sv.read(st), StatusCase::Busy(b) if b.get(b.jobs) > 0),
            || status(&sv, st),
        );
        let failed = sv.Failed.make(&sv, CODE)?;
        check(
            &mut failures,
            "enum-build",
            matches!(sv.read(failed.as_ref()), StatusCase::Failed(f) if f.get(f._0) == CODE),
            || status(&sv, failed.as_ref()),
        );
    }
    let live_after = api.live_count.call()?;
    check(
        &mut failures,
        "witnesses-balanced",
        live_after == live_before,
        || format!("{} values leaked", live_after - live_before),
    );
    Ok(failures)
}

/// Why a plugin was refused: the loader's message (or several, joined).
struct Refused(String);

impl<E: std::fmt::Display> From<E> for Refused {
    fn from(e: E) -> Self {
        Refused(e.to_string())
    }
}

/// Readers read through a slot while the host upgrades it through `paths`.
fn run_hot(paths: &[String]) -> Result<usize, Refused> {
    let Some((first, rest)) = paths.split_first() else {
        return Ok(0);
    };
    let slot = Slot::new(Library::open(first)?.bind::<WidgetView>()?);
    let done = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    let torn = AtomicUsize::new(0);
    let result = std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut kept = Vec::new();
                while !done.load(Ordering::Acquire) {
                    let w = slot.current();
                    let Ok(v) = Value::new(&w) else { continue };
                    let r = v.as_ref();
                    let id = r.get(w.id);
                    // The fixtures' defaults tie every field to the version.
                    if r.get(w.weight) != id as f32 + 0.5
                        || u64::from(r.get(w.flags)) != 0x0101 * id
                    {
                        torn.fetch_add(1, Ordering::Relaxed);
                    }
                    reads.fetch_add(1, Ordering::Relaxed);
                    if kept.len() < 32 {
                        kept.push((id, v));
                    }
                    std::thread::yield_now();
                }
                // Values made before an upgrade still work after it.
                for (id, v) in kept {
                    if v.as_ref().get(v.bound().id) != id {
                        torn.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        let progress = |n: usize| {
            let start = reads.load(Ordering::Relaxed);
            while reads.load(Ordering::Relaxed) < start + n {
                std::thread::yield_now();
            }
        };
        for p in rest {
            progress(50);
            if let Err(e) = slot.upgrade(p) {
                done.store(true, Ordering::Release);
                return Err(Refused::from(e));
            }
            println!(
                "upgraded to {}",
                slot.current().foreign_type().origin().version
            );
        }
        progress(50);
        done.store(true, Ordering::Release);
        Ok(())
    });
    result?;
    let torn = torn.load(Ordering::Relaxed);
    println!("hot reads={} torn={torn}", reads.load(Ordering::Relaxed));
    Ok(torn)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--hot") => run_hot(&args[1..]),
        Some(path) if args.len() == 1 => run_one(Path::new(path)),
        _ => {
            eprintln!("usage: widget-host PLUGIN | widget-host --hot PLUGIN...");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(0) => {
            println!("verdict compatible");
            ExitCode::SUCCESS
        }
        Ok(n) => {
            println!("verdict broken ({n} checks failed)");
            ExitCode::from(1)
        }
        Err(Refused(e)) => {
            println!("verdict refused: {e}");
            ExitCode::from(3)
        }
    }
}
