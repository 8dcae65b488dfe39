//! Enums across the boundary against in-domain `match`: reading a bound
//! enum's case and a payload field (plain tag: widgets 1.2's `repr(u8)`
//! `Status`; witness tag: 1.0's default-repr one), and building a case
//! through the library's witness against in-domain construction. Ratios of
//! one run are recorded in docs/BENCHMARKS.md ("Enums").
#![allow(
    missing_docs,
    clippy::unwrap_used,
    reason = "benchmark harness: a failure to set up is the report"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use resilient_loader::Library;
use resilient_testkit::{library_file_name, Build, Profile};
use resilient_types::{enum_view, Field, Value};

enum_view! {
    /// Every case of widgets 1.2's `Status`.
    pub enum StatusCase: StatusView = "widgets"::"Status" {
        Idle,
        Busy(BusyView { jobs: Field<u32>, load: Field<f32>, queue: Field<u16> }),
        Failed(FailedView { _0: Field<i64> }),
        Paused(PausedView { until: Field<u64> }),
        Retrying(RetryingView { attempt: Field<u8> }),
    }
}

enum_view! {
    /// What 1.0's `Status` has.
    pub enum OldCase: OldView = "widgets"::"Status" {
        Idle,
        Busy(OldBusy { jobs: Field<u32> }),
        Failed(OldFailed { _0: Field<i64> }),
    }
}

/// The in-domain twin of 1.2's `Status` (same declaration).
#[derive(Clone, Debug)]
#[repr(u8)]
pub enum Status {
    Idle,
    Busy { jobs: u32, load: f32, queue: u16 },
    Failed(i64) = 7,
    Paused { until: u64 },
    Retrying { attempt: u8 },
}

fn direct_jobs(s: &Status) -> u64 {
    match s {
        Status::Busy { jobs, .. } => u64::from(*jobs),
        Status::Failed(c) => c.unsigned_abs(),
        Status::Paused { until } => *until,
        Status::Idle | Status::Retrying { .. } => 0,
    }
}

fn enums(c: &mut Criterion) {
    let dir = Build::new(Profile::Release).run(&["widget-v1", "widget-v3"]);
    let v3 = Library::open(dir.join(library_file_name("widget-v3"))).unwrap();
    let v1 = Library::open(dir.join(library_file_name("widget-v1"))).unwrap();
    let sv = v3.bind::<StatusView>().unwrap();
    let old = v1.bind::<OldView>().unwrap();
    let busy = sv.Busy.make(&sv, 41, 0.5, 3).unwrap();
    let old_busy = old.Busy.make(&old, 41).unwrap();
    let direct = Status::Busy {
        jobs: 41,
        load: 0.5,
        queue: 3,
    };

    let mut g = c.benchmark_group("enum");
    g.bench_function("match/direct", |b| {
        b.iter(|| direct_jobs(black_box(&direct)));
    });
    g.bench_function("match/plain-tag", |b| {
        b.iter(|| match sv.read(black_box(&busy).as_ref()) {
            StatusCase::Busy(p) => u64::from(p.get(p.jobs)),
            StatusCase::Failed(f) => f.get(f._0).unsigned_abs(),
            StatusCase::Paused(p) => p.get(p.until),
            _ => 0,
        });
    });
    g.bench_function("match/witness-tag", |b| {
        b.iter(|| match old.read(black_box(&old_busy).as_ref()) {
            OldCase::Busy(p) => u64::from(p.get(p.jobs)),
            OldCase::Failed(f) => f.get(f._0).unsigned_abs(),
            _ => 0,
        });
    });
    g.bench_function("construct/direct-box", |b| {
        b.iter(|| {
            Box::new(Status::Busy {
                jobs: black_box(41),
                load: 0.5,
                queue: 3,
            })
        });
    });
    g.bench_function("construct/library", |b| {
        b.iter(|| -> Value<StatusView> { sv.Busy.make(&sv, black_box(41), 0.5, 3).unwrap() });
    });
    g.finish();
}

criterion_group!(benches, enums);
criterion_main!(benches);
