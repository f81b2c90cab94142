//! Reproducible builds and the build manifest: the same inputs give the
//! same bytes wherever and whenever they are built, and `/build.json` lets
//! anyone check a published site against the files it was built from.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use common::{read, sha256_hex};

fn kaca(root: &Path, args: &[&str], source_date_epoch: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kaca"));
    command.arg("--root").arg(root).args(args);
    command.env_remove("SOURCE_DATE_EPOCH");
    if let Some(value) = source_date_epoch {
        command.env("SOURCE_DATE_EPOCH", value);
    }
    command.output().expect("run the kaca binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn manifest(output: &Path) -> serde_json::Value {
    serde_json::from_str(&read(output, "build.json")).expect("build.json is JSON")
}

fn listed(manifest: &serde_json::Value, key: &str) -> BTreeMap<String, String> {
    manifest[key]
        .as_object()
        .unwrap_or_else(|| panic!("build.json has no {key}"))
        .iter()
        .map(|(name, digest)| (name.clone(), digest.as_str().unwrap_or("").to_string()))
        .collect()
}

#[test]
fn the_example_portal_builds_byte_identically_in_two_folders() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let a = common::copy_example(&first.path().join("portal"));
    let b = common::copy_example(&second.path().join("somewhere/else/kaca-site"));
    for root in [&a, &b] {
        let output = kaca(root, &["build"], Some("1763683200"));
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    let a = common::hash_tree(&a.join("public"));
    let b = common::hash_tree(&b.join("public"));
    assert!(a.len() > 300, "{} files", a.len());
    assert!(a.contains_key("build.json"));
    common::assert_same_trees(&a, &b, "the two builds");
}

#[test]
fn build_json_lists_every_input_and_output_file_with_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::copy_example(&dir.path().join("portal"));
    let output = kaca(&root, &["build"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let public = root.join("public");
    let manifest = manifest(&public);
    assert_eq!(manifest["generator"], "kaca");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    assert!(manifest.get("source_date").is_none(), "{manifest}");
    // Readers checking the figures find it.
    for page in ["cek-angka/index.html", "en/cek-angka/index.html"] {
        assert!(
            common::links_in(&read(&public, page)).contains(&"/build.json".to_string()),
            "{page} does not link to build.json"
        );
    }

    let outputs = listed(&manifest, "outputs");
    let mut on_disk = common::hash_tree(&public);
    on_disk.remove("build.json");
    on_disk.remove(".kaca-output");
    assert_eq!(
        outputs.keys().collect::<Vec<_>>(),
        on_disk.keys().collect::<Vec<_>>()
    );
    for (name, digest) in &on_disk {
        assert_eq!(outputs[name], format!("sha256:{digest}"), "{name}");
    }

    let inputs = listed(&manifest, "inputs");
    for name in [
        "site.toml",
        "data/datapackage.json",
        "content/_index.md",
        "i18n/id.toml",
    ] {
        let bytes = std::fs::read(root.join(name)).unwrap();
        assert_eq!(
            inputs.get(name),
            Some(&format!("sha256:{}", sha256_hex(&bytes))),
            "{name}"
        );
    }
    let csv_inputs = inputs.keys().filter(|name| name.ends_with(".csv")).count();
    assert!(csv_inputs >= 5, "{inputs:?}");
    assert!(inputs.keys().any(|name| name.starts_with("data/stats/")));
    assert!(!inputs.keys().any(|name| name.starts_with("public/")));
}

#[test]
fn source_date_epoch_sets_the_only_time_a_build_writes() {
    let site = common::copy_fixture("good/hostile");
    // Without it, no clock time anywhere: the English feed has no dated
    // entry, so it takes the oldest time there is.
    let output = kaca(&site.root, &["build"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let public = site.output();
    assert!(read(&public, "en/atom.xml").contains("<updated>1970-01-01T00:00:00Z</updated>"));

    let output = kaca(&site.root, &["build"], Some("1763683200"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(manifest(&public)["source_date"], "2025-11-21T00:00:00Z");
    assert!(
        read(&public, "en/atom.xml").contains("<updated>2025-11-21T00:00:00Z</updated>"),
        "{}",
        read(&public, "en/atom.xml")
    );
    // A dated feed keeps the time of its newest entry.
    assert!(read(&public, "atom.xml").contains("<updated>2025-11-01T00:00:00Z</updated>"));

    let before = common::hash_tree(&public);
    let output = kaca(&site.root, &["build"], Some("next tuesday"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "SOURCE_DATE_EPOCH=`next tuesday` is not a whole number of seconds since 1970-01-01 UTC"
        ),
        "{stderr}"
    );
    assert_eq!(
        common::hash_tree(&public),
        before,
        "the failed run kept the site"
    );
}

#[test]
fn verify_checks_a_site_against_its_manifest_and_its_sources() {
    let site = common::copy_fixture("good/hostile");
    let output = kaca(&site.root, &["build"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let public = site.output();

    let output = kaca(&site.root, &["verify"], None);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("against build.json: all match"), "{stdout}");

    // A copy downloaded elsewhere is checked on its own.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("mirror");
    common::copy_dir(&public, &copy, &[]);
    let output = kaca(elsewhere.path(), &["verify", copy.to_str().unwrap()], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("checking the site's files only"));

    // A changed page, a lost file, an added file and an edited input.
    std::fs::write(copy.join("index.html"), "<p>changed</p>").unwrap();
    std::fs::remove_file(copy.join("robots.txt")).unwrap();
    std::fs::write(copy.join("extra.html"), "x").unwrap();
    let output = kaca(elsewhere.path(), &["verify", copy.to_str().unwrap()], None);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    for expected in [
        "index.html: differs from build.json",
        "robots.txt: listed in build.json but missing",
        "extra.html: not listed in build.json",
        "3 difference(s)",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
    }

    let csv = site.root.join("data/kecamatan.csv");
    let mut data = std::fs::read_to_string(&csv).unwrap();
    data.push_str("Balikpapan Barat\n");
    std::fs::write(&csv, data).unwrap();
    let output = kaca(&site.root, &["verify"], None);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("data/kecamatan.csv: input differs from the one the site was built from"),
        "{stderr}"
    );
}

#[test]
fn drafts_are_in_the_manifest_by_hash_only_and_verify_knows_them() {
    let site = common::copy_fixture("good/bilingual");
    let bundle = site.root.join("content/laporan-rahasia");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(
        bundle.join("index.md"),
        "---\ntitle: Laporan\ndraft: true\n---\n\nBelum terbit.\n",
    )
    .unwrap();
    std::fs::write(
        bundle.join("grafik.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let output = kaca(&site.root, &["build"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let public = site.output();
    let manifest_text = read(&public, "build.json");
    assert!(!manifest_text.contains("rahasia"), "{manifest_text}");
    // rahasia.md, and the draft bundle's two files.
    let drafts = manifest(&public)["drafts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(drafts.len(), 3, "{manifest_text}");

    let output = kaca(&site.root, &["verify"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));

    std::fs::write(site.root.join("content/baru.md"), "---\ntitle: Baru\n---\n").unwrap();
    let output = kaca(&site.root, &["verify"], None);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("content/baru.md: input the site was not built from"),
        "{stderr}"
    );
}

/// Large data files are read on every core, in chunks of records whose
/// totals are added up at the end. The published site must not depend on
/// it: the example portal built with every data file read in chunks of
/// three records (a debug builds' test setting; the real size is
/// thousands) is byte for byte the one read in order, person counts,
/// hidden small numbers and downloads included.
#[test]
fn figures_do_not_depend_on_reading_the_data_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::copy_example(&dir.path().join("portal"));
    let build = |into: &str, chunked: bool| {
        let output = dir.path().join(into);
        let mut command = Command::new(env!("CARGO_BIN_EXE_kaca"));
        command
            .arg("--root")
            .arg(&root)
            .arg("build")
            .arg("--output")
            .arg(&output)
            .env("SOURCE_DATE_EPOCH", "1700000000");
        if chunked {
            common::read_data_in_chunks(&mut command, 3);
        }
        let result = command.output().expect("run the kaca binary");
        assert!(result.status.success(), "{}", text(&result.stderr));
        common::hash_tree(&output)
    };
    common::assert_same_trees(
        &build("in-order", false),
        &build("chunked", true),
        "read in order and in chunks",
    );
}

/// Sums and means of decimal values come out the same however the file is
/// split into chunks: a plain running sum would differ in its last digits
/// (and a check such as `{total} == 300` could pass one way and fail the
/// other).
#[test]
fn sums_of_decimals_do_not_depend_on_reading_in_chunks() {
    let copy = common::copy_fixture("good/data");
    let mut rows = std::fs::read_to_string(copy.root.join("data/peserta.csv")).unwrap();
    for i in 0..3000 {
        rows.push_str(&format!("Q-{i:05};Las;Balikpapan Kota;L;2025-08;0,1\n"));
    }
    std::fs::write(copy.root.join("data/peserta.csv"), rows).unwrap();
    let mut declarations =
        std::fs::read_to_string(copy.root.join("data/stats/pelatihan.toml")).unwrap();
    declarations.push_str(
        "\n[[figure]]\nid = \"biaya-total\"\nlabel = { id = \"Biaya total\", en = \"Total cost\" }\nresource = \"peserta\"\nmeasure = \"sum\"\nfield = \"biaya\"\n",
    );
    std::fs::write(copy.root.join("data/stats/pelatihan.toml"), declarations).unwrap();
    let register = |chunk: Option<usize>| {
        let output = copy.root.join(match chunk {
            Some(records) => format!("out-{records}"),
            None => "out-in-order".to_string(),
        });
        let mut command = Command::new(env!("CARGO_BIN_EXE_kaca"));
        command
            .arg("--root")
            .arg(&copy.root)
            .args(["build", "--output"])
            .arg(&output);
        if let Some(records) = chunk {
            common::read_data_in_chunks(&mut command, records);
        }
        let result = command.output().expect("run the kaca binary");
        assert!(result.status.success(), "{}", text(&result.stderr));
        read(&output, "data/figures.json")
    };
    let in_order = register(None);
    assert!(in_order.contains("\"biaya-total\""), "{in_order}");
    for records in [1, 7, 1000] {
        assert_eq!(register(Some(records)), in_order, "chunks of {records}");
    }
}
