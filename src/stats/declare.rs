//! Statistics declared by portal staff, one TOML file per programme under
//! `data/stats/`: figures, tables and series computed from the data,
//! reported figures with their sources, derived figures, and consistency
//! checks. Everything is checked against the data package and against the
//! other declarations before any data is read, each problem at its line.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::Config;
use crate::data::package::{DATA_DIR, Package, Resource};
use crate::data::schema::{Cell, FieldType};
use crate::diagnostics::{Diagnostic, Diagnostics, Location, did_you_mean, line_column};

pub const STATS_DIR: &str = "stats";

/// Text in every language of the site.
pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    Count,
    Sum,
    Mean,
    Median,
    Min,
    Max,
    Distinct,
    Share,
}

impl Measure {
    pub const NAMES: [&'static str; 8] = [
        "count", "sum", "mean", "median", "min", "max", "distinct", "share",
    ];

    fn parse(name: &str) -> Option<Measure> {
        Some(match name {
            "count" => Measure::Count,
            "sum" => Measure::Sum,
            "mean" => Measure::Mean,
            "median" => Measure::Median,
            "min" => Measure::Min,
            "max" => Measure::Max,
            "distinct" => Measure::Distinct,
            "share" => Measure::Share,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Measure::NAMES[self as usize]
    }

    /// Whether the measure reads a field, and which types it accepts.
    fn needs_field(self) -> bool {
        !matches!(self, Measure::Count | Measure::Share)
    }

    fn accepts(self, field_type: FieldType) -> bool {
        match self {
            Measure::Count | Measure::Share | Measure::Distinct => true,
            Measure::Sum | Measure::Mean | Measure::Median | Measure::Min | Measure::Max => {
                field_type.is_numeric()
            }
        }
    }

    /// Counting measures give whole numbers of rows (and so of persons in
    /// person-level data): the ones small-cell rules apply to.
    pub fn counts_rows(self) -> bool {
        matches!(self, Measure::Count | Measure::Distinct)
    }
}

/// One condition of a filter, on one field.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
#[serde(untagged)]
pub enum Condition {
    /// The value is one of these (canonical text).
    OneOf { field: String, values: Vec<String> },
    /// The value lies in this range (inclusive; canonical text of bounds).
    Range {
        field: String,
        min: Option<String>,
        max: Option<String>,
    },
}

/// Which rows, and what to compute of them.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Query {
    pub resource: String,
    pub measure: Measure,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<Condition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Qualifier {
    Exact,
    MoreThan,
    UpTo,
    About,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartKind {
    None,
    Bar,
    StackedBar,
    Column,
    Line,
}

#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Source {
    pub publication: String,
    pub date: String,
    pub says: Labels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Computed(Query),
    Reported {
        value: f64,
        qualifier: Qualifier,
        source: Source,
        compare_with: Option<String>,
    },
    Derived {
        formula: String,
    },
}

/// Where a declaration is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
    /// The programme page (content key) the declaring file belongs to.
    pub page: Option<String>,
}

/// A figure shown against a target as a progress bar (realisation against
/// a quota, coverage against a goal): the ids of the two figures.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Progress {
    pub value: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FigureDecl {
    pub id: String,
    /// Set for `[[progress]]`: the value is the percentage of the target.
    pub progress: Option<Progress>,
    pub label: Labels,
    pub kind: Kind,
    pub unit: Labels,
    /// ISO 4217 code (`IDR`) of an amount of money: written with the
    /// currency's symbol and pattern in each language, and no unit.
    pub currency: Option<String>,
    pub as_of: Option<String>,
    pub headline: bool,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    pub id: String,
    pub label: Labels,
    pub query: Query,
    pub chart: ChartKind,
    pub unit: Labels,
    pub currency: Option<String>,
    pub as_of: Option<String>,
    pub origin: Origin,
    /// `true` for a series (by a period), `false` for a table.
    pub is_series: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckDecl {
    pub id: String,
    pub label: Labels,
    pub rule: String,
    pub is_error: bool,
    pub origin: Origin,
}

#[derive(Debug, Default)]
pub struct Declarations {
    pub figures: Vec<FigureDecl>,
    pub tables: Vec<TableDecl>,
    pub checks: Vec<CheckDecl>,
    /// Ids of declarations that failed (reported): whatever refers to them
    /// is not reported again.
    pub broken: std::collections::HashSet<String>,
}

impl Declarations {
    pub fn is_empty(&self) -> bool {
        self.figures.is_empty() && self.tables.is_empty() && self.checks.is_empty()
    }
}

// The file format, as serde reads it; unknown keys are errors.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    page: Option<String>,
    #[serde(default)]
    figure: Vec<RawComputed>,
    #[serde(default)]
    table: Vec<RawComputed>,
    #[serde(default)]
    series: Vec<RawComputed>,
    #[serde(default)]
    reported: Vec<RawReported>,
    #[serde(default)]
    derived: Vec<RawDerived>,
    #[serde(default)]
    check: Vec<RawCheck>,
    #[serde(default)]
    progress: Vec<RawProgress>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgress {
    id: String,
    label: Labels,
    value: String,
    target: String,
    as_of: Option<toml::Value>,
    headline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComputed {
    id: String,
    label: Labels,
    resource: String,
    measure: String,
    field: Option<String>,
    filter: Option<toml::Table>,
    by: Option<toml::Value>,
    period: Option<String>,
    chart: Option<String>,
    unit: Option<Labels>,
    currency: Option<String>,
    as_of: Option<toml::Value>,
    headline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReported {
    id: String,
    label: Labels,
    value: f64,
    qualifier: Option<String>,
    unit: Option<Labels>,
    currency: Option<String>,
    as_of: Option<toml::Value>,
    source: RawSource,
    compare_with: Option<String>,
    headline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    publication: String,
    date: toml::Value,
    says: Labels,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerived {
    id: String,
    label: Labels,
    formula: String,
    unit: Option<Labels>,
    currency: Option<String>,
    as_of: Option<toml::Value>,
    headline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: String,
    label: Labels,
    rule: String,
    level: Option<String>,
}

/// Points at the line of a key inside the declaration with a given id.
struct Place<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Place<'_> {
    fn of(&self, id: &str, key: Option<&str>) -> Location {
        let anchor = [format!("id = \"{id}\""), format!("id=\"{id}\"")]
            .iter()
            .find_map(|a| self.text.find(a.as_str()));
        let Some(start) = anchor else {
            return Location::file(self.file);
        };
        let (anchor_line, _) = line_column(self.text, start);
        let line = key
            .and_then(|key| {
                // The key's line within this declaration (up to the next `[[`).
                let rest = &self.text[start..];
                let end = rest.find("\n[[").unwrap_or(rest.len());
                crate::config::find_key_line(&rest[..end], key)
            })
            .map(|offset| anchor_line + offset - 1)
            .unwrap_or(anchor_line);
        Location::line(self.file, line)
    }
}

/// Reads every `data/stats/*.toml` file. `pages` are the content keys of
/// pages, for checking `page`.
pub fn load(
    root: &Path,
    config: &Config,
    package: Option<&Package>,
    package_broken: bool,
    page_exists: &dyn Fn(&str) -> bool,
    diagnostics: &mut Diagnostics,
) -> Declarations {
    let mut declarations = Declarations::default();
    let dir = root.join(DATA_DIR).join(STATS_DIR);
    if !dir.is_dir() {
        return declarations;
    }
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                Some(Location::file(Path::new(DATA_DIR).join(STATS_DIR))),
                format!("cannot read the folder: {error}"),
            ));
            return declarations;
        }
    };
    files.sort();
    let Some(package) = package else {
        // Nothing can be computed; what the files declare is not reported
        // as missing elsewhere.
        for path in &files {
            if let Ok(text) = std::fs::read_to_string(path) {
                declarations.broken.extend(declared_ids(&text));
            }
        }
        if !files.is_empty() && !package_broken {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::file(Path::new(DATA_DIR).join(STATS_DIR))),
                    "statistics are declared, but there is no data/datapackage.json to compute them from",
                )
                .with_hint("describe the CSV files in data/datapackage.json"),
            );
        }
        return declarations;
    };
    for path in files {
        let shown = crate::diagnostics::relative_to(root, &path);
        let text = match std::fs::read(&path).map(|bytes| {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            (crate::diagnostics::text_from_bytes(bytes, &shown), lossy)
        }) {
            Ok((Ok(text), _)) => text,
            Ok((Err(problem), lossy)) => {
                diagnostics.push(problem);
                // Pages that place what the file declares are not also
                // told that it does not exist.
                declarations.broken.extend(declared_ids(&lossy));
                continue;
            }
            Err(error) => {
                diagnostics.push(
                    Diagnostic::error(
                        Some(Location::file(&shown)),
                        format!("cannot read the file: {error}"),
                    )
                    .with_hint("check that the file exists and can be read"),
                );
                continue;
            }
        };
        let raw: RawFile = match toml::from_str(&text) {
            Ok(raw) => raw,
            Err(error) => {
                declarations.broken.extend(declared_ids(&text));
                let location = match error.span() {
                    Some(span) => {
                        let (line, column) = line_column(&text, span.start);
                        Location::at(&shown, line, column)
                    }
                    None => Location::file(&shown),
                };
                let context = location.line.and_then(|line| declaration_at(&text, line));
                let message = crate::diagnostics::plain_toml_message(&text, &error);
                diagnostics.push(toml_problem(location, &message, context));
                continue;
            }
        };
        let place = Place {
            text: &text,
            file: &shown,
        };
        read_file(
            raw,
            &place,
            config,
            package,
            page_exists,
            &mut declarations,
            diagnostics,
        );
    }
    check_ids(&declarations, diagnostics);
    declarations
}

#[allow(
    clippy::too_many_arguments,
    reason = "one reader per declaration kind shares these"
)]
fn read_file(
    raw: RawFile,
    place: &Place<'_>,
    config: &Config,
    package: &Package,
    page_exists: &dyn Fn(&str) -> bool,
    declarations: &mut Declarations,
    diagnostics: &mut Diagnostics,
) {
    let page = raw.page.clone();
    if let Some(page) = &page
        && !page_exists(page)
    {
        let line = crate::config::find_key_line(place.text, "page").unwrap_or(1);
        diagnostics.push(
            Diagnostic::error(
                Some(Location::line(place.file, line)),
                format!("`page` names `content/{page}`, which does not exist"),
            )
            .with_hint("name the programme page that shows these statistics, e.g. \"program/bursa-kerja.md\""),
        );
    }
    let origin = |id: &str| Origin {
        file: place.file.to_path_buf(),
        line: place.of(id, None).line.unwrap_or(1),
        page: page.clone(),
    };
    let labels = |id: &str, key: &str, labels: &Labels, diagnostics: &mut Diagnostics| {
        for language in &config.languages {
            if labels
                .get(&language.code)
                .is_none_or(|l| l.trim().is_empty())
            {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some(key))),
                        format!(
                            "`{id}`: `{key}` has no text for language `{}`",
                            language.code
                        ),
                    )
                    .with_hint(format!(
                        "write {key} = {{ {} }}",
                        config
                            .languages
                            .iter()
                            .map(|l| format!("{} = \"...\"", l.code))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
    };

    let currency = |id: &str,
                    code: Option<String>,
                    unit: &Option<Labels>,
                    diagnostics: &mut Diagnostics|
     -> Option<String> {
        let code = code?;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            diagnostics.push(
                Diagnostic::error(
                    Some(place.of(id, Some("currency"))),
                    format!("`{id}`: currency `{code}` is not an ISO 4217 code"),
                )
                .with_hint(
                    "write the three capital letters of the currency, e.g. currency = \"IDR\"",
                ),
            );
            return None;
        }
        if unit.is_some() {
            diagnostics.push(
                Diagnostic::error(
                    Some(place.of(id, Some("unit"))),
                    format!("`{id}`: an amount in {code} has no unit besides its currency"),
                )
                .with_hint("remove `unit`; the currency's symbol is written with the number"),
            );
        }
        Some(code)
    };
    for (kind, items) in [
        ("figure", raw.figure),
        ("table", raw.table),
        ("series", raw.series),
    ] {
        for item in items {
            labels(&item.id, "label", &item.label, diagnostics);
            if let Some(unit) = &item.unit {
                labels(&item.id, "unit", unit, diagnostics);
            }
            let Some(query) = query(&item, kind, place, package, diagnostics) else {
                declarations.broken.insert(item.id.clone());
                continue;
            };
            let as_of = date_text(item.as_of.as_ref(), &item.id, "as_of", place, diagnostics);
            match kind {
                "figure" => declarations.figures.push(FigureDecl {
                    progress: None,
                    label: item.label,
                    kind: Kind::Computed(query),
                    currency: currency(&item.id, item.currency, &item.unit, diagnostics),
                    unit: item.unit.unwrap_or_default(),
                    as_of,
                    headline: item.headline.unwrap_or(false),
                    origin: origin(&item.id),
                    id: item.id,
                }),
                _ => {
                    let is_series = kind == "series";
                    let allowed: &[&str] = if is_series {
                        &["column", "line", "none"]
                    } else {
                        &["bar", "stacked-bar", "none"]
                    };
                    let chart_name = item.chart.clone().unwrap_or_else(|| {
                        if is_series {
                            "column".into()
                        } else {
                            "bar".into()
                        }
                    });
                    let chart = if allowed.contains(&chart_name.as_str()) {
                        match chart_name.as_str() {
                            "bar" => ChartKind::Bar,
                            "stacked-bar" => ChartKind::StackedBar,
                            "column" => ChartKind::Column,
                            "line" => ChartKind::Line,
                            _ => ChartKind::None,
                        }
                    } else {
                        diagnostics.push(
                            Diagnostic::error(
                                Some(place.of(&item.id, Some("chart"))),
                                format!(
                                    "`{}`: a {kind} cannot be drawn as `{chart_name}`",
                                    item.id
                                ),
                            )
                            .with_hint(format!("use one of {}", allowed.join(", "))),
                        );
                        ChartKind::None
                    };
                    if chart == ChartKind::StackedBar && query.by.len() != 2 {
                        diagnostics.push(
                            Diagnostic::error(
                                Some(place.of(&item.id, Some("chart"))),
                                format!("`{}`: a stacked bar needs a table by two fields", item.id),
                            )
                            .with_hint("add a second field to `by`, or use chart = \"bar\""),
                        );
                    }
                    declarations.tables.push(TableDecl {
                        label: item.label,
                        query,
                        chart,
                        currency: currency(&item.id, item.currency, &item.unit, diagnostics),
                        unit: item.unit.unwrap_or_default(),
                        as_of,
                        origin: origin(&item.id),
                        id: item.id,
                        is_series,
                    });
                }
            }
        }
    }
    for item in raw.reported {
        labels(&item.id, "label", &item.label, diagnostics);
        labels(&item.id, "says", &item.source.says, diagnostics);
        if let Some(unit) = &item.unit {
            labels(&item.id, "unit", unit, diagnostics);
        }
        let qualifier = match item.qualifier.as_deref().unwrap_or("exact") {
            "exact" => Qualifier::Exact,
            "more-than" => Qualifier::MoreThan,
            "up-to" => Qualifier::UpTo,
            "about" => Qualifier::About,
            other => {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(&item.id, Some("qualifier"))),
                        format!("`{}`: unknown qualifier `{other}`", item.id),
                    )
                    .with_hint("use exact, more-than, up-to or about"),
                );
                Qualifier::Exact
            }
        };
        let source_date = date_text(
            Some(&item.source.date),
            &item.id,
            "date",
            place,
            diagnostics,
        )
        .unwrap_or_default();
        let as_of = date_text(item.as_of.as_ref(), &item.id, "as_of", place, diagnostics);
        declarations.figures.push(FigureDecl {
            progress: None,
            label: item.label,
            kind: Kind::Reported {
                value: item.value,
                qualifier,
                source: Source {
                    publication: item.source.publication,
                    date: source_date,
                    says: item.source.says,
                    url: item.source.url,
                },
                compare_with: item.compare_with,
            },
            currency: currency(&item.id, item.currency, &item.unit, diagnostics),
            unit: item.unit.unwrap_or_default(),
            as_of,
            headline: item.headline.unwrap_or(false),
            origin: origin(&item.id),
            id: item.id,
        });
    }
    for item in raw.derived {
        labels(&item.id, "label", &item.label, diagnostics);
        if let Some(unit) = &item.unit {
            labels(&item.id, "unit", unit, diagnostics);
        }
        let as_of = date_text(item.as_of.as_ref(), &item.id, "as_of", place, diagnostics);
        declarations.figures.push(FigureDecl {
            progress: None,
            label: item.label,
            kind: Kind::Derived {
                formula: item.formula,
            },
            currency: currency(&item.id, item.currency, &item.unit, diagnostics),
            unit: item.unit.unwrap_or_default(),
            as_of,
            headline: item.headline.unwrap_or(false),
            origin: origin(&item.id),
            id: item.id,
        });
    }
    for item in raw.progress {
        labels(&item.id, "label", &item.label, diagnostics);
        let as_of = date_text(item.as_of.as_ref(), &item.id, "as_of", place, diagnostics);
        let percent: Labels = config
            .languages
            .iter()
            .map(|l| (l.code.clone(), "%".to_string()))
            .collect();
        declarations.figures.push(FigureDecl {
            label: item.label,
            kind: Kind::Derived {
                formula: format!("{{{}}} / {{{}}} * 100", item.value, item.target),
            },
            unit: percent,
            currency: None,
            as_of,
            headline: item.headline.unwrap_or(false),
            origin: origin(&item.id),
            progress: Some(Progress {
                value: item.value,
                target: item.target,
            }),
            id: item.id,
        });
    }
    for item in raw.check {
        labels(&item.id, "label", &item.label, diagnostics);
        let is_error = match item.level.as_deref().unwrap_or("warning") {
            "error" => true,
            "warning" => false,
            other => {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(&item.id, Some("level"))),
                        format!("`{}`: unknown level `{other}`", item.id),
                    )
                    .with_hint("use error or warning"),
                );
                false
            }
        };
        declarations.checks.push(CheckDecl {
            origin: origin(&item.id),
            label: item.label,
            rule: item.rule,
            is_error,
            id: item.id,
        });
    }
}

/// The ids a stats file declares, found without parsing it (for a file
/// that does not parse).
fn declared_ids(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r#"(?m)^\s*id\s*=\s*"([^"]+)""#).expect("a valid pattern");
    pattern
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect()
}

/// serde says "unknown field `measur`, expected one of `id`, ..."; staff
/// read "field" as a data column, so it is called a key, with the closest
/// known one.
fn toml_problem(
    location: Location,
    message: &str,
    context: Option<(String, Option<String>)>,
) -> Diagnostic {
    let Some((unknown, hint)) = crate::config::unknown_key(message) else {
        let message = match &context {
            Some((kind, Some(id))) => format!("`{id}` ([[{kind}]]): {message}"),
            Some((kind, None)) => format!("[[{kind}]]: {message}"),
            None => message.to_string(),
        };
        return Diagnostic::error(Some(location), message)
            .with_hint("see data/README.md for the keys of figure, table, series, reported, derived, progress and check");
    };
    let message = match context {
        Some((kind, Some(id))) => format!("`{id}`: unknown key `{unknown}` in [[{kind}]]"),
        Some((kind, None)) => format!("unknown key `{unknown}` in [[{kind}]]"),
        None => format!("unknown key `{unknown}`"),
    };
    Diagnostic::error(Some(location), message).with_hint(hint)
}

/// The kind (`figure`) and id of the declaration a line of a stats file
/// belongs to: the nearest `[[kind]]` above it, and its `id`.
fn declaration_at(text: &str, line: usize) -> Option<(String, Option<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = (0..line.min(lines.len()))
        .rev()
        .find(|&i| lines[i].trim_start().starts_with("[["))?;
    let kind = lines[start]
        .trim()
        .trim_start_matches("[[")
        .trim_end_matches("]]")
        .trim()
        .to_string();
    let id = lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with("[["))
        .find_map(|l| declared_ids(l).into_iter().next());
    Some((kind, id))
}

/// A date written as TOML date or as text `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`).
fn date_text(
    value: Option<&toml::Value>,
    id: &str,
    key: &str,
    place: &Place<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    let text = match value? {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Integer(i) => i.to_string(),
        _ => String::new(),
    };
    let valid = text.parse::<jiff::civil::Date>().is_ok() && text.len() == 10
        || (text.len() == 7 && format!("{text}-01").parse::<jiff::civil::Date>().is_ok())
        || (text.len() == 4 && text.parse::<u16>().is_ok());
    if !valid {
        diagnostics.push(
            Diagnostic::error(
                Some(place.of(id, Some(key))),
                format!("`{id}`: `{key}` value `{text}` is not a date"),
            )
            .with_hint("write YYYY-MM-DD, YYYY-MM or YYYY, e.g. \"2025-11-03\""),
        );
        return None;
    }
    Some(text)
}

fn resource_named<'a>(package: &'a Package, name: &str) -> Option<&'a Resource> {
    package.resources.iter().find(|r| r.name == name)
}

fn query(
    item: &RawComputed,
    kind: &str,
    place: &Place<'_>,
    package: &Package,
    diagnostics: &mut Diagnostics,
) -> Option<Query> {
    let id = &item.id;
    let errors_before = diagnostics.error_count();
    let Some(resource) = resource_named(package, &item.resource) else {
        let names: Vec<&str> = package.resources.iter().map(|r| r.name.as_str()).collect();
        let hint = match did_you_mean(&item.resource, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("resources are: {}", names.join(", ")),
        };
        diagnostics.push(
            Diagnostic::error(
                Some(place.of(id, Some("resource"))),
                format!("`{id}`: there is no resource `{}`", item.resource),
            )
            .with_hint(hint),
        );
        return None;
    };
    let field_of = |name: &str, key: &str, diagnostics: &mut Diagnostics| -> Option<FieldType> {
        match resource.fields.iter().find(|f| f.name == name) {
            // Grouping or filtering by an identifier would show it.
            Some(field)
                if field.role == crate::data::schema::Role::Identifier
                    && (key == "by" || key == "filter") =>
            {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some(key))),
                        format!("`{id}`: field `{name}` of `{}` is an identifier and is never shown, so it cannot be used in `{key}`", resource.name),
                    )
                    .with_hint("count persons with measure = \"distinct\" and field = the identifier; group by a quasi-identifier such as kecamatan"),
                );
                None
            }
            Some(field) => Some(field.field_type),
            None => {
                let names: Vec<&str> = resource.fields.iter().map(|f| f.name.as_str()).collect();
                let hint = match did_you_mean(name, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("fields of `{}`: {}", resource.name, names.join(", ")),
                };
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some(key))),
                        format!("`{id}`: resource `{}` has no field `{name}`", resource.name),
                    )
                    .with_hint(hint),
                );
                None
            }
        }
    };
    let Some(measure) = Measure::parse(&item.measure) else {
        let hint = match did_you_mean(&item.measure, Measure::NAMES) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("measures are {}", Measure::NAMES.join(", ")),
        };
        diagnostics.push(
            Diagnostic::error(
                Some(place.of(id, Some("measure"))),
                format!("`{id}`: unknown measure `{}`", item.measure),
            )
            .with_hint(hint),
        );
        return None;
    };
    match (&item.field, measure.needs_field()) {
        (None, true) => diagnostics.push(
            Diagnostic::error(
                Some(place.of(id, Some("measure"))),
                format!("`{id}`: measure `{}` needs a `field`", measure.name()),
            )
            .with_hint("name the field to compute it of, e.g. field = \"lowongan\""),
        ),
        (Some(_), false) => diagnostics.push(
            Diagnostic::error(
                Some(place.of(id, Some("field"))),
                format!(
                    "`{id}`: measure `{}` counts rows and takes no `field`",
                    measure.name()
                ),
            )
            .with_hint("remove `field`, or use `distinct` to count different values of a field"),
        ),
        (Some(name), true) => {
            if let Some(field_type) = field_of(name, "field", diagnostics)
                && !measure.accepts(field_type)
            {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some("measure"))),
                        format!(
                            "`{id}`: measure `{}` needs a number field, but `{name}` is of type {}",
                            measure.name(),
                            field_type.name()
                        ),
                    )
                    .with_hint("use count or distinct for text fields, or declare the field as integer or number"),
                );
            }
        }
        (None, false) => {}
    }
    let mut filter = Vec::new();
    for (name, value) in item.filter.iter().flatten() {
        let Some(field_type) = field_of(name, "filter", diagnostics) else {
            continue;
        };
        let field = resource
            .fields
            .iter()
            .find(|f| &f.name == name)
            .expect("field_of found it");
        let canonical = |value: &toml::Value, diagnostics: &mut Diagnostics| -> Option<String> {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                _ => String::new(),
            };
            match field.read(&text) {
                Ok(cell) if !cell.is_missing() && field.check(&cell, &text).is_err() => {
                    let broken = field.check(&cell, &text).expect_err("just checked");
                    diagnostics.push(
                        Diagnostic::error(
                            Some(place.of(id, Some("filter"))),
                            format!(
                                "`{id}`: filter value `{text}` for field `{name}` {}",
                                broken.message
                            ),
                        )
                        .with_hint("a filter on a value the data cannot have always gives nothing"),
                    );
                    None
                }
                Ok(Cell::Missing) | Err(_) => {
                    diagnostics.push(
                        Diagnostic::error(
                            Some(place.of(id, Some("filter"))),
                            format!("`{id}`: filter value `{text}` is not a valid {} for field `{name}`", field_type.name()),
                        )
                        .with_hint("write the value as it appears in the data"),
                    );
                    None
                }
                Ok(cell) => Some(cell.canonical()),
            }
        };
        match value {
            toml::Value::Array(items) => {
                let values: Vec<String> = items
                    .iter()
                    .filter_map(|v| canonical(v, diagnostics))
                    .collect();
                filter.push(Condition::OneOf {
                    field: name.clone(),
                    values,
                });
            }
            toml::Value::Table(range) => {
                for key in range.keys() {
                    if key != "min" && key != "max" {
                        diagnostics.push(
                            Diagnostic::error(
                                Some(place.of(id, Some("filter"))),
                                format!("`{id}`: filter range key `{key}` is unknown"),
                            )
                            .with_hint("a range is { min = ..., max = ... }"),
                        );
                    }
                }
                if !field_type.is_ordered() {
                    diagnostics.push(Diagnostic::error(
                        Some(place.of(id, Some("filter"))),
                        format!(
                            "`{id}`: field `{name}` is {} and has no order for a range",
                            field_type.name()
                        ),
                    ));
                }
                let min = range.get("min").and_then(|v| canonical(v, diagnostics));
                let max = range.get("max").and_then(|v| canonical(v, diagnostics));
                filter.push(Condition::Range {
                    field: name.clone(),
                    min,
                    max,
                });
            }
            single => {
                if let Some(value) = canonical(single, diagnostics) {
                    filter.push(Condition::OneOf {
                        field: name.clone(),
                        values: vec![value],
                    });
                }
            }
        }
    }
    let by: Vec<String> = match &item.by {
        None => Vec::new(),
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(toml::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => {
            diagnostics.push(Diagnostic::error(
                Some(place.of(id, Some("by"))),
                format!("`{id}`: `by` must be a field name or a list of them"),
            ));
            Vec::new()
        }
    };
    let mut period = None;
    match kind {
        "figure" => {
            if !by.is_empty() {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some("by"))),
                        format!("`{id}`: a figure is one number and has no `by`"),
                    )
                    .with_hint("declare it as [[table]] to break it down"),
                );
            }
        }
        "table" => {
            if by.is_empty() || by.len() > 2 {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some("by"))),
                        format!("`{id}`: a table is broken down by one or two fields"),
                    )
                    .with_hint(
                        "e.g. by = [\"kecamatan\"] or by = [\"pekerjaan\", \"jenis_kelamin\"]",
                    ),
                );
            }
            for name in &by {
                field_of(name, "by", diagnostics);
            }
        }
        _ => {
            if by.len() != 1 {
                diagnostics.push(
                    Diagnostic::error(
                        Some(place.of(id, Some("by"))),
                        format!("`{id}`: a series is by one date, month or year field"),
                    )
                    .with_hint("e.g. by = \"bulan\""),
                );
            } else if let Some(field_type) = field_of(&by[0], "by", diagnostics) {
                let wanted = match item.period.as_deref().unwrap_or("month") {
                    "month" => Some(Period::Month),
                    "year" => Some(Period::Year),
                    other => {
                        diagnostics.push(
                            Diagnostic::error(
                                Some(place.of(id, Some("period"))),
                                format!("`{id}`: unknown period `{other}`"),
                            )
                            .with_hint("use month or year"),
                        );
                        None
                    }
                };
                let fits = matches!(
                    (field_type, wanted),
                    (
                        FieldType::Date | FieldType::DateTime | FieldType::YearMonth,
                        Some(_)
                    ) | (FieldType::Year, Some(Period::Year))
                );
                if wanted.is_some() && !fits {
                    diagnostics.push(
                        Diagnostic::error(
                            Some(place.of(id, Some("by"))),
                            format!(
                                "`{id}`: field `{}` is of type {} and cannot be counted by {}",
                                by[0],
                                field_type.name(),
                                item.period.as_deref().unwrap_or("month")
                            ),
                        )
                        .with_hint("a series by month needs a date or yearmonth field; by year also takes a year field"),
                    );
                }
                period = wanted;
            }
        }
    }
    if kind != "series" && item.period.is_some() {
        diagnostics.push(Diagnostic::error(
            Some(place.of(id, Some("period"))),
            format!("`{id}`: only a series has a `period`"),
        ));
    }
    if kind != "figure" && item.headline.is_some() {
        diagnostics.push(Diagnostic::error(
            Some(place.of(id, Some("headline"))),
            format!("`{id}`: only a figure can be a headline"),
        ));
    }
    if kind == "figure" && item.chart.is_some() {
        diagnostics.push(Diagnostic::error(
            Some(place.of(id, Some("chart"))),
            format!("`{id}`: a figure is one number and has no chart"),
        ));
    }
    if diagnostics.error_count() > errors_before {
        return None;
    }
    Some(Query {
        resource: resource.name.clone(),
        measure,
        field: item.field.clone(),
        filter,
        by,
        period,
    })
}

/// Ids are unique across all files and usable in URLs; references
/// (`compare_with`, formulas, rules) name existing declarations.
fn check_ids(declarations: &Declarations, diagnostics: &mut Diagnostics) {
    let mut seen: HashMap<&str, &Origin> = HashMap::new();
    let all = declarations
        .figures
        .iter()
        .map(|f| (f.id.as_str(), &f.origin))
        .chain(
            declarations
                .tables
                .iter()
                .map(|t| (t.id.as_str(), &t.origin)),
        )
        .chain(
            declarations
                .checks
                .iter()
                .map(|c| (c.id.as_str(), &c.origin)),
        );
    for (id, origin) in all {
        let location = Some(Location::line(&origin.file, origin.line));
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            diagnostics.push(
                Diagnostic::error(
                    location.clone(),
                    format!("id `{id}` may only use lowercase letters, digits and hyphens"),
                )
                .with_hint("ids appear in URLs and anchors, e.g. subsidi-iuran-penerima"),
            );
        }
        if let Some(first) = seen.insert(id, origin) {
            diagnostics.push(
                Diagnostic::error(
                    location,
                    format!(
                        "id `{id}` is declared twice (first at {}:{})",
                        first.file.display(),
                        first.line
                    ),
                )
                .with_hint("every figure, table, series and check needs its own id"),
            );
        }
    }
    let figure_ids: Vec<&str> = declarations.figures.iter().map(|f| f.id.as_str()).collect();
    for figure in &declarations.figures {
        if let Kind::Reported {
            compare_with: Some(other),
            ..
        } = &figure.kind
        {
            let computed = declarations
                .figures
                .iter()
                .find(|f| &f.id == other)
                .is_some_and(|f| !matches!(f.kind, Kind::Reported { .. }));
            if !computed {
                let is_reported = declarations.figures.iter().any(|f| &f.id == other);
                let hint = match did_you_mean(other, figure_ids.iter().copied()) {
                    _ if is_reported => format!(
                        "`{other}` is a reported figure too; name the [[figure]] or [[derived]] that computes the same quantity"
                    ),
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name a [[figure]] or [[derived]] id".to_string(),
                };
                diagnostics.push(
                    Diagnostic::error(
                        Some(Location::line(&figure.origin.file, figure.origin.line)),
                        format!("`{}`: compare_with names `{other}`, which is not a computed or derived figure", figure.id),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
}
