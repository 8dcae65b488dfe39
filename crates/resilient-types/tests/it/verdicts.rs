//! One verdict, three roads: for random versions of a library, whether a
//! view binds at run time (`Bound::bind`), offline
//! (`layout_meta::compat::bind_view` over the view's recorded need, what
//! `resilient check` runs) and by the change rules (`diff::breaking_for`
//! the changes from a version the view was written against).

use layout_meta::compat::bind_view;
use layout_meta::diff::{breaking_for, diff};
use layout_meta::needs::ViewNeed;
use layout_meta::{flags, FieldLayout, Identity, ModuleLayout, TypeLayout, WitnessAddrs};
use proptest::prelude::*;
use resilient_types::{view, Bound, Field, Nested, View};

use crate::handmade::{module, Handmade};

view! {
    pub struct InnerView = "m"::"Inner" { pub x: Field<u16> }
}
view! {
    pub struct OuterView = "m"::"Outer" {
        pub a: Field<u32>,
        pub b: Option<Field<f64>>,
        pub c: Nested<InnerView>,
        pub d: Option<Field<[u8; 4]>>,
    }
}

/// What a view's record says it needs (the data `resilient check` reads).
fn need<V: View>() -> ViewNeed {
    ViewNeed {
        module: V::MODULE.into(),
        type_name: V::TYPE_NAME.into(),
        frozen: V::FROZEN,
        fields: V::FIELDS
            .iter()
            .map(|f| layout_meta::needs::FieldNeed {
                name: f.name.into(),
                required: f.required,
                access: f.access,
                identity: Identity::from_record(&f.identity),
            })
            .collect(),
    }
}

fn scalar(name: &str, size: usize) -> Identity {
    Identity::Scalar {
        name: Identity::scalar_name(name),
        size,
        align: size,
    }
}

fn bytes(name: &str) -> Identity {
    Identity::Array {
        element: Box::new(scalar(name, 1)),
        count: 4,
        size: 4,
        align: 1,
    }
}

/// A type of these fields laid out in order (each at its alignment, after
/// `gap` bytes; packed: right after `gap` bytes, the type aligned to 1),
/// POD, with no witnesses.
fn lay_out(
    name: &str,
    fields: Vec<(String, Identity)>,
    gap: usize,
    frozen: bool,
    packed: bool,
) -> TypeLayout {
    let (mut at, mut align) = (0, 1);
    let fields = fields
        .into_iter()
        .map(|(name, identity)| {
            at += gap;
            if !packed {
                at = at.next_multiple_of(identity.align());
                align = align.max(identity.align());
            }
            let f = FieldLayout {
                name,
                offset: at,
                identity,
            };
            at += f.identity.size();
            f
        })
        .collect();
    let mut t = TypeLayout {
        name: name.into(),
        flags: flags::POD | if frozen { flags::FROZEN } else { 0 },
        size: at.next_multiple_of(align),
        align,
        stride: at.next_multiple_of(align),
        fingerprint: 0,
        fields,
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    t.fingerprint = t.compute_fingerprint();
    t
}

/// The version every view here was written against.
fn base() -> ModuleLayout {
    let inner = lay_out(
        "Inner",
        vec![("x".into(), scalar("u16", 2))],
        0,
        false,
        false,
    );
    let nested = Identity::Resilient {
        name: "Inner".into(),
        size: inner.size,
        align: inner.align,
    };
    let outer = lay_out(
        "Outer",
        vec![
            ("a".into(), scalar("u32", 4)),
            ("b".into(), scalar("f64", 8)),
            ("c".into(), nested),
            ("d".into(), bytes("u8")),
        ],
        0,
        false,
        false,
    );
    module(vec![outer, inner])
}

/// One field of a new version: mostly as the base has it (kind `right`),
/// else absent, or of another type (a near miss, or a resilient type where
/// a scalar was).
fn field(name: &'static str, right: u8) -> impl Strategy<Value = Option<(String, u8)>> {
    prop_oneof![
        6 => Just(Some((name.to_owned(), right))),
        1 => Just(None),
        2 => (0u8..8).prop_map(move |k| Some((name.to_owned(), k))),
    ]
}

fn identity_of(kind: u8, inner: &TypeLayout) -> Identity {
    match kind {
        0 => scalar("u32", 4),
        1 => scalar("i32", 4),
        2 => scalar("f64", 8),
        3 => bytes("u8"),
        4 => bytes("i8"),
        5 => scalar("u16", 2),
        _ => Identity::Resilient {
            name: "Inner".into(),
            size: inner.size,
            align: inner.align,
        },
    }
}

prop_compose! {
    fn version()(
        outer in (field("a", 0), field("b", 2), field("c", 6), field("d", 3), field("e", 1)),
        x in field("x", 5),
        pad in 0usize..9,
        gap in 0usize..3,
        shuffle in any::<u64>(),
        frozen in any::<bool>(),
        // A packed `Outer` puts its nested field out of alignment (unless
        // it happens to land aligned, and `Inner` is aligned to 1).
        packed in prop::bool::weighted(0.15),
        inner_present in prop::bool::weighted(0.9),
    ) -> ModuleLayout {
        let mut inner_fields = Vec::new();
        if let Some((_, k)) = x {
            // The inner type cannot hold itself.
            let id = identity_of(k.min(5), &TypeLayout { size: 0, align: 1, ..base().types[1].clone() });
            inner_fields.push(("x".to_owned(), id));
        }
        inner_fields.push(("pad".to_owned(), Identity::Array {
            element: Box::new(scalar("u8", 1)),
            count: pad,
            size: pad,
            align: 1,
        }));
        let inner = lay_out("Inner", inner_fields, gap, false, false);
        let (a, b, c, d, e) = outer;
        let mut fields: Vec<(String, Identity)> = [a, b, c, d, e]
            .into_iter()
            .flatten()
            .map(|(name, k)| (name, identity_of(k, &inner)))
            .collect();
        // Reorder: compatible for a resilient type.
        let n = fields.len();
        for i in 0..n {
            let j = usize::try_from((shuffle >> (i * 3)) % (n as u64)).unwrap();
            fields.swap(i, j);
        }
        let outer = lay_out("Outer", fields, gap, frozen, packed);
        let mut types = vec![outer];
        if inner_present {
            types.push(inner);
        }
        module(types)
    }
}

proptest! {
    // Under Miri: a handful of cases, and no regression file (its
    // isolation has no file system).
    #![proptest_config(if cfg!(miri) {
        ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() }
    } else {
        ProptestConfig { cases: 2_000, ..ProptestConfig::default() }
    })]

    #[test]
    fn binding_the_offline_check_and_diff_agree(new in version()) {
        let old = base();
        let (outer, inner) = (need::<OuterView>(), need::<InnerView>());
        prop_assert!(bind_view(&outer, &old).is_ok() && bind_view(&inner, &old).is_ok());
        // A module whose nested field disagrees with its nested type is not
        // valid: no library could hand it out.
        prop_assume!(layout_meta::verify(&new).is_ok());

        let run_time = Bound::<OuterView>::bind(&Handmade::new(new.types.clone()));
        let offline = bind_view(&outer, &new).is_ok() && bind_view(&inner, &new).is_ok();
        let changes = diff(&old, &new);
        let by_diff = breaking_for(&changes, &outer).is_empty()
            && breaking_for(&changes, &inner).is_empty();
        prop_assert_eq!(run_time.is_ok(), offline, "run time: {:?}", run_time.err());
        prop_assert_eq!(offline, by_diff, "changes: {:?}", changes);
    }
}

/// The generator reaches every verdict often (a property over versions that
/// all bind, or all fail, would prove nothing).
#[test]
fn the_versions_drawn_both_bind_and_break() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut valid, mut binds) = (0, 0);
    let total = if cfg!(miri) { 16 } else { 1_000 };
    for _ in 0..total {
        let new = version().new_tree(&mut runner).unwrap().current();
        if layout_meta::verify(&new).is_ok() {
            valid += 1;
            binds += usize::from(
                bind_view(&need::<OuterView>(), &new).is_ok()
                    && bind_view(&need::<InnerView>(), &new).is_ok(),
            );
        }
    }
    assert!(valid > total / 2, "{valid} of {total} valid");
    assert!(
        binds > valid / 20 && binds < valid * 19 / 20,
        "{binds} of {valid} bind"
    );
}
