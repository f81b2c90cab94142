//! The compute stage: reads every data resource once, in foreign-key order,
//! validating each value and feeding every declared statistic over that
//! resource in the same pass (no rows are kept, only accumulators). Then
//! derived figures, reconciliation of reported against computed figures,
//! and consistency checks.

pub mod declare;
mod exact;
pub mod formula;
mod text_key;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};
use text_key::{TextMap, TextRef, TextSet};

use crate::data::package::{Package, Resource, reading_order};
use crate::data::reader::{self, KnownKeys, Row};
use crate::data::schema::{Cell, FieldType};
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use declare::{
    Condition, Declarations, FigureDecl, Kind, Measure, Period, Qualifier, Query, TableDecl,
};

/// What was read of one resource.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct ResourceFacts {
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
    /// The file's identity when it was read, when its times will tell a
    /// later change: the manifest then need not hash it again.
    #[serde(skip)]
    pub settled: Option<crate::data::identity::SettledRead>,
    /// For person-level data: every value each field that a declaration
    /// groups or filters by takes in the file (`field@month` and
    /// `field@year` for series by period; `""` for a missing value). The
    /// privacy guard needs them: a total is the sum of its breakdown only
    /// over all the values, shown or not.
    pub domains: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FigureResult {
    pub decl: FigureDecl,
    /// `None` when there is nothing to compute it of (a mean of no rows).
    pub value: Option<f64>,
    pub reconciliation: Option<Reconciliation>,
    /// Persons behind the figure, for one computed from person-level data.
    pub persons: Option<u64>,
    /// Set when the privacy guard hides the value.
    pub hidden: Option<crate::privacy::suppression::Reason>,
}

#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Reconciliation {
    pub computed_id: String,
    pub computed: f64,
    pub reported: f64,
    pub qualifier: Qualifier,
    pub agrees: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableResult {
    pub decl: TableDecl,
    /// Row keys (canonical values of the first `by` field, or periods).
    pub rows: Vec<String>,
    /// Column keys of the second `by` field; empty for one field.
    pub columns: Vec<String>,
    /// `cells[row][column]` (one column when there is no second field).
    pub cells: Vec<Vec<Option<f64>>>,
    /// For person-level data: persons behind each cell and total, keyed by
    /// (row, column) with `None` for "all" (a total).
    pub persons: Option<BTreeMap<Vec<Option<String>>, u64>>,
    /// Cells and totals the privacy guard hides, by the same keys.
    pub hidden: BTreeMap<Vec<Option<String>>, crate::privacy::suppression::Reason>,
}

impl TableResult {
    pub fn sum(&self) -> f64 {
        self.cells.iter().flatten().flatten().sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub decl: declare::CheckDecl,
    pub passed: bool,
    /// The rule with the values filled in, for the site and the report.
    pub explained: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Statistics {
    pub figures: Vec<FigureResult>,
    pub tables: Vec<TableResult>,
    pub checks: Vec<CheckResult>,
    pub resources: BTreeMap<String, ResourceFacts>,
}

impl Statistics {
    pub fn figure(&self, id: &str) -> Option<&FigureResult> {
        self.figures.iter().find(|f| f.decl.id == id)
    }

    pub fn table(&self, id: &str) -> Option<&TableResult> {
        self.tables.iter().find(|t| t.decl.id == id)
    }

    /// Whether any figure or table is declared: the site then has a figure
    /// register and links to it.
    pub fn has_figures_or_tables(&self) -> bool {
        !self.figures.is_empty() || !self.tables.is_empty()
    }

    /// The page each figure and then each table was declared for (`None`:
    /// a file not tied to a page), in declaration order, repeats included.
    pub fn declaring_pages(&self) -> impl Iterator<Item = Option<&str>> {
        let figures = self.figures.iter().map(|f| f.decl.origin.page.as_deref());
        let tables = self.tables.iter().map(|t| t.decl.origin.page.as_deref());
        figures.chain(tables)
    }
}

/// Every `{{ figure(id=...) }}` and `{{ table(id=...) }}` in content must
/// name a declared statistic.
pub fn check_placements(
    content: &crate::content::Content,
    statistics: &Statistics,
    broken: &HashSet<String>,
    diagnostics: &mut Diagnostics,
) {
    let bodies = content.pages.iter().map(|p| (&p.file, &p.body)).chain(
        content
            .sections
            .iter()
            .filter_map(|s| s.file.as_ref().map(|f| (f, &s.body))),
    );
    for (file, body) in bodies {
        for placement in &body.placements {
            // A declaration that failed was reported already.
            if broken.contains(&placement.id) {
                continue;
            }
            let exists = match placement.kind.as_str() {
                "figure" => statistics.figure(&placement.id).is_some(),
                _ => statistics.table(&placement.id).is_some(),
            };
            if exists {
                continue;
            }
            let candidates: Vec<&str> = match placement.kind.as_str() {
                "figure" => statistics
                    .figures
                    .iter()
                    .map(|f| f.decl.id.as_str())
                    .collect(),
                _ => statistics
                    .tables
                    .iter()
                    .map(|t| t.decl.id.as_str())
                    .collect(),
            };
            let what = if placement.kind == "figure" {
                "figure"
            } else {
                "table or series"
            };
            let hint = match crate::diagnostics::did_you_mean(&placement.id, candidates) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it in a data/stats/*.toml file, or use the id of an existing {what}"
                ),
            };
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::at(file, placement.line, placement.column)),
                    format!(
                        "`{}(id=\"{}\")` names a {what} that is not declared",
                        placement.kind, placement.id
                    ),
                )
                .with_hint(hint),
            );
        }
    }
}

/// Running totals of one group.
#[derive(Debug, Default, Clone)]
struct Accumulator {
    count: u64,
    /// Values present (not missing): a mean is over these.
    measured: u64,
    /// Exact: the same whatever order the values come in (a file read in
    /// chunks on several cores adds its chunks' sums last).
    sum: exact::ExactSum,
    min: Option<f64>,
    max: Option<f64>,
    /// Kept only for medians.
    values: Vec<f64>,
    /// Kept only for distinct counts (looked up on every row: a fast
    /// hash, as for group keys).
    distinct: TextSet,
}

impl Accumulator {
    fn add(&mut self, measure: Measure, cell: Option<&Cell<'_>>) {
        self.count += 1;
        let Some(cell) = cell else { return };
        if cell.is_missing() {
            return;
        }
        match measure {
            Measure::Distinct => {
                // Text is looked up borrowed; only a new value is copied.
                match cell {
                    Cell::Text(text) => {
                        let text = TextRef::new(text);
                        if !self.distinct.contains(&text) {
                            self.distinct.insert(text.to_key());
                        }
                    }
                    _ => {
                        self.distinct.insert(cell.canonical().into());
                    }
                }
            }
            Measure::Median => {
                if let Some(v) = cell.as_f64() {
                    self.values.push(v);
                }
            }
            Measure::Min => {
                if let Some(v) = cell.as_f64() {
                    self.min = Some(self.min.map_or(v, |m| m.min(v)));
                }
            }
            Measure::Max => {
                if let Some(v) = cell.as_f64() {
                    self.max = Some(self.max.map_or(v, |m| m.max(v)));
                }
            }
            // The exact sum costs more than the rest: only the measures
            // that read it feed it.
            Measure::Sum | Measure::Mean => {
                if let Some(v) = cell.as_f64() {
                    self.measured += 1;
                    self.sum.add(v);
                }
            }
            Measure::Count | Measure::Share => {}
        }
    }

    /// Adds another group's totals (two codes that name the same value).
    fn merge(&mut self, other: Accumulator) {
        self.count += other.count;
        self.measured += other.measured;
        self.sum.merge(&other.sum);
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, other.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.values.extend(other.values);
        self.distinct.extend(other.distinct);
    }

    fn value(&mut self, measure: Measure, total: u64) -> Option<f64> {
        match measure {
            Measure::Count => Some(self.count as f64),
            Measure::Sum => Some(self.sum.value()),
            Measure::Mean => (self.measured > 0).then(|| self.sum.value() / self.measured as f64),
            Measure::Min => self.min,
            Measure::Max => self.max,
            Measure::Distinct => Some(self.distinct.len() as f64),
            Measure::Share => (total > 0).then(|| self.count as f64 * 100.0 / total as f64),
            Measure::Median => {
                if self.values.is_empty() {
                    return None;
                }
                self.values.sort_by(f64::total_cmp);
                let n = self.values.len();
                Some(if n % 2 == 1 {
                    self.values[n / 2]
                } else {
                    (self.values[n / 2 - 1] + self.values[n / 2]) / 2.0
                })
            }
        }
    }
}

/// A filter condition as a scan tests it on every row: values to look up
/// with a fast hash, numeric bounds read once.
enum Matcher {
    OneOf(usize, TextSet),
    NumericRange {
        index: usize,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// Dates, months and years, compared as ISO text (which sorts in time
    /// order).
    TextRange {
        index: usize,
        min: Option<String>,
        max: Option<String>,
    },
}

impl Matcher {
    fn matches(&self, cells: &[Cell<'_>]) -> bool {
        match self {
            // Text is looked up borrowed: no copy for every row.
            Matcher::OneOf(index, values) => match &cells[*index] {
                Cell::Text(text) => values.contains(&TextRef::new(text)),
                cell => values.contains(&TextRef::new(&cell.canonical())),
            },
            Matcher::NumericRange { index, min, max } => {
                // A missing value is no number: outside every range.
                let Some(v) = cells[*index].as_f64() else {
                    return false;
                };
                min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
            }
            Matcher::TextRange { index, min, max } => {
                let cell = &cells[*index];
                if cell.is_missing() {
                    return false;
                }
                let canonical;
                let text = match cell {
                    Cell::Text(text) => *text,
                    _ => {
                        canonical = cell.canonical();
                        canonical.as_str()
                    }
                };
                min.as_deref().is_none_or(|m| text >= m) && max.as_deref().is_none_or(|m| text <= m)
            }
        }
    }
}

/// More cells than this and a query's groups move from a table indexed by
/// code to a hash map (see [`CodedGroups`]).
const DENSE_CELLS: usize = 4096;

/// A query's groups by the codes of their `by` values. A field's codes are
/// numbered from 0 as its values are met, so while there are few groups
/// they sit in a table indexed by code, and a row costs two index
/// operations instead of a hash lookup. Past [`DENSE_CELLS`] cells the
/// table turns into a hash map, so that memory follows the groups met,
/// not the product of the fields' numbers of values.
enum CodedGroups {
    /// `rows[first code][second code]`; a group no row was added to has a
    /// count of 0.
    Dense {
        rows: Vec<Vec<Accumulator>>,
        cells: usize,
    },
    Sparse(FxHashMap<[u32; 2], Accumulator>),
}

impl Default for CodedGroups {
    fn default() -> Self {
        CodedGroups::Dense {
            rows: Vec::new(),
            cells: 0,
        }
    }
}

impl CodedGroups {
    /// The group of `key`, made empty when new.
    fn get(&mut self, key: [u32; 2]) -> &mut Accumulator {
        let (first, second) = (key[0] as usize, key[1] as usize);
        let too_many = match self {
            // Codes are given to every value of a field, also in rows
            // another query's filter leaves out: a large code alone must
            // not make a large table.
            CodedGroups::Dense { rows, cells } => {
                let have = rows.get(first).map_or(0, Vec::len);
                first >= DENSE_CELLS
                    || (second >= have && *cells + (second + 1 - have) > DENSE_CELLS)
            }
            CodedGroups::Sparse(_) => false,
        };
        if too_many {
            let groups = std::mem::take(self).into_groups();
            *self = CodedGroups::Sparse(groups.collect());
        }
        match self {
            CodedGroups::Dense { rows, cells } => {
                if rows.len() <= first {
                    rows.resize_with(first + 1, Vec::new);
                }
                let row = &mut rows[first];
                if row.len() <= second {
                    *cells += second + 1 - row.len();
                    row.resize_with(second + 1, Accumulator::default);
                }
                &mut row[second]
            }
            CodedGroups::Sparse(map) => map.entry(key).or_default(),
        }
    }

    /// The groups rows were added to, with their keys.
    fn into_groups(self) -> Box<dyn Iterator<Item = ([u32; 2], Accumulator)>> {
        match self {
            CodedGroups::Dense { rows, .. } => {
                Box::new(rows.into_iter().enumerate().flat_map(|(first, row)| {
                    row.into_iter()
                        .enumerate()
                        .filter(|(_, accumulator)| accumulator.count > 0)
                        .map(move |(second, accumulator)| {
                            let code = |c: usize| u32::try_from(c).expect("codes are u32");
                            ([code(first), code(second)], accumulator)
                        })
                }))
            }
            CodedGroups::Sparse(map) => Box::new(map.into_iter()),
        }
    }
}

/// One query being computed during a scan.
struct Running {
    measure: Measure,
    field: Option<usize>,
    filter: Vec<Matcher>,
    /// Indices of the `by` fields, and for a series the period.
    by: Vec<usize>,
    period: Option<(Period, FieldType)>,
    /// For each `by` field, the pass's coder of its values (see
    /// [`FieldCoders`]): queries grouping by the same field share one.
    slots: Vec<usize>,
    /// Groups by the codes of their `by` values (unused positions are 0);
    /// turned into [`Running::groups`] when the scan ends.
    coded: CodedGroups,
    groups: BTreeMap<Vec<String>, Accumulator>,
    /// Rows passing the filter: a table group's share is of these.
    total: u64,
    /// All rows: a figure's share (its filter's rows) is of these.
    rows: u64,
    /// For person-level data: persons behind every cell and every total
    /// (`ALL` in a position = all values of that `by` field), counted by
    /// the identifier field when there is one (a person can have several
    /// rows), else one per row.
    persons: Option<PersonCounts>,
    /// The persons behind each cell and total by their values' names, set
    /// when the scan ends ([`Running::finish`]).
    named_persons: Option<BTreeMap<Vec<Option<String>>, u64>>,
}

/// The identifier field (if any), persons per cell and total key, and the
/// identifiers seen, as codes.
struct PersonCounts {
    id: Option<usize>,
    counts: FxHashMap<[u32; 2], Persons>,
    ids: IdCodes,
}

/// The identifiers seen in a scan, each given a small code the first time:
/// a row costs a lookup of borrowed text or of a number, not a copy.
#[derive(Default)]
struct IdCodes {
    texts: FxHashMap<Box<str>, u32>,
    integers: FxHashMap<i64, u32>,
}

impl IdCodes {
    fn next(&self) -> u32 {
        u32::try_from(self.texts.len() + self.integers.len())
            .expect("fewer than four billion persons")
    }

    /// A row without an identifier gets the code of the empty one: such
    /// rows count as one person, which can only hide more.
    fn code(&mut self, cell: &Cell<'_>) -> u32 {
        let next = self.next();
        match *cell {
            Cell::Integer(i) => *self.integers.entry(i).or_insert(next),
            Cell::Text(text) => match self.texts.get(text) {
                Some(&code) => code,
                None => {
                    self.texts.insert(text.into(), next);
                    next
                }
            },
            _ => self.text_code(cell.canonical().into_boxed_str()),
        }
    }

    fn text_code(&mut self, text: Box<str>) -> u32 {
        let next = self.next();
        *self.texts.entry(text).or_insert(next)
    }

    /// Gives every identifier of `later` a code here (the one it has, or a
    /// new one), as a table from `later`'s codes to these: the same person
    /// may appear in both.
    fn adopt(&mut self, later: IdCodes) -> Vec<u32> {
        let mut table = vec![0; later.texts.len() + later.integers.len()];
        for (text, code) in later.texts {
            table[code as usize] = self.text_code(text);
        }
        for (integer, code) in later.integers {
            let next = self.next();
            table[code as usize] = *self.integers.entry(integer).or_insert(next);
        }
        table
    }
}

/// In a person count's key: every value of that `by` field.
const ALL: u32 = u32::MAX;

/// Persons counted once each.
#[derive(Debug, Clone)]
enum Persons {
    Rows(u64),
    Ids(rustc_hash::FxHashSet<u32>),
}

impl Persons {
    fn count(&self) -> u64 {
        match self {
            Persons::Rows(n) => *n,
            Persons::Ids(ids) => ids.len() as u64,
        }
    }
}

/// The values of one `by` field seen in a scan, each given a small code the
/// first time: a row then costs a lookup of borrowed text or of a number,
/// not a copy of its key's strings into a sorted map. `names` holds what
/// each code stands for, written as group labels are.
#[derive(Default)]
struct KeyCodes {
    texts: TextMap<u32>,
    typed: FxHashMap<(u8, i64), u32>,
    names: Vec<String>,
}

impl KeyCodes {
    fn code(&mut self, cell: &Cell<'_>, period: Option<Period>) -> u32 {
        use jiff::civil::Date;
        let month = |year: i16, month: i8| (i64::from(year) << 8) | i64::from(month);
        let date = |d: Date| {
            (i64::from(d.year()) << 16) | (i64::from(d.month()) << 8) | i64::from(d.day())
        };
        // Equal keys give equal names (names may repeat across keys; the
        // groups are merged when the scan ends).
        let typed = match (*cell, period) {
            (Cell::Text(text), None) => {
                let text = TextRef::new(text);
                if let Some(&code) = self.texts.get(&text) {
                    return code;
                }
                let code = self.push(cell.canonical());
                self.texts.insert(text.to_key(), code);
                return code;
            }
            // Without a period or with one, a missing value is named "".
            (Cell::Missing, _) => Some((0, 0)),
            (Cell::Integer(i), None) => Some((1, i)),
            (Cell::Number(n), None) => Some((2, n.to_bits() as i64)),
            (Cell::Boolean(b), None) => Some((3, i64::from(b))),
            (Cell::Year(y), _) => Some((4, i64::from(y))),
            (Cell::YearMonth(y, _), Some(Period::Year)) => Some((4, i64::from(y))),
            (Cell::Date(d), Some(Period::Year)) => Some((4, i64::from(d.year()))),
            (Cell::YearMonth(y, m), _) => i16::try_from(y).ok().map(|y| (5, month(y, m))),
            (Cell::Date(d), Some(Period::Month)) => Some((5, month(d.year(), d.month()))),
            (Cell::Date(d), None) => Some((6, date(d))),
            _ => None,
        };
        let name = || match period {
            Some(period) => period_key(cell, period),
            None => cell.canonical(),
        };
        match typed {
            Some(key) => {
                if let Some(&code) = self.typed.get(&key) {
                    return code;
                }
                let code = self.push(name());
                self.typed.insert(key, code);
                code
            }
            // Rare types (date-times): by their written form.
            None => {
                let name = name();
                if let Some(&code) = self.texts.get(&TextRef::new(&name)) {
                    return code;
                }
                let code = self.push(name.clone());
                self.texts.insert(name.into(), code);
                code
            }
        }
    }

    /// Gives every value of `later` a code here (the one it has, or a new
    /// one), as a table from `later`'s codes to these. Values are matched
    /// by name, as [`Running::finish`] merges groups.
    fn adopt(&mut self, later: &KeyCodes) -> Vec<u32> {
        let mut by_name: FxHashMap<&str, u32> = FxHashMap::default();
        for (code, name) in self.names.iter().enumerate() {
            by_name
                .entry(name.as_str())
                .or_insert(u32::try_from(code).expect("codes fit in u32"));
        }
        let mut added: Vec<String> = Vec::new();
        let first_new = self.names.len();
        let table = later
            .names
            .iter()
            .map(|name| match by_name.get(name.as_str()) {
                Some(&code) => code,
                None => {
                    let code = u32::try_from(first_new + added.len())
                        .expect("fewer than four billion distinct values");
                    added.push(name.clone());
                    code
                }
            })
            .collect::<Vec<u32>>();
        // A name repeated within `later` gets two new codes: harmless, as
        // groups are merged by name when the scan ends.
        self.names.extend(added);
        table
    }

    fn push(&mut self, name: String) -> u32 {
        self.names.push(name);
        u32::try_from(self.names.len() - 1).expect("fewer than four billion distinct values")
    }
}

impl Running {
    /// The query as a scan computes it; its `by` fields get their coders
    /// from `coders`.
    fn new(query: &Query, resource: &Resource, coders: &mut FieldCoders) -> Running {
        let index = |name: &str| {
            resource
                .field_index(name)
                .expect("declarations were checked against the schema")
        };
        let filter = query
            .filter
            .iter()
            .map(|condition| match condition {
                Condition::OneOf { field, values } => Matcher::OneOf(
                    index(field),
                    values.iter().cloned().map(Into::into).collect(),
                ),
                Condition::Range { field, min, max } => {
                    let index = index(field);
                    if resource.fields[index].field_type.is_numeric() {
                        // A bound that is no number bounds nothing, as
                        // when it was read on every row.
                        let bound = |b: &Option<String>| b.as_ref().and_then(|b| b.parse().ok());
                        Matcher::NumericRange {
                            index,
                            min: bound(min),
                            max: bound(max),
                        }
                    } else {
                        Matcher::TextRange {
                            index,
                            min: min.clone(),
                            max: max.clone(),
                        }
                    }
                }
            })
            .collect();
        let by: Vec<usize> = query.by.iter().map(|f| index(f)).collect();
        let period = query.period.map(|p| (p, resource.fields[by[0]].field_type));
        let coder_period = period.map(|(period, _)| period);
        Running {
            measure: query.measure,
            field: query.field.as_deref().map(index),
            filter,
            slots: by
                .iter()
                .map(|&index| coders.slot(index, coder_period, Limit::None))
                .collect(),
            by,
            period,
            coded: CodedGroups::default(),
            groups: BTreeMap::new(),
            total: 0,
            rows: 0,
            persons: resource.persons.then(|| PersonCounts {
                id: resource
                    .fields
                    .iter()
                    .position(|f| f.role == crate::data::schema::Role::Identifier),
                counts: FxHashMap::default(),
                ids: IdCodes::default(),
            }),
            named_persons: None,
        }
    }

    /// Counts `row`, whose values the pass has coded as `codes` (by
    /// coder slot).
    fn add(&mut self, row: &Row<'_>, codes: &[u32]) {
        self.rows += 1;
        if !self.filter.iter().all(|m| m.matches(row.cells)) {
            return;
        }
        self.total += 1;
        // A series leaves out rows without a period.
        if self.period.is_some() && row.cells[self.by[0]].is_missing() {
            return;
        }
        let mut key = [0u32; 2];
        for (position, &slot) in self.slots.iter().enumerate() {
            key[position] = codes[slot];
        }
        if let Some(persons) = &mut self.persons {
            let id = persons.id.map(|i| persons.ids.code(&row.cells[i]));
            let counted_by_id = persons.id.is_some();
            // The cell itself and each total it counts towards.
            let width = self.by.len();
            for mask in 0..(1u32 << width) {
                let mut marginal = [0u32; 2];
                for (position, slot) in marginal.iter_mut().enumerate().take(width) {
                    *slot = if mask & (1 << position) == 0 {
                        key[position]
                    } else {
                        ALL
                    };
                }
                let entry = persons.counts.entry(marginal).or_insert_with(|| {
                    if counted_by_id {
                        Persons::Ids(rustc_hash::FxHashSet::default())
                    } else {
                        Persons::Rows(0)
                    }
                });
                match (entry, id) {
                    (Persons::Ids(ids), Some(id)) => {
                        ids.insert(id);
                    }
                    (Persons::Rows(n), _) => *n += 1,
                    (Persons::Ids(_), None) => {}
                }
            }
        }
        let cell = self.field.map(|i| &row.cells[i]);
        self.coded.get(key).add(self.measure, cell);
    }

    /// Adds what the same query saw in the rows after this one's (a file
    /// read in chunks); `tables` turn the later pass's codes into this
    /// one's, by coder slot. Nothing is added to `self` after this.
    fn append(&mut self, later: Running, tables: &[Vec<u32>]) {
        self.rows += later.rows;
        self.total += later.total;
        let translate = |key: [u32; 2]| {
            let mut ours = key;
            for (position, &slot) in self.slots.iter().enumerate() {
                if key[position] != ALL {
                    ours[position] = tables[slot][key[position] as usize];
                }
            }
            ours
        };
        for (key, accumulator) in later.coded.into_groups() {
            let ours = self.coded.get(translate(key));
            if ours.count == 0 {
                *ours = accumulator;
            } else {
                ours.merge(accumulator);
            }
        }
        if let (Some(ours), Some(theirs)) = (&mut self.persons, later.persons) {
            let id_table = ours.ids.adopt(theirs.ids);
            for (key, counted) in theirs.counts {
                let slot = ours.counts.entry(translate(key));
                match (slot, counted) {
                    (std::collections::hash_map::Entry::Vacant(slot), Persons::Ids(more)) => {
                        slot.insert(Persons::Ids(
                            more.into_iter().map(|id| id_table[id as usize]).collect(),
                        ));
                    }
                    (std::collections::hash_map::Entry::Vacant(slot), rows) => {
                        slot.insert(rows);
                    }
                    (std::collections::hash_map::Entry::Occupied(mut slot), counted) => {
                        match (slot.get_mut(), counted) {
                            (Persons::Ids(all), Persons::Ids(more)) => {
                                all.extend(more.into_iter().map(|id| id_table[id as usize]));
                            }
                            (Persons::Rows(all), Persons::Rows(more)) => *all += more,
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    /// Turns the coded groups (and persons) into groups named by their
    /// values, once the scan has ended.
    fn finish(&mut self, coders: &FieldCoders) {
        self.named_persons = self.persons(coders);
        for (key, accumulator) in std::mem::take(&mut self.coded).into_groups() {
            let named: Vec<String> = self
                .slots
                .iter()
                .enumerate()
                .map(|(position, &slot)| coders.name(slot, key[position]).to_string())
                .collect();
            match self.groups.entry(named) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(accumulator);
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    slot.get_mut().merge(accumulator);
                }
            }
        }
    }

    /// Persons per cell and total, for person-level data.
    fn persons(&self, coders: &FieldCoders) -> Option<BTreeMap<Vec<Option<String>>, u64>> {
        let persons = self.persons.as_ref()?;
        let mut named: BTreeMap<Vec<Option<String>>, Persons> = BTreeMap::new();
        for (key, counted) in &persons.counts {
            let name: Vec<Option<String>> = self
                .slots
                .iter()
                .enumerate()
                .map(|(position, &slot)| {
                    (key[position] != ALL).then(|| coders.name(slot, key[position]).to_string())
                })
                .collect();
            match named.entry(name) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(counted.clone());
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    match (slot.get_mut(), counted) {
                        (Persons::Ids(all), Persons::Ids(more)) => all.extend(more),
                        (Persons::Rows(all), Persons::Rows(more)) => *all += more,
                        _ => {}
                    }
                }
            }
        }
        Some(named.into_iter().map(|(k, p)| (k, p.count())).collect())
    }
}

/// What one resource's rows go through: the privacy scan, every query
/// over the resource, and (person-level data) the values of the fields
/// the queries group or filter by.
struct PassSink<'a> {
    privacy: crate::privacy::DataScan<'a>,
    /// Every field whose values are coded, each once per row however many
    /// queries group by it.
    coders: FieldCoders,
    /// This row's codes, by coder slot (kept to save an allocation a row).
    codes: Vec<u32>,
    queries: Vec<Running>,
    domains: Vec<Domain>,
}

/// More values than this and a field's values are not recorded: such a
/// field (an amount, a date) is no category a number is broken down by,
/// and the privacy guard's equations over it would not finish. Without
/// its values, a breakdown by it counts only where every value is shown.
const DOMAIN_LIMIT: usize = 1000;

/// The values of one field that the privacy guard keys cells by, as the
/// coder in `slot` names them.
struct Domain {
    name: String,
    slot: usize,
}

/// Whether a coder may stop coding a field of many values.
#[derive(Clone, Copy, PartialEq)]
enum Limit {
    /// A query groups by the field: every value is coded.
    None,
    /// Only the privacy guard's domains or scan read the codes: past
    /// [`DOMAIN_LIMIT`] values the field is left uncoded.
    Domain,
}

/// The code of a value left uncoded (its field has too many values);
/// apart from [`ALL`].
const UNCODED: u32 = crate::privacy::UNCODED_FROM as u32;

/// One field's values as codes, for one way of reading them (as they are,
/// or as the month or year of a series).
struct FieldCoder {
    index: usize,
    period: Option<Period>,
    limit: Limit,
    /// `None` once a limited coder has met more than [`DOMAIN_LIMIT`]
    /// values.
    codes: Option<KeyCodes>,
}

impl FieldCoder {
    fn code(&mut self, cell: &Cell<'_>) -> u32 {
        let Some(codes) = &mut self.codes else {
            return UNCODED;
        };
        let known = codes.names.len();
        let code = codes.code(cell, self.period);
        if self.limit == Limit::Domain && codes.names.len() > known {
            self.check_limit();
        }
        if self.codes.is_some() { code } else { UNCODED }
    }

    /// Names may repeat across codes: only distinct ones count.
    fn check_limit(&mut self) {
        if let Some(codes) = &self.codes
            && codes.names.len() > DOMAIN_LIMIT
            && codes.names.iter().collect::<FxHashSet<_>>().len() > DOMAIN_LIMIT
        {
            self.codes = None;
        }
    }
}

/// The coders of one pass, in slots that queries, domains and the privacy
/// scan refer to.
#[derive(Default)]
struct FieldCoders {
    slots: Vec<FieldCoder>,
}

impl FieldCoders {
    /// The slot coding field `index` read by `period`; a coder asked for
    /// without a limit keeps every value.
    fn slot(&mut self, index: usize, period: Option<Period>, limit: Limit) -> usize {
        match self
            .slots
            .iter()
            .position(|c| c.index == index && c.period == period)
        {
            Some(slot) => {
                if limit == Limit::None {
                    self.slots[slot].limit = Limit::None;
                }
                slot
            }
            None => {
                self.slots.push(FieldCoder {
                    index,
                    period,
                    limit,
                    codes: Some(KeyCodes::default()),
                });
                self.slots.len() - 1
            }
        }
    }

    /// Codes every coded field of `row` into `codes`, by slot: every row,
    /// whatever the queries' filters. A domain so holds every value its
    /// field takes, a missing one included: a series leaves out rows
    /// without a period, and their value, the empty one, is the group
    /// nobody shows.
    fn code_row(&mut self, row: &Row<'_>, codes: &mut Vec<u32>) {
        codes.clear();
        codes.extend(
            self.slots
                .iter_mut()
                .map(|coder| coder.code(&row.cells[coder.index])),
        );
    }

    fn name(&self, slot: usize, code: u32) -> &str {
        let codes = self.slots[slot]
            .codes
            .as_ref()
            .expect("a coder a query reads has no limit");
        &codes.names[code as usize]
    }

    /// Gives every value of `later` a code here; the tables turn `later`'s
    /// codes into these, by slot (empty for a field left uncoded).
    fn adopt(&mut self, later: FieldCoders) -> Vec<Vec<u32>> {
        self.slots
            .iter_mut()
            .zip(later.slots)
            .map(|(ours, theirs)| match (&mut ours.codes, theirs.codes) {
                (Some(codes), Some(more)) => {
                    let table = codes.adopt(&more);
                    if ours.limit == Limit::Domain {
                        ours.check_limit();
                    }
                    table
                }
                _ => {
                    ours.codes = None;
                    Vec::new()
                }
            })
            .collect()
    }

    /// The values a domain's field took, or `None` when there were more
    /// than [`DOMAIN_LIMIT`].
    fn domain(&self, slot: usize) -> Option<BTreeSet<String>> {
        let names = &self.slots[slot].codes.as_ref()?.names;
        let values: BTreeSet<String> = names.iter().cloned().collect();
        (values.len() <= DOMAIN_LIMIT).then_some(values)
    }
}

impl<'a> PassSink<'a> {
    fn new(
        detector: &'a crate::privacy::identifiers::Detector,
        resource: &'a Resource,
        queries: &[&Query],
        key_fields: &[(String, usize, Option<Period>)],
    ) -> Self {
        let mut coders = FieldCoders::default();
        let queries = queries
            .iter()
            .map(|query| Running::new(query, resource, &mut coders))
            .collect();
        let domains = key_fields
            .iter()
            .map(|(name, index, period)| Domain {
                name: name.clone(),
                slot: coders.slot(*index, *period, Limit::Domain),
            })
            .collect();
        // Text fields the privacy scan reads: a value coded once is
        // scanned once, not on every row it appears in.
        let mut scan_slots = Vec::new();
        for (index, field) in resource.fields.iter().enumerate() {
            if crate::privacy::DataScan::scans_text(field) {
                scan_slots.push((index, coders.slot(index, None, Limit::Domain)));
            }
        }
        PassSink {
            privacy: crate::privacy::DataScan::new(detector, resource).with_codes(scan_slots),
            codes: Vec::with_capacity(coders.slots.len()),
            coders,
            queries,
            domains,
        }
    }
}

impl reader::RowSink for PassSink<'_> {
    fn row(&mut self, row: &Row<'_>) {
        self.coders.code_row(row, &mut self.codes);
        self.privacy.row(row, &self.codes);
        for query in &mut self.queries {
            query.add(row, &self.codes);
        }
    }

    fn append(&mut self, later: Self) {
        self.privacy.append(later.privacy);
        let tables = self.coders.adopt(later.coders);
        for (query, more) in self.queries.iter_mut().zip(later.queries) {
            query.append(more, &tables);
        }
    }
}

/// The fields `queries` group or filter by, as the privacy guard names
/// them in a cell's key (a series' period field as `field@month` or
/// `field@year`), with their index and period.
fn key_fields<'q>(
    resource: &Resource,
    queries: impl Iterator<Item = &'q Query>,
) -> Vec<(String, usize, Option<Period>)> {
    let mut fields: Vec<(String, usize, Option<Period>)> = Vec::new();
    let mut add = |name: String, field: &str, period: Option<Period>| {
        if let Some(index) = resource.field_index(field)
            && !fields.iter().any(|(known, _, _)| *known == name)
        {
            fields.push((name, index, period));
        }
    };
    for query in queries {
        for field in &query.by {
            match crate::privacy::period_key_name(resource, field, query.period) {
                Some(name) => add(name, field, query.period),
                None => add(field.clone(), field, None),
            }
        }
        // A range filter is keyed as the set of values it covers (a
        // field of more values than DOMAIN_LIMIT is left out when read).
        for condition in &query.filter {
            let (Condition::OneOf { field, .. } | Condition::Range { field, .. }) = condition;
            add(field.clone(), field, None);
        }
    }
    fields
}

fn period_key(cell: &Cell<'_>, period: Period) -> String {
    let text = cell.canonical();
    match period {
        Period::Month => text.get(..7).unwrap_or(&text).to_string(),
        Period::Year => text.get(..4).unwrap_or(&text).to_string(),
    }
}

/// Reads all resources and computes every declared statistic.
pub fn compute(
    package: &Package,
    declarations: &Declarations,
    detector: &crate::privacy::identifiers::Detector,
    diagnostics: &mut Diagnostics,
) -> Statistics {
    compute_since(package, declarations, detector, None, diagnostics)
}

/// What `kaca serve` keeps of one computation for the next: each
/// resource's pass, known by everything it depended on. A resource whose
/// file, schema and declarations did not change (nor any resource it
/// refers to) is not read again.
#[derive(Default)]
pub struct ComputeMemo {
    passes: HashMap<String, Pass>,
    /// Resources read in the last computation (the rest were reused).
    pub read: Vec<String>,
}

/// One resource's pass and what it gave.
struct Pass {
    inputs: String,
    diagnostics: Vec<Diagnostic>,
    failed: bool,
    keys: HashMap<Vec<String>, HashSet<Vec<String>>>,
    facts: ResourceFacts,
    figures: Vec<(String, Option<f64>, Option<u64>)>,
    tables: Vec<(String, TableResult)>,
}

/// Everything a resource's pass depends on, as text: the file's size and
/// modification time, its description, the declarations over it, the keys
/// other resources want of it, and the passes of resources it refers to.
/// (The privacy settings are the same throughout a session.)
fn pass_inputs(
    resource: &crate::data::package::Resource,
    figures: &[(&FigureDecl, &Query)],
    tables: &[&TableDecl],
    wanted: &[Vec<String>],
    earlier: &HashMap<String, Pass>,
) -> String {
    let stamp = std::fs::metadata(&resource.absolute)
        .map(|m| (m.len(), m.modified().ok()))
        .ok();
    let referred: Vec<&str> = resource
        .foreign_keys
        .iter()
        .filter_map(|key| earlier.get(&key.resource).map(|p| p.inputs.as_str()))
        .collect();
    let figures: Vec<&FigureDecl> = figures.iter().map(|(f, _)| *f).collect();
    format!("{stamp:?}\n{resource:?}\n{figures:?}\n{tables:?}\n{wanted:?}\n{referred:?}")
}

/// [`compute`], reusing from `memo` the passes whose inputs did not
/// change, and leaving this computation's passes in it.
pub fn compute_since(
    package: &Package,
    declarations: &Declarations,
    detector: &crate::privacy::identifiers::Detector,
    mut memo: Option<&mut ComputeMemo>,
    diagnostics: &mut Diagnostics,
) -> Statistics {
    let mut statistics = Statistics::default();
    let mut passes: HashMap<String, Pass> = HashMap::new();
    let mut read = Vec::new();
    let order = match reading_order(&package.resources) {
        Ok(order) => order,
        // Reported when the package was loaded.
        Err(_) => return statistics,
    };
    // Field lists other resources refer to, per resource.
    let mut wanted: HashMap<&str, Vec<Vec<String>>> = HashMap::new();
    for resource in &package.resources {
        for key in &resource.foreign_keys {
            if !key.resource.is_empty() {
                wanted
                    .entry(key.resource.as_str())
                    .or_default()
                    .push(key.reference_fields.clone());
            }
        }
    }
    let mut known: KnownKeys = HashMap::new();
    let mut figure_values: HashMap<String, Option<f64>> = HashMap::new();
    let mut figure_persons: HashMap<String, Option<u64>> = HashMap::new();
    let mut tables: HashMap<String, TableResult> = HashMap::new();
    let mut failed_resources = HashSet::new();

    for index in order {
        let resource = &package.resources[index];
        let figure_queries: Vec<(&FigureDecl, &Query)> = declarations
            .figures
            .iter()
            .filter_map(|f| match &f.kind {
                Kind::Computed(q) if q.resource == resource.name => Some((f, q)),
                _ => None,
            })
            .collect();
        let table_queries: Vec<&TableDecl> = declarations
            .tables
            .iter()
            .filter(|t| t.query.resource == resource.name)
            .collect();
        let wanted_here = wanted
            .get(resource.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let inputs = memo.as_ref().map(|_| {
            pass_inputs(
                resource,
                &figure_queries,
                &table_queries,
                wanted_here,
                &passes,
            )
        });
        let reused = memo
            .as_deref_mut()
            .zip(inputs.as_ref())
            .and_then(|(memo, inputs)| {
                memo.passes
                    .remove(&resource.name)
                    .filter(|pass| pass.inputs == *inputs)
            });
        if let Some(pass) = reused {
            diagnostics.extend(pass.diagnostics.iter().cloned());
            if pass.failed {
                failed_resources.insert(resource.name.clone());
            }
            for (fields, keys) in &pass.keys {
                known.insert((resource.name.clone(), fields.clone()), keys.clone());
            }
            statistics
                .resources
                .insert(resource.name.clone(), pass.facts.clone());
            for (id, value, persons) in &pass.figures {
                figure_values.insert(id.clone(), *value);
                figure_persons.insert(id.clone(), *persons);
            }
            for (id, table) in &pass.tables {
                tables.insert(id.clone(), table.clone());
            }
            passes.insert(resource.name.clone(), pass);
            continue;
        }
        read.push(resource.name.clone());
        let diagnostics_before = diagnostics.len();
        let failed_before = failed_resources.len();
        let key_fields = if resource.persons {
            key_fields(
                resource,
                figure_queries
                    .iter()
                    .map(|(_, q)| *q)
                    .chain(table_queries.iter().map(|t| &t.query)),
            )
        } else {
            Vec::new()
        };
        let queries: Vec<&Query> = figure_queries
            .iter()
            .map(|(_, q)| *q)
            .chain(table_queries.iter().map(|t| &t.query))
            .collect();
        let new_sink = || PassSink::new(detector, resource, &queries, &key_fields);
        let (scan, sink) = reader::scan_with(resource, &known, wanted_here, &new_sink);
        let PassSink {
            privacy,
            queries: mut running,
            domains,
            coders,
            ..
        } = sink;
        let found = privacy.finish();
        if !found.is_empty() {
            failed_resources.insert(resource.name.clone());
        }
        diagnostics.extend(found);
        if !scan.problems.is_empty() {
            failed_resources.insert(resource.name.clone());
        }
        diagnostics.extend(scan.problems.iter().cloned());
        diagnostics.extend(scan.warnings.iter().cloned());
        if scan.problem_count > scan.problems.len() {
            let location = match scan.first_unlisted_line {
                Some(line) => Location::line(&resource.shown, line),
                None => Location::file(&resource.shown),
            };
            diagnostics.push(
                Diagnostic::error(
                    Some(location),
                    format!(
                        "resource `{}`: {} more problems not listed, from this line on",
                        resource.name,
                        scan.problem_count - scan.problems.len()
                    ),
                )
                .with_hint("fix the ones listed first; the rest are often the same mistake"),
            );
        }
        let facts = ResourceFacts {
            rows: scan.rows,
            bytes: scan.bytes,
            sha256: scan.sha256,
            settled: scan.settled,
            domains: domains
                .into_iter()
                .filter_map(|domain| Some((domain.name, coders.domain(domain.slot)?)))
                .collect(),
        };
        let mut pass = inputs.map(|inputs| Pass {
            inputs,
            diagnostics: diagnostics.since(diagnostics_before),
            failed: failed_resources.len() > failed_before,
            keys: scan.keys.clone(),
            facts: facts.clone(),
            figures: Vec::new(),
            tables: Vec::new(),
        });
        for (fields, keys) in scan.keys {
            known.insert((resource.name.clone(), fields), keys);
        }
        statistics.resources.insert(resource.name.clone(), facts);
        for query in &mut running {
            query.finish(&coders);
        }
        let mut running = running.into_iter();
        for ((figure, _), mut query) in figure_queries.into_iter().zip(running.by_ref()) {
            // A figure's share is of all the rows: its filter's rows are
            // the part (for a table it is each group of the filtered rows).
            let total = match query.measure {
                Measure::Share => query.rows,
                _ => query.total,
            };
            let value = query
                .groups
                .get_mut(&Vec::new())
                .and_then(|a| a.value(query.measure, total));
            // Counting no rows is zero, not unknown.
            let value = value.or(match query.measure {
                Measure::Count | Measure::Sum | Measure::Distinct => Some(0.0),
                _ => None,
            });
            let persons = query
                .named_persons
                .as_ref()
                .and_then(|p| p.get(&Vec::new()).copied())
                .or(query.persons.as_ref().map(|_| 0));
            figure_values.insert(figure.id.clone(), value);
            figure_persons.insert(figure.id.clone(), persons);
            if let Some(pass) = &mut pass {
                pass.figures.push((figure.id.clone(), value, persons));
            }
        }
        for (decl, query) in table_queries.into_iter().zip(running) {
            let table = table_result(decl, query, resource);
            if let Some(pass) = &mut pass {
                pass.tables.push((decl.id.clone(), table.clone()));
            }
            tables.insert(decl.id.clone(), table);
        }
        if let Some(pass) = pass {
            passes.insert(resource.name.clone(), pass);
        }
    }
    if let Some(memo) = memo {
        memo.passes = passes;
        memo.read = read;
    }

    for decl in &declarations.figures {
        let value = match &decl.kind {
            Kind::Computed(_) => figure_values.get(&decl.id).copied().flatten(),
            Kind::Reported { value, .. } => Some(*value),
            Kind::Derived { .. } => None,
        };
        statistics.figures.push(FigureResult {
            decl: decl.clone(),
            value,
            reconciliation: None,
            persons: figure_persons.get(&decl.id).copied().flatten(),
            hidden: None,
        });
    }
    statistics.tables = declarations
        .tables
        .iter()
        .filter_map(|t| tables.remove(&t.id))
        .collect();
    if !failed_resources.is_empty() {
        // Figures of invalid data would be wrong; the build fails anyway.
        return statistics;
    }
    derive(&mut statistics, &declarations.broken, diagnostics);
    reconcile(&mut statistics, diagnostics);
    run_checks(&mut statistics, declarations, diagnostics);
    statistics
}

/// The ids a formula names.
fn referenced_ids(references: &[formula::Reference]) -> impl Iterator<Item = &str> {
    references.iter().map(|r| match r {
        formula::Reference::Figure(id) | formula::Reference::Sum(id) => id.as_str(),
    })
}

/// Orders groups the way a reader expects: by the field's allowed values
/// when it has them (so every category shows, zero included), else sorted;
/// series get every period between the first and the last.
fn table_result(decl: &TableDecl, mut query: Running, resource: &Resource) -> TableResult {
    let measure = query.measure;
    let zero_when_empty = matches!(
        measure,
        Measure::Count | Measure::Sum | Measure::Distinct | Measure::Share
    );
    let keys_of = |position: usize, query: &Running| -> Vec<String> {
        let field = &resource.fields[query.by[position]];
        let mut seen: Vec<String> = query.groups.keys().map(|k| k[position].clone()).collect();
        seen.sort();
        seen.dedup();
        match &field.constraints.allowed {
            Some(allowed) if query.period.is_none() => {
                let mut keys: Vec<String> = allowed
                    .iter()
                    .map(|a| {
                        field
                            .read(a)
                            .map(|c| c.canonical())
                            .unwrap_or_else(|_| a.clone())
                    })
                    .collect();
                for key in seen {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                keys
            }
            _ => seen,
        }
    };
    let mut rows = keys_of(0, &query);
    if let Some((period, _)) = query.period {
        rows = fill_periods(&rows, period);
    }
    let columns = if query.by.len() > 1 {
        keys_of(1, &query)
    } else {
        Vec::new()
    };
    let total = query.total;
    let cells = rows
        .iter()
        .map(|row| {
            let column_keys: Vec<Option<&String>> = if columns.is_empty() {
                vec![None]
            } else {
                columns.iter().map(Some).collect()
            };
            column_keys
                .into_iter()
                .map(|column| {
                    let mut key = vec![row.clone()];
                    if let Some(column) = column {
                        key.push(column.clone());
                    }
                    match query.groups.get_mut(&key) {
                        Some(acc) => acc.value(measure, total),
                        None => zero_when_empty.then_some(0.0),
                    }
                })
                .collect()
        })
        .collect();
    TableResult {
        decl: decl.clone(),
        rows,
        columns,
        cells,
        persons: query.named_persons.take(),
        hidden: BTreeMap::new(),
    }
}

/// Every month (or year) from the first to the last seen, so gaps show as
/// zero instead of silently closing up.
fn fill_periods(seen: &[String], period: Period) -> Vec<String> {
    let (Some(first), Some(last)) = (seen.first(), seen.last()) else {
        return Vec::new();
    };
    let parse = |text: &str| -> Option<(i32, i32)> {
        let year = text.get(..4)?.parse().ok()?;
        let month = match period {
            Period::Month => text.get(5..7)?.parse().ok()?,
            Period::Year => 1,
        };
        Some((year, month))
    };
    let (Some(mut at), Some(end)) = (parse(first), parse(last)) else {
        return seen.to_vec();
    };
    let mut out = Vec::new();
    while at <= end && out.len() < 10_000 {
        out.push(match period {
            Period::Month => format!("{:04}-{:02}", at.0, at.1),
            Period::Year => format!("{:04}", at.0),
        });
        at = match period {
            Period::Month if at.1 == 12 => (at.0 + 1, 1),
            Period::Month => (at.0, at.1 + 1),
            Period::Year => (at.0 + 1, 1),
        };
    }
    out
}

fn reference_values(
    statistics: &Statistics,
    references: &[formula::Reference],
) -> Result<Vec<f64>, String> {
    references
        .iter()
        .map(|reference| match reference {
            formula::Reference::Figure(id) => match statistics.figure(id) {
                Some(figure) => figure
                    .value
                    .ok_or_else(|| format!("`{id}` has no value yet")),
                None => Err(format!("there is no figure `{id}`")),
            },
            formula::Reference::Sum(id) => statistics
                .table(id)
                .map(TableResult::sum)
                .ok_or_else(|| format!("there is no table or series `{id}`")),
        })
        .collect()
}

/// Computes derived figures, each after the figures it uses.
fn derive(statistics: &mut Statistics, broken: &HashSet<String>, diagnostics: &mut Diagnostics) {
    let mut pending: Vec<usize> = statistics
        .figures
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.decl.kind, Kind::Derived { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut parsed: HashMap<usize, (String, Vec<formula::Reference>)> = HashMap::new();
    pending.retain(|&i| {
        let figure = &statistics.figures[i];
        let Kind::Derived { formula: text } = &figure.decl.kind else {
            return false;
        };
        match formula::parse(text) {
            // A formula over a declaration that failed is not computed; that
            // failure was reported.
            Ok((_, references)) if referenced_ids(&references).any(|id| broken.contains(id)) => {
                false
            }
            Ok(parts) => {
                parsed.insert(i, parts);
                true
            }
            Err(message) => {
                diagnostics.push(formula_problem(
                    &figure.decl,
                    &format!("the formula cannot be read: {message}"),
                ));
                false
            }
        }
    });
    loop {
        let mut progressed = false;
        let mut still = Vec::new();
        let pending_ids: HashSet<String> = parsed
            .keys()
            .map(|&j| statistics.figures[j].decl.id.clone())
            .collect();
        for i in pending {
            let (expression, references) = &parsed[&i];
            let waiting = references.iter().any(|r| {
                matches!(r, formula::Reference::Figure(id) if pending_ids.contains(id.as_str()))
            });
            if waiting {
                still.push(i);
                continue;
            }
            progressed = true;
            match reference_values(statistics, references)
                .and_then(|values| formula::evaluate(expression, &values))
            {
                Ok(value) => match formula::as_number(&value) {
                    Some(number) if number.is_finite() => {
                        statistics.figures[i].value = Some(number)
                    }
                    Some(_) => diagnostics.push(formula_problem(
                        &statistics.figures[i].decl,
                        "the formula divides by zero",
                    )),
                    None => diagnostics.push(formula_problem(
                        &statistics.figures[i].decl,
                        "the formula gives true or false, not a number",
                    )),
                },
                Err(message) => {
                    diagnostics.push(formula_problem(&statistics.figures[i].decl, &message))
                }
            }
            parsed.remove(&i);
        }
        if still.is_empty() {
            break;
        }
        if !progressed {
            let ids: Vec<String> = still
                .iter()
                .map(|&i| statistics.figures[i].decl.id.clone())
                .collect();
            for &i in &still {
                diagnostics.push(formula_problem(
                    &statistics.figures[i].decl,
                    &format!(
                        "derived figures depend on each other in a circle: {}",
                        ids.join(", ")
                    ),
                ));
            }
            break;
        }
        pending = still;
    }
}

fn formula_problem(decl: &FigureDecl, message: &str) -> Diagnostic {
    Diagnostic::error(
        Some(Location::line(&decl.origin.file, decl.origin.line)),
        format!("`{}`: {message}", decl.id),
    )
    .with_hint("write formulas with ids in braces: \"{a} / {b} * 100\"")
}

/// Compares each reported figure with the computed one describing the same
/// quantity; a disagreement is a warning, and is shown on the site.
fn reconcile(statistics: &mut Statistics, diagnostics: &mut Diagnostics) {
    for i in 0..statistics.figures.len() {
        let Kind::Reported {
            value,
            qualifier,
            compare_with: Some(other),
            ..
        } = &statistics.figures[i].decl.kind
        else {
            continue;
        };
        let Some(computed) = statistics.figure(other).and_then(|f| f.value) else {
            continue;
        };
        let agrees = match qualifier {
            Qualifier::Exact => (computed - value).abs() < 1e-9,
            Qualifier::MoreThan => computed > *value,
            Qualifier::UpTo => computed <= *value,
            Qualifier::About => (computed - value).abs() <= value.abs() * 0.05,
        };
        let reconciliation = Reconciliation {
            computed_id: other.clone(),
            computed,
            reported: *value,
            qualifier: *qualifier,
            agrees,
        };
        if !agrees {
            let decl = &statistics.figures[i].decl;
            diagnostics.push(
                Diagnostic::warning(
                    Some(Location::line(&decl.origin.file, decl.origin.line)),
                    format!(
                        "`{}` reports {} ({}), but `{other}` computes {}",
                        decl.id,
                        crate::data::schema::format_number(*value),
                        qualifier_text(*qualifier),
                        crate::data::schema::format_number(computed)
                    ),
                )
                .with_hint("the site shows both numbers and their sources; check the data or the reported figure"),
            );
        }
        statistics.figures[i].reconciliation = Some(reconciliation);
    }
}

pub fn qualifier_text(qualifier: Qualifier) -> &'static str {
    match qualifier {
        Qualifier::Exact => "exactly",
        Qualifier::MoreThan => "more than",
        Qualifier::UpTo => "up to",
        Qualifier::About => "about",
    }
}

fn run_checks(
    statistics: &mut Statistics,
    declarations: &Declarations,
    diagnostics: &mut Diagnostics,
) {
    for decl in &declarations.checks {
        let location = Some(Location::line(&decl.origin.file, decl.origin.line));
        if let Ok((_, references)) = formula::parse(&decl.rule)
            && referenced_ids(&references).any(|id| declarations.broken.contains(id))
        {
            continue;
        }
        let outcome = formula::parse(&decl.rule).and_then(|(expression, references)| {
            let values = reference_values(statistics, &references)?;
            let explained = references.iter().zip(&values).fold(
                decl.rule.clone(),
                |text, (reference, value)| {
                    let written = match reference {
                        formula::Reference::Figure(id) => format!("{{{id}}}"),
                        formula::Reference::Sum(id) => format!("sum({{{id}}})"),
                    };
                    text.replace(&written, &crate::data::schema::format_number(*value))
                },
            );
            match formula::evaluate(&expression, &values)? {
                evalexpr::Value::Boolean(passed) => Ok((passed, explained)),
                _ => Err("the rule must compare two things (==, !=, <, <=, >, >=)".to_string()),
            }
        });
        match outcome {
            Ok((passed, explained)) => {
                if !passed {
                    let diagnostic = if decl.is_error {
                        Diagnostic::error(location, String::new())
                    } else {
                        Diagnostic::warning(location, String::new())
                    };
                    diagnostics.push(Diagnostic {
                        message: format!("check `{}` failed: {} ({explained})", decl.id, decl.rule),
                        ..diagnostic
                    }
                    .with_hint("the data or a declaration is wrong; the check's result is shown on the site"));
                }
                statistics
                    .checks
                    .push(declare_result(decl, passed, explained));
            }
            Err(message) => diagnostics.push(
                Diagnostic::error(location, format!("check `{}`: {message}", decl.id))
                    .with_hint("write rules like \"sum({table}) == {total}\""),
            ),
        }
    }
}

fn declare_result(decl: &declare::CheckDecl, passed: bool, explained: String) -> CheckResult {
    CheckResult {
        decl: decl.clone(),
        passed,
        explained,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts every key of `keys` in a query's groups, one row each.
    fn grouped(keys: &[[u32; 2]]) -> BTreeMap<[u32; 2], u64> {
        let mut groups = CodedGroups::default();
        for &key in keys {
            groups.get(key).add(Measure::Count, None);
        }
        groups
            .into_groups()
            .map(|(key, accumulator)| (key, accumulator.count))
            .collect()
    }

    fn counted(keys: &[[u32; 2]]) -> BTreeMap<[u32; 2], u64> {
        let mut expected = BTreeMap::new();
        for &key in keys {
            *expected.entry(key).or_insert(0) += 1;
        }
        expected
    }

    proptest::proptest! {
        /// Whether they stay in the table or move to a hash map part way
        /// (more than DENSE_CELLS cells, or one large code), a query's
        /// groups are exactly the keys its rows had, with their counts,
        /// and no key no row had.
        #[test]
        fn groups_are_the_keys_rows_had(
            keys in proptest::collection::vec((0u32..120, 0u32..60), 0..3000),
            large in proptest::option::of((4096u32..100_000, 0u32..3)),
        ) {
            let mut keys: Vec<[u32; 2]> = keys.into_iter().map(|(a, b)| [a, b]).collect();
            if let Some((first, second)) = large {
                keys.insert(keys.len() / 2, [first, second]);
            }
            proptest::prop_assert_eq!(grouped(&keys), counted(&keys));
        }
    }

    #[test]
    fn many_groups_leave_the_table_for_a_hash_map() {
        let keys: Vec<[u32; 2]> = (0..100)
            .flat_map(|a| (0..50).map(move |b| [a, b]))
            .collect();
        let mut groups = CodedGroups::default();
        for &key in &keys {
            groups.get(key).add(Measure::Count, None);
        }
        assert!(
            matches!(groups, CodedGroups::Sparse(_)),
            "5,000 cells in a table"
        );
        assert_eq!(grouped(&keys), counted(&keys));
        let mut few = CodedGroups::default();
        few.get([3, 2]).add(Measure::Count, None);
        assert!(matches!(few, CodedGroups::Dense { .. }));
    }
}
