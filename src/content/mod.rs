//! The content stage: walks `content/`, reads front matter, decides every
//! page's and section's URL in every language, renders markdown and checks
//! links between content files. Returns plain, read-only `Content` where
//! relations are indices, for the render stage to present.
//!
//! Conventions are Zola's and Hugo's: a folder with `_index.md` is a
//! section, every other `.md` is a page, `name.en.md` is the English
//! translation of `name.md`, a folder with `index.md` is a page with its
//! own files beside it.

pub mod cache;
pub mod front_matter;
pub mod markdown;
pub mod sanitise;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use front_matter::{FrontMatter, PageDate};
use markdown::{
    AnchorLinks, FileLink, LinkTarget, MarkdownInput, RenderedMarkdown, ResolveLink, Resolved,
};

pub const CONTENT_DIR: &str = "content";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Date,
    Updated,
    Title,
    Weight,
    None,
}

impl SortBy {
    const NAMES: [&'static str; 5] = ["date", "update_date", "title", "weight", "none"];

    fn parse(name: &str) -> SortBy {
        match name {
            "date" => SortBy::Date,
            "update_date" | "updated" => SortBy::Updated,
            "title" | "title_bytes" => SortBy::Title,
            "weight" => SortBy::Weight,
            _ => SortBy::None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageMeta {
    pub title: String,
    pub description: Option<String>,
    pub date: Option<PageDate>,
    pub updated: Option<PageDate>,
    pub draft: bool,
    pub weight: Option<i64>,
    pub template: Option<String>,
    pub aliases: Vec<String>,
    pub authors: Vec<String>,
    pub in_search_index: bool,
    pub taxonomies: BTreeMap<String, Vec<String>>,
    pub extra: Value,
    /// Line of each front-matter key in the file, for later messages.
    pub lines: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SectionMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub draft: bool,
    pub sort_by: SortBy,
    pub weight: Option<i64>,
    pub template: Option<String>,
    pub page_template: Option<String>,
    pub paginate_by: Option<usize>,
    pub paginate_path: String,
    pub paginate_reversed: bool,
    pub insert_anchor_links: Option<AnchorLinks>,
    pub in_search_index: bool,
    /// `false`: the section's own page is not written (its pages are).
    pub render: bool,
    pub redirect_to: Option<String>,
    /// Its pages are also listed in the parent section.
    pub transparent: bool,
    pub aliases: Vec<String>,
    pub generate_feeds: bool,
    pub extra: Value,
    /// Line of each front-matter key in the file, for later messages.
    pub lines: BTreeMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct Page {
    /// Relative to the project root, e.g. `content/program/bpjs.en.md`.
    pub file: PathBuf,
    pub lang: String,
    /// The file's path under `content/` without its language: the same for
    /// all translations of a page (`program/bpjs.md`).
    pub key: String,
    pub slug: String,
    /// Output path under the site root, no leading slash, trailing slash:
    /// `en/program/bpjs/`.
    pub path: String,
    pub section: usize,
    pub meta: Arc<PageMeta>,
    pub body: Arc<RenderedMarkdown>,
    /// Files beside a bundle page's `index.md`, copied into its folder:
    /// (source file, path below the page's folder).
    pub assets: Vec<(PathBuf, String)>,
}

#[derive(Debug, Clone)]
pub struct Section {
    /// `None` for a home page that has no `_index.md`.
    pub file: Option<PathBuf>,
    pub lang: String,
    /// `program/_index.md`; `_index.md` for the home page.
    pub key: String,
    pub path: String,
    pub parent: Option<usize>,
    pub subsections: Vec<usize>,
    /// Pages listed in this section, sorted by `sort_by`; includes those of
    /// transparent subsections.
    pub pages: Vec<usize>,
    pub meta: Arc<SectionMeta>,
    pub body: Arc<RenderedMarkdown>,
}

#[derive(Debug, Clone)]
pub struct Term {
    pub name: String,
    pub slug: String,
    pub path: String,
    /// Newest first.
    pub pages: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub name: String,
    pub lang: String,
    pub path: String,
    pub paginate_by: Option<usize>,
    /// Sorted by name.
    pub terms: Vec<Term>,
}

/// A file under `content/` that is not markdown and not part of a bundle,
/// copied to the same relative path in the output.
#[derive(Debug, Clone)]
pub struct ContentAsset {
    pub source: PathBuf,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Page(usize),
    Section(usize),
}

#[derive(Debug, Default)]
pub struct Content {
    pub sections: Vec<Section>,
    pub pages: Vec<Page>,
    pub taxonomies: Vec<Taxonomy>,
    pub assets: Vec<ContentAsset>,
    /// (key, language) to page or section, for links and translations.
    by_key: HashMap<(String, String), Target>,
    /// Keys of files that exist but could not be loaded (already reported).
    broken_keys: HashSet<String>,
    /// Keys of drafts left out of this build.
    draft_keys: HashSet<String>,
    /// What drafts left out of this build hide, under `content/` with `/`:
    /// the draft files, and `dir/` for a draft section or bundle (with
    /// everything in it). Their names are not published anywhere, not
    /// even in the build manifest.
    pub draft_paths: Vec<String>,
    /// Every file under `content/` that is not markdown.
    files: HashSet<String>,
    /// Folders of bundle pages (holding `index.md`).
    bundle_dirs: Vec<String>,
    /// The SHA-256 (`sha256:<hex>`) of each markdown file loaded, drafts
    /// included, by its path as listed, of the bytes the site is built
    /// from, when [`LoadOptions::digests`] asked for them. The manifest
    /// takes them instead of reading every file a second time, and so
    /// records what the pages were made from even if a file is saved
    /// while the build runs.
    pub read_digests: HashMap<PathBuf, String>,
}

impl Content {
    /// Frees the HTML of every page's and section's markdown (what is left
    /// of a body: its links, anchors and table of contents), for when
    /// nothing will be rendered from it again. Bodies shared elsewhere
    /// are left whole.
    pub fn release_rendered_html(&mut self) {
        let bodies = self
            .pages
            .iter_mut()
            .map(|p| &mut p.body)
            .chain(self.sections.iter_mut().map(|s| &mut s.body));
        for body in bodies {
            if let Some(body) = Arc::get_mut(body) {
                body.html = String::new();
                body.summary = None;
            }
        }
    }

    pub fn find(&self, key: &str, lang: &str) -> Option<Target> {
        self.by_key
            .get(&(key.to_string(), lang.to_string()))
            .copied()
    }

    /// Whether `key` (`program/x.md`) is a page in `lang`.
    pub fn has_page(&self, key: &str, lang: &str) -> bool {
        matches!(self.find(key, lang), Some(Target::Page(_)))
    }

    /// The home section of a language.
    pub fn home(&self, lang: &str) -> usize {
        match self.find("_index.md", lang) {
            Some(Target::Section(index)) => index,
            _ => unreachable!("every language has a home section, made by `load`"),
        }
    }

    pub fn target_path(&self, target: Target) -> &str {
        match target {
            Target::Page(i) => &self.pages[i].path,
            Target::Section(i) => &self.sections[i].path,
        }
    }

    fn target_anchors(&self, target: Target) -> &[String] {
        match target {
            Target::Page(i) => &self.pages[i].body.anchors,
            Target::Section(i) => &self.sections[i].body.anchors,
        }
    }

    /// Finds a content file named in a link or template (`program/x.md`,
    /// `program/x.en.md`, `program/_index.md`) as seen from `lang`: the
    /// translation in `lang` if there is one, else the default language's.
    pub fn resolve(&self, path: &str, lang: &str, config: &Config) -> Option<Target> {
        let (key, explicit) = split_language(path, config);
        if let Some(explicit) = explicit {
            return self.find(&key, &explicit);
        }
        self.find(&key, lang)
            .or_else(|| self.find(&key, &config.default_language))
    }
}

/// Splits `name.en.md` into (`name.md`, Some("en")) when `en` is a
/// configured language.
fn split_language(path: &str, config: &Config) -> (String, Option<String>) {
    if let Some(stem) = path.strip_suffix(".md")
        && let Some((base, lang)) = stem.rsplit_once('.')
        && !base.ends_with('/')
        && config.is_language(lang)
    {
        return (format!("{base}.md"), Some(lang.to_string()));
    }
    (path.to_string(), None)
}

#[derive(Default)]
pub struct LoadOptions {
    pub drafts: bool,
    /// Record each markdown file's SHA-256 as it is read, for the build
    /// manifest ([`Content::read_digests`]).
    pub digests: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Section,
    Page,
    /// `index.md` in a folder: the folder is the page.
    Bundle,
}

/// A markdown file after reading and front matter, before markdown.
struct Parsed {
    file: PathBuf,
    /// Under `content/`, with `/`.
    content_path: String,
    /// Folder under `content/` (`program`, `` for the root).
    dir: String,
    kind: Kind,
    key: String,
    lang: String,
    /// File stem without language, for the default slug.
    stem: String,
    body: Arc<str>,
    body_line: usize,
    meta: Meta,
    /// `sha256:<hex>` of the file's bytes, when asked for.
    sha256: Option<String>,
}

enum Meta {
    // Shared: a page's metadata goes from the parse (and the cache) into
    // the page without a copy.
    Page(Arc<PageMeta>, Option<String>, Option<String>),
    Section(Arc<SectionMeta>),
}

/// Loads every file under `content/`. With a `cache` (`kaca serve`), files
/// and bodies that have not changed since the load that filled it are taken
/// from it instead of being read and rendered again, and it is left holding
/// this load's.
pub fn load(
    root: &Path,
    config: &Config,
    options: &LoadOptions,
    cache: Option<&mut cache::ContentCache>,
    diagnostics: &mut Diagnostics,
) -> Content {
    let content_dir = root.join(CONTENT_DIR);
    let files = walk(root, &content_dir, diagnostics);

    let bundle_dirs: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let (dir, name) = split_dir(&f.content_path);
            let (stem, _) = split_language(name, config);
            (stem == "index.md" && !dir.is_empty()).then(|| dir.to_string())
        })
        .collect();

    let (mut markdown_files, other_files): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|f| f.content_path.ends_with(".md"));
    let previous = cache.as_deref();
    if previous.is_some() {
        // One stat per file, on every core: the cache compares them.
        markdown_files.par_iter_mut().for_each(|file| {
            file.stamp = std::fs::metadata(&file.absolute)
                .ok()
                .map(|m| cache::FileStamp::of(&m));
        });
    }

    let detector = crate::privacy::identifiers::Detector::shared(&config.privacy.allow);
    // Files are read a batch at a time, then parsed: reading each just
    // before parsing it cost more in the kernel, as writing does (see
    // render_files). At least eight batches per thread keep both cores
    // busy to the end.
    let batch = (markdown_files.len() / (8 * rayon::current_num_threads()).max(1)).clamp(1, 256);
    let detector = &detector;
    let parsed: Vec<ParseOutcome> = markdown_files
        .par_chunks(batch)
        .flat_map_iter(|files| {
            let sources: Vec<Source<'_>> = files
                .iter()
                .map(|file| {
                    let unchanged = previous
                        .zip(file.stamp)
                        .and_then(|(cache, stamp)| {
                            cache.parsed.get(&file.absolute).map(|c| (c, stamp))
                        })
                        .filter(|((cached_stamp, _), stamp)| cached_stamp == stamp);
                    match unchanged {
                        Some(((_, outcome), _)) => Source::Unchanged(outcome),
                        None => Source::Read(std::fs::read(&file.absolute)),
                    }
                })
                .collect();
            files
                .iter()
                .zip(sources)
                .map(move |(file, source)| match source {
                    Source::Unchanged(outcome) => outcome.clone(),
                    Source::Read(read) => {
                        parse_file(root, file, read, config, detector, options.digests)
                    }
                })
        })
        .collect();
    let mut next_cache = previous.map(|_| cache::ContentCache::with_capacity(markdown_files.len()));
    if let Some(next) = &mut next_cache {
        for (file, outcome) in markdown_files.iter().zip(&parsed) {
            if let Some(stamp) = file.stamp {
                next.parsed
                    .insert(file.absolute.clone(), (stamp, outcome.clone()));
            }
        }
    }
    let mut files_ok = Vec::new();
    let mut broken_keys = HashSet::new();
    let mut read_digests = HashMap::new();
    for ((result, found), file) in parsed.into_iter().zip(&markdown_files) {
        diagnostics.extend(found);
        match result {
            Ok(parsed) => {
                if let Some(digest) = &parsed.sha256 {
                    read_digests.insert(file.absolute.clone(), digest.clone());
                }
                files_ok.push(parsed)
            }
            Err(problems) => {
                diagnostics.extend(problems);
                // Links to a file that exists but failed to load are not
                // reported again: one problem, one message.
                let (dir, name) = split_dir(&file.content_path);
                let (base, _) = split_language(name, config);
                broken_keys.insert(if dir.is_empty() {
                    base
                } else {
                    format!("{dir}/{base}")
                });
            }
        }
    }
    // A draft is left out entirely unless drafts were asked for; a draft
    // section takes its pages with it.
    let draft_dirs: Vec<(String, String)> = files_ok
        .iter()
        .filter(|p| matches!(&p.meta, Meta::Section(m) if m.draft) && !options.drafts)
        .map(|p| (p.dir.clone(), p.lang.clone()))
        .collect();
    let mut draft_keys = HashSet::new();
    let mut draft_paths: Vec<String> = draft_dirs
        .iter()
        .filter(|(dir, _)| !dir.is_empty())
        .map(|(dir, _)| format!("{dir}/"))
        .collect();
    files_ok.retain(|p| {
        let is_draft = match &p.meta {
            Meta::Page(m, _, _) => m.draft,
            Meta::Section(m) => m.draft,
        };
        let in_draft_section = draft_dirs
            .iter()
            .any(|(dir, lang)| *lang == p.lang && is_inside(&p.dir, dir) && !dir.is_empty());
        let keep = options.drafts || (!is_draft && !in_draft_section);
        if !keep {
            draft_keys.insert(p.key.clone());
            draft_paths.push(match p.kind {
                Kind::Bundle => format!("{}/", p.dir),
                _ => p.content_path.clone(),
            });
        }
        keep
    });
    draft_paths.sort();
    draft_paths.dedup();

    let mut content = Content {
        broken_keys,
        draft_keys,
        draft_paths,
        files: other_files.iter().map(|f| f.content_path.clone()).collect(),
        bundle_dirs: bundle_dirs.clone(),
        read_digests,
        ..Content::default()
    };
    // Borrowed from the parsed files, in a fast hash: this runs for every
    // page on one thread, also on every rebuild of `kaca serve`.
    let mut seen_keys: rustc_hash::FxHashMap<(&str, &str), &Path> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(files_ok.len(), Default::default());
    content.by_key.reserve(files_ok.len());
    let mut bodies: Vec<(Target, Arc<str>, usize, String)> = Vec::new();

    // Sections first (home sections for every language, made if missing),
    // so pages can find their section.
    for language in &config.languages {
        let has_home = files_ok
            .iter()
            .any(|p| p.kind == Kind::Section && p.dir.is_empty() && p.lang == language.code);
        if !has_home {
            let index = content.sections.len();
            content.sections.push(Section {
                file: None,
                lang: language.code.clone(),
                key: "_index.md".into(),
                path: language.path_prefix.clone(),
                parent: None,
                subsections: Vec::new(),
                pages: Vec::new(),
                meta: Arc::new(default_section_meta()),
                body: Arc::default(),
            });
            content.by_key.insert(
                ("_index.md".into(), language.code.clone()),
                Target::Section(index),
            );
        }
    }
    let mut sections_in_order: Vec<usize> = (0..files_ok.len())
        .filter(|&i| files_ok[i].kind == Kind::Section)
        .collect();
    sections_in_order.sort_by(|&a, &b| {
        let (a, b) = (&files_ok[a], &files_ok[b]);
        (a.dir.len(), &a.dir, &a.lang).cmp(&(b.dir.len(), &b.dir, &b.lang))
    });
    for index in sections_in_order {
        let parsed = &files_ok[index];
        let Meta::Section(meta) = &parsed.meta else {
            continue;
        };
        if !check_unique(&mut seen_keys, parsed, diagnostics) {
            continue;
        }
        let prefix = &config
            .language(&parsed.lang)
            .map(|l| l.path_prefix.clone())
            .unwrap_or_default();
        let path = format!("{prefix}{}", dir_path(&parsed.dir));
        let index = content.sections.len();
        content.sections.push(Section {
            file: Some(parsed.file.clone()),
            lang: parsed.lang.clone(),
            key: parsed.key.clone(),
            path,
            parent: None,
            subsections: Vec::new(),
            pages: Vec::new(),
            meta: meta.clone(),
            body: Arc::default(),
        });
        content.by_key.insert(
            (parsed.key.clone(), parsed.lang.clone()),
            Target::Section(index),
        );
        bodies.push((
            Target::Section(index),
            parsed.body.clone(),
            parsed.body_line,
            parsed.content_path.clone(),
        ));
    }
    // Parents: the nearest folder above with a section in the same language.
    for index in 0..content.sections.len() {
        let key = content.sections[index].key.clone();
        if key == "_index.md" {
            continue;
        }
        let dir = key
            .trim_end_matches("_index.md")
            .trim_end_matches('/')
            .to_string();
        let lang = content.sections[index].lang.clone();
        let parent = nearest_section(&content, parent_dir(&dir), &lang);
        content.sections[index].parent = Some(parent);
        content.sections[parent].subsections.push(index);
    }

    // Each page's section, URL name, address and files, worked out in
    // parallel (they read only the sections); then added in file order, so
    // that duplicates are reported the same way every time.
    let page_files: Vec<&Arc<Parsed>> = files_ok
        .iter()
        .filter(|p| p.kind != Kind::Section)
        .collect();
    let placed: Vec<Option<Result<Placed, Diagnostic>>> = page_files
        .par_iter()
        .map(|parsed| place_page(parsed, &content, config, &other_files))
        .collect();
    for (parsed, placed) in page_files.into_iter().zip(placed) {
        let (Some(placed), Meta::Page(meta, _, _)) = (placed, &parsed.meta) else {
            continue;
        };
        if !check_unique(&mut seen_keys, parsed, diagnostics) {
            continue;
        }
        let placed = match placed {
            Ok(placed) => placed,
            Err(problem) => {
                diagnostics.push(problem);
                continue;
            }
        };
        let index = content.pages.len();
        content.pages.push(Page {
            file: parsed.file.clone(),
            lang: parsed.lang.clone(),
            key: parsed.key.clone(),
            slug: placed.slug,
            path: placed.path,
            section: placed.section,
            meta: meta.clone(),
            body: Arc::default(),
            assets: placed.assets,
        });
        content.by_key.insert(
            (parsed.key.clone(), parsed.lang.clone()),
            Target::Page(index),
        );
        bodies.push((
            Target::Page(index),
            parsed.body.clone(),
            parsed.body_line,
            parsed.content_path.clone(),
        ));
    }

    for file in &other_files {
        let dir = split_dir(&file.content_path).0;
        if !bundle_dirs.iter().any(|b| is_inside(dir, b)) {
            content.assets.push(ContentAsset {
                source: file.absolute.clone(),
                path: file.content_path.clone(),
            });
        }
    }

    render_bodies(
        &mut content,
        bodies,
        config,
        previous,
        next_cache.as_mut(),
        diagnostics,
    );
    if let (Some(cache), Some(next)) = (cache, next_cache) {
        *cache = next;
    }
    check_fragments(&content, config, diagnostics);
    attach_pages(&mut content);
    content.taxonomies = collect_taxonomies(&content, config);
    check_unique_paths(&content, diagnostics);
    content
}

/// Where a page goes: its section, URL name, address, and the files
/// beside a bundle page.
struct Placed {
    section: usize,
    slug: String,
    path: String,
    assets: Vec<(PathBuf, String)>,
}

/// `None` for a file that is not a page; an error when its URL name is
/// empty.
fn place_page(
    parsed: &Parsed,
    content: &Content,
    config: &Config,
    other_files: &[WalkedFile],
) -> Option<Result<Placed, Diagnostic>> {
    let Meta::Page(_, slug, custom_path) = &parsed.meta else {
        return None;
    };
    let page_dir = if parsed.kind == Kind::Bundle {
        parent_dir(&parsed.dir).to_string()
    } else {
        parsed.dir.clone()
    };
    let section = nearest_section(content, &page_dir, &parsed.lang);
    let default_slug = if parsed.kind == Kind::Bundle {
        parsed
            .dir
            .rsplit('/')
            .next()
            .unwrap_or(&parsed.dir)
            .to_string()
    } else {
        strip_date_prefix(&parsed.stem).1.to_string()
    };
    let slug = match slug {
        Some(slug) => slug.clone(),
        None => slug::slugify(&default_slug),
    };
    if slug.is_empty() {
        return Some(Err(Diagnostic::error(
            Some(Location::file(&parsed.file)),
            "the page's URL name (slug) is empty",
        )
        .with_hint(
            "give the file a name with letters or digits, or set `slug` in the front matter",
        )));
    }
    let prefix = config
        .language(&parsed.lang)
        .map(|l| l.path_prefix.clone())
        .unwrap_or_default();
    let path = match custom_path {
        Some(custom) => format!("{prefix}{custom}/"),
        None => format!("{prefix}{}{slug}/", dir_path(&page_dir)),
    };
    let assets = if parsed.kind == Kind::Bundle {
        other_files
            .iter()
            .filter(|f| is_inside(split_dir(&f.content_path).0, &parsed.dir))
            .filter_map(|f| {
                let below = f.content_path.strip_prefix(&format!("{}/", parsed.dir))?;
                Some((f.absolute.clone(), below.to_string()))
            })
            .collect()
    } else {
        Vec::new()
    };
    Some(Ok(Placed {
        section,
        slug,
        path,
        assets,
    }))
}

fn check_unique<'p>(
    seen: &mut rustc_hash::FxHashMap<(&'p str, &'p str), &'p Path>,
    parsed: &'p Parsed,
    diagnostics: &mut Diagnostics,
) -> bool {
    let id = (parsed.key.as_str(), parsed.lang.as_str());
    if let Some(first) = seen.get(&id) {
        diagnostics.push(
            Diagnostic::error(
                Some(Location::file(&parsed.file)),
                format!(
                    "this file and `{}` are the same page in language `{}`",
                    first.display(),
                    parsed.lang
                ),
            )
            .with_hint("`name.md` is the default language; remove one of the two files"),
        );
        return false;
    }
    seen.insert(id, &parsed.file);
    true
}

struct WalkedFile {
    absolute: PathBuf,
    content_path: String,
    /// Size and modification time, when a cache will compare them.
    stamp: Option<cache::FileStamp>,
}

/// Lists every file under `content/`, skipping hidden ones. Symbolic links
/// are followed, and a link loop is reported instead of followed forever.
fn walk(root: &Path, content_dir: &Path, diagnostics: &mut Diagnostics) -> Vec<WalkedFile> {
    let mut files = Vec::new();
    if !content_dir.is_dir() {
        diagnostics.push(
            Diagnostic::error(
                Some(Location::file(CONTENT_DIR)),
                "the content folder is missing",
            )
            .with_hint("create content/_index.md for the home page"),
        );
        return files;
    }
    let walker = walkdir::WalkDir::new(content_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.')
        });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error
                    .path()
                    .map(|p| crate::diagnostics::relative_to(root, p))
                    .unwrap_or_else(|| PathBuf::from(CONTENT_DIR));
                let message = if error.loop_ancestor().is_some() {
                    "this symbolic link points back to a folder that contains it (a loop); it was not followed".to_string()
                } else {
                    format!(
                        "cannot read: {}",
                        error
                            .io_error()
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| error.to_string())
                    )
                };
                diagnostics.push(
                    Diagnostic::error(Some(Location::file(path)), message)
                        .with_hint("remove the link or fix the file's permissions"),
                );
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(content_dir) else {
            continue;
        };
        let Some(content_path) = relative.to_str().map(|s| s.replace('\\', "/")) else {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::file(crate::diagnostics::relative_to(
                        root,
                        entry.path(),
                    ))),
                    "the file name is not valid UTF-8",
                )
                .with_hint("rename the file using letters, digits and hyphens"),
            );
            continue;
        };
        files.push(WalkedFile {
            absolute: entry.path().to_path_buf(),
            content_path,
            stamp: None,
        });
    }
    files
}

/// `x/index.md` or `x/index.en.md`.
fn is_bundle_index(content_path: &str) -> bool {
    let name = split_dir(content_path).1;
    name == "index.md"
        || (name.starts_with("index.") && name.ends_with(".md") && name.matches('.').count() == 2)
}

fn split_dir(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

fn parent_dir(dir: &str) -> &str {
    split_dir(dir).0
}

fn is_inside(dir: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || dir == ancestor || dir.starts_with(&format!("{ancestor}/"))
}

/// `program/layanan` → `program/layanan/`; root → ``.
fn dir_path(dir: &str) -> String {
    if dir.is_empty() {
        return String::new();
    }
    dir.split('/')
        .map(|part| {
            let slug = slug::slugify(part);
            if slug.is_empty() {
                part.to_string()
            } else {
                slug
            }
        })
        .map(|part| format!("{part}/"))
        .collect()
}

fn nearest_section(content: &Content, mut dir: &str, lang: &str) -> usize {
    loop {
        let key = if dir.is_empty() {
            "_index.md".to_string()
        } else {
            format!("{dir}/_index.md")
        };
        if let Some(Target::Section(index)) = content.find(&key, lang) {
            return index;
        }
        if dir.is_empty() {
            return content.home(lang);
        }
        dir = parent_dir(dir);
    }
}

/// `2025-11-03-bursa-kerja` → (Some(date), `bursa-kerja`), Zola's rule.
fn strip_date_prefix(stem: &str) -> (Option<PageDate>, &str) {
    if stem.len() > 11
        && stem.is_char_boundary(10)
        && matches!(stem.as_bytes()[10], b'-' | b'_')
        && let Some(date) = front_matter::parse_date(&stem[..10])
    {
        return (Some(date), &stem[11..]);
    }
    (None, stem)
}

const PAGE_KEYS: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "draft",
    "slug",
    "path",
    "weight",
    "template",
    "aliases",
    "authors",
    "in_search_index",
    "taxonomies",
    "extra",
];

const SECTION_KEYS: &[&str] = &[
    "title",
    "description",
    "draft",
    "sort_by",
    "weight",
    "template",
    "page_template",
    "paginate_by",
    "paginate_path",
    "paginate_reversed",
    "insert_anchor_links",
    "in_search_index",
    "render",
    "redirect_to",
    "transparent",
    "aliases",
    "generate_feeds",
    "generate_feed",
    "extra",
];

/// A parsed file (or why it failed), and the privacy scan's findings.
/// Shared, so that a cache hands it on without copying.
type ParseOutcome = (Result<Arc<Parsed>, Vec<Diagnostic>>, Vec<Diagnostic>);

/// A content file's outcome from the last build, when the file has not
/// changed since, or its bytes read now.
enum Source<'c> {
    Unchanged(&'c ParseOutcome),
    Read(std::io::Result<Vec<u8>>),
}

/// Parses one content file from `read` (its bytes, or the error reading
/// them); also returns what the privacy scan found in it (reported
/// whether or not the file parses).
fn parse_file(
    root: &Path,
    file: &WalkedFile,
    read: std::io::Result<Vec<u8>>,
    config: &Config,
    detector: &crate::privacy::identifiers::Detector,
    digest: bool,
) -> ParseOutcome {
    let relative = crate::diagnostics::relative_to(root, &file.absolute);
    let mut found = Vec::new();
    let result = parse_text(root, file, read, config, digest, |text| {
        found = crate::privacy::scan_content(detector, &relative, text);
    });
    (result.map(Arc::new), found)
}

/// Parses `file`, whose bytes (or the error reading them) are `read`.
fn parse_text(
    root: &Path,
    file: &WalkedFile,
    read: std::io::Result<Vec<u8>>,
    config: &Config,
    digest: bool,
    mut scan: impl FnMut(&str),
) -> Result<Parsed, Vec<Diagnostic>> {
    let relative = crate::diagnostics::relative_to(root, &file.absolute);
    let location = Location::file(&relative);
    let bytes = read.map_err(|error| {
        vec![
            Diagnostic::error(
                Some(location.clone()),
                format!("cannot read the file: {error}"),
            )
            .with_hint("check that the file exists and can be read"),
        ]
    })?;
    let sha256 = digest.then(|| crate::output::manifest::sha256(&bytes));
    let text = crate::diagnostics::text_from_bytes(bytes, Path::new(&relative))
        .map_err(|problem| vec![problem])?;
    let text = text.as_str();
    scan(text);

    let (dir, name) = split_dir(&file.content_path);
    let (base, explicit_lang) = split_language(name, config);
    let stem = base.trim_end_matches(".md").to_string();
    if explicit_lang.is_none()
        && let Some((_, suffix)) = stem.rsplit_once('.')
        && (2..=3).contains(&suffix.len())
        && suffix.bytes().all(|b| b.is_ascii_lowercase())
    {
        return Err(vec![Diagnostic::error(
            Some(location),
            format!("the file name ends in `.{suffix}.md`, but `{suffix}` is not a language of this site"),
        )
        .with_hint(format!(
            "add [languages.{suffix}] to site.toml, or rename the file without `.{suffix}`"
        ))]);
    }
    let lang = explicit_lang.unwrap_or_else(|| config.default_language.clone());
    let kind = match stem.as_str() {
        "_index" => Kind::Section,
        "index" if !dir.is_empty() => Kind::Bundle,
        "index" => {
            return Err(vec![
                Diagnostic::error(
                    Some(location),
                    "`content/index.md` would be a page named `index`",
                )
                .with_hint("the home page is content/_index.md; rename the file"),
            ]);
        }
        _ => Kind::Page,
    };
    let key = if dir.is_empty() {
        base.clone()
    } else {
        format!("{dir}/{base}")
    };

    let split = front_matter::split(text).map_err(|(line, message)| {
        vec![
            Diagnostic::error(Some(Location::line(&relative, line)), message).with_hint(
                "close the front matter with the same line (`---` or `+++`) it opens with",
            ),
        ]
    })?;
    let mut front = front_matter::parse(&split).map_err(|mut diagnostic| {
        if let Some(location) = &mut diagnostic.location {
            location.file = relative.clone();
        }
        vec![diagnostic]
    })?;
    let taxonomies: Vec<String> = config.taxonomies.iter().map(|t| t.name.clone()).collect();
    let meta = match kind {
        Kind::Section => {
            front.reject_unknown(SECTION_KEYS, &[], "section front-matter");
            Meta::Section(Arc::new(section_meta(&mut front)))
        }
        Kind::Page | Kind::Bundle => {
            front.reject_unknown(PAGE_KEYS, &taxonomies, "front-matter");
            let (date_from_name, _) = strip_date_prefix(&stem);
            let meta = page_meta(&mut front, &taxonomies, date_from_name);
            let slug = front.string("slug");
            let custom_path = front.string("path");
            let slug = match slug {
                Some(slug) if slug.contains('/') || slug.contains("..") => {
                    push_problem(
                        &mut front,
                        "slug",
                        format!("slug `{slug}` would put the page outside its section"),
                        "a slug is one URL word such as `bursa-kerja-2025`; use `path` for a different folder",
                    );
                    None
                }
                Some(slug) => Some(slug::slugify(&slug)),
                None => None,
            };
            let custom_path = match custom_path {
                Some(path) => match clean_custom_path(&path) {
                    Some(path) => Some(path),
                    None => {
                        push_problem(
                            &mut front,
                            "path",
                            format!("path `{path}` would leave the output folder"),
                            "write a path inside the site, e.g. `tentang/ppid`, without `..`",
                        );
                        None
                    }
                },
                None => None,
            };
            // A misspelt `title` already got a did-you-mean message.
            let title_misspelt = front.problems.iter().any(|(_, _, hint)| {
                hint.as_deref()
                    .is_some_and(|h| h.starts_with("did you mean `title`"))
            });
            if meta.title.is_empty() && front.line_of("title").is_none() && !title_misspelt {
                front.problems.push((Some(split.front_line.saturating_sub(1).max(1)), "the page has no `title`".into(),
                    Some("add `title: ...` to the front matter; it is the page's heading and its name in lists".into())));
            }
            Meta::Page(Arc::new(meta), slug, custom_path)
        }
    };
    if !front.problems.is_empty() {
        return Err(front
            .problems
            .into_iter()
            .map(|(line, message, hint)| {
                let location = match line {
                    Some(line) => Location::line(&relative, line),
                    None => Location::file(&relative),
                };
                let diagnostic = Diagnostic::error(Some(location), message);
                match hint {
                    Some(hint) => diagnostic.with_hint(hint),
                    None => diagnostic,
                }
            })
            .collect());
    }
    let body: Arc<str> = Arc::from(split.body);
    let body_line = split.body_line;
    Ok(Parsed {
        file: relative,
        content_path: file.content_path.clone(),
        dir: dir.to_string(),
        kind,
        key,
        lang,
        stem,
        body,
        body_line,
        meta,
        sha256,
    })
}

fn push_problem(front: &mut FrontMatter<'_>, key: &str, message: String, hint: &str) {
    let line = front.line_of(key);
    front.problems.push((line, message, Some(hint.to_string())));
}
/// Checks a front-matter `path` and returns it without surrounding slashes,
/// or `None` if it would climb out of the site.
fn clean_custom_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| *p == ".." || *p == "." || p.contains(':'))
    {
        return None;
    }
    Some(parts.join("/"))
}

fn page_meta(
    front: &mut FrontMatter<'_>,
    taxonomies: &[String],
    date_from_name: Option<PageDate>,
) -> PageMeta {
    let title = front.string("title").unwrap_or_default();
    if front.line_of("title").is_some() && title.trim().is_empty() {
        push_problem(
            front,
            "title",
            "`title` is empty".into(),
            "write the page's title",
        );
    }
    PageMeta {
        title,
        description: front.string("description").filter(|d| !d.trim().is_empty()),
        date: front.date("date").or(date_from_name),
        updated: front.date("updated"),
        draft: front.boolean("draft").unwrap_or(false),
        weight: front.integer("weight"),
        template: front.string("template"),
        aliases: front.strings("aliases"),
        authors: front.strings("authors"),
        in_search_index: front.boolean("in_search_index").unwrap_or(true),
        taxonomies: front.taxonomies(taxonomies),
        extra: front.extra(),
        lines: front.key_lines(),
    }
}

fn default_section_meta() -> SectionMeta {
    SectionMeta {
        title: None,
        description: None,
        draft: false,
        sort_by: SortBy::Date,
        weight: None,
        template: None,
        page_template: None,
        paginate_by: None,
        paginate_path: "page".into(),
        paginate_reversed: false,
        insert_anchor_links: None,
        in_search_index: true,
        render: true,
        redirect_to: None,
        transparent: false,
        aliases: Vec::new(),
        generate_feeds: false,
        extra: Value::Object(Default::default()),
        lines: BTreeMap::new(),
    }
}

fn section_meta(front: &mut FrontMatter<'_>) -> SectionMeta {
    let defaults = default_section_meta();
    let paginate_path = front
        .string("paginate_path")
        .unwrap_or(defaults.paginate_path);
    if slug::slugify(&paginate_path) != paginate_path {
        push_problem(
            front,
            "paginate_path",
            format!("`paginate_path` `{paginate_path}` cannot be used in a URL"),
            "use one word such as `page` or `halaman`",
        );
    }
    SectionMeta {
        title: front.string("title"),
        description: front.string("description").filter(|d| !d.trim().is_empty()),
        draft: front.boolean("draft").unwrap_or(false),
        sort_by: front
            .one_of("sort_by", &SortBy::NAMES)
            .map(|s| SortBy::parse(&s))
            .unwrap_or(defaults.sort_by),
        weight: front.integer("weight"),
        template: front.string("template"),
        page_template: front.string("page_template"),
        paginate_by: front.positive("paginate_by"),
        paginate_path,
        paginate_reversed: front.boolean("paginate_reversed").unwrap_or(false),
        insert_anchor_links: front
            .one_of("insert_anchor_links", &crate::config::ANCHOR_POSITIONS)
            .map(|s| AnchorLinks::parse(Some(&s))),
        in_search_index: front.boolean("in_search_index").unwrap_or(true),
        render: front.boolean("render").unwrap_or(true),
        redirect_to: front.string("redirect_to"),
        transparent: front.boolean("transparent").unwrap_or(false),
        aliases: front.strings("aliases"),
        generate_feeds: front
            .boolean("generate_feeds")
            .or_else(|| front.boolean("generate_feed"))
            .unwrap_or(false),
        extra: front.extra(),
        lines: front.key_lines(),
    }
}

struct Resolver<'a> {
    content: &'a Content,
    config: &'a Config,
    lang: &'a str,
    /// The folder of the bundle page whose body this is, if it is one.
    bundle: Option<&'a str>,
}

impl ResolveLink for Resolver<'_> {
    fn resolve(&self, path: &str) -> Resolved {
        if let Some(target) = self.content.resolve(path, self.lang, self.config) {
            return Resolved::Url(format!(
                "{}{}",
                self.config.base_path,
                self.content.target_path(target)
            ));
        }
        let (key, _) = split_language(path, self.config);
        if self.content.broken_keys.contains(&key) {
            Resolved::Broken
        } else if self.content.draft_keys.contains(&key) {
            Resolved::Draft
        } else {
            Resolved::Missing
        }
    }

    fn site_url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_path, path.trim_start_matches('/'))
    }

    fn file(&self, path: &str) -> FileLink {
        if !self.content.files.contains(path) {
            return FileLink::Missing;
        }
        let dir = split_dir(path).0;
        let Some(bundle) = self.content.bundle_dirs.iter().find(|b| is_inside(dir, b)) else {
            // Copied once, at its path under content/.
            return FileLink::Url(format!("{}{path}", self.config.base_path));
        };
        if self.bundle == Some(bundle.as_str()) {
            return FileLink::Beside;
        }
        // Another bundle's file: it sits beside that page.
        let below = &path[bundle.len() + 1..];
        match self
            .content
            .resolve(&format!("{bundle}/index.md"), self.lang, self.config)
        {
            Some(target) => FileLink::Url(format!(
                "{}{}{below}",
                self.config.base_path,
                self.content.target_path(target)
            )),
            None => FileLink::Missing,
        }
    }
}

fn render_bodies(
    content: &mut Content,
    bodies: Vec<(Target, Arc<str>, usize, String)>,
    config: &Config,
    previous: Option<&cache::ContentCache>,
    next_cache: Option<&mut cache::ContentCache>,
    diagnostics: &mut Diagnostics,
) {
    let site_anchors = AnchorLinks::parse(config.markdown.insert_anchor_links.as_deref());
    let sanitiser = sanitise::Sanitiser::new(&config.markdown);
    let keep = next_cache.is_some();
    type Rendered = (
        Target,
        Arc<RenderedMarkdown>,
        Vec<Diagnostic>,
        Option<(String, Arc<cache::CachedBody>)>,
    );
    let results: Vec<Rendered> = bodies
        .par_iter()
        .map(|(target, body, body_line, content_path)| {
            let (lang, file, anchors) = match *target {
                Target::Page(i) => {
                    let page = &content.pages[i];
                    let section = &content.sections[page.section];
                    (
                        &page.lang,
                        &page.file,
                        section.meta.insert_anchor_links.unwrap_or(site_anchors),
                    )
                }
                Target::Section(i) => {
                    let section = &content.sections[i];
                    let file = section
                        .file
                        .as_ref()
                        .expect("sections with a body come from a file");
                    (
                        &section.lang,
                        file,
                        section.meta.insert_anchor_links.unwrap_or(site_anchors),
                    )
                }
            };
            let bundle = match *target {
                Target::Page(_) if is_bundle_index(content_path) => Some(split_dir(content_path).0),
                _ => None,
            };
            let resolver = Resolver {
                content,
                config,
                lang,
                bundle,
            };
            let inputs = keep.then(|| cache::BodyInputs {
                text: body.clone(),
                first_line: *body_line,
                lang: lang.clone(),
                file: file.clone(),
                anchors,
            });
            if let (Some(inputs), Some(cached)) = (
                &inputs,
                previous.and_then(|cache| cache.bodies.get(content_path)),
            ) && cached.still_holds(inputs, &resolver)
            {
                return (
                    *target,
                    cached.rendered.clone(),
                    cached.diagnostics.clone(),
                    Some((content_path.clone(), cached.clone())),
                );
            }
            let recording = cache::Recording {
                inner: &resolver,
                lookups: Default::default(),
            };
            let input = MarkdownInput {
                text: body,
                first_line: *body_line,
                content_path,
                anchor_links: anchors,
                sanitiser: &sanitiser,
                frame_hosts: &config.markdown.iframe_hosts,
            };
            let (rendered, problems) = if keep {
                markdown::render(&input, &recording)
            } else {
                markdown::render(&input, &resolver)
            };
            let diagnostics: Vec<Diagnostic> = problems
                .into_iter()
                .map(|p| {
                    Diagnostic::error(Some(Location::at(file, p.line, p.column)), p.message)
                        .with_hint(p.hint)
                })
                .chain(rendered.removed.iter().map(|p| {
                    Diagnostic::warning(
                        Some(Location::at(file, p.line, p.column)),
                        p.message.clone(),
                    )
                    .with_hint(p.hint.clone())
                }))
                .collect();
            let rendered = Arc::new(rendered);
            let entry = inputs.map(|inputs| {
                (
                    content_path.clone(),
                    Arc::new(cache::CachedBody {
                        inputs,
                        lookups: recording.lookups.into_inner(),
                        rendered: rendered.clone(),
                        diagnostics: diagnostics.clone(),
                    }),
                )
            });
            (*target, rendered, diagnostics, entry)
        })
        .collect();
    let mut next_cache = next_cache;
    for (target, rendered, problems, entry) in results {
        diagnostics.extend(problems);
        if let (Some(next), Some((path, entry))) = (next_cache.as_deref_mut(), entry) {
            next.bodies.insert(path, entry);
        }
        match target {
            Target::Page(i) => content.pages[i].body = rendered,
            Target::Section(i) => content.sections[i].body = rendered,
        }
    }
}

/// A link to `page.md#heading` must name a heading that exists there.
fn check_fragments(content: &Content, config: &Config, diagnostics: &mut Diagnostics) {
    let sources = content
        .pages
        .iter()
        .map(|p| (&p.file, &p.lang, &p.body))
        .chain(
            content
                .sections
                .iter()
                .filter_map(|s| s.file.as_ref().map(|f| (f, &s.lang, &s.body))),
        );
    for (file, lang, body) in sources {
        for link in &body.links {
            let LinkTarget::Content {
                path,
                fragment: Some(fragment),
            } = &link.target
            else {
                continue;
            };
            let Some(target) = content.resolve(path, lang, config) else {
                continue;
            };
            let anchors = content.target_anchors(target);
            if !anchors.iter().any(|a| a == fragment) {
                diagnostics.push(
                    Diagnostic::error(
                        Some(Location::at(file, link.line, link.column)),
                        format!("link `{}` names the heading `#{fragment}`, which `content/{path}` does not have", link.written),
                    )
                    .with_hint(markdown::headings_hint(anchors)),
                );
            }
        }
    }
}

/// Lists pages in their sections (and in the parents of transparent
/// sections), sorted by each section's `sort_by`.
fn attach_pages(content: &mut Content) {
    for index in 0..content.pages.len() {
        let mut section = content.pages[index].section;
        loop {
            content.sections[section].pages.push(index);
            match (
                content.sections[section].meta.transparent,
                content.sections[section].parent,
            ) {
                (true, Some(parent)) => section = parent,
                _ => break,
            }
        }
    }
    let pages = &content.pages;
    content
        .sections
        .par_iter_mut()
        .for_each(|section| sort_pages(&mut section.pages, section.meta.sort_by, pages));
    // Subsections by weight, then by path, for stable menus.
    let order: Vec<(Option<i64>, String)> = content
        .sections
        .iter()
        .map(|s| (s.meta.weight, s.path.clone()))
        .collect();
    for section in &mut content.sections {
        section.subsections.sort_by(|a, b| {
            (order[*a].0.unwrap_or(i64::MAX), &order[*a].1)
                .cmp(&(order[*b].0.unwrap_or(i64::MAX), &order[*b].1))
        });
    }
}

/// Sorts page indices: dates newest first, weights and titles ascending;
/// pages without the key go last, by path, so nothing is hidden.
pub fn sort_pages(indices: &mut [usize], sort_by: SortBy, pages: &[Page]) {
    use std::cmp::Reverse;
    // Pages without the field come last; ties go by path (compared only
    // on a tie: most pages of a large site differ in date).
    let path = |i: usize| &pages[i].path;
    match sort_by {
        SortBy::Date => indices.sort_by_key(|&i| date_order(pages, i)),
        SortBy::Updated => indices.sort_by_key(|&i| {
            let date = pages[i].meta.updated.or(pages[i].meta.date);
            (date.is_none(), Reverse(date), path(i))
        }),
        SortBy::Weight => indices.sort_by_key(|&i| {
            let weight = pages[i].meta.weight;
            (weight.is_none(), weight, path(i))
        }),
        // Lower-cased once per page, not at every comparison.
        SortBy::Title => {
            indices.sort_by_cached_key(|&i| (pages[i].meta.title.to_lowercase(), path(i)))
        }
        SortBy::None => indices.sort_by_key(|&i| path(i)),
    }
}

/// Where page `i` goes in [`SortBy::Date`] order: dated pages newest
/// first, then by path.
fn date_order(pages: &[Page], i: usize) -> (bool, std::cmp::Reverse<Option<PageDate>>, &String) {
    let date = pages[i].meta.date;
    (date.is_none(), std::cmp::Reverse(date), &pages[i].path)
}

/// The first `n` of `indices` in [`SortBy::Date`] order, in that order:
/// chosen without sorting the rest (a language's feed takes twenty of
/// every page of the site, and `kaca serve` makes it on every rebuild).
pub fn newest(indices: &mut Vec<usize>, n: usize, pages: &[Page]) {
    if n > 0 && indices.len() > n {
        indices.select_nth_unstable_by(n - 1, |&a, &b| {
            date_order(pages, a).cmp(&date_order(pages, b))
        });
        indices.truncate(n);
    }
    sort_pages(indices, SortBy::Date, pages);
}

fn collect_taxonomies(content: &Content, config: &Config) -> Vec<Taxonomy> {
    let mut taxonomies = Vec::new();
    for language in &config.languages {
        for taxonomy in &config.taxonomies {
            let mut terms: BTreeMap<String, Term> = BTreeMap::new();
            let base = format!("{}{}/", language.path_prefix, taxonomy.name);
            // A site names a few terms many times: each name is made a
            // URL name once (slugify spelled out every page's terms anew,
            // on one core: 15 ms of a 10,000-page build).
            let mut slugs: rustc_hash::FxHashMap<&str, String> = rustc_hash::FxHashMap::default();
            for (index, page) in content.pages.iter().enumerate() {
                if page.lang != language.code {
                    continue;
                }
                for name in page
                    .meta
                    .taxonomies
                    .get(&taxonomy.name)
                    .into_iter()
                    .flatten()
                {
                    let slug = slugs
                        .entry(name.as_str())
                        .or_insert_with(|| match slug::slugify(name) {
                            s if s.is_empty() => "-".to_string(),
                            s => s,
                        })
                        .clone();
                    let term = terms.entry(slug.clone()).or_insert_with(|| Term {
                        name: name.clone(),
                        path: format!("{base}{slug}/"),
                        slug,
                        pages: Vec::new(),
                    });
                    term.pages.push(index);
                }
            }
            let mut terms: Vec<Term> = terms.into_values().collect();
            terms
                .par_iter_mut()
                .for_each(|term| sort_pages(&mut term.pages, SortBy::Date, &content.pages));
            terms.sort_by_key(|term| term.name.to_lowercase());
            taxonomies.push(Taxonomy {
                name: taxonomy.name.clone(),
                lang: language.code.clone(),
                path: base,
                paginate_by: taxonomy.paginate_by,
                terms,
            });
        }
    }
    taxonomies
}

/// Two sources must never write the same URL.
fn check_unique_paths(content: &Content, diagnostics: &mut Diagnostics) {
    /// Who writes a URL, named only when two do.
    enum Owner<'c> {
        Taxonomy(&'c str),
        Home,
        File(&'c Path),
    }
    impl std::fmt::Display for Owner<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Owner::Taxonomy(name) => write!(f, "the `{name}` taxonomy"),
                Owner::Home => f.write_str("the home page"),
                Owner::File(file) => write!(f, "`{}`", file.display()),
            }
        }
    }
    // Taxonomies first, so a clash is reported at the content file.
    let taxonomies = content
        .taxonomies
        .iter()
        .map(|taxonomy| (&taxonomy.path, Owner::Taxonomy(&taxonomy.name), None));
    let sections = content.sections.iter().map(|section| {
        let owner = match &section.file {
            Some(file) => Owner::File(file),
            None => Owner::Home,
        };
        (&section.path, owner, section.file.as_ref())
    });
    let pages = content
        .pages
        .iter()
        .map(|page| (&page.path, Owner::File(&page.file), Some(&page.file)));
    let mut owners: rustc_hash::FxHashMap<&str, Owner<'_>> = rustc_hash::FxHashMap::default();
    for (path, owner, location) in taxonomies.chain(sections).chain(pages) {
        match owners.get(path.as_str()) {
            Some(first) => diagnostics.push(
                Diagnostic::error(
                    location.map(Location::file),
                    format!("the URL /{path} would be written twice: by {owner} and by {first}"),
                )
                .with_hint("give one of them a different `slug` or `path`, or rename the file"),
            ),
            None => {
                owners.insert(path, owner);
            }
        }
    }
}
