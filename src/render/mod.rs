//! The render stage: turns the loaded site into output files through
//! MiniJinja templates (strict: an undefined variable is an error). Pages
//! and sections reach templates as lazy objects that read the `Content`
//! structs on access, so a template that lists five pages costs five pages,
//! not a serialised copy of the whole site (Zola's lesson). Each output file
//! is an independent job, rendered in parallel.

pub(crate) mod datasets;
pub mod incremental;
pub mod locale;
pub(crate) mod stats_view;

/// Ids of table cells, shared with the figure register.
pub mod stats_view_ids {
    pub use super::stats_view::{TOTAL, cell_id};
}
pub mod theme;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{Environment, ErrorKind, State, UndefinedBehavior, Value, context};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::content::{Content, Target};
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use locale::LocaleFormat;
use theme::Theme;
use views::{PageList, PageView, PagesOf, SectionView, TaxonomyView};

/// `(name, value)` pairs for a template's variables, written like
/// MiniJinja's `context!` (values go through serde the same way).
macro_rules! variable_list {
    ($($key:ident => $value:expr),* $(,)?) => {
        vec![$((stringify!($key), Value::from_serialize(&$value))),*]
    };
}

/// A template's variables, `context!`-style, with what every template
/// gets ([`common`]) after the job's own: one flat list (see
/// [`Variables`]).
macro_rules! variables {
    ($($key:ident => $value:expr),* , ..$rest:expr $(,)?) => {{
        let mut list = variable_list! { $($key => $value),* };
        list.extend($rest);
        Value::from_object(Variables(list))
    }};
}

/// The variables a template renders with, in one list looked through
/// from the front (a job's own first, so they win over [`common`]'s).
/// MiniJinja's `context!` with `..` nests one map in another, and every
/// name a template reads, its functions' names included, went through
/// each map in turn: name lookups were a fifth of the instructions of
/// evaluating the default theme, and one list took a third of them away
/// (2% of a 1,000-page build).
#[derive(Debug)]
struct Variables(Vec<(&'static str, Value)>);

impl minijinja::value::Object for Variables {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        self.0
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value.clone())
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let mut seen = std::collections::BTreeSet::new();
        let names: Vec<Value> = self
            .0
            .iter()
            .filter(|(name, _)| seen.insert(*name))
            .map(|(name, _)| Value::from(*name))
            .collect();
        minijinja::value::Enumerator::Values(names)
    }
}

pub use incremental::RenderMemo;

/// How a render relates to the one before it (`kaca serve`).
pub enum Since {
    /// A build on its own: nothing is noted.
    Nothing,
    /// The first render of a session: note what every template reads.
    Start,
    /// Render again only what changed since this render.
    Last(RenderMemo),
}

/// The files of a render, and what the next one may start from.
pub struct Rendered {
    pub files: Vec<OutputFile>,
    /// With [`Since::Start`] or [`Since::Last`]: give it back (with the
    /// template outputs, see [`RenderMemo::keep_outputs`]) to the next
    /// render.
    pub memo: Option<RenderMemo>,
    /// How many template jobs were rendered.
    pub rendered_jobs: usize,
    /// The files of template jobs kept from the last render: the same
    /// bytes as last time.
    pub kept: rustc_hash::FxHashSet<String>,
}

/// One template job's outcome.
enum JobOutcome {
    Rendered(
        Result<OutputFile, TemplateFailure>,
        Option<Vec<incremental::Read>>,
    ),
    /// Nothing it reads changed: last time's file stands (by path).
    Kept(String),
}

/// Everything the render stage reads; shared read-only by all jobs.
pub struct Site {
    pub config: Config,
    pub content: Content,
    pub theme: Theme,
    pub package: Option<crate::data::package::Package>,
    pub statistics: crate::stats::Statistics,
    /// `SOURCE_DATE_EPOCH`, when set (see [`crate::BuildOptions`]).
    pub source_date: Option<jiff::Timestamp>,
    /// Whether this build writes the search index (see
    /// [`crate::BuildOptions`]); the search page is rendered either way.
    pub search_index: bool,
    /// Whether this build writes `build.json`: a preview (`kaca serve`)
    /// does not, and its figure register leaves the link out.
    pub manifest: bool,
}

/// One file of the finished site.
#[derive(Debug)]
pub struct OutputFile {
    /// Relative to the output folder, with `/`: `en/program/x/index.html`.
    pub path: String,
    pub contents: Contents,
    /// What made it, for the message when two things write one file:
    /// `content/x.md`, `alias in content/x.md`, `static/robots.txt`.
    pub origin: String,
}

#[derive(Debug)]
pub enum Contents {
    Bytes(Vec<u8>),
    /// Copied from this file when written.
    Copy(std::path::PathBuf),
    /// Written already, into the build's staging folder, as it was
    /// rendered (see [`crate::output::Staging`]).
    Staged(crate::output::Staged),
}

/// What templates and objects share: the site, and what the render stage
/// computed once for all jobs.
pub(crate) struct Shared {
    pub site: Arc<Site>,
    pub formats: BTreeMap<String, LocaleFormat>,
    /// Asset name → fingerprinted output path (`css/site.1f2e3d4c5b.css`).
    pub asset_paths: BTreeMap<String, String>,
    /// Per language, the `config` value templates see.
    pub config_values: BTreeMap<String, Value>,
    /// Per language, what every page's context holds besides its address
    /// (see [`common`]): made once, not for each page.
    pub language_values: std::sync::OnceLock<BTreeMap<String, Vec<(&'static str, Value)>>>,
    /// Published files of each resource (by resource name).
    pub downloads: BTreeMap<String, Vec<crate::output::downloads::Download>>,
    /// HTML of statistics placed in content, by (language, kind, id);
    /// rendered once from the theme's macros after the environment exists.
    pub placed: std::sync::OnceLock<BTreeMap<(String, String, String), String>>,
    /// The theme's UI strings as template values, by language and key:
    /// `t()` hands out a shared string, not a copy, on each of the few
    /// dozen calls every page makes (hash maps: each lookup is one
    /// comparison, not a chain of them).
    pub ui_strings: rustc_hash::FxHashMap<String, rustc_hash::FxHashMap<String, Value>>,
    /// Each page's publication and update dates as its language writes
    /// them, made the first time a template asks: a page's date is shown
    /// on its own page and in every list it is in, and formatting a date
    /// costs more than the rest of a list item.
    pub page_dates: Vec<std::sync::OnceLock<PageDates>>,
}

/// A page's dates in words (see [`Shared::page_dates`]).
pub(crate) struct PageDates {
    pub published: Value,
    pub updated: Value,
}

impl Shared {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.site.config.base_path, path)
    }

    pub fn permalink(&self, path: &str) -> String {
        format!("{}{}", self.site.config.base_url, path)
    }

    /// A page's dates in words, in its language.
    pub fn page_dates(&self, index: usize) -> &PageDates {
        self.page_dates[index].get_or_init(|| {
            let page = &self.site.content.pages[index];
            let format = self.format(&page.lang);
            let in_words = |date: Option<crate::content::front_matter::PageDate>| {
                Value::from(date.map(|d| format.long_date(d.date())))
            };
            PageDates {
                published: in_words(page.meta.date),
                updated: in_words(page.meta.updated),
            }
        })
    }

    pub fn format(&self, lang: &str) -> &LocaleFormat {
        self.formats
            .get(lang)
            .or_else(|| self.formats.values().next())
            .expect("a format exists for every configured language, made in `render`")
    }
}

/// Templates a theme must have; a site may override each.
const REQUIRED_TEMPLATES: [&str; 6] = [
    "index.html",
    "section.html",
    "page.html",
    "taxonomy_list.html",
    "taxonomy_single.html",
    "404.html",
];

/// A template loop or recursion that runs away is stopped after this much
/// work instead of hanging the build.
const TEMPLATE_FUEL: u64 = 50_000_000;

#[derive(Debug, Clone)]
enum Job {
    Page(usize),
    Section {
        index: usize,
        pager: usize,
    },
    TaxonomyList(usize),
    Term {
        taxonomy: usize,
        term: usize,
        pager: usize,
    },
    /// The "check the figures" page of one language.
    Figures(usize),
    /// The list of datasets of one language.
    Datasets(usize),
    /// One resource's page: (language, resource).
    Dataset(usize, usize),
    /// The search page of one language.
    Search(usize),
    NotFound,
}

/// Where the figure register page is, under each language's prefix.
pub const FIGURES_PAGE: &str = "cek-angka/";
/// Where the search page is, under each language's prefix.
pub const SEARCH_PAGE: &str = "cari/";

/// Renders the site's pages and the files made with them (feeds, charts,
/// downloads, the figure register); with `since`, only the jobs a change
/// reaches, the rest kept from the last render.
///
/// With `staging`, pages go into the build's staging folder a batch at a
/// time as they are rendered, and only what later stages need of them is
/// kept (see [`Contents::Staged`]; the search index gets its pages' HTML
/// from there).
pub fn render(
    site: Arc<Site>,
    since: Since,
    staging: Option<&crate::output::Staging>,
    diagnostics: &mut Diagnostics,
) -> Rendered {
    let mut rendered = Rendered {
        files: Vec::new(),
        memo: None,
        rendered_jobs: 0,
        kept: Default::default(),
    };
    rendered.files = render_files(site, since, staging, &mut rendered, diagnostics);
    rendered
}

/// Puts a rendered page into the staging folder; a page the search index
/// reads keeps its HTML for it. A page that cannot be written now stays in
/// memory: writing it at the end reports the problem.
fn stage(file: OutputFile, staging: Option<&crate::output::Staging>, indexing: bool) -> OutputFile {
    let OutputFile {
        path,
        contents,
        origin,
    } = file;
    let contents = match (staging, contents) {
        (Some(staging), Contents::Bytes(bytes)) => match staging.put(&path, &bytes) {
            Ok(staged) => {
                let for_index = (indexing && crate::output::search::is_searchable(&bytes))
                    // Rendered pages are text: no copy.
                    .then(|| {
                        String::from_utf8(bytes)
                            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                    });
                Contents::Staged(crate::output::Staged {
                    for_index,
                    ..staged
                })
            }
            Err(_) => Contents::Bytes(bytes),
        },
        (_, contents) => contents,
    };
    OutputFile {
        path,
        contents,
        origin,
    }
}

/// [`render`]'s work: the files, with the memo and counts left in
/// `rendered`.
fn render_files(
    site: Arc<Site>,
    since: Since,
    staging: Option<&crate::output::Staging>,
    rendered: &mut Rendered,
    diagnostics: &mut Diagnostics,
) -> Vec<OutputFile> {
    let record = !matches!(since, Since::Nothing);
    let mut outputs = Vec::new();
    let mut formats = BTreeMap::new();
    for language in &site.config.languages {
        match LocaleFormat::new(&language.locale) {
            Ok(format) => {
                formats.insert(language.code.clone(), format);
            }
            Err(message) => diagnostics.push(Diagnostic::error(
                Some(Location::file(crate::config::CONFIG_FILE)),
                message,
            )),
        }
    }
    if formats.is_empty() {
        return outputs;
    }
    let asset_paths = fingerprint_assets(&site.theme, &mut outputs, diagnostics);
    let mut downloads = BTreeMap::new();
    if let Some(package) = &site.package {
        let (files, published) = crate::output::downloads::files(
            package,
            &site.config,
            &site.statistics.resources,
            diagnostics,
        );
        outputs.extend(files);
        downloads.extend(published);
    }
    copy_static(&site, &mut outputs);
    let config_values = site
        .config
        .languages
        .iter()
        .map(|language| {
            (
                language.code.clone(),
                config_value(&site.config, &language.code),
            )
        })
        .collect();
    let shared = Arc::new(Shared {
        site: site.clone(),
        formats,
        asset_paths,
        config_values,
        downloads,
        placed: std::sync::OnceLock::new(),
        language_values: std::sync::OnceLock::new(),
        page_dates: site
            .content
            .pages
            .iter()
            .map(|_| std::sync::OnceLock::new())
            .collect(),
        ui_strings: site
            .theme
            .strings
            .iter()
            .map(|(lang, strings)| {
                let values = strings
                    .iter()
                    .map(|(key, text)| (key.clone(), Value::from(text.as_str())))
                    .collect();
                (lang.clone(), values)
            })
            .collect(),
    });
    let language_values = shared
        .site
        .config
        .languages
        .iter()
        .map(|language| {
            (
                language.code.clone(),
                language_common(&shared, &language.code),
            )
        })
        .collect();
    shared
        .language_values
        .set(language_values)
        .expect("filled once, right after it is made");

    let env = environment(&shared, diagnostics);
    check_templates(&site, &env, diagnostics);
    if diagnostics.has_errors() {
        return outputs;
    }
    match stats_view::placed_snippets(&shared, &env) {
        Ok(placed) => {
            let _ = shared.placed.set(placed);
        }
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                Some(Location::file("templates/partials/statistics.html")),
                format!("cannot render placed statistics: {}", describe(&error)),
            ));
            return outputs;
        }
    }

    let jobs = plan(&site);
    let structure = incremental::structure(&site);
    let (mut previous, changed) = match since {
        Since::Last(memo) if memo.structure == structure => {
            let changed = incremental::changed(&memo.site, &site);
            (Some(memo), Some(changed))
        }
        _ => (None, None),
    };
    let indexing = site.config.search.enabled && site.search_index;
    // Jobs go out in batches: a batch is rendered, then its files are
    // written one after another. Writing each file as soon as it was
    // rendered cost half as much again in the kernel (a file's folder,
    // creation and write took some 45 us between renders against 19 us in
    // a row; each side evicts the other's code and data from the caches):
    // batches of 256 took 10-13% of the CPU time of a 10,000-page build
    // without the search index. Jobs differ a lot in cost (a feed or a list
    // of all pages against one announcement) and the costly ones sit
    // together in the plan, so a site has at least eight batches per
    // thread, for the other core to take over its share at the end.
    let batch = (jobs.len() / (8 * rayon::current_num_threads()).max(1)).clamp(1, 256);
    let outcomes: Vec<JobOutcome> = jobs
        .par_chunks(batch)
        .flat_map_iter(|batch| {
            let outcomes: Vec<JobOutcome> = batch
                .iter()
                .map(|job| {
                    let path = output_path(job, &site);
                    if let (Some(previous), Some(changed)) = (&previous, &changed)
                        && !matches!(job, Job::Figures(_))
                    {
                        // The figure register reads every page's placements
                        // without a view: it is always rendered again.
                        let unchanged = previous.jobs.get(&path).is_some_and(|kept| {
                            kept.file.is_some()
                                && !kept.reads.iter().any(|read| changed.contains(read))
                        });
                        if unchanged {
                            return JobOutcome::Kept(path);
                        }
                    }
                    if record {
                        let (result, reads) =
                            incremental::recording(&site.content, || run(job, path, &shared, &env));
                        JobOutcome::Rendered(result, Some(reads))
                    } else {
                        JobOutcome::Rendered(run(job, path, &shared, &env), None)
                    }
                })
                .collect();
            // `kaca serve` records what each job reads and renders
            // without a staging folder: only a build's jobs are staged.
            outcomes.into_iter().map(|outcome| match outcome {
                JobOutcome::Rendered(result, None) => {
                    JobOutcome::Rendered(result.map(|file| stage(file, staging, indexing)), None)
                }
                other => other,
            })
        })
        .collect();
    let mut memo = record.then(|| RenderMemo {
        site: site.clone(),
        structure,
        // Sized once: `kaca serve` makes it anew on every rebuild.
        jobs: rustc_hash::FxHashMap::with_capacity_and_hasher(outcomes.len(), Default::default()),
    });
    let mut results = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            JobOutcome::Kept(path) => {
                let kept = previous
                    .as_mut()
                    .and_then(|previous| previous.jobs.remove(&path))
                    .expect("a kept job was in the last render");
                let file = kept.file.expect("a kept job had a file last time");
                rendered.kept.insert(path.clone());
                if let Some(memo) = &mut memo {
                    memo.jobs.insert(
                        path,
                        incremental::JobMemo {
                            reads: kept.reads,
                            file: None,
                        },
                    );
                }
                results.push(Ok(file));
            }
            JobOutcome::Rendered(result, reads) => {
                if let (Some(memo), Some(reads), Ok(file)) = (&mut memo, reads, &result) {
                    memo.jobs.insert(
                        file.path.clone(),
                        incremental::JobMemo { reads, file: None },
                    );
                }
                rendered.rendered_jobs += 1;
                results.push(result);
            }
        }
    }
    drop(previous);
    rendered.memo = memo;
    // The same template mistake usually breaks many pages: report it once,
    // naming the first page and how many more.
    let mut failures: BTreeMap<FailureKey, (Vec<String>, Option<String>)> = BTreeMap::new();
    for result in results {
        match result {
            Ok(file) => outputs.push(file),
            Err(failure) => {
                let entry = failures
                    .entry((failure.template, failure.line, failure.message))
                    .or_insert_with(|| (Vec::new(), failure.excerpt));
                entry.0.push(failure.rendering);
            }
        }
    }
    for ((template, line, message), (renderings, excerpt)) in failures {
        let shown = site
            .theme
            .templates
            .get(&template)
            .map(|(_, shown)| shown.clone())
            .unwrap_or_else(|| format!("templates/{template}"));
        let location = match line {
            Some(line) => Location::line(shown, line),
            None => Location::file(shown),
        };
        let while_rendering = match renderings.len() {
            1 => format!("while rendering {}", renderings[0]),
            n => format!("while rendering {} and {} more", renderings[0], n - 1),
        };
        let mut text = message;
        if let Some(excerpt) = excerpt {
            text.push('\n');
            text.push_str(&excerpt);
        }
        text.push('\n');
        text.push_str(&while_rendering);
        diagnostics.push(
            Diagnostic::error(Some(location), text).with_hint(
                "fix the template at that line; `kaca check` lists every template problem",
            ),
        );
    }
    outputs.extend(alias_redirects(&site, diagnostics));
    outputs.extend(stats_view::chart_files(&shared));
    let register = crate::output::figures::files(&site, &outputs);
    outputs.extend(register);
    let feeds = crate::output::feeds::files(&shared, &outputs);
    outputs.extend(feeds);
    outputs.extend(crate::output::catalog::files(&shared));
    outputs
}

fn config_value(config: &Config, lang: &str) -> Value {
    let language = config
        .language(lang)
        .expect("config values are made for configured languages");
    let languages: Vec<Value> = config
        .languages
        .iter()
        .map(|l| {
            context! {
                code => l.code,
                name => l.name,
                url => format!("{}{}", config.base_path, l.path_prefix),
                og_locale => locale::open_graph_locale(&l.locale),
            }
        })
        .collect();
    context! {
        base_url => config.base_url,
        base_path => config.base_path,
        title => language.title,
        description => language.description,
        og_locale => locale::open_graph_locale(&language.locale),
        default_language => config.default_language,
        languages => languages,
        extra => Value::from_serialize(&config.extra),
    }
}

/// Writes each asset as `name.<hash>.ext` so browsers may cache it forever;
/// templates link it with `asset_url("name.ext")`.
fn fingerprint_assets(
    theme: &Theme,
    outputs: &mut Vec<OutputFile>,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut paths = BTreeMap::new();
    for (name, file) in &theme.assets {
        let bytes = match file.read() {
            Ok(bytes) => bytes,
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    Some(Location::file(&file.shown_as)),
                    format!("cannot read the asset: {error}"),
                ));
                continue;
            }
        };
        let hash = hex(&Sha256::digest(&bytes)[..5]);
        let hashed = match name.rsplit_once('.') {
            Some((stem, extension)) if !stem.ends_with('/') => format!("{stem}.{hash}.{extension}"),
            _ => format!("{name}.{hash}"),
        };
        paths.insert(name.clone(), hashed.clone());
        outputs.push(OutputFile {
            path: hashed,
            contents: Contents::Bytes(bytes),
            origin: file.shown_as.clone(),
        });
    }
    paths
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_static(site: &Site, outputs: &mut Vec<OutputFile>) {
    for (name, file) in &site.theme.static_files {
        let contents = match &file.origin {
            theme::Origin::File(path) => Contents::Copy(path.clone()),
            theme::Origin::BuiltIn(bytes) => Contents::Bytes(bytes.to_vec()),
        };
        outputs.push(OutputFile {
            path: name.clone(),
            contents,
            origin: file.shown_as.clone(),
        });
    }
    for asset in &site.content.assets {
        outputs.push(OutputFile {
            path: asset.path.clone(),
            contents: Contents::Copy(asset.source.clone()),
            origin: format!("content/{}", asset.path),
        });
    }
    for page in &site.content.pages {
        for (source, below) in &page.assets {
            outputs.push(OutputFile {
                path: format!("{}{below}", page.path),
                contents: Contents::Copy(source.clone()),
                origin: format!("a file beside {}", page.file.display()),
            });
        }
    }
}

fn environment(shared: &Arc<Shared>, diagnostics: &mut Diagnostics) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_recursion_limit(200);
    env.set_debug(true);
    env.set_keep_trailing_newline(false);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_formatter(html_formatter);
    for (name, (source, shown)) in &shared.site.theme.templates {
        if let Err(error) = env.add_template_owned(name.clone(), source.clone()) {
            let line = error.line();
            let location = match line {
                Some(line) => Location::line(shown, line),
                None => Location::file(shown),
            };
            let mut message = format!("template syntax: {}", describe(&error));
            if let Some(excerpt) = line.and_then(|l| source_line(source, l)) {
                message.push('\n');
                message.push_str(&excerpt);
            }
            diagnostics.push(Diagnostic::error(Some(location), message).with_hint(
                "see MiniJinja's template syntax; blocks are {% ... %}, values {{ ... }}",
            ));
        }
    }
    register_functions(&mut env, shared);
    env
}

/// MiniJinja's HTML escaping also escapes `/`, which turns every URL into
/// `https:&#x2f;&#x2f;...`: valid, but three times longer and unreadable for
/// the journalists who read our HTML. Escaping the five characters HTML
/// gives meaning to is enough in text and in quoted attributes.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() == minijinja::AutoEscape::Html
        && !value.is_safe()
        && let Some(text) = value.as_str()
    {
        return out
            .write_str(&escape_html(text))
            .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "cannot write the page"));
    }
    minijinja::escape_formatter(out, state, value)
}

/// Where the first character is that HTML or XML escaping changes (markup
/// characters, forbidden controls), found byte by byte: most text has
/// none, and is then not decoded at all. Every byte that can start one is
/// ASCII or a UTF-8 lead byte, so the position is a character boundary.
pub fn first_to_escape(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let is_markup = |b: u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    find_byte(
        bytes,
        |b| is_markup(b) || may_start_forbidden_control(b),
        |at| is_markup(bytes[at]) || forbidden_control_at(bytes, at),
    )
}

/// Whether `text` holds a control character [`is_forbidden_control`]
/// drops, found byte by byte.
pub fn has_forbidden_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    find_byte(bytes, may_start_forbidden_control, |at| {
        forbidden_control_at(bytes, at)
    })
    .is_some()
}

/// The first byte of `bytes` where `found` holds. `found` is only asked
/// where `may_be_found` holds for the byte, which is tested on blocks of
/// 32 bytes at once: the compiler turns that test into a few vector
/// instructions, where asking byte by byte took a branch or two for every
/// byte of every page (memchr finds at most three different bytes).
fn find_byte(
    bytes: &[u8],
    may_be_found: impl Fn(u8) -> bool,
    found: impl Fn(usize) -> bool,
) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut start = 0;
    for block in &mut blocks {
        if block.iter().fold(false, |any, &b| any | may_be_found(b))
            && let Some(at) = (start..start + BLOCK).find(|&at| found(at))
        {
            return Some(at);
        }
        start += BLOCK;
    }
    (start..bytes.len()).find(|&at| found(at))
}

/// Whether a forbidden control character may start with this byte (the
/// C1 controls all start with 0xC2, as do other characters).
fn may_start_forbidden_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t' && byte != b'\n' && byte != b'\r') || byte == 0x7f || byte == 0xc2
}

/// Whether a forbidden control character starts at byte `at` of UTF-8 text.
fn forbidden_control_at(bytes: &[u8], at: usize) -> bool {
    match bytes[at] {
        b'\t' | b'\n' | b'\r' => false,
        0..0x20 | 0x7f => true,
        // U+0080 to U+009F, the C1 controls.
        0xc2 => bytes
            .get(at + 1)
            .is_some_and(|next| (0x80..0xa0).contains(next)),
        _ => false,
    }
}

/// Control characters other than tab and line breaks, which neither HTML
/// nor XML 1.0 allow in text.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Escapes text for HTML content and double- or single-quoted attributes,
/// and drops control characters, which HTML does not allow (a stray one in
/// a CSV value or a title would make the page invalid).
pub fn escape_html(text: &str) -> std::borrow::Cow<'_, str> {
    escape_markup(text, "&#39;")
}

/// Escapes markup characters, `'` as `apostrophe` (HTML and XML name it
/// differently), and drops forbidden control characters.
pub fn escape_markup<'a>(text: &'a str, apostrophe: &str) -> std::borrow::Cow<'a, str> {
    let Some(first) = first_to_escape(text) else {
        return std::borrow::Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            c if is_forbidden_control(c) => {}
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn describe(error: &minijinja::Error) -> String {
    // MiniJinja's own words for its two safety stops say nothing to a
    // portal's staff; say what usually causes them.
    if error.kind() == ErrorKind::OutOfFuel {
        return format!(
            "the template did more than {TEMPLATE_FUEL} steps of work for one page and was stopped: a loop that never ends, or loops nested too deep"
        );
    }
    if error.detail() == Some("recursion limit exceeded") {
        return "a macro, include or block calls itself without end (stopped after 200 levels)"
            .to_string();
    }
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

/// `  12 | {{ page.titel }}` for the template line an error is on.
fn source_line(source: &str, line: usize) -> Option<String> {
    let text = source.lines().nth(line.checked_sub(1)?)?;
    Some(format!("{line:>4} | {}", text.trim_end()))
}

fn lang_of(state: &State) -> String {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn register_functions(env: &mut Environment<'static>, shared: &Arc<Shared>) {
    let s = shared.clone();
    env.add_function(
        "t",
        move |state: &State, key: &str, lang: Option<&str>| -> Result<Value, minijinja::Error> {
            let current = state.lookup("lang");
            let lang = lang
                .or_else(|| current.as_ref().and_then(Value::as_str))
                .unwrap_or_default();
            s.ui_strings
                .get(lang)
                .and_then(|strings| strings.get(key))
                .cloned()
                .ok_or_else(|| {
                    minijinja::Error::new(
                        ErrorKind::InvalidOperation,
                        format!("there is no UI string `{key}` for language `{lang}` in i18n/{lang}.toml"),
                    )
                })
        },
    );

    // Lets a theme show optional, site-supplied strings (a site notice)
    // only where the site defines them.
    let s = shared.clone();
    env.add_function("has_t", move |state: &State, key: &str| -> bool {
        let lang = state.lookup("lang");
        s.ui_strings
            .get(lang.as_ref().and_then(Value::as_str).unwrap_or_default())
            .is_some_and(|strings| strings.contains_key(key))
    });

    let s = shared.clone();
    env.add_function(
        "asset_url",
        move |name: &str| -> Result<String, minijinja::Error> {
            s.asset_paths
                .get(name)
                .map(|path| s.url(path))
                .ok_or_else(|| {
                    minijinja::Error::new(
                        ErrorKind::InvalidOperation,
                        format!(
                            "there is no asset `{name}` in the theme's or the site's assets/ folder"
                        ),
                    )
                })
        },
    );

    let s = shared.clone();
    env.add_function(
        "url_for",
        move |state: &State, path: &str| -> Result<String, minijinja::Error> {
            if let Some(content_path) = path.strip_prefix("@/") {
                let (content_path, fragment) = match content_path.split_once('#') {
                    Some((p, f)) => (p, Some(f)),
                    None => (content_path, None),
                };
                let lang = lang_of(state);
                let target = s
                    .site
                    .content
                    .resolve(content_path, &lang, &s.site.config)
                    .ok_or_else(|| {
                        minijinja::Error::new(
                            ErrorKind::InvalidOperation,
                            format!("url_for: there is no content file `content/{content_path}`"),
                        )
                    })?;
                let url = s.url(s.site.content.target_path(target));
                return Ok(match fragment {
                    Some(f) => format!("{url}#{f}"),
                    None => url,
                });
            }
            Ok(s.url(path.trim_start_matches('/')))
        },
    );

    let s = shared.clone();
    env.add_function(
        "get_section",
        move |state: &State, path: &str| -> Result<Value, minijinja::Error> {
            let lang = lang_of(state);
            match s.site.content.resolve(path, &lang, &s.site.config) {
                Some(Target::Section(index)) => Ok(SectionView::value(&s, index)),
                _ => Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "get_section: there is no section `content/{path}` (name its _index.md)"
                    ),
                )),
            }
        },
    );

    let s = shared.clone();
    env.add_function(
        "get_page",
        move |state: &State, path: &str| -> Result<Value, minijinja::Error> {
            let lang = lang_of(state);
            match s.site.content.resolve(path, &lang, &s.site.config) {
                Some(Target::Page(index)) => Ok(PageView::value(&s, index)),
                _ => Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("get_page: there is no page `content/{path}`"),
                )),
            }
        },
    );

    let s = shared.clone();
    env.add_function(
        "get_taxonomy",
        move |state: &State, name: &str| -> Result<Value, minijinja::Error> {
            let lang = lang_of(state);
            s.site
                .content
                .taxonomies
                .iter()
                .position(|t| t.name == name && t.lang == lang)
                .map(|index| TaxonomyView::value(&s, index))
                .ok_or_else(|| {
                    minijinja::Error::new(
                        ErrorKind::InvalidOperation,
                        format!("get_taxonomy: taxonomy `{name}` is not declared in site.toml"),
                    )
                })
        },
    );

    // Statistics by id, for templates that place them (markdown uses
    // `{{ figure(id="...") }}`).
    let s = shared.clone();
    env.add_function(
        "get_figure",
        move |state: &State, id: &str| -> Result<Value, minijinja::Error> {
            incremental::read_statistics();
            let figure = s.site.statistics.figure(id).ok_or_else(|| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("get_figure: no figure `{id}` is declared in data/stats/"),
                )
            })?;
            Ok(stats_view::figure_value(&s, figure, &lang_of(state)))
        },
    );
    let s = shared.clone();
    env.add_function(
        "get_table",
        move |state: &State, id: &str| -> Result<Value, minijinja::Error> {
            incremental::read_statistics();
            let table = s.site.statistics.table(id).ok_or_else(|| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("get_table: no table or series `{id}` is declared in data/stats/"),
                )
            })?;
            Ok(stats_view::table_value(&s, table, &lang_of(state)))
        },
    );

    let s = shared.clone();
    env.add_filter(
        "format_date",
        move |state: &State,
              value: &str,
              style: Option<&str>|
              -> Result<String, minijinja::Error> {
            let date = crate::content::front_matter::parse_date(value).ok_or_else(|| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("format_date: `{value}` is not a date"),
                )
            })?;
            let format = s.format(&lang_of(state));
            Ok(match style.unwrap_or("long") {
                "medium" => format.medium_date(date.date()),
                _ => format.long_date(date.date()),
            })
        },
    );

    let s = shared.clone();
    env.add_filter(
        "format_number",
        move |state: &State, value: i64| -> String { s.format(&lang_of(state)).integer(value) },
    );
}

/// A page naming a template that does not exist is reported at the page.
fn check_templates(site: &Site, env: &Environment<'static>, diagnostics: &mut Diagnostics) {
    let has =
        |name: &str| env.get_template(name).is_ok() || site.theme.templates.contains_key(name);
    // Pages for data and statistics exist only when the site has them.
    let mut required: Vec<&str> = REQUIRED_TEMPLATES.to_vec();
    if site.statistics.has_figures_or_tables() {
        required.push("figures.html");
    }
    if site
        .package
        .as_ref()
        .is_some_and(|p| !p.resources.is_empty())
    {
        required.extend(["datasets.html", "dataset.html"]);
    }
    for name in required {
        if !has(name) {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::file(format!(
                        "themes/{}/templates/{name}",
                        site.theme.name
                    ))),
                    format!("the theme has no template `{name}`"),
                )
                .with_hint(format!("add templates/{name} to the site or the theme")),
            );
        }
    }
    let mut check = |file: &std::path::Path,
                     name: &Option<String>,
                     key: &str,
                     lines: &BTreeMap<String, usize>| {
        if let Some(name) = name
            && !has(name)
        {
            let location = match lines.get(key) {
                Some(&line) => Location::line(file, line),
                None => Location::file(file),
            };
            diagnostics.push(
                Diagnostic::error(
                    Some(location),
                    format!("`{key}` names `{name}`, which is not a template of the site or theme"),
                )
                .with_hint(format!(
                    "create templates/{name}, or remove `{key}` to use the default"
                )),
            );
        }
    };
    for page in &site.content.pages {
        check(
            &page.file,
            &page.meta.template,
            "template",
            &page.meta.lines,
        );
    }
    for section in &site.content.sections {
        if let Some(file) = &section.file {
            check(
                file,
                &section.meta.template,
                "template",
                &section.meta.lines,
            );
            check(
                file,
                &section.meta.page_template,
                "page_template",
                &section.meta.lines,
            );
        }
    }
}

fn plan(site: &Site) -> Vec<Job> {
    let mut jobs: Vec<Job> = (0..site.content.pages.len()).map(Job::Page).collect();
    for (index, section) in site.content.sections.iter().enumerate() {
        if !section.meta.render {
            continue;
        }
        let pagers = match section.meta.paginate_by {
            Some(per_page) if section.meta.redirect_to.is_none() => {
                section.pages.len().div_ceil(per_page).max(1)
            }
            _ => 1,
        };
        jobs.extend((0..pagers).map(|pager| Job::Section { index, pager }));
    }
    for (index, taxonomy) in site.content.taxonomies.iter().enumerate() {
        jobs.push(Job::TaxonomyList(index));
        for (term_index, term) in taxonomy.terms.iter().enumerate() {
            let pagers = match taxonomy.paginate_by {
                Some(per_page) => term.pages.len().div_ceil(per_page).max(1),
                None => 1,
            };
            jobs.extend((0..pagers).map(|pager| Job::Term {
                taxonomy: index,
                term: term_index,
                pager,
            }));
        }
    }
    if site.statistics.has_figures_or_tables() {
        jobs.extend((0..site.config.languages.len()).map(Job::Figures));
    }
    if let Some(package) = &site.package
        && !package.resources.is_empty()
    {
        for language in 0..site.config.languages.len() {
            jobs.push(Job::Datasets(language));
            jobs.extend((0..package.resources.len()).map(|r| Job::Dataset(language, r)));
        }
    }
    if site.config.search.enabled {
        jobs.extend((0..site.config.languages.len()).map(Job::Search));
    }
    jobs.push(Job::NotFound);
    jobs
}

/// Where a job's file goes (what [`run`] writes), without rendering it.
fn output_path(job: &Job, site: &Site) -> String {
    let content = &site.content;
    let prefix = |language: usize| &site.config.languages[language].path_prefix;
    match *job {
        Job::Page(index) => format!("{}index.html", content.pages[index].path),
        Job::Section { index, pager } => {
            let section = &content.sections[index];
            if section.meta.redirect_to.is_some() {
                format!("{}index.html", section.path)
            } else {
                let path = pager_path(&section.path, &section.meta.paginate_path, pager);
                format!("{path}index.html")
            }
        }
        Job::TaxonomyList(index) => format!("{}index.html", content.taxonomies[index].path),
        Job::Term {
            taxonomy,
            term,
            pager,
        } => {
            let term = &content.taxonomies[taxonomy].terms[term];
            format!("{}index.html", pager_path(&term.path, "page", pager))
        }
        Job::Figures(language) => format!("{}{FIGURES_PAGE}index.html", prefix(language)),
        Job::Datasets(language) => {
            format!("{}{}index.html", prefix(language), datasets::DATASETS_PAGE)
        }
        Job::Dataset(language, resource) => {
            let resource = &site
                .package
                .as_ref()
                .expect("dataset jobs exist only with a package")
                .resources[resource];
            format!(
                "{}{}{}/index.html",
                prefix(language),
                datasets::DATASETS_PAGE,
                resource.name
            )
        }
        Job::Search(language) => format!("{}{SEARCH_PAGE}index.html", prefix(language)),
        Job::NotFound => "404.html".to_string(),
    }
}

/// Template, line, message.
type FailureKey = (String, Option<usize>, String);

struct TemplateFailure {
    template: String,
    line: Option<usize>,
    message: String,
    excerpt: Option<String>,
    rendering: String,
}

/// Renders `job` into `out_path` (from [`output_path`]).
fn run(
    job: &Job,
    out_path: String,
    shared: &Arc<Shared>,
    env: &Environment<'static>,
) -> Result<OutputFile, TemplateFailure> {
    let site = &shared.site;
    let content = &site.content;
    // The page's own address: its folder, or the file itself (404.html).
    let path = out_path
        .strip_suffix("index.html")
        .unwrap_or(&out_path)
        .to_string();
    let (template, ctx, rendering) = match *job {
        Job::Page(index) => {
            incremental::read_page(index);
            let page = &content.pages[index];
            let section = &content.sections[page.section];
            let template = page
                .meta
                .template
                .clone()
                .or_else(|| section.meta.page_template.clone())
                .unwrap_or_else(|| "page.html".into());
            let ctx = variables! {
                kind => "page",
                lang => page.lang,
                page => PageView::value(shared, index),
                translations => views::alternates(shared, Some(Target::Page(index)), &page.key, &page.lang),
                ..common(shared, &page.lang, &page.path)
            };
            (template, ctx, page.file.display().to_string())
        }
        Job::Section { index, pager } => {
            incremental::read_section(index);
            let section = &content.sections[index];
            let is_home = section.key == "_index.md";
            if let Some(target) = &section.meta.redirect_to {
                let (url, permalink) = if target.contains("://") {
                    (target.clone(), target.clone())
                } else {
                    let path = target.trim_start_matches('/');
                    (shared.url(path), shared.permalink(path))
                };
                return Ok(OutputFile {
                    path: out_path,
                    contents: Contents::Bytes(
                        redirect_html(&url, &permalink, &section.lang).into_bytes(),
                    ),
                    origin: rendering_name(section.file.as_ref()),
                });
            }
            let template = section.meta.template.clone().unwrap_or_else(|| {
                if is_home {
                    "index.html".into()
                } else {
                    "section.html".into()
                }
            });
            let paginator = section.meta.paginate_by.map(|per_page| {
                paginator(
                    shared,
                    PagesOf::Section(index),
                    section.meta.paginate_reversed,
                    per_page,
                    pager,
                    &section.path,
                    &section.meta.paginate_path,
                )
            });
            let ctx = variables! {
                kind => if is_home { "home" } else { "section" },
                lang => section.lang,
                section => SectionView::value(shared, index),
                paginator => paginator,
                translations => views::alternates(shared, Some(Target::Section(index)), &section.key, &section.lang),
                ..common(shared, &section.lang, &path)
            };
            let shown = section
                .file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_else(|| format!("the {} home page", section.lang));
            (template, ctx, shown)
        }
        Job::TaxonomyList(index) => {
            incremental::read_taxonomy(index);
            let taxonomy = &content.taxonomies[index];
            let ctx = variables! {
                kind => "taxonomy",
                lang => taxonomy.lang,
                taxonomy => TaxonomyView::value(shared, index),
                translations => views::taxonomy_alternates(shared, &taxonomy.name, &taxonomy.lang),
                ..common(shared, &taxonomy.lang, &taxonomy.path)
            };
            (
                "taxonomy_list.html".into(),
                ctx,
                format!("the /{} list", taxonomy.path),
            )
        }
        Job::Term {
            taxonomy: taxonomy_index,
            term,
            pager,
        } => {
            incremental::read_term(taxonomy_index, term);
            let taxonomy = &content.taxonomies[taxonomy_index];
            let term_data = &taxonomy.terms[term];
            let paginator = taxonomy.paginate_by.map(|per_page| {
                paginator(
                    shared,
                    PagesOf::Term {
                        taxonomy: taxonomy_index,
                        term,
                    },
                    false,
                    per_page,
                    pager,
                    &term_data.path,
                    "page",
                )
            });
            let ctx = variables! {
                kind => "term",
                lang => taxonomy.lang,
                taxonomy => TaxonomyView::value(shared, taxonomy_index),
                term => views::term_value(shared, taxonomy_index, term),
                paginator => paginator,
                translations => views::taxonomy_alternates(shared, &taxonomy.name, &taxonomy.lang),
                ..common(shared, &taxonomy.lang, &path)
            };
            (
                "taxonomy_single.html".into(),
                ctx,
                format!("the /{path} page"),
            )
        }
        Job::Figures(index) => {
            incremental::read_statistics();
            let language = &site.config.languages[index];
            let ctx = variables! {
                kind => "figures",
                lang => language.code,
                register => stats_view::register(shared, &language.code),
                figures_json => shared.url(crate::output::figures::JSON_PATH),
                figures_csv => shared.url(crate::output::figures::CSV_PATH),
                build_manifest => site.manifest.then(|| shared.url(crate::output::manifest::PATH)),
                translations => views::fixed_alternates(shared, FIGURES_PAGE, &language.code),
                ..common(shared, &language.code, &path)
            };
            ("figures.html".into(), ctx, format!("the /{path} page"))
        }
        Job::Datasets(index) => {
            incremental::read_statistics();
            let language = &site.config.languages[index];
            let ctx = variables! {
                kind => "datasets",
                lang => language.code,
                datasets => datasets::datasets_value(shared, &language.code),
                package_url => (!shared.downloads.is_empty()).then(|| shared.url(crate::output::downloads::PACKAGE_PATH)),
                catalog_url => shared.url(crate::output::catalog::CATALOG_PATH),
                translations => views::fixed_alternates(shared, datasets::DATASETS_PAGE, &language.code),
                ..common(shared, &language.code, &path)
            };
            ("datasets.html".into(), ctx, format!("the /{path} page"))
        }
        Job::Dataset(index, resource) => {
            incremental::read_statistics();
            let language = &site.config.languages[index];
            let resource = &site
                .package
                .as_ref()
                .expect("dataset jobs exist only with a package")
                .resources[resource];
            let relative = format!("{}{}/", datasets::DATASETS_PAGE, resource.name);
            let ctx = variables! {
                kind => "dataset",
                lang => language.code,
                dataset => datasets::dataset_value(shared, resource, &language.code),
                datasets_url => shared.url(&format!("{}{}", language.path_prefix, datasets::DATASETS_PAGE)),
                package_url => (!shared.downloads.is_empty()).then(|| shared.url(crate::output::downloads::PACKAGE_PATH)),
                translations => views::fixed_alternates(shared, &relative, &language.code),
                ..common(shared, &language.code, &path)
            };
            ("dataset.html".into(), ctx, format!("the /{path} page"))
        }
        Job::Search(index) => {
            let language = &site.config.languages[index];
            let ctx = variables! {
                kind => "search",
                lang => language.code,
                search => views::search_value(shared, &language.code),
                translations => views::fixed_alternates(shared, SEARCH_PAGE, &language.code),
                ..common(shared, &language.code, &path)
            };
            ("search.html".into(), ctx, format!("the /{path} page"))
        }
        Job::NotFound => {
            let lang = site.config.default_language.clone();
            let ctx = variables! {
                kind => "404",
                lang => lang,
                translations => views::alternates(shared, None, "", &lang),
                ..common(shared, &lang, &path)
            };
            ("404.html".into(), ctx, "404.html".to_string())
        }
    };
    let failure = |error: minijinja::Error| {
        let name = error.name().unwrap_or(&template).to_string();
        let excerpt = error.line().and_then(|line| {
            site.theme
                .templates
                .get(&name)
                .and_then(|(source, _)| source_line(source, line))
        });
        TemplateFailure {
            line: error.line(),
            message: describe(&error),
            excerpt,
            template: name,
            rendering: rendering.clone(),
        }
    };
    let template_ref = env.get_template(&template).map_err(failure)?;
    let html = template_ref.render(ctx).map_err(failure)?;
    Ok(OutputFile {
        path: out_path,
        contents: Contents::Bytes(html.into_bytes()),
        origin: rendering,
    })
}

fn rendering_name(file: Option<&std::path::PathBuf>) -> String {
    file.map(|f| f.display().to_string())
        .unwrap_or_else(|| "a home page".to_string())
}

/// Variables every template gets.
fn common(shared: &Arc<Shared>, lang: &str, path: &str) -> Vec<(&'static str, Value)> {
    let mut list = vec![
        ("current_path", Value::from(shared.url(path))),
        ("current_url", Value::from(shared.permalink(path))),
    ];
    match shared
        .language_values
        .get()
        .and_then(|values| values.get(lang))
    {
        Some(language) => list.extend(language.iter().cloned()),
        None => list.extend(language_common(shared, lang)),
    }
    list
}

/// What [`common`] gives every page in `lang`, whatever its address.
fn language_common(shared: &Shared, lang: &str) -> Vec<(&'static str, Value)> {
    variable_list! {
        config => shared.config_values.get(lang).cloned().unwrap_or_default(),
        datasets_url => shared.site.package.as_ref().is_some_and(|p| !p.resources.is_empty()).then(|| {
            let prefix = shared.site.config.language(lang).map(|l| l.path_prefix.clone()).unwrap_or_default();
            shared.url(&format!("{prefix}{}", datasets::DATASETS_PAGE))
        }),
        privacy_url => privacy_url(shared, lang),
        privacy => privacy_rules(shared, lang),
        figures_url => shared.site.statistics.has_figures_or_tables().then(|| {
            let prefix = shared.site.config.language(lang).map(|l| l.path_prefix.clone()).unwrap_or_default();
            shared.url(&format!("{prefix}{FIGURES_PAGE}"))
        }),
        search_url => shared.site.config.search.enabled.then(|| {
            let prefix = shared.site.config.language(lang).map(|l| l.path_prefix.clone()).unwrap_or_default();
            shared.url(&format!("{prefix}{SEARCH_PAGE}"))
        }),
    }
}

/// Where the privacy rules are explained, in `lang`.
fn privacy_url(shared: &Shared, lang: &str) -> Option<String> {
    let key = shared.site.config.privacy.explained_in.as_deref()?;
    let target = shared
        .site
        .content
        .resolve(key, lang, &shared.site.config)?;
    Some(format!(
        "{}#{PRIVACY_RULES_ANCHOR}",
        shared.url(shared.site.content.target_path(target))
    ))
}

/// The id of the box with the rules in force on the explaining page.
pub const PRIVACY_RULES_ANCHOR: &str = "aturan-privasi";

/// The rules in force, for the page that explains them.
fn privacy_rules(shared: &Shared, lang: &str) -> Value {
    let config = &shared.site.config;
    let format = shared.format(lang);
    let allow: Vec<Value> = config
        .privacy
        .allow
        .iter()
        .map(|entry| {
            context! {
                value => entry.value,
                reason => entry.reason,
                reviewed_by => entry.reviewed_by,
                reviewed_on => entry.reviewed_on.to_string(),
            }
        })
        .collect();
    let stricter: Vec<Value> = shared
        .site
        .package
        .iter()
        .flat_map(|p| &p.resources)
        .filter(|r| r.persons && r.min_cell_size.is_some_and(|k| k > config.privacy.min_cell_size))
        .map(|r| context! { resource => r.name, threshold => format.integer(i64::from(r.min_cell_size.unwrap_or(0))) })
        .collect();
    context! {
        explained_in => config.privacy.explained_in,
        anchor => PRIVACY_RULES_ANCHOR,
        threshold => format.integer(i64::from(config.privacy.min_cell_size)),
        stricter => stricter,
        allow => allow,
    }
}

/// `program/` for the first page, `program/page/2/` for the second.
fn pager_path(base: &str, paginate_path: &str, pager: usize) -> String {
    if pager == 0 {
        base.to_string()
    } else {
        format!("{base}{paginate_path}/{}/", pager + 1)
    }
}

fn paginator(
    shared: &Arc<Shared>,
    of: PagesOf,
    reversed: bool,
    per_page: usize,
    pager: usize,
    base: &str,
    paginate_path: &str,
) -> Value {
    let count = PageList::all(shared, of).len();
    let total = count.div_ceil(per_page).max(1);
    let start = pager * per_page;
    let end = (start + per_page).min(count);
    let url = |index: usize| shared.url(&pager_path(base, paginate_path, index));
    // Links to the first and last pagers and to two on each side of this
    // one, with a gap between: a list of every pager on every pager would
    // grow with the square of the pages (2,500 pagers of 50,000 pages:
    // 130 KB of links on each).
    let mut shown: Vec<usize> = vec![0, total - 1];
    shown.extend(pager.saturating_sub(2)..(pager + 3).min(total));
    shown.sort_unstable();
    shown.dedup();
    let mut pagers: Vec<Value> = Vec::with_capacity(shown.len() * 2);
    for (position, &index) in shown.iter().enumerate() {
        if position > 0 && index > shown[position - 1] + 1 {
            pagers.push(context! { gap => true });
        }
        pagers.push(context! { number => index + 1, url => url(index), current => index == pager, gap => false });
    }
    context! {
        pages => PageList::part(shared, of, reversed, start.min(end)..end),
        current_index => pager + 1,
        number_pagers => total,
        paginate_by => per_page,
        total_pages => count,
        first => url(0),
        last => url(total - 1),
        previous => if pager > 0 { Some(url(pager - 1)) } else { None },
        next => if pager + 1 < total { Some(url(pager + 1)) } else { None },
        pagers => pagers,
    }
}

/// A page that sends the browser on to `url` (`permalink` is the same
/// address in full, for search engines), for aliases and `redirect_to`;
/// works without JavaScript.
pub fn redirect_html(url: &str, permalink: &str, lang: &str) -> String {
    let url = escape_html(url);
    let permalink = escape_html(permalink);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{url}</title>\n<link rel=\"canonical\" href=\"{permalink}\">\n<meta http-equiv=\"refresh\" content=\"0; url={url}\">\n<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n<p><a href=\"{url}\">{url}</a></p>\n</body>\n</html>\n"
    )
}

/// Redirect pages for `aliases` and for the first pager's `/page/1/`.
fn alias_redirects(site: &Site, diagnostics: &mut Diagnostics) -> Vec<OutputFile> {
    let mut outputs = Vec::new();
    let config = &site.config;
    let mut add = |alias: &str,
                   target: &str,
                   lang: &str,
                   file: Option<&std::path::PathBuf>,
                   line: Option<usize>| {
        let origin = match file {
            Some(file) => format!("an alias in {}", file.display()),
            None => format!("the redirect from page 1 to /{target}"),
        };
        let Some(clean) = crate::content::markdown::normalise(alias) else {
            diagnostics.push(
                Diagnostic::error(
                    file.map(|f| match line {
                        Some(line) => Location::line(f, line),
                        None => Location::file(f),
                    }),
                    format!("alias `{alias}` would leave the output folder"),
                )
                .with_hint("write aliases as site paths such as `lama/bursa-kerja/`"),
            );
            return;
        };
        let path = if clean.ends_with(".html") {
            clean
        } else {
            format!("{}/index.html", clean.trim_end_matches('/'))
        };
        outputs.push(OutputFile {
            path: path.trim_start_matches('/').to_string(),
            origin,
            contents: Contents::Bytes(
                redirect_html(
                    &format!("{}{target}", config.base_path),
                    &format!("{}{target}", config.base_url),
                    lang,
                )
                .into_bytes(),
            ),
        });
    };
    for page in &site.content.pages {
        for alias in &page.meta.aliases {
            add(
                alias,
                &page.path,
                &page.lang,
                Some(&page.file),
                page.meta.lines.get("aliases").copied(),
            );
        }
    }
    for section in &site.content.sections {
        for alias in &section.meta.aliases {
            add(
                alias,
                &section.path,
                &section.lang,
                section.file.as_ref(),
                section.meta.lines.get("aliases").copied(),
            );
        }
        if section.meta.paginate_by.is_some()
            && section.meta.render
            && section.meta.redirect_to.is_none()
        {
            add(
                &format!("{}{}/1/", section.path, section.meta.paginate_path),
                &section.path,
                &section.lang,
                None,
                None,
            );
        }
    }
    for taxonomy in &site.content.taxonomies {
        if taxonomy.paginate_by.is_some() {
            for term in &taxonomy.terms {
                add(
                    &format!("{}page/1/", term.path),
                    &term.path,
                    &taxonomy.lang,
                    None,
                    None,
                );
            }
        }
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan in blocks of 32 bytes finds what needs escaping wherever
    /// it stands: in the first, a middle or the last (short) block, a C1
    /// control split across two blocks, and after a block whose only
    /// suspect byte starts a harmless character (a no-break space).
    #[test]
    fn escaping_finds_what_needs_it_at_every_position() {
        for length in 0..100 {
            for at in 0..length {
                for (special, is_control) in [
                    ("&", false),
                    ("'", false),
                    ("\u{1}", true),
                    ("\u{7f}", true),
                    ("\u{85}", true),
                ] {
                    let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(length - at));
                    assert_eq!(first_to_escape(&text), Some(at), "{text:?}");
                    assert_eq!(has_forbidden_control(&text), is_control, "{text:?}");
                    let after_space = format!("\u{a0}{text}");
                    assert_eq!(
                        first_to_escape(&after_space),
                        Some(at + 2),
                        "{after_space:?}"
                    );
                }
            }
            let plain = format!("{}\u{a0}", "a".repeat(length));
            assert_eq!(first_to_escape(&plain), None);
            assert!(!has_forbidden_control(&plain));
        }
    }

    #[test]
    fn a_jobs_own_variables_win_over_what_every_template_gets() {
        let every = variable_list! { lang => "id", datasets_url => "/data/" };
        let env = Environment::new();
        let ctx = variables! { datasets_url => "/en/data/", kind => "dataset", ..every };
        let html = env
            .render_str("{{ kind }} {{ lang }} {{ datasets_url }}", ctx.clone())
            .expect("renders");
        assert_eq!(html, "dataset id /en/data/");
        // Each name once, in the order looked through.
        let names: Vec<String> = ctx
            .try_iter()
            .expect("a map")
            .map(|name| name.to_string())
            .collect();
        assert_eq!(names, ["datasets_url", "kind", "lang"]);
        // A name no list has is undefined, as with `context!`.
        assert_eq!(
            env.render_str("{{ page is defined }}", ctx)
                .expect("renders"),
            "False"
        );
    }
}
