// A function's owned result read through a view of another module than
// its API's: the value comes from the API's library, whose one module
// `check` verifies, so `api!` refuses it at compile time (the nested module
// rule; `interface!` does the same).
use resilient_types::{api, view, Field, Func, Out};

view! {
    pub struct SquareView = "geometry"::"Square" { pub side: Field<f32> }
}

api! {
    pub struct Shapes = "shapes" {
        pub square: Func<fn(f64) -> Out<SquareView>>,
    }
}

fn main() {}
