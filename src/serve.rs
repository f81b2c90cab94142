//! `kaca serve`: a local preview. Builds into a private temporary folder
//! (never the user's `public/`), serves it on 127.0.0.1, rebuilds when a
//! source changes, and reloads open pages. A broken change keeps the last
//! good build online and shows the problems in the terminal and on every
//! page until they are fixed.

use std::io::Cursor;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use notify::{RecursiveMode, Watcher};
use percent_encoding::percent_decode_str;
use tiny_http::{Header, Request, Response, Server, StatusCode};

use crate::BuildOptions;

/// Sources whose changes trigger a rebuild.
/// Live-reload requests wait at most this long for a new build.
const POLL_WAIT: Duration = Duration::from_secs(25);
/// Changes arriving this close together are one rebuild (editors write a
/// file in several steps). Short: it is part of the time between saving
/// and seeing; a rebuild started too early is followed by another.
const SETTLE: Duration = Duration::from_millis(10);
/// Quiet time after the last rebuild before the search index is rebuilt:
/// indexing a large site takes seconds, and a saved page must show at once.
const SEARCH_SETTLE: Duration = Duration::from_secs(2);

struct Status {
    generation: u64,
    /// The report of the last failed build, until a build succeeds.
    error: Option<String>,
}

struct Shared {
    status: Mutex<Status>,
    changed: Condvar,
    public: PathBuf,
    /// The search index, built apart from the site (see [`SEARCH_SETTLE`])
    /// and served at `/pagefind/`.
    search: PathBuf,
    /// Asks the search indexer to index the site again.
    reindex: Mutex<mpsc::Sender<()>>,
    /// The indexing child process while it runs: paused during rebuilds.
    indexer: Mutex<Option<u32>>,
}

/// `verbose` prints the time of each stage after every rebuild.
pub fn serve(root: &Path, interface: &str, port: u16, drafts: bool, verbose: bool) -> Result<()> {
    if !root.join(crate::config::CONFIG_FILE).is_file() {
        bail!(
            "there is no site.toml in `{}`; run kaca serve in the portal's folder, or create one with `kaca new DIR`",
            root.display()
        );
    }
    let (server, port) = bind(interface, port)?;
    // Watched paths come back as they were given: absolute ones compare
    // with the paths of changes whatever the working folder.
    let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let root = canonical.as_path();
    let host = if interface.contains(':') {
        format!("[{interface}]")
    } else {
        interface.to_string()
    };
    let base_url = format!("http://{host}:{port}/");
    // In memory when the system offers a RAM-backed folder: the preview is
    // rewritten after every save, and writing a large site's first build to
    // a disk took seconds (12,000 files: 11 s on the benchmark machine's
    // disk, 0.2 s in memory). Elsewhere the system's temporary folder.
    let in_memory = Path::new("/dev/shm");
    let mut scratch = tempfile::Builder::new();
    scratch.prefix("kaca-serve-");
    let scratch = if in_memory.is_dir() {
        scratch.tempdir_in(in_memory).or_else(|_| scratch.tempdir())
    } else {
        scratch.tempdir()
    }
    .context("cannot create a temporary folder for the preview")?;
    let public = scratch.path().join("public");
    let options = BuildOptions {
        output: public.clone(),
        base_url: Some(base_url.clone()),
        drafts,
        search_index: false,
        ..BuildOptions::new(root)
    };
    let (reindex, reindex_requests) = mpsc::channel();
    let shared = Arc::new(Shared {
        status: Mutex::new(Status {
            generation: 0,
            error: None,
        }),
        changed: Condvar::new(),
        public,
        search: scratch.path().join("search"),
        reindex: Mutex::new(reindex),
        indexer: Mutex::new(None),
    });
    let indexer_shared = shared.clone();
    std::thread::spawn(move || index_search(&reindex_requests, &indexer_shared));
    let mut session = crate::Session::default();
    rebuild(
        &options,
        &mut session,
        crate::Changed::Config,
        verbose,
        &shared,
    );

    let scratch_path = scratch.path().to_path_buf();
    let closing = shared.clone();
    ctrlc::set_handler(move || {
        signal_indexer(&closing, Indexer::Stop);
        let _ = std::fs::remove_dir_all(&scratch_path);
        std::process::exit(0);
    })
    .context("cannot install the Ctrl-C handler")?;

    let (events, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Only real changes: the build's own reads come back as access
        // events and would rebuild forever.
        if let Ok(event) = event
            && matches!(
                event.kind,
                notify::EventKind::Create(_)
                    | notify::EventKind::Modify(_)
                    | notify::EventKind::Remove(_)
            )
            && !matches!(
                event.kind,
                notify::EventKind::Modify(notify::event::ModifyKind::Metadata(_))
            )
            && event.paths.iter().any(|p| !is_editor_scratch(p))
        {
            let _ = events.send(event.paths);
        }
    })
    .context("cannot watch the portal's files for changes")?;
    watcher
        .watch(root, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch `{}`", root.display()))?;
    let mut watched = Vec::new();
    watch_sources(&mut watcher, root, &mut watched);

    let rebuild_shared = shared.clone();
    let rebuild_root = root.to_path_buf();
    std::thread::spawn(move || {
        while let Ok(paths) = changes.recv() {
            let mut changed = classify(&rebuild_root, &paths);
            while let Ok(paths) = changes.recv_timeout(SETTLE) {
                changed = changed.max(classify(&rebuild_root, &paths));
            }
            // A source folder created after start (say templates/) is
            // watched from its first change on.
            watch_sources(&mut watcher, &rebuild_root, &mut watched);
            rebuild(&options, &mut session, changed, verbose, &rebuild_shared);
        }
    });

    println!(
        "Serving the portal at {base_url} (Ctrl-C to stop). Changes rebuild it and reload the page."
    );
    for request in server.incoming_requests() {
        let shared = shared.clone();
        std::thread::spawn(move || {
            let _ = respond(request, &shared);
        });
    }
    Ok(())
}

fn bind(interface: &str, port: u16) -> Result<(Server, u16)> {
    let mut last_error = None;
    for candidate in port..port.saturating_add(20) {
        match Server::http((interface, candidate)) {
            Ok(server) => return Ok((server, candidate)),
            Err(error) => last_error = Some(error),
        }
    }
    bail!(
        "cannot listen on {interface}, ports {port} to {}: {}",
        port.saturating_add(19),
        last_error.map(|e| e.to_string()).unwrap_or_default()
    )
}

fn watch_sources(
    watcher: &mut notify::RecommendedWatcher,
    root: &Path,
    watched: &mut Vec<PathBuf>,
) {
    for name in std::iter::once(crate::config::CONFIG_FILE).chain(crate::output::SOURCE_DIRS) {
        let path = root.join(name);
        if path.is_dir()
            && !watched.contains(&path)
            && watcher.watch(&path, RecursiveMode::Recursive).is_ok()
        {
            watched.push(path);
        }
    }
}

/// What a set of changed paths means for the next build: markdown under
/// `content/` and files under `data/` let it keep the pages that read
/// nothing that changed.
fn classify(root: &Path, paths: &[PathBuf]) -> crate::Changed {
    let content = root.join(crate::content::CONTENT_DIR);
    let data = root.join(crate::data::package::DATA_DIR);
    let config = root.join(crate::config::CONFIG_FILE);
    paths
        .iter()
        .filter(|path| !is_editor_scratch(path))
        .map(|path| {
            if *path == config {
                crate::Changed::Config
            } else if path.starts_with(&content) && path.extension().is_some_and(|e| e == "md") {
                crate::Changed::Markdown
            } else if path.starts_with(&data) {
                crate::Changed::Data
            } else {
                crate::Changed::Other
            }
        })
        .max()
        .unwrap_or(crate::Changed::Markdown)
}

/// Swap files, backups and lock files that editors write beside a file.
fn is_editor_scratch(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with(".#")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
}

/// Rebuilds the search index of the served site whenever asked, once the
/// requests have stopped for [`SEARCH_SETTLE`]; the new index replaces the
/// old one whole.
///
/// Indexing a large site takes seconds and a lot of memory; done in this
/// process it slowed the next rebuild tenfold (both fight over the same
/// memory map), so it runs in a child process (`kaca index-search`, at the
/// lowest priority) and an edit saved meanwhile shows without waiting.
fn index_search(requests: &mpsc::Receiver<()>, shared: &Shared) {
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(error) => {
            eprintln!("The search index cannot be rebuilt: {error}");
            return;
        }
    };
    while requests.recv().is_ok() {
        while requests.recv_timeout(SEARCH_SETTLE).is_ok() {}
        let started = std::time::Instant::now();
        let fresh = shared.search.with_extension("new");
        let _ = std::fs::remove_dir_all(&fresh);
        let mut command = std::process::Command::new(&program);
        command.arg("index-search").arg(&shared.public).arg(&fresh);
        dies_with_this_process(&mut command);
        let indexed = command.spawn().and_then(|mut child| {
            *shared.indexer.lock().unwrap_or_else(|e| e.into_inner()) = Some(child.id());
            // Reaped only under the lock that `signal_indexer` signals
            // under, so a signal never reaches a reused process id.
            loop {
                {
                    let mut indexer = shared.indexer.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(status) = child.try_wait()? {
                        *indexer = None;
                        return Ok(status);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        match indexed {
            Ok(status) if status.success() => {}
            Ok(_) => continue, // the child said why
            Err(error) => {
                eprintln!("The search index could not be built: {error}");
                continue;
            }
        }
        let old = shared.search.with_extension("old");
        let _ = std::fs::remove_dir_all(&old);
        let swapped = (|| {
            if shared.search.exists() {
                std::fs::rename(&shared.search, &old)?;
            }
            std::fs::rename(&fresh, &shared.search)
        })();
        match swapped {
            Ok(()) => println!(
                "Search index rebuilt in {:.0} ms.",
                started.elapsed().as_secs_f64() * 1000.0
            ),
            Err(error) => eprintln!("The search index could not be written: {error}"),
        }
        let _ = std::fs::remove_dir_all(&old);
    }
}

/// Makes the child started by `command` die with this process, even when
/// this one is killed outright and no handler runs: an orphan indexer would
/// go on indexing a deleted folder. Set between fork and exec, so there is
/// no moment in which the child runs without it.
fn dies_with_this_process(command: &mut std::process::Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe system calls run in the forked
        // child (prctl, getppid, _exit), and no memory is allocated.
        unsafe {
            command.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // The parent died before the signal was asked for.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// What [`signal_indexer`] asks of the indexing child.
#[derive(Clone, Copy)]
enum Indexer {
    Pause,
    Resume,
    /// The preview is closing: the child's folder is about to be deleted.
    Stop,
}

/// Signals the indexing child, if one runs; says whether there was one.
fn signal_indexer(shared: &Shared, what: Indexer) -> bool {
    let indexer = shared.indexer.lock().unwrap_or_else(|e| e.into_inner());
    let Some(pid) = *indexer else {
        return false;
    };
    #[cfg(unix)]
    {
        let signal = match what {
            Indexer::Pause => libc::SIGSTOP,
            Indexer::Resume => libc::SIGCONT,
            Indexer::Stop => libc::SIGKILL,
        };
        // SAFETY: signals our own child; it is reaped only under this lock
        // (see `index_search`), so the id still names it.
        unsafe {
            libc::kill(pid as libc::pid_t, signal);
        }
    }
    #[cfg(not(unix))]
    let _ = (pid, what);
    true
}

/// `kaca index-search SITE INTO` (for `serve`, hidden from help): writes
/// the search index of the built site in SITE into the new folder INTO, at
/// the lowest scheduling priority.
pub fn index_search_command(site: &Path, into: &Path) -> Result<()> {
    #[cfg(unix)]
    // SAFETY: setpriority on this process (id 0) touches no memory.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
    // tests/serve.rs stops `serve` while its indexer waits here.
    crate::pause_for_fault_tests("KACA_FAULT_PAUSE_INDEXING_MS");
    let files = crate::output::search::index_folder(site)
        .with_context(|| format!("cannot index `{}`", site.display()))?;
    for (path, bytes) in files {
        let target = into.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write `{}`", target.display()))?;
    }
    Ok(())
}

fn rebuild(
    options: &BuildOptions,
    session: &mut crate::Session,
    changed: crate::Changed,
    verbose: bool,
    shared: &Shared,
) {
    let started = std::time::Instant::now();
    // The indexer would take CPU and memory bandwidth from the rebuild the
    // user is waiting for: it is paused until the rebuild is done.
    let paused = signal_indexer(shared, Indexer::Pause);
    let outcome = crate::build_in_session(options, session, changed);
    if paused {
        signal_indexer(shared, Indexer::Resume);
    }
    if verbose && let Some(summary) = &outcome.summary {
        for (stage, time) in &summary.timings {
            eprintln!("  {stage:<8} {:>8.1} ms", time.as_secs_f64() * 1000.0);
        }
    }
    let report = outcome.diagnostics.report();
    let mut status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
    if outcome.succeeded() {
        if !report.is_empty() {
            eprint!("{report}");
        }
        let kept = outcome.summary.as_ref().map_or(0, |s| s.templates_kept);
        let rendered = outcome.summary.as_ref().map_or(0, |s| s.templates_rendered);
        if kept > 0 {
            println!(
                "Rebuilt in {:.0} ms ({rendered} pages rendered again, {kept} unchanged).",
                started.elapsed().as_secs_f64() * 1000.0
            );
        } else {
            println!(
                "Rebuilt in {:.0} ms.",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        status.error = None;
        if outcome.summary.as_ref().is_some_and(|s| s.has_search) {
            let _ = shared
                .reindex
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .send(());
        }
    } else {
        eprint!("{report}");
        if status.generation == 0 {
            eprintln!("The build failed; the preview shows the problems until they are fixed.");
        } else {
            eprintln!("The build failed; still serving the last good version.");
        }
        status.error = Some(report);
    }
    status.generation += 1;
    shared.changed.notify_all();
}

fn respond(request: Request, shared: &Shared) -> std::io::Result<()> {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    if path == "/__kaca/status" {
        return status(request, shared, query);
    }
    let Some(relative) = safe_relative_path(path) else {
        return request.respond(text_response(400, "Bad request: the path leaves the site."));
    };
    // The search index lives apart from the site (see `index_search`), in
    // its own `pagefind/` folder.
    let from = if relative.starts_with(crate::output::search::BUNDLE_DIR.trim_end_matches('/')) {
        shared.search.as_path()
    } else {
        shared.public.as_path()
    };
    let mut file = from.join(&relative);
    if file.is_dir() {
        if !path.ends_with('/') {
            let location = format!("{path}/");
            let header = Header::from_bytes("Location", location.as_bytes())
                .expect("a path is a valid header value");
            return request.respond(Response::empty(301).with_header(header));
        }
        file = file.join("index.html");
    }
    let (file, code) = match confined(from, &file) {
        Some(file) if file.is_file() => (file, 200),
        _ => (shared.public.join("404.html"), 404),
    };
    let body = match std::fs::read(&file) {
        Ok(body) => body,
        Err(_) => {
            let status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
            let page = error_page(
                status
                    .error
                    .as_deref()
                    .unwrap_or("The site has not been built yet."),
                status.generation,
            );
            drop(status);
            return request.respond(html_response(500, page.into_bytes()));
        }
    };
    let content_type = content_type(&file);
    if content_type.starts_with("text/html") {
        let status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
        let body = inject(&body, status.generation, status.error.as_deref());
        drop(status);
        return request.respond(html_response(code, body));
    }
    let header = Header::from_bytes("Content-Type", content_type)
        .expect("content types are valid header values");
    request.respond(
        Response::from_data(body)
            .with_status_code(code)
            .with_header(header),
    )
}

/// Decodes a request path and returns it relative to the site, or `None`
/// if it tries to leave the site (`..`, encoded or not) or is malformed.
pub fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let mut out = PathBuf::new();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Resolves symbolic links and makes sure the file is still inside the site.
fn confined(public: &Path, file: &Path) -> Option<PathBuf> {
    let public = public.canonicalize().ok()?;
    let file = file.canonicalize().ok()?;
    file.starts_with(&public).then_some(file)
}

fn status(request: Request, shared: &Shared, query: &str) -> std::io::Result<()> {
    let since: Option<u64> = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="))
        .and_then(|v| v.parse().ok());
    let mut status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(since) = since {
        let deadline = std::time::Instant::now() + POLL_WAIT;
        while status.generation == since {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            status = shared
                .changed
                .wait_timeout(status, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
    let body =
        serde_json::json!({ "generation": status.generation, "failed": status.error.is_some() })
            .to_string();
    drop(status);
    let header = Header::from_bytes("Content-Type", "application/json").expect("valid header");
    let no_cache = Header::from_bytes("Cache-Control", "no-store").expect("valid header");
    request.respond(
        Response::from_string(body)
            .with_header(header)
            .with_header(no_cache),
    )
}

/// Adds the live-reload script, and the error panel while a build fails, to
/// an HTML page on its way out (the files on disk stay clean).
fn inject(body: &[u8], generation: u64, error: Option<&str>) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(error) = error {
        extra.push_str(&error_panel(error));
    }
    extra.push_str(&reload_script(generation));
    let text = String::from_utf8_lossy(body);
    match text.rfind("</body>") {
        Some(at) => format!("{}{extra}{}", &text[..at], &text[at..]).into_bytes(),
        None => format!("{text}{extra}").into_bytes(),
    }
}

fn reload_script(generation: u64) -> String {
    format!(
        "<script>(function(){{var g={generation};function poll(){{fetch('/__kaca/status?since='+g,{{cache:'no-store'}}).then(function(r){{return r.json()}}).then(function(s){{if(s.generation!==g){{location.reload()}}else{{poll()}}}}).catch(function(){{setTimeout(poll,2000)}})}}poll()}})();</script>\n"
    )
}

fn error_panel(error: &str) -> String {
    format!(
        "<div role=\"alert\" style=\"position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;background:#fff4f4;color:#5c0000;border-top:4px solid #b00020;padding:1rem;z-index:99999;font:14px/1.5 monospace\"><strong>kaca: the last change broke the build; this is the last good version.</strong><pre style=\"white-space:pre-wrap;margin:.5rem 0 0\">{}</pre></div>\n",
        crate::render::escape_html(error)
    )
}

fn error_page(error: &str, generation: u64) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>kaca: build failed</title></head><body>{}{}</body></html>",
        error_panel(error),
        reload_script(generation)
    )
}

fn html_response(code: u16, body: Vec<u8>) -> Response<Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "text/html; charset=utf-8").expect("valid header");
    let no_cache = Header::from_bytes("Cache-Control", "no-store").expect("valid header");
    Response::from_data(body)
        .with_status_code(StatusCode(code))
        .with_header(header)
        .with_header(no_cache)
}

fn text_response(code: u16, text: &str) -> Response<Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "text/plain; charset=utf-8").expect("valid header");
    Response::from_string(text)
        .with_status_code(StatusCode(code))
        .with_header(header)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "jsonld" => "application/json",
        "xml" => "application/xml",
        "atom" => "application/atom+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a save means for the next rebuild: the most that any saved
    /// file asks for, editors' scratch files left out.
    #[test]
    fn saved_files_are_classified_by_what_they_can_change() {
        let root = Path::new("/situs");
        let classify = |paths: &[&str]| {
            let paths: Vec<PathBuf> = paths.iter().map(|p| root.join(p)).collect();
            classify(root, &paths)
        };
        use crate::Changed::*;
        assert_eq!(classify(&["content/pengumuman/a.md"]), Markdown);
        assert_eq!(classify(&["data/kuota.csv"]), Data);
        assert_eq!(classify(&["data/stats/kuota.toml"]), Data);
        assert_eq!(
            classify(&["content/pengumuman/a.md", "data/kuota.csv"]),
            Data
        );
        assert_eq!(classify(&["content/foto.png"]), Other);
        assert_eq!(classify(&["themes/kaca/templates/page.html"]), Other);
        assert_eq!(classify(&["data/kuota.csv", "site.toml"]), Config);
        assert_eq!(classify(&["data/.#kuota.csv", "content/a.md"]), Markdown);
        assert_eq!(classify(&["data/kuota.csv~"]), Markdown);
    }

    #[test]
    fn traversal_is_rejected_in_every_spelling() {
        for path in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/%2E%2E%2Fx",
            "/a%5c..%5cx",
            "/x%00",
        ] {
            assert!(safe_relative_path(path).is_none(), "{path} was accepted");
        }
        assert_eq!(
            safe_relative_path("/en/program/").unwrap(),
            PathBuf::from("en/program")
        );
        assert_eq!(
            safe_relative_path("/a%20b.txt").unwrap(),
            PathBuf::from("a b.txt")
        );
    }
}
