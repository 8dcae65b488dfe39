//! `resilient`: inspect, diff, check and generate views from library
//! binaries alone, without loading or running them.
//!
//! Exit status: 0 success (for `diff`: no change), 4 compatible changes,
//! 8 breaking change (or, for `check`, a consumer that does not bind),
//! 1 error, 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use resilient_cli::{
    check_consumer, check_consumer_functions, diff, diff_json, diff_status, diff_text, gen_cpp,
    gen_rust, inspect_json, inspect_table, Error,
};
use resilient_offline::Image;

#[derive(Parser)]
#[command(
    name = "resilient",
    version,
    about = "Inspect, diff and check resilient libraries without loading them"
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
    /// Classify every change between two versions (exit 0 none, 4 compatible, 8 breaking).
    Diff {
        /// The old version.
        old: PathBuf,
        /// The new version.
        new: PathBuf,
        /// Print JSON (schema resilient-diff/1).
        #[arg(long)]
        json: bool,
    },
    /// Does a consumer binary's recorded need bind against this library? (exit 0 yes, 8 no)
    Check {
        /// The library.
        lib: PathBuf,
        /// The consumer binary (its views are recorded in the section `resilient_views`).
        #[arg(long)]
        consumer: PathBuf,
    },
    /// Print view declarations for a consumer.
    Gen {
        /// Which language.
        lang: Lang,
        /// The library.
        lib: PathBuf,
        /// Types to declare (all if none).
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
            Ok(0)
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
            Ok(diff_status(&changes))
        }
        Command::Check { lib, consumer } => {
            let module = Image::read_library(&lib)?.module()?;
            let binary = Image::read_binary(&consumer)?;
            let needs = binary.views()?;
            let fn_needs = binary.fn_needs()?;
            let mut results = check_consumer(&module, &needs);
            results.extend(check_consumer_functions(&module, &fn_needs));
            if results.is_empty() {
                emit(&format!(
                    "{} records no view of module `{}`\n",
                    consumer.display(),
                    module.name
                ))?;
                return Ok(0);
            }
            let mut bad = false;
            let mut text = String::new();
            for (what, problems) in &results {
                if problems.is_empty() {
                    text += &format!("{what}: binds\n");
                } else {
                    bad = true;
                    text += &format!("{what}: refused: {}\n", problems.join("; "));
                }
            }
            emit(&text)?;
            Ok(if bad { 8 } else { 0 })
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
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("resilient: {e}");
            ExitCode::from(1)
        }
    }
}
