//! Fixture plugin: widgets 1.2.0. Grown (a 32-byte serial), alignment raised
//! to 64, and a new optional field `scale` that hosts built against 1.0 may
//! ask for and find only here.

const VERSION: &str = "1.2.0";

/// A widget.
#[derive(layout_meta::Resilient)]
#[resilient(clone, default)]
#[repr(C, align(64))]
pub struct Widget {
    /// New in 1.2: a serial number.
    pub serial: [u64; 4],
    /// Identifier.
    pub id: u64,
    /// New in 1.2: a scale factor.
    pub scale: f64,
    label: String,
    /// Where it sits.
    pub origin: Point,
    /// Weight in kg.
    pub weight: f32,
    /// Four tag bytes.
    pub tags: [u8; 4],
    /// Flag bits.
    pub flags: u16,
    /// Whether it is on.
    pub active: bool,
    /// New in 1.1: a colour.
    pub color: u32,
}

/// What a widget is doing: 1.2 lays it out as `repr(u8)` (a plain tag),
/// adds `Retrying`, and `Busy` grows a `queue`.
#[derive(layout_meta::Resilient, Clone, Debug, PartialEq, Default)]
#[repr(u8)]
#[resilient(clone, default)]
pub enum Status {
    /// Nothing to do.
    #[default]
    Idle,
    /// Working.
    Busy {
        /// Jobs queued.
        jobs: u32,
        /// Load, 0 to 1.
        load: f32,
        /// Queue number.
        queue: u16,
    },
    /// Stopped with an error code.
    Failed(i64) = 7,
    /// Paused until a time.
    Paused {
        /// Seconds since the epoch.
        until: u64,
    },
    /// Trying again.
    Retrying {
        /// Attempt number.
        attempt: u8,
    },
}

/// How urgent a job is (from 1.2 on): a frozen enum, whose fixed
/// `repr(u8)` layout is a promise hosts may compile in and match
/// exhaustively (`enum_view! { .. frozen(..) }`).
#[derive(layout_meta::Resilient, Clone, Copy, Debug, PartialEq, Default)]
#[repr(u8)]
#[resilient(frozen, clone, default)]
pub enum Level {
    /// Whenever.
    #[default]
    Low,
    /// Soon.
    Normal,
    /// Now, boosted.
    High {
        /// How much sooner.
        boost: u16,
    },
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
            id: 3,
            status: Status::Busy {
                jobs: 3,
                load: 0.75,
                queue: 9,
            },
        }
    }
}

impl Widget {
    fn new_default() -> Self {
        Widget {
            serial: [3; 4],
            id: 3,
            scale: 0.5,
            label: "widget v3".into(),
            origin: Point { x: -3, y: 3 },
            weight: 3.5,
            tags: *b"v3v3",
            flags: 0x0303,
            active: true,
            color: 0x0033_3333,
        }
    }
    fn clone_fields(&self) -> Self {
        Widget {
            serial: self.serial,
            id: self.id,
            scale: self.scale,
            label: self.label.clone(),
            origin: self.origin,
            weight: self.weight,
            tags: self.tags,
            flags: self.flags,
            active: self.active,
            color: self.color,
        }
    }
}

/// A profile: in 1.2 `score` is stored again (and the fields reordered).
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
pub struct Profile {
    /// A score, stored.
    pub score: u32,
    /// A rank, stored (computed in 1.1, without side effects: what the
    /// benchmarks compare with a stored read).
    pub rank: u32,
    /// Points: a `Vec` of an exported type, read through its view.
    pub points: Vec<Point>,
    /// A name: a `String` hosts read as `&str`.
    pub name: String,
    /// Identifier.
    pub id: u64,
    /// Tags: a `Vec<u32>` hosts read as `&[u32]`.
    pub tags: Vec<u32>,
    /// A nickname, if any.
    pub nick: Option<String>,
}

include!("../../common.rs");

/// New in 1.1: the weight in pounds.
#[layout_meta::export]
pub fn weight_lb(w: &Widget) -> f64 {
    f64::from(w.weight) * 2.204_622_6
}

export_widgets!(types: [Level]; weight_lb);

#[layout_meta::export]
impl Describe for Widget {
    fn key(&self) -> u64 {
        self.id
    }
    fn set_key(&mut self, key: u64) {
        self.id = key;
    }
    /// New in 1.2: the weight's bits.
    fn weight_key(&self) -> u64 {
        u64::from(self.weight.to_bits())
    }
}
