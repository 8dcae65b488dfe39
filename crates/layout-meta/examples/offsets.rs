//! Prints every record field's offset and every record's size (the tables
//! of docs/FORMAT.md come from this).
fn main() {
    for (record, field, offset) in layout_meta::format::offsets::ALL {
        println!("{record}.{field} {offset}");
    }
    for (record, size) in layout_meta::format::offsets::SIZES {
        println!("{record} size {size}");
    }
}
