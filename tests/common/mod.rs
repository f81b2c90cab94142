//! Helpers shared by the integration tests: fixture sites, copying them
//! into temporary folders, building, hashing output trees and checking
//! every link of a built site the way a visitor's browser would follow it.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of these helpers"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kaca::{BuildOptions, BuildOutcome};
use sha2::{Digest, Sha256};

/// The repository root (where the example portal lives).
pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What of the repository is not the example portal: build products,
/// version control, kaca's own sources, scripts and tests.
const NOT_THE_EXAMPLE: &[&str] = &[
    "target",
    ".git",
    "public",
    "scripts",
    "tests",
    "src",
    "bench",
    "fuzz",
    "vendor",
    "node_modules",
];

/// Copies the example portal's own files into `into` (created).
pub fn copy_example(into: &Path) -> PathBuf {
    copy_dir(&repository(), into, NOT_THE_EXAMPLE);
    into.to_path_buf()
}

/// `tests/sites/<relative>`.
pub fn fixture(relative: &str) -> PathBuf {
    repository().join("tests").join("sites").join(relative)
}

/// The case folders under `tests/sites/<group>/`, sorted by name.
pub fn case_dirs(group: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture(group))
        .unwrap_or_else(|e| panic!("cannot list tests/sites/{group}: {e}"))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Copies `source` into `destination` (created), skipping files named in
/// `skip` at the top level.
pub fn copy_dir(source: &Path, destination: &Path, skip: &[&str]) {
    std::fs::create_dir_all(destination).expect("create copy destination");
    let skipped = |entry: &walkdir::DirEntry| {
        entry.depth() == 1 && skip.iter().any(|s| entry.file_name() == *s)
    };
    for entry in walkdir::WalkDir::new(source)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !skipped(entry))
    {
        let entry = entry.expect("walk fixture");
        let relative = entry.path().strip_prefix(source).expect("inside source");
        let target = destination.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create folder in copy");
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// A fixture copied into a fresh temporary folder; the site is at `root`.
pub struct Copy {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Copy {
    pub fn output(&self) -> PathBuf {
        self.root.join("public")
    }
}

pub fn copy_fixture(relative: &str) -> Copy {
    copy_site(&fixture(relative))
}

pub fn copy_site(source: &Path) -> Copy {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("site");
    copy_dir(source, &root, &[]);
    Copy { dir, root }
}

/// Builds `root` into `output` (absolute or relative to root).
pub fn build_into(root: &Path, output: &Path) -> BuildOutcome {
    kaca::build(&BuildOptions {
        output: output.to_path_buf(),
        ..BuildOptions::new(root)
    })
}

/// `kaca check`: everything but writing.
pub fn check(root: &Path) -> BuildOutcome {
    kaca::build(&BuildOptions {
        write: false,
        ..BuildOptions::new(root)
    })
}

/// Panics with the report unless the build succeeded without any
/// diagnostic at all (no errors, no warnings).
pub fn assert_clean(outcome: &BuildOutcome) {
    assert!(
        outcome.succeeded() && outcome.diagnostics.is_empty(),
        "expected a clean build, got:\n{}",
        outcome.diagnostics.report()
    );
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file below `dir` (hidden ones too) as `relative path → sha256`.
pub fn hash_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut hashes = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk output");
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = relative_name(dir, entry.path());
        let bytes = std::fs::read(entry.path()).expect("read output file");
        hashes.insert(relative, sha256_hex(&bytes));
    }
    hashes
}

/// Two trees from [`hash_tree`] hold the same files with the same bytes;
/// otherwise the message names `what` and the first files that differ.
pub fn assert_same_trees(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>, what: &str) {
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys().filter(|name| !a.contains_key(*name)))
        .filter(|name| a.get(*name) != b.get(*name))
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: {} files differ, e.g. {:?}",
        differ.len(),
        differ.iter().take(8).collect::<Vec<_>>()
    );
}

/// Makes a `kaca` command read every data file on every core in chunks of
/// `records` records (or, where it reads a file as text, blocks of as many
/// bytes, each grown to hold a whole record), however small the file, as
/// it reads large ones.
pub fn read_data_in_chunks(command: &mut std::process::Command, records: usize) {
    command
        .env("KACA_TEST_PARALLEL_FROM_BYTES", "0")
        .env("KACA_TEST_CHUNK_RECORDS", records.to_string())
        .env("KACA_TEST_BLOCK_BYTES", records.to_string());
}

/// Every file below `dir`, relative, with `/`, sorted.
pub fn list_files(dir: &Path) -> Vec<String> {
    hash_tree(dir).into_keys().collect()
}

fn relative_name(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .expect("inside the walked folder")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Reads `relative` in the output folder, with a clear message when the
/// file is missing.
pub fn read(output: &Path, relative: &str) -> String {
    let path = output.join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {relative} in the output ({e}); the output has:\n{}",
            list_files(output).join("\n")
        )
    })
}

pub fn exists(output: &Path, relative: &str) -> bool {
    output.join(relative).is_file()
}

/// The values of every `href="…"` and `src="…"` attribute in `html`, and
/// the target of a `<meta http-equiv="refresh" content="0; url=…">`, with
/// `&amp;` decoded.
pub fn links_in(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in ["href", "src"] {
        let mut rest = html;
        while let Some(at) = find_attribute(rest, attribute) {
            rest = &rest[at + attribute.len() + 1..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let value = &rest[1..];
            let Some(end) = value.find(quote) else {
                break;
            };
            links.push(unescape(&value[..end]));
            rest = &value[end..];
        }
    }
    let mut rest = html;
    while let Some(at) = rest.find("http-equiv=\"refresh\"") {
        rest = &rest[at..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        if let Some(url_at) = tag.find("url=") {
            let url = &tag[url_at + 4..];
            let url = url.split('"').next().unwrap_or_default();
            links.push(unescape(url));
        }
        rest = &rest[tag_end..];
    }
    links
}

/// Position of `name=` as an attribute (preceded by white space).
fn find_attribute(html: &str, name: &str) -> Option<usize> {
    let pattern = format!("{name}=");
    let mut from = 0;
    while let Some(found) = html[from..].find(&pattern) {
        let at = from + found;
        if at > 0 && html.as_bytes()[at - 1].is_ascii_whitespace() {
            return Some(at);
        }
        from = at + pattern.len();
    }
    None
}

pub fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Ids in an HTML file (`id="…"`), for checking `#fragment` links.
pub fn ids_in(html: &str) -> Vec<String> {
    attribute_values(html, "id")
}

/// The quoted values of attribute `name`, in document order, unescaped.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(at) = find_attribute(rest, name) {
        rest = &rest[at + name.len() + 1..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value = &rest[1..];
        let Some(end) = value.find(quote) else {
            break;
        };
        values.push(unescape(&value[..end]));
        rest = &value[end..];
    }
    values
}

/// Follows every link of every HTML file in `output` as a browser on
/// `base_url` would, and returns one line per link that does not lead to a
/// file of the output (or to an id in it, for `#fragment` links):
///
/// - links starting with `/` must start with the base URL's path;
/// - links to `base_url` itself (canonical, hreflang) are followed too;
/// - relative links (`foto.png`) are followed from the page's folder;
/// - other schemes and hosts are not checked.
pub fn broken_links(output: &Path, base_url: &str) -> Vec<String> {
    let base_path = {
        let after_scheme = base_url.split_once("://").map(|x| x.1).unwrap_or(base_url);
        match after_scheme.find('/') {
            Some(i) => after_scheme[i..].to_string(),
            None => "/".to_string(),
        }
    };
    let mut problems = Vec::new();
    let mut id_cache: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in list_files(output) {
        if !file.ends_with(".html") {
            continue;
        }
        let html = read(output, &file);
        let folder = match file.rfind('/') {
            Some(i) => &file[..i + 1],
            None => "",
        };
        for link in links_in(&html) {
            let (target, fragment) = match link.split_once('#') {
                Some((target, fragment)) => (target.to_string(), fragment.to_string()),
                None => (link.clone(), String::new()),
            };
            let target = target.split('?').next().unwrap_or_default().to_string();
            let site_relative = if target.is_empty() {
                // `#fragment` on the same page.
                file.clone()
            } else if let Some(rest) = target.strip_prefix(base_url) {
                rest.to_string()
            } else if target.starts_with("//") || has_scheme(&target) {
                continue;
            } else if let Some(path) = target.strip_prefix('/') {
                let full = format!("/{path}");
                match full.strip_prefix(&base_path) {
                    Some(rest) => rest.to_string(),
                    None => {
                        problems.push(format!(
                            "{file}: link `{link}` does not start with the base path `{base_path}`"
                        ));
                        continue;
                    }
                }
            } else {
                match normalise(&format!("{folder}{target}")) {
                    Some(path) => path,
                    None => {
                        problems.push(format!("{file}: link `{link}` climbs out of the site"));
                        continue;
                    }
                }
            };
            let decoded = percent_encoding::percent_decode_str(&site_relative)
                .decode_utf8_lossy()
                .into_owned();
            let Some(found) = resolve(output, &decoded) else {
                problems.push(format!(
                    "{file}: link `{link}` leads to no file of the site"
                ));
                continue;
            };
            if !fragment.is_empty() && found.ends_with(".html") {
                let ids = id_cache
                    .entry(found.clone())
                    .or_insert_with(|| ids_in(&read(output, &found)));
                let fragment = percent_encoding::percent_decode_str(&fragment)
                    .decode_utf8_lossy()
                    .into_owned();
                if !ids.contains(&fragment) {
                    problems.push(format!(
                        "{file}: link `{link}` names `#{fragment}`, but {found} has no such id"
                    ));
                }
            }
        }
    }
    problems
}

/// The output file a site path leads to, as a static host serves it.
fn resolve(output: &Path, path: &str) -> Option<String> {
    let candidates = if path.is_empty() {
        vec!["index.html".to_string()]
    } else if path.ends_with('/') {
        vec![format!("{path}index.html")]
    } else {
        vec![path.to_string(), format!("{path}/index.html")]
    };
    candidates.into_iter().find(|c| output.join(c).is_file())
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => url[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        None => false,
    }
}

fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Files of the output that contain an unfilled template tag.
pub fn files_with_template_tags(output: &Path) -> Vec<String> {
    list_files(output)
        .into_iter()
        // The search index is compressed binary and Pagefind's own script:
        // no template ever wrote it.
        .filter(|file| !file.starts_with("pagefind/"))
        .filter(|file| {
            let bytes = std::fs::read(output.join(file)).expect("read output file");
            contains(&bytes, b"{{") || contains(&bytes, b"{%")
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The part of `html` from the first `start` to the end of the first `end`
/// after it.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found in:\n{html}"));
    let to = html[from..]
        .find(end)
        .map(|i| from + i + end.len())
        .unwrap_or_else(|| panic!("`{end}` not found after `{start}` in:\n{html}"));
    &html[from..to]
}

/// `href` values in document order (`links_in` groups by attribute).
pub fn links_in_order(html: &str) -> Vec<String> {
    attribute_values(html, "href")
}

/// From the register: no row or column of any table (with its total), and
/// no line of totals, holds exactly one hidden number.
pub fn assert_no_line_has_one_hidden_number(register: &[serde_json::Value], at_least: usize) {
    let mut fields_of: std::collections::BTreeMap<&str, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for entry in register {
        if let (Some(table), Some(group)) = (entry["table"].as_str(), entry["group"].as_object()) {
            fields_of
                .entry(table)
                .or_default()
                .extend(group.keys().cloned());
        }
    }
    let mut lines: std::collections::BTreeMap<(String, String), (usize, usize)> =
        std::collections::BTreeMap::new();
    for entry in register {
        let (Some(table), Some(group)) = (entry["table"].as_str(), entry["group"].as_object())
        else {
            continue;
        };
        // Means and medians do not add up: their cells form no lines.
        if !matches!(entry["query"]["measure"].as_str(), Some("count" | "sum")) {
            continue;
        }
        let hidden = usize::from(!entry["hidden"].is_null());
        let fields: Vec<&String> = fields_of[table].iter().collect();
        let value = |f: &String| format!("{f}={}", group[f.as_str()]);
        let keys: Vec<String> = match (fields.len(), group.len()) {
            (1, _) => vec!["line".into()],
            (2, 2) => vec![value(fields[0]), value(fields[1])],
            (2, 1) => {
                let fixed = if group.contains_key(fields[0].as_str()) {
                    fields[0]
                } else {
                    fields[1]
                };
                vec![value(fixed), format!("totals of {fixed}")]
            }
            _ => vec![
                format!("totals of {}", fields[0]),
                format!("totals of {}", fields[1]),
            ],
        };
        for key in keys {
            let slot = lines.entry((table.to_string(), key)).or_default();
            slot.0 += hidden;
            slot.1 += 1;
        }
    }
    let mut checked = 0;
    for ((table, line), (hidden, members)) in &lines {
        assert_ne!(
            *hidden, 1,
            "table {table}, line {line}: one hidden number among {members}"
        );
        checked += 1;
    }
    assert!(checked >= at_least, "only {checked} lines checked");
}

/// Whether `vector` is a combination of `rows` (over the rationals): the
/// rank does not grow when it is added.
pub fn in_row_space(rows: &[Vec<i128>], vector: Vec<i128>) -> bool {
    let base = rank(rows.to_vec());
    let mut with = rows.to_vec();
    with.push(vector);
    rank(with) == base
}

/// Rank by fraction-free elimination, exact in integers.
pub fn rank(mut m: Vec<Vec<i128>>) -> usize {
    let width = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for col in 0..width {
        let Some(p) = (rank..m.len()).find(|&r| m[r][col] != 0) else {
            continue;
        };
        m.swap(rank, p);
        for r in 0..m.len() {
            if r != rank && m[r][col] != 0 {
                let (a, b) = (m[rank][col], m[r][col]);
                let pivot_row = m[rank].clone();
                for (value, p) in m[r].iter_mut().zip(&pivot_row) {
                    *value = *value * a - p * b;
                }
                let g = m[r].iter().fold(0i128, |g, v| gcd(g, v.abs()));
                if g > 1 {
                    for v in m[r].iter_mut() {
                        *v /= g;
                    }
                }
            }
        }
        rank += 1;
    }
    rank
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}
