//! Enums across versions of a real plugin: `Status` gains cases (1.1 adds
//! `Paused`, 1.2 `Retrying`), its `Busy` payload grows and reorders, 1.2
//! makes its tag plain (`repr(u8)`), and 2.0 removes `Failed`. A host built
//! against 1.0 reads every version that keeps its cases, lands later cases
//! in `Unknown`, builds cases through the library, and is refused by 2.0
//! naming the case.

use resilient_loader::Library;
use resilient_types::{api, enum_view, view, Field, Func, In, InMut, Nested, Out, Value};

use crate::plugin;

enum_view! {
    /// What a host built against widgets 1.0 knows of `Status`.
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
    /// A job, with its status nested (a field of an enum type).
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

/// The `Busy` jobs each version's default widget has.
const JOBS: [u32; 3] = [1, 2, 3];

#[test]
fn a_1_0_host_reads_every_version_that_keeps_its_cases() {
    for (v, jobs) in ["widget-v1", "widget-v2", "widget-v3"]
        .into_iter()
        .zip(JOBS)
    {
        let lib = Library::open(plugin(v)).unwrap();
        let sv = lib.bind::<StatusView>().unwrap();
        let ws = lib.bind::<JobView>().unwrap();
        let api = lib.bind_api::<StatusApi>().unwrap();
        let tag_plain = lib
            .module()
            .unwrap()
            .get("Status")
            .and_then(|t| t.enum_info.as_ref())
            .is_some_and(|e| e.tag.is_some());
        assert_eq!(tag_plain, v == "widget-v3", "{v}: only 1.2 is repr(u8)");

        // A default job's status, nested in the job, read in place.
        let w = Value::new(&ws).unwrap();
        match sv.read(w.as_ref().nested(ws.status)) {
            StatusCase::Busy(b) => assert_eq!(b.get(b.jobs), jobs, "{v}"),
            other => panic!("{v}: {other:?}"),
        }
        // The same status as a value the library returns (owned).
        let owned = api.job_status.call(w.as_ref()).unwrap();
        assert!(matches!(sv.read(owned.as_ref()), StatusCase::Busy(b) if b.get(b.jobs) == jobs));
        // A default status is `Idle`.
        assert!(matches!(
            sv.read(Value::new(&sv).unwrap().as_ref()),
            StatusCase::Idle(_)
        ));
        // `Failed` built by the library, read back.
        let failed = sv.Failed.make(&sv, -3).unwrap();
        match sv.read(failed.as_ref()) {
            StatusCase::Failed(f) => assert_eq!(f.get(f._0), -3),
            other => panic!("{v}: {other:?}"),
        }
        let copy = failed.try_clone().unwrap();
        assert!(matches!(sv.read(copy.as_ref()), StatusCase::Failed(f) if f.get(f._0) == -3));
    }
}

/// A case the host does not know reads as `Unknown`, never as another.
#[test]
fn a_case_added_later_lands_in_unknown() {
    for v in ["widget-v2", "widget-v3"] {
        let lib = Library::open(plugin(v)).unwrap();
        let sv = lib.bind::<StatusView>().unwrap();
        let newer = lib.bind::<NewerView>().unwrap();
        let ws = lib.bind::<JobView>().unwrap();
        let api = lib.bind_api::<StatusApi>().unwrap();
        let paused = newer.Paused.make(&newer, 1_900_000_000).unwrap();
        assert!(
            matches!(newer.read(paused.as_ref()), NewerCase::Paused(p) if p.get(p.until) == 1_900_000_000)
        );
        let mut w = Value::new(&ws).unwrap();
        api.set_job_status
            .call(w.as_mut(), paused.as_ref())
            .unwrap();
        assert!(
            matches!(sv.read(w.as_ref().nested(ws.status)), StatusCase::Unknown),
            "{v}: 1.0's host does not know Paused"
        );
        // The newer view reads the widget's status as `Paused`.
        let status = api.job_status.call(w.as_ref()).unwrap();
        let again = newer.Paused.make(&newer, 5).unwrap();
        drop((status, again));
    }
    // 1.0 has no `Paused`: the newer host is refused, naming the case and
    // the cases the enum has.
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let err = lib.bind::<NewerView>().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("case `Status::Paused` is missing (`Status` has `Failed`, `Busy`, `Idle`)"),
        "{err}"
    );
}

/// 1.1 grew `Busy` with a field 1.0's host does not name: it still reads
/// `Busy`, but cannot build one (the library's case needs `load`).
#[test]
fn a_grown_payload_reads_but_is_not_built_without_its_new_field() {
    let v1 = Library::open(plugin("widget-v1")).unwrap();
    let sv = v1.bind::<StatusView>().unwrap();
    let busy = sv.Busy.make(&sv, 8).unwrap();
    assert!(matches!(sv.read(busy.as_ref()), StatusCase::Busy(b) if b.get(b.jobs) == 8));
    let v2 = Library::open(plugin("widget-v2")).unwrap();
    let sv = v2.bind::<StatusView>().unwrap();
    let err = sv.Busy.make(&sv, 8).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot build case `Status::Busy`: the library's case has field `load`, which the view does not name"
    );
}

#[test]
fn a_removed_case_or_a_retyped_payload_is_refused_at_bind_naming_it() {
    let v4 = Library::open(plugin("widget-v4")).unwrap();
    let err = v4.bind::<StatusView>().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("case `Status::Failed` is missing (`Status` has `Paused`, `Idle`, `Busy`)"),
        "{err}"
    );

    enum_view! {
        pub enum WrongCase: WrongView = "widgets"::"Status" {
            Busy(WrongBusy { jobs: Field<u64> }),
        }
    }
    let v1 = Library::open(plugin("widget-v1")).unwrap();
    let err = v1.bind::<WrongView>().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("field `Status::Busy.jobs` is u32, the view expects u64"),
        "{err}"
    );

    view! {
        pub struct StatusAsStruct = "widgets"::"Status" { pub jobs: Field<u32> }
    }
    let err = v1.bind::<StatusAsStruct>().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("type `Status` is an enum, the view expects a struct"),
        "{err}"
    );
    let err = v1.bind::<WrongViewOfWidget>().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("type `Widget` is a struct, the view expects an enum"),
        "{err}"
    );
}

enum_view! {
    pub enum WidgetCase: WrongViewOfWidget = "widgets"::"Widget" { Idle }
}

/// A struct with an enum field is made, cloned and dropped by the
/// library's witnesses, its status with it; statuses returned by value
/// are the host's to drop: nothing leaks (CI runs this under memcheck).
#[test]
fn values_holding_enums_are_made_and_dropped_by_the_library() {
    let lib = Library::open(plugin("widget-v2")).unwrap();
    let jv = lib.bind::<JobView>().unwrap();
    let sv = lib.bind::<StatusView>().unwrap();
    let api = lib.bind_api::<StatusApi>().unwrap();
    let before = api.live_jobs.call().unwrap();
    {
        let job = Value::new(&jv).unwrap();
        let copy = job.try_clone().unwrap();
        assert_eq!(api.live_jobs.call().unwrap(), before + 2);
        assert!(
            matches!(sv.read(copy.as_ref().nested(jv.status)), StatusCase::Busy(b) if b.get(b.jobs) == 2)
        );
        let statuses: Vec<_> = (0..100)
            .map(|_| api.job_status.call(job.as_ref()).unwrap())
            .collect();
        assert!(statuses
            .iter()
            .all(|s| matches!(sv.read(s.as_ref()), StatusCase::Busy(_))));
    }
    assert_eq!(api.live_jobs.call().unwrap(), before);
}
