//! The `kaca` command line: build, check, serve, verify and new.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// A build allocates millions of short-lived strings (markdown events, page
// views, HTML) from both cores at once; mimalloc's per-thread heaps serve
// them without the contention and heap trimming of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use kaca::{BuildOptions, BuildOutcome};

#[derive(Parser)]
#[command(
    name = "kaca",
    version,
    about = "Builds public transparency portals from markdown and open data"
)]
struct Cli {
    /// The portal's folder, where site.toml is.
    #[arg(long, short, global = true, default_value = ".")]
    root: PathBuf,
    /// Print how long each stage took.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (public/ unless --output).
    Build {
        /// Where to write the site; replaced as a whole on success.
        #[arg(long, short, default_value = "public")]
        output: PathBuf,
        /// Address the site will be published at, e.g. https://example.org/portal/
        #[arg(long)]
        base_url: Option<String>,
        /// Include pages and sections marked draft.
        #[arg(long)]
        drafts: bool,
    },
    /// Do everything a build does, write nothing; fail on any error.
    Check {
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        drafts: bool,
    },
    /// Preview the site on this computer, rebuilding on every change.
    Serve {
        /// Address to listen on; only this computer by default.
        #[arg(long, short, default_value = "127.0.0.1")]
        interface: String,
        /// Port to listen on; the next free one is used if it is taken.
        #[arg(long, short, default_value_t = 1111)]
        port: u16,
        #[arg(long)]
        drafts: bool,
    },
    /// Check a built site against its build.json: every file's SHA-256,
    /// and the project's inputs (content, data, templates) too.
    Verify {
        /// The built site (public/ unless given), e.g. a downloaded copy.
        #[arg(default_value = "public")]
        site: PathBuf,
        /// Check only the site's files, not the project's inputs.
        #[arg(long)]
        outputs_only: bool,
    },
    /// Create a new, working portal in DIR.
    New {
        /// The folder to create (must not exist or be empty).
        dir: PathBuf,
    },
    /// `serve`'s background search indexer: indexes the built site in SITE
    /// into the new folder INTO.
    #[command(hide = true)]
    IndexSearch { site: PathBuf, into: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::IndexSearch { site, into } => {
            match kaca::serve::index_search_command(&site, &into) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("The search index could not be built: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Build {
            output,
            base_url,
            drafts,
        } => {
            let source_date = match source_date_epoch() {
                Ok(date) => date,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::FAILURE;
                }
            };
            let options = BuildOptions {
                output,
                base_url,
                drafts,
                source_date,
                ..BuildOptions::new(&cli.root)
            };
            report(&kaca::build(&options), &options, cli.verbose)
        }
        Command::Check { base_url, drafts } => {
            let options = BuildOptions {
                base_url,
                drafts,
                write: false,
                ..BuildOptions::new(&cli.root)
            };
            report(&kaca::build(&options), &options, cli.verbose)
        }
        Command::Serve {
            interface,
            port,
            drafts,
        } => match kaca::serve::serve(&cli.root, &interface, port, drafts, cli.verbose) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Verify { site, outputs_only } => {
            let site = if site.is_absolute() {
                site
            } else {
                cli.root.join(site)
            };
            // The inputs are compared only inside a project; a journalist
            // with a downloaded copy checks the files alone.
            let is_project = cli.root.join(kaca::config::CONFIG_FILE).is_file();
            if !outputs_only && !is_project {
                eprintln!(
                    "note: no site.toml in {}: checking the site's files only, not the inputs",
                    cli.root.display()
                );
            }
            let root = (!outputs_only && is_project).then_some(cli.root.as_path());
            match kaca::output::manifest::verify(&site, root) {
                Ok(found) => print_verification(&found, &site),
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::New { dir } => match kaca::scaffold::create(&dir) {
            Ok(()) => {
                println!("Created a new portal in {}.", dir.display());
                println!("Next: cd {} && kaca serve", dir.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Prints problems and a one-line result; the exit code says whether the
/// run succeeded.
fn report(outcome: &BuildOutcome, options: &BuildOptions, verbose: bool) -> ExitCode {
    eprint!("{}", outcome.diagnostics.report());
    let errors = outcome.diagnostics.error_count();
    let warnings = outcome.diagnostics.warning_count();
    match &outcome.summary {
        Some(summary) if errors == 0 => {
            println!("Privacy report:");
            for line in &summary.privacy {
                println!("  - {line}");
            }
            if verbose {
                for (stage, time) in &summary.timings {
                    eprintln!("  {stage:<8} {:>8.1} ms", time.as_secs_f64() * 1000.0);
                }
            }
            let pages = summary
                .pages
                .iter()
                .map(|(lang, count)| format!("{count} {lang}"))
                .collect::<Vec<_>>()
                .join(", ");
            let total: std::time::Duration = summary.timings.iter().map(|(_, t)| *t).sum();
            let warnings = match warnings {
                0 => String::new(),
                1 => ", 1 warning".to_string(),
                n => format!(", {n} warnings"),
            };
            match &summary.output {
                Some(output) => println!(
                    "Built {} files (pages: {pages}) into {} in {:.2} s{warnings}.",
                    summary.files,
                    kaca::display_path(&options.root, output),
                    total.as_secs_f64()
                ),
                None => println!(
                    "Checked: no errors ({} files, pages: {pages}) in {:.2} s{warnings}.",
                    summary.files,
                    total.as_secs_f64()
                ),
            }
            ExitCode::SUCCESS
        }
        _ => {
            let what = if options.write {
                "Build failed"
            } else {
                "Check failed"
            };
            let kept = if options.write {
                "; the previous site was left as it was"
            } else {
                ""
            };
            let plural = if errors == 1 { "" } else { "s" };
            eprintln!("{what}: {errors} error{plural}{kept}.");
            ExitCode::FAILURE
        }
    }
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): whole seconds since
/// 1970-01-01 UTC, or unset.
fn source_date_epoch() -> Result<Option<jiff::Timestamp>, String> {
    let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    let seconds: i64 = text.trim().parse().map_err(|_| {
        format!(
            "SOURCE_DATE_EPOCH=`{text}` is not a whole number of seconds since 1970-01-01 UTC; \
             set it to e.g. `git log -1 --format=%ct`, or unset it"
        )
    })?;
    jiff::Timestamp::from_second(seconds)
        .map(Some)
        .map_err(|e| format!("SOURCE_DATE_EPOCH=`{text}` is out of range: {e}"))
}

fn print_verification(
    found: &kaca::output::manifest::Verification,
    site: &std::path::Path,
) -> ExitCode {
    let groups = [
        ("differs from build.json", &found.changed),
        ("listed in build.json but missing", &found.missing),
        ("not listed in build.json", &found.unlisted),
        (
            "input differs from the one the site was built from",
            &found.inputs_changed,
        ),
        (
            "input the site was built from, missing here",
            &found.inputs_missing,
        ),
        ("input the site was not built from", &found.inputs_unlisted),
    ];
    let mut problems = 0;
    for (what, names) in groups {
        for name in names {
            problems += 1;
            eprintln!("{problems}. {name}: {what}");
        }
    }
    let inputs = if found.checked_inputs > 0 {
        format!(" and {} input files", found.checked_inputs)
    } else {
        String::new()
    };
    if found.is_clean() {
        println!(
            "Verified {} files of {}{inputs} against build.json: all match.",
            found.checked_outputs,
            site.display()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "Verification failed: {problems} difference(s) between {}{inputs} and build.json.",
            site.display()
        );
        ExitCode::FAILURE
    }
}
