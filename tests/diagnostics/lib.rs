//! Nothing here: the cases are in `ui/`, run by `ui.rs`.
