//! The last stage: writes the rendered files into a fresh folder beside the
//! output and swaps it in only when everything is written, so a failed or
//! killed build leaves the previous site exactly as it was. It refuses to
//! replace a folder it did not create (no marker file) rather than delete
//! someone's files.

pub mod catalog;
pub mod downloads;
pub mod feeds;
pub mod figures;
pub mod manifest;
pub mod search;

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::content::Content;
use crate::content::markdown::LinkTarget;
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::render::{Contents, OutputFile};

/// Present in every folder kaca wrote; its absence means "not ours".
pub const MARKER: &str = ".kaca-output";
const MARKER_TEXT: &str =
    "This folder is written by kaca. It is replaced as a whole on every build.\n";

/// Folders of the project that an output folder must never be in (and
/// that `serve` watches, with `site.toml`).
pub(crate) const SOURCE_DIRS: [&str; 7] = [
    "content",
    "data",
    "themes",
    "templates",
    "static",
    "assets",
    "i18n",
];

/// Resolves the output folder against the project root, and refuses places
/// where replacing the folder would destroy sources.
pub fn resolve_output(root: &Path, output: &Path) -> Result<PathBuf, Diagnostic> {
    let root = absolute(root);
    let output = if output.is_absolute() {
        output.to_path_buf()
    } else {
        root.join(output)
    };
    let output = lexical_normalise(&output);
    let refuse = |message: String| {
        Err(Diagnostic::error(None, message)
            .with_hint("choose a new folder for the site, e.g. --output public"))
    };
    if output.parent().is_none() {
        return refuse(format!(
            "refusing to write the site to `{}`: that is the root of the file system",
            output.display()
        ));
    }
    let root_canonical = root.canonicalize().unwrap_or_else(|_| root.clone());
    let output_canonical = canonical_as_far_as_exists(&output);
    if root_canonical.starts_with(&output_canonical) {
        return refuse(format!(
            "refusing to write the site to `{}`: it is the project folder or contains it, and would be replaced",
            output.display()
        ));
    }
    for dir in SOURCE_DIRS {
        let source = root_canonical.join(dir);
        if output_canonical.starts_with(&source) {
            return refuse(format!(
                "refusing to write the site to `{}`: it is inside the project's {dir}/ folder",
                output.display()
            ));
        }
    }
    if root_canonical.join(crate::config::CONFIG_FILE) == output_canonical {
        return refuse("refusing to write the site over site.toml".to_string());
    }
    Ok(output)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

fn lexical_normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Canonicalises the longest existing ancestor (resolving symbolic links)
/// and appends the rest.
fn canonical_as_far_as_exists(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    out
}

/// Checks that the output folder may be replaced: it does not exist, is
/// empty, or carries kaca's marker.
pub fn check_replaceable(output: &Path) -> Result<(), Diagnostic> {
    if !output.exists() {
        return Ok(());
    }
    if !output.is_dir() {
        return Err(Diagnostic::error(
            None,
            format!(
                "refusing to write the site to `{}`: it is a file, not a folder",
                output.display()
            ),
        )
        .with_hint("choose another --output"));
    }
    if output.join(MARKER).is_file() {
        return Ok(());
    }
    let empty = std::fs::read_dir(output)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if empty {
        return Ok(());
    }
    Err(Diagnostic::error(
        None,
        format!(
            "refusing to replace `{}`: kaca did not create this folder (it has no {MARKER} file), and replacing it would delete its files",
            output.display()
        ),
    )
    .with_hint("move the folder away, or choose another --output"))
}

/// Writes `files` as the new content of `output`, atomically.
pub fn write(output: &Path, files: &[OutputFile]) -> Result<(), Diagnostic> {
    Staging::begin(output)?.finish(files)
}

/// The fresh folder a build writes its site into, beside the output, put
/// in the output's place by [`Staging::finish`] once everything is
/// written. Dropped unfinished (the build failed), it is removed: the
/// previous site stays as it was.
///
/// The render stage puts pages in as it makes them ([`Staging::put`]), so
/// a large site is never held in memory whole.
pub struct Staging {
    folder: PathBuf,
    output: PathBuf,
    parent: PathBuf,
    name: String,
    finished: bool,
    /// Folders made for the output's parent, deepest first: a failed
    /// build removes them again.
    made: Vec<PathBuf>,
}

/// What later stages need of a page already written into the staging
/// folder (see [`Contents::Staged`]).
#[derive(Debug)]
pub struct Staged {
    /// `sha256:<hex>` of the bytes, for the build manifest.
    pub sha256: String,
    /// The figure and table ids the page shows (`data-figure`), for the
    /// figure register.
    pub figure_ids: Vec<String>,
    /// An HTML redirect (left out of the sitemap).
    pub redirect: bool,
    /// The page itself, kept for the search index until it takes it.
    pub for_index: Option<String>,
}

impl Staging {
    /// Makes the staging folder for `output` (which must be replaceable,
    /// see [`check_replaceable`]), removing what killed builds left.
    pub fn begin(output: &Path) -> Result<Staging, Diagnostic> {
        check_replaceable(output)?;
        let parent = output
            .parent()
            .ok_or_else(|| Diagnostic::error(None, "the output folder has no parent folder"))?
            .to_path_buf();
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let made: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|folder| !folder.exists())
            .map(Path::to_path_buf)
            .collect();
        if let Err(error) = std::fs::create_dir_all(&parent) {
            remove_empty(&made);
            return Err(Diagnostic::error(
                None,
                format!("cannot create `{}`: {error}", parent.display()),
            ));
        }
        remove_stale_temporaries(&parent, &name);
        let folder = parent.join(format!(".{name}.kaca-tmp-{}", std::process::id()));
        if folder.exists() {
            let _ = std::fs::remove_dir_all(&folder);
        }
        if let Err(error) = std::fs::create_dir_all(&folder) {
            remove_empty(&made);
            return Err(write_error(&folder, error));
        }
        Ok(Staging {
            folder,
            output: output.to_path_buf(),
            parent,
            name,
            finished: false,
            made,
        })
    }

    /// Writes one file of the site now, and says what the later stages
    /// need of it. Called from many threads at once.
    pub fn put(&self, path: &str, bytes: &[u8]) -> Result<Staged, Diagnostic> {
        let target = self.folder.join(path);
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder).map_err(|e| write_error(folder, e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| write_error(&target, e))?;
        Ok(Staged {
            sha256: manifest::sha256(bytes),
            figure_ids: figures::ids_shown(bytes),
            redirect: feeds::is_redirect(bytes),
            for_index: None,
        })
    }

    /// Writes the files not written yet and the marker, and puts the
    /// folder in the output's place.
    pub fn finish(mut self, files: &[OutputFile]) -> Result<(), Diagnostic> {
        write_all(&self.folder, files)?;
        swap_in(&self.folder, &self.output, &self.parent, &self.name)?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.folder);
            remove_empty(&self.made);
        }
    }
}

/// Removes the folders a build made to hold its output, innermost first,
/// each only if empty: something else may have been put there since.
fn remove_empty(made: &[PathBuf]) {
    for folder in made {
        let _ = std::fs::remove_dir(folder);
    }
}

fn write_error(path: &Path, error: std::io::Error) -> Diagnostic {
    Diagnostic::error(None, format!("cannot write `{}`: {error}", path.display()))
        .with_hint("check free disk space and permissions; the previous site was left as it was")
}

/// What an output folder written by [`write_changed`] holds: each file's
/// path and a fingerprint of its contents.
pub type Written = rustc_hash::FxHashMap<String, u64>;

/// Fingerprints of `files` as [`write_changed`] compares them.
pub fn fingerprints(files: &[OutputFile]) -> Written {
    files
        .par_iter()
        .map(|file| (file.path.clone(), fingerprint(file)))
        .collect()
}

fn fingerprint(file: &OutputFile) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    match &file.contents {
        Contents::Bytes(bytes) => bytes.hash(&mut hasher),
        Contents::Staged(staged) => staged.sha256.hash(&mut hasher),
        // A copy is as new as its source.
        Contents::Copy(source) => {
            source.hash(&mut hasher);
            if let Ok(metadata) = std::fs::metadata(source) {
                metadata.len().hash(&mut hasher);
                metadata.modified().ok().hash(&mut hasher);
            }
        }
    }
    hasher.finish()
}

/// Brings a folder that holds `written` up to `files`: writes only the
/// files that differ, each through a temporary file and a rename (a reader
/// sees the old file or the new one), and deletes files that are gone.
/// Files named in `same` are known to hold last time's bytes and are not
/// read again. For `kaca serve`'s private folder, where a whole-folder
/// swap after every keystroke would rewrite thousands of unchanged files.
pub fn write_changed(
    output: &Path,
    files: &[OutputFile],
    same: &rustc_hash::FxHashSet<String>,
    written: &mut Written,
) -> Result<usize, Diagnostic> {
    let io_error = |path: &Path, error: std::io::Error| {
        Diagnostic::error(None, format!("cannot write `{}`: {error}", path.display()))
    };
    let now: Written = files
        .par_iter()
        .map(|file| {
            let known = same
                .contains(&file.path)
                .then(|| written.get(&file.path).copied())
                .flatten();
            let print = known.unwrap_or_else(|| fingerprint(file));
            (file.path.clone(), print)
        })
        .collect();
    let changed: Vec<&OutputFile> = files
        .iter()
        .filter(|file| written.get(&file.path) != now.get(&file.path))
        .collect();
    changed.par_iter().try_for_each(|file| {
        let path = output.join(&file.path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| io_error(folder, e))?;
        }
        let temporary = path.with_file_name(format!(
            ".{}.kaca-new",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        match &file.contents {
            Contents::Bytes(bytes) => std::fs::write(&temporary, bytes),
            Contents::Copy(source) => std::fs::copy(source, &temporary).map(|_| ()),
            Contents::Staged(_) => unreachable!("a session renders into memory, never stages"),
        }
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| io_error(&path, e))
    })?;
    for gone in written.keys().filter(|path| !now.contains_key(*path)) {
        let _ = std::fs::remove_file(output.join(gone));
    }
    let count = changed.len();
    *written = now;
    Ok(count)
}

/// Writes the files of `files` not yet in `staging` (all but the staged
/// pages), then the marker.
fn write_all(staging: &Path, files: &[OutputFile]) -> Result<(), Diagnostic> {
    let io_error = write_error;
    let files: Vec<&OutputFile> = files
        .iter()
        .filter(|f| !matches!(f.contents, Contents::Staged(_)))
        .collect();
    let folders: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| Path::new(&f.path).parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    for folder in &folders {
        let path = staging.join(folder);
        std::fs::create_dir_all(&path).map_err(|e| io_error(&path, e))?;
    }
    let write_one = |file: &&OutputFile| {
        let path = staging.join(&file.path);
        match &file.contents {
            Contents::Bytes(bytes) => std::fs::write(&path, bytes),
            Contents::Copy(source) => std::fs::copy(source, &path).map(|_| ()),
            Contents::Staged(_) => Ok(()),
        }
        .map_err(|e| io_error(&path, e))
    };
    let (first_half, second_half) = files.split_at(files.len() / 2);
    first_half.par_iter().try_for_each(write_one)?;
    // tests/faults.rs kills the build here, while the new site is half
    // written.
    crate::pause_for_fault_tests("KACA_FAULT_PAUSE_WRITING_MS");
    second_half.par_iter().try_for_each(write_one)?;
    let marker = staging.join(MARKER);
    std::fs::write(&marker, MARKER_TEXT).map_err(|e| io_error(&marker, e))
}

/// Puts `staging` in place of `output`. On Linux both names are exchanged
/// in one step, so there is no moment without a complete site.
fn swap_in(staging: &Path, output: &Path, parent: &Path, name: &str) -> Result<(), Diagnostic> {
    let failed = |error: std::io::Error| {
        Diagnostic::error(
            None,
            format!(
                "cannot move the new site into `{}`: {error}",
                output.display()
            ),
        )
        .with_hint("the previous site was left as it was")
    };
    if !output.exists() {
        return std::fs::rename(staging, output).map_err(failed);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staging, CWD, output, RenameFlags::EXCHANGE).is_ok() {
            // `staging` now holds the previous site.
            let _ = std::fs::remove_dir_all(staging);
            return Ok(());
        }
    }
    let old = parent.join(format!(".{name}.kaca-old-{}", std::process::id()));
    std::fs::rename(output, &old).map_err(failed)?;
    if let Err(error) = std::fs::rename(staging, output) {
        let _ = std::fs::rename(&old, output);
        return Err(failed(error));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Removes staging folders left by builds that were killed. A folder is
/// stale when the process that made it no longer runs.
fn remove_stale_temporaries(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefixes = [format!(".{name}.kaca-tmp-"), format!(".{name}.kaca-old-")];
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = prefixes
            .iter()
            .find_map(|p| file_name.strip_prefix(p.as_str()))
        else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without /proc we cannot tell; keep the folder (it is harmless).
        true
    }
}

/// No two sources may write the same file (an alias over a page, a static
/// file over a content file): one of them would silently be lost.
/// `to_come`: the files written after `files` are made (path and origin),
/// which are checked as if they followed them.
pub fn check_unique_outputs(
    files: &[OutputFile],
    to_come: &[(&str, &str)],
    diagnostics: &mut Diagnostics,
) {
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let all = files
        .iter()
        .map(|file| (file.path.as_str(), file.origin.as_str()))
        .chain(to_come.iter().copied());
    for (path, origin) in all {
        if let Some(first) = seen.insert(path, origin) {
            diagnostics.push(
                Diagnostic::error(
                    None,
                    format!(
                        "`{}` would be written twice: by {first} and by {}",
                        path, origin
                    ),
                )
                .with_hint("rename one of them, or change its slug, path or alias"),
            );
        }
    }
}

/// Every root-relative link written in markdown (`/pengumuman/`) must lead
/// to a file of the finished site.
/// Files in `to_come` (path and origin, as for [`check_unique_outputs`])
/// are written after `files` and count as there.
pub fn check_internal_links(
    content: &Content,
    files: &[OutputFile],
    to_come: &[(&str, &str)],
    diagnostics: &mut Diagnostics,
) {
    let paths: HashSet<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .chain(to_come.iter().map(|(path, _)| *path))
        .collect();
    let bodies = content.pages.iter().map(|p| (&p.file, &p.body)).chain(
        content
            .sections
            .iter()
            .filter_map(|s| s.file.as_ref().map(|f| (f, &s.body))),
    );
    for (file, body) in bodies {
        for link in &body.links {
            let LinkTarget::SitePath { path } = &link.target else {
                continue;
            };
            let clean = path
                .split(['#', '?'])
                .next()
                .unwrap_or_default()
                .trim_start_matches('/');
            let clean = percent_encoding::percent_decode_str(clean).decode_utf8_lossy();
            let found = if clean.is_empty() {
                paths.contains("index.html")
            } else if clean.ends_with('/') {
                paths.contains(format!("{clean}index.html").as_str())
            } else {
                paths.contains(clean.as_ref())
                    || paths.contains(format!("{clean}/index.html").as_str())
            };
            if !found {
                diagnostics.push(
                    Diagnostic::error(
                        Some(Location::at(file, link.line, link.column)),
                        format!("link `{}` does not lead to any page or file of the site", link.written),
                    )
                    .with_hint("link to content files with @/path/to/file.md so kaca can check and translate the link"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A staging folder that cannot be made (here its name is too long
    /// for the file system, the output's own is not) leaves none of the
    /// folders made to hold it, and keeps the ones that were there.
    #[test]
    fn a_staging_folder_that_cannot_be_made_leaves_no_folders_behind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("ada")).unwrap();
        // 250 bytes: a valid name; the staging folder's adds 11 and the
        // process id, beyond the 255 every common file system allows.
        let output = dir.path().join("ada/baru/sekali").join("p".repeat(250));
        let error = Staging::begin(&output).err().expect("the name is too long");
        assert!(error.message.contains("cannot write"), "{}", error.message);
        assert!(dir.path().join("ada").is_dir());
        assert!(!dir.path().join("ada/baru").exists());
    }

    #[test]
    fn refuses_project_root_and_source_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("content")).unwrap();
        assert!(resolve_output(root, Path::new(".")).is_err());
        assert!(resolve_output(root, Path::new("content/public")).is_err());
        assert!(resolve_output(root, Path::new("/")).is_err());
        assert!(resolve_output(root, Path::new("..")).is_err());
        assert!(resolve_output(root, Path::new("public")).is_ok());
    }

    #[test]
    fn refuses_a_folder_without_marker() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("precious.txt"), "keep").unwrap();
        assert!(write(&out, &[]).is_err());
        assert_eq!(
            std::fs::read_to_string(out.join("precious.txt")).unwrap(),
            "keep"
        );
    }
}
