//! Problems found while building, collected across a whole run so that a
//! user sees every problem at once (ripgrep's and Zola's "collect, then
//! fail"). Every stage pushes into a `Diagnostics`; `build()` fails at the
//! end of a stage that recorded an error, before anything is written.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
}

/// Where a problem is: a file relative to the project root, and where known
/// the 1-based line and column in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }

    pub fn line(file: impl Into<PathBuf>, line: usize) -> Self {
        Location {
            file: file.into(),
            line: Some(line),
            column: None,
        }
    }

    pub fn at(file: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        Location {
            file: file.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Forward slashes on every platform so messages (and the tests that
        // check them) read the same everywhere.
        write!(f, "{}", self.file.to_string_lossy().replace('\\', "/"))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub location: Option<Location>,
    pub message: String,
    /// What the user can do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            location,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            location,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}: ")?;
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        // Multi-line messages (template errors with their source excerpt)
        // are indented so the numbered list stays readable.
        let mut lines = self.message.lines();
        if let Some(first) = lines.next() {
            write!(f, "{first}")?;
        }
        for line in lines {
            write!(f, "\n    {line}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The problems of one run, in the order found, then sorted for output so
/// that two runs over the same input print the same report.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn error(&mut self, location: Option<Location>, message: impl Into<String>) {
        self.push(Diagnostic::error(location, message));
    }

    pub fn extend(&mut self, more: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(more);
    }

    /// How many problems so far (a mark for [`Diagnostics::since`]).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The problems added after `mark` (from [`Diagnostics::len`]).
    pub fn since(&self, mark: usize) -> Vec<Diagnostic> {
        self.items
            .get(mark..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.level == Level::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.level == Level::Warning)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Errors first, then by file and line, duplicates removed.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut items = self.items.clone();
        items.sort_by(|a, b| {
            (a.level, &a.location, &a.message).cmp(&(b.level, &b.location, &b.message))
        });
        items.dedup();
        items
    }

    /// The report a user reads: a numbered list, then one summary line.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (number, diagnostic) in self.sorted().iter().enumerate() {
            out.push_str(&format!("{}. {diagnostic}\n", number + 1));
        }
        out
    }
}

/// Shows `path` relative to `root` where it is inside it, as users name
/// files relative to their project.
pub fn relative_to(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Converts a byte offset in `text` into a 1-based line and column
/// (column counted in characters, as editors show it).
/// For many offsets into one text, [`LineFinder`] reads it once.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    LineFinder::new(text).at(offset)
}

/// Lines and columns of many offsets into one text, found in one pass
/// when the offsets come in order (as a document's links do):
/// [`line_column`] for each would read the text from its start every time,
/// a cost that grows with the square of a page's length.
pub struct LineFinder<'t> {
    text: &'t str,
    /// Where counting stopped, and its line and column there.
    offset: usize,
    line: usize,
    column: usize,
}

impl<'t> LineFinder<'t> {
    pub fn new(text: &'t str) -> Self {
        LineFinder {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// The line and column (both from 1, the column in characters) of the
    /// byte `offset`; one inside a character counts as that character's.
    pub fn at(&mut self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        if offset < self.offset {
            *self = LineFinder::new(self.text);
        }
        let skipped = &self.text[self.offset..offset];
        // Only what was skipped is read: a page that is one long line with
        // many links is not read from the line's start for each.
        match skipped.rfind('\n') {
            Some(last) => {
                self.line += skipped.matches('\n').count();
                self.column = skipped[last + 1..].chars().count() + 1;
            }
            None => self.column += skipped.chars().count(),
        }
        self.offset = offset;
        (self.line, self.column)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Suggests the closest of `candidates` to a misspelt `word`, if one is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.82)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// How many leading bytes are searched for a NUL, the mark of a binary
/// file (git and grep decide the same way).
const BINARY_SNIFF: usize = 8000;

/// The text of a file that must be UTF-8 (configuration, content, data
/// descriptors, templates, strings), without a byte-order mark. A file that
/// is not is refused with where it goes wrong: a binary file (an image or a
/// spreadsheet under a text name) is named as such; other text is named
/// with its first bad byte and the encoding it seems to be in.
pub fn text_from_bytes(bytes: Vec<u8>, shown: &Path) -> Result<String, Diagnostic> {
    let mut bytes = bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let head = &bytes[..bytes.len().min(BINARY_SNIFF)];
    if let Some(nul) = memchr::memchr(0, head) {
        let (line, column) = position_of_byte(&bytes, nul);
        return Err(Diagnostic::error(
            Some(Location::at(shown, line, column)),
            "the file holds binary data (a NUL byte), not text",
        )
        .with_hint(
            "a text file is expected here; if this is an image, a PDF or a spreadsheet, give it its real extension or move it out of this folder",
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let bad = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let (line, column) = position_of_byte(&bytes, bad);
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(&bytes, true);
            let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
            // A guess from a few bytes is noise; only the encodings that
            // office software really writes are named.
            let seems = match encoding.name() {
                "windows-1252" => "; the file seems to be in Windows-1252 (Latin-1)",
                "UTF-16LE" | "UTF-16BE" => "; the file seems to be in UTF-16",
                _ => "",
            };
            Err(Diagnostic::error(
                Some(Location::at(shown, line, column)),
                format!(
                    "the file is not UTF-8 text: byte 0x{:02X} here is not UTF-8{seems}",
                    bytes[bad]
                ),
            )
            .with_hint("save the file as UTF-8 (in most editors: Save as, Encoding: UTF-8)"))
        }
    }
}

/// The 1-based line and column of byte `offset`, counting the valid text
/// before it.
fn position_of_byte(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let text = match std::str::from_utf8(before) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(&before[..error.valid_up_to()]).unwrap_or_default(),
    };
    line_column(text, text.len())
}

/// A TOML error's message, with serde's type mismatches ("invalid type:
/// string \"ya\", expected a boolean") said in plain words and naming the
/// key.
pub fn plain_toml_message(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim();
    let key = error.span().and_then(|span| key_before(text, span.start));
    plain_type_error(message, key.as_deref()).unwrap_or_else(|| message.to_string())
}

/// The key whose value starts at or contains byte `offset`: the last
/// `key =` before it on its line (`as_of` in `as_of = 5`).
fn key_before(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let pattern =
        regex::Regex::new(r"([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*[^=]*$").expect("a valid pattern");
    pattern.captures(before).map(|c| c[1].to_string())
}

/// serde's "invalid type: string \"ya\", expected a boolean" in the words
/// of the people who write these files, naming the key.
fn plain_type_error(message: &str, key: Option<&str>) -> Option<String> {
    let pattern =
        regex::Regex::new(r"^invalid type: (.+), expected (.+)$").expect("a valid pattern");
    let found = pattern.captures(message)?;
    let (got, wanted) = (&found[1], &found[2]);
    let wanted = match wanted {
        "f64" | "f32" | "i64" | "i32" | "u64" | "u32" | "usize" | "a number" => "a number",
        "a boolean" => "true or false",
        "a string" => "text in quotes",
        "a map" => "a table in braces, e.g. { id = \"…\", en = \"…\" }",
        "a sequence" => "a list in brackets, e.g. [\"…\", \"…\"]",
        other => other,
    };
    let got = if let Some(text) = got.strip_prefix("string ") {
        format!("the text {text}")
    } else if let Some(number) = got
        .strip_prefix("integer ")
        .or_else(|| got.strip_prefix("floating point "))
    {
        format!("the number {}", number.trim_matches('`'))
    } else if let Some(value) = got.strip_prefix("boolean ") {
        value.trim_matches('`').to_string()
    } else if got == "sequence" {
        "a list".to_string()
    } else if got == "map" {
        "a table".to_string()
    } else {
        got.to_string()
    };
    Some(match key {
        Some(key) => format!("`{key}` must be {wanted}, not {got}"),
        None => format!("a value must be {wanted}, not {got}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_not_bytes() {
        let text = "a\nbé c\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (2, 1));
        // `c` is after a two-byte `é`: byte 6, character column 4.
        assert_eq!(line_column(text, 6), (2, 4));
    }

    /// Offsets in order, repeated, going back, inside a character, past
    /// the end: a finder that has counted up to earlier offsets gives what
    /// a fresh one (`line_column`) gives for each.
    #[test]
    fn line_finder_agrees_with_line_column() {
        let text = "judul\n\nbé [tautan](@/a.md)\r\n\nakhir é\n";
        let offsets = [0, 3, 6, 7, 9, 10, 10, 12, 25, 8, 2, 27, 30, text.len(), 999];
        let mut finder = LineFinder::new(text);
        for offset in offsets {
            assert_eq!(
                finder.at(offset),
                line_column(text, offset),
                "offset {offset}"
            );
        }
        let mut fresh = LineFinder::new(text);
        for offset in 0..=text.len() {
            assert_eq!(
                fresh.at(offset),
                line_column(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn suggestions_only_for_close_words() {
        assert_eq!(did_you_mean("titel", ["title", "date"]), Some("title"));
        assert_eq!(did_you_mean("zzz", ["title", "date"]), None);
    }

    #[test]
    fn text_that_is_not_utf8_is_placed_and_binary_is_named() {
        let shown = Path::new("site.toml");
        assert_eq!(
            text_from_bytes(b"\xEF\xBB\xBFa = 1\n".to_vec(), shown).unwrap(),
            "a = 1\n"
        );
        let latin = text_from_bytes(b"a = 1\ntitle = \"Caf\xe9 di kota\"\n".to_vec(), shown)
            .unwrap_err()
            .to_string();
        assert!(
            latin.starts_with("error: site.toml:2:13: the file is not UTF-8 text: byte 0xE9"),
            "{latin}"
        );
        let binary = text_from_bytes(b"\x89PNG\r\n\x1a\n\0\0".to_vec(), shown)
            .unwrap_err()
            .to_string();
        assert!(binary.contains("binary data"), "{binary}");
    }
}
