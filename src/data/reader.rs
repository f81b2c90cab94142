//! Streaming, typed reading of one CSV resource. One `ByteRecord` is reused
//! for the whole file and typed cells borrow from it, so memory does not
//! grow with the file; whatever needs the rows (validation, statistics)
//! sees them through a callback. The file's SHA-256 is computed on the same
//! read, so the hash in published metadata is of the bytes that were used.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use sha2::{Digest, Sha256};

use super::package::Resource;
use super::schema::Cell;
use crate::diagnostics::{Diagnostic, Location};

/// How many problems of one resource are listed; the rest are counted.
pub const LISTED_PER_RESOURCE: usize = 20;

/// One data row as the callback sees it.
pub struct Row<'a> {
    /// In schema field order.
    pub cells: &'a [Cell<'a>],
    /// 1-based number of the data record (the header is not a record).
    pub record: u64,
    /// Byte offset of the record in the file (for `lines_at`).
    pub offset: u64,
}

/// What reading a resource found out.
#[derive(Debug, Default)]
pub struct Scan {
    pub rows: u64,
    pub bytes: u64,
    /// Hex SHA-256 of the file as read.
    pub sha256: String,
    /// Listed problems (at most `LISTED_PER_RESOURCE`), with their lines.
    pub problems: Vec<Diagnostic>,
    /// All problems, listed or not.
    pub problem_count: usize,
    /// Things that read but look wrong.
    pub warnings: Vec<Diagnostic>,
    /// Byte offset of the first problem not listed, for its line.
    pub first_unlisted_line: Option<usize>,
    /// Byte offset in the file of each listed problem, resolved to a line
    /// when reading ends.
    offsets: Vec<u64>,
    first_unlisted_offset: Option<u64>,
    /// Key tuples seen for the field lists others refer to.
    pub keys: HashMap<Vec<String>, HashSet<Vec<String>>>,
}

/// Hashes and counts every byte the CSV reader pulls through.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Key sets of already-read resources, for checking foreign keys:
/// (resource, fields) → the tuples present.
pub type KnownKeys = HashMap<(String, Vec<String>), HashSet<Vec<String>>>;

/// Reads `resource` row by row, checks every value against the schema
/// (types, constraints, unique, primary and foreign keys), and hands each
/// row to `visit`. `wanted_keys` lists field lists whose value tuples other
/// resources refer to, to collect for them.
pub fn scan(
    resource: &Resource,
    known: &KnownKeys,
    wanted_keys: &[Vec<String>],
    visit: &mut dyn FnMut(&Row<'_>),
) -> Scan {
    let mut scan = Scan::default();
    let file = match std::fs::File::open(&resource.absolute) {
        Ok(file) => file,
        Err(error) => {
            scan.problem(
                0,
                Diagnostic::error(
                    Some(Location::file(&resource.shown)),
                    format!(
                        "resource `{}`: cannot read the file: {error}",
                        resource.name
                    ),
                ),
            );
            return scan;
        }
    };
    let mut source = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 16, file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let result = read_rows(resource, known, wanted_keys, &mut source, &mut scan, visit);
    if let Err((offset, problem)) = result {
        scan.problem(offset, problem);
    }
    // Hash to the end even when reading stopped early, so `bytes` and the
    // hash always describe the whole file.
    let _ = std::io::copy(&mut source, &mut std::io::sink());
    scan.bytes = source.bytes;
    scan.sha256 = crate::render::hex(&source.hasher.finalize());
    scan.resolve_lines(resource);
    scan
}

impl Scan {
    /// Records a problem of the record starting at byte `offset`.
    fn problem(&mut self, offset: u64, diagnostic: Diagnostic) {
        self.problem_count += 1;
        if self.problems.len() < LISTED_PER_RESOURCE {
            self.problems.push(diagnostic);
            self.offsets.push(offset);
        } else if self.first_unlisted_offset.is_none() {
            self.first_unlisted_offset = Some(offset);
        }
    }

    /// Turns byte offsets into line numbers with one more pass over the
    /// file. The csv crate's own line count is wrong for CRLF files
    /// (rust-csv issue 395), and spreadsheets write CRLF.
    fn resolve_lines(&mut self, resource: &Resource) {
        let mut wanted: Vec<u64> = self.offsets.clone();
        wanted.extend(self.first_unlisted_offset);
        if wanted.is_empty() {
            return;
        }
        let lines = lines_at(&resource.absolute, &wanted);
        for (diagnostic, offset) in self.problems.iter_mut().zip(&self.offsets) {
            // A position at or past the end (an empty file) has no line.
            if *offset >= self.bytes {
                continue;
            }
            if let Some(location) = &mut diagnostic.location
                && let Some(line) = lines.get(offset)
            {
                location.line = Some(*line);
            }
        }
        self.first_unlisted_line = self
            .first_unlisted_offset
            .and_then(|o| lines.get(&o).copied());
    }
}

/// The 1-based line of each byte offset in a file.
pub fn lines_at(path: &std::path::Path, offsets: &[u64]) -> HashMap<u64, usize> {
    let mut sorted: Vec<u64> = offsets.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut result = HashMap::new();
    let Ok(file) = std::fs::File::open(path) else {
        return result;
    };
    let mut reader = std::io::BufReader::new(file);
    let mut buffer = [0u8; 1 << 16];
    let mut position = 0u64;
    let mut line = 1usize;
    let mut next = sorted.into_iter().peekable();
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &buffer[..read] {
            // In CRLF files the csv crate places a record at the `\n` that
            // ends the line before it, so a line end at the offset counts.
            if byte == b'\n' {
                line += 1;
            }
            while next.peek() == Some(&position) {
                result.insert(position, line);
                next.next();
            }
            position += 1;
        }
        if next.peek().is_none() {
            break;
        }
    }
    for offset in next {
        result.insert(offset, line);
    }
    result
}

fn read_rows(
    resource: &Resource,
    known: &KnownKeys,
    wanted_keys: &[Vec<String>],
    source: &mut Hashing<std::io::BufReader<std::fs::File>>,
    scan: &mut Scan,
    visit: &mut dyn FnMut(&Row<'_>),
) -> Result<(), (u64, Diagnostic)> {
    let dialect = &resource.dialect;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .quote(dialect.quote)
        .double_quote(dialect.double_quote)
        .escape(dialect.escape)
        .comment(dialect.comment)
        .has_headers(false)
        .flexible(true)
        .trim(if dialect.skip_initial_space {
            csv::Trim::Fields
        } else {
            csv::Trim::None
        })
        .from_reader(source);
    // Lines are filled in from byte offsets when reading ends.
    let here = || Some(Location::file(&resource.shown));
    let name = &resource.name;
    let mut record = csv::ByteRecord::new();

    if dialect.header {
        if !read_record(&mut reader, &mut record, resource)? {
            return Err((
                0,
                Diagnostic::error(
                    Some(Location::file(&resource.shown)),
                    format!(
                        "resource `{name}`: the file is empty; it needs at least the header row"
                    ),
                )
                .with_hint(format!(
                    "write the header: {}",
                    resource
                        .fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )),
            ));
        }
        let offset = record.position().map(|p| p.byte()).unwrap_or(0);
        if record.iter().any(|h| std::str::from_utf8(h).is_err()) || record.as_slice().contains(&0)
        {
            return Err((offset, not_utf8(resource, 0, "(header)")));
        }
        let headers: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let text = String::from_utf8_lossy(h);
                // A byte-order mark at the start of the file is not part of
                // the first column's name.
                if i == 0 {
                    text.trim_start_matches('\u{feff}').to_string()
                } else {
                    text.into_owned()
                }
            })
            .collect();
        let expected: Vec<&str> = resource.fields.iter().map(|f| f.name.as_str()).collect();
        if headers != expected {
            let differing = headers
                .iter()
                .zip(&expected)
                .position(|(a, b)| a != b)
                .unwrap_or(headers.len().min(expected.len()));
            let what = match (headers.get(differing), expected.get(differing)) {
                (Some(found), Some(wanted)) => format!(
                    "column {} is `{found}` where the schema has `{wanted}`",
                    differing + 1
                ),
                (None, Some(wanted)) => {
                    format!("the header ends before the schema's field `{wanted}`")
                }
                (Some(found), None) => format!("the header has an extra column `{found}`"),
                (None, None) => "the header differs from the schema".to_string(),
            };
            // One column holding the schema's names with another separator:
            // the file's delimiter is not the declared one.
            let separator = [';', '\t', '|', ',']
                .into_iter()
                .filter(|c| *c as u32 != u32::from(dialect.delimiter))
                .find(|c| headers.len() == 1 && expected.len() > 1 && headers[0].contains(*c));
            let hint = match separator {
                Some(c) => format!(
                    "the file separates its columns with `{}`: declare \"dialect\": {{\"delimiter\": \"{}\"}} for the resource in datapackage.json",
                    if c == '\t' {
                        "tab".to_string()
                    } else {
                        c.to_string()
                    },
                    if c == '\t' {
                        "\\t".to_string()
                    } else {
                        c.to_string()
                    }
                ),
                None => format!(
                    "the header must list the schema's fields in order: {}",
                    expected.join(",")
                ),
            };
            return Err((
                offset,
                Diagnostic::error(here(), format!("resource `{name}`: {what}")).with_hint(hint),
            ));
        }
    }

    let field_count = resource.fields.len();
    let mut unique: Vec<Option<HashSet<String>>> = resource
        .fields
        .iter()
        .map(|f| f.constraints.unique.then(HashSet::new))
        .collect();
    let primary: Vec<usize> = resource
        .primary_key
        .iter()
        .filter_map(|k| resource.field_index(k))
        .collect();
    let mut primary_seen: HashSet<Vec<String>> = HashSet::new();
    let foreign: Vec<ForeignCheck<'_>> = resource
        .foreign_keys
        .iter()
        .filter(|k| !k.resource.is_empty())
        .filter_map(|k| {
            let indices: Vec<usize> = k
                .fields
                .iter()
                .filter_map(|f| resource.field_index(f))
                .collect();
            let set = known.get(&(k.resource.clone(), k.reference_fields.clone()))?;
            Some((
                indices,
                set,
                format!("{}.{}", k.resource, k.reference_fields.join("+")),
            ))
        })
        .collect();
    let self_references: Vec<(Vec<usize>, Vec<usize>)> = resource
        .foreign_keys
        .iter()
        .filter(|k| k.resource.is_empty())
        .map(|k| {
            (
                k.fields
                    .iter()
                    .filter_map(|f| resource.field_index(f))
                    .collect(),
                k.reference_fields
                    .iter()
                    .filter_map(|f| resource.field_index(f))
                    .collect(),
            )
        })
        .collect();
    let mut pending_self: Vec<(Vec<String>, u64, u64)> = Vec::new();
    let wanted: Vec<(Vec<String>, Vec<usize>)> = wanted_keys
        .iter()
        .map(|fields| {
            (
                fields.clone(),
                fields
                    .iter()
                    .filter_map(|f| resource.field_index(f))
                    .collect(),
            )
        })
        .collect();
    let mut self_keys: HashMap<Vec<usize>, HashSet<Vec<String>>> = HashMap::new();

    let mut thousands_warned = vec![false; field_count];
    let mut number = 0u64;
    while read_record(&mut reader, &mut record, resource)? {
        number += 1;
        let offset = record.position().map(|p| p.byte()).unwrap_or(0);
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) && field_count > 1 {
            // A blank line: not a record.
            number -= 1;
            continue;
        }
        if record.len() != field_count {
            // A value running over lines to the end: a quote never closed.
            let swallowed = record
                .iter()
                .position(|value| value.contains(&b'\n'))
                .filter(|_| record.len() < field_count);
            let diagnostic = match swallowed {
                Some(index) => Diagnostic::error(
                    here(),
                    format!(
                        "resource `{name}`, record {number}: a quote opens in field `{}` and is never closed, so the rest of the file was read as one value",
                        resource.fields.get(index).map(|f| f.name.as_str()).unwrap_or("?")
                    ),
                )
                .with_hint("close the quote; a quote inside a value is written twice (\"\")"),
                None => Diagnostic::error(
                    here(),
                    format!(
                        "resource `{name}`, record {number}: has {} values where the schema has {field_count} fields",
                        record.len()
                    ),
                )
                .with_hint("check for a missing or extra delimiter, or an unclosed quote on this or the line before"),
            };
            scan.problem(offset, diagnostic);
            continue;
        }
        if let Some((index, long)) = record
            .iter()
            .enumerate()
            .find(|(_, value)| value.len() > MAX_VALUE_BYTES)
        {
            scan.problem(
                offset,
                Diagnostic::error(
                    here(),
                    format!(
                        "resource `{name}`, record {number}, field `{}`: the value is {:.1} MiB long; kaca reads values of up to 1 MiB",
                        resource.fields.get(index).map(|f| f.name.as_str()).unwrap_or("?"),
                        long.len() as f64 / (1024.0 * 1024.0)
                    ),
                )
                .with_hint("a value this long is usually a file pasted into a cell, or not data at all; keep long texts out of the data"),
            );
            continue;
        }
        let mut texts: Vec<&str> = Vec::with_capacity(field_count);
        for (index, bytes) in record.iter().enumerate() {
            match std::str::from_utf8(bytes) {
                Ok(text) => texts.push(text),
                Err(_) => {
                    return Err((
                        offset,
                        not_utf8(resource, number, &resource.fields[index].name),
                    ));
                }
            }
        }
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(field_count);
        let mut row_ok = true;
        for (index, field) in resource.fields.iter().enumerate() {
            let text = texts[index];
            if !thousands_warned[index] && super::schema::looks_like_thousands(field, text) {
                thousands_warned[index] = true;
                scan.warnings.push(
                    Diagnostic::warning(
                        Some(Location::file(&resource.shown)),
                        format!(
                            "resource `{name}`, field `{}`: value `{text}` is read as {}; if it is {} (Indonesian thousands), declare \"groupChar\": \".\" and \"decimalChar\": \",\"",
                            field.name,
                            text.trim(),
                            text.trim().replace('.', "")
                        ),
                    )
                    .with_hint("without groupChar a dot is a decimal point"),
                );
            }
            let cell = match field
                .read(text)
                .and_then(|cell| field.check(&cell, text).map(|()| cell))
            {
                Ok(cell) => cell,
                Err(broken) => {
                    row_ok = false;
                    scan.problem(
                        offset,
                        Diagnostic::error(
                            here(),
                            format!(
                                "resource `{name}`, record {number}, field `{}`: value `{}` {} (rule: {})",
                                field.name,
                                shown_value(text),
                                broken.message,
                                broken.rule
                            ),
                        )
                        .with_hint("correct the value in the file, or the field's schema in datapackage.json"),
                    );
                    Cell::Missing
                }
            };
            if let Some(seen) = &mut unique[index]
                && !cell.is_missing()
                && !seen.insert(cell.canonical())
            {
                row_ok = false;
                scan.problem(offset, Diagnostic::error(
                    here(),
                    format!(
                        "resource `{name}`, record {number}, field `{}`: value `{}` appears more than once (rule: unique)",
                        field.name,
                        shown_value(text)
                    ),
                ));
            }
            cells.push(cell);
        }
        let key_of = |indices: &[usize]| -> Vec<String> {
            indices.iter().map(|&i| cells[i].canonical()).collect()
        };
        if !primary.is_empty() {
            let key = key_of(&primary);
            if !primary_seen.insert(key.clone()) {
                row_ok = false;
                scan.problem(offset, Diagnostic::error(
                    here(),
                    format!(
                        "resource `{name}`, record {number}: primary key ({}) = ({}) appears more than once (rule: primaryKey)",
                        resource.primary_key.join(", "),
                        key.join(", ")
                    ),
                ));
            }
        }
        for (indices, set, target) in &foreign {
            let key = key_of(indices);
            if key.iter().all(String::is_empty) {
                continue;
            }
            if !set.contains(&key) {
                row_ok = false;
                scan.problem(
                    offset,
                    Diagnostic::error(
                        here(),
                        format!(
                            "resource `{name}`, record {number}: value ({}) is not in {target} (rule: foreignKey)",
                            key.join(", ")
                        ),
                    )
                    .with_hint(format!("add it to {target}, or correct the value")),
                );
            }
        }
        for (from, to) in &self_references {
            self_keys.entry(to.clone()).or_default().insert(key_of(to));
            let key = key_of(from);
            if !key.iter().all(String::is_empty) {
                pending_self.push((key, number, offset));
            }
        }
        for (fields, indices) in &wanted {
            scan.keys
                .entry(fields.clone())
                .or_default()
                .insert(key_of(indices));
        }
        scan.rows += 1;
        if row_ok {
            visit(&Row {
                cells: &cells,
                record: number,
                offset,
            });
        }
    }
    // A row may refer to a row further down its own table.
    for (from, to) in &self_references {
        let _ = from;
        if let Some(set) = self_keys.get(to) {
            for (key, number, offset) in &pending_self {
                if !set.contains(key) {
                    scan.problem(*offset, Diagnostic::error(
                        here(),
                        format!("resource `{name}`, record {number}: value ({}) refers to no row of the same table (rule: foreignKey)", key.join(", ")),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A foreign key to check each row against: the row's field indices, the
/// key tuples present in the referenced resource, and its name for messages.
type ForeignCheck<'a> = (Vec<usize>, &'a HashSet<Vec<String>>, String);

/// Reads the next record; an error of the CSV syntax itself stops reading.
fn read_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    resource: &Resource,
) -> Result<bool, (u64, Diagnostic)> {
    reader.read_byte_record(record).map_err(|error| {
        let offset = error.position().map(|p| p.byte()).unwrap_or(0);
        (
            offset,
            Diagnostic::error(
                Some(Location::file(&resource.shown)),
                format!(
                    "resource `{}`: the CSV cannot be read: {error}",
                    resource.name
                ),
            )
            .with_hint("check quotes: a quote inside a value is written twice (\"\")"),
        )
    })
}

/// The longest value a cell may hold. Statistics group and count short
/// values; a longer one is a mistake (a document pasted into a cell), and
/// refusing it keeps every value small enough to hold many of in memory.
const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Values in messages are cut short and have their control characters
/// shown, so one bad cell cannot flood or garble the report.
fn shown_value(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if text.chars().count() > 80 {
        shown.push('…');
    }
    shown
}

/// Names the encoding a file that is not UTF-8 most likely is in.
fn not_utf8(resource: &Resource, record: u64, field: &str) -> Diagnostic {
    if is_binary(&resource.absolute) {
        return Diagnostic::error(
            Some(Location::file(&resource.shown)),
            format!(
                "resource `{}`: the file holds binary data (a NUL byte), not CSV text; is it a spreadsheet (.xlsx) or another file under a .csv name?",
                resource.name
            ),
        )
        .with_hint("open it in the spreadsheet program and save it as \"CSV UTF-8\"");
    }
    let guess = guess_encoding(&resource.absolute);
    let place = if record == 0 {
        "the header".to_string()
    } else {
        format!("record {record}, field `{field}`")
    };
    Diagnostic::error(
        Some(Location::file(&resource.shown)),
        format!(
            "resource `{}`, {place}: the file is not UTF-8 text; it looks like {guess}",
            resource.name
        ),
    )
    .with_hint(
        "save the file again as \"CSV UTF-8\" (in LibreOffice: Character set: Unicode (UTF-8))",
    )
}

/// A NUL byte in the first 8,000 bytes of a file without a UTF-16 mark:
/// binary, as git and grep decide.
fn is_binary(path: &std::path::Path) -> bool {
    let mut bytes = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let _ = file.take(8000).read_to_end(&mut bytes);
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    !utf16 && bytes.contains(&0)
}

pub fn guess_encoding(path: &std::path::Path) -> String {
    let mut bytes = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return "an unknown encoding".into();
    };
    let _ = file.take(1 << 16).read_to_end(&mut bytes);
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return "UTF-16 (a \"Unicode text\" export)".into();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    match encoding.name() {
        "windows-1252" => "Windows-1252 (Latin-1, a common Excel export)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The csv crate's own byte positions, turned into lines, must be right
    /// for both line endings.
    fn record_lines(bytes: &[u8]) -> Vec<usize> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, bytes).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&path)
            .unwrap();
        let mut record = csv::ByteRecord::new();
        let mut offsets = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            offsets.push(record.position().unwrap().byte());
        }
        let lines = lines_at(&path, &offsets);
        offsets.iter().map(|o| lines[o]).collect()
    }

    #[test]
    fn lines_are_right_for_crlf_and_lf() {
        assert_eq!(record_lines(b"a,b\r\nx,1\r\ny,2\r\n"), [1, 2, 3]);
        assert_eq!(
            record_lines(b"\xef\xbb\xbfa,b\r\nx,1\r\ny,2\r\n"),
            [1, 2, 3]
        );
        assert_eq!(record_lines(b"a,b\nx,1\ny,2\n"), [1, 2, 3]);
        assert_eq!(record_lines(b"a,b\nx,\"two\nlines\"\ny,2\n"), [1, 2, 4]);
    }
}
