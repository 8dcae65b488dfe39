//! Fixture plugin: widgets 2.0.0, a breaking release: `weight` is retyped to
//! `f64` and `flags` is removed. Hosts that use either must be refused.

const VERSION: &str = "2.0.0";

/// A widget.
#[derive(layout_meta::Resilient)]
#[resilient(clone, default)]
pub struct Widget {
    /// Identifier.
    pub id: u64,
    /// Weight in kg, now double precision.
    pub weight: f64,
    /// Four tag bytes.
    pub tags: [u8; 4],
    /// Where it sits.
    pub origin: Point,
    /// Whether it is on.
    pub active: bool,
    label: String,
}

/// What a widget is doing: 2.0 removes `Failed`.
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
        /// Load, 0 to 1.
        load: f32,
    },
    /// Paused until a time.
    Paused {
        /// Seconds since the epoch.
        until: u64,
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
            id: 4,
            status: Status::Busy { jobs: 4, load: 1.0 },
        }
    }
}

impl Widget {
    fn new_default() -> Self {
        Widget {
            id: 4,
            weight: 4.5,
            tags: *b"v4v4",
            origin: Point { x: -4, y: 4 },
            active: false,
            label: "widget v4".into(),
        }
    }
    fn clone_fields(&self) -> Self {
        Widget {
            id: self.id,
            weight: self.weight,
            tags: self.tags,
            origin: self.origin,
            active: self.active,
            label: self.label.clone(),
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

/// Retyped in 2.0: the weight in pounds is an `f32` now (a breaking change
/// for hosts that call it, named at bind).
#[layout_meta::export]
pub fn weight_lb(w: &Widget) -> f32 {
    // Narrowing is this version's documented choice.
    #[allow(clippy::cast_possible_truncation, reason = "the 2.0 API returns f32")]
    let lb = (w.weight * 2.204_622_6) as f32;
    lb
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
    /// New in 1.2: the weight's bits (2.0: the weight is an `f64`).
    fn weight_key(&self) -> u64 {
        self.weight.to_bits()
    }
}
