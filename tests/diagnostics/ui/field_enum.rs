// An enum of the crate's own, even with a fixed `repr`.
#[repr(u8)]
#[derive(Clone, Copy)]
pub enum Mode {
    On = 1,
    Off = 2,
}

#[derive(layout_meta::Resilient)]
pub struct Lamp {
    pub mode: Mode,
}

fn main() {}
