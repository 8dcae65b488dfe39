//! `cargo run --release -p resilient-demo`: builds the widgets plugin in four
//! versions and a host against version 1.0, then swaps each version in under
//! the same host binary and prints what happened.

use std::process::ExitCode;

use resilient_demo::{
    build_all, describe_changes, describe_function_changes, file_hash, install, plugin_in,
    run_host, table, widget, VERSIONS,
};
use resilient_loader::Library;
use resilient_testkit::{workspace_root, Build, Profile};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("resilient-demo: {e}");
            ExitCode::from(1)
        }
    }
}

/// The host's `read` line without the fields every version shares
/// unchanged in meaning (tags, origin and active are checked all the same).
fn short(read: &str) -> String {
    read.split(' ')
        .filter(|kv| {
            ["id=", "weight=", "flags=", "lb=", "scale=", "status="]
                .iter()
                .any(|k| kv.starts_with(k))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    println!("Building the widgets plugin (1.0, 1.1, 1.2, 2.0) and a host that knows only 1.0...");
    let dir = build_all(&Build::new(Profile::Release));
    let host = dir.join("widget-host");
    let hash = file_hash(&host)?;
    let work = workspace_root().join("target").join("demo");
    std::fs::create_dir_all(&work)?;

    let v1 = Library::open(plugin_in(&dir, VERSIONS[0]))?;
    let base = widget(v1.module()?)
        .ok_or("widget-v1 exports no Widget")?
        .clone();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut as_expected = true;
    for (i, package) in VERSIONS.iter().enumerate() {
        let lib_path = plugin_in(&dir, package);
        let lib = Library::open(&lib_path)?;
        let module = lib.module()?;
        let version = module.version.clone();
        let mut changed = widget(module).map_or("no Widget".into(), |w| describe_changes(&base, w));
        let functions = describe_function_changes(v1.module()?, module);
        if !functions.is_empty() {
            if changed == "(baseline)" {
                changed = functions;
            } else {
                changed = format!("{changed}; {functions}");
            }
        }
        drop(lib);
        let installed = install(&lib_path, &work)?;
        let run = run_host(&host, &[&installed])?;
        let read = match &run.read {
            Some(r) => format!(
                "{}; {}/{} checks ok",
                short(r),
                run.ok.len(),
                run.ok.len() + run.failed.len()
            ),
            None => "nothing: refused at load".into(),
        };
        let compatible = run.code == Some(0);
        let verdict = if compatible {
            "compatible".to_owned()
        } else {
            notes.push(format!("{version}: {}", run.verdict));
            "refused (below)".to_owned()
        };
        // 1.0 to 1.2 must work; 2.0 must be refused, not misread.
        as_expected &= compatible == (i < 3) && run.failed.is_empty();
        rows.push(vec![version, changed, read, verdict]);
    }
    println!();
    print!(
        "{}",
        table(
            &[
                "version",
                "what changed (vs 1.0.0)",
                "what the host read",
                "verdict"
            ],
            &rows
        )
    );
    for n in &notes {
        println!("{n}");
    }
    let unchanged = file_hash(&host)? == hash;
    println!();
    println!(
        "host binary {} ({}): {}",
        host.display(),
        if unchanged {
            "never rebuilt, hash unchanged"
        } else {
            "CHANGED"
        },
        format_args!("{hash:016x}")
    );
    Ok(as_expected && unchanged)
}
