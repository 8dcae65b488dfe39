// A nested type the module does not list: a host could not bind the field.
#[derive(layout_meta::Resilient)]
#[repr(C)]
#[resilient(frozen, pod)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[derive(layout_meta::Resilient)]
pub struct Widget {
    pub origin: Point,
}

layout_meta::export_module! { name: "widgets", version: "1.0.0", types: [Widget] }

fn main() {}
