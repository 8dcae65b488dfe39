// A nested view of another module than its outer view: the nested type
// comes from the outer type's library, whose one module `check` verifies,
// so `view!` refuses it at compile time (the nested module rule).
use resilient_types::{view, Field, Nested};

view! {
    pub struct PointView = "geometry"::"Point" { pub x: Field<i32> }
}

view! {
    pub struct WidgetView = "widgets"::"Widget" {
        pub id: Field<u64>,
        pub origin: Option<Nested<PointView>>,
    }
}

fn main() {}
