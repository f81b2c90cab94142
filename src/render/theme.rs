//! Themes: templates, fingerprinted assets, verbatim static files and UI
//! strings per language. A site overrides any of them by putting its own
//! file at the same relative path (`templates/page.html` over
//! `themes/default/templates/page.html`). The default theme is also built
//! into the binary so a portal made by `kaca new` works without a copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Location, relative_to, text_from_bytes};

static BUILT_IN_DEFAULT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// The four kinds of theme file, each a folder in the theme and the site.
const TEMPLATES: &str = "templates";
/// Fingerprinted: written as `name.<hash>.ext`, linked with `asset_url()`.
const ASSETS: &str = "assets";
/// Copied as they are, for files that need a fixed name (`favicon.ico`).
const STATIC: &str = "static";
const STRINGS: &str = "i18n";
const SITE_STRINGS: &str = "i18n/site";

/// Where a theme file came from, for error messages and copying.
#[derive(Debug, Clone)]
pub enum Origin {
    File(PathBuf),
    BuiltIn(&'static [u8]),
}

#[derive(Debug, Clone)]
pub struct ThemeFile {
    /// 0 for the theme, 1 for the site: later layers win.
    pub layer: u8,
    /// Shown in messages: `themes/default/templates/page.html`, or
    /// `(built-in default theme)/templates/page.html`.
    pub shown_as: String,
    pub origin: Origin,
}

impl ThemeFile {
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        match &self.origin {
            Origin::File(path) => std::fs::read(path),
            Origin::BuiltIn(bytes) => Ok(bytes.to_vec()),
        }
    }
}

#[derive(Debug, Default)]
pub struct Theme {
    pub name: String,
    /// Template name (`partials/header.html`) to its text.
    pub templates: BTreeMap<String, (String, String)>,
    pub assets: BTreeMap<String, ThemeFile>,
    pub static_files: BTreeMap<String, ThemeFile>,
    /// Language code → key → text.
    pub strings: BTreeMap<String, BTreeMap<String, String>>,
}

pub fn load(root: &Path, config: &Config, diagnostics: &mut Diagnostics) -> Theme {
    let mut files: BTreeMap<(String, String), ThemeFile> = BTreeMap::new();
    let theme_dir = root.join("themes").join(&config.theme);
    if theme_dir.is_dir() {
        collect_dir(root, &theme_dir, 0, &mut files, diagnostics);
    } else if config.theme == "default" {
        collect_built_in(&BUILT_IN_DEFAULT, &mut files);
    } else {
        diagnostics.push(
            Diagnostic::error(
                Some(Location::file(crate::config::CONFIG_FILE)),
                format!(
                    "theme `{}` not found: there is no folder themes/{}",
                    config.theme, config.theme
                ),
            )
            .with_hint("put the theme in themes/<name>/, or use theme = \"default\""),
        );
    }
    // The site's own files win over the theme's.
    collect_dir(root, root, 1, &mut files, diagnostics);

    let mut theme = Theme {
        name: config.theme.clone(),
        ..Theme::default()
    };
    // UI strings merge key by key (theme first, then the site's), unlike
    // the other kinds, where the site's file replaces the theme's.
    let mut string_files: Vec<(String, ThemeFile)> = Vec::new();
    for ((kind, name), file) in files {
        match kind.as_str() {
            TEMPLATES => match file
                .read()
                .map(|bytes| text_from_bytes(bytes, Path::new(&file.shown_as)))
            {
                Ok(Ok(text)) => {
                    theme.templates.insert(name, (text, file.shown_as.clone()));
                }
                Ok(Err(problem)) => diagnostics.push(problem),
                Err(error) => diagnostics.push(Diagnostic::error(
                    Some(Location::file(&file.shown_as)),
                    format!("cannot read the template: {error}"),
                )),
            },
            ASSETS => {
                theme.assets.insert(name, file);
            }
            STATIC => {
                theme.static_files.insert(name, file);
            }
            STRINGS | SITE_STRINGS => string_files.push((name, file)),
            _ => {}
        }
    }
    string_files.sort_by_key(|(_, file)| file.layer);
    for (name, file) in &string_files {
        load_strings(&mut theme, name, file, config, diagnostics);
    }
    check_strings(&theme, config, diagnostics);
    theme
}

fn collect_built_in(dir: &'static Dir<'static>, files: &mut BTreeMap<(String, String), ThemeFile>) {
    for entry in dir.entries() {
        match entry {
            include_dir::DirEntry::Dir(sub) => collect_built_in(sub, files),
            include_dir::DirEntry::File(file) => {
                let path = file.path().to_string_lossy().replace('\\', "/");
                if let Some((kind, name)) = path.split_once('/') {
                    files.insert(
                        (kind.to_string(), name.to_string()),
                        ThemeFile {
                            layer: 0,
                            shown_as: format!("(built-in default theme)/{path}"),
                            origin: Origin::BuiltIn(file.contents()),
                        },
                    );
                }
            }
        }
    }
}

fn collect_dir(
    root: &Path,
    base: &Path,
    layer: u8,
    files: &mut BTreeMap<(String, String), ThemeFile>,
    diagnostics: &mut Diagnostics,
) {
    for kind in [TEMPLATES, ASSETS, STATIC, STRINGS] {
        let dir = base.join(kind);
        if !dir.is_dir() {
            continue;
        }
        let walker = walkdir::WalkDir::new(&dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let shown = error
                        .path()
                        .map(|p| relative_to(root, p))
                        .unwrap_or_else(|| relative_to(root, &dir));
                    let message = if error.loop_ancestor().is_some() {
                        "this symbolic link points back to a folder that contains it (a loop); it was not followed".to_string()
                    } else {
                        format!("cannot read: {error}")
                    };
                    diagnostics.push(Diagnostic::error(Some(Location::file(shown)), message));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(name) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            let name = name.to_string_lossy().replace('\\', "/");
            // Both layers' string files are kept (they merge).
            let kind = if kind == STRINGS && layer > 0 {
                format!("{STRINGS}/site")
            } else {
                kind.to_string()
            };
            files.insert(
                (kind, name),
                ThemeFile {
                    layer,
                    shown_as: relative_to(root, entry.path())
                        .to_string_lossy()
                        .replace('\\', "/"),
                    origin: Origin::File(entry.path().to_path_buf()),
                },
            );
        }
    }
}

/// `i18n/id.toml`: flat `key = "text"` pairs for one language.
fn load_strings(
    theme: &mut Theme,
    name: &str,
    file: &ThemeFile,
    config: &Config,
    diagnostics: &mut Diagnostics,
) {
    let Some(code) = name.strip_suffix(".toml") else {
        return;
    };
    if !config.is_language(code) {
        // Strings for languages the site does not use are fine to ship.
        return;
    }
    let location = Location::file(&file.shown_as);
    let text = match file
        .read()
        .map(|bytes| text_from_bytes(bytes, Path::new(&file.shown_as)))
    {
        Ok(Ok(text)) => text,
        Ok(Err(problem)) => {
            diagnostics.push(problem);
            return;
        }
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(Some(location), format!("cannot read the file: {error}"))
                    .with_hint("check that the file exists and can be read"),
            );
            return;
        }
    };
    match toml::from_str::<BTreeMap<String, String>>(&text) {
        Ok(strings) => theme
            .strings
            .entry(code.to_string())
            .or_default()
            .extend(strings),
        Err(error) => {
            let location = match error.span() {
                Some(span) => {
                    let (line, column) = crate::diagnostics::line_column(&text, span.start);
                    Location::at(&file.shown_as, line, column)
                }
                None => location,
            };
            diagnostics.push(
                Diagnostic::error(
                    Some(location),
                    format!("UI strings: {}", error.message().trim()),
                )
                .with_hint("each line is key = \"text\""),
            );
        }
    }
}

/// Every language must have every UI string the default language has, so
/// no page shows a blank or a key.
fn check_strings(theme: &Theme, config: &Config, diagnostics: &mut Diagnostics) {
    let mut all_keys: Vec<&String> = theme.strings.values().flat_map(|s| s.keys()).collect();
    all_keys.sort();
    all_keys.dedup();
    for language in &config.languages {
        let strings = theme.strings.get(&language.code);
        let missing: Vec<&str> = all_keys
            .iter()
            .filter(|key| strings.is_none_or(|s| !s.contains_key(key.as_str())))
            .map(|key| key.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let shown = missing
            .iter()
            .take(10)
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if missing.len() > 10 {
            format!(" and {} more", missing.len() - 10)
        } else {
            String::new()
        };
        diagnostics.push(
            Diagnostic::error(
                Some(Location::file(format!("i18n/{}.toml", language.code))),
                format!(
                    "UI strings for `{}` are missing {shown}{more}",
                    language.code
                ),
            )
            .with_hint(format!(
                "add them to i18n/{}.toml in the site (or the theme's i18n folder)",
                language.code
            )),
        );
    }
}
