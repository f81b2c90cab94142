//! What `kaca serve` keeps from one build to the next, so that saving one
//! file costs about one file's work: each content file's parse, known by
//! its size and modification time, and each body's markdown rendering,
//! known by its text and by every link it resolved (a body whose links
//! now lead elsewhere is rendered again).

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::ParseOutcome;
use super::markdown::{AnchorLinks, FileLink, RenderedMarkdown, ResolveLink, Resolved};
use crate::diagnostics::Diagnostic;

/// The cache a build starts from and the one it leaves for the next.
#[derive(Default)]
pub struct ContentCache {
    pub(super) parsed: FxHashMap<PathBuf, (FileStamp, ParseOutcome)>,
    pub(super) bodies: FxHashMap<String, Arc<CachedBody>>,
}

impl ContentCache {
    /// Room for `files` content files.
    pub fn with_capacity(files: usize) -> Self {
        ContentCache {
            parsed: FxHashMap::with_capacity_and_hasher(files, Default::default()),
            bodies: FxHashMap::with_capacity_and_hasher(files, Default::default()),
        }
    }
}

impl std::fmt::Debug for ContentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<cache of {} files, {} bodies>",
            self.parsed.len(),
            self.bodies.len()
        )
    }
}

/// What says a file is unchanged without reading it (as make and cargo
/// do): its length and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    pub(super) fn of(metadata: &std::fs::Metadata) -> Self {
        FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// Everything a body's rendering depended on, and what it gave.
pub(super) struct CachedBody {
    pub(super) inputs: BodyInputs,
    pub(super) lookups: Vec<Lookup>,
    pub(super) rendered: Arc<RenderedMarkdown>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, PartialEq, Eq)]
pub(super) struct BodyInputs {
    pub(super) text: Arc<str>,
    pub(super) first_line: usize,
    pub(super) lang: String,
    pub(super) file: PathBuf,
    pub(super) anchors: AnchorLinks,
}

/// One question the renderer asked about another file, and the answer.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Lookup {
    Page(String, Resolved),
    File(String, FileLink),
}

impl CachedBody {
    /// Whether this rendering still holds: same text and settings, and
    /// every link resolves as it did.
    pub(super) fn still_holds(&self, inputs: &BodyInputs, resolver: &dyn ResolveLink) -> bool {
        self.inputs == *inputs
            && self.lookups.iter().all(|lookup| match lookup {
                Lookup::Page(path, answer) => resolver.resolve(path) == *answer,
                Lookup::File(path, answer) => resolver.file(path) == *answer,
            })
    }
}

/// A resolver that writes down every answer it gives.
pub(super) struct Recording<'a> {
    pub(super) inner: &'a dyn ResolveLink,
    pub(super) lookups: RefCell<Vec<Lookup>>,
}

impl ResolveLink for Recording<'_> {
    fn resolve(&self, path: &str) -> Resolved {
        let answer = self.inner.resolve(path);
        self.lookups
            .borrow_mut()
            .push(Lookup::Page(path.to_string(), answer.clone()));
        answer
    }

    fn site_url(&self, path: &str) -> String {
        // Depends on the configuration alone, which a cache never outlives.
        self.inner.site_url(path)
    }

    fn file(&self, path: &str) -> FileLink {
        let answer = self.inner.file(path);
        self.lookups
            .borrow_mut()
            .push(Lookup::File(path.to_string(), answer.clone()));
        answer
    }
}
