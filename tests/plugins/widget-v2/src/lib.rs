//! Fixture plugin: widgets 1.1.0. A field (`color`) added in the middle and
//! the fields reordered (`repr(C)` pins the new order so every offset moves).

const VERSION: &str = "1.1.0";

/// A widget.
#[derive(layout_meta::Resilient)]
#[resilient(clone, default)]
#[repr(C)]
pub struct Widget {
    /// Flag bits.
    pub flags: u16,
    /// Whether it is on.
    pub active: bool,
    /// New in 1.1: a colour.
    pub color: u32,
    /// Four tag bytes.
    pub tags: [u8; 4],
    /// Where it sits.
    pub origin: Point,
    label: String,
    /// Weight in kg.
    pub weight: f32,
    /// Identifier.
    pub id: u64,
}

/// What a widget is doing: 1.1 adds `Paused`, and `Busy` grows a `load`
/// (placed first).
#[derive(layout_meta::Resilient, Clone, Debug, PartialEq, Default)]
#[resilient(clone, default)]
pub enum Status {
    /// Nothing to do.
    #[default]
    Idle,
    /// Working.
    Busy {
        /// Load, 0 to 1.
        load: f32,
        /// Jobs queued.
        jobs: u32,
    },
    /// Stopped with an error code.
    Failed(i64),
    /// Paused until a time.
    Paused {
        /// Seconds since the epoch.
        until: u64,
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
            id: 2,
            status: Status::Busy { load: 0.5, jobs: 2 },
        }
    }
}

impl Widget {
    fn new_default() -> Self {
        Widget {
            flags: 0x0202,
            active: true,
            color: 0x00ff_00ff,
            tags: *b"v2v2",
            origin: Point { x: -2, y: 2 },
            label: "widget v2, longer".into(),
            weight: 2.5,
            id: 2,
        }
    }
    fn clone_fields(&self) -> Self {
        Widget {
            flags: self.flags,
            active: self.active,
            color: self.color,
            tags: self.tags,
            origin: self.origin,
            label: self.label.clone(),
            weight: self.weight,
            id: self.id,
        }
    }
}

/// A profile: in 1.1 `score` became a computed field (a getter and a
/// setter over a private field; each read is counted: `score_reads`).
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
#[resilient(computed(score: u32, get = Self::score, set = Self::set_score))]
#[resilient(computed(rank: u32, get = Self::rank, set = Self::set_rank))]
pub struct Profile {
    /// A nickname, if any.
    pub nick: Option<String>,
    /// Tags: a `Vec<u32>` hosts read as `&[u32]`.
    pub tags: Vec<u32>,
    /// Identifier.
    pub id: u64,
    /// Points: a `Vec` of an exported type, read through its view.
    pub points: Vec<Point>,
    /// A name: a `String` hosts read as `&str`.
    pub name: String,
    /// What `score` reads, in tenths.
    tenths: u64,
    /// What `rank` reads.
    stored_rank: u32,
}

impl Profile {
    /// The computed `score`: counts its reads.
    pub fn score(&self) -> u32 {
        SCORE_READS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        u32::try_from(self.tenths / 10).unwrap_or(u32::MAX)
    }
    /// Sets `score`.
    pub fn set_score(&mut self, score: u32) {
        self.tenths = u64::from(score) * 10;
    }
    /// The computed `rank`: a plain read, no side effect.
    pub fn rank(&self) -> u32 {
        self.stored_rank
    }
    /// Sets `rank`.
    pub fn set_rank(&mut self, rank: u32) {
        self.stored_rank = rank;
    }
}

include!("../../common.rs");

/// New in 1.1: the weight in pounds.
#[layout_meta::export]
pub fn weight_lb(w: &Widget) -> f64 {
    f64::from(w.weight) * 2.204_622_6
}

export_widgets!(weight_lb);

#[layout_meta::export]
impl Describe for Widget {
    fn key(&self) -> u64 {
        self.id
    }
    fn set_key(&mut self, key: u64) {
        self.id = key;
    }
}
