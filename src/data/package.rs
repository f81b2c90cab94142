//! `data/datapackage.json`: a Frictionless Data Package (v2; v1 accepted)
//! listing CSV resources with their Table Schema and CSV dialect. Read from
//! a JSON value key by key so that each problem gets its own message and
//! the line it is on.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::schema::{Constraints, Field, FieldType, Role};
use crate::diagnostics::{Diagnostic, Diagnostics, Location, did_you_mean, line_column};

pub const DATA_DIR: &str = "data";
pub const PACKAGE_FILE: &str = "datapackage.json";

#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub resources: Vec<Resource>,
    /// The package as written, kept for republishing with hashes.
    pub raw: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    /// Relative to `data/`, with `/`.
    pub path: String,
    pub absolute: PathBuf,
    /// Relative to the project root, for messages: `data/x.csv`.
    pub shown: PathBuf,
    pub title: Option<String>,
    pub description: Option<String>,
    pub dialect: Dialect,
    pub fields: Vec<Field>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Rows are persons (`"persons": true`): counts of them are small-cell
    /// protected and rows are published only k-anonymous.
    pub persons: bool,
    /// The resource's own, stricter minimum group size, if any.
    pub min_cell_size: Option<u32>,
    /// Where `min_cell_size` is written, for messages.
    pub min_cell_size_at: Option<Location>,
    /// The resource asks for its rows to be published (`"publish_rows"`),
    /// which persons' rows are only when k-anonymous.
    pub publish_rows: bool,
    pub raw: Map<String, Value>,
}

impl Resource {
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub fields: Vec<String>,
    /// The resource referred to; the resource itself when empty.
    pub resource: String,
    pub reference_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dialect {
    pub delimiter: u8,
    pub quote: u8,
    pub double_quote: bool,
    pub escape: Option<u8>,
    pub comment: Option<u8>,
    pub header: bool,
    pub skip_initial_space: bool,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            quote: b'"',
            double_quote: true,
            escape: None,
            comment: None,
            header: true,
            skip_initial_space: false,
        }
    }
}

/// Points messages at the right line of the JSON text: finds each needle
/// in turn, after the previous one.
struct Locator<'a> {
    text: &'a str,
    shown: PathBuf,
}

impl Locator<'_> {
    fn at(&self, needles: &[&str]) -> Option<Location> {
        let mut offset = 0;
        let mut found = None;
        for needle in needles {
            match self.text[offset..].find(needle) {
                Some(i) => {
                    offset += i;
                    found = Some(offset);
                    offset += needle.len();
                }
                None => break,
            }
        }
        let line = found.map(|o| line_column(self.text, o).0);
        Some(match line {
            Some(line) => Location::line(&self.shown, line),
            None => Location::file(&self.shown),
        })
    }
}

fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

/// What `data/` holds.
#[derive(Debug)]
pub enum Loaded {
    /// No `data/datapackage.json`: the site has no data, which is fine.
    Missing,
    /// The file exists but has problems, all reported.
    Broken,
    Package(Package),
}

/// Reads `data/datapackage.json`.
pub fn load(root: &Path, diagnostics: &mut Diagnostics) -> Loaded {
    let errors_before = diagnostics.error_count();
    match read_package(root, diagnostics) {
        Some(package) if diagnostics.error_count() == errors_before => Loaded::Package(package),
        None if !root.join(DATA_DIR).join(PACKAGE_FILE).exists() => Loaded::Missing,
        _ => Loaded::Broken,
    }
}

fn read_package(root: &Path, diagnostics: &mut Diagnostics) -> Option<Package> {
    let data_dir = root.join(DATA_DIR);
    let path = data_dir.join(PACKAGE_FILE);
    let shown = PathBuf::from(DATA_DIR).join(PACKAGE_FILE);
    if !path.exists() {
        return None;
    }
    let text = match std::fs::read(&path)
        .map(|bytes| crate::diagnostics::text_from_bytes(bytes, &shown))
    {
        Ok(Ok(text)) => text,
        Ok(Err(problem)) => {
            diagnostics.push(problem);
            return None;
        }
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                Some(Location::file(&shown)),
                format!("cannot read the file: {error}"),
            ));
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    let value: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::at(&shown, error.line(), error.column())),
                    format!(
                        "not valid JSON: {}",
                        strip_json_position(&error.to_string())
                    ),
                )
                .with_hint(json_hint(&error)),
            );
            return None;
        }
    };
    let locator = Locator {
        text: &text,
        shown: shown.clone(),
    };
    let Value::Object(raw) = value else {
        diagnostics.push(Diagnostic::error(
            locator.at(&[]),
            "the data package must be a JSON object with a `resources` list",
        ));
        return None;
    };
    let errors_before = diagnostics.error_count();
    let mut resources = Vec::new();
    // Names of every resource written, loaded or not: a reference to one
    // that failed to load is not reported again.
    let declared: Vec<String> = raw
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    match raw.get("resources") {
        Some(Value::Array(items)) => {
            for item in items {
                if let Some(resource) = resource(root, &data_dir, item, &locator, diagnostics) {
                    resources.push(resource);
                }
            }
        }
        _ => diagnostics.push(
            Diagnostic::error(locator.at(&[]), "the data package has no `resources` list")
                .with_hint("add \"resources\": [] (and then one entry per CSV file)"),
        ),
    }
    let mut names: Vec<&str> = Vec::new();
    for resource in &resources {
        if names.contains(&resource.name.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    locator.at(&[&quoted(&resource.name), &quoted(&resource.name)]),
                    format!("two resources are named `{}`", resource.name),
                )
                .with_hint("resource names must be unique"),
            );
        }
        names.push(&resource.name);
    }
    check_foreign_keys(&resources, &declared, &locator, diagnostics);
    check_coverage(
        &raw,
        "the data package",
        &|needles| locator.at(needles),
        diagnostics,
    );
    if diagnostics.error_count() > errors_before {
        return None;
    }
    Some(Package {
        name: string(&raw, "name"),
        title: string(&raw, "title"),
        description: string(&raw, "description"),
        resources,
        raw,
    })
}

/// "expected `,`" at the start of a line nearly always means the comma is
/// missing at the end of the line before.
fn json_hint(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if message.starts_with("expected `,`") && error.line() > 1 {
        format!(
            "a `,` is probably missing at the end of line {}",
            error.line() - 1
        )
    } else {
        "check commas and quotes; a JSON validator shows the exact spot".to_string()
    }
}

fn strip_json_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// `temporal_coverage`: the period the data describes, an ISO 8601 date
/// (`2025`, `2025-08`, `2025-08-31`) or interval (`2025-01/2025-10`);
/// `spatial_coverage` (and `spatial_coverage_en`, ...): the place, in
/// words. Both are published in the dataset pages' schema.org metadata and
/// in the DCAT catalogue; a resource without them takes the package's.
fn check_coverage(
    map: &Map<String, Value>,
    owner: &str,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    diagnostics: &mut Diagnostics,
) {
    match map.get("temporal_coverage") {
        None => {}
        Some(Value::String(text)) if parse_period(text).is_some() => {}
        Some(Value::String(text))
            if text
                .split_once('/')
                .is_some_and(|(a, b)| period_bound(a, false).is_some() && period_bound(b, true).is_some()) =>
        {
            diagnostics.push(
                Diagnostic::error(
                    at(&["\"temporal_coverage\""]),
                    format!("{owner}: the period `temporal_coverage` \"{text}\" ends before it starts"),
                )
                .with_hint("write the earlier date first: \"start/end\""),
            )
        }
        Some(value) => diagnostics.push(
            Diagnostic::error(
                at(&["\"temporal_coverage\""]),
                format!("{owner}: `temporal_coverage` {value} is not an ISO 8601 date or period"),
            )
            .with_hint(
                "write the period the data describes: \"2025\", \"2025-08\", \"2025-01-01/2025-06-30\" or \"2025-01/2025-10\"",
            ),
        ),
    }
    for (key, value) in map {
        if (key == "spatial_coverage" || key.starts_with("spatial_coverage_"))
            && value.as_str().is_none_or(|text| text.trim().is_empty())
        {
            diagnostics.push(
                Diagnostic::error(
                    at(&[&format!("\"{key}\"")]),
                    format!("{owner}: `{key}` must be the name of a place, as text"),
                )
                .with_hint("e.g. \"Kota Balikpapan, Kalimantan Timur, Indonesia\""),
            );
        }
    }
}

/// The first and last day of an ISO 8601 date or period, as written
/// (`2025` is 2025-01-01 to 2025-12-31); `None` unless valid and in order.
pub fn parse_period(text: &str) -> Option<(jiff::civil::Date, jiff::civil::Date)> {
    let (start, end) = match text.split_once('/') {
        Some((start, end)) => (start, end),
        None => (text, text),
    };
    let first = period_bound(start, false)?;
    let last = period_bound(end, true)?;
    (first <= last).then_some((first, last))
}

fn period_bound(text: &str, last: bool) -> Option<jiff::civil::Date> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, digits: usize| {
        (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<i16>().ok())
            .flatten()
    };
    match parts.as_slice() {
        [year] => {
            let year = number(year, 4)?;
            jiff::civil::Date::new(year, if last { 12 } else { 1 }, if last { 31 } else { 1 }).ok()
        }
        [year, month] => {
            let first =
                jiff::civil::Date::new(number(year, 4)?, i8::try_from(number(month, 2)?).ok()?, 1)
                    .ok()?;
            Some(if last { first.last_of_month() } else { first })
        }
        [year, month, day] => jiff::civil::Date::new(
            number(year, 4)?,
            i8::try_from(number(month, 2)?).ok()?,
            i8::try_from(number(day, 2)?).ok()?,
        )
        .ok(),
        _ => None,
    }
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

fn resource(
    root: &Path,
    data_dir: &Path,
    item: &Value,
    locator: &Locator<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Resource> {
    let Value::Object(map) = item else {
        diagnostics.push(Diagnostic::error(
            locator.at(&["\"resources\""]),
            "each resource must be a JSON object",
        ));
        return None;
    };
    let Some(name) = string(map, "name") else {
        diagnostics.push(
            Diagnostic::error(locator.at(&["\"resources\""]), "a resource has no `name`")
                .with_hint(
                    "give every resource a name of lowercase letters, digits, `-`, `_` or `.`",
                ),
        );
        return None;
    };
    let at = |needles: &[&str]| {
        let resource_anchor = format!("\"name\": {}", quoted(&name));
        let mut all = vec![resource_anchor.as_str()];
        all.extend_from_slice(needles);
        locator.at(&all).or_else(|| locator.at(&[&quoted(&name)]))
    };
    let mut ok = true;
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
    {
        diagnostics.push(
            Diagnostic::error(at(&[]), format!("resource name `{name}` may only use lowercase letters, digits, `-`, `_` and `.`"))
                .with_hint("the name becomes a file name and a URL"),
        );
        ok = false;
    }
    let path = match map.get("path") {
        Some(Value::String(path)) => Some(path.clone()),
        Some(Value::Array(_)) => {
            diagnostics.push(
                Diagnostic::error(
                    at(&["\"path\""]),
                    format!("resource `{name}`: a path list (several files) is not supported"),
                )
                .with_hint("give each resource one CSV file"),
            );
            None
        }
        _ => {
            diagnostics.push(
                Diagnostic::error(at(&[]), format!("resource `{name}` has no `path`")).with_hint(
                    "name its CSV file relative to data/, e.g. \"path\": \"penerima.csv\"",
                ),
            );
            None
        }
    };
    let path = path.and_then(|path| {
        if path.contains("://") {
            diagnostics.push(
                Diagnostic::error(
                    at(&["\"path\""]),
                    format!("resource `{name}` points to a remote file `{path}`"),
                )
                .with_hint("download the file into data/; builds must not depend on the network"),
            );
            return None;
        }
        match crate::content::markdown::normalise(&path.replace('\\', "/")) {
            Some(clean) if !path.starts_with('/') && !clean.is_empty() => Some(clean),
            _ => {
                diagnostics.push(
                    Diagnostic::error(
                        at(&["\"path\""]),
                        format!("resource `{name}`: path `{path}` leaves the data folder"),
                    )
                    .with_hint("put the file inside data/ and name it relative to it"),
                );
                None
            }
        }
    });
    if let Some(path) = &path
        && !data_dir.join(path).is_file()
    {
        diagnostics.push(
            Diagnostic::error(
                at(&["\"path\""]),
                format!("resource `{name}`: the file data/{path} does not exist"),
            )
            .with_hint("check the file name, or remove the resource"),
        );
        ok = false;
    }
    if let Some(format) = string(map, "format")
        && !matches!(format.as_str(), "csv" | "tsv")
    {
        diagnostics.push(
            Diagnostic::error(
                at(&["\"format\""]),
                format!("resource `{name}` has format `{format}`; kaca reads CSV"),
            )
            .with_hint("export the table as CSV (UTF-8)"),
        );
        ok = false;
    }
    if let Some(encoding) = string(map, "encoding")
        && !encoding.eq_ignore_ascii_case("utf-8")
        && !encoding.eq_ignore_ascii_case("utf8")
    {
        diagnostics.push(
            Diagnostic::error(
                at(&["\"encoding\""]),
                format!("resource `{name}` declares encoding `{encoding}`; kaca reads UTF-8"),
            )
            .with_hint(
                "convert the file to UTF-8 and remove the `encoding` key, or set it to \"utf-8\"",
            ),
        );
        ok = false;
    }
    let schema = load_part(
        root,
        data_dir,
        map.get("schema"),
        "schema",
        &name,
        &at,
        diagnostics,
    );
    let dialect = load_part(
        root,
        data_dir,
        map.get("dialect"),
        "dialect",
        &name,
        &at,
        diagnostics,
    );
    let Some(schema) = schema else {
        if map.get("schema").is_none() {
            diagnostics.push(
                Diagnostic::error(at(&[]), format!("resource `{name}` has no `schema`")).with_hint(
                    "describe its columns with a Table Schema: \"schema\": {\"fields\": [...]}",
                ),
            );
        }
        return None;
    };
    let dialect = match dialect {
        Some(dialect) => read_dialect(&dialect, &name, &at, diagnostics),
        None => Dialect {
            delimiter: if string(map, "format").as_deref() == Some("tsv") {
                b'\t'
            } else {
                b','
            },
            ..Dialect::default()
        },
    };
    let (fields, primary_key, foreign_keys) = read_schema(&schema, &name, &at, diagnostics)?;
    let path = path?;
    if !ok {
        return None;
    }
    check_coverage(map, &format!("resource `{name}`"), &at, diagnostics);
    let shown = PathBuf::from(DATA_DIR).join(&path);
    let persons = match map.get("persons") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            diagnostics.push(Diagnostic::error(
                at(&["\"persons\""]),
                format!("resource `{name}`: `persons` must be true or false"),
            ));
            false
        }
    };
    let publish_rows = map
        .get("publish_rows")
        .and_then(Value::as_bool)
        .unwrap_or(!persons);
    let min_cell_size = match map.get("min_cell_size") {
        None => None,
        Some(value) => match value.as_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(size) => Some(size),
            None => {
                diagnostics.push(Diagnostic::error(
                    at(&["\"min_cell_size\""]),
                    format!("resource `{name}`: `min_cell_size` must be a whole number"),
                ));
                None
            }
        },
    };
    check_privacy_roles(&fields, &name, persons, &at, diagnostics);
    let min_cell_size_at = min_cell_size.and(at(&["\"min_cell_size\""]));
    Some(Resource {
        persons,
        publish_rows,
        min_cell_size,
        min_cell_size_at,
        absolute: data_dir.join(&path),
        shown,
        path,
        title: string(map, "title"),
        description: string(map, "description"),
        dialect,
        fields,
        primary_key,
        foreign_keys,
        raw: map.clone(),
        name,
    })
}

/// Columns that name or locate a person must be declared identifiers
/// (never published); person-level dates must have a declared role.
fn check_privacy_roles(
    fields: &[Field],
    resource: &str,
    persons: bool,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    diagnostics: &mut Diagnostics,
) {
    for field in fields {
        let place = || at(&["\"fields\"", &quoted(&field.name)]);
        use crate::privacy::identifiers::{Column, identifying_column};
        // A name column of a table of places or offices is fine once it is
        // declared public; contact columns never are.
        let flagged = match identifying_column(&field.name) {
            Some(Column::NameOrAddress(_)) => field.role != Role::Public || persons,
            Some(Column::Contact(_)) => true,
            None => false,
        };
        if field.role != Role::Identifier
            && flagged
            && let Some(what) = identifying_column(&field.name).map(Column::describe)
        {
            diagnostics.push(
                Diagnostic::error(
                    place(),
                    format!(
                        "resource `{resource}`, field `{}`: the name says it holds {what}, which kaca never publishes",
                        field.name
                    ),
                )
                .with_hint("remove the column from the file, or declare \"privacy\": \"identifier\" so it is read but never published or shown (a name of a place or office in a table of places: declare it \"public\")"),
            );
        }
        if persons
            && matches!(field.field_type, FieldType::Date | FieldType::DateTime)
            && field.role == Role::Undeclared
        {
            diagnostics.push(
                Diagnostic::error(
                    place(),
                    format!(
                        "resource `{resource}`, field `{}`: an exact date in person-level data can single a person out (a birth date always does)",
                        field.name
                    ),
                )
                .with_hint("publish the month instead (type yearmonth), or declare its \"privacy\" role: \"identifier\" (never shown) or \"quasi-identifier\""),
            );
        }
    }
}

/// A schema or dialect is written inline or as the path of a JSON file.
fn load_part(
    root: &Path,
    data_dir: &Path,
    value: Option<&Value>,
    what: &str,
    resource: &str,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<Map<String, Value>> {
    match value? {
        Value::Object(map) => Some(map.clone()),
        Value::String(path) => {
            let Some(clean) =
                crate::content::markdown::normalise(path).filter(|_| !path.contains("://"))
            else {
                diagnostics.push(Diagnostic::error(
                    at(&[&format!("\"{what}\"")]),
                    format!("resource `{resource}`: {what} path `{path}` leaves the data folder"),
                ));
                return None;
            };
            let file = data_dir.join(&clean);
            let shown = crate::diagnostics::relative_to(root, &file);
            match std::fs::read_to_string(&file).map(|t| serde_json::from_str::<Value>(&t)) {
                Ok(Ok(Value::Object(map))) => Some(map),
                Ok(Ok(_)) => {
                    diagnostics.push(Diagnostic::error(
                        Some(Location::file(shown)),
                        format!("the {what} must be a JSON object"),
                    ));
                    None
                }
                Ok(Err(error)) => {
                    diagnostics.push(Diagnostic::error(
                        Some(Location::at(shown, error.line(), error.column())),
                        format!(
                            "not valid JSON: {}",
                            strip_json_position(&error.to_string())
                        ),
                    ));
                    None
                }
                Err(error) => {
                    diagnostics.push(Diagnostic::error(
                        at(&[&format!("\"{what}\"")]),
                        format!("resource `{resource}`: cannot read the {what} file data/{clean}: {error}"),
                    ));
                    None
                }
            }
        }
        _ => {
            diagnostics.push(Diagnostic::error(
                at(&[&format!("\"{what}\"")]),
                format!(
                    "resource `{resource}`: `{what}` must be an object or the path of a JSON file"
                ),
            ));
            None
        }
    }
}

fn one_byte(
    value: &Value,
    key: &str,
    resource: &str,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<u8> {
    match value.as_str() {
        Some(text) if text.len() == 1 => Some(text.as_bytes()[0]),
        Some("\\t") => Some(b'\t'),
        _ => {
            diagnostics.push(
                Diagnostic::error(
                    at(&["\"dialect\"", &format!("\"{key}\"")]),
                    format!("resource `{resource}`: dialect `{key}` must be one ASCII character"),
                )
                .with_hint("e.g. \"delimiter\": \";\""),
            );
            None
        }
    }
}

fn read_dialect(
    map: &Map<String, Value>,
    resource: &str,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    diagnostics: &mut Diagnostics,
) -> Dialect {
    let mut dialect = Dialect::default();
    for (key, value) in map {
        match key.as_str() {
            "delimiter" => {
                dialect.delimiter = one_byte(value, key, resource, at, diagnostics).unwrap_or(b',')
            }
            "quoteChar" => {
                dialect.quote = one_byte(value, key, resource, at, diagnostics).unwrap_or(b'"')
            }
            "escapeChar" => dialect.escape = one_byte(value, key, resource, at, diagnostics),
            "commentChar" => dialect.comment = one_byte(value, key, resource, at, diagnostics),
            "doubleQuote" => dialect.double_quote = value.as_bool().unwrap_or(true),
            "header" => dialect.header = value.as_bool().unwrap_or(true),
            "skipInitialSpace" => dialect.skip_initial_space = value.as_bool().unwrap_or(false),
            // Written by many tools; the csv reader handles both line ends.
            "lineTerminator"
            | "caseSensitiveHeader"
            | "csvddfVersion"
            | "$schema"
            | "name"
            | "title"
            | "description" => {}
            other => {
                let known = [
                    "delimiter",
                    "quoteChar",
                    "escapeChar",
                    "commentChar",
                    "doubleQuote",
                    "header",
                    "skipInitialSpace",
                    "lineTerminator",
                ];
                let hint = match did_you_mean(other, known) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("kaca reads {}", known.join(", ")),
                };
                diagnostics.push(
                    Diagnostic::error(
                        at(&["\"dialect\"", &quoted(other)]),
                        format!("resource `{resource}`: unknown dialect key `{other}`"),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
    dialect
}

type SchemaParts = (Vec<Field>, Vec<String>, Vec<ForeignKey>);

fn read_schema(
    schema: &Map<String, Value>,
    resource: &str,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<SchemaParts> {
    let errors_before = diagnostics.error_count();
    let schema_missing =
        missing_values(schema.get("missingValues")).unwrap_or_else(|| vec![String::new()]);
    let Some(Value::Array(items)) = schema.get("fields") else {
        diagnostics.push(
            Diagnostic::error(at(&["\"schema\""]), format!("resource `{resource}`: the schema has no `fields` list"))
                .with_hint("list every column: \"fields\": [{\"name\": \"kecamatan\", \"type\": \"string\"}, ...]"),
        );
        return None;
    };
    let mut fields: Vec<Field> = Vec::new();
    for item in items {
        let Some(map) = item.as_object() else {
            continue;
        };
        let Some(name) = string(map, "name") else {
            diagnostics.push(Diagnostic::error(
                at(&["\"fields\""]),
                format!("resource `{resource}`: a field has no `name`"),
            ));
            continue;
        };
        let field_at = |key: &str| at(&["\"fields\"", &quoted(&name), &format!("\"{key}\"")]);
        if fields.iter().any(|f| f.name == name) {
            diagnostics.push(Diagnostic::error(
                field_at("name"),
                format!("resource `{resource}`: two fields are named `{name}`"),
            ));
        }
        let type_name = string(map, "type").unwrap_or_else(|| "string".into());
        let field_type = match FieldType::parse(&type_name) {
            Some(field_type) => field_type,
            None => {
                let hint = match did_you_mean(&type_name, FieldType::NAMES) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("kaca reads the types {}", FieldType::NAMES.join(", ")),
                };
                diagnostics.push(
                    Diagnostic::error(
                        field_at("type"),
                        format!(
                            "resource `{resource}`, field `{name}`: unknown type `{type_name}`"
                        ),
                    )
                    .with_hint(hint),
                );
                // Kept as text so keys naming the field are not reported again.
                FieldType::String
            }
        };
        let mut constraints = Constraints::default();
        if let Some(Value::Object(c)) = map.get("constraints") {
            for (key, value) in c {
                match key.as_str() {
                    "required" => constraints.required = value.as_bool().unwrap_or(false),
                    "unique" => constraints.unique = value.as_bool().unwrap_or(false),
                    "enum" => {
                        constraints.allowed =
                            value.as_array().map(|a| a.iter().map(json_text).collect())
                    }
                    "minimum" => constraints.minimum = Some(json_text(value)),
                    "maximum" => constraints.maximum = Some(json_text(value)),
                    "minLength" => constraints.min_length = value.as_u64().map(|v| v as usize),
                    "maxLength" => constraints.max_length = value.as_u64().map(|v| v as usize),
                    "pattern" => {
                        let pattern = json_text(value);
                        match regex::Regex::new(&format!("^(?:{pattern})$")) {
                            Ok(regex) => {
                                constraints.pattern = Some(crate::data::schema::Pattern {
                                    written: pattern,
                                    regex,
                                })
                            }
                            Err(error) => diagnostics.push(Diagnostic::error(
                                field_at("pattern"),
                                format!("resource `{resource}`, field `{name}`: the pattern is not a valid regular expression: {error}"),
                            )),
                        }
                    }
                    other => {
                        let known = [
                            "required",
                            "unique",
                            "enum",
                            "minimum",
                            "maximum",
                            "minLength",
                            "maxLength",
                            "pattern",
                        ];
                        let hint = match did_you_mean(other, known) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("kaca checks {}", known.join(", ")),
                        };
                        diagnostics.push(
                            Diagnostic::error(field_at(other), format!("resource `{resource}`, field `{name}`: unknown constraint `{other}`"))
                                .with_hint(hint),
                        );
                    }
                }
            }
            if (constraints.minimum.is_some() || constraints.maximum.is_some())
                && !field_type.is_ordered()
            {
                diagnostics.push(Diagnostic::error(
                    field_at("minimum"),
                    format!("resource `{resource}`, field `{name}`: minimum and maximum need a number or date type, not {type_name}"),
                ));
            }
        }
        let extra: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "name"
                        | "type"
                        | "title"
                        | "description"
                        | "format"
                        | "constraints"
                        | "decimalChar"
                        | "groupChar"
                        | "bareNumber"
                        | "trueValues"
                        | "falseValues"
                        | "missingValues"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let decimal_char = string(map, "decimalChar").unwrap_or_else(|| ".".into());
        let group_char = string(map, "groupChar");
        if group_char.as_deref() == Some(decimal_char.as_str()) {
            diagnostics.push(Diagnostic::error(
                field_at("groupChar"),
                format!("resource `{resource}`, field `{name}`: decimalChar and groupChar are both `{decimal_char}`"),
            ));
        }
        let role = match map.get("privacy") {
            None => Role::Undeclared,
            Some(value) => match value.as_str().and_then(Role::parse) {
                Some(role) => role,
                None => {
                    diagnostics.push(
                        Diagnostic::error(
                            field_at("privacy"),
                            format!("resource `{resource}`, field `{name}`: unknown privacy role {value}"),
                        )
                        .with_hint(format!("use one of {}", Role::NAMES.join(", "))),
                    );
                    Role::Undeclared
                }
            },
        };
        let field = Field {
            role,
            format: string(map, "format"),
            title: string(map, "title"),
            description: string(map, "description"),
            decimal_char,
            group_char,
            bare_number: map
                .get("bareNumber")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            true_values: strings(map.get("trueValues"))
                .unwrap_or_else(|| ["true", "True", "TRUE", "1"].map(String::from).to_vec()),
            false_values: strings(map.get("falseValues"))
                .unwrap_or_else(|| ["false", "False", "FALSE", "0"].map(String::from).to_vec()),
            missing_values: missing_values(map.get("missingValues"))
                .unwrap_or_else(|| schema_missing.clone()),
            constraints,
            extra,
            field_type,
            name: name.clone(),
        };
        // A declared bound must itself be readable as the field's type.
        for (key, bound) in [
            ("minimum", &field.constraints.minimum),
            ("maximum", &field.constraints.maximum),
        ] {
            if let Some(bound) = bound
                && field.read(bound).is_err()
            {
                diagnostics.push(Diagnostic::error(
                    field_at(key),
                    format!("resource `{resource}`, field `{name}`: {key} `{bound}` is not a valid {type_name}"),
                ));
            }
        }
        fields.push(field);
    }
    let has = |name: &str| fields.iter().any(|f| f.name == name);
    let primary_key = match schema.get("primaryKey") {
        Some(Value::String(key)) => vec![key.clone()],
        Some(Value::Array(keys)) => keys.iter().map(json_text).collect(),
        _ => Vec::new(),
    };
    for key in &primary_key {
        if !has(key) {
            diagnostics.push(Diagnostic::error(
                at(&["\"primaryKey\""]),
                format!(
                    "resource `{resource}`: primary key field `{key}` is not a field of the schema"
                ),
            ));
        }
    }
    let mut foreign_keys = Vec::new();
    if let Some(Value::Array(items)) = schema.get("foreignKeys") {
        for item in items {
            let fields_of = |v: Option<&Value>| match v {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a.iter().map(json_text).collect(),
                _ => Vec::new(),
            };
            let local = fields_of(item.get("fields"));
            let reference = item.get("reference");
            let target = reference
                .and_then(|r| r.get("resource"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let remote = fields_of(reference.and_then(|r| r.get("fields")));
            if local.is_empty() || local.len() != remote.len() {
                diagnostics.push(
                    Diagnostic::error(
                        at(&["\"foreignKeys\""]),
                        format!("resource `{resource}`: a foreign key needs as many `fields` as `reference.fields`"),
                    )
                    .with_hint("e.g. {\"fields\": \"kecamatan\", \"reference\": {\"resource\": \"kecamatan\", \"fields\": \"nama\"}}"),
                );
                continue;
            }
            for key in &local {
                if !has(key) {
                    diagnostics.push(Diagnostic::error(
                        at(&["\"foreignKeys\""]),
                        format!("resource `{resource}`: foreign key field `{key}` is not a field of the schema"),
                    ));
                }
            }
            foreign_keys.push(ForeignKey {
                fields: local,
                resource: if target == resource {
                    String::new()
                } else {
                    target
                },
                reference_fields: remote,
            });
        }
    }
    (diagnostics.error_count() == errors_before).then_some((fields, primary_key, foreign_keys))
}

/// Foreign keys must name existing resources and fields, and must not go
/// round in a circle (a resource can only be checked against one already
/// read).
fn check_foreign_keys(
    resources: &[Resource],
    declared: &[String],
    locator: &Locator<'_>,
    diagnostics: &mut Diagnostics,
) {
    for resource in resources {
        // A duplicated name is reported already; its keys would be checked
        // against the wrong resource.
        if resources.iter().filter(|r| r.name == resource.name).count() > 1 {
            continue;
        }
        for key in &resource.foreign_keys {
            if key.resource.is_empty() {
                for field in &key.reference_fields {
                    if resource.field_index(field).is_none() {
                        diagnostics.push(Diagnostic::error(
                            locator.at(&[&quoted(&resource.name), "\"foreignKeys\""]),
                            format!("resource `{}`: foreign key refers to its own field `{field}`, which does not exist", resource.name),
                        ));
                    }
                }
                continue;
            }
            match resources.iter().find(|r| r.name == key.resource) {
                None if declared.contains(&key.resource) => {}
                None => diagnostics.push(
                    Diagnostic::error(
                        locator.at(&[&quoted(&resource.name), "\"foreignKeys\""]),
                        format!("resource `{}`: foreign key refers to resource `{}`, which does not exist", resource.name, key.resource),
                    )
                    .with_hint(format!(
                        "resources are: {}",
                        resources.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                ),
                Some(target) => {
                    for field in &key.reference_fields {
                        if target.field_index(field).is_none() {
                            diagnostics.push(Diagnostic::error(
                                locator.at(&[&quoted(&resource.name), "\"foreignKeys\""]),
                                format!("resource `{}`: foreign key refers to `{}.{field}`, which is not a field", resource.name, target.name),
                            ));
                        }
                    }
                }
            }
        }
    }
    if let Err(cycle) = reading_order(resources) {
        diagnostics.push(
            Diagnostic::error(
                locator.at(&["\"foreignKeys\""]),
                format!("foreign keys go round in a circle: {}", cycle.join(" → ")),
            )
            .with_hint("one resource of the circle must not refer back; keep references from detail tables to lookup tables"),
        );
    }
}

/// Resources in an order where each comes after those its foreign keys
/// refer to, or the circle that makes that impossible.
pub fn reading_order(resources: &[Resource]) -> Result<Vec<usize>, Vec<String>> {
    let index = |name: &str| resources.iter().position(|r| r.name == name);
    let mut order = Vec::new();
    // 0 = not seen, 1 = in progress, 2 = done.
    let mut state = vec![0u8; resources.len()];
    fn visit(
        i: usize,
        resources: &[Resource],
        index: &dyn Fn(&str) -> Option<usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) -> Result<(), Vec<String>> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut names: Vec<String> = path[start..]
                    .iter()
                    .map(|&p| resources[p].name.clone())
                    .collect();
                names.push(resources[i].name.clone());
                return Err(names);
            }
            _ => {}
        }
        state[i] = 1;
        path.push(i);
        for key in &resources[i].foreign_keys {
            if key.resource.is_empty() {
                continue;
            }
            if let Some(target) = index(&key.resource) {
                visit(target, resources, index, state, order, path)?;
            }
        }
        path.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..resources.len() {
        visit(
            i,
            resources,
            &index,
            &mut state,
            &mut order,
            &mut Vec::new(),
        )?;
    }
    Ok(order)
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array().map(|a| a.iter().map(json_text).collect())
}

/// v1 writes missing values as strings; v2 also as `{"value": ..., "label": ...}`.
fn missing_values(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array().map(|items| {
        items
            .iter()
            .map(|item| match item {
                Value::Object(map) => map.get("value").map(json_text).unwrap_or_default(),
                other => json_text(other),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_iso_dates_or_intervals_in_order() {
        let day = |y, m, d| jiff::civil::date(y, m, d);
        assert_eq!(
            parse_period("2025"),
            Some((day(2025, 1, 1), day(2025, 12, 31)))
        );
        assert_eq!(
            parse_period("2024-02"),
            Some((day(2024, 2, 1), day(2024, 2, 29)))
        );
        assert_eq!(
            parse_period("2025-01/2025-10-15"),
            Some((day(2025, 1, 1), day(2025, 10, 15)))
        );
        for wrong in [
            "2025-10/2025-01",
            "25",
            "2025-13",
            "2025-02-30",
            "2025/",
            "Agustus 2025",
            "",
        ] {
            assert_eq!(parse_period(wrong), None, "{wrong}");
        }
    }
}
