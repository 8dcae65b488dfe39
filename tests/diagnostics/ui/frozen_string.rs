// A `String` field in a frozen type: a frozen type's whole layout is its
// promise, and a `String` has no stable layout (a type that is not frozen
// exports it through accessors).
#[derive(layout_meta::Resilient)]
#[repr(C)]
#[resilient(frozen)]
pub struct Circle {
    pub radius: f64,
    pub name: String,
}

fn main() {}
