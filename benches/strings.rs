//! Strings, vectors and computed fields across the boundary against the
//! same in-domain operations: borrowing a `String` field through the
//! library's accessor (checked as UTF-8, and as bytes) against `&s[..]`;
//! reading a computed field (widgets 1.1's `Profile.rank`, one call)
//! against a stored one (1.0's, one load); replacing a 16-byte string
//! through the library against an in-domain assignment. Ratios of one run
//! are recorded in docs/BENCHMARKS.md ("Strings and computed fields").
#![allow(
    missing_docs,
    clippy::unwrap_used,
    reason = "benchmark harness: a failure to set up is the report"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use resilient_loader::Library;
use resilient_testkit::{library_file_name, Build, Profile};
use resilient_types::{view, Elems, Field, Text, Value};

view! {
    pub struct ProfileView = "widgets"::"Profile" {
        pub name: Text,
        pub tags: Elems<u32>,
        pub score: Field<u32>,
        pub rank: Field<u32>,
    }
}

/// The in-domain twin of the fixture's `Profile` (the fields read here).
#[derive(Default)]
pub struct Local {
    pub name: String,
    pub tags: Vec<u32>,
    pub score: u32,
}

const SIXTEEN: &str = "sixteen bytes!!!";

fn strings(c: &mut Criterion) {
    let dir = Build::new(Profile::Release).run(&["widget-v1", "widget-v2"]);
    let v1 = Library::open(dir.join(library_file_name("widget-v1"))).unwrap();
    let v2 = Library::open(dir.join(library_file_name("widget-v2"))).unwrap();
    let stored = v1.bind::<ProfileView>().unwrap();
    let computed = v2.bind::<ProfileView>().unwrap();
    let (s, k) = (*stored.view(), *computed.view());
    assert!(!s.rank.is_computed() && k.rank.is_computed());
    let mut a = Value::new(&stored).unwrap();
    let mut b = Value::new(&computed).unwrap();
    for (v, m) in [(s, &mut a), (k, &mut b)] {
        let mut m = m.as_mut();
        m.set_text(v.name, SIXTEEN);
        m.set_elems(v.tags, &[1, 2, 3, 4]);
        m.set(v.score, 9);
        m.set(v.rank, 3);
    }
    let mut local = Local {
        name: SIXTEEN.into(),
        tags: vec![1, 2, 3, 4],
        score: 9,
    };

    let mut g = c.benchmark_group("strings");
    g.bench_function("borrow/in-domain", |bch| {
        bch.iter(|| black_box(&local).name.as_str().len());
    });
    g.bench_function("borrow/accessor-str", |bch| {
        bch.iter(|| black_box(&a).as_ref().text(s.name).unwrap().len());
    });
    g.bench_function("borrow/accessor-bytes", |bch| {
        bch.iter(|| black_box(&a).as_ref().text_bytes(s.name).len());
    });
    g.bench_function("elems/in-domain", |bch| {
        bch.iter(|| black_box(&local).tags.as_slice().len());
    });
    g.bench_function("elems/accessor", |bch| {
        bch.iter(|| black_box(&a).as_ref().elems(s.tags).len());
    });
    g.bench_function("field/stored", |bch| {
        bch.iter(|| black_box(&a).as_ref().get(s.rank));
    });
    g.bench_function("field/computed", |bch| {
        bch.iter(|| black_box(&b).as_ref().get(k.rank));
    });
    g.bench_function("field/computed-counted", |bch| {
        // `score` in 1.1 counts its reads (an atomic add in the library).
        bch.iter(|| black_box(&b).as_ref().get(k.score));
    });
    g.bench_function("field/in-domain", |bch| {
        bch.iter(|| black_box(&local).score);
    });
    g.bench_function("replace16/in-domain", |bch| {
        bch.iter(|| {
            // What the library's setter does: reuse the allocation.
            let l = black_box(&mut local);
            l.name.clear();
            l.name.push_str(black_box(SIXTEEN));
        });
    });
    g.bench_function("replace16/in-domain-new", |bch| {
        bch.iter(|| {
            black_box(&mut local).name = black_box(SIXTEEN).to_owned();
        });
    });
    g.bench_function("replace16/accessor", |bch| {
        bch.iter(|| {
            black_box(&mut a)
                .as_mut()
                .set_text(s.name, black_box(SIXTEEN))
        });
    });
    g.finish();
}

criterion_group!(benches, strings);
criterion_main!(benches);
