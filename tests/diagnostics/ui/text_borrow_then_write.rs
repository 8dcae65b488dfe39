// Text borrowed from a value cannot outlive a write to it: the library may
// free what the borrow points to when it replaces the contents.
use resilient_types::{view, Text, Value};

view! {
    pub struct NameView = "m"::"T" { pub name: Text }
}

fn rename(v: &mut Value<NameView>, t: Text) {
    let old = v.as_ref().text(t).unwrap();
    v.as_mut().set_text(t, "new");
    println!("{old}");
}

fn main() {}
