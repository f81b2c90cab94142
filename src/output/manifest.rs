//! `/build.json`: what a published site was built from and what it holds.
//! Anyone can check a site against its sources: the SHA-256 of every input
//! file (configuration, content, data, templates) and of every output file,
//! with the kaca version that built it. `kaca verify` re-hashes a built
//! folder against it; without kaca, `jq` and `sha256sum -c` do the same.
//!
//! The manifest holds no clock time, so the same inputs give the same bytes
//! on any machine; a timestamp appears only when `SOURCE_DATE_EPOCH` sets
//! one (the reproducible-builds convention).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{MARKER, SOURCE_DIRS};
use crate::data::identity::SettledRead;
use crate::diagnostics::Diagnostic;
use crate::render::{Contents, OutputFile};

/// Where the manifest is written, relative to the output folder.
pub const PATH: &str = "build.json";

/// How messages name the manifest as the source of its file.
pub const ORIGIN: &str = "the build manifest";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub generator: String,
    pub version: String,
    pub base_url: String,
    /// The theme folder read (`themes/<theme>/`), when the site has one.
    pub theme: String,
    /// `SOURCE_DATE_EPOCH` as an RFC 3339 time, when it was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_date: Option<String>,
    /// Project-relative path → `sha256:<hex>`.
    pub inputs: BTreeMap<String, String>,
    /// Input files that drafts hide, by hash only: their names are not
    /// published, yet `verify` can tell them from files added since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<String>,
    /// Output-relative path → `sha256:<hex>`; the manifest itself and the
    /// output marker are not listed.
    pub outputs: BTreeMap<String, String>,
}

/// A data file the build read: its project path, the digest of the bytes
/// the figures were computed from, and its identity then when that tells
/// whether it changed since (see [`crate::data::identity`]).
pub struct DataRead {
    pub path: String,
    pub digest: String,
    pub settled: Option<SettledRead>,
}

/// Builds the manifest file for `files`, which the output stage is about to
/// write, reading the project's input files under `root` (those in
/// `read_digests`, by path as listed, were hashed as they were read; data
/// files in `data_read` are hashed again unless their identity shows them
/// unchanged since they were read).
#[allow(clippy::too_many_arguments)]
pub fn file(
    root: &Path,
    theme: &str,
    base_url: &str,
    source_date: Option<jiff::Timestamp>,
    draft_paths: &[String],
    read_digests: &std::collections::HashMap<PathBuf, String>,
    data_read: &[DataRead],
    files: &[OutputFile],
) -> Result<OutputFile, Diagnostic> {
    let mut inputs = hash_inputs(root, theme, read_digests, data_read)?;
    changed_during_build(&inputs, data_read)?;
    let hidden: Vec<String> = inputs
        .keys()
        .filter(|name| is_draft(name, draft_paths))
        .cloned()
        .collect();
    let mut drafts: Vec<String> = hidden
        .iter()
        .filter_map(|name| inputs.remove(name))
        .collect();
    drafts.sort();
    let outputs = files
        .par_iter()
        .map(|file| {
            let digest = match &file.contents {
                Contents::Bytes(bytes) => sha256(bytes),
                Contents::Staged(staged) => staged.sha256.clone(),
                Contents::Copy(source) => {
                    sha256_of_file(source).map_err(|e| read_error(source, e))?
                }
            };
            Ok((file.path.clone(), digest))
        })
        .collect::<Result<BTreeMap<_, _>, Diagnostic>>()?;
    let manifest = Manifest {
        generator: "kaca".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        base_url: base_url.to_string(),
        theme: theme.to_string(),
        source_date: source_date.map(|t| t.to_string()),
        inputs,
        drafts,
        outputs,
    };
    let text = serde_json::to_string_pretty(&manifest).expect("strings always serialise") + "\n";
    Ok(OutputFile {
        path: PATH.to_string(),
        contents: Contents::Bytes(text.into_bytes()),
        origin: ORIGIN.to_string(),
    })
}

/// Data files are read once, early, to compute the figures, and copied
/// into the site at the end. One saved in between (an editor, a sync
/// client, an export still running) would publish figures that do not
/// match their download; the build stops instead.
fn changed_during_build(
    inputs: &BTreeMap<String, String>,
    data_read: &[DataRead],
) -> Result<(), Diagnostic> {
    let changed: Vec<&str> = data_read
        .iter()
        .filter(|read| {
            inputs
                .get(&read.path)
                .is_some_and(|now| *now != read.digest)
        })
        .map(|read| read.path.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    Err(Diagnostic::error(
        Some(crate::diagnostics::Location::file(changed[0])),
        format!(
            "changed while the site was being built: {}; the figures were computed from the earlier version",
            changed.join(", ")
        ),
    )
    .with_hint("build again once the file is saved (an export or a sync still running?)"))
}

/// `site.toml` and every file of the folders a build reads (the site's
/// own theme folder only), hidden files left out as the loaders do; a file
/// in `read_digests`, or a data file still as it was read, is not read
/// again.
fn hash_inputs(
    root: &Path,
    theme: &str,
    read_digests: &std::collections::HashMap<PathBuf, String>,
    data_read: &[DataRead],
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let config = root.join(crate::config::CONFIG_FILE);
    if config.is_file() {
        paths.push(config);
    }
    for dir in SOURCE_DIRS {
        let dir = if dir == "themes" {
            root.join(dir).join(theme)
        } else {
            root.join(dir)
        };
        let walker = walkdir::WalkDir::new(&dir)
            .follow_links(true)
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        for entry in walker {
            match entry {
                Ok(entry) if entry.file_type().is_file() => paths.push(entry.into_path()),
                Ok(_) => {}
                // The folder does not exist: the site has none.
                Err(error) if error.depth() == 0 => break,
                Err(error) => {
                    let path = error.path().unwrap_or(&dir).to_path_buf();
                    return Err(read_error(&path, std::io::Error::other(error.to_string())));
                }
            }
        }
    }
    let hashed: Vec<Option<(String, String)>> = paths
        .par_iter()
        .map(|path| {
            if let Some(digest) = read_digests.get(path) {
                return Ok(Some((relative(root, path), digest.clone())));
            }
            let name = relative(root, path);
            let unchanged = data_read.iter().find(|read| {
                read.path == name && read.settled.is_some_and(|settled| settled.still_at(path))
            });
            if let Some(read) = unchanged {
                return Ok(Some((name, read.digest.clone())));
            }
            match sha256_of_file(path) {
                Ok(digest) => Ok(Some((name, digest))),
                // Gone since the folder was listed: an editor's or a sync
                // client's temporary file, not an input.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(read_error(path, error)),
            }
        })
        .collect::<Result<_, Diagnostic>>()?;
    Ok(hashed.into_iter().flatten().collect())
}

/// Whether the project file `name` is hidden by a draft (see
/// `Content::draft_paths`, which are relative to `content/`).
fn is_draft(name: &str, draft_paths: &[String]) -> bool {
    let Some(path) = name.strip_prefix("content/") else {
        return false;
    };
    draft_paths.iter().any(|draft| {
        if draft.ends_with('/') {
            path.starts_with(draft.as_str())
        } else {
            path == draft
        }
    })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

fn relative(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub fn sha256(bytes: &[u8]) -> String {
    hex_digest(Sha256::digest(bytes))
}

/// The SHA-256 of a file, read a piece at a time: a data file of hundreds
/// of megabytes is hashed without holding it in memory (reading it whole
/// cost a fifth of a build's time in fresh memory being zeroed).
pub fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hex_digest(hasher.finalize()))
}

fn hex_digest(digest: impl IntoIterator<Item = u8>) -> String {
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for byte in digest {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    text
}

fn read_error(path: &Path, error: std::io::Error) -> Diagnostic {
    Diagnostic::error(
        None,
        format!(
            "cannot read `{}` for the build manifest: {error}",
            path.display()
        ),
    )
    .with_hint("check that the file exists and is readable")
}

/// What `kaca verify` found: each line a file that differs.
#[derive(Debug, Default)]
pub struct Verification {
    /// Files whose bytes are not those the manifest lists.
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    /// Files in the folder that the manifest does not list.
    pub unlisted: Vec<String>,
    /// Inputs of the project that differ from the manifest's.
    pub inputs_changed: Vec<String>,
    pub inputs_missing: Vec<String>,
    pub inputs_unlisted: Vec<String>,
    pub checked_outputs: usize,
    pub checked_inputs: usize,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.unlisted.is_empty()
            && self.inputs_changed.is_empty()
            && self.inputs_missing.is_empty()
            && self.inputs_unlisted.is_empty()
    }
}

/// Re-hashes the built folder `site` against its `build.json`, and, given
/// the project `root`, the project's inputs too.
pub fn verify(site: &Path, root: Option<&Path>) -> Result<Verification, String> {
    let manifest_path = site.join(PATH);
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        format!(
            "cannot read {}: {e}; is `{}` a folder built by kaca?",
            manifest_path.display(),
            site.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a kaca build manifest: {e}",
            manifest_path.display()
        )
    })?;
    let mut found = Verification::default();
    let mut on_disk = BTreeMap::new();
    for entry in walkdir::WalkDir::new(site).sort_by_file_name() {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", site.display()))?;
        if entry.file_type().is_file() {
            on_disk.insert(relative(site, entry.path()), entry.into_path());
        }
    }
    for name in [PATH, MARKER] {
        on_disk.remove(name);
    }
    let hashed: Vec<(String, Result<String, String>)> = on_disk
        .par_iter()
        .filter(|(name, _)| manifest.outputs.contains_key(*name))
        .map(|(name, path)| {
            let digest = sha256_of_file(path).map_err(|e| format!("{}: {e}", path.display()));
            (name.clone(), digest)
        })
        .collect();
    for (name, digest) in hashed {
        found.checked_outputs += 1;
        if digest? != manifest.outputs[&name] {
            found.changed.push(name);
        }
    }
    found.missing = manifest
        .outputs
        .keys()
        .filter(|name| !on_disk.contains_key(*name))
        .cloned()
        .collect();
    found.unlisted = on_disk
        .keys()
        .filter(|name| !manifest.outputs.contains_key(*name))
        .cloned()
        .collect();
    if let Some(root) = root {
        let inputs = hash_inputs(root, &manifest.theme, &Default::default(), &[])
            .map_err(|d| d.to_string())?;
        found.checked_inputs = inputs.len();
        for (name, digest) in &inputs {
            match manifest.inputs.get(name) {
                Some(expected) if expected == digest => {}
                Some(_) => found.inputs_changed.push(name.clone()),
                None if manifest.drafts.contains(digest) => {}
                None => found.inputs_unlisted.push(name.clone()),
            }
        }
        found.inputs_missing = manifest
            .inputs
            .keys()
            .filter(|name| !inputs.contains_key(*name))
            .cloned()
            .collect();
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::identity::FileIdentity;

    /// A project with one data file, and that file as a build read it
    /// (identity trusted at once, as after three seconds).
    fn project(text: &str) -> (tempfile::TempDir, PathBuf, DataRead) {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir(dir.path().join("data")).expect("data folder");
        let csv = dir.path().join("data/records.csv");
        std::fs::write(&csv, text).expect("data file");
        let opened = std::fs::File::open(&csv).expect("open the data file");
        let read = DataRead {
            path: "data/records.csv".to_string(),
            digest: sha256(text.as_bytes()),
            settled: FileIdentity::of_open(&opened).map(SettledRead),
        };
        (dir, csv, read)
    }

    fn inputs(root: &Path, read: &DataRead) -> Result<BTreeMap<String, String>, Diagnostic> {
        let inputs = hash_inputs(
            root,
            "default",
            &Default::default(),
            std::slice::from_ref(read),
        )?;
        changed_during_build(&inputs, std::slice::from_ref(read))?;
        Ok(inputs)
    }

    fn assert_changed(problem: Diagnostic) {
        assert!(
            problem
                .message
                .contains("changed while the site was being built: data/records.csv"),
            "{}",
            problem.message
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_unchanged_data_file_is_listed_as_read_without_reading_it_again() {
        let (dir, _, mut read) = project("a,b\n1,2\n");
        // A digest no reading of the file gives: it shows in the manifest
        // only when the file was not hashed again.
        read.digest = "sha256:as-read".to_string();
        let listed = inputs(dir.path(), &read).expect("unchanged");
        assert_eq!(listed["data/records.csv"], "sha256:as-read");
        // Not trusted (changed too recently when read): hashed again, and
        // the difference stops the build.
        read.settled = None;
        assert_changed(inputs(dir.path(), &read).expect_err("hashed again"));
    }

    #[test]
    fn a_data_file_changed_after_it_was_read_stops_the_build() {
        let (dir, csv, read) = project("a,b\n1,2\n");
        // Past the file system clock's tick: the change time moves on.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&csv, "a,b\n3,4\n").expect("save the data file");
        assert_changed(inputs(dir.path(), &read).expect_err("changed"));
        // Saved back as it was: the same bytes, listed as read.
        std::fs::write(&csv, "a,b\n1,2\n").expect("save the data file");
        let listed = inputs(dir.path(), &read).expect("same bytes");
        assert_eq!(listed["data/records.csv"], read.digest);
    }
}
