//! Front matter: the YAML (`---`) or TOML (`+++`) block at the top of a
//! content file. Both are parsed into one JSON-like map, then checked key by
//! key so that each problem gets its own message with the key's line.
//! Zola's keys (its `taxonomies` and `extra` maps, section settings) are read
//! with Zola's meaning so Zola content moves over unchanged.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use serde_json::{Map, Value};

use crate::config::{find_key_line, find_top_level_key_line, find_top_level_key_lines};
use crate::diagnostics::{Diagnostic, did_you_mean, line_column};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

/// A content file cut into its front matter and body.
#[derive(Debug)]
pub struct Split<'a> {
    pub format: Option<Format>,
    pub front: &'a str,
    /// 1-based line of the first line inside the front matter.
    pub front_line: usize,
    pub body: &'a str,
    /// 1-based line of the first body line.
    pub body_line: usize,
}

/// Cuts `text` at its front-matter fences. A file without front matter is
/// all body; an opening fence without a closing one is an error.
pub fn split(text: &str) -> Result<Split<'_>, (usize, String)> {
    let first_line_end = text.find('\n').map(|i| i + 1).unwrap_or(text.len());
    let opening = text[..first_line_end].trim_end();
    let format = match opening {
        "---" => Format::Yaml,
        "+++" => Format::Toml,
        _ => {
            return Ok(Split {
                format: None,
                front: "",
                front_line: 1,
                body: text,
                body_line: 1,
            });
        }
    };
    let rest = &text[first_line_end..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == opening {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let front_lines = front.matches('\n').count();
            return Ok(Split {
                format: Some(format),
                front,
                front_line: 2,
                body,
                body_line: 2 + front_lines + 1,
            });
        }
        offset += line.len();
    }
    Err((
        1,
        format!("the front matter opened with `{opening}` is never closed"),
    ))
}

/// A position-aware view of a parsed front-matter map, used to report each
/// bad key at its line.
pub struct FrontMatter<'a> {
    pub map: Map<String, Value>,
    text: &'a str,
    first_line: usize,
    pub problems: Vec<(Option<usize>, String, Option<String>)>,
}

/// Parses the front-matter text of `split` into a map. Syntax errors come
/// back with their line (in the whole file) and column.
pub fn parse<'a>(split: &Split<'a>) -> Result<FrontMatter<'a>, Diagnostic> {
    let located = |line: usize, column: Option<usize>, message: String| {
        let mut location = crate::diagnostics::Location::line("", line);
        location.column = column;
        Diagnostic::error(Some(location), message)
    };
    let value = match split.format {
        None => Value::Object(Map::new()),
        Some(Format::Yaml) => {
            if split.front.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                match serde_norway::from_str::<Value>(split.front) {
                    Ok(value) => value,
                    Err(error) => {
                        let (line, column) = error
                            .location()
                            .map(|l| (l.line() + split.front_line - 1, Some(l.column())))
                            .unwrap_or((split.front_line, None));
                        let message = strip_yaml_position(&error.to_string());
                        return Err(located(
                            line,
                            column,
                            format!("front matter is not valid YAML: {message}"),
                        )
                        .with_hint(
                            "check quoting and indentation; values with `:` or `#` need quotes",
                        ));
                    }
                }
            }
        }
        Some(Format::Toml) => match split.front.parse::<toml::Table>() {
            Ok(table) => toml_to_json(toml::Value::Table(table)),
            Err(error) => {
                let (line, column) = error
                    .span()
                    .map(|span| {
                        let (line, column) = line_column(split.front, span.start);
                        (line + split.front_line - 1, Some(column))
                    })
                    .unwrap_or((split.front_line, None));
                return Err(located(
                    line,
                    column,
                    format!("front matter is not valid TOML: {}", error.message().trim()),
                )
                .with_hint("strings need double quotes, e.g. title = \"Bursa kerja\""));
            }
        },
    };
    let map = match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(located(
                split.front_line,
                None,
                "front matter must be a list of `key: value` pairs".to_string(),
            ));
        }
    };
    Ok(FrontMatter {
        map,
        text: split.front,
        first_line: split.front_line,
        problems: Vec::new(),
    })
}

/// serde_norway appends " at line X column Y" itself; we print positions in
/// our own format, so drop it.
fn strip_yaml_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

/// TOML datetimes become their RFC 3339 text, like YAML's unquoted dates.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

impl FrontMatter<'_> {
    /// Line of a top-level key in the whole file.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        find_top_level_key_line(self.text, key).map(|line| line + self.first_line - 1)
    }

    /// Line of a key at any depth (a taxonomy inside `taxonomies:`).
    fn line_of_nested(&self, key: &str) -> Option<usize> {
        self.line_of(key)
            .or_else(|| find_key_line(self.text, key).map(|line| line + self.first_line - 1))
    }

    /// Lines of every top-level key, for later stages' messages (every
    /// page asks: found in one pass over the front matter, not one per
    /// key).
    pub fn key_lines(&self) -> BTreeMap<String, usize> {
        let keys: Vec<&str> = self.map.keys().map(String::as_str).collect();
        find_top_level_key_lines(self.text, &keys)
            .into_iter()
            .map(|(key, line)| (key.to_string(), line + self.first_line - 1))
            .collect()
    }

    fn problem(&mut self, key: &str, message: String, hint: Option<&str>) {
        let line = self.line_of_nested(key);
        self.problems.push((
            line.or(Some(self.first_line)),
            message,
            hint.map(str::to_string),
        ));
    }

    /// Reports every key not in `known` (taxonomy names count as known).
    pub fn reject_unknown(&mut self, known: &[&str], taxonomies: &[String], what: &str) {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !known.contains(&k.as_str()) && !taxonomies.contains(k))
            .cloned()
            .collect();
        for key in unknown {
            let candidates = known
                .iter()
                .copied()
                .chain(taxonomies.iter().map(String::as_str));
            let hint = match did_you_mean(&key, candidates) {
                Some(suggestion) => format!(
                    "did you mean `{suggestion}`? Custom values go under `extra`; a new taxonomy needs a [[taxonomies]] entry in site.toml"
                ),
                None => "custom values go under `extra`; a new taxonomy needs a [[taxonomies]] entry in site.toml".to_string(),
            };
            self.problem(&key, format!("unknown {what} key `{key}`"), Some(&hint));
        }
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Number(n) => Some(n.to_string()),
            other => {
                let shown = short(other);
                self.problem(key, format!("`{key}` must be text, not {shown}"), None);
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.map.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                let shown = short(other);
                self.problem(
                    key,
                    format!("`{key}` must be true or false, not {shown}"),
                    None,
                );
                None
            }
        }
    }

    pub fn integer(&mut self, key: &str) -> Option<i64> {
        match self.map.get(key)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::Null => None,
            other => {
                let shown = short(other);
                self.problem(
                    key,
                    format!("`{key}` must be a whole number, not {shown}"),
                    None,
                );
                None
            }
        }
    }

    pub fn positive(&mut self, key: &str) -> Option<usize> {
        let value = self.integer(key)?;
        if value < 1 {
            self.problem(
                key,
                format!("`{key}` must be at least 1, not {value}"),
                None,
            );
            return None;
        }
        usize::try_from(value).ok()
    }

    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(key)?;
        if allowed.contains(&value.as_str()) {
            return Some(value);
        }
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        self.problem(
            key,
            format!("`{key}` is `{value}`, which is not one of {list}"),
            None,
        );
        None
    }

    /// A list of strings; a single string counts as a list of one (authors
    /// and taxonomy terms are often written that way).
    pub fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.map.get(key).cloned() else {
            return Vec::new();
        };
        self.strings_in(key, &value)
    }

    fn strings_in(&mut self, key: &str, value: &Value) -> Vec<String> {
        match value {
            Value::Null => Vec::new(),
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        Value::Number(n) => out.push(n.to_string()),
                        other => {
                            let shown = short(other);
                            self.problem(
                                key,
                                format!("`{key}` must be a list of text values, but has {shown}"),
                                None,
                            );
                        }
                    }
                }
                out
            }
            other => {
                let shown = short(other);
                self.problem(
                    key,
                    format!("`{key}` must be a list of text values, not {shown}"),
                    Some("write it as a list, e.g. tags: [\"kuota\", \"pendaftaran\"]"),
                );
                Vec::new()
            }
        }
    }

    pub fn date(&mut self, key: &str) -> Option<PageDate> {
        let text = self.string(key)?;
        match parse_date(&text) {
            Some(date) => Some(date),
            None => {
                self.problem(
                    key,
                    format!("`{key}` value `{text}` is not a valid date"),
                    Some("write dates as YYYY-MM-DD (e.g. 2025-11-03) or YYYY-MM-DDTHH:MM:SS"),
                );
                None
            }
        }
    }

    pub fn extra(&mut self) -> Value {
        match self.map.get("extra") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(Value::Object(map)) => Value::Object(map.clone()),
            Some(other) => {
                let shown = short(other);
                self.problem(
                    "extra",
                    format!("`extra` must be a map of `key: value` pairs, not {shown}"),
                    None,
                );
                Value::Object(Map::new())
            }
        }
    }

    /// Taxonomy terms: Zola's `taxonomies: {name: [...]}` map and top-level
    /// keys named after a configured taxonomy, merged without duplicates.
    pub fn taxonomies(&mut self, configured: &[String]) -> BTreeMap<String, Vec<String>> {
        let mut terms: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in configured {
            let values = self.strings(name);
            if !values.is_empty() {
                terms.entry(name.clone()).or_default().extend(values);
            }
        }
        match self.map.get("taxonomies").cloned() {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    if !configured.contains(&name) {
                        let hint = format!(
                            "declare it in site.toml with [[taxonomies]] name = \"{name}\", or remove it"
                        );
                        self.problem(
                            &name,
                            format!("taxonomy `{name}` is not declared in site.toml"),
                            Some(&hint),
                        );
                        continue;
                    }
                    let values = self.strings_in(&name, &value);
                    terms.entry(name).or_default().extend(values);
                }
            }
            Some(other) => {
                let shown = short(&other);
                self.problem(
                    "taxonomies",
                    format!("`taxonomies` must be a map of taxonomy name to terms, not {shown}"),
                    None,
                );
            }
        }
        for values in terms.values_mut() {
            let mut seen = std::collections::BTreeSet::new();
            values.retain(|v| {
                let v = v.trim();
                !v.is_empty() && seen.insert(v.to_string())
            });
        }
        terms.retain(|_, values| !values.is_empty());
        terms
    }
}

fn short(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the text `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

/// A page date: a calendar day, or a day and time when the author gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageDate {
    pub datetime: DateTime,
    pub has_time: bool,
}

impl PageDate {
    pub fn date(&self) -> Date {
        self.datetime.date()
    }

    /// ISO 8601 text: `2025-11-03`, or `2025-11-03T09:30:00` with a time.
    pub fn iso(&self) -> String {
        if self.has_time {
            self.datetime.strftime("%Y-%m-%dT%H:%M:%S").to_string()
        } else {
            self.datetime.date().to_string()
        }
    }
}

/// Accepts `2025-11-03`, `2025-11-03T09:30:00`, `2025-11-03 09:30`, and
/// RFC 3339 with an offset (the local time as written is kept).
pub fn parse_date(text: &str) -> Option<PageDate> {
    let text = text.trim();
    // jiff's `Date` parser also takes a full timestamp and drops its time,
    // so only a bare `YYYY-MM-DD` is read as a date without time.
    if text.len() == 10
        && let Ok(date) = text.parse::<Date>()
    {
        return Some(PageDate {
            datetime: date.at(0, 0, 0, 0),
            has_time: false,
        });
    }
    if let Ok(datetime) = text.parse::<DateTime>() {
        return Some(PageDate {
            datetime,
            has_time: true,
        });
    }
    if let Ok(timestamp) = text.parse::<jiff::Zoned>() {
        return Some(PageDate {
            datetime: timestamp.datetime(),
            has_time: true,
        });
    }
    // RFC 3339 with `Z` or an offset but no time-zone name.
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        let offset = parse_offset(text).unwrap_or(jiff::tz::Offset::UTC);
        return Some(PageDate {
            datetime: offset.to_datetime(timestamp),
            has_time: true,
        });
    }
    None
}

fn parse_offset(text: &str) -> Option<jiff::tz::Offset> {
    if text.ends_with('Z') || text.ends_with('z') {
        return Some(jiff::tz::Offset::UTC);
    }
    let sign_at = text.rfind(['+', '-'])?;
    let (sign, rest) = text[sign_at..].split_at(1);
    let (hours, minutes) = rest.split_once(':')?;
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    let seconds = if sign == "-" { -seconds } else { seconds };
    jiff::tz::Offset::from_seconds(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_body_line() {
        let text = "---\ntitle: A\ndate: 2025-01-01\n---\nBody\n";
        let split = split(text).unwrap();
        assert_eq!(split.format, Some(Format::Yaml));
        assert_eq!(split.front, "title: A\ndate: 2025-01-01\n");
        assert_eq!(split.body, "Body\n");
        assert_eq!(split.body_line, 5);
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        assert!(split("+++\ntitle = \"x\"\n").is_err());
    }

    #[test]
    fn dates_in_common_forms() {
        assert!(!parse_date("2025-11-03").unwrap().has_time);
        assert_eq!(
            parse_date("2025-11-03T09:30:00+08:00").unwrap().iso(),
            "2025-11-03T09:30:00"
        );
        assert_eq!(
            parse_date("2025-11-03 09:30:00").unwrap().iso(),
            "2025-11-03T09:30:00"
        );
        assert!(parse_date("2025-13-01").is_none());
        assert!(parse_date("3 Nov 2025").is_none());
    }
}
