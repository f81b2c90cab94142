//! A build killed at any moment (SIGKILL: no handler runs, nothing is
//! cleaned up) leaves the previous site complete, and the next build
//! succeeds and clears what the killed ones left behind.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Builds `root`; returns how long the whole run took.
fn build(root: &Path) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kaca"))
        .arg("--root")
        .arg(root)
        .arg("build")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("KACA_FAULT_PAUSE_WRITING_MS", WRITE_PAUSE_MS)
        .output()
        .expect("run kaca");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed()
}

fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".public.kaca-"))
        .collect()
}

/// How long the write stage stops halfway in these builds (debug builds
/// only, see `pause_for_fault_tests` in src/lib.rs): a window wide
/// enough to kill a build in, whatever the machine's load.
const WRITE_PAUSE_MS: &str = "400";

/// A small fixed-seed generator (xorshift): the kill points differ from
/// one another but are the same on every run.
struct Points(u64);

impl Points {
    fn next_fraction(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0
    }
}

/// Starts a build of `root`, waits until `ready(root)` or the end of the
/// build, then `delay` more, and kills it with SIGKILL unless it finished;
/// says whether it was killed.
fn kill_build(root: &Path, ready: impl Fn(&Path) -> bool, delay: Duration) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaca"))
        .arg("--root")
        .arg(root)
        .arg("build")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("KACA_FAULT_PAUSE_WRITING_MS", WRITE_PAUSE_MS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kaca");
    while child.try_wait().unwrap().is_none() && !ready(root) {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(delay);
    // `Child::kill` sends SIGKILL on Unix.
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    killed
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_site_intact() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::copy_example(&dir.path().join("portal"));
    let public = root.join("public");
    let first = build(&root);
    let previous = common::hash_tree(&public);

    // The next build has something new to write.
    let page = root.join("content/metodologi.md");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("\nParagraf tambahan yang belum pernah terbit.\n");
    std::fs::write(&page, &text).unwrap();
    // What a complete build of the changed site is, built elsewhere (builds
    // are reproducible across folders).
    let elsewhere = tempfile::tempdir().unwrap();
    let other = common::copy_example(&elsewhere.path().join("portal"));
    std::fs::write(other.join("content/metodologi.md"), &text).unwrap();
    let second = build(&other);
    let next = common::hash_tree(&other.join("public"));
    assert_ne!(previous, next);
    let duration = first.max(second);

    let check = |delay: Duration| {
        let now = common::hash_tree(&public);
        assert!(
            now == previous || now == next,
            "after a kill {delay:?} into the build, public/ is neither the previous site nor the next one ({} files)",
            now.len()
        );
    };
    let mut points = Points(0x6b61_6361);
    // Points over the whole build, with jitter.
    let mut kills = 0;
    for round in 0..6 {
        let fraction = (round as f64 + points.next_fraction()) / 6.0;
        let delay = duration.mul_f64(fraction);
        kills += usize::from(kill_build(&root, |_| true, delay));
        check(delay);
    }
    assert!(kills > 0, "every build finished before it could be killed");
    // Kills inside the write stage: as soon as the build's staging folder
    // appears, and a moment later, while the build waits halfway through
    // writing (see WRITE_PAUSE_MS). Each leaves its half-written staging
    // folder behind.
    for wait in [Duration::ZERO, Duration::from_millis(100)] {
        let before = leftovers(&root);
        assert!(
            // A staging folder that was not there before.
            kill_build(
                &root,
                |root| leftovers(root).iter().any(|name| !before.contains(name)),
                wait
            ),
            "the build finished before it could be killed while writing"
        );
        check(wait);
        assert!(
            leftovers(&root).iter().any(|name| !before.contains(name)),
            "a build killed while writing left no staging folder"
        );
    }

    // The next build succeeds, and no temporary folder stays behind.
    build(&root);
    assert_eq!(common::hash_tree(&public), next);
    assert!(leftovers(&root).is_empty(), "{:?}", leftovers(&root));
}

/// A data file saved while a build runs (an export or a sync client still
/// writing) must not publish figures computed from one version beside a
/// download of another: the build stops and says which file changed.
#[test]
fn a_data_file_saved_during_the_build_stops_it() {
    let site = common::copy_fixture("good/data");
    let csv = site.root.join("data/peserta.csv");
    let first = std::fs::read_to_string(&csv).unwrap();
    let second = first.replace("1.200.000", "1.250.000");
    assert_ne!(first, second);
    let first_hash = common::sha256_hex(first.as_bytes());
    let second_hash = common::sha256_hex(second.as_bytes());
    let saving = keep_saving(&csv, &first, &second);
    let output = site.output();
    build_while_saving(|| {
        let outcome = common::build_into(&site.root, &output);
        if !outcome.succeeded() {
            return Some(outcome.diagnostics.report());
        }
        // Published together: the download is the data of the figures.
        let download = common::read(&output, "data/peserta.csv");
        let figures: serde_json::Value =
            serde_json::from_str(&common::read(&output, "data/figures.json")).unwrap();
        let computed_from = figures["inputs"]["peserta"]["sha256"]
            .as_str()
            .unwrap()
            .to_string();
        let (expected_value, other_value) = if computed_from == first_hash {
            ("1200000", "1250000")
        } else {
            assert_eq!(computed_from, second_hash);
            ("1250000", "1200000")
        };
        assert!(
            download.contains(expected_value) && !download.contains(other_value),
            "figures from one version, download from another:\n{download}"
        );
        None
    });
    drop(saving);
    common::assert_clean(&common::build_into(&site.root, &output));
}

/// Builds up to 40 times while the data file keeps changing, until three
/// builds have stopped; `build` checks a build that succeeded and returns
/// the report of one that failed, which must name the changed file.
fn build_while_saving(mut build: impl FnMut() -> Option<String>) {
    let mut stopped = 0;
    for _ in 0..40 {
        let Some(report) = build() else {
            continue;
        };
        assert!(
            report.contains("data/peserta.csv: changed while the site was being built: data/peserta.csv; the figures were computed from the earlier version"),
            "{report}"
        );
        stopped += 1;
        if stopped == 3 {
            break;
        }
    }
    assert!(stopped > 0, "no build noticed the file changing");
}

/// Builds `root` into `output` in a new process that trusts a data file's
/// times as soon as it has read it (debug builds only; a real build waits
/// until a file's last change is three seconds old, see
/// src/data/identity.rs), so the file is not hashed again at the end.
fn build_trusting_file_times(root: &Path, output: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kaca"))
        .arg("--root")
        .arg(root)
        .arg("build")
        .arg("--output")
        .arg(output)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("KACA_TEST_SETTLED_AFTER_MS", "0")
        .output()
        .expect("run kaca")
}

/// When the build trusts a data file's identity (inode, size, times)
/// instead of hashing it again at the end, its manifest still names the
/// bytes the figures were computed from, and a file replaced during the
/// build still stops it. The rows are not published here: no download
/// reads the file again, the check at the end of the build alone tells.
#[test]
fn a_data_file_saved_during_the_build_is_noticed_from_its_identity() {
    let site = common::copy_fixture("good/data");
    let package = site.root.join("data/datapackage.json");
    let text = std::fs::read_to_string(&package).unwrap();
    let unpublished = text.replacen(
        r#""path": "peserta.csv","#,
        r#""path": "peserta.csv", "publish_rows": false,"#,
        1,
    );
    assert_ne!(text, unpublished);
    std::fs::write(&package, unpublished).unwrap();
    let csv = site.root.join("data/peserta.csv");
    let first = std::fs::read_to_string(&csv).unwrap();
    let output = site.output();

    // Unchanged: the manifest lists the file's digest, and `kaca verify`
    // agrees with the project.
    let built = build_trusting_file_times(&site.root, &output);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(!output.join("data/peserta.csv").exists());
    let manifest: serde_json::Value =
        serde_json::from_str(&common::read(&output, "build.json")).unwrap();
    assert_eq!(
        manifest["inputs"]["data/peserta.csv"],
        format!("sha256:{}", common::sha256_hex(first.as_bytes()))
    );
    let verified = Command::new(env!("CARGO_BIN_EXE_kaca"))
        .arg("--root")
        .arg(&site.root)
        .arg("verify")
        .arg(&output)
        .output()
        .expect("run kaca verify");
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );

    // Saved over and over while building.
    let second = first.replace("1.200.000", "1.250.000");
    let first_hash = common::sha256_hex(first.as_bytes());
    let second_hash = common::sha256_hex(second.as_bytes());
    let saving = keep_saving(&csv, &first, &second);
    build_while_saving(|| {
        let built = build_trusting_file_times(&site.root, &output);
        if !built.status.success() {
            return Some(String::from_utf8_lossy(&built.stderr).into_owned());
        }
        let manifest: serde_json::Value =
            serde_json::from_str(&common::read(&output, "build.json")).unwrap();
        let figures: serde_json::Value =
            serde_json::from_str(&common::read(&output, "data/figures.json")).unwrap();
        let computed_from = figures["inputs"]["peserta"]["sha256"].as_str().unwrap();
        assert!(computed_from == first_hash || computed_from == second_hash);
        assert_eq!(
            manifest["inputs"]["data/peserta.csv"],
            format!("sha256:{computed_from}"),
            "the manifest names other bytes than the figures were computed from"
        );
        None
    });
    drop(saving);
}

/// A page saved while the site is built: the manifest holds the digest of
/// the version the page was made from, not of whatever is on disk when the
/// manifest is written at the end.
#[test]
fn the_manifest_holds_the_markdown_a_page_was_made_from() {
    let site = common::copy_fixture("good/data");
    let page = site.root.join("content/program/pelatihan.md");
    let first = std::fs::read_to_string(&page).unwrap();
    let second = first.replace(
        "Pelatihan kerja kota diikuti",
        "Pelatihan kerja kota tahun ini diikuti",
    );
    assert_ne!(first, second);
    let first_hash = format!("sha256:{}", common::sha256_hex(first.as_bytes()));
    let second_hash = format!("sha256:{}", common::sha256_hex(second.as_bytes()));
    let saving = keep_saving(&page, &first, &second);
    let output = site.output();
    let mut built = 0;
    for _ in 0..12 {
        let outcome = common::build_into(&site.root, &output);
        assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
        built += 1;
        let html = common::read(&output, "program/pelatihan/index.html");
        let manifest: serde_json::Value =
            serde_json::from_str(&common::read(&output, "build.json")).unwrap();
        let recorded = manifest["inputs"]["content/program/pelatihan.md"]
            .as_str()
            .unwrap();
        let made_from = if html.contains("tahun ini diikuti") {
            &second_hash
        } else {
            &first_hash
        };
        assert_eq!(
            recorded, made_from,
            "build {built}: the manifest names another version than the page shows"
        );
    }
    drop(saving);
}

/// Saves a file as editors do (a new file renamed over the old one), with
/// the second text and the first in turn, every millisecond, until dropped.
/// The new file has a hidden name, which no build reads: a name a build
/// reads could vanish between its listing and its reading.
struct KeepSaving {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    writer: Option<std::thread::JoinHandle<()>>,
}

fn keep_saving(path: &std::path::Path, first: &str, second: &str) -> KeepSaving {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let texts = [second.to_string(), first.to_string()];
    let name = path.file_name().unwrap().to_string_lossy();
    let staged = path.with_file_name(format!(".{name}.saving"));
    let (path, stopped) = (path.to_path_buf(), stop.clone());
    let writer = std::thread::spawn(move || {
        let mut turn = 0;
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            std::fs::write(&staged, &texts[turn]).unwrap();
            std::fs::rename(&staged, &path).unwrap();
            turn = 1 - turn;
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    KeepSaving {
        stop,
        writer: Some(writer),
    }
}

impl Drop for KeepSaving {
    /// Stops saving, also when a test fails while the file is being saved.
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
