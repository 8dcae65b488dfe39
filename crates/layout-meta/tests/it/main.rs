//! Integration tests of layout-meta: the producer against the compiler, and
//! the validator against generated and mutated metadata.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test code: a panic is the failure report"
)]

mod accessors;
mod diff;
mod enums;
mod producer;
mod review_enums;
mod validator;
