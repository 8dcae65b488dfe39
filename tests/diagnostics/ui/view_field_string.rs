// A view cannot read a `String` field by value.
resilient_types::view! {
    pub struct CircleView = "shapes"::"Circle" {
        pub name: resilient_types::Field<String>,
    }
}

fn main() {}
