//! The registry chooses from the files (`resilient_loader::verdict_from_file`,
//! nothing loaded): for every fixture, every library of `agreement.rs`
//! (made to sit on each rule of where metadata may live and of C
//! symbols), every hostile library of `hostile.rs` and the hostile
//! function libraries, and every view of their modules, the verdict from
//! the file is the verdict of `Library::open` and `Library::bind`, word
//! for word (addresses aside: the file's are link-time addresses).

use std::path::{Path, PathBuf};

use resilient_loader::{verdict_from_file, Library};
use resilient_types::{view, Bindable, Field, Nested};

view! { struct WidgetView = "widgets"::"Widget" { pub id: Field<u64>, pub weight: Field<f32> } }
view! { struct WidgetV2View = "widgets"::"Widget" { pub id: Field<u64>, pub scale: Option<Field<f64>> } }
view! { struct SpotView = "gadgets"::"Spot" { pub x: Field<i32>, pub y: Field<i32> } }
view! { struct GadgetView = "gadgets"::"Gadget" { pub id: Field<u64>, pub spot: Nested<SpotView> } }
view! { struct AgreementView = "agreement"::"T" { pub x: Field<u64> } }
view! { struct SymbolsT = "symbols"::"T" { pub x: Field<u64> } }
view! { struct SymbolsU = "symbols"::"U" { pub y: Field<u64> } }
view! { struct HostileView = "hostile"::"T" { pub x: Field<u64> } }

/// Both verdicts for `V`: (from the file, after loading).
fn verdicts<V: Bindable>(path: &Path) -> (Result<String, String>, Result<String, String>) {
    let words = |e: resilient_loader::Error| crate::hostile::without_addresses(&e.to_string());
    let file = verdict_from_file::<V>(path).map_err(words);
    let loaded = Library::open(path)
        .and_then(|lib| {
            lib.bind::<V>()?;
            Ok(lib.version_str().to_owned())
        })
        .map_err(words);
    (file, loaded)
}

#[test]
fn the_verdict_from_the_file_is_the_loaders() {
    let dir = resilient_testkit::scratch_dir("registry-verdicts");
    let mut libs: Vec<PathBuf> = crate::agreement::libraries()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    libs.extend(
        crate::hostile::build_function_cases(&dir)
            .into_iter()
            .map(|(_, p)| p),
    );
    let mut disagreements = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for path in &libs {
        let name = path.display();
        for (view, (file, loaded)) in [
            ("widgets", verdicts::<WidgetView>(path)),
            ("widgets 1.1", verdicts::<WidgetV2View>(path)),
            ("gadgets", verdicts::<GadgetView>(path)),
            ("agreement", verdicts::<AgreementView>(path)),
            ("symbols T", verdicts::<SymbolsT>(path)),
            ("symbols U", verdicts::<SymbolsU>(path)),
            ("hostile", verdicts::<HostileView>(path)),
        ] {
            match (&file, &loaded) {
                (Ok(_), Ok(_)) => accepted += 1,
                (Err(_), Err(_)) => refused += 1,
                _ => {}
            }
            // What only loading can tell: a manifest a dependency defines.
            let foreign = matches!((&file, &loaded), (Err(f), Err(l))
                if f.contains("exports no `resilient_manifest`")
                    && l.contains("is defined by another object"));
            if file != loaded && !foreign {
                disagreements.push(format!(
                    "{name} ({view}):\n  file   {file:?}\n  loaded {loaded:?}"
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} libraries; disagreements:\n{}",
        libs.len(),
        disagreements.join("\n")
    );
    assert!(
        accepted >= 5 && refused >= 20,
        "{accepted} accepted, {refused} refused"
    );
}
