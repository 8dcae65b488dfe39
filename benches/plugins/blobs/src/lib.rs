//! Benchmark fixture: values of run-time size whose witnesses do no work of
//! their own beyond initialising bytes, so allocation is what is measured.

/// 64 bytes.
#[derive(layout_meta::Resilient, Clone, Copy, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct Blob64 {
    /// A tag.
    pub tag: u64,
    /// Payload.
    pub data: [u64; 7],
}

/// 1 KiB.
#[derive(layout_meta::Resilient, Clone, Copy, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct Blob1K {
    /// A tag.
    pub tag: u64,
    /// Payload.
    pub data: [u64; 127],
}

impl Default for Blob64 {
    fn default() -> Self {
        Blob64 {
            tag: 64,
            data: [0; 7],
        }
    }
}

impl Default for Blob1K {
    fn default() -> Self {
        Blob1K {
            tag: 1024,
            data: [0; 127],
        }
    }
}

layout_meta::export_module! { name: "blobs", version: "1.0.0", types: [Blob64, Blob1K] }
