// A loader refuses a version that is not semver: so does the compiler.
#[derive(layout_meta::Resilient)]
pub struct Widget {
    pub id: u64,
}

layout_meta::export_module! { name: "widgets", version: "1.0", types: [Widget] }

fn main() {}
