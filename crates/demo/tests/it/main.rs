//! The version matrix: one host binary, every plugin version, randomized
//! layouts, another compiler, and a hot upgrade inside the running host.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use resilient_demo::{
    build_all, file_hash, install, plugin_in, run_host, widget, HostRun, VERSIONS,
};
use resilient_loader::Library;
use resilient_testkit::{host_triple, scratch_dir, Build, Profile};

/// Plugins and host, built once per test process (debug profile).
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_all(&Build::new(Profile::Debug)))
}

fn host() -> PathBuf {
    built().join("widget-host")
}

fn run_installed(lib: &Path, scratch: &Path) -> HostRun {
    let installed = install(lib, scratch).unwrap();
    run_host(&host(), &[&installed]).unwrap()
}

fn assert_compatible(run: &HostRun, what: &str) {
    assert_eq!(run.code, Some(0), "{what}: {}", run.stdout);
    assert!(run.failed.is_empty(), "{what}: {:?}", run.failed);
    assert_eq!(run.ok.len(), 14, "{what}: every check ran: {}", run.stdout);
}

#[test]
fn one_host_binary_runs_every_version_by_replacing_the_file() {
    let host_hash = file_hash(&host()).unwrap();
    let scratch = scratch_dir("demo-matrix");
    for (i, package) in VERSIONS.iter().enumerate() {
        let run = run_installed(&plugin_in(built(), package), &scratch);
        if i < 3 {
            assert_compatible(&run, package);
            let read = run.read.as_deref().unwrap();
            let n = i + 1;
            assert!(read.starts_with(&format!("id={n} weight={n}.5 flags=0x0{n}0{n} tags=v{n}v{n} origin=(-{n},{n}) active=true")), "{read}");
            assert_eq!(read.contains("scale=0.5"), n == 3, "{read}");
            // The job's status (an enum nested in a struct), read by case.
            assert!(read.ends_with(&format!("status=Busy(jobs={n})")), "{read}");
            // The function added in 1.1, called where the library has it.
            assert_eq!(read.contains("lb=absent"), n == 1, "{read}");
        } else {
            assert_eq!(run.code, Some(3), "2.0 is refused at load: {}", run.stdout);
            assert!(run.read.is_none(), "nothing is read from a refused library");
            assert!(
                run.verdict
                    .contains("`Widget.weight` is f64, the view expects f32"),
                "{}",
                run.verdict
            );
            assert!(
                run.verdict.contains("`Widget.flags` (u16) is missing"),
                "{}",
                run.verdict
            );
            // Refused also for the enum case it removed.
            assert!(
                run.verdict.contains("case `Status::Failed` is missing"),
                "{}",
                run.verdict
            );
            // Refused also for the function whose signature changed.
            assert!(
                run.verdict
                    .contains("function `weight_lb` returns f32, the client expects f64"),
                "{}",
                run.verdict
            );
        }
    }
    assert_eq!(
        file_hash(&host()).unwrap(),
        host_hash,
        "the host binary never changed"
    );
}

#[test]
fn hot_upgrade_inside_the_running_host() {
    let libs: Vec<PathBuf> = VERSIONS[..3]
        .iter()
        .map(|p| plugin_in(built(), p))
        .collect();
    let mut args: Vec<&Path> = vec![Path::new("--hot")];
    args.extend(libs.iter().map(PathBuf::as_path));
    let run = run_host(&host(), &args).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(
        run.stdout.contains("upgraded to 1.1.0") && run.stdout.contains("upgraded to 1.2.0"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" torn=0"), "{}", run.stdout);
}

fn nightly_available() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `Widget`'s field offsets in the library at `path`, by field name.
fn offsets(path: &Path) -> Vec<(String, usize)> {
    let lib = Library::open(path).unwrap();
    let mut v: Vec<(String, usize)> = widget(lib.module().unwrap())
        .unwrap()
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.offset))
        .collect();
    v.sort();
    v
}

/// `Job`'s field offsets by name; `Status`'s size and alignment; the
/// offsets of `Status::Busy`'s payload fields in a value, by name.
type EnumLayout = (Vec<(String, usize)>, (usize, usize), Vec<(String, usize)>);

/// Where the library at `path` lays out its enum: the fields of `Job` (the
/// struct holding a `Status`), `Status`'s size and alignment, and where the
/// payload fields of `Status::Busy` sit in a value. 1.1's `Status` has
/// Rust's default representation, whose payload offsets are not plain data,
/// and a `Busy` of two fields (`load`, `jobs`) a seed may reorder: the
/// library's own `locate` witness finds each in the busy status of a
/// default `Job` (1.0's and 1.1's default jobs are busy), as a host's read
/// does.
fn enum_layout(path: &Path) -> EnumLayout {
    use layout_meta::format::{CaseOfFn, DefaultInitFn, DropFn, LocateFn};
    let lib = Library::open(path).unwrap();
    let module = lib.module().unwrap();
    let job = module.get("Job").unwrap();
    let status = module.get("Status").unwrap();
    let e = status.enum_info.as_ref().unwrap();
    let mut job_fields: Vec<(String, usize)> = job
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.offset))
        .collect();
    job_fields.sort();
    let (busy, case) = e.case("Busy").unwrap();
    let at = job.field("status").unwrap().offset;
    let layout = std::alloc::Layout::from_size_align(job.size, job.align).unwrap();
    let mut payload = Vec::new();
    // SAFETY: the validated layout's witnesses are the library's functions
    // of their documented signatures (the library stays loaded: `lib`);
    // `room` is fresh memory of `Job`'s size and alignment, initialised by
    // `default_init`, read while live, dropped once, then freed.
    unsafe {
        let room = std::alloc::alloc_zeroed(layout);
        assert!(!room.is_null());
        let fun = |addr: usize| std::ptr::with_exposed_provenance::<()>(addr);
        let init: DefaultInitFn = std::mem::transmute(fun(job.witnesses.default_init));
        init(room);
        let value = room.add(at).cast_const();
        let case_of: CaseOfFn = std::mem::transmute(fun(e.case_of));
        assert_eq!(case_of(value) as usize, busy, "the default job is busy");
        for (i, f) in case.fields.iter().enumerate() {
            let offset = if e.payload_plain {
                f.offset
            } else {
                let locate: LocateFn = std::mem::transmute(fun(e.locate));
                let field = locate(
                    value,
                    u32::try_from(busy).unwrap(),
                    u32::try_from(i).unwrap(),
                );
                assert!(!field.is_null());
                usize::try_from(field.offset_from(value)).unwrap()
            };
            payload.push((f.name.clone(), offset));
        }
        let drop: DropFn = std::mem::transmute(fun(job.witnesses.drop));
        drop(room);
        std::alloc::dealloc(room, layout);
    }
    (job_fields, (status.size, status.align), payload)
}

/// Distinct enum layouts (`Status` payloads, the `Job` holding one) the
/// seeds must produce in widgets 1.1, every one read by the one host binary.
const MIN_DISTINCT_ENUM_SEEDED: usize = 2;

/// How many `-Zrandomize-layout` seeds the plugin is built with.
const SEEDS: u64 = 12;
/// Distinct `Widget` layouts the seeds must produce (every one compatible
/// with the one host binary). Seeds can repeat a layout, so there are more
/// seeds than layouts required.
const MIN_DISTINCT_SEEDED: usize = 8;

/// The `i`th layout seed. Small seeds are spread over 64 bits: nearby ones
/// often give the same layout (1, 8, 9, 16 and 65536 all do).
fn layout_seed(i: u64) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[test]
fn randomized_layouts_and_another_compiler() {
    if !nightly_available() {
        println!("SKIPPED: no nightly toolchain (.ci/run installs one)");
        return;
    }
    let scratch = scratch_dir("demo-random");
    let stable = offsets(&plugin_in(built(), "widget-v1"));
    // One target dir for every nightly build, with an explicit --target so
    // proc macros (syn, the derive) are built once and only the plugin's
    // crates are rebuilt per seed.
    let mut build = Build::new(Profile::Debug);
    build.toolchain = Some("nightly".into());
    build.dir = "nightly".into();
    build.target = Some(host_triple());
    let mut nightly = None;
    let mut seeded = std::collections::BTreeMap::new();
    let mut seeded_enums = std::collections::BTreeMap::new();
    let flags = std::iter::once(String::new())
        .chain((1..=SEEDS).map(|i| format!("-Zrandomize-layout -Zlayout-seed={}", layout_seed(i))));
    for (i, flags) in flags.enumerate() {
        build.rustflags.clone_from(&flags);
        let dir = build.run(&["widget-v1", "widget-v2"]);
        let copy = scratch.join(format!("libwidget-{i}.so"));
        std::fs::copy(plugin_in(&dir, "widget-v1"), &copy).unwrap();
        let layout = offsets(&copy);
        println!("nightly {flags:?}: {layout:?}");
        let run = run_installed(&copy, &scratch);
        assert_compatible(&run, &format!("stable host, nightly plugin {flags:?}"));
        // 1.1, for its enum: the host reads the job's status (an enum in a
        // struct) by case, whatever the layout.
        let enum_copy = scratch.join(format!("libwidget-1.1-{i}.so"));
        std::fs::copy(plugin_in(&dir, "widget-v2"), &enum_copy).unwrap();
        let enums = enum_layout(&enum_copy);
        println!("nightly {flags:?}: 1.1's enum {enums:?}");
        let enum_run = run_installed(&enum_copy, &scratch);
        assert_compatible(&enum_run, &format!("stable host, nightly 1.1 {flags:?}"));
        for (run, n) in [(&run, 1), (&enum_run, 2)] {
            let read = run.read.as_deref().unwrap();
            assert!(
                read.ends_with(&format!("status=Busy(jobs={n})")),
                "{flags:?}: {read}"
            );
        }
        if flags.is_empty() {
            nightly = Some(layout);
        } else {
            seeded
                .entry(layout)
                .or_insert_with(Vec::new)
                .push(flags.clone());
            seeded_enums
                .entry(enums)
                .or_insert_with(Vec::new)
                .push(flags);
        }
    }
    // The seeds really moved the fields: enough distinct layouts, and
    // layouts the unrandomized compilers did not choose.
    assert!(
        seeded.len() >= MIN_DISTINCT_SEEDED,
        "{} distinct layouts from {} seeds, {MIN_DISTINCT_SEEDED} required: {seeded:#?}",
        seeded.len(),
        SEEDS,
    );
    // The enum's layouts moved too, and the host read each: both the
    // `Status` payload (`Busy`'s fields, found by the library's `locate`)
    // and the `Job` holding a `Status`.
    let payloads: std::collections::BTreeSet<_> = seeded_enums.keys().map(|e| &e.2).collect();
    let jobs: std::collections::BTreeSet<_> = seeded_enums.keys().map(|e| &e.0).collect();
    assert!(
        payloads.len() >= MIN_DISTINCT_ENUM_SEEDED && jobs.len() >= MIN_DISTINCT_ENUM_SEEDED,
        "{} distinct `Status::Busy` payload layouts and {} distinct `Job` layouts from {} seeds, \
         {MIN_DISTINCT_ENUM_SEEDED} of each required: {seeded_enums:#?}",
        payloads.len(),
        jobs.len(),
        SEEDS,
    );
    let unrandomized = [Some(&stable), nightly.as_ref()];
    assert!(
        seeded.keys().any(|l| !unrandomized.contains(&Some(l))),
        "every seed gave the stable or the unrandomized nightly layout: {seeded:#?}"
    );
}
