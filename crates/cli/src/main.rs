//! `resilient`: inspect, diff, check and generate views from library
//! binaries alone, without loading or running them.
//!
//! Exit statuses: `resilient_cli::status` (and `--help`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use resilient_cli::{
    check, check_json, check_status, check_text, diff, diff_json, diff_status, diff_text, gen_cpp,
    gen_rust, inspect_json, inspect_table, nothing_checked, status, Error,
};
use resilient_offline::Image;

/// The exit statuses, as `--help` ends.
const STATUSES: &str = "\
Exit status:
  0   success; diff: no change; check: every view, enum view and function binds
  1   error (not a library, truncated, no or invalid metadata)
  2   usage
  3   check: the consumer records no view or function of the library's module
      (nothing was checked: C hosts, run-time views and interface! record none)
  4   diff: compatible changes only
  8   diff: a breaking change; check: a view, enum view or function does not bind
  16  diff: a breaking change although the new version promises compatibility
      (semver: 1.1.0 -> 1.2.0, 0.3.1 -> 0.3.2; a new major version may break)";

#[derive(Parser)]
#[command(
    name = "resilient",
    version,
    about = "Inspect, diff and check resilient libraries without loading them",
    after_help = STATUSES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a library's modules, types and fields.
    Inspect {
        /// The library (ELF shared object).
        lib: PathBuf,
        /// Print JSON (schema resilient-inspect/1).
        #[arg(long)]
        json: bool,
    },
    /// Classify every change between two versions (exit 0 none, 4 compatible, 8 breaking,
    /// 16 breaking although the new version promises compatibility).
    #[command(after_help = STATUSES)]
    Diff {
        /// The old version.
        old: PathBuf,
        /// The new version.
        new: PathBuf,
        /// Print JSON (schema resilient-diff/1).
        #[arg(long)]
        json: bool,
    },
    /// Does a consumer binary's recorded need bind against this library? (exit 0 yes, 8 no,
    /// 3 the consumer records no view or function of the library's module)
    #[command(after_help = STATUSES)]
    Check {
        /// The library.
        lib: PathBuf,
        /// The consumer binary (its `view!`, `enum_view!` and `api!` declarations, or
        /// a C++ host's `RSL_VIEW`, `RSL_ENUM_VIEW` and `RSL_FUNCTION`, are recorded in
        /// the section `resilient_views`).
        #[arg(long)]
        consumer: PathBuf,
        /// Print JSON (schema resilient-check/1).
        #[arg(long)]
        json: bool,
    },
    /// Print view declarations for a consumer.
    Gen {
        /// Which language.
        lang: Lang,
        /// The library.
        lib: PathBuf,
        /// Types to declare (all if none; `gen rust` also declares the types they nest).
        types: Vec<String>,
        /// C++ only: declare field TYPE.FIELD optional (bound if the library has it,
        /// absent otherwise); repeatable. Other fields are required.
        #[arg(long = "optional", value_name = "TYPE.FIELD")]
        optional: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    Rust,
    Cpp,
}

/// Writes to stdout. A closed pipe (`resilient inspect x | head`) ends the
/// output quietly and keeps the command's status; any other write error
/// (a full disk) is an error, status 1.
fn emit(text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Inspect { lib, json } => {
            let module = Image::read_library(&lib)?.module()?;
            if json {
                emit(&format!("{:#}\n", inspect_json(&module)))?;
            } else {
                emit(&inspect_table(&module))?;
            }
            Ok(status::OK)
        }
        Command::Diff { old, new, json } => {
            let (o, n) = (
                Image::read_library(&old)?.module()?,
                Image::read_library(&new)?.module()?,
            );
            let changes = diff(&o, &n);
            if json {
                emit(&format!("{:#}\n", diff_json(&o, &n, &changes)))?;
            } else {
                emit(&diff_text(&o, &n, &changes))?;
            }
            Ok(diff_status(&o, &n, &changes))
        }
        Command::Check {
            lib,
            consumer,
            json,
        } => {
            let module = Image::read_library(&lib)?.module()?;
            let binary = Image::read_binary(&consumer)?;
            let report = check(
                &module,
                &binary.views()?,
                &binary.enum_needs()?,
                &binary.fn_needs()?,
            );
            if json {
                emit(&format!("{:#}\n", check_json(&report, &lib, &consumer)))?;
            } else {
                emit(&check_text(&report))?;
            }
            if let Some(why) = nothing_checked(&report, &consumer) {
                eprintln!("resilient: {why}");
            }
            Ok(check_status(&report))
        }
        Command::Gen {
            lang,
            lib,
            types,
            optional,
        } => {
            if matches!(lang, Lang::Rust) && !optional.is_empty() {
                Cli::command()
                    .error(
                        ErrorKind::ArgumentConflict,
                        "--optional is for `gen cpp`; in Rust, write `Option<Field<T>>`",
                    )
                    .exit();
            }
            let module = Image::read_library(&lib)?.module()?;
            emit(&match lang {
                Lang::Rust => gen_rust(&module, &types)?,
                Lang::Cpp => gen_cpp(&module, &types, &optional)?,
            })?;
            Ok(status::OK)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("resilient: {e}");
            ExitCode::from(status::ERROR)
        }
    }
}
