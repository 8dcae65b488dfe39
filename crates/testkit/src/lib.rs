//! Test support for the workspace: builds the fixture plugins (real cdylibs
//! under `tests/plugins/`) once per test process and hands out their paths.
//!
//! The plugins are built by a nested `cargo build` into their own target
//! directory (`target/fixtures/<profile>`), so the nested build never waits on
//! the lock of the outer one, and a second test binary finds them fresh.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Every fixture plugin package, in the order the tests think of them.
pub const PLUGINS: &[&str] = &[
    "widget-v1",
    "widget-v2",
    "widget-v3",
    "widget-v4",
    "corrupt",
    "no-manifest",
    "prefixed",
];

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Which cargo profile to build fixtures with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `dev`: fast to build; what the tests use.
    Debug,
    /// `release`: what benchmarks and the demo use.
    Release,
}

/// Where the plugins are built, with the given extra `RUSTFLAGS` and
/// toolchain (`None`: the one running now).
#[derive(Clone, Debug)]
pub struct Build {
    /// Profile.
    pub profile: Profile,
    /// `rustup` toolchain to build with (`"nightly"`), or the current one.
    pub toolchain: Option<String>,
    /// Extra `RUSTFLAGS`.
    pub rustflags: String,
    /// Sub-directory of `target/fixtures` to build into.
    pub dir: String,
    /// Build for this explicit target triple (`--target`): `RUSTFLAGS` then
    /// apply to the target's crates only, not to proc macros and build
    /// scripts, which are built once and shared between builds that differ
    /// only in flags (layout seeds).
    pub target: Option<String>,
}

impl Build {
    /// The plain build with the current toolchain.
    pub fn new(profile: Profile) -> Self {
        Build {
            profile,
            toolchain: None,
            rustflags: String::new(),
            dir: match profile {
                Profile::Debug => "debug".into(),
                Profile::Release => "release".into(),
            },
            target: None,
        }
    }

    /// Builds `packages` (all of [`PLUGINS`] if empty) and returns the
    /// directory that holds the `lib*.so` files (and binaries).
    ///
    /// # Panics
    ///
    /// If cargo cannot be run or the build fails: fixtures are a test's
    /// precondition, and the panic message carries cargo's output.
    pub fn run(&self, packages: &[&str]) -> PathBuf {
        let root = workspace_root();
        let target = root.join("target").join("fixtures").join(&self.dir);
        let mut cmd = match &self.toolchain {
            Some(t) => {
                let mut c = Command::new("rustup");
                c.args(["run", t, "cargo"]);
                c.env_remove("RUSTC").env_remove("CARGO");
                c
            }
            None => Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())),
        };
        cmd.current_dir(&root)
            .arg("build")
            .arg("--quiet")
            .arg("--target-dir")
            .arg(&target);
        if self.profile == Profile::Release {
            cmd.arg("--release");
        }
        if let Some(t) = &self.target {
            cmd.args(["--target", t]);
        }
        let packages = if packages.is_empty() {
            PLUGINS
        } else {
            packages
        };
        for p in packages {
            cmd.args(["-p", p]);
        }
        // Do not inherit the outer build's flags (coverage, sanitizers...):
        // fixtures are built exactly as a plugin vendor would build them.
        cmd.env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR");
        if !self.rustflags.is_empty() {
            cmd.env("RUSTFLAGS", &self.rustflags);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo to build fixtures: {e}"));
        assert!(
            out.status.success(),
            "building fixture plugins {packages:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let target = match &self.target {
            Some(t) => target.join(t),
            None => target,
        };
        target.join(match self.profile {
            Profile::Debug => "debug",
            Profile::Release => "release",
        })
    }
}

/// The file name of a plugin's shared library (`libwidget_v1.so`).
pub fn library_file_name(package: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// The path of `package`'s library, built (with every other plugin, in the
/// debug profile) on the first call of this process.
pub fn plugin(package: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| Build::new(Profile::Debug).run(&[]))
        .join(library_file_name(package))
}

/// A fresh, empty scratch directory under `target/tmp` for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = workspace_root()
        .join("target")
        .join("tmp")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create scratch dir {}: {e}", dir.display()));
    dir
}

/// A FIFO at `path` (anything there first removed), for tests that a path
/// naming one is refused without being opened.
pub fn make_fifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("cannot run mkfifo: {e}"));
    assert!(made.success(), "mkfifo {}", path.display());
}

/// `f()`, run on a thread, or a panic naming `what` if it has not returned
/// within 20 s. Before that panic, a thread stuck opening `fifo` for
/// reading is released (a non-blocking open for writing, which fails at
/// once if nothing waits), so that a regression fails instead of hanging.
pub fn returns_soon<T: Send + 'static>(
    what: &str,
    fifo: &Path,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    use std::os::unix::fs::OpenOptionsExt as _;
    /// `O_NONBLOCK` on Linux.
    const O_NONBLOCK: i32 = 0o4000;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(out) => out,
        Err(_) => {
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(O_NONBLOCK)
                .open(fifo);
            panic!("{what} did not return within 20 s");
        }
    }
}

/// The host's target triple (for [`Build::target`]).
pub fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".into())
}

/// The C API's static library (`libresilient.a` of `crates/capi`), built on
/// the first call of this process (debug profile, in its own target
/// directory `target/fixtures/capi`, so the nested build never waits on the
/// outer one's lock). Link it with [`CAPI_NATIVE_LIBS`].
pub fn capi_staticlib() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let mut build = Build::new(Profile::Debug);
    build.dir = "capi".into();
    DIR.get_or_init(|| build.run(&["resilient-capi"]))
        .join("libresilient.a")
}

/// The system libraries a program linking [`capi_staticlib`] also needs
/// (what `rustc --print native-static-libs` reports on Linux).
pub const CAPI_NATIVE_LIBS: &[&str] = &["-ldl", "-lpthread", "-lm", "-lrt", "-lutil"];
