//! Fixture plugin: widgets 1.0.0, the version hosts are built against.
//! Default Rust layout (the compiler chooses the order).

const VERSION: &str = "1.0.0";

/// A widget.
#[derive(layout_meta::Resilient)]
#[resilient(clone, default)]
pub struct Widget {
    /// Identifier.
    pub id: u64,
    /// Weight in kg.
    pub weight: f32,
    /// Flag bits.
    pub flags: u16,
    /// Four tag bytes.
    pub tags: [u8; 4],
    /// Where it sits.
    pub origin: Point,
    /// Whether it is on.
    pub active: bool,
    label: String,
}

/// What a widget is doing.
#[derive(layout_meta::Resilient, Clone, Debug, PartialEq, Default)]
#[resilient(clone, default)]
pub enum Status {
    /// Nothing to do.
    #[default]
    Idle,
    /// Working.
    Busy {
        /// Jobs queued.
        jobs: u32,
    },
    /// Stopped with an error code.
    Failed(i64),
}

/// A job: a struct with a field of an exported enum type.
#[derive(layout_meta::Resilient)]
#[resilient(clone, default)]
pub struct Job {
    /// Identifier.
    pub id: u32,
    /// What it is doing.
    pub status: Status,
}

impl Default for Job {
    fn default() -> Self {
        JOBS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Job {
            id: 1,
            status: Status::Busy { jobs: 1 },
        }
    }
}

impl Widget {
    fn new_default() -> Self {
        Widget {
            id: 1,
            weight: 1.5,
            flags: 0x0101,
            tags: *b"v1v1",
            origin: Point { x: -1, y: 1 },
            active: true,
            label: "widget v1".into(),
        }
    }
    fn clone_fields(&self) -> Self {
        Widget {
            id: self.id,
            weight: self.weight,
            flags: self.flags,
            tags: self.tags,
            origin: self.origin,
            active: self.active,
            label: self.label.clone(),
        }
    }
}

/// A profile: fields without a stable layout (`String`, `Vec<u32>`,
/// `Option<String>`), exported through the accessors the derive generates,
/// and `score`, stored in 1.0 (computed in 1.1).
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
pub struct Profile {
    /// Identifier.
    pub id: u64,
    /// Points: a `Vec` of an exported type, read through its view.
    pub points: Vec<Point>,
    /// A name: a `String` hosts read as `&str`.
    pub name: String,
    /// Tags: a `Vec<u32>` hosts read as `&[u32]`.
    pub tags: Vec<u32>,
    /// A nickname, if any.
    pub nick: Option<String>,
    /// A score, stored.
    pub score: u32,
    /// A rank, stored (computed in 1.1, without side effects: what the
    /// benchmarks compare with a stored read).
    pub rank: u32,
}

include!("../../common.rs");

export_widgets!();

#[layout_meta::export]
impl Describe for Widget {
    fn key(&self) -> u64 {
        self.id
    }
    fn set_key(&mut self, key: u64) {
        self.id = key;
    }
}
