//! Raw identifiers: a field called `type` is written `r#type` in Rust and
//! exported, bound and reached as `type` (in C, `T_type_offset`).

use layout_meta::Resilient;
use resilient_types::{view, Bound, Field, InProcess, Value};

#[derive(Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod)]
pub struct r#Match {
    pub r#type: u32,
    pub r#fn: u8,
}

view! {
    pub struct MatchView = "m"::"Match" {
        pub r#type: Field<u32>,
        pub r#fn: Field<u8>,
    }
}

#[test]
fn raw_identifiers_are_exported_and_bound_by_their_names() {
    let d = r#Match::DESCRIPTOR;
    assert_eq!(d.name(), "Match");
    let names: Vec<&str> = d.fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["type", "fn"]);
    // The C symbols carry the name too (Miri cannot read extern statics).
    #[cfg(not(miri))]
    {
        extern "C" {
            static Match_type_offset: usize;
        }
        // SAFETY: a `usize` static the derive defines in this program.
        let offset = unsafe { Match_type_offset };
        assert_eq!(offset, core::mem::offset_of!(r#Match, r#type));
    }

    let src = InProcess::new("m", "1.0.0").with::<r#Match>();
    let b = Bound::<MatchView>::bind(&src).unwrap();
    let mut v = Value::new(&b).unwrap();
    v.as_mut().set(b.r#type, 7);
    assert_eq!(v.as_ref().get(b.r#type), 7);
    assert_eq!(<MatchView as resilient_types::View>::FIELDS[0].name, "type");
}
