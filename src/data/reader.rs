//! Streaming, typed reading of one CSV resource. One `ByteRecord` is reused
//! for the whole file (a large file: a few chunks of records, or blocks
//! of its text, at a time) and typed cells borrow from it, so memory does
//! not grow with the file; whatever needs the rows (validation,
//! statistics) sees them through a callback. The file's SHA-256 is
//! computed on the same read, so the hash in published metadata is of the
//! bytes that were used.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use sha2::{Digest, Sha256};

use super::identity::SettledRead;
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
    /// The file's identity when reading began, when its times will tell a
    /// later change (see [`crate::data::identity`]).
    pub settled: Option<SettledRead>,
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
    let began = std::time::SystemTime::now();
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
    scan.settled = SettledRead::of_open(&file, began);
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

/// A CSV reader over `source` in the resource's dialect. Records are read
/// without headers: the header row is checked apart ([`read_header`]).
fn csv_reader<R: Read>(resource: &Resource, source: R) -> csv::Reader<R> {
    let dialect = &resource.dialect;
    csv::ReaderBuilder::new()
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
        .from_reader(source)
}

fn read_rows(
    resource: &Resource,
    known: &KnownKeys,
    wanted_keys: &[Vec<String>],
    source: &mut Hashing<std::io::BufReader<std::fs::File>>,
    scan: &mut Scan,
    visit: &mut dyn FnMut(&Row<'_>),
) -> Result<(), (u64, Diagnostic)> {
    let mut reader = csv_reader(resource, source);
    let mut record = csv::ByteRecord::new();
    read_header(&mut reader, &mut record, resource)?;
    let checks = Checks::new(resource, known, wanted_keys);
    let mut found = Found::new(resource);
    // Problems found so far are kept when a later record stops reading.
    let mut stopped = Ok(());
    let mut number = 0u64;
    loop {
        match read_record(&mut reader, &mut record, resource) {
            Ok(true) => {}
            Ok(false) => break,
            Err(fatal) => {
                stopped = Err(fatal);
                break;
            }
        }
        if is_blank(&record, checks.field_count) {
            continue;
        }
        number += 1;
        let offset = record.position().map(|p| p.byte()).unwrap_or(0);
        // The record is read into again next time round: these borrow it.
        let mut values = RowValues::default();
        if let Err(fatal) = checks.record(&mut found, &record, &mut values, number, offset, visit) {
            stopped = Err(fatal);
            break;
        }
    }
    *scan = found.finish(&checks, stopped.is_ok());
    stopped
}

/// Checks the header row against the schema (when the dialect has one).
fn read_header<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    resource: &Resource,
) -> Result<(), (u64, Diagnostic)> {
    let dialect = &resource.dialect;
    let here = || Some(Location::file(&resource.shown));
    let name = &resource.name;
    if !dialect.header {
        return Ok(());
    }
    if !read_record(reader, record, resource)? {
        return Err((
            0,
            Diagnostic::error(
                Some(Location::file(&resource.shown)),
                format!("resource `{name}`: the file is empty; it needs at least the header row"),
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
    if record.iter().any(|h| std::str::from_utf8(h).is_err()) || record.as_slice().contains(&0) {
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
    if headers == expected {
        return Ok(());
    }
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
    Err((
        offset,
        Diagnostic::error(here(), format!("resource `{name}`: {what}")).with_hint(hint),
    ))
}

/// A blank line: read as one empty value, and not a record.
fn is_blank(record: &csv::ByteRecord, field_count: usize) -> bool {
    record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) && field_count > 1
}

/// What checking records needs that stays the same from record to record.
struct Checks<'a> {
    resource: &'a Resource,
    field_count: usize,
    /// Each field's constraints, read once.
    rules: Vec<super::schema::ValueRules<'a>>,
    primary: Vec<usize>,
    foreign: Vec<ForeignCheck<'a>>,
    /// Foreign keys into the same table: (the row's fields, the fields
    /// they refer to).
    self_references: Vec<(Vec<usize>, Vec<usize>)>,
    /// Field lists whose value tuples other resources refer to, with the
    /// fields' indices.
    wanted: Vec<(Vec<String>, Vec<usize>)>,
}

/// What checking records has found so far. A file read in parallel
/// ([`scan_in_parallel`]) has one for each chunk, appended in file order.
struct Found {
    scan: Scan,
    /// Values seen, for the fields that must be unique.
    unique: Vec<Option<HashSet<String>>>,
    primary_seen: HashSet<Vec<String>>,
    self_keys: HashMap<Vec<usize>, HashSet<Vec<String>>>,
    /// Self-references to check once the whole table is read: (key,
    /// record number, offset).
    pending_self: Vec<(Vec<String>, u64, u64)>,
    /// The fields warned about looking like Indonesian thousands (once
    /// each), with the warning.
    thousands: Vec<(usize, Diagnostic)>,
}

impl<'a> Checks<'a> {
    fn new(resource: &'a Resource, known: &'a KnownKeys, wanted_keys: &[Vec<String>]) -> Self {
        let indices = |fields: &[String]| -> Vec<usize> {
            fields
                .iter()
                .filter_map(|f| resource.field_index(f))
                .collect()
        };
        Checks {
            resource,
            field_count: resource.fields.len(),
            rules: resource
                .fields
                .iter()
                .map(super::schema::ValueRules::new)
                .collect(),
            primary: indices(&resource.primary_key),
            foreign: resource
                .foreign_keys
                .iter()
                .filter(|k| !k.resource.is_empty())
                .filter_map(|k| {
                    let set = known.get(&(k.resource.clone(), k.reference_fields.clone()))?;
                    Some((
                        indices(&k.fields),
                        set,
                        format!("{}.{}", k.resource, k.reference_fields.join("+")),
                    ))
                })
                .collect(),
            self_references: resource
                .foreign_keys
                .iter()
                .filter(|k| k.resource.is_empty())
                .map(|k| (indices(&k.fields), indices(&k.reference_fields)))
                .collect(),
            wanted: wanted_keys
                .iter()
                .map(|fields| (fields.clone(), indices(fields)))
                .collect(),
        }
    }

    /// Checks one record (numbered `number`, at byte `offset`) and hands it
    /// to `visit` when it is sound; `values` is filled with its texts and
    /// typed cells (kept across the records of a chunk, so that a record
    /// costs no allocation). An error means reading must stop (the file is
    /// not UTF-8).
    fn record<'r>(
        &self,
        found: &mut Found,
        record: &'r csv::ByteRecord,
        values: &mut RowValues<'r>,
        number: u64,
        offset: u64,
        visit: &mut dyn FnMut(&Row<'_>),
    ) -> Result<(), (u64, Diagnostic)> {
        let resource = self.resource;
        let name = &resource.name;
        let here = || Some(Location::file(&resource.shown));
        let field_count = self.field_count;
        let scan = &mut found.scan;
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
            return Ok(());
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
            return Ok(());
        }
        record_texts(record, &mut values.texts).map_err(|index| {
            (
                offset,
                not_utf8(resource, number, &resource.fields[index].name),
            )
        })?;
        self.values(found, values, number, offset, visit);
        Ok(())
    }

    /// Checks a record's values, cut out as text into `values.texts`, one
    /// for each field (as [`Checks::record`] does, and
    /// [`check_text_block`]), and hands the row to `visit` when it is
    /// sound.
    fn values<'r>(
        &self,
        found: &mut Found,
        values: &mut RowValues<'r>,
        number: u64,
        offset: u64,
        visit: &mut dyn FnMut(&Row<'_>),
    ) {
        let resource = self.resource;
        let name = &resource.name;
        let here = || Some(Location::file(&resource.shown));
        let scan = &mut found.scan;
        let RowValues { texts, cells } = values;
        cells.clear();
        let mut row_ok = true;
        for (index, (field, rules)) in resource.fields.iter().zip(&self.rules).enumerate() {
            let text = texts[index];
            if super::schema::looks_like_thousands(field, text)
                && !found.thousands.iter().any(|(warned, _)| *warned == index)
            {
                found.thousands.push((
                    index,
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
                ));
            }
            // The common case first, written straight into `cells` (see
            // `Field::read_common`): a value of a field without rules
            // to check.
            // A missing value of a required field goes on, to be reported
            // with the other broken rules.
            if rules.passes_unchecked() && found.unique[index].is_none() {
                let required = field.constraints.required;
                let mut passed = false;
                field.read_common(text, |cell| {
                    if !(required && cell.is_missing()) {
                        cells.push(cell);
                        passed = true;
                    }
                });
                if passed {
                    continue;
                }
            }
            let cell = match field
                .read(text)
                .and_then(|cell| rules.check(&cell, text).map(|()| cell))
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
            if let Some(seen) = &mut found.unique[index]
                && !cell.is_missing()
                && !seen.insert(cell.canonical())
            {
                row_ok = false;
                scan.problem(offset, duplicate_value(resource, number, index, text));
            }
            cells.push(cell);
        }
        let key_of = |indices: &[usize]| -> Vec<String> {
            indices.iter().map(|&i| cells[i].canonical()).collect()
        };
        if !self.primary.is_empty() {
            let key = key_of(&self.primary);
            if found.primary_seen.contains(&key) {
                row_ok = false;
                scan.problem(offset, duplicate_key(resource, number, &key));
            } else {
                found.primary_seen.insert(key);
            }
        }
        for (indices, set, target) in &self.foreign {
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
        for (from, to) in &self.self_references {
            found
                .self_keys
                .entry(to.clone())
                .or_default()
                .insert(key_of(to));
            let key = key_of(from);
            if !key.iter().all(String::is_empty) {
                found.pending_self.push((key, number, offset));
            }
        }
        for (fields, indices) in &self.wanted {
            scan.keys
                .entry(fields.clone())
                .or_default()
                .insert(key_of(indices));
        }
        scan.rows += 1;
        if row_ok {
            visit(&Row {
                cells,
                record: number,
                offset,
            });
        }
    }
}

/// The record's values as text, or the index of the first value that is
/// not UTF-8. The record is checked as a whole, in one pass: a call per
/// value costs more than the check itself on short values, and this runs
/// on every record. A value is then cut out at its boundaries, which
/// `str::get` checks fall between characters (a character split across
/// two values is caught there, value by value).
fn record_texts<'r>(record: &'r csv::ByteRecord, texts: &mut Vec<&'r str>) -> Result<(), usize> {
    let whole = std::str::from_utf8(record.as_slice()).ok();
    texts.clear();
    for (index, bytes) in record.iter().enumerate() {
        let text = whole
            .and_then(|whole| whole.get(record.range(index)?))
            .or_else(|| std::str::from_utf8(bytes).ok())
            .ok_or(index)?;
        texts.push(text);
    }
    Ok(())
}

/// One record's values as text and as typed cells, both borrowing the
/// record.
#[derive(Default)]
struct RowValues<'r> {
    texts: Vec<&'r str>,
    cells: Vec<Cell<'r>>,
}

fn duplicate_value(resource: &Resource, number: u64, index: usize, text: &str) -> Diagnostic {
    Diagnostic::error(
        Some(Location::file(&resource.shown)),
        format!(
            "resource `{}`, record {number}, field `{}`: value `{}` appears more than once (rule: unique)",
            resource.name,
            resource.fields[index].name,
            shown_value(text)
        ),
    )
}

fn duplicate_key(resource: &Resource, number: u64, key: &[String]) -> Diagnostic {
    Diagnostic::error(
        Some(Location::file(&resource.shown)),
        format!(
            "resource `{}`, record {number}: primary key ({}) = ({}) appears more than once (rule: primaryKey)",
            resource.name,
            resource.primary_key.join(", "),
            key.join(", ")
        ),
    )
}

impl Found {
    fn new(resource: &Resource) -> Self {
        Found {
            scan: Scan::default(),
            unique: resource
                .fields
                .iter()
                .map(|f| f.constraints.unique.then(HashSet::new))
                .collect(),
            primary_seen: HashSet::new(),
            self_keys: HashMap::new(),
            pending_self: Vec::new(),
            thousands: Vec::new(),
        }
    }

    /// Whether checking found nothing to report: a chunk read in parallel
    /// that found something is read again in order, so that the report is
    /// exactly the one reading in order gives.
    fn is_clean(&self) -> bool {
        self.scan.problem_count == 0
    }

    /// Adds what checking the records after this one's found. Says false
    /// when together they break a rule neither broke alone (a value that
    /// must be unique appears in both): reading again in order reports it
    /// at the right record.
    fn append(&mut self, later: Found) -> bool {
        let mut clean = true;
        for (mine, theirs) in self.unique.iter_mut().zip(later.unique) {
            if let (Some(mine), Some(theirs)) = (mine, theirs) {
                for value in theirs {
                    clean &= mine.insert(value);
                }
            }
        }
        for key in later.primary_seen {
            clean &= self.primary_seen.insert(key);
        }
        for (to, keys) in later.self_keys {
            self.self_keys.entry(to).or_default().extend(keys);
        }
        self.pending_self.extend(later.pending_self);
        for (index, warning) in later.thousands {
            if !self.thousands.iter().any(|(warned, _)| *warned == index) {
                self.thousands.push((index, warning));
            }
        }
        self.scan.rows += later.scan.rows;
        for (fields, keys) in later.scan.keys {
            self.scan.keys.entry(fields).or_default().extend(keys);
        }
        clean
    }

    /// Checks what needs the whole table (rows referring to rows further
    /// down), unless reading stopped before the end, and gives all that was
    /// found.
    fn finish(mut self, checks: &Checks<'_>, complete: bool) -> Scan {
        let resource = checks.resource;
        for (_, to) in checks.self_references.iter().filter(|_| complete) {
            if let Some(set) = self.self_keys.get(to) {
                for (key, number, offset) in &self.pending_self {
                    if !set.contains(key) {
                        self.scan.problem(*offset, Diagnostic::error(
                            Some(Location::file(&resource.shown)),
                            format!("resource `{}`, record {number}: value ({}) refers to no row of the same table (rule: foreignKey)", resource.name, key.join(", ")),
                        ));
                    }
                }
            }
        }
        self.scan
            .warnings
            .extend(self.thousands.into_iter().map(|(_, warning)| warning));
        self.scan
    }
}

/// A foreign key to check each row against: the row's field indices, the
/// key tuples present in the referenced resource, and its name for messages.
type ForeignCheck<'a> = (Vec<usize>, &'a HashSet<Vec<String>>, String);

/// What sees the sound rows of a resource read by [`scan_with`]: each
/// chunk of the file gets its own, and they are appended in file order.
pub trait RowSink: Send {
    fn row(&mut self, row: &Row<'_>);
    /// Adds what `later`, which saw the rows after this one's, saw.
    fn append(&mut self, later: Self);
}

/// Files smaller than this are read on one thread: splitting them costs
/// more than it saves.
const PARALLEL_FROM_BYTES: u64 = 4 << 20;

/// Records in one chunk of a file read in parallel.
const CHUNK_RECORDS: usize = 8192;

/// At most this many bytes of values in one chunk.
const CHUNK_BYTES: usize = 1 << 20;

/// How many chunks may wait to be checked or appended at once: enough to
/// keep every core busy, few enough that memory stays flat.
const CHUNKS_IN_FLIGHT: usize = 8;

/// [`scan`], on every core for a large file: one thread reads the file and
/// hashes its bytes, in order, and cuts it into chunks of whole records;
/// the records are checked and handed to sinks (from `new_sink`) on the
/// other cores, and the chunks' findings and sinks are appended in file
/// order. Should a chunk find anything to report, the file is read again
/// in order, so that every report is exactly the one reading in order
/// gives (it lists the first problems of the file, each with its record).
///
/// While the file has no quote character, the chunks are blocks of its
/// text ([`TextBlocks`]); from the first block that has one on, the csv
/// crate reads the records on the reading thread ([`fill_chunk`]).
pub fn scan_with<S: RowSink>(
    resource: &Resource,
    known: &KnownKeys,
    wanted_keys: &[Vec<String>],
    new_sink: &(dyn Fn() -> S + Sync),
) -> (Scan, S) {
    let settings = parallel_settings();
    let size = std::fs::metadata(&resource.absolute)
        .map(|m| m.len())
        .unwrap_or(0);
    if size >= settings.from_bytes
        && let Some(done) = scan_in_parallel(resource, known, wanted_keys, new_sink, &settings)
    {
        return done;
    }
    let mut sink = new_sink();
    let scan = scan(resource, known, wanted_keys, &mut |row| sink.row(row));
    (scan, sink)
}

/// How a file is read in parallel: [`PARALLEL_FROM_BYTES`],
/// [`CHUNK_RECORDS`] and [`BLOCK_BYTES`].
struct ParallelSettings {
    from_bytes: u64,
    chunk_records: usize,
    block_bytes: usize,
}

/// [`ParallelSettings`]; in debug builds the tests set smaller ones
/// (`KACA_TEST_PARALLEL_FROM_BYTES`, `KACA_TEST_CHUNK_RECORDS`,
/// `KACA_TEST_BLOCK_BYTES`) to read small fixtures in many chunks.
fn parallel_settings() -> ParallelSettings {
    let from_environment = |variable: &str| {
        cfg!(debug_assertions)
            .then(|| std::env::var(variable).ok()?.parse::<u64>().ok())
            .flatten()
    };
    let positive = |variable: &str| {
        from_environment(variable)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
    };
    ParallelSettings {
        from_bytes: from_environment("KACA_TEST_PARALLEL_FROM_BYTES")
            .unwrap_or(PARALLEL_FROM_BYTES),
        chunk_records: positive("KACA_TEST_CHUNK_RECORDS").unwrap_or(CHUNK_RECORDS),
        block_bytes: positive("KACA_TEST_BLOCK_BYTES").unwrap_or(BLOCK_BYTES),
    }
}

/// Bytes of the file in one block read as text ([`TextBlocks`]); a block
/// grows past this only to hold a record longer than it.
const BLOCK_BYTES: usize = 1 << 20;

/// A block stops growing at this size: a "record" this long is no CSV
/// kaca reads as text, and the csv crate reads it (and reports it) instead.
const MAX_BLOCK_BYTES: usize = 64 << 20;

/// A chunk of records to check together.
enum Chunk {
    /// Read by the csv crate.
    Records(Records),
    Text(TextBlock),
}

/// Records read in order by the csv crate, to be checked together: the
/// records, and each one's number and byte offset.
#[derive(Default)]
struct Records {
    records: Vec<csv::ByteRecord>,
    places: Vec<(u64, u64)>,
}

/// Whole records of the file as they are written, without a quote
/// character among them.
struct TextBlock {
    /// The block is `bytes[..len]` (the rest is room kept for reuse).
    bytes: Vec<u8>,
    len: usize,
    /// Offset in the file of the block's first byte.
    start: u64,
    /// How many records come before the block's first.
    records_before: u64,
}

/// What checking a chunk gave.
struct Checked<S> {
    found: Found,
    sink: S,
    /// Reading had to stop in this chunk (a value that is not UTF-8), or a
    /// text block holds what only reading in order reports.
    stopped: bool,
}

/// Where the reading thread of [`scan_in_parallel`] is.
enum Reading<'s, R: Read> {
    Text(TextBlocks<'s, R>),
    /// From `base` in the file on, the csv crate reads the records.
    Csv {
        reader: csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, &'s mut R>>,
        base: u64,
    },
    /// Between the two.
    Switching,
}

/// The parallel reading of [`scan_with`]; None when the file must be read
/// again in order (it has something to report, or cannot be opened).
fn scan_in_parallel<S: RowSink>(
    resource: &Resource,
    known: &KnownKeys,
    wanted_keys: &[Vec<String>],
    new_sink: &(dyn Fn() -> S + Sync),
    settings: &ParallelSettings,
) -> Option<(Scan, S)> {
    let began = std::time::SystemTime::now();
    let file = std::fs::File::open(&resource.absolute).ok()?;
    let settled = SettledRead::of_open(&file, began);
    let mut source = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 16, file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let checks = Checks::new(resource, known, wanted_keys);
    let mut merged: Option<(Found, S)> = None;
    let clean = {
        let mut reading = start_reading(resource, &mut source, settings.block_bytes)?;
        let (done_sender, done) = std::sync::mpsc::channel::<(usize, Option<Checked<S>>, Chunk)>();
        let checks = &checks;
        rayon::in_place_scope(|scope| {
            let mut spare_records: Vec<Records> = Vec::new();
            let mut spare_text: Vec<Vec<u8>> = Vec::new();
            let mut waiting: std::collections::BTreeMap<usize, Option<Checked<S>>> =
                Default::default();
            let (mut sent, mut appended) = (0usize, 0usize);
            let mut number = 0u64;
            let mut clean = true;
            let mut more = true;
            while (more && clean) || appended < sent {
                if more && clean && sent - appended < CHUNKS_IN_FLIGHT {
                    let next = match &mut reading {
                        Reading::Text(blocks) => {
                            match blocks.next_block(&mut number, spare_text.pop()) {
                                Ok(Cut::Block(block)) => Some(Chunk::Text(block)),
                                Ok(Cut::End) => {
                                    more = false;
                                    None
                                }
                                Ok(Cut::ToCsv) => {
                                    let Reading::Text(blocks) =
                                        std::mem::replace(&mut reading, Reading::Switching)
                                    else {
                                        unreachable!("matched as text just before")
                                    };
                                    match blocks.into_csv(resource) {
                                        Some(csv) => reading = csv,
                                        // Read again in order.
                                        None => {
                                            clean = false;
                                            more = false;
                                        }
                                    }
                                    None
                                }
                                Err(_) => {
                                    clean = false;
                                    more = false;
                                    None
                                }
                            }
                        }
                        Reading::Csv { reader, base } => {
                            let mut records = spare_records.pop().unwrap_or_default();
                            let filled = fill_chunk(
                                reader,
                                &mut records,
                                settings.chunk_records,
                                checks.field_count,
                                *base,
                                &mut number,
                            );
                            match filled {
                                Ok(Filled::Full) => {}
                                Ok(Filled::End) => more = false,
                                // A CSV syntax error: reported by reading in order.
                                Err(()) => {
                                    clean = false;
                                    more = false;
                                }
                            }
                            if records.places.is_empty() || !clean {
                                spare_records.push(records);
                                None
                            } else {
                                Some(Chunk::Records(records))
                            }
                        }
                        Reading::Switching => unreachable!("reading switches in one step"),
                    };
                    let Some(chunk) = next else { continue };
                    let index = sent;
                    sent += 1;
                    let done_sender = done_sender.clone();
                    scope.spawn(move |_| {
                        // A panic must come back as a message: the reading
                        // thread waits for every chunk. (Read again in
                        // order, the file panics where it can propagate.)
                        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                            || match &chunk {
                                Chunk::Records(records) => {
                                    check_records(checks, records, new_sink())
                                }
                                Chunk::Text(block) => check_text_block(checks, block, new_sink()),
                            },
                        ))
                        .ok();
                        // The receiver lives until every chunk is back.
                        let _ = done_sender.send((index, checked, chunk));
                    });
                    continue;
                }
                let Ok((index, checked, chunk)) = next_checked(&done) else {
                    break;
                };
                match chunk {
                    Chunk::Records(records) => spare_records.push(records),
                    Chunk::Text(block) => spare_text.push(block.bytes),
                }
                waiting.insert(index, checked);
                while let Some(checked) = waiting.remove(&appended) {
                    appended += 1;
                    let Some(checked) = checked else {
                        clean = false;
                        continue;
                    };
                    clean &= checked.found.is_clean() && !checked.stopped;
                    if !clean {
                        continue;
                    }
                    match &mut merged {
                        None => merged = Some((checked.found, checked.sink)),
                        Some((found, sink)) => {
                            clean &= found.append(checked.found);
                            sink.append(checked.sink);
                        }
                    }
                }
            }
            clean
        })
    };
    if !clean {
        return None;
    }
    // The rest of the file (nothing, unless reading stopped early).
    let _ = std::io::copy(&mut source, &mut std::io::sink());
    let (found, sink) = merged.unwrap_or_else(|| (Found::new(resource), new_sink()));
    let mut scan = found.finish(&checks, true);
    if scan.problem_count > 0 {
        // Rows referring to rows of the same table that are not there.
        return None;
    }
    scan.bytes = source.bytes;
    scan.sha256 = crate::render::hex(&source.hasher.finalize());
    scan.settled = settled;
    Some((scan, sink))
}

/// Waits for a chunk to be checked. On one of rayon's threads it helps
/// with the pool's work meanwhile: blocking there could leave a chunk
/// waiting for the very thread that waits for it.
fn next_checked<T>(done: &std::sync::mpsc::Receiver<T>) -> Result<T, std::sync::mpsc::RecvError> {
    loop {
        match done.try_recv() {
            Ok(message) => return Ok(message),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                return Err(std::sync::mpsc::RecvError);
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
        }
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            // Every job is running elsewhere, or this thread is not rayon's.
            Some(rayon::Yield::Idle) | None => return done.recv(),
        }
    }
}

/// Reads and checks the header (when the dialect has one) and says how
/// the records after it are read. None: the header has something to
/// report, or the file cannot be read.
fn start_reading<'s, R: Read>(
    resource: &Resource,
    source: &'s mut R,
    block_bytes: usize,
) -> Option<Reading<'s, R>> {
    let mut blocks = TextBlocks::new(source, &resource.dialect, block_bytes);
    // Enough of the file for the header's line, and a byte after its end
    // (what follows a `\r` tells whether the header is whole).
    let mut want = block_bytes;
    loop {
        blocks.fill(want).ok()?;
        let unread = blocks.unread();
        let before_last = &unread[..unread.len().saturating_sub(1)];
        let has_line_end = memchr::memchr2(b'\n', b'\r', before_last).is_some();
        if has_line_end || blocks.ended || want >= MAX_BLOCK_BYTES {
            break;
        }
        want = want.saturating_mul(2);
    }
    let mut header = csv::ByteRecord::new();
    let (header_read, header_end) = {
        let mut reader = csv_reader(resource, blocks.unread());
        let read = read_header(&mut reader, &mut header, resource);
        (
            read.is_ok(),
            usize::try_from(reader.position().byte()).ok()?,
        )
    };
    // The header's line end is in the bytes read, or the file ends there:
    // the header is whole. Otherwise (its first line-end byte is the last
    // byte read, or a quoted line end is in it), the csv crate reads the
    // file from the start.
    let whole = header_end < blocks.unread().len() || blocks.ended;
    if whole && !header_read {
        return None;
    }
    // The csv crate's first read drops a byte-order mark; without a header
    // that read is of the first record, which must not keep it either.
    let mark_before_records =
        !resource.dialect.header && blocks.unread().starts_with(b"\xef\xbb\xbf");
    if whole && blocks.reads_as_text() && !mark_before_records {
        blocks.consume(header_end);
        return Some(Reading::Text(blocks));
    }
    // Nothing consumed yet: the csv crate reads from the file's start.
    let mut reading = blocks.into_csv(resource)?;
    if let Reading::Csv { reader, .. } = &mut reading {
        read_header(reader, &mut header, resource).ok()?;
    }
    Some(reading)
}

/// The reading thread's side of reading a file as text: the file is cut
/// into blocks of whole records, and each block is checked on any core as
/// one string (one UTF-8 check for the block; values are cut out where
/// the delimiter is). Without a quote character, CSV is only delimiters
/// and line ends, and this reads it exactly as the csv crate does (its
/// `Terminator::CRLF`: `\r`, `\n` and `\r\n` each end a record, and empty
/// lines are no records); with one, or a comment character, or initial
/// spaces to skip, the csv crate reads from there on. Written here
/// because the csv crate copies every record's values into a
/// `ByteRecord`, a byte at a time through its state machine, which was a
/// fifth of the time of a large data page; found with memchr, values are
/// cut out of the text where they are.
struct TextBlocks<'s, R> {
    source: &'s mut R,
    /// Bytes read and not yet handed out are `buffer[..filled]`; they
    /// begin at a record, at `start` in the file.
    buffer: Vec<u8>,
    filled: usize,
    start: u64,
    /// The source has no more bytes.
    ended: bool,
    block_bytes: usize,
    quote: u8,
    comment: Option<u8>,
    /// The dialect allows reading as text at all.
    plain_dialect: bool,
}

/// What the reading thread cut from the file next.
enum Cut {
    Block(TextBlock),
    End,
    /// The bytes from here on hold a quote (or comment) character, or a
    /// line longer than [`MAX_BLOCK_BYTES`]: the csv crate must read them.
    ToCsv,
}

impl<'s, R: Read> TextBlocks<'s, R> {
    fn new(source: &'s mut R, dialect: &super::package::Dialect, block_bytes: usize) -> Self {
        let is_line_end = |byte: u8| matches!(byte, b'\r' | b'\n');
        TextBlocks {
            source,
            buffer: Vec::new(),
            filled: 0,
            start: 0,
            ended: false,
            // Blocks grow by doubling.
            block_bytes: block_bytes.max(1),
            quote: dialect.quote,
            comment: dialect.comment,
            // An ASCII delimiter falls between characters, so values cut
            // at it are text (the package reader takes only ASCII ones;
            // checked again because the cutting relies on it); trimming
            // is the csv crate's to do.
            plain_dialect: dialect.delimiter.is_ascii()
                && !is_line_end(dialect.delimiter)
                && !is_line_end(dialect.quote)
                && dialect.quote != dialect.delimiter
                && !dialect.skip_initial_space,
        }
    }

    fn unread(&self) -> &[u8] {
        &self.buffer[..self.filled]
    }

    /// Reads until `want` bytes are unread, or the source ends.
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        if self.buffer.len() < want {
            self.buffer.resize(want, 0);
        }
        while self.filled < want && !self.ended {
            match self.source.read(&mut self.buffer[self.filled..want]) {
                Ok(0) => self.ended = true,
                Ok(n) => self.filled += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Drops the first `n` unread bytes (the header).
    fn consume(&mut self, n: usize) {
        self.buffer.copy_within(n..self.filled, 0);
        self.filled -= n;
        self.start += n as u64;
    }

    /// Whether the unread bytes can be read as text.
    fn reads_as_text(&self) -> bool {
        let unread = self.unread();
        self.plain_dialect
            && memchr::memchr(self.quote, unread).is_none()
            && self
                .comment
                .is_none_or(|comment| memchr::memchr(comment, unread).is_none())
    }

    /// The next block of whole records, numbered after `number` (which
    /// it moves on); `spare` is an old block's buffer to reuse.
    fn next_block(&mut self, number: &mut u64, spare: Option<Vec<u8>>) -> std::io::Result<Cut> {
        let mut want = self.block_bytes.max(self.filled);
        let cut = loop {
            self.fill(want)?;
            if self.filled == 0 {
                return Ok(Cut::End);
            }
            if !self.reads_as_text() {
                return Ok(Cut::ToCsv);
            }
            if self.ended {
                break self.filled;
            }
            match last_record_end(self.unread()) {
                Some(cut) => break cut,
                // Not one whole record yet.
                None if want < MAX_BLOCK_BYTES => want = want.saturating_mul(2),
                None => return Ok(Cut::ToCsv),
            }
        };
        // The bytes after the cut begin the next block, in a buffer of its
        // own (the spare one, whose bytes are already initialised).
        let mut next = spare.unwrap_or_default();
        let rest = self.filled - cut;
        if next.len() < rest.max(self.block_bytes) {
            next.resize(rest.max(self.block_bytes), 0);
        }
        next[..rest].copy_from_slice(&self.buffer[cut..self.filled]);
        let bytes = std::mem::replace(&mut self.buffer, next);
        self.filled = rest;
        let start = self.start;
        self.start += cut as u64;
        let records = count_records(&bytes[..cut]);
        if records == 0 {
            // Only line ends, the file's last bytes (a block cut before the
            // end holds the record its cut follows).
            return Ok(Cut::End);
        }
        let records_before = *number;
        *number += records;
        Ok(Cut::Block(TextBlock {
            bytes,
            len: cut,
            start,
            records_before,
        }))
    }

    /// The csv crate reads the rest of the file, from the first unread
    /// byte (a record's start) on. None: it would not read it as reading
    /// the file in order does. A new csv reader drops a byte-order mark its
    /// first read begins with; in the middle of the file reading in order
    /// keeps it (and a reader may even see only part of the mark first).
    fn into_csv(self, resource: &Resource) -> Option<Reading<'s, R>> {
        let mut unread = self.buffer;
        unread.truncate(self.filled);
        if self.start > 0 && unread.first() == Some(&0xef) {
            return None;
        }
        Some(Reading::Csv {
            reader: csv_reader(resource, std::io::Cursor::new(unread).chain(self.source)),
            base: self.start,
        })
    }
}

/// Where the last record that ends in `bytes` ends: just after the first
/// of the line-end bytes that follow it, the csv crate's place for the
/// record after it (empty lines between do not move it). None: `bytes`
/// hold no line end after a byte that is not one (line ends at their
/// start belong to the record before them, already cut).
fn last_record_end(bytes: &[u8]) -> Option<usize> {
    let last = memchr::memrchr2(b'\n', b'\r', bytes)?;
    let before = bytes[..last]
        .iter()
        .rposition(|&byte| byte != b'\n' && byte != b'\r')?;
    Some(before + 2)
}

/// The records in `bytes` (whole lines without a quote character): its
/// stretches between line-end bytes that are not empty. Counted on the
/// reading thread, apart from [`check_text_block`]'s cutting, because a
/// block's rows need their numbers before any block after it is checked.
fn count_records(bytes: &[u8]) -> u64 {
    let mut records = 0;
    let mut line_start = 0;
    for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        records += u64::from(at > line_start);
        line_start = at + 1;
    }
    records + u64::from(line_start < bytes.len())
}

/// Checks the records of a text block (see [`TextBlocks`]) as
/// [`check_records`] checks those the csv crate read. A block that is not
/// UTF-8, or has a record of the wrong length or with a value too long,
/// stops: reading in order reports it.
fn check_text_block<S: RowSink>(checks: &Checks<'_>, block: &TextBlock, mut sink: S) -> Checked<S> {
    let mut found = Found::new(checks.resource);
    let Ok(text) = std::str::from_utf8(&block.bytes[..block.len]) else {
        return Checked {
            found,
            sink,
            stopped: true,
        };
    };
    let bytes = text.as_bytes();
    let delimiter = checks.resource.dialect.delimiter;
    let mut values = RowValues::default();
    let mut number = block.records_before;
    // Where the record being read began, as the csv crate places it: just
    // after the first line-end byte of the record before.
    let mut record_start = 0usize;
    let mut value_start = 0usize;
    let mut visit = |row: &Row<'_>| sink.row(row);
    // No value is longer than its block: most blocks need no length check.
    let may_hold_long_values = block.len > MAX_VALUE_BYTES;
    let mut record_done = |values: &mut RowValues<'_>, number: u64, record_start: usize| {
        let sound = values.texts.len() == checks.field_count
            && (!may_hold_long_values
                || values
                    .texts
                    .iter()
                    .all(|text| text.len() <= MAX_VALUE_BYTES));
        if sound {
            let offset = block.start + record_start as u64;
            checks.values(&mut found, values, number, offset, &mut visit);
        }
        values.texts.clear();
        sound
    };
    let mut stopped = false;
    for at in memchr::memchr3_iter(delimiter, b'\n', b'\r', bytes) {
        // Cut at an ASCII byte: always between characters.
        let value = &text[value_start..at];
        value_start = at + 1;
        if bytes[at] == delimiter {
            values.texts.push(value);
            continue;
        }
        if value.is_empty() && values.texts.is_empty() {
            // An empty line, or the second byte of `\r\n`.
            continue;
        }
        values.texts.push(value);
        number += 1;
        if !record_done(&mut values, number, record_start) {
            stopped = true;
            break;
        }
        record_start = at + 1;
    }
    // The file's last record, without a line end.
    if !stopped && (value_start < bytes.len() || !values.texts.is_empty()) {
        values.texts.push(&text[value_start..]);
        number += 1;
        stopped = !record_done(&mut values, number, record_start);
    }
    Checked {
        found,
        sink,
        stopped,
    }
}

enum Filled {
    Full,
    /// The file ended.
    End,
}

/// Reads up to `capacity` records into `chunk` (blank lines are not
/// records), numbering them after `number`; the reader began at `base` in
/// the file. Err: the CSV syntax is broken.
fn fill_chunk<R: Read>(
    reader: &mut csv::Reader<R>,
    chunk: &mut Records,
    capacity: usize,
    field_count: usize,
    base: u64,
    number: &mut u64,
) -> Result<Filled, ()> {
    chunk.places.clear();
    // Long rows make fewer records a chunk: the chunks in flight stay a
    // few megabytes whatever the rows hold.
    let mut bytes = 0usize;
    while chunk.places.len() < capacity && bytes < CHUNK_BYTES {
        if chunk.records.len() == chunk.places.len() {
            // A new record is made as large as the records so far: grown
            // from nothing, it would be copied some nine times while the
            // reader fills it.
            let read = chunk.places.len().max(1);
            chunk.records.push(csv::ByteRecord::with_capacity(
                (bytes / read).next_power_of_two().max(64),
                field_count,
            ));
        }
        let record = &mut chunk.records[chunk.places.len()];
        if !reader.read_byte_record(record).map_err(|_| ())? {
            return Ok(Filled::End);
        }
        if is_blank(record, field_count) {
            continue;
        }
        *number += 1;
        bytes += record.as_slice().len();
        let offset = base + record.position().map(|p| p.byte()).unwrap_or(0);
        chunk.places.push((*number, offset));
    }
    Ok(Filled::Full)
}

fn check_records<S: RowSink>(checks: &Checks<'_>, chunk: &Records, mut sink: S) -> Checked<S> {
    let mut found = Found::new(checks.resource);
    let mut stopped = false;
    let mut values = RowValues::default();
    for (record, &(number, offset)) in chunk.records.iter().zip(&chunk.places) {
        if checks
            .record(
                &mut found,
                record,
                &mut values,
                number,
                offset,
                &mut |row| sink.row(row),
            )
            .is_err()
        {
            stopped = true;
            break;
        }
    }
    Checked {
        found,
        sink,
        stopped,
    }
}

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

    /// Checked as a whole, a record still names the value that is not
    /// UTF-8, including a character cut in two by a delimiter (the two
    /// halves make valid text only when the values are joined).
    #[test]
    fn record_texts_name_the_value_that_is_not_utf8() {
        let record = |values: &[&[u8]]| csv::ByteRecord::from(values.to_vec());
        // The same buffer for every record, as a chunk is read: what an
        // earlier record left in it must not show.
        let texts_of = |record: &csv::ByteRecord| {
            let mut texts = vec!["left from the record before"; 5];
            record_texts(record, &mut texts).map(|()| texts.join("|"))
        };
        assert_eq!(
            texts_of(&record(&[
                b"Balikpapan",
                "Gunung Samarinda \u{e9}".as_bytes(),
                b""
            ])),
            Ok("Balikpapan|Gunung Samarinda \u{e9}|".to_string())
        );
        assert_eq!(texts_of(&record(&[b"a", &[b'b', 0xff], b"c"])), Err(1));
        assert_eq!(texts_of(&record(&[b"a", b"b", &[0xc3]])), Err(2));
        assert_eq!(texts_of(&record(&[&[b'x', 0xc3], &[0xa9, b'y']])), Err(0));
    }

    /// Rows as a sink sees them: number, offset and values.
    #[derive(Default)]
    struct Collected(Vec<(u64, u64, Vec<String>)>);

    impl RowSink for Collected {
        fn row(&mut self, row: &Row<'_>) {
            let values = row.cells.iter().map(|cell| cell.canonical()).collect();
            self.0.push((row.record, row.offset, values));
        }

        fn append(&mut self, later: Self) {
            self.0.extend(later.0);
        }
    }

    /// A resource of three text fields `a`, `b`, `c` over `csv`, in the
    /// dialect `dialect` (JSON); the folder must outlive it.
    fn resource_over(csv: &[u8], dialect: &str) -> (tempfile::TempDir, Resource) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/r.csv"), csv).unwrap();
        let fields = r#"[{"name": "a", "type": "string"}, {"name": "b", "type": "string"}, {"name": "c", "type": "string"}]"#;
        std::fs::write(
            dir.path().join("data/datapackage.json"),
            format!(
                r#"{{"resources": [{{"name": "r", "path": "r.csv", "dialect": {dialect}, "schema": {{"fields": {fields}}}}}]}}"#
            ),
        )
        .unwrap();
        let mut diagnostics = crate::diagnostics::Diagnostics::default();
        let super::super::package::Loaded::Package(package) =
            super::super::package::load(dir.path(), &mut diagnostics)
        else {
            panic!("the test package does not load: {diagnostics:?}");
        };
        let resource = package.resources[0].clone();
        (dir, resource)
    }

    /// Reading in parallel, as text or by the csv crate, in blocks and
    /// chunks of any size, gives every row exactly as reading in order
    /// does: its values, its number and its place in the file (line ends
    /// of every kind, empty lines, a last line without an end, quoted
    /// values from some record on); a file with something to report is
    /// left to reading in order.
    fn assert_parallel_reads_as_in_order(
        csv: &[u8],
        dialect: &str,
        block_bytes: usize,
        chunk_records: usize,
    ) {
        let (_dir, resource) = resource_over(csv, dialect);
        let known = KnownKeys::new();
        let mut in_order = Collected::default();
        let scanned = scan(&resource, &known, &[], &mut |row| in_order.row(row));
        let settings = ParallelSettings {
            from_bytes: 0,
            chunk_records,
            block_bytes,
        };
        let parallel = scan_in_parallel(&resource, &known, &[], &Collected::default, &settings);
        let shown = String::from_utf8_lossy(csv);
        if scanned.problem_count > 0 {
            assert!(
                parallel.is_none(),
                "{shown:?}: read in parallel despite problems"
            );
            return;
        }
        // A byte-order mark after the start, where the csv crate would
        // take over, has the file read in order instead.
        let mark_inside = memchr::memmem::find(&csv[1.min(csv.len())..], b"\xef\xbb\xbf").is_some();
        let Some((parallel_scan, rows)) = parallel else {
            assert!(mark_inside, "{shown:?}: clean, yet not read in parallel");
            return;
        };
        assert_eq!(
            rows.0, in_order.0,
            "{shown:?}, blocks of {block_bytes} bytes"
        );
        assert_eq!(parallel_scan.rows, scanned.rows, "{shown:?}");
        assert_eq!(parallel_scan.sha256, scanned.sha256, "{shown:?}");
        assert_eq!(parallel_scan.bytes, csv.len() as u64, "{shown:?}");
    }

    #[test]
    fn text_blocks_read_every_kind_of_line_end_as_the_csv_crate() {
        let files: [&[u8]; 9] = [
            b"a,b,c\nx,y,z\n1,2,3\n",
            b"a,b,c\r\nx,y,z\r\n1,2,3",
            b"a,b,c\rx,y,z\r\r1,2,3\r",
            b"a,b,c\n\n\nx,,z\n\r\n,,\n\n",
            "\u{feff}a,b,c\nKota Balikpapan,Utara,\u{e9}\u{e9}\n".as_bytes(),
            // Quotes from the third record on: read by the csv crate from the
            // block that holds the first.
            b"a,b,c\nx,y,z\n\"p,q\",\"two\nlines\",\"\"\"\"\n1,2,3\n",
            b"\"a\",\"b\",\"c\"\nx,y,z\n",
            // A byte-order mark in the middle of the file is part of the
            // value, also where the csv crate takes over reading.
            b"a,b,c\nx,y,z\n\xef\xbb\xbfp,\"q\",r\n",
            // Wrong: too few values; reading in order reports it.
            b"a,b,c\nx,y,z\nx,y\n1,2,3\n",
        ];
        for csv in files {
            for block_bytes in [1, 2, 3, 5, 8, 13, 64, 1 << 20] {
                for chunk_records in [1, 2, 100] {
                    assert_parallel_reads_as_in_order(csv, "{}", block_bytes, chunk_records);
                }
            }
        }
        // Not UTF-8: the block stops, and reading in order reports it.
        assert_parallel_reads_as_in_order(b"a,b,c\nx,\xff,z\n", "{}", 4, 1);
        // Another delimiter, no header (with and without a byte-order
        // mark, which the csv crate drops from the first record), a comment
        // character.
        for csv in [
            b"x;y;z\n1;2;3\n".as_slice(),
            b"\xef\xbb\xbfx;y;z\n1;2;3\n",
            b"\xef\xbb\xbf\nx;y;z\n",
            b"\n\r\nx;y;z\n",
        ] {
            for block_bytes in [1, 2, 3, 4, 64] {
                assert_parallel_reads_as_in_order(
                    csv,
                    r#"{"delimiter": ";", "header": false}"#,
                    block_bytes,
                    1,
                );
            }
        }
        assert_parallel_reads_as_in_order(
            b"a,b,c\n#x,y,z\n1,2,3\n",
            r##"{"commentChar": "#"}"##,
            3,
            1,
        );
    }

    proptest::proptest! {
        #[test]
        fn text_blocks_read_any_file_as_reading_in_order(
            records in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        proptest::prop_oneof![
                            16 => "[a\u{e9} ]{0,3}",
                            1 => proptest::strategy::Just("\"q,\n\"\"r\"".to_string()),
                            1 => proptest::strategy::Just("\u{feff}m".to_string()),
                        ],
                        3,
                    ),
                    // Mostly the schema's three values: a record of another
                    // length has the file read in order.
                    proptest::prop_oneof![
                        24 => proptest::strategy::Just(0i8),
                        1 => proptest::strategy::Just(-1i8),
                        1 => proptest::strategy::Just(1i8),
                    ],
                    0usize..6,
                ),
                0..12,
            ),
            header in proptest::bool::ANY,
            byte_order_mark in proptest::bool::ANY,
            leading_line_ends in "[\r\n]{0,3}",
            last_line_end in proptest::bool::ANY,
            block_bytes in 1usize..48,
            chunk_records in 1usize..4,
        ) {
            let line_ends = ["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\n\r"];
            let mut csv = String::new();
            if byte_order_mark {
                csv.push('\u{feff}');
            }
            if header {
                csv.push_str("a,b,c\n");
            }
            csv.push_str(&leading_line_ends);
            for (index, (values, length_change, line_end)) in records.iter().enumerate() {
                let mut values = values.clone();
                match length_change {
                    -1 => {
                        values.pop();
                    }
                    1 => values.push("extra".to_string()),
                    _ => {}
                }
                csv.push_str(&values.join(","));
                if index + 1 < records.len() || last_line_end {
                    csv.push_str(line_ends[*line_end]);
                }
            }
            let dialect = if header { "{}" } else { r#"{"header": false}"# };
            assert_parallel_reads_as_in_order(csv.as_bytes(), dialect, block_bytes, chunk_records);
        }
    }

    #[test]
    fn blocks_end_after_a_records_first_line_end_byte() {
        assert_eq!(last_record_end(b"a,b"), None);
        assert_eq!(last_record_end(b"a,b\n"), Some(4));
        assert_eq!(last_record_end(b"a,b\r\nc"), Some(4));
        assert_eq!(last_record_end(b"a,b\r\n\n\rc,d"), Some(4));
        assert_eq!(last_record_end(b"\n\n"), None);
        assert_eq!(last_record_end(b"\nx\n\r"), Some(3));
        assert_eq!(count_records(b"a\r\n\nb\rc"), 3);
        assert_eq!(count_records(b"\n\r\n"), 0);
    }

    /// Without a quote character the file is cut into text blocks (not
    /// read silently by the csv crate); with one, from there on by the csv
    /// crate.
    #[test]
    fn files_without_quotes_are_cut_into_text_blocks() {
        let dialect = super::super::package::Dialect::default();
        let cuts = |bytes: &[u8], block_bytes: usize| {
            let mut source = bytes;
            let mut blocks = TextBlocks::new(&mut source, &dialect, block_bytes);
            let mut number = 0;
            let mut cuts = Vec::new();
            loop {
                match blocks.next_block(&mut number, None).unwrap() {
                    Cut::Block(block) => cuts.push(format!(
                        "{}@{}+{}",
                        String::from_utf8_lossy(&block.bytes[..block.len]),
                        block.start,
                        block.records_before
                    )),
                    Cut::End => return cuts,
                    Cut::ToCsv => {
                        cuts.push(format!("quoted@{}", blocks.start));
                        return cuts;
                    }
                }
            }
        };
        assert_eq!(
            cuts(b"x,y\r\nz,w\nv,u", 6),
            ["x,y\r@0+0", "\nz,w\n@4+1", "v,u@9+2"]
        );
        assert_eq!(cuts(b"x,y\n\n\nz,w\n", 1 << 20), ["x,y\n\n\nz,w\n@0+0"]);
        assert_eq!(cuts(b"x,y\n\"z\",w\n", 4), ["x,y\n@0+0", "quoted@4"]);
        assert_eq!(cuts(b"x,y\n\n\n", 5), ["x,y\n@0+0"]);
        // Empty lines begin the next block: its first record is placed
        // just after the line end of the one before, as the csv crate
        // places it.
        assert_eq!(
            cuts(b"x,y\r\n\n\nz,w\n", 2),
            ["x,y\r@0+0", "\n\n\nz,w\n@4+1"]
        );
    }

    /// A file without quotes is read as text from the header on, however
    /// many blocks the header's line takes; the csv crate reads it from
    /// the start when the header holds a quoted line end, or when, without
    /// a header, a byte-order mark comes first.
    #[test]
    fn reading_starts_as_text_unless_the_csv_crate_must_read() {
        let starts_as_text = |csv: &[u8], dialect: &str, block_bytes: usize| {
            let (_dir, resource) = resource_over(csv, dialect);
            let mut source = std::fs::File::open(&resource.absolute).unwrap();
            match start_reading(&resource, &mut source, block_bytes) {
                Some(Reading::Text(blocks)) => Some(blocks.start),
                Some(Reading::Csv { .. }) => None,
                Some(Reading::Switching) | None => panic!("{csv:?}: not read at all"),
            }
        };
        for block_bytes in [1, 2, 4, 6, 7, 64] {
            assert_eq!(
                starts_as_text(b"a,b,c\r\nx,y,z\n", "{}", block_bytes),
                Some(6)
            );
            assert_eq!(starts_as_text(b"a,b,c", "{}", block_bytes), Some(5));
            assert_eq!(
                starts_as_text(b"x,y,z\n", r#"{"header": false}"#, block_bytes),
                Some(0)
            );
            assert_eq!(
                starts_as_text(
                    b"\"a\nb\",b,c\nx,y,z\n",
                    r#"{"header": false}"#,
                    block_bytes
                ),
                None
            );
            assert_eq!(
                starts_as_text(b"\xef\xbb\xbfx,y,z\n", r#"{"header": false}"#, block_bytes),
                None
            );
        }
    }

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
