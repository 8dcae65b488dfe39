//! Fixture plugin: gadgets 1.0.0, whose types export their symbols under a
//! prefix (`gadgets_Gadget_size`, `gadgets_Gadget_descriptor`...): readers
//! learn the prefix from the name the descriptor is exported under, and
//! find the C symbols beside it.

/// A gadget.
#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default, prefix = "gadgets_")]
pub struct Gadget {
    /// Identifier.
    pub id: u64,
    /// Four tag bytes.
    pub tags: [u8; 4],
    /// Where it sits.
    pub spot: Spot,
    /// Not exported: no symbol, no field record.
    #[allow(dead_code, reason = "a private field the layout must make room for")]
    label: String,
}

/// A spot, nested in gadgets, with another prefix.
#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default, prefix = "gadgets_spot_")]
pub struct Spot {
    /// Horizontal.
    pub x: i32,
    /// Vertical.
    pub y: i32,
}

layout_meta::export_module! { name: "gadgets", version: "1.0.0", types: [Gadget, Spot] }
