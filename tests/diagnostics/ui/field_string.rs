// A `String` field made `pub`: it has no layout a host can rely on.
#[derive(layout_meta::Resilient)]
pub struct Circle {
    pub radius: f64,
    pub name: String,
}

fn main() {}
