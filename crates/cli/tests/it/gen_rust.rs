//! `gen rust` output compiles, and binds and calls a real library: the
//! declarations below are the tool's own output for widgets 1.2
//! (`generated/widgets_1_2.rs`), held to what the tool prints today.

use std::path::Path;

use resilient_loader::Library;
use resilient_types::Value;

use crate::{plugin, run};

#[allow(
    dead_code,
    unreachable_pub,
    reason = "generated declarations: a consumer keeps what it uses"
)]
mod widgets_1_2 {
    include!("generated/widgets_1_2.rs");
}
use widgets_1_2::{Api, DescribeIface, LevelCase, LevelView, PointView, WidgetView};

const GENERATED: &str = include_str!("generated/widgets_1_2.rs");

/// The checked-in file is what `gen rust` prints today. Fields are listed
/// in the library's layout order, which the compiler chooses (and a
/// randomized layout changes): lines are compared as a multiset. Set
/// `RESILIENT_BLESS=1` to rewrite the file.
#[test]
fn the_checked_in_declarations_are_what_gen_rust_prints() {
    let (code, out, err) = run(&[Path::new("gen"), Path::new("rust"), &plugin("widget-v3")]);
    assert_eq!(code, 0, "{err}");
    if std::env::var_os("RESILIENT_BLESS").is_some() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/generated/widgets_1_2.rs");
        std::fs::write(file, &out).unwrap();
        return;
    }
    let sorted = |s: &str| {
        let mut lines: Vec<String> = s.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert_eq!(
        sorted(&out),
        sorted(GENERATED),
        "`gen rust` changed: run with RESILIENT_BLESS=1 and review the diff\n{out}"
    );
}

/// What `gen rust` declares binds to the library it came from, frozen
/// views included, and its functions and interface methods are called.
#[test]
fn the_generated_declarations_bind_and_call_the_library() {
    let lib = Library::open(plugin("widget-v3")).unwrap();
    let w = lib.bind::<WidgetView>().unwrap();
    let p = lib.bind::<PointView>().unwrap();
    let api = lib.bind_api::<Api>().unwrap();

    let made: Value<WidgetView> = api.make_widget.call(7, "generated").unwrap();
    assert_eq!(made.as_ref().get(w.id), 7);
    assert_eq!(
        api.label_len.call(made.as_ref()).unwrap(),
        "generated".len()
    );
    let point = api.parse_point.call("5,6").unwrap();
    assert_eq!((point.as_ref().get(p.x), point.as_ref().get(p.y)), (5, 6));
    assert_eq!(
        api.weight_lb.call(made.as_ref()).unwrap(),
        f64::from(made.as_ref().get(w.weight)) * 2.204_622_6
    );

    // The frozen enum's view: matched exhaustively (no `Unknown` arm).
    let levels = lib.bind::<LevelView>().unwrap();
    let boost = |v: &Value<LevelView>| match levels.read(v.as_ref()) {
        LevelCase::Low(_) => 0,
        LevelCase::Normal(_) => 1,
        LevelCase::High(h) => h.get(h.boost),
    };
    assert_eq!(boost(&Value::new(&levels).unwrap()), 0);
    assert_eq!(boost(&levels.High.make(&levels, 300).unwrap()), 300);

    let mut keys = Vec::new();
    for imp in lib.implementations::<DescribeIface>().unwrap() {
        let mut obj = imp.create().unwrap();
        let (m, this) = obj.split();
        m.set_key.call(this, 0x0000_0002_0000_0003).unwrap();
        let key = obj.methods().key.call(obj.this()).unwrap();
        keys.push((imp.type_name().to_owned(), key));
    }
    keys.sort();
    assert_eq!(
        keys,
        [
            ("Point".to_owned(), 0x0000_0002_0000_0003),
            ("Widget".to_owned(), 0x0000_0002_0000_0003)
        ]
    );
}

/// The generated view of `Profile` (a `String`, a `Vec<u32>`, an
/// `Option<String>` and `score`, computed in 1.1) binds every version and
/// reads through the library's accessors; and `check`, reading the views
/// this test binary records (the generated ones among them), gives the
/// same verdicts offline, by the same rule.
#[test]
fn generated_accessor_views_bind_and_check_offline() {
    use widgets_1_2::ProfileView;
    for v in 1..=4 {
        let lib = Library::open(plugin(&format!("widget-v{v}"))).unwrap();
        let bound = lib.bind::<ProfileView>().unwrap();
        let p = *bound.view();
        let mut value = Value::new(&bound).unwrap();
        let mut m = value.as_mut();
        m.set_text(p.name, "grace");
        m.set_elems(p.tags, &[4, 5]);
        m.set(p.score, 30);
        let r = value.as_ref();
        assert_eq!(
            (r.text(p.name).unwrap(), r.elems(p.tags), r.get(p.score)),
            ("grace", &[4u32, 5][..], 30)
        );
        assert_eq!(p.score.is_computed(), v == 2);
        let me = std::env::current_exe().unwrap();
        let (_, out, err) = run(&[
            Path::new("check"),
            &plugin(&format!("widget-v{v}")),
            Path::new("--consumer"),
            &me,
        ]);
        assert!(out.contains("view of `Profile`: binds"), "{out}{err}");
    }
}
