//! Rebuilding within a session, as `kaca serve` does after each save: after
//! every kind of edit the preview folder holds exactly what a clean build
//! of the same files gives, and an edit of one announcement renders only
//! the pages that show it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kaca::{BuildOptions, Changed, Session};

const ANNOUNCEMENT: &str = "content/pengumuman/2025-09-02-kuota-asuransi-gratis-7100.md";

/// Every file of `output` and its hash.
fn tree(output: &Path) -> BTreeMap<String, String> {
    common::hash_tree(output)
}

/// What a clean build of `root` gives, as [`tree`]: the first build of a
/// new session, which reuses nothing (a preview writes no `build.json`,
/// and its figure register has no link to one).
fn clean_build(root: &Path) -> BTreeMap<String, String> {
    let scratch = tempfile::tempdir().expect("temporary folder");
    let output = scratch.path().join("clean");
    let options = BuildOptions {
        output: output.clone(),
        ..BuildOptions::new(root)
    };
    let outcome = kaca::build_in_session(&options, &mut Session::default(), Changed::Other);
    assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
    tree(&output)
}

fn edit(root: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {file}: {e}"));
    let changed = change(text.clone());
    assert_ne!(changed, text, "the edit of {file} changes nothing");
    std::fs::write(&path, changed).unwrap_or_else(|e| panic!("write {file}: {e}"));
}

/// A copy of the example portal and a session previewing it, as
/// `kaca serve` has.
struct Preview {
    _dir: tempfile::TempDir,
    root: PathBuf,
    output: PathBuf,
    options: BuildOptions,
    session: Session,
}

impl Preview {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = common::copy_example(&dir.path().join("portal"));
        let output = dir.path().join("preview");
        let options = BuildOptions {
            output: output.clone(),
            ..BuildOptions::new(&root)
        };
        Preview {
            _dir: dir,
            root,
            output,
            options,
            session: Session::default(),
        }
    }

    /// A preview after its first build, and what that build did.
    fn started() -> (Self, kaca::BuildSummary) {
        let mut preview = Preview::new();
        let first = preview.rebuild(Changed::Config);
        (preview, first)
    }

    /// Builds again after `changed`, as `kaca serve` does after a save.
    fn rebuild(&mut self, changed: Changed) -> kaca::BuildSummary {
        let outcome = kaca::build_in_session(&self.options, &mut self.session, changed);
        assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
        outcome.summary.expect("a successful build has a summary")
    }

    /// The preview folder holds what a clean build of the same files gives.
    fn assert_same_as_clean_build(&self, after: &str) {
        common::assert_same_trees(
            &clean_build(&self.root),
            &tree(&self.output),
            &format!("after {after}, the preview and a clean build"),
        );
    }
}

#[test]
fn every_kind_of_edit_gives_the_same_site_as_a_clean_build() {
    let (mut preview, _) = Preview::started();
    preview.assert_same_as_clean_build("the first build");

    type Edit = (&'static str, Box<dyn Fn(&Path)>);
    let edits: Vec<Edit> = vec![
        (
            "a sentence added to an announcement",
            Box::new(|root| {
                edit(root, ANNOUNCEMENT, |t| {
                    t + "\nKalimat tambahan untuk uji pembangunan ulang.\n"
                })
            }),
        ),
        (
            "an announcement's title changed (lists and feeds show it)",
            Box::new(|root| {
                edit(root, ANNOUNCEMENT, |t| {
                    t.replacen("title: \"Pemkot", "title: \"Kota", 1)
                })
            }),
        ),
        (
            "an announcement's date moved (the lists' order changes)",
            Box::new(|root| {
                edit(root, ANNOUNCEMENT, |t| {
                    t.replacen("date: 2025-09-02", "date: 2023-01-10", 1)
                })
            }),
        ),
        (
            "a tag replaced by another that exists",
            Box::new(|root| edit(root, ANNOUNCEMENT, |t| t.replacen("\"kuota\", ", "", 1))),
        ),
        (
            "a tag no page had before (a new term page)",
            Box::new(|root| {
                edit(root, ANNOUNCEMENT, |t| {
                    t.replacen("tags: [", "tags: [\"uji-coba-baru\", ", 1)
                })
            }),
        ),
        (
            "a new announcement",
            Box::new(|root| {
                std::fs::write(
                    root.join("content/pengumuman/2025-12-01-uji-pengumuman-baru.md"),
                    "---\ntitle: \"Pengumuman uji\"\ndate: 2025-12-01\ntags: [\"kuota\"]\n---\n\nIsi pengumuman uji.\n",
                )
                .expect("write a new announcement");
            }),
        ),
        (
            "an announcement made a draft",
            Box::new(|root| {
                edit(
                    root,
                    "content/pengumuman/2025-12-01-uji-pengumuman-baru.md",
                    |t| t.replacen("date: 2025-12-01", "date: 2025-12-01\ndraft: true", 1),
                )
            }),
        ),
        (
            "an announcement deleted",
            Box::new(|root| {
                std::fs::remove_file(
                    root.join("content/pengumuman/2025-12-01-uji-pengumuman-baru.md"),
                )
                .expect("delete the announcement");
            }),
        ),
        (
            "a section's introduction changed",
            Box::new(|root| {
                edit(root, "content/pengumuman/_index.md", |t| {
                    t + "\nPengantar tambahan.\n"
                })
            }),
        ),
        (
            "an English translation's title changed",
            Box::new(|root| {
                let english = ANNOUNCEMENT.replace(".md", ".en.md");
                edit(root, &english, |t| {
                    let (front, body) = t.split_once("\n---\n").expect("front matter");
                    let front = front
                        .lines()
                        .map(|line| {
                            if line.starts_with("title:") {
                                "title: \"Balikpapan offers 7,100 free insurance places (edited)\""
                                    .to_string()
                            } else {
                                line.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    format!("{front}\n---\n{body}")
                })
            }),
        ),
        (
            "a link to another announcement added",
            Box::new(|root| {
                edit(root, ANNOUNCEMENT, |t| {
                    t + "\nLihat juga [kuota tambahan](@/pengumuman/2025-09-02-kuota-tambahan-pemprov-12000.md).\n"
                })
            }),
        ),
    ];
    for (what, apply) in &edits {
        apply(&preview.root);
        preview.rebuild(Changed::Markdown);
        preview.assert_same_as_clean_build(what);
    }
}

#[test]
fn a_sentence_added_to_one_announcement_renders_only_the_pages_that_show_it() {
    let (mut preview, first) = Preview::started();
    assert_eq!(first.templates_kept, 0, "a first build keeps nothing");

    edit(&preview.root, ANNOUNCEMENT, |t| {
        t + "\nKalimat yang baru saja ditulis.\n"
    });
    let second = preview.rebuild(Changed::Markdown);
    let total = first.templates_rendered;
    assert_eq!(second.templates_rendered + second.templates_kept, total);
    // The announcement itself and the figure registers (one per language)
    // at least; with its section's page that lists it, its term pages and
    // the home page, still a small part of the site.
    assert!(
        second.templates_rendered >= 3 && second.templates_rendered * 5 < total,
        "{} of {total} pages were rendered again",
        second.templates_rendered
    );
    let page = common::read(
        &preview.output,
        "pengumuman/kuota-asuransi-gratis-7100/index.html",
    );
    assert!(page.contains("Kalimat yang baru saja ditulis."));
}

#[test]
fn a_saved_data_file_is_read_again_with_the_files_that_refer_to_it_and_no_other() {
    let (mut preview, first) = Preview::started();
    let all = first.resources_read.len();
    assert!(all >= 5, "{:?}", first.resources_read);

    // Saved again, same bytes (an editor's save, a sync): read again.
    let root = preview.root.clone();
    let save = |file: &str| {
        let path = root.join("data").join(file);
        let bytes = std::fs::read(&path).expect("read the data file");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, bytes).expect("save the data file");
    };
    save("kuota_asuransi.csv");
    let second = preview.rebuild(Changed::Other);
    assert_eq!(second.resources_read, vec!["kuota_asuransi".to_string()]);
    preview.assert_same_as_clean_build("a data file saved again");

    // Other resources check their districts against `kecamatan`: they are
    // read again with it.
    save("kecamatan.csv");
    let third = preview.rebuild(Changed::Other);
    assert!(
        third.resources_read.contains(&"kecamatan".to_string())
            && third
                .resources_read
                .contains(&"subsidi_iuran_penerima".to_string())
            && !third.resources_read.contains(&"kuota_asuransi".to_string()),
        "{:?}",
        third.resources_read
    );
    assert!(third.resources_read.len() < all);
    preview.assert_same_as_clean_build("the districts file saved again");
}

/// A preview writes no `build.json` (hashing every file after every save
/// would cost more than the edit), so its figure register must not link
/// to one; a published build has both.
#[test]
fn the_preview_links_no_build_manifest_it_does_not_have() {
    let (preview, _) = Preview::started();
    assert!(!preview.output.join("build.json").exists());
    let register = common::read(&preview.output, "cek-angka/index.html");
    assert!(
        !register.contains("build.json"),
        "the preview's figure register links build.json"
    );

    let published = tempfile::tempdir().expect("temporary folder");
    let outcome = common::build_into(&preview.root, published.path());
    assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
    assert!(published.path().join("build.json").is_file());
    let register = common::read(published.path(), "cek-angka/index.html");
    assert!(
        register.contains("href=\"/build.json\""),
        "the published figure register does not link build.json"
    );
}

/// After a data file or a declaration is saved, the pages that show no
/// statistic (announcements without figures, lists, terms) are kept, and
/// the preview is still, file for file, what a clean build gives: every
/// page that shows a changed number, table, chart or dataset is new.
#[test]
fn a_data_edit_renders_only_the_pages_that_show_statistics() {
    let (mut preview, first) = Preview::started();

    // (what, file, text replaced, by)
    let edits = [
        (
            "a number in a data file changed",
            "data/kuota_asuransi.csv",
            ",2025,7100",
            ",2025,7101",
        ),
        (
            "a reported figure placed in an announcement corrected",
            "data/stats/kuota-asuransi-gratis.toml",
            "value = 7100",
            "value = 7150",
        ),
        (
            "a figure's label changed in its declaration",
            "data/stats/kuota-asuransi-gratis.toml",
            "label = { id = \"",
            "label = { id = \"(ubah) ",
        ),
        (
            "a resource's description changed in datapackage.json",
            "data/datapackage.json",
            "Daftar enam kecamatan di Kota Balikpapan",
            "Daftar enam kecamatan (diubah) di Kota Balikpapan",
        ),
    ];
    for (what, file, from, to) in edits {
        edit(&preview.root, file, |t| t.replacen(from, to, 1));
        let summary = preview.rebuild(Changed::Data);
        preview.assert_same_as_clean_build(what);
        assert!(
            summary.templates_kept > 0 && summary.templates_rendered < first.templates_rendered,
            "after {what}, {} templates were rendered again and {} kept (the first build rendered {})",
            summary.templates_rendered,
            summary.templates_kept,
            first.templates_rendered
        );
    }
}
