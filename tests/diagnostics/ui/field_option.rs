// `Option<u8>` has no stable layout (the compiler chooses the tag).
#[derive(layout_meta::Resilient)]
pub struct Maybe {
    pub value: Option<u8>,
}

fn main() {}
