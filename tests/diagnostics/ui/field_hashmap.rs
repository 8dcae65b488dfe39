// A `pub` field of a type with no stable layout and no accessors
// (a `HashMap`): it stays private, or the library exports functions.
#[derive(layout_meta::Resilient)]
pub struct Index {
    pub len: u64,
    pub map: std::collections::HashMap<u64, u64>,
}

fn main() {}
