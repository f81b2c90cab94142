//! The search page and its Pagefind index, read back the way the browser
//! reads them: which pages can be found, in which language's index, under
//! which programme filter. (That queries find them, with Indonesian
//! stemming, is checked in a real browser by `scripts/check-site`.)

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use common::{assert_clean, build_into, exists, list_files, read};
use kaca::BuildOptions;

/// One page as Pagefind stored it.
#[derive(Debug)]
struct Indexed {
    language: String,
    title: String,
    content: String,
    programmes: Vec<String>,
}

/// Every page in the search index, by address.
fn search_index(output: &Path) -> BTreeMap<String, Indexed> {
    let mut pages = BTreeMap::new();
    for file in list_files(output) {
        let Some(name) = file.strip_prefix("pagefind/fragment/") else {
            continue;
        };
        let language = name.split('_').next().unwrap().to_string();
        let compressed = std::fs::read(output.join(&file)).unwrap();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut bytes)
            .unwrap();
        let json = bytes
            .strip_prefix(b"pagefind_dcd")
            .expect("Pagefind's fragment signature");
        let fragment: serde_json::Value = serde_json::from_slice(json).unwrap();
        let programmes = fragment["filters"]["program"]
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        pages.insert(
            fragment["url"].as_str().unwrap().to_string(),
            Indexed {
                language,
                title: fragment["meta"]["title"].as_str().unwrap().to_string(),
                content: fragment["content"].as_str().unwrap().to_string(),
                programmes,
            },
        );
    }
    pages
}

/// `program/x/index.html` → `/program/x/`.
fn address(file: &str) -> String {
    format!("/{}", file.strip_suffix("index.html").unwrap())
}

/// The programme links in a page's footer, as a reader sees them.
fn programme_links(html: &str) -> Vec<String> {
    html.split("data-pagefind-filter=\"program\">")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().to_string())
        .collect()
}

#[test]
fn every_announcement_and_programme_page_is_searchable_in_its_language() {
    let repository = common::repository();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    assert_clean(&build_into(&repository, &output));
    let index = search_index(&output);

    let mut expected = 0;
    for file in list_files(&output) {
        let (language, rest) = match file.strip_prefix("en/") {
            Some(rest) => ("en", rest),
            None => ("id", file.as_str()),
        };
        let is_content_page = ["pengumuman/", "program/"].iter().any(|section| {
            rest.strip_prefix(section).is_some_and(|slug| {
                slug.ends_with("/index.html")
                    && slug.matches('/').count() == 1
                    && !slug.starts_with("page/")
            })
        });
        if !is_content_page {
            continue;
        }
        expected += 1;
        let html = read(&output, &file);
        let found = index
            .get(&address(&file))
            .unwrap_or_else(|| panic!("{file} is not in the search index"));
        assert_eq!(
            found.language, language,
            "{file} is in the wrong language's index"
        );
        let h1 = common::between(&html, "<h1>", "</h1>");
        let h1 = common::unescape(&h1["<h1>".len()..h1.len() - "</h1>".len()]);
        assert_eq!(found.title, h1, "{file}");
        // Filled-in figures are searchable too, written as on the page.
        assert!(!found.content.contains("{{"), "{file}: {}", found.content);
        assert_eq!(found.programmes, programme_links(&html), "{file}");
    }
    assert!(expected >= 50, "only {expected} content pages were checked");

    // The lists are for browsing, not results.
    for list in [
        "/pengumuman/",
        "/en/pengumuman/",
        "/program/",
        "/cari/",
        "/",
    ] {
        assert!(
            !index.contains_key(list),
            "{list} should not be a search result"
        );
    }

    // Both languages got their own index with their own stemmer.
    let entry: serde_json::Value =
        serde_json::from_str(&read(&output, "pagefind/pagefind-entry.json")).unwrap();
    for language in ["id", "en"] {
        let meta = &entry["languages"][language];
        assert_eq!(meta["wasm"], language, "{entry}");
        let pages = index.values().filter(|p| p.language == language).count();
        assert_eq!(meta["page_count"], pages, "{entry}");
        assert!(exists(
            &output,
            &format!("pagefind/wasm.{language}.pagefind")
        ));
    }
    assert!(exists(&output, "pagefind/pagefind.js"));
}

#[test]
fn the_search_page_works_without_javascript_by_pointing_to_the_lists() {
    let output = tempfile::tempdir().unwrap();
    let public = output.path().join("public");
    assert_clean(&build_into(&common::fixture("good/bilingual"), &public));
    for (page, lists, message) in [
        (
            "cari/index.html",
            ["/berita/", "/program/", "/programs/"],
            "Pencarian memerlukan JavaScript",
        ),
        (
            "en/cari/index.html",
            ["/en/berita/", "/en/program/", "/en/programs/"],
            "Search needs JavaScript",
        ),
    ] {
        let html = read(&public, page);
        let noscript = common::between(&html, "<noscript>", "</noscript>");
        assert!(noscript.contains(message), "{page}: {noscript}");
        let links = common::links_in_order(&html);
        for list in lists {
            assert!(
                links.iter().any(|l| l == list),
                "{page} does not link {list}"
            );
        }
        // The form needs the script, so it is hidden until the script runs.
        assert!(html.contains("<form class=\"search-form\" role=\"search\""));
        assert!(between_tag(&html, "<form").contains(" hidden"), "{page}");
        // The only page with a script.
        assert!(html.contains("<script type=\"module\""), "{page}");
    }
    for file in list_files(&public) {
        if file.ends_with(".html") && !file.ends_with("cari/index.html") {
            // Data blocks (JSON-LD) are not scripts a browser runs.
            let html = read(&public, &file).replace("<script type=\"application/ld+json\">", "");
            assert!(
                !html.contains("<script"),
                "{file} has a script; only the search page may"
            );
        }
    }
    // Every page links to the search page of its language.
    assert!(read(&public, "tentang/index.html").contains("href=\"/cari/\""));
    assert!(read(&public, "en/panduan/index.html").contains("href=\"/en/cari/\""));
}

fn between_tag<'a>(html: &'a str, start: &str) -> &'a str {
    common::between(html, start, ">")
}

#[test]
fn pages_can_stay_out_of_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    assert_clean(&build_into(&common::fixture("good/bilingual"), &output));
    let index = search_index(&output);
    // `in_search_index: false` in its front matter.
    assert!(
        !index.contains_key("/berita/berita-24/"),
        "{:?}",
        index.keys()
    );
    assert!(index.contains_key("/en/berita/berita-24/"));
    assert!(index.contains_key("/berita/berita-25/"));
}

#[test]
fn search_can_be_turned_off() {
    let site = common::copy_fixture("good/bilingual");
    let config = site.root.join("site.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[search]\nenabled = false\n");
    std::fs::write(&config, toml).unwrap();
    let output = site.output();
    assert_clean(&kaca::build(&BuildOptions {
        output: output.clone(),
        ..BuildOptions::new(&site.root)
    }));
    assert!(!exists(&output, "cari/index.html"));
    assert!(
        !list_files(&output)
            .iter()
            .any(|f| f.starts_with("pagefind/"))
    );
    assert!(!read(&output, "index.html").contains("/cari/"));
}
