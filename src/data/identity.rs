//! Whether a data file is still the one that was read, without reading it
//! again.
//!
//! A build reads each data file once, early, and the manifest at the end
//! must name the bytes the figures were computed from; a file saved in
//! between (an export or a sync still running) has to stop the build. Hashing
//! the file again at the end answers that, at the cost of reading it twice
//! (76 ms of a 0.7-second build for a 68 MB file). The file system answers
//! it too: any write to a file gives it a new change time (`ctime`, which no
//! program can set back), and replacing it gives a new inode. Both are
//! compared here, with the size and the modification time.
//!
//! Timestamps have a granularity (a few milliseconds on Linux, two seconds
//! on FAT): a file written just before it was opened could be written again
//! within the same tick and keep its times. So a file counts as settled only
//! when its last change is [`SETTLED_AFTER`] older than the moment reading
//! began; a recent one is hashed again, as before. Git decides whether a
//! file in its index is clean the same way ("racy git").
//!
//! What this cannot see: a file system that keeps no change time and a
//! writer that puts the modification time back after rewriting a file in
//! place with the same length; or a network share whose clock runs behind
//! this machine's by more than [`SETTLED_AFTER`]. Both are far from how data
//! files are exported.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// How much older than the start of reading a file's last change must be
/// for its times to tell a later change: above FAT's two seconds.
pub const SETTLED_AFTER: Duration = Duration::from_secs(3);

/// What the file system says of a file: which file it is and when it last
/// changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileIdentity {
    /// The identity of an open file (the one actually read, even if the
    /// path now names another). None where the system gives no inode and
    /// change time: the file is then always hashed again.
    pub fn of_open(file: &std::fs::File) -> Option<Self> {
        file.metadata().ok().as_ref().and_then(Self::of)
    }

    /// The identity of the file at `path` now (links followed, as reading
    /// follows them).
    pub fn at(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().as_ref().and_then(Self::of)
    }

    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(_metadata: &std::fs::Metadata) -> Option<Self> {
        None
    }

    /// Whether the file last changed long enough before `reading_began`
    /// that any change after it shows in its times (see the module's text).
    pub fn settled_before(&self, reading_began: SystemTime, margin: Duration) -> bool {
        let Some(limit) = reading_began.checked_sub(margin) else {
            return false;
        };
        let Ok(limit) = limit.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = (
            i64::try_from(limit.as_secs()).unwrap_or(i64::MAX),
            i64::from(limit.subsec_nanos()),
        );
        self.changed < limit && self.modified < limit
    }
}

/// [`SETTLED_AFTER`]; debug builds let the tests set another one
/// (`KACA_TEST_SETTLED_AFTER_MS`), to exercise this check on files they have
/// just written.
pub fn settled_after() -> Duration {
    cfg!(debug_assertions)
        .then(|| {
            std::env::var("KACA_TEST_SETTLED_AFTER_MS")
                .ok()?
                .parse()
                .ok()
        })
        .flatten()
        .map(Duration::from_millis)
        .unwrap_or(SETTLED_AFTER)
}

/// A data file as the build read it: its identity when reading began, kept
/// only when it was settled then (otherwise the file must be hashed again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettledRead(pub FileIdentity);

impl SettledRead {
    /// The file just opened as `file`, reading having begun at
    /// `reading_began`: Some when its times will tell a later change.
    pub fn of_open(file: &std::fs::File, reading_began: SystemTime) -> Option<Self> {
        FileIdentity::of_open(file)
            .filter(|identity| identity.settled_before(reading_began, settled_after()))
            .map(SettledRead)
    }

    /// Whether `path` still holds the file read, unchanged.
    pub fn still_at(&self, path: &Path) -> bool {
        FileIdentity::at(path) == Some(self.0)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn identity(changed: (i64, i64), modified: (i64, i64)) -> FileIdentity {
        FileIdentity {
            device: 1,
            inode: 2,
            len: 3,
            modified,
            changed,
        }
    }

    fn at(seconds: u64, nanos: u32) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::new(seconds, nanos)
    }

    #[test]
    fn a_file_changed_within_the_margin_is_not_settled() {
        let margin = Duration::from_secs(3);
        let began = at(1_000, 500_000_000);
        // Changed 3.5 s before reading began: settled.
        assert!(identity((997, 0), (997, 0)).settled_before(began, margin));
        // Exactly at the limit, or later: not settled.
        assert!(!identity((997, 500_000_000), (990, 0)).settled_before(began, margin));
        assert!(!identity((999, 0), (990, 0)).settled_before(began, margin));
        // Changed in the future (another machine's clock): not settled.
        assert!(!identity((2_000, 0), (990, 0)).settled_before(began, margin));
        // A modification time set later than the change time (touch -d)
        // counts too.
        assert!(!identity((990, 0), (999, 0)).settled_before(began, margin));
        // Before the epoch or a margin longer than the clock: never settled.
        assert!(!identity((0, 0), (0, 0)).settled_before(at(1, 0), margin));
    }

    #[test]
    fn a_file_written_just_now_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        assert!(FileIdentity::of_open(&file).is_some());
        assert!(SettledRead::of_open(&file, SystemTime::now()).is_none());
    }

    #[test]
    fn a_file_rewritten_or_replaced_is_not_still_there() {
        let temporary = tempfile::tempdir().unwrap();
        let dir = temporary.path();
        let path = dir.join("data.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let read = SettledRead(FileIdentity::of_open(&file).unwrap());
        assert!(read.still_at(&path));

        // Rewritten in place with the same length and its modification
        // time put back: the change time still moves on.
        std::thread::sleep(Duration::from_millis(20));
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, "a,b\n3,4\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert!(!read.still_at(&path));

        // Replaced by another file (an editor's save): another inode.
        let again = SettledRead(FileIdentity::at(&path).unwrap());
        let other = dir.join("other.csv");
        std::fs::write(&other, "a,b\n3,4\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert!(!again.still_at(&path));

        // Gone.
        std::fs::remove_file(&path).unwrap();
        assert!(!again.still_at(&path));
    }
}
