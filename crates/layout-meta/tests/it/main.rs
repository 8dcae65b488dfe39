//! Integration tests of layout-meta: the producer against the compiler, and
//! the validator against generated and mutated metadata.

mod producer;
mod validator;
