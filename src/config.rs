//! `site.toml`: the portal's configuration, parsed once and strictly (first
//! stage of the pipeline). A typo in a key is an error naming the key and
//! its line, never silently ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Diagnostics, Location, line_column};

pub const CONFIG_FILE: &str = "site.toml";

/// Smallest group size any site may configure for published counts; below
/// three, a count can single out a person even with other protections.
pub const MIN_CELL_SIZE_FLOOR: u32 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    #[serde(default = "default_theme")]
    theme: String,
    #[serde(default = "default_language")]
    default_language: String,
    #[serde(default)]
    languages: BTreeMap<String, RawLanguage>,
    #[serde(default)]
    taxonomies: Vec<TaxonomyConfig>,
    #[serde(default)]
    markdown: MarkdownConfig,
    #[serde(default)]
    privacy: PrivacyConfig,
    #[serde(default)]
    search: SearchConfig,
    #[serde(default)]
    extra: toml::Table,
}

/// `[search]`: the full-text search page and its index.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Builds the search page of each language and the Pagefind index
    /// (default `true`).
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig { enabled: true }
    }
}

fn default_true() -> bool {
    true
}

/// `[privacy]`: how small a published group may be, and values that look
/// like personal data but were reviewed and may be published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Counts of persons below this are suppressed (default 10).
    #[serde(default = "default_min_cell_size")]
    pub min_cell_size: u32,
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
    /// The content page that explains the rules (`metodologi.md`): notes
    /// under hidden numbers link to it, and it shows the rules in force.
    pub explained_in: Option<String>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            min_cell_size: default_min_cell_size(),
            allow: Vec::new(),
            explained_in: None,
        }
    }
}

fn default_min_cell_size() -> u32 {
    10
}

/// A value the identifier scan would refuse, published on purpose: an
/// office's hotline, a public e-mail address. Listed on the methodology
/// page with its reason.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub value: String,
    /// Why it may be published (whose number it is).
    pub reason: String,
    pub reviewed_by: String,
    pub reviewed_on: toml::value::Datetime,
}

fn default_theme() -> String {
    "default".to_string()
}

fn default_language() -> String {
    "id".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    /// The language's own name for itself, shown in the language switcher.
    name: String,
    /// BCP 47 locale used for number and date formatting, e.g. `en-GB`.
    locale: Option<String>,
    title: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    pub name: String,
    /// Pages per term page; none means one page with all.
    pub paginate_by: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownConfig {
    /// Adds a `#` link beside headings on every page unless a section says
    /// otherwise (Zola's `insert_anchor_links`).
    #[serde(default)]
    pub insert_anchor_links: Option<String>,
    /// What happens to HTML written in markdown: `"sanitise"` (the default)
    /// keeps safe markup and removes scripts, event handlers, `javascript:`
    /// and `data:` addresses, styles and frames; `"trusted"` keeps it as
    /// written, for sites whose every author is trusted.
    #[serde(default)]
    pub raw_html: RawHtml,
    /// Hosts whose pages may be embedded with `<iframe src="https://…">`
    /// (e.g. `www.youtube-nocookie.com`); no other frame survives.
    #[serde(default)]
    pub iframe_hosts: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawHtml {
    #[default]
    Sanitise,
    Trusted,
}

#[derive(Debug, Clone)]
pub struct Language {
    pub code: String,
    pub name: String,
    pub locale: String,
    pub title: String,
    pub description: String,
    /// `""` for the default language, `"en/"` for the others: the prefix of
    /// every path in that language.
    pub path_prefix: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// With a trailing slash, e.g. `https://example.org/portal/`.
    pub base_url: String,
    /// The path part of `base_url`, with leading and trailing slash
    /// (`/portal/`, or `/`): every internal link starts with it.
    pub base_path: String,
    pub theme: String,
    pub default_language: String,
    /// Default language first, then the others in code order.
    pub languages: Vec<Language>,
    pub taxonomies: Vec<TaxonomyConfig>,
    pub markdown: MarkdownConfig,
    pub privacy: PrivacyConfig,
    pub search: SearchConfig,
    pub extra: serde_json::Value,
}

impl Config {
    pub fn language(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }

    pub fn is_language(&self, code: &str) -> bool {
        self.language(code).is_some()
    }

    pub fn taxonomy(&self, name: &str) -> Option<&TaxonomyConfig> {
        self.taxonomies.iter().find(|t| t.name == name)
    }

    /// Replaces the base URL (for `--base-url` and for `serve`).
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, String> {
        let (url, path) = normalise_base_url(base_url)?;
        self.base_url = url;
        self.base_path = path;
        Ok(self)
    }
}

/// Reads and validates `site.toml` in `root`. All problems are reported.
pub fn load(root: &Path, diagnostics: &mut Diagnostics) -> Option<Config> {
    let path = root.join(CONFIG_FILE);
    let location = Location::file(CONFIG_FILE);
    let text = match std::fs::read(&path) {
        Ok(bytes) => match crate::diagnostics::text_from_bytes(bytes, Path::new(CONFIG_FILE)) {
            Ok(text) => text,
            Err(problem) => {
                diagnostics.push(problem);
                return None;
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            diagnostics.push(
                Diagnostic::error(Some(location), "there is no site.toml in this folder")
                    .with_hint("run kaca in the portal's folder, or create a new portal with `kaca new DIR`"),
            );
            return None;
        }
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                Some(location),
                format!("cannot read the file: {error}"),
            ));
            return None;
        }
    };
    parse(&text, diagnostics)
}

pub fn parse(text: &str, diagnostics: &mut Diagnostics) -> Option<Config> {
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let location = match error.span() {
                Some(span) => {
                    let (line, column) = line_column(text, span.start);
                    Location::at(CONFIG_FILE, line, column)
                }
                None => Location::file(CONFIG_FILE),
            };
            let message = crate::diagnostics::plain_toml_message(text, &error);
            let message = message.as_str();
            diagnostics.push(match unknown_key(message) {
                Some((unknown, hint)) => {
                    Diagnostic::error(Some(location), format!("unknown key `{unknown}`"))
                        .with_hint(hint)
                }
                None => Diagnostic::error(Some(location), message.to_string())
                    .with_hint("see the README's site.toml reference for the keys kaca knows"),
            });
            return None;
        }
    };
    let key_location = |key: &str| {
        Some(match find_key_line(text, key) {
            Some(line) => Location::line(CONFIG_FILE, line),
            None => Location::file(CONFIG_FILE),
        })
    };
    let errors_before = diagnostics.error_count();

    let (base_url, base_path) = match normalise_base_url(&raw.base_url) {
        Ok(parts) => parts,
        Err(message) => {
            diagnostics.push(
                Diagnostic::error(key_location("base_url"), message)
                    .with_hint("write the address the site will be published at, e.g. \"https://portal.example.go.id/\""),
            );
            (String::new(), "/".to_string())
        }
    };

    let mut languages = Vec::new();
    if !raw.languages.contains_key(&raw.default_language) {
        diagnostics.push(
            Diagnostic::error(
                key_location("default_language"),
                format!(
                    "the default language `{}` has no [languages.{}] table",
                    raw.default_language, raw.default_language
                ),
            )
            .with_hint("every language needs a table with its `name` and `title`"),
        );
    }
    for (code, language) in &raw.languages {
        if !is_language_code(code) {
            diagnostics.push(
                Diagnostic::error(
                    key_location(&format!("languages.{code}")),
                    format!("`{code}` is not a language code"),
                )
                .with_hint("use a lowercase ISO 639 code such as `id` or `en`"),
            );
            continue;
        }
        let locale = language.locale.clone().unwrap_or_else(|| code.clone());
        if locale.parse::<icu::locale::Locale>().is_err() {
            diagnostics.push(
                Diagnostic::error(
                    key_location("locale"),
                    format!("`{locale}` is not a valid locale"),
                )
                .with_hint("use a BCP 47 tag such as `id`, `en-GB` or `en-US`"),
            );
        }
        let is_default = *code == raw.default_language;
        languages.push(Language {
            code: code.clone(),
            name: language.name.clone(),
            locale,
            title: language.title.clone(),
            description: language.description.clone(),
            path_prefix: if is_default {
                String::new()
            } else {
                format!("{code}/")
            },
        });
    }
    languages.sort_by_key(|l| (l.code != raw.default_language, l.code.clone()));

    let mut seen = Vec::new();
    for taxonomy in &raw.taxonomies {
        if slug::slugify(&taxonomy.name) != taxonomy.name {
            diagnostics.push(
                Diagnostic::error(
                    key_location("name"),
                    format!("taxonomy name `{}` cannot be used in a URL", taxonomy.name),
                )
                .with_hint("use lowercase letters, digits and hyphens, e.g. `programs`"),
            );
        }
        if seen.contains(&taxonomy.name) {
            diagnostics.push(Diagnostic::error(
                key_location("name"),
                format!("taxonomy `{}` is declared twice", taxonomy.name),
            ));
        }
        if taxonomy.paginate_by == Some(0) {
            diagnostics.push(Diagnostic::error(
                key_location("paginate_by"),
                "`paginate_by` must be at least 1",
            ));
        }
        seen.push(taxonomy.name.clone());
    }
    if let Some(value) = &raw.markdown.insert_anchor_links
        && !ANCHOR_POSITIONS.contains(&value.as_str())
    {
        diagnostics.push(
            Diagnostic::error(
                key_location("insert_anchor_links"),
                format!("`insert_anchor_links = \"{value}\"` is not a known position"),
            )
            .with_hint("use one of \"left\", \"right\", \"heading\" or \"none\""),
        );
    }
    if raw.privacy.min_cell_size < MIN_CELL_SIZE_FLOOR {
        diagnostics.push(
            Diagnostic::error(
                key_location("min_cell_size"),
                format!(
                    "`min_cell_size = {}` is below {MIN_CELL_SIZE_FLOOR}: counts that small can single out a person",
                    raw.privacy.min_cell_size
                ),
            )
            .with_hint("use 10 (the default) or more; 3 is the lowest kaca accepts"),
        );
    }
    for entry in &raw.privacy.allow {
        if entry.reason.trim().is_empty() || entry.reviewed_by.trim().is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    key_location("allow"),
                    format!(
                        "the allow-list entry `{}` needs a reason and who reviewed it",
                        entry.value
                    ),
                )
                .with_hint(
                    "e.g. reason = \"official hotline of Disnaker\", reviewed_by = \"PPID\"",
                ),
            );
        }
    }
    if raw.theme.is_empty() || raw.theme.contains(['/', '\\']) || raw.theme.starts_with('.') {
        diagnostics.push(
            Diagnostic::error(
                key_location("theme"),
                format!("`{}` is not a theme name", raw.theme),
            )
            .with_hint("name a folder under themes/, e.g. \"default\""),
        );
    }

    if diagnostics.error_count() > errors_before {
        return None;
    }
    Some(Config {
        base_url,
        base_path,
        theme: raw.theme,
        default_language: raw.default_language,
        languages,
        taxonomies: raw.taxonomies,
        markdown: raw.markdown,
        privacy: raw.privacy,
        search: raw.search,
        extra: serde_json::to_value(&raw.extra).unwrap_or(serde_json::Value::Null),
    })
}

pub const ANCHOR_POSITIONS: [&str; 4] = ["left", "right", "heading", "none"];

fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

/// Checks a base URL and splits off its path: `https://x.org/portal` gives
/// (`https://x.org/portal/`, `/portal/`).
pub fn normalise_base_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("base URL `{url}` must start with https:// or http://"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("base URL `{url}` has no host name"));
    }
    if path.contains(['?', '#']) || path.contains(char::is_whitespace) {
        return Err(format!(
            "base URL `{url}` must be a plain address without query, fragment or spaces"
        ));
    }
    let path = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let scheme_and_host = &url[..url.len() - rest.len() + host.len()];
    Ok((format!("{scheme_and_host}{path}"), path))
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" (staff read
/// "field" as a data column) as (`x`, a hint naming the closest key or
/// listing them). `None` for other messages.
pub fn unknown_key(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let list = rest
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ");
    let known: Vec<&str> = list
        .split(", ")
        .map(|k| k.trim_matches('`'))
        .filter(|k| !k.is_empty())
        .collect();
    let hint = match crate::diagnostics::did_you_mean(unknown, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("the keys here are {}", known.join(", ")),
    };
    Some((unknown.to_string(), hint))
}

/// Line of the first `key =` (or `key:`, or `[key]`) in a TOML or YAML
/// text, at any depth, for pointing at a value that parsed but is not
/// allowed. Parsers give positions only for syntax errors, so this finds
/// the others.
pub fn find_key_line(text: &str, key: &str) -> Option<usize> {
    let last = key.rsplit('.').next().unwrap_or(key);
    let table = format!("[{key}]");
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with(&table) || starts_with_key(trimmed, last)
        })
        .or_else(|| {
            // A key inside an inline map: `taxonomies: {kategori: [x]}`.
            text.lines().position(|line| {
                line.match_indices(last).any(|(at, _)| {
                    let before = line[..at].trim_end();
                    (before.ends_with('{') || before.ends_with(','))
                        && starts_with_key(&line[at..], last)
                })
            })
        })
        .map(|index| index + 1)
}

/// Line of a top-level key: not indented (YAML) and before any `[table]`
/// (TOML), so `title` under `extra` is not mistaken for the page's title.
pub fn find_top_level_key_line(text: &str, key: &str) -> Option<usize> {
    find_top_level_key_lines(text, &[key])
        .first()
        .map(|&(_, line)| line)
}

/// [`find_top_level_key_line`] for each of `keys`, in one pass over the
/// text (a page's front matter asks for every key it has): the keys found,
/// with their lines, in the order of the text.
pub fn find_top_level_key_lines<'k>(text: &str, keys: &[&'k str]) -> Vec<(&'k str, usize)> {
    let mut found = Vec::with_capacity(keys.len());
    let mut left = keys.to_vec();
    for (index, line) in text.lines().enumerate() {
        if left.is_empty() || line.starts_with('[') {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        left.retain(|key| {
            let here = starts_with_key(line, key);
            if here {
                found.push((*key, index + 1));
            }
            !here
        });
    }
    found
}

fn starts_with_key(text: &str, key: &str) -> bool {
    let text = text.trim_start_matches(['"', '\'']);
    let Some(after) = text.strip_prefix(key) else {
        return false;
    };
    let after = after.trim_start_matches(['"', '\'']).trim_start();
    after.starts_with('=') || after.starts_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each key at its first top-level line: not indented, not under a
    /// TOML table, quoted or not. (A line `a:b: c` is where `a:b` is, and
    /// counts for `a` too: the lines only place messages.)
    #[test]
    fn top_level_keys_are_found_at_their_lines() {
        let keys = [
            "title", "date", "extra", "tags", "a", "a:b", "weight", "missing",
        ];
        let cases: [(&str, &[(&str, usize)]); 5] = [
            (
                "title: A\ndate: 2025-01-01\nextra:\n  title: B\ntags: [a]\n",
                &[("title", 1), ("date", 2), ("extra", 3), ("tags", 5)],
            ),
            (
                "\"title\": A\n'date' : 1\na:b: c\na: d\ntitle: again\n",
                &[("title", 1), ("date", 2), ("a", 3), ("a:b", 3)],
            ),
            (
                "title = \"A\"\nweight = 2\n[extra]\ndate = 3\n",
                &[("title", 1), ("weight", 2)],
            ),
            (
                "  title: indented\ntitle: top\n\ttags: x\n",
                &[("title", 2)],
            ),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(find_top_level_key_lines(text, &keys), expected, "{text:?}");
            for key in keys {
                let line = expected.iter().find(|(k, _)| *k == key).map(|&(_, l)| l);
                assert_eq!(
                    find_top_level_key_line(text, key),
                    line,
                    "{key} in {text:?}"
                );
            }
        }
    }

    #[test]
    fn base_url_path_is_kept_with_slashes() {
        assert_eq!(
            normalise_base_url("https://example.org/portal").unwrap(),
            ("https://example.org/portal/".into(), "/portal/".into())
        );
        assert_eq!(
            normalise_base_url("http://127.0.0.1:1111").unwrap(),
            ("http://127.0.0.1:1111/".into(), "/".into())
        );
        assert!(normalise_base_url("example.org").is_err());
    }

    #[test]
    fn unknown_key_is_reported_with_its_line() {
        let mut diagnostics = Diagnostics::new();
        let text = "base_url = \"https://x.org/\"\nthme = \"default\"\n";
        assert!(parse(text, &mut diagnostics).is_none());
        let report = diagnostics.report();
        assert!(report.contains("site.toml:2:1"), "{report}");
        assert!(report.contains("unknown key `thme`"), "{report}");
        assert!(report.contains("did you mean `theme`?"), "{report}");
    }
}
