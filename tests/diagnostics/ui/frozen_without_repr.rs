// A frozen type promises its layout never changes: it needs `#[repr(C)]`.
#[derive(layout_meta::Resilient)]
#[resilient(frozen)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

fn main() {}
