//! resilient-types integration tests on in-domain types (the loader's tests
//! cover real cdylibs): values of run-time size, witnesses, strategies.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test code: a panic is the failure report"
)]

mod accessors;
mod frozen_enums;
mod functions;
mod handmade;
mod holes;
mod names;
mod review_calls;
mod review_enums;
mod send;
mod stack_probe;
mod strategy;
mod values;
mod verdicts;
