//! Placeholder: filled by the views issue.
