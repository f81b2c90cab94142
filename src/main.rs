//! The `kaca` command line: build, check, serve and new.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    /// Create a new, working portal in DIR.
    New {
        /// The folder to create (must not exist or be empty).
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            output,
            base_url,
            drafts,
        } => {
            let options = BuildOptions {
                output,
                base_url,
                drafts,
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
        } => match kaca::serve::serve(&cli.root, &interface, port, drafts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
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
