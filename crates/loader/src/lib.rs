//! Placeholder: filled by the loader issue.
