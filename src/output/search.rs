//! The full-text search index, built in-process with Pagefind's Rust API
//! from the pages just rendered (no second tool, no Node).
//!
//! Templates decide what is searchable: a page is indexed when its HTML
//! marks the searchable part with `data-pagefind-body` (the default theme
//! marks announcements and programme pages, unless their front matter says
//! `in_search_index = false`). Pagefind reads the language of each page from
//! `<html lang>` and keeps one index per language, each with that
//! language's stemmer (Indonesian included); filters come from
//! `data-pagefind-filter` attributes in the page. The browser bundle Pagefind
//! writes (its script, styles and WebAssembly) goes under [`BUNDLE_DIR`].

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::render::{Contents, OutputFile};

/// Where the index and Pagefind's browser files go, from the site's root.
pub const BUNDLE_DIR: &str = "pagefind/";

/// The attribute that marks the searchable part of a page.
const BODY_MARKER: &[u8] = b"data-pagefind-body";

/// Whether the index reads this page (it marks a searchable part).
pub fn is_searchable(html: &[u8]) -> bool {
    contains(html, BODY_MARKER)
}

/// The index and Pagefind's browser files, or nothing when no page asks to
/// be searchable. Pages written already keep their HTML for the index
/// (see [`crate::output::Staged`]); it is moved into the index here, not
/// copied.
pub fn files(rendered: &mut [OutputFile], diagnostics: &mut Diagnostics) -> Vec<OutputFile> {
    let mut searchable: Vec<(String, String)> = rendered
        .iter_mut()
        .filter(|file| file.path.ends_with(".html"))
        .filter_map(|file| {
            let html = match &mut file.contents {
                Contents::Staged(staged) => staged.for_index.take()?,
                Contents::Bytes(html) if contains(html, BODY_MARKER) => {
                    String::from_utf8_lossy(html).into_owned()
                }
                _ => return None,
            };
            Some((file.path.clone(), html))
        })
        .collect();
    if searchable.is_empty() {
        return Vec::new();
    }
    // Pagefind numbers its fragments in the order pages arrive: a fixed
    // order keeps builds byte-identical.
    searchable.sort_by(|a, b| a.0.cmp(&b.0));
    match index(searchable) {
        Ok(files) => files,
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                None,
                format!("cannot build the search index: {error:#}"),
            ));
            Vec::new()
        }
    }
}

/// The index of a site already written to `site` (what `serve` does in
/// the background): the same files [`files`] makes during a build, as
/// paths relative to the site and their bytes.
pub fn index_folder(site: &std::path::Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut pages: Vec<(String, String)> = Vec::new();
    for entry in walkdir::WalkDir::new(site).sort_by_file_name() {
        let entry = entry?;
        let is_html = entry.path().extension().is_some_and(|e| e == "html");
        if !entry.file_type().is_file() || !is_html {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        if contains(&bytes, BODY_MARKER) {
            let relative = entry
                .path()
                .strip_prefix(site)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let html = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            pages.push((relative, html));
        }
    }
    if pages.is_empty() {
        return Ok(Vec::new());
    }
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(index(pages)?
        .into_iter()
        .filter_map(|file| match file.contents {
            Contents::Bytes(bytes) => Some((file.path, bytes)),
            Contents::Copy(_) | Contents::Staged(_) => None,
        })
        .collect())
}

/// Indexes `pages` (path in the site, HTML), in the order given.
fn index(pages: Vec<(String, String)>) -> anyhow::Result<Vec<OutputFile>> {
    // Pagefind's API is async only; one thread is enough to drive it (the
    // patched Pagefind in vendor/pagefind parses the pages on rayon's pool,
    // in the order given, and compresses the index files there too).
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        let options = PagefindServiceConfig::builder().build();
        let mut index = PagefindIndex::new(Some(options))?;
        let paths: Vec<String> = pages.iter().map(|(path, _)| path.clone()).collect();
        let files = pages
            .into_iter()
            .map(|(path, html)| {
                let url = page_url(&path);
                (Some(path), Some(url), html)
            })
            .collect();
        for (path, result) in paths.iter().zip(index.add_html_files(files).await?) {
            result.map_err(|error| anyhow::anyhow!("{path}: {error:#}"))?;
        }
        let files = index.into_files().await?;
        let mut out: Vec<OutputFile> = files
            .into_iter()
            .filter(|file| !is_unused_interface(&file.filename))
            .map(|file| OutputFile {
                path: bundle_path(&file.filename),
                contents: Contents::Bytes(file.contents),
                origin: "the search index (Pagefind)".to_string(),
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    })
}

/// Pagefind also writes its three ready-made search interfaces and a
/// highlighting script; the theme's search page uses Pagefind's JavaScript
/// API directly (so that every text comes from the theme's string files),
/// and leaving them out saves half a megabyte on every upload.
fn is_unused_interface(filename: &std::path::Path) -> bool {
    let name = filename
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [
        "pagefind-ui.",
        "pagefind-modular-ui.",
        "pagefind-component-ui.",
        "pagefind-highlight.",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
        || filename.components().any(|c| c.as_os_str() == "playground")
}

/// The address Pagefind stores for a page, from the site's root: the
/// browser script puts the base path in front (it knows it from where the
/// bundle was loaded), so the site works under any sub-path.
fn page_url(path: &str) -> String {
    let trimmed = path.strip_suffix("index.html").unwrap_or(path);
    format!("/{trimmed}")
}

/// Pagefind names its files under its own output folder; they belong under
/// [`BUNDLE_DIR`] whatever that folder was called.
fn bundle_path(filename: &std::path::Path) -> String {
    let name = filename.to_string_lossy().replace('\\', "/");
    let inside = match name.rfind("pagefind/") {
        Some(at) => &name[at + "pagefind/".len()..],
        None => name.trim_start_matches('/'),
    };
    format!("{BUNDLE_DIR}{inside}")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_addresses_drop_index_html() {
        assert_eq!(page_url("en/program/x/index.html"), "/en/program/x/");
        assert_eq!(page_url("index.html"), "/");
    }

    #[test]
    fn bundle_files_land_under_the_bundle_folder() {
        assert_eq!(
            bundle_path(std::path::Path::new(
                "/tmp/site/pagefind/index/en_1.pf_index"
            )),
            "pagefind/index/en_1.pf_index"
        );
        assert_eq!(
            bundle_path(std::path::Path::new("pagefind/pagefind-ui.js")),
            "pagefind/pagefind-ui.js"
        );
    }
}
