//! The privacy guard: nothing that identifies a person leaves the build.
//! Identifier scans over data and content (`identifiers`) run before
//! anything is written; the report says what was scanned and what was
//! suppressed.

pub mod identifiers;
pub mod suppression;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{Diagnostic, Location};

/// Scans a content file's text (front matter and body); each finding
/// names its line.
pub fn scan_content(
    detector: &identifiers::Detector,
    file: &std::path::Path,
    text: &str,
) -> Vec<Diagnostic> {
    let mut findings = detector.find(text);
    // In the order of the text, as its author reads it.
    findings.sort_by_key(|(at, _)| *at);
    let mut problems = Vec::new();
    // Findings are rare: lines are counted only up to each, in one pass.
    let mut lines = crate::diagnostics::LineFinder::new(text);
    for (at, found) in findings {
        let (line, _) = lines.at(at);
        problems.push(
            Diagnostic::error(
                Some(Location::line(file, line)),
                format!(
                    "this looks like {} of a person (`{}`); kaca does not publish personal data",
                    found.kind.describe(),
                    found.masked
                ),
            )
            .with_hint(
                "remove it; if it is an office's public number or address, add it to [[privacy.allow]] in site.toml with the reason",
            ),
        );
    }
    problems
}

/// How many identifier findings of one resource are listed.
const LISTED_FINDINGS: usize = 20;

/// In the codes rows come with (see [`DataScan::with_codes`]), codes from
/// this one up stand for a value left uncoded.
pub const UNCODED_FROM: usize = u32::MAX as usize - 1;

/// Scans the values of one resource as they stream past: every field that
/// may be shown or published (all but declared identifiers).
pub struct DataScan<'a> {
    detector: &'a identifiers::Detector,
    resource: &'a crate::data::package::Resource,
    findings: Vec<(u64, Diagnostic)>,
    total: usize,
    /// For each field, the slot of the codes its values come with (see
    /// [`DataScan::row`]), and for each code whether its value was found
    /// clean: a category repeated on every row is scanned once.
    coded: Vec<Option<(usize, Vec<bool>)>>,
}

impl<'a> DataScan<'a> {
    pub fn new(
        detector: &'a identifiers::Detector,
        resource: &'a crate::data::package::Resource,
    ) -> Self {
        DataScan {
            detector,
            resource,
            findings: Vec::new(),
            total: 0,
            coded: Vec::new(),
        }
    }

    /// Whether the scan reads a field's values as text, and so gains from
    /// knowing which values it has seen (see [`DataScan::with_codes`]).
    pub fn scans_text(field: &crate::data::schema::Field) -> bool {
        field.role != crate::data::schema::Role::Identifier
            && field.field_type == crate::data::schema::FieldType::String
    }

    /// Rows will come with codes of some fields' values: `(field index,
    /// slot)` says where in a row's codes each field's code is. Equal
    /// codes are equal values; a code of [`UNCODED_FROM`] or above is a
    /// value left uncoded.
    pub fn with_codes(mut self, slots: Vec<(usize, usize)>) -> Self {
        self.coded = vec![None; self.resource.fields.len()];
        for (index, slot) in slots {
            self.coded[index] = Some((slot, Vec::new()));
        }
        self
    }

    /// Scans one row's values for personal data; `codes` are the row's
    /// codes by slot (see [`DataScan::with_codes`]).
    pub fn row(&mut self, row: &crate::data::reader::Row<'_>, codes: &[u32]) {
        use crate::data::schema::{Cell, Role};
        for (index, (field, cell)) in self.resource.fields.iter().zip(row.cells).enumerate() {
            if field.role == Role::Identifier {
                continue;
            }
            // A value found clean before is clean again.
            let code = match self.coded.get(index) {
                Some(Some((slot, clean))) => {
                    let code = codes[*slot] as usize;
                    if clean.get(code).copied().unwrap_or(false) {
                        continue;
                    }
                    Some(code).filter(|&code| code < UNCODED_FROM)
                }
                _ => None,
            };
            let text = match cell {
                Cell::Text(text) => std::borrow::Cow::Borrowed(*text),
                // Fewer than eight digits: nothing the detector looks for,
                // known without writing the number out.
                Cell::Integer(i) if i.unsigned_abs() < 10_000_000 => continue,
                Cell::Integer(_) | Cell::Number(_) => std::borrow::Cow::Owned(cell.canonical()),
                _ => continue,
            };
            let found = self.detector.scan(&text);
            if found.is_empty()
                && let Some(code) = code
                && let Some(Some((_, clean))) = self.coded.get_mut(index)
            {
                if clean.len() <= code {
                    clean.resize(code + 1, false);
                }
                clean[code] = true;
            }
            for found in found {
                self.total += 1;
                if self.findings.len() < LISTED_FINDINGS {
                    self.findings.push((
                        row.offset,
                        Diagnostic::error(
                            Some(Location::file(&self.resource.shown)),
                            format!(
                                "resource `{}`, record {}, field `{}`: value `{}` looks like {}; kaca does not publish personal data",
                                self.resource.name,
                                row.record,
                                field.name,
                                found.masked,
                                found.kind.describe()
                            ),
                        )
                        .with_hint(
                            "remove it from the data, or declare the field \"privacy\": \"identifier\" (never published or shown); an office's public number goes in [[privacy.allow]] in site.toml",
                        ),
                    ));
                }
            }
        }
    }

    /// Adds what the scan of the rows after this one's found.
    pub fn append(&mut self, later: DataScan<'a>) {
        self.total += later.total;
        let room = LISTED_FINDINGS.saturating_sub(self.findings.len());
        self.findings.extend(later.findings.into_iter().take(room));
    }

    /// The findings, with their lines.
    pub fn finish(self) -> Vec<Diagnostic> {
        if self.findings.is_empty() {
            return Vec::new();
        }
        let offsets: Vec<u64> = self.findings.iter().map(|(o, _)| *o).collect();
        let lines = crate::data::reader::lines_at(&self.resource.absolute, &offsets);
        let mut out: Vec<Diagnostic> = self
            .findings
            .into_iter()
            .map(|(offset, mut diagnostic)| {
                if let Some(location) = &mut diagnostic.location {
                    location.line = lines.get(&offset).copied();
                }
                diagnostic
            })
            .collect();
        if self.total > LISTED_FINDINGS {
            out.push(Diagnostic::error(
                Some(Location::file(&self.resource.shown)),
                format!(
                    "resource `{}`: {} more values that look like personal data, not listed",
                    self.resource.name,
                    self.total - LISTED_FINDINGS
                ),
            ));
        }
        out
    }
}

/// What the guard did, for the report `check` and `build` print.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub lines: Vec<String>,
}

/// Where a published number lives, to set its flag.
#[derive(Debug, Clone)]
enum Place {
    Figure(usize),
    Table(usize, Vec<Option<String>>),
}

/// The name a series' period takes in a cell's key: the field itself
/// when the period is the field's own (a `yearmonth` field by month, a
/// `year` field by year), so that the series and a figure filtered on
/// one month are known to count the same persons; `field@month` or
/// `field@year` for a coarser period. None for no period.
pub(crate) fn period_key_name(
    resource: &crate::data::package::Resource,
    field: &str,
    period: Option<crate::stats::declare::Period>,
) -> Option<String> {
    use crate::data::schema::FieldType;
    use crate::stats::declare::Period;
    let period = period?;
    let own = resource
        .field_index(field)
        .map(|i| resource.fields[i].field_type)
        .is_some_and(|t| {
            matches!(
                (t, period),
                (FieldType::YearMonth, Period::Month) | (FieldType::Year, Period::Year)
            )
        });
    Some(match (own, period) {
        (true, _) => field.to_string(),
        (false, Period::Month) => format!("{field}@month"),
        (false, Period::Year) => format!("{field}@year"),
    })
}

/// Hides every number of person-level data that counts fewer than the
/// minimum group size of persons, and as many more as it takes so that no
/// hidden number can be worked out from the others, across the whole site.
pub fn protect(
    statistics: &mut crate::stats::Statistics,
    package: &crate::data::package::Package,
    config: &crate::config::Config,
    diagnostics: &mut crate::diagnostics::Diagnostics,
) -> Report {
    use crate::stats::declare::{Condition, Kind};
    use suppression::{Cell, Key, Reason};

    let mut report = Report::default();
    let site_k = u64::from(config.privacy.min_cell_size);
    let mut thresholds: BTreeMap<String, u64> = BTreeMap::new();
    for resource in package.resources.iter().filter(|r| r.persons) {
        let k = match resource.min_cell_size {
            Some(own) if u64::from(own) < site_k => {
                diagnostics.push(
                    Diagnostic::error(
                        resource.min_cell_size_at.clone().or_else(|| {
                            Some(Location::file(
                                std::path::Path::new(crate::data::package::DATA_DIR).join(crate::data::package::PACKAGE_FILE),
                            ))
                        }),
                        format!(
                            "resource `{}`: min_cell_size {own} is below the site's {site_k}; a resource can only make it stricter",
                            resource.name
                        ),
                    )
                    .with_hint(format!("use {site_k} or more, or lower [privacy] min_cell_size in site.toml (never below 3)")),
                );
                site_k
            }
            Some(own) => u64::from(own),
            None => site_k,
        };
        thresholds.insert(resource.name.clone(), k);
    }

    // Cells of each key space: a resource and the part of a filter that is
    // not a single value (single values are part of the cell's key).
    let mut spaces: BTreeMap<(String, String), Vec<(Cell, Place)>> = BTreeMap::new();
    // The values each field takes in the published tables of a resource:
    // a range filter is the set of those it covers.
    let mut domain: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for table in &statistics.tables {
        let query = &table.decl.query;
        if query.period.is_some() {
            continue;
        }
        if let Some(field) = query.by.first() {
            domain
                .entry((query.resource.clone(), field.clone()))
                .or_default()
                .extend(table.rows.iter().cloned());
        }
        if let Some(field) = query.by.get(1) {
            domain
                .entry((query.resource.clone(), field.clone()))
                .or_default()
                .extend(table.columns.iter().cloned());
        }
    }
    // And the values each field takes in the data, where they were
    // recorded (not a missing value: a range never covers one).
    for (resource, facts) in &statistics.resources {
        for (field, values) in &facts.domains {
            domain
                .entry((resource.clone(), field.clone()))
                .or_default()
                .extend(values.iter().filter(|v| !v.is_empty()).cloned());
        }
    }
    // A filter becomes part of the cell's key: one value as it is, several
    // (or a range, as the values it covers) as a set, whose cell is the sum
    // of its members' cells. What cannot be keyed separates the key space.
    let split_filter = |resource: &str, filter: &[Condition]| -> (String, Key) {
        let mut base = Key::new();
        let mut rest = Vec::new();
        for condition in filter {
            match condition {
                Condition::OneOf { field, values } if values.len() == 1 => {
                    base.insert(field.clone(), values[0].clone());
                }
                Condition::OneOf { field, values } if !values.is_empty() => {
                    base.insert(
                        field.clone(),
                        suppression::set_value(values.iter().map(String::as_str)),
                    );
                }
                Condition::Range { field, min, max } => {
                    let within = |value: &str, bound: &str, below: bool| -> bool {
                        match (value.parse::<f64>(), bound.parse::<f64>()) {
                            (Ok(v), Ok(b)) => {
                                if below {
                                    v <= b
                                } else {
                                    v >= b
                                }
                            }
                            _ => {
                                if below {
                                    value <= bound
                                } else {
                                    value >= bound
                                }
                            }
                        }
                    };
                    let members: Vec<String> = domain
                        .get(&(resource.to_string(), field.clone()))
                        .into_iter()
                        .flatten()
                        .filter(|v| min.as_deref().is_none_or(|m| within(v, m, false)))
                        .filter(|v| max.as_deref().is_none_or(|m| within(v, m, true)))
                        .cloned()
                        .collect();
                    if members.is_empty() {
                        rest.push(condition.clone());
                    } else {
                        base.insert(
                            field.clone(),
                            suppression::set_value(members.iter().map(String::as_str)),
                        );
                    }
                }
                other => rest.push(other.clone()),
            }
        }
        (serde_json::to_string(&rest).unwrap_or_default(), base)
    };
    for (index, figure) in statistics.figures.iter().enumerate() {
        let (Kind::Computed(query), Some(persons)) = (&figure.decl.kind, figure.persons) else {
            continue;
        };
        if !thresholds.contains_key(&query.resource) {
            continue;
        }
        let (residual, base) = split_filter(&query.resource, &query.filter);
        // The shown count, for the audit of what a reader can narrow.
        let count = (query.measure == crate::stats::declare::Measure::Count)
            .then_some(figure.value)
            .flatten();
        spaces
            .entry((query.resource.clone(), residual))
            .or_default()
            .push((
                Cell {
                    key: base,
                    persons,
                    count,
                },
                Place::Figure(index),
            ));
    }
    for (index, table) in statistics.tables.iter().enumerate() {
        let query = &table.decl.query;
        let Some(persons) = &table.persons else {
            continue;
        };
        if !thresholds.contains_key(&query.resource) {
            continue;
        }
        let (residual, base) = split_filter(&query.resource, &query.filter);
        // A series' periods are keyed by field and granularity: a month and
        // a year of the same field are different splits.
        let resource_of = package.resources.iter().find(|r| r.name == query.resource);
        let names: Vec<String> = query
            .by
            .iter()
            .map(|field| {
                resource_of
                    .and_then(|r| period_key_name(r, field, query.period))
                    .unwrap_or_else(|| field.clone())
            })
            .collect();
        let mut cells_of_table: Vec<Vec<Option<String>>> = Vec::new();
        for row in &table.rows {
            if table.columns.is_empty() {
                cells_of_table.push(vec![Some(row.clone())]);
            } else {
                for column in &table.columns {
                    cells_of_table.push(vec![Some(row.clone()), Some(column.clone())]);
                }
                cells_of_table.push(vec![Some(row.clone()), None]);
            }
        }
        for column in &table.columns {
            cells_of_table.push(vec![None, Some(column.clone())]);
        }
        cells_of_table.push(vec![None; names.len()]);
        for marginal in cells_of_table {
            let mut key = base.clone();
            for (name, value) in names.iter().zip(&marginal) {
                if let Some(value) = value {
                    key.insert(name.clone(), value.clone());
                }
            }
            // A series' total counts only the rows that have a period: it
            // is the sum of its periods, not the plain total (rows without
            // one would be that difference).
            if query.period.is_some() && marginal.iter().all(Option::is_none) {
                if table.rows.is_empty() {
                    // No period at all: the total is 0, which tells
                    // nothing, and has no key of its own (the plain
                    // total's would make the guard read 0 for it).
                    continue;
                }
                key.insert(
                    names[0].clone(),
                    suppression::set_value(table.rows.iter().map(String::as_str)),
                );
            }
            let persons_here = persons.get(&marginal).copied().unwrap_or(0);
            let count = (query.measure == crate::stats::declare::Measure::Count)
                .then(|| table_value(table, &marginal));
            spaces
                .entry((query.resource.clone(), residual.clone()))
                .or_default()
                .push((
                    Cell {
                        key,
                        persons: persons_here,
                        count,
                    },
                    Place::Table(index, marginal),
                ));
        }
    }

    let mut hidden_ids: BTreeSet<String> = BTreeSet::new();
    for ((resource, _), entries) in &spaces {
        let k = thresholds[resource];
        let cells: Vec<Cell> = entries.iter().map(|(c, _)| c.clone()).collect();
        let no_domains = suppression::Domains::new();
        let domains = statistics
            .resources
            .get(resource)
            .map_or(&no_domains, |facts| &facts.domains);
        let decision = suppression::decide(&cells, k, domains);
        // Where to point the author: the declaration of the number the
        // problem is about, or of the one closest to it.
        let declared_near = |target: &Key| {
            let shared = |key: &Key| {
                key.iter()
                    .filter(|(field, value)| target.get(*field) == Some(*value))
                    .count()
            };
            let (_, place) = entries
                .iter()
                .max_by_key(|(cell, _)| (cell.key == *target, shared(&cell.key)))
                .expect("a key space has cells");
            let (id, origin) = match place {
                Place::Figure(i) => {
                    let decl = &statistics.figures[*i].decl;
                    (&decl.id, &decl.origin)
                }
                Place::Table(i, _) => {
                    let decl = &statistics.tables[*i].decl;
                    (&decl.id, &decl.origin)
                }
            };
            (id.clone(), Location::line(&origin.file, origin.line))
        };
        let shown = |key: &Key| {
            if key.is_empty() {
                "all persons".to_string()
            } else {
                key.iter()
                    .map(|(field, value)| format!("{field} = {value}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let leaks = suppression::leaks(&cells, &decision, k, domains);
        let found = [
            (
                leaks.narrowed,
                format!("a hidden number (fewer than {k}) of"),
                "could still be narrowed down from the published ones",
                "publish fewer breakdowns of this data, or coarser ones (age bands, not ages); please report it if the tables are few",
            ),
            (
                leaks.disclosed,
                format!("a number not shown (fewer than {k}) of"),
                "could be worked out from the published ones",
                "publish fewer breakdowns of this data, or show that group too so it can be hidden; please report it if the numbers are few",
            ),
            (
                leaks.recoverable,
                "a hidden number of".to_string(),
                "could still be worked out",
                "this is a bug in kaca; please report it with the data/stats files",
            ),
        ];
        for (key, what, how, hint) in found {
            let Some(key) = key else { continue };
            let (id, location) = declared_near(&key);
            diagnostics.push(
                Diagnostic::error(
                    Some(location),
                    format!("privacy guard: `{id}`: {what} `{resource}` ({}) {how}; nothing was written", shown(&key)),
                )
                .with_hint(hint),
            );
        }
        for (cell, place) in entries {
            let Some(reason) = decision.get(&cell.key) else {
                continue;
            };
            match place {
                Place::Figure(i) => {
                    statistics.figures[*i].hidden = Some(*reason);
                    hidden_ids.insert(statistics.figures[*i].decl.id.clone());
                }
                Place::Table(i, marginal) => {
                    statistics.tables[*i]
                        .hidden
                        .insert(marginal.clone(), *reason);
                    hidden_ids.insert(statistics.tables[*i].decl.id.clone());
                }
            }
        }
    }

    // Derived figures and checks over a hidden number would reveal it.
    loop {
        let before = hidden_ids.len();
        for figure in statistics.figures.iter_mut() {
            if figure.hidden.is_some() {
                continue;
            }
            if let Kind::Derived { formula } = &figure.decl.kind
                && let Ok((_, references)) = crate::stats::formula::parse(formula)
                && references.iter().any(|r| match r {
                    crate::stats::formula::Reference::Figure(id)
                    | crate::stats::formula::Reference::Sum(id) => hidden_ids.contains(id),
                })
            {
                figure.hidden = Some(Reason::Complementary);
                hidden_ids.insert(figure.decl.id.clone());
            }
        }
        if hidden_ids.len() == before {
            break;
        }
    }
    for check in statistics.checks.iter_mut() {
        if let Ok((_, references)) = crate::stats::formula::parse(&check.decl.rule)
            && references.iter().any(|r| match r {
                crate::stats::formula::Reference::Figure(id)
                | crate::stats::formula::Reference::Sum(id) => hidden_ids.contains(id),
            })
        {
            check.explained = check.decl.rule.clone();
        }
    }

    for (resource, k) in &thresholds {
        let mut primary = 0;
        let mut complementary = 0;
        let mut where_hidden: BTreeSet<String> = BTreeSet::new();
        for figure in &statistics.figures {
            if let (Some(reason), Kind::Computed(q)) = (figure.hidden, &figure.decl.kind)
                && &q.resource == resource
            {
                match reason {
                    Reason::Primary => primary += 1,
                    Reason::Complementary => complementary += 1,
                }
                where_hidden.insert(figure.decl.id.clone());
            }
        }
        for table in statistics
            .tables
            .iter()
            .filter(|t| &t.decl.query.resource == resource)
        {
            // Totals are shown only for counts and sums: count only numbers
            // a reader sees.
            let measure = table.decl.query.measure;
            let totals_shown =
                measure.counts_rows() || measure == crate::stats::declare::Measure::Sum;
            let shown = table
                .hidden
                .iter()
                .filter(|(marginal, _)| totals_shown || marginal.iter().all(Option::is_some))
                .map(|(_, reason)| reason);
            for reason in shown {
                match reason {
                    Reason::Primary => primary += 1,
                    Reason::Complementary => complementary += 1,
                }
            }
            if !table.hidden.is_empty() {
                where_hidden.insert(table.decl.id.clone());
            }
        }
        let places = if where_hidden.is_empty() {
            String::new()
        } else {
            format!(
                " in {}",
                where_hidden.into_iter().collect::<Vec<_>>().join(", ")
            )
        };
        report.lines.push(format!(
            "`{resource}` (person-level, groups of fewer than {k} hidden): {primary} small {} hidden, {complementary} more hidden so they cannot be worked out{places}",
            if primary == 1 { "number" } else { "numbers" }
        ));
    }
    report
}

/// A table's number at a cell or total key (`None` = all values).
fn table_value(table: &crate::stats::TableResult, marginal: &[Option<String>]) -> f64 {
    let rows: Vec<usize> = match marginal.first().cloned().flatten() {
        Some(row) => table
            .rows
            .iter()
            .position(|r| *r == row)
            .into_iter()
            .collect(),
        None => (0..table.rows.len()).collect(),
    };
    let columns: Option<Vec<usize>> = if table.columns.is_empty() {
        None
    } else {
        Some(match marginal.get(1).cloned().flatten() {
            Some(column) => table
                .columns
                .iter()
                .position(|c| *c == column)
                .into_iter()
                .collect(),
            None => (0..table.columns.len()).collect(),
        })
    };
    rows.iter()
        .map(|&r| match &columns {
            None => table.cells[r].first().copied().flatten().unwrap_or(0.0),
            Some(columns) => columns
                .iter()
                .filter_map(|&c| table.cells[r].get(c).copied().flatten())
                .sum(),
        })
        .sum()
}

/// The first line of the report: what the identifier scan covered.
pub fn scan_summary(
    content: &crate::content::Content,
    package: Option<&crate::data::package::Package>,
    config: &crate::config::Config,
) -> String {
    let files = content.pages.len() + content.sections.iter().filter(|s| s.file.is_some()).count();
    let (resources, fields) = package.map_or((0, 0), |p| {
        let fields = p
            .resources
            .iter()
            .flat_map(|r| &r.fields)
            .filter(|f| f.role != crate::data::schema::Role::Identifier)
            .count();
        (p.resources.len(), fields)
    });
    format!(
        "identifier scan (NIK/KK numbers, phone numbers, e-mail addresses, name/address/contact columns): {files} content files, {fields} fields of {resources} resources; {} reviewed exceptions in [[privacy.allow]]",
        config.privacy.allow.len()
    )
}

/// The minimum group size of a person-level resource: the site's, or the
/// resource's own when stricter.
pub fn threshold(resource: &crate::data::package::Resource, config: &crate::config::Config) -> u64 {
    let site = u64::from(config.privacy.min_cell_size);
    resource
        .min_cell_size
        .map_or(site, |own| u64::from(own).max(site))
}
