//! Generates 100 types with 8 fields each (see ../gen/gen.rs).
#[path = "../gen/gen.rs"]
mod gen;
fn main() {
    gen::write(100);
}
