//! Benchmark fixture: a generated module (types `T0`, `T1`, ... with fields
//! `f0` to `f7`), for the load-cost benchmark.
include!(concat!(env!("OUT_DIR"), "/types.rs"));
