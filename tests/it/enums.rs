//! Enums across the boundary: {Rust cdylib, C++ shared library} exporting
//! `Status` (a Rust enum; a C++ `std::variant` of case structs) ×
//! {Rust host (`enum_view!`), C++ host (`rsl::EnumView` over the C API)}
//! consuming, over 1.0, 1.1 (adds `Paused`, grows `Busy`), 1.2 (Rust only:
//! `repr(u8)`, a plain tag, adds `Retrying`) and 2.0 (removes `Failed`).
//! Both hosts read the cases they know by name, land later cases in
//! unknown, build cases through the library and are refused by 2.0 naming
//! the removed case, and print the same lines, word for word: the C++
//! host's verdicts are the Rust binder's (the C API is the Rust code).
//!
//! And a fieldless C++ `enum class` (RESILIENT_EXPORT_ENUM) exports the
//! records the Rust producer writes for the same `#[repr(u8)]` enum.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use resilient_loader::Library;
use resilient_types::{api, enum_view, view, Field, Func, In, InMut, Nested, Out, Ref, Value};

use crate::cross_language::{all_cpp_libs, cpp_lib, rust_lib};
use crate::{include_dir, run, write};

enum_view! {
    /// What a host built against widgets 1.0 knows of `Status`: what
    /// `cpp/src/enums_host.cpp` declares.
    pub enum StatusCase: StatusView = "widgets"::"Status" {
        Idle,
        Busy(BusyView { jobs: Field<u32> }),
        Failed(FailedView { _0: Field<i64> }),
    }
}

enum_view! {
    /// A newer host's view: it knows `Paused`.
    pub enum NewerCase: NewerView = "widgets"::"Status" {
        Idle,
        Paused(PausedView { until: Field<u64> }),
    }
}

view! {
    pub struct JobView = "widgets"::"Job" {
        pub id: Field<u32>,
        pub status: Nested<StatusView>,
    }
}

api! {
    pub struct StatusApi = "widgets" {
        pub job_status: Func<fn(In<JobView>) -> Out<StatusView>>,
        pub set_job_status: Func<fn(InMut<JobView>, In<NewerView>)>,
        pub live_jobs: Func<fn() -> isize>,
    }
}

/// A status as the 1.0 host reads it (the C++ host's `show`).
fn show(sv: &StatusView, v: Ref<'_, StatusView>) -> String {
    match sv.read(v) {
        StatusCase::Idle(_) => "Idle".into(),
        StatusCase::Busy(b) => format!("Busy jobs={}", b.get(b.jobs)),
        StatusCase::Failed(f) => format!("Failed 0={}", f.get(f._0)),
        StatusCase::Unknown => "Unknown".into(),
    }
}

/// What `enums_host.cpp` prints for the library at `path`, and its exit
/// code, produced by the Rust host: the same steps, through `enum_view!`,
/// `view!` and `api!`. The two lines only a C++ host can reach (a payload
/// token used on a value of another case, a value of another type than the
/// field's: Rust's types rule both out) are the C API's words.
fn rust_transcript(path: &Path) -> (i32, String) {
    let mut out = String::new();
    let lib = match Library::open(path) {
        Ok(lib) => lib,
        Err(e) => return (3, format!("refused: {e}\n")),
    };
    let _ = writeln!(
        out,
        "module {} {}",
        lib.module().unwrap().name,
        lib.module().unwrap().version
    );
    let sv = match lib.bind::<StatusView>() {
        Ok(sv) => sv,
        Err(e) => {
            let _ = writeln!(out, "refused: {e}");
            return (3, out);
        }
    };
    let jv = lib.bind::<JobView>().unwrap();
    let api = lib.bind_api::<StatusApi>().unwrap();
    let before = api.live_jobs.call().unwrap();
    {
        let mut job = Value::new(&jv).unwrap();
        let nested = jv.status.view();
        let _ = writeln!(
            out,
            "job {} status {}",
            job.as_ref().get(jv.id),
            show(nested, job.as_ref().nested(jv.status))
        );
        let owned = api.job_status.call(job.as_ref()).unwrap();
        let _ = writeln!(out, "owned status {}", show(&sv, owned.as_ref()));
        let _ = writeln!(
            out,
            "default status {}",
            show(&sv, Value::new(&sv).unwrap().as_ref())
        );
        let failed = sv.Failed.make(&sv, -3).unwrap();
        let copy = failed.try_clone().unwrap();
        let _ = writeln!(
            out,
            "built {}, copy {}",
            show(&sv, failed.as_ref()),
            show(&sv, copy.as_ref())
        );
        out.push_str("wrong case refused: field `Status::Busy.jobs` is read from a value in case `Failed`, not in its own\n");
        match sv.Busy.make(&sv, 8) {
            Ok(busy) => {
                let _ = writeln!(out, "built {}", show(&sv, busy.as_ref()));
            }
            Err(e) => {
                let _ = writeln!(out, "busy refused: {e}");
            }
        }
        out.push_str("wrong value refused: field `Status::Failed.0`: the view declares it as i64, the token asks for i32\n");
        match lib.bind::<NewerView>() {
            Ok(newer) => {
                let paused = newer.Paused.make(&newer, 1_900_000_000).unwrap();
                let NewerCase::Paused(p) = newer.read(paused.as_ref()) else {
                    panic!("{}: a Paused status reads as another case", path.display());
                };
                let _ = writeln!(out, "newer built Paused until={}", p.get(p.until));
                api.set_job_status
                    .call(job.as_mut(), paused.as_ref())
                    .unwrap();
                let _ = writeln!(
                    out,
                    "job status after Paused: {}",
                    show(nested, job.as_ref().nested(jv.status))
                );
            }
            Err(e) => {
                let _ = writeln!(out, "newer refused: {e}");
            }
        }
        let _ = writeln!(out, "live jobs +{}", api.live_jobs.call().unwrap() - before);
    }
    let _ = writeln!(
        out,
        "live jobs after +{}",
        api.live_jobs.call().unwrap() - before
    );
    (0, out)
}

/// `cpp/src/enums_host.cpp` linked with the C API, by g++ and (where
/// installed) clang++, built once.
fn cpp_hosts() -> &'static [PathBuf] {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| crate::build_cpp_hosts("enums_host"))
}

/// Every widgets library: the Rust fixtures 1.0, 1.1, 1.2 and 2.0, the C++
/// samples 1.0, 1.1 and 2.0 (by g++, and clang++ where installed).
fn every_library() -> Vec<PathBuf> {
    let mut libs: Vec<PathBuf> = [1, 2, 3, 4].map(rust_lib).into();
    libs.extend(all_cpp_libs().map(Path::to_path_buf));
    libs
}

#[test]
fn rust_and_cpp_hosts_read_rust_and_cpp_enums_alike() {
    let hosts = cpp_hosts();
    assert!(!hosts.is_empty(), "g++ builds the C++ host");
    for lib in every_library() {
        let (code, rust) = rust_transcript(&lib);
        for host in hosts {
            let out = Command::new(host).arg(&lib).output().unwrap();
            let cpp = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                (out.status.code(), cpp.as_ref()),
                (Some(code), rust.as_str()),
                "{} on {}: {}",
                host.display(),
                lib.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The transcripts say what each version does (so the comparison above
/// compares the behaviour the issue asks for, not two empty outputs).
#[test]
fn each_version_reads_builds_or_refuses_by_case_name() {
    for (lib, v) in [(rust_lib(1), 1), (cpp_lib(1).to_path_buf(), 1)] {
        let (code, text) = rust_transcript(&lib);
        assert_eq!(code, 0, "{text}");
        for line in [
            format!("job {v} status Busy jobs={v}\n"),
            format!("owned status Busy jobs={v}\n"),
            "default status Idle\n".into(),
            "built Failed 0=-3, copy Failed 0=-3\n".into(),
            "built Busy jobs=8\n".into(),
            "live jobs +1\nlive jobs after +0\n".into(),
        ] {
            assert!(
                text.contains(&line),
                "{}: {line:?} in\n{text}",
                lib.display()
            );
        }
        // 1.0 has no `Paused`: the newer view is refused, naming it.
        assert!(
            text.contains(
                "case `Status::Paused` is missing (`Status` has `Failed`, `Busy`, `Idle`)\n"
            ),
            "{text}"
        );
    }
    // 1.1 (and the Rust 1.2, a plain tag) add `Paused`: the 1.0 host reads
    // it as unknown, never as another case; `Busy` grew a field it does not
    // name, so it reads `Busy` but cannot build one.
    for (lib, jobs) in [
        (rust_lib(2), 2),
        (cpp_lib(2).to_path_buf(), 2),
        (rust_lib(3), 3),
    ] {
        let (code, text) = rust_transcript(&lib);
        assert_eq!(code, 0, "{text}");
        for line in [
            format!("job {jobs} status Busy jobs={jobs}\n"),
            "newer built Paused until=1900000000\n".into(),
            "job status after Paused: Unknown\n".into(),
            "busy refused: cannot build case `Status::Busy`: the library's case has field `load`, which the view does not name\n".into(),
        ] {
            assert!(text.contains(&line), "{}: {line:?} in\n{text}", lib.display());
        }
    }
    // 2.0 removed `Failed`: refused at bind, naming it and the cases left.
    for lib in [rust_lib(4), cpp_lib(4).to_path_buf()] {
        let (code, text) = rust_transcript(&lib);
        assert_eq!(code, 3, "{text}");
        assert!(
            text.ends_with(
                "case `Status::Failed` is missing (`Status` has `Paused`, `Idle`, `Busy`)\n"
            ),
            "{text}"
        );
    }
}

/// The C++ producer writes, for the same cases and payload field names and
/// types, the Rust producer's case and field records: the same names in
/// the same order, the same identities (`Failed`'s C++ member `_0` is the
/// Rust tuple field `0`); only the layout (size, and the witnesses that
/// read it) is each compiler's own. Functions that take or return them
/// have the same signatures (tests/it/functions.rs).
#[test]
fn cpp_enums_have_the_rust_enums_cases_and_payloads() {
    for v in [1, 2, 4] {
        let rust = Library::open(rust_lib(v)).unwrap();
        let r = rust.module().unwrap().get("Status").unwrap();
        let re = r.enum_info.as_ref().unwrap();
        for path in all_cpp_libs().filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(&format!("_v{v}.so")))
        }) {
            let cpp = Library::open(path).unwrap();
            let c = cpp.module().unwrap().get("Status").unwrap();
            let ce = c.enum_info.as_ref().unwrap();
            assert!(c.is_enum() && c.fields.is_empty(), "{}", path.display());
            // A std::variant is read through the library's witnesses.
            assert_eq!((ce.tag, ce.payload_plain), (None, false));
            let cases = |e: &layout_meta::EnumLayout| {
                e.cases
                    .iter()
                    .map(|c| {
                        let fields: Vec<_> = c
                            .fields
                            .iter()
                            .map(|f| (f.name.clone(), f.identity.clone()))
                            .collect();
                        (c.name.clone(), fields)
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(cases(ce), cases(re), "{}", path.display());
            // `Job` holds a `Status`, as a nested resilient field.
            let job = cpp.module().unwrap().get("Job").unwrap();
            assert_eq!(
                job.field("status").map(|f| f.identity.name()),
                Some("Status")
            );
        }
    }
}

/// A fieldless C++ `enum class` (RESILIENT_EXPORT_ENUM) and a struct field of
/// it: read by the Rust host by case name through the plain tag, a value of
/// no listed enumerator as unknown.
const PRIORITY_PLUGIN: &str = r#"#include <cstdint>
#include "resilient/export.hpp"

enum class Priority : std::uint8_t { Low, High = 5, Urgent = 9 };
struct Task {
    std::uint32_t id = 7;
    Priority priority = Priority::High;
};
RESILIENT_EXPORT_ENUM(Priority, Low, High, Urgent)
RESILIENT_EXPORT_TYPE(Task, id, priority)

namespace {
// A priority from its number (any byte: one no enumerator has included).
Priority priority_from(std::uint8_t n) noexcept { return static_cast<Priority>(n); }
}  // namespace
RESILIENT_EXPORT_FUNCTION(priority_from)
RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("tasks", "1.0.0", (Priority, Task), (priority_from))
"#;

/// The Rust twin of the C++ `Priority`.
#[derive(layout_meta::Resilient, Clone, Copy)]
#[resilient(clone)]
#[repr(u8)]
#[allow(dead_code, reason = "a layout to compare with, never built")]
enum Priority {
    Low,
    High = 5,
    Urgent = 9,
}

enum_view! {
    pub enum PriorityCase: PriorityView = "tasks"::"Priority" { Low, High }
}

view! {
    pub struct TaskView = "tasks"::"Task" { pub id: Field<u32>, pub priority: Nested<PriorityView> }
}

api! {
    pub struct TaskApi = "tasks" {
        pub priority_from: Func<fn(u8) -> Out<PriorityView>>,
    }
}

#[test]
fn a_cpp_enum_class_is_the_rust_primitive_repr_enum() {
    let dir = resilient_testkit::scratch_dir("enum-class");
    let src = write(&dir, "priority.cpp", PRIORITY_PLUGIN);
    let path = dir.join("libpriority.so");
    run(Command::new("g++")
        .args([
            "-std=c++17",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-shared",
            "-fPIC",
            "-fvisibility-inlines-hidden",
            "-I",
        ])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&path));
    let lib = Library::open(&path).unwrap();
    let p = lib.module().unwrap().get("Priority").unwrap();
    // The Rust producer's records, field by field and case by case (name,
    // tag, plain tag of one byte at 0, plain payloads), and so its
    // fingerprint.
    assert!(
        p.is_descriptor(<Priority as layout_meta::Resilient>::DESCRIPTOR),
        "{p:?}"
    );
    let e = p.enum_info.as_ref().unwrap();
    assert_eq!((e.tag, e.payload_plain), (Some((0, 1)), true));
    assert_eq!(e.cases.iter().map(|c| c.tag).collect::<Vec<_>>(), [0, 5, 9]);

    let pv = lib.bind::<PriorityView>().unwrap();
    let tv = lib.bind::<TaskView>().unwrap();
    let api = lib.bind_api::<TaskApi>().unwrap();
    let task = Value::new(&tv).unwrap();
    assert_eq!(task.as_ref().get(tv.id), 7);
    assert!(matches!(
        pv.read(task.as_ref().nested(tv.priority)),
        PriorityCase::High(_)
    ));
    // E{} is `Low` (its enumerator is 0): a default value.
    assert!(matches!(
        pv.read(Value::new(&pv).unwrap().as_ref()),
        PriorityCase::Low(_)
    ));
    // Built by the library's write_case (through the dynamic enum views of
    // the C API: `enum_view!` builds only cases with a payload).
    let mut dv = resilient_types::dynamic::DynView::new_enum("tasks", "Priority").unwrap();
    dv.add_case("Urgent").unwrap();
    dv.add_case("High").unwrap();
    let db = std::sync::Arc::new(dv.bind(&lib, lib.module().unwrap()).unwrap());
    // SAFETY: no payload values for a case without payload.
    let high = unsafe { resilient_types::dynamic::DynValue::new_case(&db, 1, &[]) }.unwrap();
    assert_eq!(high.case_of().unwrap(), Some(1));
    // SAFETY: as above.
    let urgent = unsafe { resilient_types::dynamic::DynValue::new_case(&db, 0, &[]) }.unwrap();
    assert_eq!(urgent.case_of().unwrap(), Some(0));
    // `Urgent`, which the view does not name, and a byte no enumerator
    // has, read as unknown: never as another case.
    for n in [9, 3] {
        let v = api.priority_from.call(n).unwrap();
        assert!(matches!(pv.read(v.as_ref()), PriorityCase::Unknown), "{n}");
    }
    let low = api.priority_from.call(0).unwrap();
    assert!(matches!(pv.read(low.as_ref()), PriorityCase::Low(_)));

    // A view naming a case the enum lacks is refused, naming it.
    enum_view! {
        pub enum MoreCase: MoreView = "tasks"::"Priority" { Low, Lowest }
    }
    let err = lib.bind::<MoreView>().unwrap_err();
    assert!(
        err.to_string().ends_with(
            "case `Priority::Lowest` is missing (`Priority` has `Low`, `Urgent`, `High`)"
        ),
        "{err}"
    );
}

enum_view! {
    /// A view with several mistakes at once, against 1.1.
    pub enum ManyCase: ManyView = "widgets"::"Status" {
        Busy(ManyBusy { jobs: Field<u64>, queue: Field<u16> }),
        Stopped,
        Paused(ManyPaused { until: Field<u32> }),
        Retrying,
    }
}

/// Every mismatch at once, in the same order and words, whether the view is
/// `enum_view!` (the Rust host) or described as data (the C API's, and so
/// the C++ client's, `resilient_types::dynamic`): both compose the same
/// `layout_meta::compat` calls.
#[test]
fn data_described_enum_views_report_every_mismatch_as_enum_view_does() {
    use resilient_types::dynamic::{self, DynView};
    let mut dv = DynView::new_enum("widgets", "Status").unwrap();
    let busy = dv.add_case("Busy").unwrap();
    dv.add_payload(busy, "jobs", true, dynamic::scalar("u64").unwrap())
        .unwrap();
    dv.add_payload(busy, "queue", true, dynamic::scalar("u16").unwrap())
        .unwrap();
    dv.add_case("Stopped").unwrap();
    let paused = dv.add_case("Paused").unwrap();
    dv.add_payload(paused, "until", true, dynamic::scalar("u32").unwrap())
        .unwrap();
    dv.add_case("Retrying").unwrap();
    for lib in [rust_lib(2), cpp_lib(2).to_path_buf()] {
        let lib = Library::open(&lib).unwrap();
        let typed = lib.bind::<ManyView>().unwrap_err().to_string();
        let data = dv
            .bind(&lib, lib.module().unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(data, typed);
        for part in [
            "field `Status::Busy.jobs` is u32, the view expects u64",
            "field `Status::Busy.queue` (u16) is missing",
            "case `Status::Stopped` is missing",
            "field `Status::Paused.until` is u64, the view expects u32",
            "case `Status::Retrying` is missing",
        ] {
            assert!(typed.contains(part), "{part:?} in {typed}");
        }
    }
    // A struct view of the enum, and an enum view of a struct, by the kind
    // rule, alike.
    let lib = Library::open(cpp_lib(1)).unwrap();
    let mut of_struct = DynView::new_enum("widgets", "Widget").unwrap();
    of_struct.add_case("Idle").unwrap();
    let err = of_struct
        .bind(&lib, lib.module().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("type `Widget` is a struct, the view expects an enum"),
        "{err}"
    );
    let of_enum = DynView::new("widgets", "Status").unwrap();
    let err = of_enum
        .bind(&lib, lib.module().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("type `Status` is an enum, the view expects a struct"),
        "{err}"
    );
}

/// A value address that is not aligned for its enum is refused (a typed
/// error, `RSL_ERROR_ARGUMENT`, naming the alignment) before the library's
/// `case_of` witness takes it as a reference: the C API takes addresses,
/// so nothing else proves them aligned. A `std::variant` is read through
/// witnesses only; the aligned address still reads its case.
#[test]
fn a_misaligned_enum_value_is_refused_before_a_witness_takes_it() {
    use resilient::rsl_status::*;
    use resilient::*;
    use std::ffi::{c_void, CStr, CString};

    for path in all_cpp_libs() {
        let c_path = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: every pointer is NULL or live, each handle freed once;
        // `odd` is never read by this side, only handed to the C API,
        // which must refuse it.
        unsafe {
            let err = rsl_error_new();
            let msg = || {
                CStr::from_ptr(rsl_error_message(err))
                    .to_string_lossy()
                    .into_owned()
            };
            let mut lib = std::ptr::null_mut();
            assert_eq!(rsl_library_open(c_path.as_ptr(), &mut lib, err), RSL_OK);
            let mut view = std::ptr::null_mut();
            assert_eq!(
                rsl_enum_view_new(c"widgets".as_ptr(), c"Status".as_ptr(), &mut view, err),
                RSL_OK
            );
            assert_eq!(rsl_view_add_case(view, c"Idle".as_ptr(), err), RSL_OK);
            let mut bound = std::ptr::null_mut();
            assert_eq!(
                rsl_view_bind(view, lib, &mut bound, err),
                RSL_OK,
                "{}",
                msg()
            );
            assert!(rsl_bound_align(bound) > 1, "{}", path.display());
            let mut value = std::ptr::null_mut();
            assert_eq!(rsl_value_new(bound, &mut value, err), RSL_OK, "{}", msg());
            let mut case = usize::MAX;
            let data = rsl_value_data(value);
            assert_eq!(rsl_bound_case(bound, data, &mut case, err), RSL_OK);
            assert_eq!(case, 0, "a default Status is Idle");
            let odd = data.cast::<u8>().add(1).cast::<c_void>();
            assert_eq!(
                rsl_bound_case(bound, odd, &mut case, err),
                RSL_ERROR_ARGUMENT,
                "{}",
                path.display()
            );
            assert!(msg().contains("not aligned"), "{}", msg());
            rsl_value_free(value);
            rsl_bound_free(bound);
            rsl_view_free(view);
            rsl_library_close(lib);
            rsl_error_free(err);
        }
    }
}
