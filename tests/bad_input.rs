//! Every folder under `tests/sites/bad/` is a small site with something
//! wrong in it. `kaca check` must fail on it, and print exactly the report
//! in the folder's `expected.txt` (the numbered list a user reads).
//!
//! A case folder may also hold `symlinks.txt`: one `link target` pair per
//! line, made in the temporary copy before the check (symbolic links are
//! not portable enough to commit).
//!
//! A case folder may also hold `case.toml`, for what a folder of files
//! cannot say: `base = "good/data"` starts from that good fixture, so the
//! case holds only the files it breaks; `output = "content/situs"` runs a build that writes into
//! that folder (relative to the site; `"/"` is the file system's root)
//! instead of a check, and each `[[grow]]` table appends `text` repeated
//! `times` times, then `then`, to `file` in the copy (huge lines and fields
//! are made, not committed).
//!
//! To update the expected reports on purpose, run
//! `KACA_BLESS=1 cargo test --test bad_input`, then read every changed
//! `expected.txt`: a wrong message is a bug, not a new expectation.
//! `KACA_CASE=word` runs (or blesses) only the cases whose name contains
//! `word`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use kaca::BuildOptions;

const EXPECTED: &str = "expected.txt";
const SYMLINKS: &str = "symlinks.txt";
const CASE: &str = "case.toml";

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CaseOptions {
    /// A good fixture (`good/data`) the case starts from; the case's own
    /// files replace or add to it, so a case holds only what is broken.
    base: Option<String>,
    output: Option<String>,
    #[serde(default)]
    grow: Vec<Grow>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Grow {
    file: String,
    text: String,
    times: usize,
    #[serde(default)]
    then: String,
}

fn case_options(case: &Path) -> Result<CaseOptions, String> {
    match std::fs::read_to_string(case.join(CASE)) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{CASE}: {e}")),
        Err(_) => Ok(CaseOptions::default()),
    }
}

/// Longer than any check of a tiny site takes; a case that runs longer
/// hangs (a symbolic link loop followed forever, say).
const TIME_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn every_bad_site_fails_with_its_expected_report() {
    let bless = std::env::var("KACA_BLESS").is_ok_and(|v| v == "1");
    let cases = common::case_dirs("bad");
    assert!(cases.len() >= 30, "the bad-input fixtures are missing");
    let only = std::env::var("KACA_CASE").unwrap_or_default();
    let cases: Vec<_> = cases
        .into_iter()
        .filter(|case| case.file_name().unwrap().to_string_lossy().contains(&only))
        .collect();
    assert!(!cases.is_empty(), "no case name contains `{only}`");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(problem) = run_case(case, bless) {
            let name = case.file_name().unwrap().to_string_lossy();
            failures.push(format!("== case `{name}`: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// A case's site made in a temporary folder (its base fixture, its own
/// files, links and grown files): the folder, the site in it, and the
/// case's options. None when the platform cannot make the case's links.
fn prepare_case(case: &Path) -> Result<Option<(tempfile::TempDir, PathBuf, CaseOptions)>, String> {
    let copy = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = copy.path().join("site");
    let extra = case_options(case)?;
    if let Some(base) = &extra.base {
        common::copy_dir(&common::fixture(base), &root, &[]);
    }
    common::copy_dir(case, &root, &[EXPECTED, SYMLINKS, CASE]);
    if !make_symlinks(case, &root)? {
        return Ok(None);
    }
    for grow in &extra.grow {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(root.join(&grow.file))
            .map_err(|e| format!("{CASE}: {}: {e}", grow.file))?;
        let chunk = grow.text.repeat(grow.times);
        file.write_all(chunk.as_bytes())
            .and_then(|()| file.write_all(grow.then.as_bytes()))
            .map_err(|e| e.to_string())?;
    }
    Ok(Some((copy, root, extra)))
}

fn run_case(case: &Path, bless: bool) -> Result<(), String> {
    let Some((copy, root, extra)) = prepare_case(case)? else {
        return Ok(());
    };
    let before = common::hash_tree(copy.path());

    let options = match &extra.output {
        Some(output) => BuildOptions {
            output: std::path::PathBuf::from(output),
            ..BuildOptions::new(&root)
        },
        None => BuildOptions {
            write: false,
            ..BuildOptions::new(&root)
        },
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(kaca::build(&options));
    });
    let outcome = match receiver.recv_timeout(TIME_LIMIT) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            return Err(format!(
                "the check did not finish within {} s",
                TIME_LIMIT.as_secs()
            ));
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            return Err("the check panicked (see the output above)".to_string());
        }
    };
    // Messages about the output folder name it in full; the temporary
    // copy's path is not part of what a case expects.
    let report = outcome
        .diagnostics
        .report()
        .replace(&root.display().to_string(), "<site>")
        .replace(&copy.path().display().to_string(), "<folder of the site>");
    if outcome.succeeded() {
        return Err(format!(
            "the check succeeded, but should fail; report:\n{report}"
        ));
    }
    if common::hash_tree(copy.path()) != before {
        return Err("the check wrote or changed files".to_string());
    }

    let expected_path = case.join(EXPECTED);
    if bless {
        std::fs::write(&expected_path, &report).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(text) => text.replace("\r\n", "\n"),
        Err(_) => {
            return Err(format!(
                "no {EXPECTED}; the report was:\n{report}\n(run with KACA_BLESS=1 to write it, then read it)"
            ));
        }
    };
    if report != expected {
        return Err(format!(
            "the report differs from {EXPECTED}\n-- expected:\n{expected}-- actual:\n{report}--"
        ));
    }
    Ok(())
}

/// Makes the links listed in the case's `symlinks.txt`. Returns `false`
/// when the platform cannot, so the case is skipped there.
fn make_symlinks(case: &Path, root: &Path) -> Result<bool, String> {
    let Ok(list) = std::fs::read_to_string(case.join(SYMLINKS)) else {
        return Ok(true);
    };
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        let (link, target) = line
            .split_once(' ')
            .ok_or_else(|| format!("{SYMLINKS}: `{line}` is not `link target`"))?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(target, root.join(link))
            .map_err(|e| format!("cannot make the link {link}: {e}"))?;
        #[cfg(not(unix))]
        {
            let _ = (link, target, root);
            return Ok(false);
        }
    }
    Ok(true)
}

/// Large data files are read on every core, in chunks; a chunk that finds
/// a problem has the file read again in order. Whatever is wrong, the
/// report must be the one reading in order gives: the same problems, in
/// the same order, at the same records and lines. Each case with data is
/// checked with the debug builds' test settings that read even a tiny
/// file in chunks of two records, and the report compared with the usual
/// one.
#[test]
fn data_read_in_chunks_gives_the_same_report() {
    let check = |root: &Path, chunked: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kaca"));
        command.arg("--root").arg(root).arg("check");
        if chunked {
            common::read_data_in_chunks(&mut command, 2);
        }
        let output = command.output().expect("run kaca check");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let mut compared = 0;
    for case in common::case_dirs("bad") {
        let Some((_copy, root, extra)) = prepare_case(&case).unwrap() else {
            continue;
        };
        let has_data = std::fs::read_dir(root.join("data")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.path().extension().is_some_and(|e| e == "csv"))
        });
        if extra.output.is_some() || !has_data {
            continue;
        }
        let usual = check(&root, false);
        let chunked = check(&root, true);
        assert_ne!(usual.0, Some(0), "{}: the check passed", case.display());
        assert_eq!(
            usual,
            chunked,
            "{}: the report differs when the data is read in chunks",
            case.display()
        );
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} cases have data");
}
