//! Every case in `ui/` fails to compile with the diagnostic in its
//! `.stderr` file: what a user who makes that mistake reads. Run with
//! `TRYBUILD=overwrite` to rewrite the files after a deliberate change.
#![allow(missing_docs, reason = "test harness")]

#[test]
fn mistakes_are_refused_with_a_clear_message() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
