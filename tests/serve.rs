//! `kaca serve` as a user meets it: the real binary on a loopback port,
//! talked to over HTTP.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return; // stopped already
        }
        // Ctrl-C, so the preview removes its temporary folder.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// (status code, body)
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(40)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

fn start(root: &std::path::Path) -> Server {
    start_with(root, &[])
}

fn start_with(root: &std::path::Path, environment: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_kaca"))
        .envs(environment.iter().copied())
        .args([
            "--root",
            root.to_str().unwrap(),
            "serve",
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((200, _)) = get(port, "/") {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("kaca serve did not answer on port {port}");
}

fn generation(port: u16, since: Option<u64>) -> (u64, bool) {
    let path = match since {
        Some(g) => format!("/__kaca/status?since={g}"),
        None => "/__kaca/status".to_string(),
    };
    let (_, body) = get(port, &path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        value["generation"].as_u64().unwrap(),
        value["failed"].as_bool().unwrap(),
    )
}

#[test]
fn serve_rebuilds_on_change_keeps_the_last_good_build_and_shows_errors() {
    let copy = common::copy_fixture("good/bilingual");
    let server = start(&copy.root);
    let port = server.port;

    let (_, page) = get(port, "/panduan/").unwrap();
    assert!(page.contains("<h1>Panduan</h1>"), "{page}");
    assert!(page.contains("/__kaca/status"), "no live-reload script");

    // An edit is rebuilt and picked up by the waiting page.
    let (first, _) = generation(port, None);
    let source = copy.root.join("content/panduan.md");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(
        &source,
        text.replacen("title: Panduan", "title: Panduan Baru", 1),
    )
    .unwrap();
    let (second, failed) = generation(port, Some(first));
    assert!(second > first && !failed);
    let (_, page) = get(port, "/panduan/").unwrap();
    assert!(page.contains("<h1>Panduan Baru</h1>"), "{page}");

    // A broken edit: the last good page stays, with the problem on it.
    std::fs::write(&source, "---\ntitel: Rusak\n---\n").unwrap();
    let mut latest = second;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (now, failed) = generation(port, Some(latest));
        latest = now;
        if failed || Instant::now() > deadline {
            assert!(failed, "the broken build was not reported");
            break;
        }
    }
    let (status, page) = get(port, "/panduan/").unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Panduan Baru</h1>"),
        "last good build not served"
    );
    assert!(page.contains(r#"role="alert""#), "no error panel");
    assert!(
        page.contains("content/panduan.md:2: unknown front-matter key `titel`"),
        "{page}"
    );

    // Nothing outside the site is served.
    let (status, _) = get(port, "/%2e%2e/%2e%2e/etc/passwd").unwrap();
    assert_eq!(status, 400);
    let (status, _) = get(port, "/tidak-ada/").unwrap();
    assert_eq!(status, 404);
}

/// The search index is rebuilt in the background once edits settle: a
/// saved page shows at once, and search catches up a moment later.
#[test]
fn serve_reindexes_search_in_the_background_after_edits_settle() {
    let copy = common::copy_fixture("good/bilingual");
    let server = start(&copy.root);
    let port = server.port;
    let entry = |port| get(port, "/pagefind/pagefind-entry.json");
    let wait_for = |what: &dyn Fn() -> bool, message: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !what() {
            assert!(Instant::now() < deadline, "{message}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for(
        &|| matches!(entry(port), Some((200, _))),
        "the search index was never served",
    );
    let (_, before) = entry(port).unwrap();

    let (first, _) = generation(port, None);
    let source = copy.root.join("content/panduan.md");
    let mut text = std::fs::read_to_string(&source).unwrap();
    text.push_str("\nKata langka zebrakuning.\n");
    std::fs::write(&source, text).unwrap();
    let (second, failed) = generation(port, Some(first));
    assert!(second > first && !failed);
    // The page is new at once; the index is still the old one.
    let (_, page) = get(port, "/panduan/").unwrap();
    assert!(page.contains("zebrakuning"), "{page}");
    assert_eq!(
        entry(port).unwrap().1,
        before,
        "the index was rebuilt with the page"
    );
    wait_for(
        &|| entry(port).is_some_and(|(code, body)| code == 200 && body != before),
        "the search index did not catch up with the edit",
    );
}

/// The processes whose parent is `parent` and whose command line says
/// `index-search`, from /proc.
#[cfg(target_os = "linux")]
fn indexers_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (name) state ppid ...": the name may hold spaces.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let ppid = after_name.split_whitespace().nth(1);
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(&parent.to_string())
            && String::from_utf8_lossy(&cmdline).contains("index-search")
        {
            found.push(pid);
        }
    }
    found
}

/// Whether `pid` still runs (a zombie waiting for its parent does not).
#[cfg(target_os = "linux")]
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        state != Some("Z") && state != Some("X")
    })
}

/// Stopping `serve` while it indexes in the background stops the indexer
/// too, however `serve` is stopped: Ctrl-C, `kill`, or `kill -9` (no
/// handler runs). A left-over indexer would go on indexing a deleted
/// folder and eat the machine's time.
#[cfg(target_os = "linux")]
#[test]
fn stopping_serve_stops_its_search_indexer() {
    for signal in ["INT", "TERM", "KILL"] {
        let copy = common::copy_fixture("good/bilingual");
        // The indexer waits (debug builds only) long enough to be caught
        // at work.
        let mut server = start_with(&copy.root, &[("KACA_FAULT_PAUSE_INDEXING_MS", "120000")]);
        let serve_pid = server.child.id();
        let deadline = Instant::now() + Duration::from_secs(60);
        let indexers = loop {
            let indexers = indexers_of(serve_pid);
            if !indexers.is_empty() {
                break indexers;
            }
            assert!(Instant::now() < deadline, "serve never started its indexer");
            std::thread::sleep(Duration::from_millis(50));
        };
        // `kill -9` leaves the preview folder behind (nothing can clean
        // up then): remove it, found from the indexer's arguments.
        let preview = std::fs::read(format!("/proc/{}/cmdline", indexers[0]))
            .ok()
            .and_then(|cmdline| {
                let site = cmdline.split(|&b| b == 0).nth(2)?.to_vec();
                let site = std::path::PathBuf::from(String::from_utf8(site).ok()?);
                Some(site.parent()?.to_path_buf())
            });
        Command::new("kill")
            .args([&format!("-{signal}"), &serve_pid.to_string()])
            .status()
            .unwrap();
        server.child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while indexers.iter().any(|&pid| running(pid)) {
            assert!(
                Instant::now() < deadline,
                "the indexer {indexers:?} outlived `serve` stopped with SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        if signal == "KILL"
            && let Some(preview) = preview
            && preview.to_string_lossy().contains("kaca-serve-")
        {
            let _ = std::fs::remove_dir_all(preview);
        }
    }
}
