//! Accessor and computed fields through a host's view, in process (so Miri
//! runs it): a type with a `String`, an `Option<String>`, a `Vec<u16>` and
//! a computed field, bound by a view built against the stored version of
//! that field; reads borrow from the value, writes go through the type's
//! own code, and a computed read calls its getter.

use std::sync::atomic::{AtomicUsize, Ordering};

use resilient_types::{view, Bound, Elems, Field, InProcess, OptText, Text, Value};

static READS: AtomicUsize = AtomicUsize::new(0);

/// The library's type: `level` is computed (from `tenths`).
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
#[resilient(computed(level: u8, get = Self::level, set = Self::set_level))]
pub struct Gauge {
    pub id: u32,
    pub label: String,
    pub unit: Option<String>,
    pub history: Vec<u16>,
    tenths: u32,
}

impl Gauge {
    pub fn level(&self) -> u8 {
        READS.fetch_add(1, Ordering::Relaxed);
        u8::try_from(self.tenths / 10).unwrap_or(u8::MAX)
    }
    pub fn set_level(&mut self, level: u8) {
        self.tenths = u32::from(level) * 10;
    }
}

view! {
    /// A host's view, written when `level` was a stored `u8`.
    pub struct GaugeView = "gauges"::"Gauge" {
        pub id: Field<u32>,
        pub label: Text,
        pub unit: OptText,
        pub history: Elems<u16>,
        pub level: Field<u8>,
    }
}

#[test]
fn accessor_and_computed_fields_read_and_write_through_the_types_code() {
    let src = InProcess::new("gauges", "1.0.0").with::<Gauge>();
    let b = Bound::<GaugeView>::bind(&src).unwrap();
    let g = *b.view();
    assert!(g.level.is_computed() && !g.id.is_computed());
    let mut v = Value::new(&b).unwrap();
    let mut m = v.as_mut();
    m.set(g.id, 9);
    m.set_text(g.label, "pressure");
    m.set_opt_text(g.unit, Some("kPa"));
    m.set_elems(g.history, &[3, 1, 4, 1, 5]);
    m.set(g.level, 7);
    let before = READS.load(Ordering::Relaxed);
    let r = v.as_ref();
    assert_eq!(r.get(g.level), 7);
    assert_eq!(READS.load(Ordering::Relaxed), before + 1);
    assert_eq!(r.get(g.id), 9);
    assert_eq!(r.text(g.label).unwrap(), "pressure");
    assert_eq!(r.opt_text(g.unit).unwrap(), Some("kPa"));
    assert_eq!(r.elems(g.history), &[3, 1, 4, 1, 5]);
    // Borrowed, then replaced: the borrow ended before the write.
    let mut m = v.as_mut();
    m.set_opt_text(g.unit, None);
    m.set_elems(g.history, &[]);
    m.set_text(g.label, "");
    let r = v.as_ref();
    assert_eq!(r.opt_text(g.unit).unwrap(), None);
    assert!(r.elems(g.history).is_empty());
    assert_eq!(r.text(g.label).unwrap(), "");
}

/// An exported element type that owns memory (its clone allocates).
#[derive(layout_meta::Resilient, Clone, Default)]
#[resilient(clone, default)]
pub struct Tag {
    pub id: u32,
    note: String,
}

/// A type holding a `Vec` of it.
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
pub struct Board {
    pub tags: Vec<Tag>,
}

view! {
    pub struct TagView = "boards"::"Tag" { pub id: Field<u32> }
}

view! {
    pub struct BoardView = "boards"::"Board" { pub tags: resilient_types::ElemsOf<TagView> }
}

#[test]
fn elements_of_an_exported_type_are_cloned_by_the_library() {
    let src = InProcess::new("boards", "1.0.0")
        .with::<Tag>()
        .with::<Board>();
    let boards = Bound::<BoardView>::bind(&src).unwrap();
    let tags = Bound::<TagView>::bind(&src).unwrap();
    let (bv, tv) = (*boards.view(), *tags.view());
    let mut held = resilient_types::Array::new(&tags, 2).unwrap();
    for (i, id) in [5u32, 6].into_iter().enumerate() {
        held.get_mut(i).unwrap().set(tv.id, id);
    }
    let mut board = Value::new(&boards).unwrap();
    board.as_mut().set_elems_of(bv.tags, held.as_slice());
    drop(held);
    let ids: Vec<u32> = board
        .as_ref()
        .elems_of(bv.tags)
        .iter()
        .map(|t| t.get(tv.id))
        .collect();
    assert_eq!(ids, [5, 6]);
    let _ = Tag::default().note;
}

/// Replacing elements with none, taken from an empty field: the library
/// makes a `&[Tag]` of the pointer it gets, which must be aligned for `Tag`
/// even when empty (an empty `Slice` held `NonNull::dangling()`, 1).
#[test]
fn elements_of_an_exported_type_are_replaced_by_none() {
    let src = InProcess::new("boards", "1.0.0")
        .with::<Tag>()
        .with::<Board>();
    let boards = Bound::<BoardView>::bind(&src).unwrap();
    let tags = Bound::<TagView>::bind(&src).unwrap();
    let (bv, tv) = (*boards.view(), *tags.view());
    let mut held = resilient_types::Array::new(&tags, 1).unwrap();
    held.get_mut(0).unwrap().set(tv.id, 7);
    let mut board = Value::new(&boards).unwrap();
    board.as_mut().set_elems_of(bv.tags, held.as_slice());
    assert_eq!(board.as_ref().elems_of(bv.tags).len(), 1);
    let blank = Value::new(&boards).unwrap();
    let none = blank.as_ref().elems_of(bv.tags);
    assert!(none.is_empty());
    assert_eq!(none.as_ptr() as usize % tags.shape().align, 0);
    board.as_mut().set_elems_of(bv.tags, none);
    assert!(board.as_ref().elems_of(bv.tags).is_empty());
}
