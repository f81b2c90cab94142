//! kaca builds public transparency portals: it joins programme data with
//! markdown announcements and writes a static, bilingual site.
//!
//! The pipeline runs one way, one module per stage:
//! `config` → `content` (+ theme) → `render` → `output`.
//! [`build`] calls them in order and is the whole program in short.

pub mod chart;
pub mod config;
pub mod content;
pub mod data;
pub mod diagnostics;
pub mod output;
pub mod privacy;
pub mod render;
pub mod scaffold;
pub mod serve;
pub mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diagnostics::{Diagnostic, Diagnostics};

/// What the user asked for on the command line.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The portal's folder (holds `site.toml`).
    pub root: PathBuf,
    /// Where the site goes; relative paths are relative to `root`.
    pub output: PathBuf,
    /// Replaces `base_url` from `site.toml`.
    pub base_url: Option<String>,
    /// Includes pages and sections marked `draft`.
    pub drafts: bool,
    /// `false` for `kaca check`: do everything but write.
    pub write: bool,
    /// The time the build stands for, from `SOURCE_DATE_EPOCH`: written
    /// into `build.json` and used where a feed has no dated entry. Builds
    /// never read the clock, so without it the output depends on the inputs
    /// alone.
    pub source_date: Option<jiff::Timestamp>,
    /// Builds the search index (when the site has search). `serve` turns
    /// this off and indexes in the background once edits settle, so that a
    /// saved file shows without waiting for the index.
    pub search_index: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: PathBuf::from("public"),
            base_url: None,
            drafts: false,
            write: true,
            source_date: None,
            search_index: true,
        }
    }
}

/// The result of a run: every problem found, and what was built.
#[derive(Debug)]
pub struct BuildOutcome {
    pub diagnostics: Diagnostics,
    pub summary: Option<BuildSummary>,
}

impl BuildOutcome {
    pub fn succeeded(&self) -> bool {
        !self.diagnostics.has_errors() && self.summary.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct BuildSummary {
    /// Pages per language code.
    pub pages: Vec<(String, usize)>,
    pub files: usize,
    /// The folder written, or `None` for `check`.
    pub output: Option<PathBuf>,
    /// Each stage and how long it took.
    pub timings: Vec<(&'static str, Duration)>,
    /// What the privacy guard scanned and hid.
    pub privacy: Vec<String>,
    /// Pages and lists rendered from their templates, and (in a
    /// [`Session`]) kept from the last build because nothing they show
    /// changed.
    pub templates_rendered: usize,
    pub templates_kept: usize,
    /// Whether the site has full-text search (`[search] enabled`).
    pub has_search: bool,
    /// Data resources read and computed in this build (in a [`Session`],
    /// those whose files and declarations did not change are not).
    pub resources_read: Vec<String>,
}

/// What `kaca serve` keeps from one build to the next, so that an edit
/// costs about what it changed: parsed and rendered content files, the
/// statistics, what each template read, and what the output folder holds.
#[derive(Default)]
pub struct Session {
    content: content::cache::ContentCache,
    /// Each resource's pass of the last computation.
    compute: stats::ComputeMemo,
    render: Option<render::RenderMemo>,
    written: Option<output::Written>,
}

/// What changed since the session's last build, as far as the caller
/// knows (the file watcher does).
/// Ordered from least to most: a rebuild after several changes takes the
/// largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Changed {
    /// Only markdown files under `content/`: only templates that read
    /// something that changed are rendered.
    Markdown,
    /// Files under `data/` (and perhaps markdown): the resources that
    /// changed are read again, and only the templates that read
    /// statistics or datasets (or content that changed) are rendered.
    Data,
    /// Anything else, or not known: every template is rendered again.
    /// (Whatever the change, content files and data resources that did
    /// not change are not read again.)
    Other,
    /// `site.toml`: nothing is kept.
    Config,
}

/// Runs the whole pipeline. Writes nothing unless every stage succeeded.
pub fn build(options: &BuildOptions) -> BuildOutcome {
    build_with(options, None)
}

/// [`build`] within a [`Session`]: reuses what it can of the last build,
/// writes only files that changed (into a folder this session wrote), and
/// leaves out the build manifest. For `kaca serve`.
pub fn build_in_session(
    options: &BuildOptions,
    session: &mut Session,
    changed: Changed,
) -> BuildOutcome {
    if changed == Changed::Config {
        *session = Session {
            written: session.written.take(),
            ..Session::default()
        };
    }
    if changed > Changed::Data {
        session.render = None;
    }
    build_with(options, Some(session))
}

fn build_with(options: &BuildOptions, session: Option<&mut Session>) -> BuildOutcome {
    let mut diagnostics = Diagnostics::new();
    let mut timings = Vec::new();
    let summary = run_stages(options, session, &mut diagnostics, &mut timings);
    let summary = if diagnostics.has_errors() {
        None
    } else {
        summary
    };
    BuildOutcome {
        diagnostics,
        summary,
    }
}

fn run_stages(
    options: &BuildOptions,
    mut session: Option<&mut Session>,
    diagnostics: &mut Diagnostics,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Option<BuildSummary> {
    let root = options.root.as_path();
    let mut clock = Clock::start();

    // Refuse a dangerous output folder before any work.
    let output = if options.write {
        match output::resolve_output(root, &options.output)
            .and_then(|output| output::check_replaceable(&output).map(|()| output))
        {
            Ok(output) => Some(output),
            Err(problem) => {
                diagnostics.push(problem);
                return None;
            }
        }
    } else {
        None
    };

    let config = config::load(root, diagnostics)?;
    let config = match &options.base_url {
        Some(url) => match config.with_base_url(url) {
            Ok(config) => config,
            Err(message) => {
                diagnostics.push(Diagnostic::error(None, format!("--base-url: {message}")));
                return None;
            }
        },
        None => config,
    };
    timings.push(("config", clock.lap()));

    let theme = render::theme::load(root, &config, diagnostics);
    timings.push(("theme", clock.lap()));
    let content = content::load(
        root,
        &config,
        &content::LoadOptions {
            drafts: options.drafts,
            // What the manifest needs (a preview writes none).
            digests: session.is_none(),
        },
        session.as_deref_mut().map(|s| &mut s.content),
        diagnostics,
    );
    timings.push(("content", clock.lap()));

    let package = data::package::load(root, diagnostics);
    let package_broken = matches!(package, data::package::Loaded::Broken);
    let package = match package {
        data::package::Loaded::Package(package) => Some(package),
        _ => None,
    };
    let page_exists = |key: &str| content.has_page(key, &config.default_language);
    let declarations = stats::declare::load(
        root,
        &config,
        package.as_ref(),
        package_broken,
        &page_exists,
        diagnostics,
    );
    timings.push(("declare", clock.lap()));
    let mut resources_read: Vec<String> = Vec::new();
    let mut statistics = match &package {
        Some(package) => {
            let detector = privacy::identifiers::Detector::shared(&config.privacy.allow);
            let memo = session.as_deref_mut().map(|s| &mut s.compute);
            let statistics =
                stats::compute_since(package, &declarations, &detector, memo, diagnostics);
            resources_read = match session.as_deref() {
                Some(session) => session.compute.read.clone(),
                None => package.resources.iter().map(|r| r.name.clone()).collect(),
            };
            statistics
        }
        None => stats::Statistics::default(),
    };
    stats::check_placements(&content, &statistics, &declarations.broken, diagnostics);
    timings.push(("compute", clock.lap()));

    // Before anything is rendered: hide what could identify a person.
    let mut privacy_report = match &package {
        Some(package) => privacy::protect(&mut statistics, package, &config, diagnostics),
        None => privacy::Report::default(),
    };
    privacy_report.lines.insert(
        0,
        privacy::scan_summary(&content, package.as_ref(), &config),
    );
    timings.push(("privacy", clock.lap()));
    if diagnostics.has_errors() {
        return None;
    }

    let site = Arc::new(render::Site {
        config,
        content,
        theme,
        package,
        statistics,
        source_date: options.source_date,
        search_index: options.search_index,
        // A preview needs no manifest, and hashing every file after every
        // keystroke would cost more than the edit.
        manifest: session.is_none(),
    });
    let since = match session.as_deref_mut() {
        None => render::Since::Nothing,
        Some(session) => match session.render.take() {
            Some(memo) => render::Since::Last(memo),
            None => render::Since::Start,
        },
    };
    // A build writes its pages as it renders them (a large site is never
    // held whole); a preview keeps them to compare with the last ones.
    let staging = match (&output, &session) {
        (Some(output), None) => match output::Staging::begin(output) {
            Ok(staging) => Some(staging),
            Err(problem) => {
                diagnostics.push(problem);
                return None;
            }
        },
        _ => None,
    };
    let rendered = render::render(site.clone(), since, staging.as_ref(), diagnostics);
    let (templates_rendered, templates_kept) = (rendered.rendered_jobs, rendered.kept.len());
    let mut files = rendered.files;
    let memo = rendered.memo;
    let mut site = site;
    if session.is_none()
        && let Some(site) = Arc::get_mut(&mut site)
    {
        // Every page is rendered: its markdown's HTML is not read again,
        // and the search index gets the memory (a preview keeps it for
        // the next edit).
        site.content.release_rendered_html();
    }
    timings.push(("render", clock.lap()));
    if site.config.search.enabled && site.search_index && !diagnostics.has_errors() {
        let index = output::search::files(&mut files, diagnostics);
        files.extend(index);
        timings.push(("search", clock.lap()));
    }
    // The manifest (which has the outputs' hashes from when they were
    // written, and hashes only the inputs not hashed as they were read)
    // and the checks only read the site's files: they run side by side,
    // each a pass over every file. The checks count the manifest's file,
    // made meanwhile, as written (a link may lead to it, a file may clash).
    let to_come: &[(&str, &str)] = if site.manifest {
        &[(output::manifest::PATH, output::manifest::ORIGIN)]
    } else {
        &[]
    };
    let (manifest, found) = rayon::join(
        || {
            site.manifest
                .then(|| manifest_file(&site, root, options.source_date, &files))
        },
        || {
            let mut found = Diagnostics::new();
            output::check_unique_outputs(&files, to_come, &mut found);
            output::check_internal_links(&site.content, &files, to_come, &mut found);
            found
        },
    );
    match manifest {
        Some(Ok(manifest)) => files.push(manifest),
        Some(Err(problem)) => diagnostics.push(problem),
        None => {}
    }
    diagnostics.extend(found);
    timings.push(("check", clock.lap()));
    if diagnostics.has_errors() {
        return None;
    }

    if let Some(output) = &output {
        let written = session.as_deref_mut().and_then(|s| s.written.as_mut());
        let result = match written {
            Some(written) => {
                output::write_changed(output, &files, &rendered.kept, written).map(|_| ())
            }
            None => match staging {
                Some(staging) => staging.finish(&files),
                None => output::write(output, &files).map(|()| {
                    if let Some(session) = session.as_deref_mut() {
                        session.written = Some(output::fingerprints(&files));
                    }
                }),
            },
        };
        if let Err(problem) = result {
            diagnostics.push(problem);
            if let Some(session) = session.as_deref_mut() {
                // The folder may hold part of this build: write it whole next time.
                session.written = None;
            }
            return None;
        }
        timings.push(("write", clock.lap()));
    }
    let file_count = files.len();
    let files = match session {
        Some(session) => {
            if let Some(mut memo) = memo {
                memo.keep_outputs(files);
                session.render = Some(memo);
            }
            Vec::new()
        }
        None => files,
    };

    let pages = site
        .config
        .languages
        .iter()
        .map(|l| {
            let count = site
                .content
                .pages
                .iter()
                .filter(|p| p.lang == l.code)
                .count();
            (l.code.clone(), count)
        })
        .collect();
    let has_search = site.config.search.enabled;
    // Freeing a large site's pages, figures and files takes a few
    // hundredths of a second on one core with nothing else left to do:
    // a thread of its own frees them, and a build that ends here does not
    // wait for it. (Should no thread be had, they are freed here, as the
    // closure that holds them is dropped.)
    let free = move || drop((site, files));
    let _ = std::thread::Builder::new().spawn(free);
    Some(BuildSummary {
        pages,
        files: file_count,
        output,
        timings: std::mem::take(timings),
        privacy: privacy_report.lines,
        templates_rendered,
        templates_kept,
        has_search,
        resources_read,
    })
}

/// `build.json` for the files of a build (see [`output::manifest`]).
fn manifest_file(
    site: &render::Site,
    root: &Path,
    source_date: Option<jiff::Timestamp>,
    files: &[render::OutputFile],
) -> Result<render::OutputFile, diagnostics::Diagnostic> {
    let data_read: Vec<output::manifest::DataRead> = site
        .package
        .iter()
        .flat_map(|package| &package.resources)
        .filter_map(|resource| {
            let facts = site.statistics.resources.get(&resource.name)?;
            let path = resource
                .shown
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            Some(output::manifest::DataRead {
                path,
                digest: format!("sha256:{}", facts.sha256),
                settled: facts.settled,
            })
        })
        .collect();
    output::manifest::file(
        root,
        &site.config.theme,
        &site.config.base_url,
        source_date,
        &site.content.draft_paths,
        &site.content.read_digests,
        &data_read,
        files,
    )
}

struct Clock(Instant);

impl Clock {
    fn start() -> Self {
        Clock(Instant::now())
    }

    fn lap(&mut self) -> Duration {
        let now = Instant::now();
        let elapsed = now - self.0;
        self.0 = now;
        elapsed
    }
}

/// Fault injection for the tests, in debug builds only: when the
/// environment variable `variable` holds a number of milliseconds, waits
/// that long. Tests use it to stop a process at a known point (halfway
/// through writing a site, before indexing it) and kill it there, on any
/// machine, instead of searching for a window of a few milliseconds.
#[doc(hidden)]
pub fn pause_for_fault_tests(variable: &str) {
    if cfg!(debug_assertions)
        && let Some(ms) = std::env::var(variable)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Shows a path the way the user would type it from `root`.
pub fn display_path(root: &Path, path: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    diagnostics::relative_to(&root, path).display().to_string()
}
