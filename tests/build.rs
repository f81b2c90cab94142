//! Builds fixture sites (and the example portal) into temporary folders and
//! checks the output the way a visitor or a portal's staff would notice:
//! which files exist, what they link to, in which order and language.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_clean, between, broken_links, build_into, exists, read};
use kaca::BuildOptions;

const BILINGUAL: &str = "good/bilingual";
const BASE_URL: &str = "https://example.org/";

/// The bilingual fixture built into a fresh temporary folder.
struct Built {
    _dir: tempfile::TempDir,
    output: PathBuf,
}

fn build_fixture(fixture: &str, configure: impl FnOnce(&mut BuildOptions)) -> Built {
    let dir = tempfile::tempdir().expect("temporary folder");
    let output = dir.path().join("public");
    let mut options = BuildOptions {
        output: output.clone(),
        ..BuildOptions::new(common::fixture(fixture))
    };
    configure(&mut options);
    assert_clean(&kaca::build(&options));
    Built { _dir: dir, output }
}

fn bilingual() -> Built {
    build_fixture(BILINGUAL, |_| {})
}

/// Links of `html` to any of `prefixes`, in document order, each once.
fn listed(html: &str, prefixes: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    for link in common::links_in_order(html) {
        let is_item = prefixes
            .iter()
            .any(|p| link.starts_with(p) && link.len() > p.len() && !link.contains("/page/"));
        if is_item && !seen.contains(&link) {
            seen.push(link);
        }
    }
    seen
}

fn news(numbers: &[u32]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| format!("/berita/berita-{n:02}/"))
        .collect()
}

fn english_news(numbers: &[u32]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| format!("/en/berita/berita-{n:02}/"))
        .collect()
}

/// The `href` of the first `<a>` whose tag contains `attribute`.
fn anchor_with(html: &str, attribute: &str) -> Option<String> {
    let mut rest = html;
    while let Some(at) = rest.find("<a ") {
        rest = &rest[at..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.contains(attribute) {
            return common::links_in_order(tag).into_iter().next();
        }
        rest = &rest[end..];
    }
    None
}

fn html_lang(html: &str) -> &str {
    let start = "<html lang=\"";
    let from = html
        .find(start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| panic!("no <html lang> in:\n{html}"));
    let to = html[from..].find('"').map(|i| from + i).unwrap_or(from);
    &html[from..to]
}

fn is_redirect(html: &str) -> bool {
    html.contains("http-equiv=\"refresh\"")
}

#[test]
fn pages_have_pretty_urls_and_a_404_page() {
    let site = bilingual();
    let out = &site.output;
    for page in [
        "index.html",
        "panduan/index.html",
        "tentang/index.html",
        "berita/index.html",
        "berita/berita-07/index.html",
        // Dated by its file name: the date prefix is not part of the URL.
        "berita/berita-01/index.html",
        "program/index.html",
        "program/bursa-kerja/index.html",
        "en/index.html",
        "en/panduan/index.html",
        "en/berita/berita-25/index.html",
        "404.html",
    ] {
        assert!(exists(out, page), "{page} is missing");
    }
    let files = common::list_files(out);
    let ugly: Vec<&String> = files
        .iter()
        .filter(|f| f.ends_with(".html") && !f.ends_with("index.html") && *f != "404.html")
        .collect();
    assert!(ugly.is_empty(), "pages without pretty URLs: {ugly:?}");
    assert!(!files.iter().any(|f| f.contains("2025-01-01")));
}

#[test]
fn section_pages_are_paginated_newest_first() {
    let site = bilingual();
    let out = &site.output;
    let item_prefix = ["/berita/berita-"];
    assert_eq!(
        listed(&read(out, "berita/index.html"), &item_prefix),
        news(&[25, 24, 23, 22, 21, 20, 19, 18, 17, 16])
    );
    assert_eq!(
        listed(&read(out, "berita/page/2/index.html"), &item_prefix),
        news(&[15, 14, 13, 12, 11, 10, 9, 8, 7, 6])
    );
    assert_eq!(
        listed(&read(out, "berita/page/3/index.html"), &item_prefix),
        news(&[5, 4, 3, 2, 1])
    );
    assert!(!exists(out, "berita/page/4/index.html"));

    // The first pager's own address sends the browser to the section.
    let first = read(out, "berita/page/1/index.html");
    assert!(is_redirect(&first), "{first}");
    assert!(
        common::links_in(&first)
            .iter()
            .all(|l| l == "/berita/" || l == "https://example.org/berita/"),
        "{first}"
    );
    assert!(first.contains(r#"<link rel="canonical" href="https://example.org/berita/">"#));

    // Pagers link to each other.
    let second = read(out, "berita/page/2/index.html");
    assert!(second.contains("href=\"/berita/\""), "{second}");
    assert!(second.contains("href=\"/berita/page/3/\""), "{second}");
}

#[test]
fn english_section_lists_only_english_pages() {
    let site = bilingual();
    let out = &site.output;
    let html = read(out, "en/berita/index.html");
    assert_eq!(
        listed(&html, &["/en/berita/berita-", "/berita/berita-"]),
        english_news(&[25, 24, 1])
    );
    assert!(!exists(out, "en/berita/page/2/index.html"));
    assert!(!exists(out, "en/berita/berita-10/index.html"));
}

#[test]
fn taxonomy_pages_list_their_pages_newest_first_in_both_languages() {
    let site = bilingual();
    let out = &site.output;
    // Pages are listed by their links below these folders.
    let items = ["/berita/berita-", "/program/"];
    let english_items = ["/en/berita/berita-", "/en/program/"];

    let list = read(out, "programs/index.html");
    assert!(list.contains("href=\"/programs/bursa-kerja/\""), "{list}");
    assert!(
        list.contains("href=\"/programs/pelatihan-kerja/\""),
        "{list}"
    );
    let english_list = read(out, "en/programs/index.html");
    assert!(english_list.contains("href=\"/en/programs/job-fair/\""));
    assert!(english_list.contains("href=\"/en/programs/job-training/\""));
    assert!(!english_list.contains("pelatihan-kerja"));

    // Undated pages (the programme bundle) come after dated ones.
    let mut expected = news(&[24, 21, 18, 15, 12, 9, 6, 3]);
    expected.push("/program/bursa-kerja/".into());
    assert_eq!(
        listed(&read(out, "programs/bursa-kerja/index.html"), &items),
        expected
    );
    // `programs` has paginate_by = 10: 17 pages make two term pages.
    assert_eq!(
        listed(&read(out, "programs/pelatihan-kerja/index.html"), &items),
        news(&[25, 23, 22, 20, 19, 17, 16, 14, 13, 11])
    );
    assert_eq!(
        listed(
            &read(out, "programs/pelatihan-kerja/page/2/index.html"),
            &items
        ),
        news(&[10, 8, 7, 5, 4, 2, 1])
    );
    assert_eq!(
        listed(&read(out, "tags/kuota/index.html"), &items),
        news(&[25, 20, 15, 10, 5])
    );

    let mut expected = english_news(&[24]);
    expected.push("/en/program/bursa-kerja/".into());
    assert_eq!(
        listed(
            &read(out, "en/programs/job-fair/index.html"),
            &english_items
        ),
        expected
    );
    assert_eq!(
        listed(
            &read(out, "en/programs/job-training/index.html"),
            &english_items
        ),
        english_news(&[25, 1])
    );
    assert_eq!(
        listed(
            &read(out, "en/tags/registration/index.html"),
            &english_items
        ),
        english_news(&[25, 24, 1])
    );
    // A term page of one language never lists the other language's pages.
    let english_term = read(out, "en/tags/registration/index.html");
    assert!(
        listed(&english_term, &items[..1]).is_empty(),
        "{english_term}"
    );
}

#[test]
fn every_page_declares_its_language() {
    let site = bilingual();
    let out = &site.output;
    assert_eq!(html_lang(&read(out, "index.html")), "id");
    assert_eq!(html_lang(&read(out, "en/index.html")), "en");
    for file in common::list_files(out) {
        if !file.ends_with(".html") {
            continue;
        }
        let html = read(out, &file);
        if is_redirect(&html) {
            continue;
        }
        let expected = if file.starts_with("en/") { "en" } else { "id" };
        assert_eq!(html_lang(&html), expected, "{file}");
    }
}

#[test]
fn language_switcher_links_to_the_translation_or_the_home_page() {
    let site = bilingual();
    let out = &site.output;

    let translated = read(out, "berita/berita-25/index.html");
    assert_eq!(
        anchor_with(&translated, "hreflang=\"en\"").as_deref(),
        Some("/en/berita/berita-25/")
    );
    assert!(translated.contains(
        "<link rel=\"alternate\" hreflang=\"en\" href=\"https://example.org/en/berita/berita-25/\">"
    ));
    let english = read(out, "en/berita/berita-25/index.html");
    assert_eq!(
        anchor_with(&english, "hreflang=\"id\"").as_deref(),
        Some("/berita/berita-25/")
    );

    let untranslated = read(out, "berita/berita-10/index.html");
    assert_eq!(
        anchor_with(&untranslated, "hreflang=\"en\"").as_deref(),
        Some("/en/")
    );
    assert!(
        !untranslated.contains("<link rel=\"alternate\" hreflang=\"en\""),
        "an untranslated page must not claim an English version"
    );

    let bundle = read(out, "program/bursa-kerja/index.html");
    assert_eq!(
        anchor_with(&bundle, "hreflang=\"en\"").as_deref(),
        Some("/en/program/bursa-kerja/")
    );
}

#[test]
fn content_links_point_to_the_translation_in_the_same_language() {
    let site = bilingual();
    let out = &site.output;
    let english = read(out, "en/panduan/index.html");
    let english_links = common::links_in_order(between(&english, "<h1>", "</article>"));
    for expected in [
        "/en/berita/",
        "/en/program/bursa-kerja/",
        // No English version: the Indonesian page.
        "/tentang/",
        // A relative `.md` link with a heading.
        "/en/berita/berita-01/#latar-belakang",
        "/en/berita/berita-25/",
        "/berita/berita-10/",
        "#how-to-register",
    ] {
        assert!(
            english_links.iter().any(|l| l == expected),
            "{expected} not in {english_links:?}"
        );
    }

    let indonesian = read(out, "panduan/index.html");
    let links = common::links_in_order(between(&indonesian, "<h1>", "</article>"));
    for expected in [
        "/berita/",
        "/program/bursa-kerja/",
        "/tentang/",
        "/berita/berita-01/#latar-belakang",
        "/berita/berita-25/",
        "#cara-mendaftar",
    ] {
        assert!(
            links.iter().any(|l| l == expected),
            "{expected} not in {links:?}"
        );
    }
    assert!(!links.iter().any(|l| l.contains(".md")), "{links:?}");
}

#[test]
fn markdown_extensions_and_stable_heading_ids() {
    let site = bilingual();
    let html = read(&site.output, "panduan/index.html");
    for expected in [
        "<h2 id=\"cara-mendaftar\">Cara Mendaftar</h2>",
        "<h2 id=\"cara-mendaftar-1\">Cara Mendaftar</h2>",
        "<h2 id=\"syarat-khusus\">Syarat</h2>",
        "<del>formulir kertas</del>",
        "<table>",
        "<td>KTP</td>",
        "type=\"checkbox\" checked",
        "footnote-definition",
    ] {
        assert!(html.contains(expected), "`{expected}` not in:\n{html}");
    }
    let english = read(&site.output, "en/berita/berita-01/index.html");
    assert!(english.contains("<h2 id=\"latar-belakang\">Background</h2>"));
}

#[test]
fn dates_are_written_in_each_language() {
    let site = bilingual();
    let out = &site.output;
    let guide = read(out, "panduan/index.html");
    assert!(guide.contains("<time datetime=\"2025-02-01\">1 Februari 2025</time>"));
    let english = read(out, "en/panduan/index.html");
    assert!(english.contains("<time datetime=\"2025-02-01\">1 February 2025</time>"));
    // A date taken from the file name (`2025-01-01-berita-01.md`).
    let dated_by_name = read(out, "en/berita/berita-01/index.html");
    assert!(
        dated_by_name.contains("<time datetime=\"2025-01-01\">1 January 2025</time>"),
        "{dated_by_name}"
    );
    // The same dates in the lists the pages are in, in the list's
    // language (a page's date in words is made once and shown everywhere).
    let list = read(out, "en/berita/index.html");
    assert!(
        list.contains("<time datetime=\"2025-01-01\">1 January 2025</time>"),
        "{list}"
    );
    let list = read(out, "berita/index.html");
    assert!(
        list.contains("<time datetime=\"2025-01-25\">25 Januari 2025</time>"),
        "{list}"
    );
}

#[test]
fn bundle_files_are_copied_beside_the_page() {
    let site = bilingual();
    let out = &site.output;
    let source = std::fs::read(common::fixture(
        "good/bilingual/content/program/bursa-kerja/foto.png",
    ))
    .unwrap();
    for page in ["program/bursa-kerja/", "en/program/bursa-kerja/"] {
        assert_eq!(
            std::fs::read(out.join(format!("{page}foto.png"))).ok(),
            Some(source.clone()),
            "{page}foto.png"
        );
        let html = read(out, &format!("{page}index.html"));
        assert!(html.contains("src=\"foto.png\""), "{html}");
    }
    // Not also copied as a loose content file.
    assert!(!exists(out, "program/foto.png"));
}

#[test]
fn aliases_become_redirect_pages() {
    let site = bilingual();
    let html = read(&site.output, "lama/tentang/index.html");
    assert!(is_redirect(&html), "{html}");
    assert!(
        html.contains("url=/tentang/"),
        "the alias must send the browser to /tentang/:\n{html}"
    );
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = bilingual();
    let out = &site.output;
    assert!(!exists(out, "rahasia/index.html"));
    for file in common::list_files(out) {
        let bytes = std::fs::read(out.join(&file)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("rahasia"),
            "{file} mentions the draft"
        );
    }

    let with_drafts = build_fixture(BILINGUAL, |o| o.drafts = true);
    let html = read(&with_drafts.output, "rahasia/index.html");
    assert!(html.contains("Rahasia"));
}

/// The one stylesheet of the default theme, as linked from `html`.
fn stylesheet(html: &str) -> String {
    common::links_in(html)
        .into_iter()
        .find(|l| l.starts_with("/css/site.") && l.ends_with(".css"))
        .unwrap_or_else(|| panic!("no stylesheet link in:\n{html}"))
}

#[test]
fn assets_get_content_hashed_names() {
    let site = bilingual();
    let out = &site.output;
    let css = stylesheet(&read(out, "index.html"));
    let hash = css
        .trim_start_matches("/css/site.")
        .trim_end_matches(".css");
    assert!(
        hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "`{css}` has no content hash"
    );
    assert!(exists(out, css.trim_start_matches('/')));
    assert!(!exists(out, "css/site.css"));
    for page in ["en/index.html", "berita/page/2/index.html", "404.html"] {
        assert_eq!(stylesheet(&read(out, page)), css, "{page}");
    }

    // Changing the stylesheet (a site override) changes its name.
    let copy = common::copy_fixture(BILINGUAL);
    std::fs::create_dir_all(copy.root.join("assets/css")).unwrap();
    std::fs::write(
        copy.root.join("assets/css/site.css"),
        "body { color: #123456; }\n",
    )
    .unwrap();
    assert_clean(&build_into(&copy.root, &copy.output()));
    let changed = stylesheet(&read(&copy.output(), "index.html"));
    assert_ne!(changed, css);
    assert_eq!(
        std::fs::read_to_string(copy.output().join(changed.trim_start_matches('/'))).unwrap(),
        "body { color: #123456; }\n"
    );
    assert!(!exists(&copy.output(), css.trim_start_matches('/')));
}

#[test]
fn every_link_resolves_and_carries_the_base_path() {
    let portal = "https://example.org/portal/";
    let site = build_fixture(BILINGUAL, |o| o.base_url = Some(portal.into()));
    let out = &site.output;
    let problems = broken_links(out, portal);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The checker did see links under the base path.
    let home = read(out, "index.html");
    assert!(home.contains("href=\"/portal/berita/\""), "{home}");
    let guide = read(out, "en/panduan/index.html");
    assert!(guide.contains("href=\"/portal/en/berita/berita-01/#latar-belakang\""));
    assert!(guide.contains("href=\"/portal/tentang/\""));
    let alias = read(out, "lama/tentang/index.html");
    assert!(alias.contains("url=/portal/tentang/"), "{alias}");

    // And at the root of a host.
    let root = bilingual();
    let problems = broken_links(&root.output, BASE_URL);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checker above must itself notice what it is there to notice.
#[test]
fn the_link_checker_notices_broken_links() {
    let site = bilingual();
    let out = &site.output;
    std::fs::remove_file(out.join("tentang/index.html")).unwrap();
    let english = read(out, "en/berita/berita-01/index.html");
    std::fs::write(
        out.join("en/berita/berita-01/index.html"),
        english.replace("id=\"latar-belakang\"", "id=\"lain\""),
    )
    .unwrap();
    let problems = broken_links(out, BASE_URL);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("panduan/index.html: link `/tentang/` leads to no file")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with(
            "en/panduan/index.html: link `/en/berita/berita-01/#latar-belakang` names"
        )),
        "{problems:#?}"
    );
    let problems = broken_links(out, "https://example.org/portal/");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("does not start with the base path `/portal/`")),
        "{problems:#?}"
    );
}

#[test]
fn no_template_tags_are_left_in_the_output() {
    let site = bilingual();
    let left = common::files_with_template_tags(&site.output);
    assert!(left.is_empty(), "unfilled template tags in {left:?}");
}

#[test]
fn a_failed_build_leaves_the_previous_site_untouched() {
    let copy = common::copy_fixture(BILINGUAL);
    let output = copy.output();
    assert_clean(&build_into(&copy.root, &output));
    let before = common::hash_tree(&output);
    assert!(before.len() > 50);

    std::fs::write(
        copy.root.join("content/panduan.md"),
        "---\ntitle: Panduan\ndate: 2025-13-01\n---\n\nRusak.\n",
    )
    .unwrap();
    let outcome = build_into(&copy.root, &output);
    assert!(!outcome.succeeded());
    let report = outcome.diagnostics.report();
    assert!(
        report.contains("content/panduan.md:3: `date` value `2025-13-01` is not a valid date"),
        "{report}"
    );
    assert_eq!(common::hash_tree(&output), before);
    // No half-written folder is left beside the site.
    let beside = || -> Vec<String> {
        std::fs::read_dir(&copy.root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("kaca"))
            .collect()
    };
    assert!(beside().is_empty(), "{:?}", beside());

    // A template that fails while rendering also keeps the old site.
    std::fs::write(
        copy.root.join("content/panduan.md"),
        "---\ntitle: Panduan\n---\n\nBaik lagi.\n",
    )
    .unwrap();
    std::fs::create_dir_all(copy.root.join("templates")).unwrap();
    std::fs::write(
        copy.root.join("templates/page.html"),
        "{{ page.tidak_ada }}\n",
    )
    .unwrap();
    assert!(!build_into(&copy.root, &output).succeeded());
    assert_eq!(common::hash_tree(&output), before);
    // The pages rendered before the failure were written into the new
    // folder as they were made; it is gone.
    assert!(beside().is_empty(), "{:?}", beside());
    // So are the folders made to hold a new output folder; the ones that
    // were there stay.
    std::fs::create_dir(copy.root.join("baru")).unwrap();
    let nested = copy.root.join("baru/sekali/public");
    assert!(!build_into(&copy.root, &nested).succeeded());
    assert!(copy.root.join("baru").is_dir());
    assert!(!copy.root.join("baru/sekali").exists());
}

#[test]
fn refuses_to_replace_a_folder_it_did_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("documents");
    std::fs::create_dir_all(output.join("letters")).unwrap();
    std::fs::write(output.join("precious.txt"), "keep me").unwrap();
    std::fs::write(output.join("letters/one.txt"), "and me").unwrap();
    let before = common::hash_tree(&output);

    let outcome = build_into(&common::fixture(BILINGUAL), &output);
    assert!(!outcome.succeeded());
    let report = outcome.diagnostics.report();
    assert!(report.contains("refusing to replace"), "{report}");
    assert!(report.contains(".kaca-output"), "{report}");
    assert_eq!(common::hash_tree(&output), before);

    // Nor is a file replaced by a folder.
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "a file").unwrap();
    let outcome = build_into(&common::fixture(BILINGUAL), &file);
    assert!(!outcome.succeeded());
    assert!(outcome.diagnostics.report().contains("refusing"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a file");

    // An empty folder is fine, and gets the marker.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_clean(&build_into(&common::fixture(BILINGUAL), &empty));
    assert!(empty.join(".kaca-output").is_file());
    // Then it is kaca's, and may be replaced.
    assert_clean(&build_into(&common::fixture(BILINGUAL), &empty));
}

#[test]
fn refuses_output_folders_that_would_destroy_the_project() {
    let copy = common::copy_fixture(BILINGUAL);
    let before = common::hash_tree(copy.dir.path());
    let cases = [
        (PathBuf::from("."), "project folder"),
        (copy.root.clone(), "project folder"),
        (PathBuf::from(".."), "project folder"),
        (PathBuf::from("content/public"), "content/"),
        (PathBuf::from("content"), "content/"),
        (copy.root.join("content/../content/x"), "content/"),
        (PathBuf::from("data/site"), "data/"),
        (PathBuf::from("themes/public"), "themes/"),
        (PathBuf::from("/"), "root of the file system"),
    ];
    for (output, reason) in cases {
        let outcome = build_into(&copy.root, &output);
        let report = outcome.diagnostics.report();
        assert!(!outcome.succeeded(), "output {output:?} was accepted");
        assert!(
            report.contains("refusing") && report.contains(reason),
            "output {output:?}: {report}"
        );
        assert_eq!(
            common::hash_tree(copy.dir.path()),
            before,
            "output {output:?} changed files"
        );
    }
    assert!(!copy.root.join("content/public").exists());
    assert!(!copy.root.join("data").exists());
    assert!(!copy.root.join("themes").exists());
}

#[test]
fn two_builds_of_the_same_input_are_identical() {
    let first = bilingual();
    let second = bilingual();
    let a = common::hash_tree(&first.output);
    let b = common::hash_tree(&second.output);
    assert!(a.len() > 50);
    assert_eq!(a, b);
}

#[test]
fn check_writes_nothing() {
    let copy = common::copy_fixture(BILINGUAL);
    let before = common::hash_tree(copy.dir.path());
    let outcome = common::check(&copy.root);
    assert_clean(&outcome);
    let summary = outcome.summary.expect("a summary");
    assert!(summary.output.is_none());
    assert!(summary.files > 50);
    assert!(!copy.output().exists());
    assert_eq!(common::hash_tree(copy.dir.path()), before);
    let entries: Vec<_> = std::fs::read_dir(copy.dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the site folder itself");
}

#[test]
fn the_example_portal_builds_cleanly_with_every_link_working() {
    let repository = common::repository();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    let outcome = build_into(&repository, &output);
    assert_clean(&outcome);
    let site_toml = std::fs::read_to_string(repository.join("site.toml")).unwrap();
    let base_url = site_toml
        .lines()
        .find_map(|l| l.strip_prefix("base_url = "))
        .map(|v| v.trim().trim_matches('"').to_string())
        .expect("base_url in site.toml");

    // Each programme has a page in both languages.
    let programmes: Vec<String> = std::fs::read_dir(repository.join("content/program"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md") && !name.starts_with('_') && !name.ends_with(".en.md"))
        .map(|name| name.trim_end_matches(".md").to_string())
        .collect();
    assert_eq!(programmes.len(), 11, "{programmes:?}");
    for programme in &programmes {
        let id = read(&output, &format!("program/{programme}/index.html"));
        assert_eq!(html_lang(&id), "id", "{programme}");
        let en = read(&output, &format!("en/program/{programme}/index.html"));
        assert_eq!(html_lang(&en), "en", "{programme}");
    }

    // At least twelve announcements in each language.
    for prefix in ["pengumuman/", "en/pengumuman/"] {
        let count = common::list_files(&output)
            .iter()
            .filter(|f| {
                f.strip_prefix(prefix).is_some_and(|rest| {
                    rest.ends_with("/index.html")
                        && rest.matches('/').count() == 1
                        && !rest.starts_with("page/")
                })
            })
            .count();
        assert!(count >= 12, "{prefix}: only {count} announcements");
    }

    let problems = broken_links(&output, &base_url);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let left = common::files_with_template_tags(&output);
    assert!(left.is_empty(), "unfilled template tags in {left:?}");
}

#[test]
fn a_new_portal_builds_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("portal-baru");
    kaca::scaffold::create(&root).expect("kaca new");
    let outcome = kaca::build(&BuildOptions::new(&root));
    assert_clean(&outcome);
    let output = root.join("public");
    assert_eq!(html_lang(&read(&output, "index.html")), "id");
    assert_eq!(html_lang(&read(&output, "en/index.html")), "en");
    let problems = broken_links(&output, "https://example.org/portal-baru/");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // `kaca new` never writes into a folder that has files.
    assert!(kaca::scaffold::create(&root).is_err());
}

#[test]
fn zola_style_content_builds_with_its_taxonomies() {
    let site = build_fixture("good/zola", |_| {});
    let out = &site.output;
    let posts = common::fixture("good/zola/content/posts");
    let mut by_program: std::collections::BTreeMap<String, Vec<(String, String)>> =
        Default::default();
    for entry in std::fs::read_dir(&posts).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('_') {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let slug = name.trim_end_matches(".md").to_string();
        let (date_key, program_key) = if text.starts_with("+++") {
            ("date = ", "program = ")
        } else {
            ("date: ", "program: ")
        };
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim_matches(['[', ']', '"', ' ']).to_string())
                .unwrap_or_else(|| panic!("{name}: no `{key}`"))
        };
        let date = field(date_key);
        let program = field(program_key);
        assert!(exists(out, &format!("posts/{slug}/index.html")), "{slug}");
        by_program.entry(program).or_default().push((date, slug));
    }
    assert!(by_program.values().any(|pages| pages.len() > 1));
    for (program, mut pages) in by_program {
        pages.sort();
        pages.reverse();
        let expected: Vec<String> = pages
            .iter()
            .map(|(_, slug)| format!("/posts/{slug}/"))
            .collect();
        let term = format!("program/{}/index.html", slug::slugify(&program));
        let html = read(out, &term);
        assert_eq!(listed(&html, &["/posts/"]), expected, "{term}");
        assert!(html.contains(&program), "{term} does not name {program}");
    }
    // Without UI strings for `program`, the theme shows the name.
    let list = read(out, "program/index.html");
    assert!(list.contains("<h1>Program</h1>"), "{list}");
    assert!(exists(out, "posts/index.html"));
    assert!(exists(out, "tags/evaluasi/index.html"));
    let toml_page = read(out, "posts/00005-front-matter-toml/index.html");
    assert!(toml_page.contains("Pengumuman dengan front matter TOML"));
    assert!(toml_page.contains("<td>Pendaftaran</td>"));
    let problems = broken_links(out, BASE_URL);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Replaces content-hashed asset names (`site.5b7e1b2ed9.css`) by a fixed
/// text, so snapshots change only when the HTML does.
fn without_asset_hashes(html: &str, output: &Path) -> String {
    let mut html = html.to_string();
    for file in common::list_files(output) {
        let name = file.rsplit('/').next().unwrap();
        let parts: Vec<&str> = name.split('.').collect();
        if let [stem, hash, extension] = parts[..]
            && hash.len() >= 8
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
        {
            html = html.replace(name, &format!("{stem}.[hash].{extension}"));
        }
    }
    html
}

#[test]
fn snapshot_of_a_small_page() {
    let site = bilingual();
    let html = read(&site.output, "tentang/index.html");
    insta::assert_snapshot!("small_page", without_asset_hashes(&html, &site.output));
}

#[test]
fn snapshot_of_markdown_features() {
    let site = bilingual();
    let html = read(&site.output, "panduan/index.html");
    insta::assert_snapshot!(
        "markdown_features",
        between(&html, "<article", "</article>")
    );
}

#[test]
fn relative_links_to_files_work_from_every_language() {
    let site = bilingual();
    let out = &site.output;
    // Written `unduhan/jadwal-layanan.txt` in content/panduan.en.md: relative
    // to /en/panduan/ it would miss; kaca writes the file's real address.
    let english = read(out, "en/panduan/index.html");
    assert!(
        english.contains(r#"href="/unduhan/jadwal-layanan.txt""#),
        "{}",
        between(&english, "<main", "</main>")
    );
    assert_eq!(
        read(out, "unduhan/jadwal-layanan.txt"),
        "Senin-Jumat 08.00-16.00 WITA\n"
    );
}

#[test]
fn a_site_overrides_theme_templates_and_adds_ui_strings() {
    let copy = common::copy_fixture(BILINGUAL);
    std::fs::create_dir_all(copy.root.join("templates")).unwrap();
    std::fs::write(
        copy.root.join("templates/page.html"),
        "{% extends \"base.html\" %}{% block main %}<p class=\"khusus\">{{ t(\"sapaan\") }}: {{ page.title }}</p>{% endblock %}\n",
    )
    .unwrap();
    std::fs::create_dir_all(copy.root.join("i18n")).unwrap();
    std::fs::write(copy.root.join("i18n/id.toml"), "sapaan = \"Halo\"\n").unwrap();
    std::fs::write(copy.root.join("i18n/en.toml"), "sapaan = \"Hello\"\n").unwrap();
    assert_clean(&build_into(&copy.root, &copy.output()));

    let page = read(&copy.output(), "panduan/index.html");
    assert!(
        page.contains(r#"<p class="khusus">Halo: Panduan</p>"#),
        "{page}"
    );
    // The theme's base template and its own strings are still used.
    assert!(page.contains("Langsung ke isi"), "{page}");
    let english = read(&copy.output(), "en/panduan/index.html");
    assert!(english.contains(r#"<p class="khusus">Hello: Guide</p>"#));
    // Sections still use the theme's template.
    assert!(!read(&copy.output(), "berita/index.html").contains("khusus"));
}

/// Every number shown on a page is in the figure register, and every
/// register entry is shown on at least one page, with the right pages; and
/// each entry's anchor exists on one of them.
fn assert_register_matches_pages(out: &Path) -> Vec<serde_json::Value> {
    let register: serde_json::Value =
        serde_json::from_str(&read(out, "data/figures.json")).unwrap();
    let entries = register["figures"].as_array().unwrap().clone();
    let mut listed = std::collections::BTreeMap::new();
    for entry in &entries {
        let pages: std::collections::BTreeSet<String> = entry["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        assert!(!pages.is_empty(), "{} is shown nowhere", entry["id"]);
        let anchor = format!("id=\"{}\"", entry["anchor"].as_str().unwrap());
        assert!(
            pages.iter().any(|page| read(
                out,
                &format!("{}index.html", page.trim_start_matches('/'))
            )
            .contains(&anchor)),
            "{} has no anchor {anchor} on its pages",
            entry["id"]
        );
        listed.insert(entry["id"].as_str().unwrap().to_string(), pages);
    }
    // Read every HTML page independently of kaca's own scan.
    let mut shown: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for file in common::list_files(out) {
        if !file.ends_with(".html") {
            continue;
        }
        let html = read(out, &file);
        let page = format!("/{}", file.trim_end_matches("index.html"));
        for part in html.split("data-figure=\"").skip(1) {
            let id = part.split('"').next().unwrap().to_string();
            shown.entry(id).or_default().insert(page.clone());
        }
    }
    assert_eq!(shown, listed);
    entries
}

#[test]
fn figure_register_and_pages_agree() {
    let site = build_fixture("good/data", |_| {});
    let out = &site.output;
    let entries = assert_register_matches_pages(out);
    // The headline figure, with the number a reader sees.
    let peserta = entries.iter().find(|e| e["id"] == "peserta").unwrap();
    assert_eq!(peserta["value"], 4);
    assert_eq!(peserta["kind"], "computed");
    assert!(
        peserta["input_sha256"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let page = read(out, "program/pelatihan/index.html");
    assert!(page.contains(r#"<data value="4" data-figure="peserta">4</data> orang"#));
    let english = read(out, "en/program/pelatihan/index.html");
    assert!(
        english.contains("<th scope=\"row\">August 2025</th>"),
        "months in English"
    );
    // A reported figure carries its source and its reconciliation.
    let reported = entries
        .iter()
        .find(|e| e["id"] == "peserta-dilaporkan")
        .unwrap();
    assert_eq!(reported["source"]["publication"], "Contoh Berita");
    assert_eq!(reported["reconciliation"]["agrees"], true);
    // Indonesian numbers in the data were read with their declared separators.
    let mean = entries
        .iter()
        .find(|e| e["id"] == "biaya-rata-rata")
        .unwrap();
    // The mean of the three values present (one is empty): 3,600,000.5 / 3.
    let mean = mean["value"].as_f64().unwrap();
    assert!((mean - 1_200_000.166_666_7).abs() < 0.001, "{mean}");
    assert!(read(out, "data/figures.csv").starts_with("id,kind,value,"));
}

#[test]
fn figures_and_tables_are_placed_in_text_by_id() {
    let site = build_fixture("good/data", |_| {});
    let out = &site.output;
    let page = read(out, "program/pelatihan/index.html");
    let text = between(&page, "<div class=\"prose\">", "</div>");
    assert!(
        text.contains(r#"diikuti <a class="inline-figure" href="/program/pelatihan/#angka-peserta" title="Peserta pelatihan"><data value="4" data-figure="peserta">4</data> orang</a>"#),
        "{text}"
    );
    assert!(text.contains("<data value=\"50\" data-figure=\"persen-perempuan\">50%</data>"));
    // The placed table is a real table, not inside a paragraph, and does
    // not repeat the anchor of the statistics section.
    assert!(page.contains("<caption>Peserta per bulan"));
    assert_eq!(page.matches(r#"id="tabel-peserta-per-bulan""#).count(), 1);
    assert!(!page.contains("kaca-stat"));
    let english = read(out, "en/program/pelatihan/index.html");
    assert!(english.contains(r#"had <a class="inline-figure" href="/en/program/pelatihan/#angka-peserta" title="Trainees"><data value="4" data-figure="peserta">4</data> people</a>;"#));
    // Percentages and money in each language's pattern, from CLDR.
    assert!(english.contains("<data value=\"50\" data-figure=\"persen-perempuan\">50%</data>"));
    assert!(
        text.contains(
            "<data value=\"1500000\" data-figure=\"biaya-per-peserta\">Rp\u{a0}1.500.000</data>"
        ),
        "{text}"
    );
    assert!(
        english.contains(
            "<data value=\"1500000\" data-figure=\"biaya-per-peserta\">IDR\u{a0}1,500,000</data>"
        ),
        "{english}"
    );
}

/// The example portal reproduces every published total of the sources
/// (shared/facts.md) from its synthetic data, and each reported figure
/// reconciles with the one computed from data.
#[test]
fn example_portal_reproduces_the_published_totals() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    assert_clean(&build_into(&common::repository(), &output));
    let register: serde_json::Value =
        serde_json::from_str(&read(&output, "data/figures.json")).unwrap();
    let figures = register["figures"].as_array().unwrap();
    let value = |id: &str| -> f64 {
        let figure = figures
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no figure `{id}`"));
        assert_eq!(figure["kind"], "computed", "{id} must come from data");
        figure["value"].as_f64().unwrap()
    };
    assert_eq!(value("subsidi-iuran-penerima"), 7140.0);
    assert_eq!(value("subsidi-iuran-jumlah-pekerjaan"), 6.0);
    assert_eq!(value("kuota-gratis"), 7100.0);
    assert_eq!(value("kuota-tambahan-pemprov"), 12000.0);
    assert_eq!(value("cakupan-balikpapan"), 65.0);
    assert_eq!(value("cakupan-kaltim-daerah-penuh"), 2.0);
    assert_eq!(value("bursa-kerja-perusahaan"), 102.0);
    assert!(value("bursa-kerja-lowongan") > 1700.0);
    assert_eq!(value("pelatihan-jenis"), 6.0);
    assert_eq!(value("pelatihan-peserta"), 68.0);
    assert_eq!(value("pemagangan-perusahaan"), 3.0);
    assert_eq!(value("pemagangan-peserta"), 19.0);
    assert_eq!(value("kaki-palsu-penerima"), 13.0);
    assert_eq!(value("sembako-lansia-penerima"), 80.0);
    assert_eq!(value("sembako-lansia-bulan"), 12.0);

    let mut reconciled = 0;
    for figure in figures {
        if let Some(reconciliation) = figure["reconciliation"].as_object() {
            assert_eq!(reconciliation["agrees"], true, "{}", figure["id"]);
            reconciled += 1;
        }
    }
    assert!(
        reconciled >= 10,
        "only {reconciled} reported figures were reconciled"
    );

    // The published package describes its files truthfully.
    let package: serde_json::Value =
        serde_json::from_str(&read(&output, "data/datapackage.json")).unwrap();
    for resource in package["resources"].as_array().unwrap() {
        let path = format!("data/{}", resource["path"].as_str().unwrap());
        let bytes = std::fs::read(output.join(&path)).unwrap();
        assert_eq!(
            resource["bytes"].as_u64().unwrap(),
            bytes.len() as u64,
            "{path}"
        );
        assert_eq!(
            resource["hash"].as_str().unwrap(),
            format!("sha256:{}", common::sha256_hex(&bytes)),
            "{path}"
        );
        assert_ne!(
            resource["persons"], true,
            "person-level rows published: {path}"
        );
    }
    // Every number on the example portal is in the register, and back.
    let entries = assert_register_matches_pages(&output);
    assert!(
        entries.len() > 250,
        "only {} numbers registered",
        entries.len()
    );

    // Person-level data is offered as aggregates only.
    assert!(!exists(&output, "data/subsidi_iuran_penerima.csv"));
    assert!(exists(&output, "data/subsidi_iuran_penerima/index.html"));
}

#[test]
fn templates_place_statistics_by_id() {
    let site = build_fixture("good/data", |_| {});
    let home = read(&site.output, "index.html");
    assert!(
        home.contains(r#"<p class="home-figure">Peserta pelatihan: <a class="inline-figure" href="/program/pelatihan/#angka-peserta""#),
        "{}",
        between(&home, "<main", "</main>")
    );
    assert!(home.contains("<caption>Peserta per jenis pelatihan dan jenis kelamin"));
    let english = read(&site.output, "en/index.html");
    assert!(english.contains(r#"<p class="home-figure">Trainees: <a class="inline-figure" href="/en/program/pelatihan/#angka-peserta""#));
}

#[test]
fn progress_against_a_target_is_drawn_and_said() {
    let site = build_fixture("good/data", |_| {});
    let page = read(&site.output, "program/pelatihan/index.html");
    let card = between(&page, r#"id="angka-peserta-terhadap-target""#, "</div>\n");
    assert!(
        card.contains(r#"<data value="80" data-figure="peserta-terhadap-target">80%</data>"#),
        "{card}"
    );
    assert!(card.contains("<desc id=\"kemajuan-peserta-terhadap-target-isi\">4 orang dari target 5 orang (80%)</desc>"), "{card}");
    let parts = between(&page, r#"<p class="progress-parts">"#, "</p>");
    assert!(
        parts.contains(r#"data-figure="peserta""#)
            && parts.contains(r#"data-figure="target-peserta""#),
        "{parts}"
    );
    let english = read(&site.output, "en/program/pelatihan/index.html");
    assert!(english.contains("4 people of the 5 people target (80%)"));
}

#[test]
fn identifier_fields_are_never_published() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    assert_clean(&build_into(&common::repository(), &output));
    // `id_perusahaan` is declared an identifier in the example package.
    let csv = read(&output, "data/bursa_kerja_perusahaan.csv");
    assert!(
        csv.starts_with("sektor,lowongan,bulan\r\n"),
        "{}",
        &csv[..60]
    );
    assert!(!csv.contains("PRS-"));
    assert!(!read(&output, "data/bursa_kerja_perusahaan.json").contains("id_perusahaan"));
    let package = read(&output, "data/datapackage.json");
    assert!(!package.contains("\"id_perusahaan\""));
    // The data dictionary still explains the column, and says so.
    let page = read(&output, "data/bursa_kerja_perusahaan/index.html");
    assert!(page.contains("<code>id_perusahaan</code>"));
    assert!(page.contains("Pengenal: tidak pernah diterbitkan atau ditampilkan."));
}

/// The example portal's thin data (13 prosthetic-leg recipients over six
/// districts) is hidden everywhere it could show, and no published table
/// leaves a single hidden number in a row or column.
#[test]
fn example_portal_hides_small_groups_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    assert_clean(&build_into(&common::repository(), &output));

    // True counts, from the synthetic data itself.
    let data =
        std::fs::read_to_string(common::repository().join("data/kaki_palsu_penerima.csv")).unwrap();
    let header: Vec<&str> = data.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "kecamatan").unwrap();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for line in data.lines().skip(1) {
        *counts
            .entry(line.split(',').nth(column).unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        counts.values().all(|n| *n < 10),
        "the fixture data is thin: {counts:?}"
    );

    let page = read(&output, "program/bantuan-kaki-palsu/index.html");
    let svg = read(&output, "data/charts/kaki-palsu-per-kecamatan.svg");
    let chart_csv = read(&output, "data/charts/kaki-palsu-per-kecamatan.csv");
    for (kecamatan, n) in &counts {
        let id = format!("kaki-palsu-per-kecamatan--{}", slug::slugify(kecamatan));
        assert!(
            page.contains(&format!(r#"data-figure="{id}" data-hidden="small""#)),
            "{id} not hidden"
        );
        assert!(
            !page.contains(&format!(r#"data-figure="{id}">{n}<"#)),
            "{id} shows its count"
        );
        assert!(
            !svg.contains(&format!("{kecamatan}: {n}")),
            "chart says {kecamatan}: {n}"
        );
        assert!(
            chart_csv.contains(&format!("{kecamatan},hidden:small")),
            "{chart_csv}"
        );
    }
    assert!(svg.contains("Balikpapan Barat: &lt;10"));

    // From the register: hidden numbers have no value, and no row or
    // column of any table holds exactly one hidden number.
    let register: serde_json::Value =
        serde_json::from_str(&read(&output, "data/figures.json")).unwrap();
    let entries: Vec<&serde_json::Value> = register["figures"].as_array().unwrap().iter().collect();
    for entry in &entries {
        if !entry["hidden"].is_null() {
            assert!(entry["value"].is_null(), "{} has a value", entry["id"]);
        }
    }
    common::assert_no_line_has_one_hidden_number(
        &register["figures"].as_array().unwrap().clone(),
        40,
    );
}

/// The `<loc>` addresses of a sitemap, or the `<link rel="alternate">` of
/// each feed entry, in document order.
fn xml_values(xml: &str, open: &str, close: &str) -> Vec<String> {
    xml.split(open)
        .skip(1)
        .filter_map(|rest| rest.split(close).next())
        .map(str::to_string)
        .collect()
}

fn entry_links(feed: &str) -> Vec<String> {
    feed.split("<entry>")
        .skip(1)
        .filter_map(|entry| {
            xml_values(
                entry,
                "<link rel=\"alternate\" type=\"text/html\" href=\"",
                "\"",
            )
            .into_iter()
            .next()
        })
        .collect()
}

#[test]
fn sitemap_lists_every_published_page_but_not_drafts_redirects_or_the_404() {
    let site = bilingual();
    let sitemap = read(&site.output, "sitemap.xml");
    let addresses = xml_values(&sitemap, "<loc>", "</loc>");
    for expected in [
        "",
        "en/",
        "tentang/",
        "berita/berita-25/",
        "en/berita/berita-25/",
        "program/bursa-kerja/",
    ] {
        let address = format!("{BASE_URL}{expected}");
        assert!(
            addresses.contains(&address),
            "{address} missing from the sitemap"
        );
    }
    for absent in ["rahasia", "lama/tentang", "404"] {
        assert!(
            !addresses.iter().any(|a| a.contains(absent)),
            "the sitemap lists {absent}: {addresses:?}"
        );
    }
    let robots = read(&site.output, "robots.txt");
    assert!(
        robots.contains(&format!("Sitemap: {BASE_URL}sitemap.xml")),
        "{robots}"
    );
}

#[test]
fn feeds_list_the_newest_pages_of_their_language_and_programme() {
    let site = bilingual();
    let indonesian = entry_links(&read(&site.output, "atom.xml"));
    assert_eq!(indonesian.len(), 20, "a feed carries the 20 newest pages");
    // The guide (1 February) is newer than every news item (January), and
    // the news follow newest first, down to the twentieth page of the
    // language's 26 dated ones (chosen from all of them, not sorted whole).
    let newest: Vec<String> = std::iter::once(format!("{BASE_URL}panduan/"))
        .chain(
            (7..=25)
                .rev()
                .map(|n| format!("{BASE_URL}berita/berita-{n:02}/")),
        )
        .collect();
    assert_eq!(indonesian, newest);
    assert!(
        indonesian
            .iter()
            .all(|link| !link.starts_with(&format!("{BASE_URL}en/")))
    );

    let english = entry_links(&read(&site.output, "en/atom.xml"));
    assert_eq!(english[0], format!("{BASE_URL}en/panduan/"));
    assert_eq!(english[1], format!("{BASE_URL}en/berita/berita-25/"));
    assert!(
        english
            .iter()
            .all(|link| link.starts_with(&format!("{BASE_URL}en/")))
    );

    let programme = read(&site.output, "programs/bursa-kerja/atom.xml");
    let links = entry_links(&programme);
    assert!(!links.is_empty());
    for link in &links {
        let path = link.trim_start_matches(BASE_URL);
        let page = read(&site.output, &format!("{path}index.html"));
        assert!(
            page.contains("Bursa Kerja"),
            "{link} is in the Bursa Kerja feed but not tagged so"
        );
    }
    let home = read(&site.output, "index.html");
    assert!(
        home.contains(r#"type="application/atom+xml""#) && home.contains(r#"href="/atom.xml""#)
    );
}

#[test]
fn a_sites_own_robots_txt_replaces_the_generated_one() {
    let copy = common::copy_fixture(BILINGUAL);
    let own = "User-agent: *\nDisallow: /unduhan/\n";
    std::fs::create_dir_all(copy.root.join("static")).expect("static folder");
    std::fs::write(copy.root.join("static/robots.txt"), own).expect("robots.txt");
    let output = copy.output();
    assert_clean(&build_into(&copy.root, &output));
    assert_eq!(read(&output, "robots.txt"), own);
}

#[test]
fn sitemaps_and_feeds_are_well_formed_xml() {
    let site = bilingual();
    let xml_files: Vec<String> = common::list_files(&site.output)
        .into_iter()
        .filter(|name| name.ends_with(".xml"))
        .collect();
    assert!(
        xml_files.len() >= 4,
        "sitemap and feeds expected: {xml_files:?}"
    );
    for name in xml_files {
        let text = read(&site.output, &name);
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut depth = 0_i32;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => break,
                // A stray `&` is only noticed when the text is unescaped.
                Ok(quick_xml::events::Event::Text(text)) => {
                    let decoded = text.decode().expect("UTF-8 text");
                    if let Err(error) = quick_xml::escape::unescape(&decoded) {
                        panic!("{name} has a bad escape: {error}");
                    }
                }
                Ok(_) => {}
                Err(error) => panic!("{name} is not well-formed XML: {error}"),
            }
        }
        assert_eq!(depth, 0, "{name} leaves elements open");
    }
}

#[test]
fn a_third_language_needs_only_strings_and_content() {
    let copy = common::copy_fixture(BILINGUAL);
    let config = copy.root.join("site.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml = toml.replacen(
        "[[taxonomies]]",
        "[languages.ms]\nname = \"Bahasa Melayu\"\nlocale = \"ms\"\ntitle = \"Portal Ujian\"\ndescription = \"Portal ujian untuk kaca.\"\n\n[[taxonomies]]",
        1,
    );
    std::fs::write(&config, toml).unwrap();
    // Its UI strings: every key of the theme, here the Indonesian ones
    // marked so that the test sees which file they came from.
    let theme_strings =
        std::fs::read_to_string(common::repository().join("themes/default/i18n/id.toml")).unwrap();
    let malay: String = theme_strings
        .lines()
        .map(|line| match line.split_once(" = \"") {
            Some((key, value)) => format!("{key} = \"[ms] {value}\n"),
            None => format!("{line}\n"),
        })
        .collect();
    std::fs::create_dir_all(copy.root.join("i18n")).unwrap();
    std::fs::write(copy.root.join("i18n/ms.toml"), &malay).unwrap();
    std::fs::write(
        copy.root.join("content/panduan.ms.md"),
        "---\ntitle: Panduan Portal\ndate: 2025-08-01\n---\n\nCara menggunakan portal ini.\n",
    )
    .unwrap();
    std::fs::write(
        copy.root.join("content/_index.ms.md"),
        "---\ntitle: Portal Ujian\n---\n",
    )
    .unwrap();
    let output = copy.output();
    assert_clean(&build_into(&copy.root, &output));

    let page = read(&output, "ms/panduan/index.html");
    assert_eq!(html_lang(&page), "ms");
    assert!(page.contains("[ms] Langsung ke isi"), "{page}");
    // Dates in Malay, through the locale library (Indonesian says Agustus).
    assert!(page.contains(">1 Ogos 2025</time>"), "{page}");
    // Every language links to the others.
    assert!(page.contains("hreflang=\"id\" href=\"https://example.org/panduan/\""));
    assert!(page.contains("hreflang=\"en\" href=\"https://example.org/en/panduan/\""));
    let indonesian = read(&output, "panduan/index.html");
    assert!(indonesian.contains("hreflang=\"ms\" href=\"https://example.org/ms/panduan/\""));
    assert!(indonesian.contains("<meta property=\"og:locale:alternate\" content=\"ms_MY\">"));
    // Its own search page, feed and index.
    assert!(exists(&output, "ms/cari/index.html"));
    assert!(exists(&output, "ms/atom.xml"));
    let entry = read(&output, "pagefind/pagefind-entry.json");
    assert!(entry.contains("\"ms\""), "{entry}");
}

#[test]
fn a_page_with_a_huge_line_and_a_huge_table_builds() {
    let copy = common::copy_fixture(BILINGUAL);
    // One 4 MB line of prose, and a table of 20,000 rows.
    let line = "kata ".repeat(800_000);
    let mut table = String::from("| No | Nama |\n|---|---|\n");
    for number in 0..20_000 {
        table.push_str(&format!("| {number} | Baris {number} |\n"));
    }
    std::fs::write(
        copy.root.join("content/panjang.md"),
        format!("---\ntitle: Panjang\n---\n\n{line}\n\n{table}"),
    )
    .unwrap();
    let output = copy.output();
    assert_clean(&build_into(&copy.root, &output));
    let html = read(&output, "panjang/index.html");
    assert!(html.len() > 4_000_000);
    assert!(html.contains("<td>19999</td>"));
}

/// `paginate_reversed` lists a section from its end: the oldest page
/// first, and every page on exactly one pager.
#[test]
fn reversed_pagination_lists_the_section_from_its_end() {
    let copy = common::copy_fixture(BILINGUAL);
    news_front_matter(
        &copy,
        "paginate_by: 10",
        "paginate_by: 10\npaginate_reversed: true",
    );
    let output = copy.dir.path().join("public");
    assert_clean(&build_into(&copy.root, &output));
    let days = |pager: &str| days_in(&output, pager);
    let day_list = |from: u32, to: u32| -> Vec<String> {
        (from..=to).map(|day| format!("{day:02}")).collect()
    };
    assert_eq!(days("berita/index.html"), day_list(1, 10));
    assert_eq!(days("berita/page/2/index.html"), day_list(11, 20));
    assert_eq!(days("berita/page/3/index.html"), day_list(21, 25));
    // Not reversed, the newest page comes first.
    let copy = common::copy_fixture(BILINGUAL);
    let output = copy.dir.path().join("public");
    assert_clean(&build_into(&copy.root, &output));
    let newest: Vec<String> = (16..=25).rev().map(|day| format!("{day:02}")).collect();
    assert_eq!(days_in(&output, "berita/index.html"), newest);
}

/// Replaces `from` with `to` in the front matter of the news section.
fn news_front_matter(copy: &common::Copy, from: &str, to: &str) {
    let index = copy.root.join("content/berita/_index.md");
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(
        text.contains(from),
        "the fixture's news section has no `{from}`"
    );
    std::fs::write(&index, text.replace(from, to)).unwrap();
}

fn days_in(output: &std::path::Path, pager: &str) -> Vec<String> {
    read(output, pager)
        .split("<time datetime=\"2025-01-")
        .skip(1)
        .map(|rest| rest[..2].to_string())
        .collect()
}

/// A long list links to its first and last pages and two on each side of
/// the current one, with gaps between: never to every page of the list on
/// every page (that grows with the square of the pages).
#[test]
fn pagination_links_a_window_of_pages_not_all_of_them() {
    let copy = common::copy_fixture(BILINGUAL);
    news_front_matter(&copy, "paginate_by: 10", "paginate_by: 1");
    let section = copy.root.join("content/berita");
    for day in 1..=24 {
        std::fs::write(
            section.join(format!("2024-03-{day:02}-arsip-{day:02}.md")),
            format!("---\ntitle: Arsip {day}\n---\n\nIsi arsip {day}.\n"),
        )
        .unwrap();
    }
    let output = copy.dir.path().join("public");
    assert_clean(&build_into(&copy.root, &output));
    // page/2/ and on, plus the first page (page/1/ only redirects to it).
    let total = std::fs::read_dir(output.join("berita/page"))
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            name.to_string_lossy().parse::<u32>().is_ok_and(|n| n >= 2)
        })
        .count()
        + 1;
    assert!(total > 30, "{total} pagers");

    let html = read(&output, "berita/page/15/index.html");
    let nav = between(&html, "<nav class=\"pagination\"", "</nav>");
    let numbers: Vec<String> = nav
        .split("<li>")
        .skip(1)
        .filter_map(|item| {
            let text = item
                .split('<')
                .map(|part| part.rsplit('>').next().unwrap_or(""))
                .collect::<String>();
            let text = text.trim().to_string();
            (!text.is_empty()).then_some(text)
        })
        .collect();
    let last = total.to_string();
    let expected = vec![
        "← Sebelumnya",
        "1",
        "…",
        "13",
        "14",
        "15",
        "16",
        "17",
        "…",
        last.as_str(),
        "Berikutnya →",
    ];
    assert_eq!(numbers, expected, "{nav}");
    assert!(nav.contains("aria-current=\"page\">15<"), "{nav}");
    assert!(nav.contains("href=\"/berita/page/13/\""), "{nav}");
    assert!(!nav.contains("href=\"/berita/page/3/\""), "{nav}");

    // Near the start there is no gap before the current page.
    let html = read(&output, "berita/page/2/index.html");
    let nav = between(&html, "<nav class=\"pagination\"", "</nav>");
    assert_eq!(nav.matches("…").count(), 1, "{nav}");
    assert!(nav.contains("href=\"/berita/\""), "{nav}");
    assert!(nav.contains("href=\"/berita/page/4/\""), "{nav}");
}

/// A figure's `share` is the part of all the rows that its filter keeps
/// (it showed 100% whatever the filter).
#[test]
fn a_share_figure_is_its_filters_part_of_all_rows() {
    let copy = common::copy_fixture("good/data");
    let rows = std::fs::read_to_string(copy.root.join("data/peserta.csv")).unwrap();
    let records: Vec<&str> = rows
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let women = records
        .iter()
        .filter(|l| l.split(';').nth(3) == Some("P"))
        .count();
    assert!(women > 0 && women < records.len(), "the fixture changed");
    let mut declarations =
        std::fs::read_to_string(copy.root.join("data/stats/pelatihan.toml")).unwrap();
    declarations.push_str(
        "\n[[figure]]\nid = \"bagian-perempuan\"\nlabel = { id = \"Bagian perempuan\", en = \"Share of women\" }\nresource = \"peserta\"\nmeasure = \"share\"\nfilter = { jenis_kelamin = \"P\" }\n",
    );
    std::fs::write(copy.root.join("data/stats/pelatihan.toml"), declarations).unwrap();
    let output = copy.output();
    assert_clean(&build_into(&copy.root, &output));
    let value = figure_value(&output, "bagian-perempuan").unwrap();
    let expected = women as f64 * 100.0 / records.len() as f64;
    assert!((value - expected).abs() < 1e-9, "{value} ≠ {expected}");
}

/// Range filters keep the rows whose value lies between the bounds, both
/// included: on a number (read with the file's decimal comma) and on a
/// year-month; a missing value is in no range.
#[test]
fn range_filters_count_the_rows_between_their_bounds() {
    let copy = common::copy_fixture("good/data");
    let rows = std::fs::read_to_string(copy.root.join("data/peserta.csv")).unwrap();
    let records: Vec<Vec<&str>> = rows
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(';').collect())
        .collect();
    let cost = |r: &Vec<&str>| -> Option<f64> {
        let text = r[5].trim();
        (!text.is_empty()).then(|| text.replace('.', "").replace(',', ".").parse().unwrap())
    };
    // Bounds on values the fixture holds, so that "included" is tested.
    let between_costs = records
        .iter()
        .filter(|r| cost(r).is_some_and(|c| (900_000.0..=1_500_000.5).contains(&c)))
        .count();
    let from_september = records.iter().filter(|r| r[4] >= "2025-09").count();
    assert!(
        between_costs > 0 && between_costs < records.len(),
        "the fixture changed"
    );
    assert!(
        from_september > 0 && from_september < records.len(),
        "the fixture changed"
    );
    let mut declarations =
        std::fs::read_to_string(copy.root.join("data/stats/pelatihan.toml")).unwrap();
    declarations.push_str(concat!(
        "\n[[figure]]\nid = \"biaya-menengah\"\nlabel = { id = \"Biaya menengah\", en = \"Middle cost\" }\n",
        "resource = \"peserta\"\nmeasure = \"count\"\nfilter = { biaya = { min = \"900000\", max = \"1500000.5\" } }\n",
        "\n[[figure]]\nid = \"sejak-september\"\nlabel = { id = \"Sejak September\", en = \"Since September\" }\n",
        "resource = \"peserta\"\nmeasure = \"count\"\nfilter = { bulan = { min = \"2025-09\" } }\n",
    ));
    std::fs::write(copy.root.join("data/stats/pelatihan.toml"), declarations).unwrap();
    let output = copy.output();
    assert_clean(&build_into(&copy.root, &output));
    assert_eq!(
        figure_value(&output, "biaya-menengah"),
        Some(between_costs as f64)
    );
    assert_eq!(
        figure_value(&output, "sejak-september"),
        Some(from_september as f64)
    );
}

/// A figure's value as the published figure register states it.
fn figure_value(output: &Path, id: &str) -> Option<f64> {
    let register: serde_json::Value =
        serde_json::from_str(&common::read(output, "data/figures.json")).unwrap();
    register["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the register"))["value"]
        .as_f64()
}

/// An announcement may link the build manifest (`/build.json`), which is
/// written after the pages: the link is not reported broken.
#[test]
fn a_link_to_the_build_manifest_is_not_broken() {
    let copy = common::copy_fixture(BILINGUAL);
    let page = copy.root.join("content/berita/berita-07.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        format!("{text}\n\nPeriksa [sumber situs ini](/build.json).\n"),
    )
    .unwrap();
    let output = copy.dir.path().join("public");
    assert_clean(&build_into(&copy.root, &output));
    assert!(read(&output, "build.json").contains("\"outputs\""));
}

/// A content file named like the build manifest would be overwritten by
/// it: the build says so and stops.
#[test]
fn a_file_in_the_manifests_place_is_reported() {
    let copy = common::copy_fixture(BILINGUAL);
    std::fs::write(copy.root.join("content/build.json"), "{}").unwrap();
    let outcome = build_into(&copy.root, &copy.dir.path().join("public"));
    assert!(!outcome.succeeded());
    let report = outcome.diagnostics.report();
    assert!(
        report.contains("`build.json` would be written twice")
            && report.contains("the build manifest"),
        "{report}"
    );
}
