//! The fuzz targets' bodies (`front_matter`, `markdown`, `csv_schema`,
//! `stats_declarations`; each file in `fuzz_targets/` calls one) and what
//! they share: a scratch copy of a small fixed site (from `fuzz/sites/`)
//! that a target writes its input into before calling kaca's own stage
//! functions on it, the way `kaca::build` does.
//!
//! The main crate's `tests/fuzz_regressions.rs` includes this file too and
//! runs every committed seed (`fuzz/corpus/*/seed-*`, crash inputs among
//! them) through the same functions on a stable toolchain, without
//! libFuzzer.
//!
//! The scratch folder is on `/dev/shm` when there is one (no disk writes
//! per execution) and named after the process and target, so parallel jobs
//! do not share it. It is removed when the process exits normally; folders
//! left by crashed runs are removed by the next run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use kaca::config::{Config, RawHtml};
use kaca::content::{Content, LoadOptions};
use kaca::data::package::{Loaded, Package};
use kaca::diagnostics::Diagnostics;
use kaca::privacy::identifiers::Detector;
use kaca::stats::declare::Declarations;

/// A content file's front matter (YAML or TOML) and the checks of every
/// page and section key, through `kaca::content::load` on a small site
/// (`fuzz/sites/content`): the same walk, split, parse and key-by-key
/// reading a build does.
///
/// Input: one selector byte, then the file. The selector picks where the
/// file goes, and so what it is read as (ASCII digits in the seeds):
/// `0` section `pengumuman/_index.md`, `1` page `pengumuman/baru.md`,
/// `2` dated page `pengumuman/2025-11-03-baru.md`, `3` bundle
/// `pengumuman/baru/index.md`, `4` translation `pengumuman/baru.en.md`
/// (other bytes: their distance from `0`, modulo 5). With the high bit
/// set, drafts are built (`kaca build --drafts`).
pub fn front_matter(data: &[u8]) {
    const SLOTS: [&str; 5] = [
        "content/pengumuman/_index.md",
        "content/pengumuman/baru.md",
        "content/pengumuman/2025-11-03-baru.md",
        "content/pengumuman/baru/index.md",
        "content/pengumuman/baru.en.md",
    ];
    static SITE: LazyLock<(PathBuf, Config)> = LazyLock::new(|| {
        let root = scratch_site("content", "front_matter");
        let config = config(&root);
        check_content(&root, &config);
        (root, config)
    });
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let (root, config) = &*SITE;
    remove(root, &SLOTS);
    let slot = usize::from((selector & 0x7f).wrapping_sub(b'0') & 0x7f) % SLOTS.len();
    write(root, SLOTS[slot], file);
    let mut diagnostics = Diagnostics::new();
    let drafts = selector & 0x80 != 0;
    let options = LoadOptions {
        drafts,
        ..Default::default()
    };
    let _content = kaca::content::load(root, config, &options, None, &mut diagnostics);
    check_positions(&diagnostics);
}

/// The markdown pipeline for one page body, through `kaca::content::load`
/// on a small site (`fuzz/sites/content`): pulldown-cmark, heading ids,
/// footnotes, internal and file links (resolved against the site's real
/// pages, sections, bundle and files), statistics placements, anchor links,
/// summary, the raw-HTML sanitiser and its findings, the privacy scan of
/// content, then the placement check against (no) declared statistics, as
/// a build does.
///
/// Besides no panic: when raw HTML is sanitised (the default), no page or
/// summary may hold anything that runs script or loads another site
/// ([`unsafe_html`], an independent reading of the output).
///
/// Input: one selector byte, then the markdown body. Selector bits:
/// 0-1 `insert_anchor_links` (none, left, right, heading); 2 raw HTML
/// `trusted` instead of sanitised; 3 the page is a bundle
/// (`pengumuman/baru/index.md`) instead of `pengumuman/baru.md`. The
/// ASCII digits `0`-`9` and `:;<=>?` are the selectors 0-15.
pub fn markdown(data: &[u8]) {
    const PAGE: &str = "content/pengumuman/baru.md";
    const BUNDLE: &str = "content/pengumuman/baru/index.md";
    const FRONT_MATTER: &[u8] = b"---\ntitle: Halaman uji\ndate: 2025-11-03\ntags: [uji]\n---\n";
    static SITE: LazyLock<(PathBuf, Vec<Config>)> = LazyLock::new(|| {
        let root = scratch_site("content", "markdown");
        let base = config(&root);
        check_content(&root, &base);
        let mut configs = Vec::new();
        for raw_html in [RawHtml::Sanitise, RawHtml::Trusted] {
            for anchors in [None, Some("left"), Some("right"), Some("heading")] {
                let mut config = base.clone();
                config.markdown.raw_html = raw_html;
                config.markdown.insert_anchor_links = anchors.map(str::to_string);
                configs.push(config);
            }
        }
        (root, configs)
    });
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (root, configs) = &*SITE;
    let config = &configs[usize::from(selector & 0b111)];
    let path = if selector & 0b1000 == 0 { PAGE } else { BUNDLE };
    remove(root, &[PAGE, BUNDLE]);
    let mut file = FRONT_MATTER.to_vec();
    file.extend_from_slice(body);
    write(root, path, &file);
    let mut diagnostics = Diagnostics::new();
    let content = kaca::content::load(
        root,
        config,
        &LoadOptions::default(),
        None,
        &mut diagnostics,
    );
    kaca::stats::check_placements(
        &content,
        &kaca::stats::Statistics::default(),
        &HashSet::new(),
        &mut diagnostics,
    );
    check_positions(&diagnostics);
    if config.markdown.raw_html == RawHtml::Sanitise {
        let bodies = content
            .pages
            .iter()
            .map(|p| &p.body)
            .chain(content.sections.iter().map(|s| &s.body));
        for body in bodies {
            for html in std::iter::once(&body.html).chain(body.summary.as_ref()) {
                let found = unsafe_html(html, &config.markdown.iframe_hosts);
                assert!(
                    found.is_empty(),
                    "the sanitiser let through {found:?} in:\n{html}"
                );
            }
        }
    }
}

/// The data package reader: `data/datapackage.json` (resources, Table
/// Schema, dialect, keys, privacy roles) through
/// `kaca::data::package::load`, then every CSV file read, typed and
/// checked row by row (and scanned for personal data) through
/// `kaca::stats::compute`, then the privacy stage, as a build does.
///
/// Input: the descriptor, then up to three CSV files, separated by NUL
/// bytes; they are written as `data/datapackage.json`, `data/a.csv`,
/// `data/b.csv` and `data/c.csv` (in a site with `fuzz/sites/data`'s
/// `site.toml`).
pub fn csv_schema(data: &[u8]) {
    const FILES: [&str; 4] = [
        "data/datapackage.json",
        "data/a.csv",
        "data/b.csv",
        "data/c.csv",
    ];
    static SITE: LazyLock<(PathBuf, Config, Detector)> = LazyLock::new(|| {
        let root = scratch_site("data", "csv_schema");
        let config = config(&root);
        let detector = Detector::new(&config.privacy.allow);
        (root, config, detector)
    });
    let (root, config, detector) = &*SITE;
    remove(root, &FILES);
    for (path, bytes) in FILES.iter().zip(split_parts(data, FILES.len())) {
        write(root, path, bytes);
    }
    let mut diagnostics = Diagnostics::new();
    if let Loaded::Package(package) = kaca::data::package::load(root, &mut diagnostics) {
        let declarations = Declarations::default();
        let mut statistics =
            kaca::stats::compute(&package, &declarations, detector, &mut diagnostics);
        kaca::privacy::protect(&mut statistics, &package, config, &mut diagnostics);
    }
    check_positions(&diagnostics);
}

/// Statistics declarations (`data/stats/*.toml`: computed figures, tables,
/// series, reported figures, derived figures and checks with their
/// formulas, progress) against a small fixed data package, through
/// `kaca::stats::declare::load`, then computed, derived, reconciled and
/// checked by `kaca::stats::compute`, placements checked, and protected by
/// the privacy stage, as a build does.
///
/// Input: up to three declaration files separated by NUL bytes, written as
/// `data/stats/a.toml`, `b.toml` and `c.toml` (ids must be unique across
/// files). The site is `fuzz/sites/stats`; its package has the resources
/// `kecamatan`, `peserta` (string, enum, yearmonth, year, date, integer,
/// boolean and decimal-comma number fields), and the person-level
/// `penerima`, `penyaluran` and `alat_bantu`. Pages that exist:
/// `program/pelatihan.md`, `program/bantuan.md`, `program/alat-bantu.md`,
/// `program/sembako.md`.
pub fn stats_declarations(data: &[u8]) {
    const FILES: [&str; 3] = [
        "data/stats/a.toml",
        "data/stats/b.toml",
        "data/stats/c.toml",
    ];
    struct Site {
        root: PathBuf,
        config: Config,
        package: Package,
        content: Content,
        detector: Detector,
    }
    static SITE: LazyLock<Site> = LazyLock::new(|| {
        let root = scratch_site("stats", "stats_declarations");
        let config = config(&root);
        let mut diagnostics = Diagnostics::new();
        let content = kaca::content::load(
            &root,
            &config,
            &LoadOptions::default(),
            None,
            &mut diagnostics,
        );
        let Loaded::Package(package) = kaca::data::package::load(&root, &mut diagnostics) else {
            fixture_broken("data package", &diagnostics);
        };
        if diagnostics.has_errors() {
            fixture_broken("site", &diagnostics);
        }
        let detector = Detector::new(&config.privacy.allow);
        Site {
            root,
            config,
            package,
            content,
            detector,
        }
    });
    let site = &*SITE;
    remove(&site.root, &FILES);
    for (path, bytes) in FILES.iter().zip(split_parts(data, FILES.len())) {
        write(&site.root, path, bytes);
    }
    let mut diagnostics = Diagnostics::new();
    let page_exists = |key: &str| site.content.has_page(key, &site.config.default_language);
    let declarations = kaca::stats::declare::load(
        &site.root,
        &site.config,
        Some(&site.package),
        false,
        &page_exists,
        &mut diagnostics,
    );
    let mut statistics = kaca::stats::compute(
        &site.package,
        &declarations,
        &site.detector,
        &mut diagnostics,
    );
    kaca::stats::check_placements(
        &site.content,
        &statistics,
        &declarations.broken,
        &mut diagnostics,
    );
    check_positions(&diagnostics);
    // The privacy stage runs too (no panic), but its errors are not held to
    // naming a file: its "could still be narrowed down" refusal names none
    // (found by this target; src/privacy is outside the fuzzed stages).
    let mut privacy = Diagnostics::new();
    kaca::privacy::protect(&mut statistics, &site.package, &site.config, &mut privacy);
}

/// Error text of a fixture that does not load: the harness is wrong, not
/// the input, so it stops at once.
fn fixture_broken(what: &str, diagnostics: &Diagnostics) -> ! {
    panic!(
        "the fuzz fixture {what} does not load:\n{}",
        diagnostics.report()
    )
}

/// The `fuzz/` folder.
pub fn fuzz_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if manifest.ends_with("fuzz") {
        manifest.to_path_buf()
    } else {
        // Included by the main crate's tests.
        manifest.join("fuzz")
    }
}

/// `fuzz/sites/<site>` copied into a fresh scratch folder of `target`.
/// Also limits kaca's thread pool to one thread: libFuzzer runs one process
/// per core, and idle pool threads spinning cost more than they save on
/// small inputs.
fn scratch_site(site: &str, target: &str) -> PathBuf {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    remove_stale(&base);
    let root = base.join(format!("kaca-fuzz-{}-{target}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let source = fuzz_dir().join("sites").join(site);
    copy_dir(&source, &root);
    remember_for_exit(root.clone());
    root
}

/// The fixed content must load without a problem, or every input would
/// only reach the same error.
fn check_content(root: &Path, config: &Config) {
    let mut diagnostics = Diagnostics::new();
    kaca::content::load(
        root,
        config,
        &LoadOptions::default(),
        None,
        &mut diagnostics,
    );
    if !diagnostics.is_empty() {
        fixture_broken("content", &diagnostics);
    }
}

/// Loads `site.toml` of a scratch site; the fixture must be valid.
fn config(root: &Path) -> Config {
    let mut diagnostics = Diagnostics::new();
    match kaca::config::load(root, &mut diagnostics) {
        Some(config) if !diagnostics.has_errors() => config,
        _ => fixture_broken("site.toml", &diagnostics),
    }
}

/// Writes `bytes` at `path` below `root`, making its folders.
fn write(root: &Path, path: &str, bytes: &[u8]) {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create a scratch folder");
    }
    std::fs::write(&path, bytes).expect("write a scratch file");
}

/// Removes files (and folders left empty) written by the previous input.
fn remove(root: &Path, paths: &[&str]) {
    for path in paths {
        let path = root.join(path);
        let _ = std::fs::remove_file(&path);
        if let Some(parent) = path.parent()
            && parent != root
        {
            // Only succeeds when empty, which is what is wanted.
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// Splits the fuzzer's input at NUL bytes into at most `parts` pieces; the
/// last piece keeps any further NULs.
fn split_parts(data: &[u8], parts: usize) -> Vec<&[u8]> {
    data.splitn(parts, |b| *b == 0).collect()
}

/// Panics, with the report, if an error was reported without a file: the
/// project's rule is that every error names its file (and line where one
/// exists). With `KACA_FUZZ_SHOW=1` in the environment, prints the report
/// first (to see what an input does: run the target on that one file).
fn check_positions(diagnostics: &Diagnostics) {
    static SHOW: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var_os("KACA_FUZZ_SHOW").is_some_and(|v| v == "1"));
    if *SHOW {
        eprintln!("{}", diagnostics.report());
    }
    for diagnostic in diagnostics.iter() {
        if diagnostic.level == kaca::diagnostics::Level::Error && diagnostic.location.is_none() {
            panic!("an error without a file:\n{}", diagnostics.report());
        }
    }
}

fn copy_dir(source: &Path, destination: &Path) {
    std::fs::create_dir_all(destination).expect("create the scratch site");
    let entries = std::fs::read_dir(source)
        .unwrap_or_else(|e| panic!("read fixture {}: {e}", source.display()));
    for entry in entries {
        let entry = entry.expect("fixture entry");
        let target = destination.join(entry.file_name());
        if entry.file_type().expect("fixture entry type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a fixture file");
        }
    }
}

/// Removes scratch folders whose process is gone.
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("kaca-fuzz-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

static SCRATCH: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn remove_scratch() {
    if let Ok(dirs) = SCRATCH.lock() {
        for dir in dirs.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn remember_for_exit(dir: PathBuf) {
    let mut dirs = SCRATCH.lock().expect("scratch list");
    if dirs.is_empty() {
        // SAFETY: registers a plain function with no arguments, run once
        // when the process exits normally (libFuzzer's time limit, -runs).
        unsafe {
            atexit(remove_scratch);
        }
    }
    dirs.push(dir);
}

/// Schemes a published link or image may use (the sanitiser's allow-list,
/// written out again here so the check does not trust the code it checks).
const SAFE_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Elements that must never reach a page built with raw HTML sanitised.
const FORBIDDEN_ELEMENTS: [&str; 14] = [
    "script", "style", "object", "embed", "applet", "form", "meta", "link", "base", "frame",
    "frameset", "svg", "math", "template",
];

/// Attributes whose value is an address a browser follows or loads.
const URL_ATTRIBUTES: [&str; 9] = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "cite",
    "data",
];

/// Everything in `html` (a rendered body, sanitised) that could run script
/// or load another site's content, as readable descriptions; empty when safe.
/// `frame_hosts` are the hosts `<iframe>` may load from (over https).
pub fn unsafe_html(html: &str, frame_hosts: &[String]) -> Vec<String> {
    let fragment = scraper::Html::parse_fragment(html);
    let mut found = Vec::new();
    for node in fragment.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        let name = element.name().to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            found.push(format!("a <{name}> element"));
        }
        for (attribute, value) in element.attrs() {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                found.push(format!("<{name} {attribute}=\"{value}\">"));
            }
            if attribute == "style" {
                let alignment = matches!(
                    value.trim().trim_end_matches(';'),
                    "text-align: left" | "text-align: center" | "text-align: right"
                );
                if !(matches!(name.as_str(), "th" | "td") && alignment) {
                    found.push(format!("<{name} style=\"{value}\">"));
                }
            }
            if attribute == "srcdoc" || attribute == "srcset" {
                found.push(format!("<{name} {attribute}=...>"));
            }
            if URL_ATTRIBUTES.contains(&attribute.as_str())
                && let Some(scheme) = scheme_of(value)
                && !SAFE_SCHEMES.contains(&scheme.as_str())
            {
                found.push(format!("<{name} {attribute}=\"{value}\">"));
            }
        }
        // A frame without `src` shows an empty page.
        if name == "iframe"
            && let Some(src) = element.attr("src")
        {
            let host = src
                .strip_prefix("https://")
                .and_then(|rest| rest.split(['/', '?', '#']).next())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !frame_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
                found.push(format!("<iframe src=\"{src}\">"));
            }
        }
    }
    found
}

/// The scheme a browser would see in an address: the URL parser drops
/// leading C0 controls and spaces and every tab and newline first.
fn scheme_of(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, _) = cleaned.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}
