// An atomic: no `FieldType`, so the field cannot be exported as is.
#[derive(layout_meta::Resilient)]
pub struct Counter {
    pub hits: std::sync::atomic::AtomicU32,
}

fn main() {}
