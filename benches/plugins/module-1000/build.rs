//! Generates 1000 types with 8 fields each (see ../gen/gen.rs).
#[path = "../gen/gen.rs"]
mod gen;
fn main() {
    gen::write(1000);
}
