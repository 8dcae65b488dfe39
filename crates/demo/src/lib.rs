//! The upgrade demo's pieces, shared by the `resilient-demo` binary and its
//! tests: building the plugins and the host once, installing a plugin
//! version by rename, running the host, and describing what changed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout_meta::{ModuleLayout, TypeLayout};
use resilient_testkit::{library_file_name, Build};

/// The plugin packages, oldest first.
pub const VERSIONS: &[&str] = &["widget-v1", "widget-v2", "widget-v3", "widget-v4"];

/// Builds the four plugin versions and the host with `build`; returns the
/// directory holding them.
pub fn build_all(build: &Build) -> PathBuf {
    let mut packages = VERSIONS.to_vec();
    packages.push("resilient-demo-host");
    build.run(&packages)
}

/// Installs `lib` as `dir/libwidgets.so` the safe way: copy beside, then
/// rename over (never overwrite a library file in place: a process that
/// has it mapped would see its code change).
///
/// # Errors
///
/// I/O errors of the copy or rename.
pub fn install(lib: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    let dest = dir.join("libwidgets.so");
    let tmp = dir.join("libwidgets.so.new");
    std::fs::copy(lib, &tmp)?;
    std::fs::rename(&tmp, &dest)?;
    Ok(dest)
}

/// What one run of the host printed.
#[derive(Debug, Default)]
pub struct HostRun {
    /// Exit code.
    pub code: Option<i32>,
    /// The `read ...` line, without its prefix.
    pub read: Option<String>,
    /// Names of checks that passed.
    pub ok: Vec<String>,
    /// Checks that failed, with detail.
    pub failed: Vec<String>,
    /// The `verdict ...` line, without its prefix.
    pub verdict: String,
    /// Everything it printed.
    pub stdout: String,
}

/// Runs `host` with `args` and parses its output.
///
/// # Errors
///
/// If the host cannot be started.
pub fn run_host(host: &Path, args: &[&Path]) -> std::io::Result<HostRun> {
    let out = Command::new(host).args(args).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut run = HostRun {
        code: out.status.code(),
        ..HostRun::default()
    };
    for line in stdout.lines() {
        if let Some(r) = line.strip_prefix("read ") {
            // Several `read` lines (the widget, then the job) read as one.
            run.read = Some(match run.read.take() {
                Some(before) => format!("{before} {r}"),
                None => r.to_owned(),
            });
        } else if let Some(c) = line.strip_prefix("check ") {
            match c.split_once(' ') {
                Some((name, "ok")) => run.ok.push(name.to_owned()),
                _ => run.failed.push(c.to_owned()),
            }
        } else if let Some(v) = line.strip_prefix("verdict ") {
            v.clone_into(&mut run.verdict);
        }
    }
    run.stdout = stdout;
    Ok(run)
}

/// A short description of how type `new` differs from `old` (the changes
/// `resilient diff` reports, by the same rules, in a table cell): fields
/// added, removed and retyped, how many moved, size and alignment.
pub fn describe_changes(old: &TypeLayout, new: &TypeLayout) -> String {
    use layout_meta::diff::{diff_type, ChangeKind as K};
    let changes = diff_type(old, new);
    let item = |c: &layout_meta::diff::Change| c.item.clone().unwrap_or_default();
    let mut parts: Vec<String> = Vec::new();
    for c in &changes {
        match c.kind {
            K::FieldAdded => parts.push(format!("+{}", item(c))),
            K::FieldRemoved => parts.push(format!("-{}", item(c))),
            K::FieldRetyped | K::FieldResized => {
                parts.push(format!("{}: {}→{}", item(c), c.old, c.new));
            }
            _ => {}
        }
    }
    let moved = changes.iter().filter(|c| c.kind == K::FieldMoved).count();
    if moved > 0 {
        parts.push(format!("{moved} moved"));
    }
    for c in &changes {
        match c.kind {
            K::SizeChanged => parts.push(format!("size {}→{}", c.old, c.new)),
            K::AlignChanged => parts.push(format!("align {}→{}", c.old, c.new)),
            _ => {}
        }
    }
    if parts.is_empty() {
        "(baseline)".into()
    } else {
        parts.join(", ")
    }
}

/// The module's function and enum-case changes, short: `+fn weight_lb`
/// for one added, `-fn f` for one removed, `fn weight_lb: return f64→f32`
/// for one whose signature changed, `+Status::Paused` for a case added
/// (the same classification as `resilient diff`).
pub fn describe_function_changes(old: &ModuleLayout, new: &ModuleLayout) -> String {
    use layout_meta::diff::{diff, ChangeKind as K};
    // `impl Describe for Widget: fn weight_key` reads `Widget.weight_key`.
    let short = |ty: &str| match ty.strip_prefix("impl ").and_then(|r| r.split_once(": fn ")) {
        Some((imp, method)) => match imp.split_once(" for ") {
            Some((_, ty)) => format!("{ty}.{method}"),
            None => ty.to_owned(),
        },
        None => ty.to_owned(),
    };
    let mut parts = Vec::new();
    for c in diff(old, new) {
        match c.kind {
            K::FunctionAdded => parts.push(format!("+{}", short(&c.ty))),
            K::FunctionRemoved => parts.push(format!("-{}", short(&c.ty))),
            K::ImplAdded => parts.push(format!("+{}", c.ty)),
            K::CaseAdded => {
                parts.push(format!("+{}::{}", c.ty, c.item.clone().unwrap_or_default()))
            }
            K::CaseRemoved => {
                parts.push(format!("-{}::{}", c.ty, c.item.clone().unwrap_or_default()))
            }
            K::ImplRemoved => parts.push(format!("-{}", c.ty)),
            K::FunctionChanged => {
                let what = c.item.clone().unwrap_or_else(|| "signature".into());
                parts.push(format!("{}: {what} changed", short(&c.ty)));
            }
            _ => {}
        }
    }
    parts.join(", ")
}

/// The `Widget` layout of a module.
pub fn widget(module: &ModuleLayout) -> Option<&TypeLayout> {
    module.get("Widget")
}

/// A stable 64-bit hash of a file's bytes (FNV-1a), to prove the host
/// binary is never rebuilt or changed.
///
/// # Errors
///
/// If the file cannot be read.
pub fn file_hash(path: &Path) -> std::io::Result<u64> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    }))
}

/// Renders rows as an aligned table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i].saturating_sub(c.chars().count());
            let sep = if i + 1 == cells.len() { "\n" } else { "  " };
            let _ = write!(
                out,
                "{c}{}{sep}",
                if sep == "\n" {
                    String::new()
                } else {
                    " ".repeat(pad)
                }
            );
        }
    };
    line(
        &mut out,
        &header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
    );
    line(
        &mut out,
        &width.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    );
    for r in rows {
        line(&mut out, r);
    }
    out
}

/// The path of a built plugin in `dir`.
pub fn plugin_in(dir: &Path, package: &str) -> PathBuf {
    dir.join(library_file_name(package))
}
