//! The `kaca` binary as a user runs it: exit codes, and the numbered report
//! on standard error.

mod common;

use std::process::{Command, Output};

fn kaca(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaca"))
        .args(args)
        .output()
        .expect("run the kaca binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_fails_on_a_bad_site_and_prints_the_numbered_report() {
    let case = common::fixture("bad/several-problems");
    let copy = common::copy_site(&case);
    std::fs::remove_file(copy.root.join("expected.txt")).unwrap();
    let before = common::hash_tree(copy.dir.path());

    let output = kaca(&["check", "--root", copy.root.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert_ne!(output.status.code(), Some(0));
    let expected = std::fs::read_to_string(case.join("expected.txt")).unwrap();
    assert!(
        stderr.contains(&expected),
        "stderr does not contain the report:\n-- expected:\n{expected}-- stderr:\n{stderr}"
    );
    assert!(stderr.contains("3 errors"), "{stderr}");
    assert_eq!(common::hash_tree(copy.dir.path()), before);
}

#[test]
fn build_fails_on_a_bad_site_and_writes_nothing() {
    let copy = common::copy_fixture("bad/date-invalid");
    let output = kaca(&["build", "--root", copy.root.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("1. error: content/bursa-kerja.md:3:"),
        "{}",
        text(&output.stderr)
    );
    assert!(!copy.output().exists());
}

#[test]
fn build_succeeds_on_a_good_site() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let root = common::fixture("good/bilingual");
    let output = kaca(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--base-url",
        "https://example.org/portal/",
    ]);
    assert!(
        output.status.success(),
        "exit {:?}\n{}",
        output.status.code(),
        text(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(
        text(&output.stdout).contains("Built "),
        "{}",
        text(&output.stdout)
    );
    assert!(out.join("index.html").is_file());
    assert!(out.join("en/index.html").is_file());
    let problems = common::broken_links(&out, "https://example.org/portal/");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn check_succeeds_on_a_good_site() {
    let copy = common::copy_fixture("good/bilingual");
    let before = common::hash_tree(copy.dir.path());
    let output = kaca(&["check", "--root", copy.root.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("Checked: no errors"));
    assert_eq!(common::hash_tree(copy.dir.path()), before);
}

#[test]
fn new_makes_a_portal_that_builds() {
    let dir = tempfile::tempdir().unwrap();
    let portal = dir.path().join("portal");
    let output = kaca(&["new", portal.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = kaca(&["build", "--root", portal.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(portal.join("public/index.html").is_file());
    assert!(text(&output.stderr).is_empty(), "{}", text(&output.stderr));
}
