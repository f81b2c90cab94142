//! Table Schema: field types, how a cell's text becomes a typed value, and
//! the constraints a value must meet. Covers what government exports need:
//! Indonesian numbers (`1.700`, `65,5`) through `decimalChar`/`groupChar`,
//! date patterns, missing-value markers, enumerations and ranges.

use std::borrow::Cow;
use std::cmp::Ordering;

use jiff::civil::{Date, DateTime};
use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    DateTime,
    Year,
    YearMonth,
}

impl FieldType {
    pub const NAMES: [&'static str; 8] = [
        "string",
        "integer",
        "number",
        "boolean",
        "date",
        "datetime",
        "year",
        "yearmonth",
    ];

    pub fn parse(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            "year" => FieldType::Year,
            "yearmonth" => FieldType::YearMonth,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Year => "year",
            FieldType::YearMonth => "yearmonth",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Number)
    }

    /// Types whose values have an order (for min, max, median, ranges).
    pub fn is_ordered(self) -> bool {
        !matches!(self, FieldType::String | FieldType::Boolean)
    }
}

/// A field's privacy role, declared as `"privacy": "..."` in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Points at one person (an id): never published, never shown.
    Identifier,
    /// Singles a person out in combination (age, sex, district): shown
    /// only in groups of at least the minimum size.
    QuasiIdentifier,
    /// Health, disability, finances: shown only in groups.
    Sensitive,
    Public,
    /// No role declared.
    Undeclared,
}

impl Role {
    pub const NAMES: [&'static str; 4] = ["identifier", "quasi-identifier", "sensitive", "public"];

    pub fn parse(name: &str) -> Option<Role> {
        Some(match name {
            "identifier" => Role::Identifier,
            "quasi-identifier" => Role::QuasiIdentifier,
            "sensitive" => Role::Sensitive,
            "public" => Role::Public,
            _ => return None,
        })
    }
}

/// A typed cell value. Text borrows from the reader's record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Missing,
    Text(&'a str),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    Date(Date),
    DateTime(DateTime),
    Year(i32),
    /// Year and month.
    YearMonth(i32, i8),
}

impl Cell<'_> {
    pub fn is_missing(&self) -> bool {
        matches!(self, Cell::Missing)
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Cell::Integer(i) => Some(i as f64),
            Cell::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The value written the way machines read it (`.` decimals, ISO
    /// dates): for downloads, keys and group labels.
    pub fn canonical(&self) -> String {
        match *self {
            Cell::Missing => String::new(),
            Cell::Text(t) => t.to_string(),
            Cell::Integer(i) => i.to_string(),
            Cell::Number(n) => format_number(n),
            Cell::Boolean(b) => b.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::DateTime(d) => d.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            Cell::Year(y) => format!("{y:04}"),
            Cell::YearMonth(y, m) => format!("{y:04}-{m:02}"),
        }
    }

    /// Orders two values of the same field type.
    pub fn compare(&self, other: &Cell<'_>) -> Option<Ordering> {
        match (self, other) {
            (Cell::Integer(a), Cell::Integer(b)) => Some(a.cmp(b)),
            (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => {
                a.as_f64()?.partial_cmp(&b.as_f64()?)
            }
            (Cell::Date(a), Cell::Date(b)) => Some(a.cmp(b)),
            (Cell::DateTime(a), Cell::DateTime(b)) => Some(a.cmp(b)),
            (Cell::Year(a), Cell::Year(b)) => Some(a.cmp(b)),
            (Cell::YearMonth(a, x), Cell::YearMonth(b, y)) => Some((a, x).cmp(&(b, y))),
            (Cell::Text(a), Cell::Text(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// `text.trim()` for a number, without the look for Unicode white space
/// at its ends when it ends in digits, as nearly every number does.
#[inline(always)]
fn trim_number(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_digit() && last.is_ascii_digit() => text,
        _ => text.trim(),
    }
}

/// A year and month as written in a data file: four digits, a dash, two
/// digits (a sign, as in `+1`, is not a month). Read from the bytes at
/// their places: every value of a month field comes through here.
fn read_year_month(text: &str) -> Option<(i32, i8)> {
    let &[y0, y1, y2, y3, b'-', m0, m1] = text.as_bytes() else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| b - b'0');
    let year = [y0, y1, y2, y3]
        .into_iter()
        .try_fold(0i32, |year, b| Some(year * 10 + i32::from(digit(b)?)))?;
    let month = i8::try_from(digit(m0)? * 10 + digit(m1)?).ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

/// Whether a number field's value looks like an Indonesian thousands
/// figure (`900.000`, `1.700`) read as a decimal because no `groupChar` is
/// declared: a whole column would come out a thousand times too small.
#[inline]
pub fn looks_like_thousands(field: &Field, text: &str) -> bool {
    if field.field_type != FieldType::Number
        || field.group_char.is_some()
        || field.decimal_char != "."
    {
        return false;
    }
    let Some((whole, fraction)) = text.trim().split_once('.') else {
        return false;
    };
    fraction.len() == 3
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (1..=3).contains(&whole.trim_start_matches('-').len())
        && whole
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
}

/// Shortest text that reads back as the same number, without exponent.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        let text = format!("{n}");
        if text.contains('e') {
            format!("{n:.10}").trim_end_matches('0').to_string()
        } else {
            text
        }
    }
}

/// A field's `pattern` constraint: as written, and compiled to match a
/// whole value. Two are equal when written alike.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub written: String,
    pub regex: Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.written == other.written
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub required: bool,
    pub unique: bool,
    /// Allowed values as written in the schema (compared typed).
    pub allowed: Option<Vec<String>>,
    pub minimum: Option<String>,
    pub maximum: Option<String>,
    pub pattern: Option<Pattern>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
}

/// How one field's text is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `default`, `any`, or a strftime pattern such as `%d/%m/%Y`.
    pub format: Option<String>,
    pub decimal_char: String,
    pub group_char: Option<String>,
    /// `false`: text around a number (`Rp`, `%`) is ignored.
    pub bare_number: bool,
    pub true_values: Vec<String>,
    pub false_values: Vec<String>,
    pub missing_values: Vec<String>,
    pub constraints: Constraints,
    /// What the field says about a person (`privacy` in the schema).
    pub role: Role,
    /// Everything else the schema says about the field (privacy roles,
    /// units, labels in other languages), kept for later stages.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Why a value was refused; the reader adds where.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    pub rule: &'static str,
    pub message: String,
}

impl Field {
    /// Reads `text` as this field's type, without checking constraints.
    pub fn read<'a>(&self, text: &'a str) -> Result<Cell<'a>, Broken> {
        let mut common = None;
        self.read_common(text, |cell| common = Some(cell));
        match common {
            Some(cell) => Ok(cell),
            None => self.read_in_full(text),
        }
    }

    /// Reads the common values (missing ones, text, plain whole numbers and
    /// decimals, year-months) as [`Field::read`] does and hands the cell to
    /// `put`; any other value `read` reads in full, and `put` is not called.
    // This runs for every value of every data file, inside the loop over a
    // record's values, and is inlined there. `read` kept whole was too
    // large to inline: its result went through memory, and reading it
    // back was the loop's hottest spot. So is a cell returned from here:
    // built on the stack a field at a time and copied on in wider pieces,
    // it is read back before its stores have landed, which stalls. Handed
    // to `put` in each arm, it is written once, where it goes.
    #[inline(always)]
    pub fn read_common<'a>(&self, text: &'a str, put: impl FnOnce(Cell<'a>)) {
        if self.missing_values.iter().any(|m| m == text) {
            put(Cell::Missing);
            return;
        }
        // Plain numbers: no group separator to drop, no text around them,
        // and a decimal separator that cannot be part of a whole number.
        let plain = self.bare_number
            && self.group_char.is_none()
            && matches!(self.decimal_char.as_str(), "." | ",");
        match self.field_type {
            FieldType::String => put(Cell::Text(text)),
            FieldType::Integer if plain => {
                if let Ok(integer) = trim_number(text).parse::<i64>() {
                    put(Cell::Integer(integer));
                }
            }
            FieldType::Number if plain && self.decimal_char == "." => {
                let trimmed = trim_number(text);
                let digits = trimmed
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
                if let Some(number) = digits.then(|| trimmed.parse::<f64>().ok()).flatten() {
                    put(Cell::Number(number));
                }
            }
            FieldType::YearMonth => {
                if let Some((year, month)) = read_year_month(text) {
                    put(Cell::YearMonth(year, month));
                }
            }
            _ => {}
        }
    }

    /// Reads any value but a missing one, and words what is wrong with it.
    fn read_in_full<'a>(&self, text: &'a str) -> Result<Cell<'a>, Broken> {
        let wrong = |expected: &str| Broken {
            rule: "type",
            message: format!("is not {expected}"),
        };
        match self.field_type {
            FieldType::String => Ok(Cell::Text(text)),
            FieldType::Integer => {
                let cleaned = self.clean_number(text);
                cleaned.parse::<i64>().map(Cell::Integer).map_err(|_| {
                    if self.group_char.is_none() && text.contains(['.', ',']) && cleaned.replace(['.', ','], "").parse::<i64>().is_ok() {
                        wrong(&format!(
                            "a whole number (type integer); if `{text}` uses a thousands separator, declare \"groupChar\": \"{}\" for the field",
                            if text.contains('.') { "." } else { "," }
                        ))
                    } else {
                        wrong("a whole number (type integer)")
                    }
                })
            }
            FieldType::Number => {
                let cleaned = self.clean_number(text);
                let value = match &*cleaned {
                    "NaN" => Some(f64::NAN),
                    "INF" => Some(f64::INFINITY),
                    "-INF" => Some(f64::NEG_INFINITY),
                    other
                        if other.chars().all(|c| {
                            c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')
                        }) =>
                    {
                        other.parse::<f64>().ok()
                    }
                    _ => None,
                };
                value.map(Cell::Number).ok_or_else(|| {
                    // Worded only for a value that is not a number: most
                    // values are.
                    wrong(&match &self.group_char {
                        None if text.contains([',', '.']) => format!(
                            "a number (type number); if `{text}` uses Indonesian separators, declare \"decimalChar\": \",\" and \"groupChar\": \".\" for the field"
                        ),
                        _ => "a number (type number)".to_string(),
                    })
                })
            }
            FieldType::Boolean => {
                if self.true_values.iter().any(|v| v == text) {
                    Ok(Cell::Boolean(true))
                } else if self.false_values.iter().any(|v| v == text) {
                    Ok(Cell::Boolean(false))
                } else {
                    Err(wrong(&format!(
                        "true or false (type boolean accepts {} / {})",
                        self.true_values.join(", "),
                        self.false_values.join(", ")
                    )))
                }
            }
            FieldType::Date => self.read_date(text).map(Cell::Date).ok_or_else(|| {
                wrong(&match self.pattern_format() {
                    Some(pattern) => format!("a date in the form {pattern}"),
                    None if Date::strptime("%d/%m/%Y", text).is_ok() || Date::strptime("%d-%m-%Y", text).is_ok() => format!(
                        "a date (YYYY-MM-DD); if `{text}` is day/month/year, declare \"format\": \"{}\" for the field",
                        if text.contains('/') { "%d/%m/%Y" } else { "%d-%m-%Y" }
                    ),
                    None => "a date (YYYY-MM-DD)".to_string(),
                })
            }),
            FieldType::DateTime => self.read_datetime(text).map(Cell::DateTime).ok_or_else(|| {
                wrong(&match self.pattern_format() {
                    Some(pattern) => format!("a date and time in the form {pattern}"),
                    None => "a date and time (YYYY-MM-DDTHH:MM:SS)".to_string(),
                })
            }),
            FieldType::Year => text
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|y| (0..=9999).contains(y) && text.trim().len() == 4)
                .map(Cell::Year)
                .ok_or_else(|| wrong("a year (YYYY)")),
            FieldType::YearMonth => {
                read_year_month(text)
                    .map(|(year, month)| Cell::YearMonth(year, month))
                    .ok_or_else(|| wrong("a year and month (YYYY-MM)"))
            }
        }
    }

    fn pattern_format(&self) -> Option<&str> {
        self.format
            .as_deref()
            .filter(|f| *f != "default" && *f != "any")
    }

    /// Drops group separators and text around the number, and writes the
    /// decimal separator as `.`. A plain number is returned as it is,
    /// without a copy: this runs on every value of a number field.
    fn clean_number<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut text = Cow::Borrowed(text.trim());
        if let Some(group) = &self.group_char
            && !group.is_empty()
            && text.contains(group.as_str())
        {
            text = Cow::Owned(text.replace(group.as_str(), ""));
        }
        if self.decimal_char != "." && text.contains(self.decimal_char.as_str()) {
            text = Cow::Owned(text.replace(self.decimal_char.as_str(), "."));
        }
        if !self.bare_number {
            let trim = |c: char| !(c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
            text = match text {
                Cow::Borrowed(t) => {
                    Cow::Borrowed(t.trim_start_matches(trim).trim_end_matches(trim))
                }
                Cow::Owned(t) => Cow::Owned(
                    t.trim_start_matches(trim)
                        .trim_end_matches(trim)
                        .to_string(),
                ),
            };
        }
        text
    }

    fn read_date(&self, text: &str) -> Option<Date> {
        match self.pattern_format() {
            Some(pattern) => Date::strptime(pattern, text).ok(),
            None if self.format.as_deref() == Some("any") => {
                text.parse::<Date>().ok().or_else(|| {
                    ["%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"]
                        .iter()
                        .find_map(|p| Date::strptime(p, text).ok())
                })
            }
            None => (text.len() == 10)
                .then(|| text.parse::<Date>().ok())
                .flatten(),
        }
    }

    fn read_datetime(&self, text: &str) -> Option<DateTime> {
        match self.pattern_format() {
            Some(pattern) => DateTime::strptime(pattern, text).ok(),
            None => text
                .trim_end_matches('Z')
                .parse::<DateTime>()
                .ok()
                .filter(|_| text.len() >= 19),
        }
    }

    /// Checks a read value against the field's constraints (all but
    /// `unique`, which needs the whole column). For many values of one
    /// field, [`ValueRules`] reads the constraints once.
    pub fn check(&self, cell: &Cell<'_>, text: &str) -> Result<(), Broken> {
        ValueRules::new(self).check(cell, text)
    }
}

/// A field's constraints read once, for checking many values: the allowed
/// values and the bounds are written as text in the schema, and reading
/// them again for every value made a file with an `enum` a quarter slower
/// to check.
pub struct ValueRules<'f> {
    field: &'f Field,
    /// No rule but `required`: a present value passes.
    unconstrained: bool,
    allowed: Option<Allowed<'f>>,
    minimum: Option<Cell<'f>>,
    maximum: Option<Cell<'f>>,
}

/// The allowed values of a field: those compared as written (a text
/// field's, and any that is not of the field's type) and those compared as
/// read (a number's `1.0` allows `1`).
struct Allowed<'f> {
    written: rustc_hash::FxHashSet<&'f str>,
    typed: Vec<Cell<'f>>,
}

impl<'f> ValueRules<'f> {
    pub fn new(field: &'f Field) -> Self {
        let constraints = &field.constraints;
        let allowed = constraints.allowed.as_ref().map(|values| {
            let mut allowed = Allowed {
                written: rustc_hash::FxHashSet::default(),
                typed: Vec::new(),
            };
            for value in values {
                match field.read(value) {
                    // A text cell holds the text as written; a missing
                    // one compares equal to nothing.
                    Ok(Cell::Text(_)) | Err(_) => {
                        allowed.written.insert(value.as_str());
                    }
                    Ok(Cell::Missing) => {}
                    Ok(typed) => allowed.typed.push(typed),
                }
            }
            allowed
        });
        let bound = |value: &'f Option<String>| value.as_deref().and_then(|v| field.read(v).ok());
        ValueRules {
            field,
            unconstrained: allowed.is_none()
                && constraints.minimum.is_none()
                && constraints.maximum.is_none()
                && constraints.pattern.is_none()
                && constraints.min_length.is_none()
                && constraints.max_length.is_none(),
            allowed,
            minimum: bound(&constraints.minimum),
            maximum: bound(&constraints.maximum),
        }
    }

    /// Whether a value of the field passes without a look at it: the field
    /// has no rule a present value could break (a missing one may still
    /// break `required`). Most fields have no constraints.
    #[inline(always)]
    pub fn passes_unchecked(&self) -> bool {
        self.unconstrained
    }

    /// Checks a value read from `text` against the field's constraints
    /// (all but `unique`, which needs the whole column).
    pub fn check(&self, cell: &Cell<'_>, text: &str) -> Result<(), Broken> {
        let constraints = &self.field.constraints;
        if cell.is_missing() {
            if constraints.required {
                return Err(Broken {
                    rule: "required",
                    message: "is empty, but the field is required".into(),
                });
            }
            return Ok(());
        }
        if let Some(allowed) = &self.allowed {
            let ok = allowed.written.contains(text)
                || allowed
                    .typed
                    .iter()
                    .any(|value| value.compare(cell) == Some(Ordering::Equal));
            if !ok {
                let values = constraints.allowed.as_deref().unwrap_or_default();
                return Err(Broken {
                    rule: "enum",
                    message: format!("is not one of the allowed values: {}", shorten(values)),
                });
            }
        }
        if let (Some(min), Some(written)) = (&self.minimum, &constraints.minimum)
            && cell.compare(min) == Some(Ordering::Less)
        {
            return Err(Broken {
                rule: "minimum",
                message: format!("is below the minimum {written}"),
            });
        }
        if let (Some(max), Some(written)) = (&self.maximum, &constraints.maximum)
            && cell.compare(max) == Some(Ordering::Greater)
        {
            return Err(Broken {
                rule: "maximum",
                message: format!("is above the maximum {written}"),
            });
        }
        if let Some(Pattern {
            written: pattern,
            regex,
        }) = &constraints.pattern
            && !regex.is_match(text)
        {
            return Err(Broken {
                rule: "pattern",
                message: format!("does not match the pattern `{pattern}`"),
            });
        }
        if constraints.min_length.is_none() && constraints.max_length.is_none() {
            return Ok(());
        }
        // Counting characters costs a pass over the value: only for a
        // field with a length rule (this runs on every value of a file).
        let length = text.chars().count();
        if let Some(min) = constraints.min_length
            && length < min
        {
            return Err(Broken {
                rule: "minLength",
                message: format!("is shorter than {min} characters"),
            });
        }
        if let Some(max) = constraints.max_length
            && length > max
        {
            return Err(Broken {
                rule: "maxLength",
                message: format!("is longer than {max} characters"),
            });
        }
        Ok(())
    }
}

fn shorten(values: &[String]) -> String {
    let mut shown: Vec<String> = values.iter().take(8).cloned().collect();
    if values.len() > 8 {
        shown.push(format!("… ({} in all)", values.len()));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(field_type: FieldType) -> Field {
        Field {
            name: "x".into(),
            field_type,
            title: None,
            description: None,
            format: None,
            decimal_char: ".".into(),
            group_char: None,
            bare_number: true,
            true_values: vec!["true".into()],
            false_values: vec!["false".into()],
            missing_values: vec!["".into()],
            constraints: Constraints::default(),
            role: Role::Undeclared,
            extra: Default::default(),
        }
    }

    /// `read_common` reads what it reads as `read_in_full` would: the
    /// quick path of the data pass cannot give a value another meaning.
    #[test]
    fn common_values_read_as_in_full() {
        let values = [
            "",
            " ",
            "0",
            "12",
            " 12 ",
            "+5",
            "-3",
            "007",
            "1.5",
            "1,5",
            "1.000",
            "1,000",
            "1e3",
            "1E-2",
            ".5",
            "5.",
            "-",
            "+",
            "e",
            "NaN",
            "INF",
            "-INF",
            "Rp5",
            "5%",
            "2023-07",
            "2023-7",
            "2023-13",
            "+202-01",
            "2023-07-01",
            "abc",
            "٣",
            "9223372036854775808",
            "1_000",
            "\u{a0}7",
        ];
        let separators = [
            (".", None, true),
            (",", None, true),
            (",", Some("."), true),
            (".", Some(","), true),
            (".", None, false),
        ];
        let types = [
            FieldType::String,
            FieldType::Integer,
            FieldType::Number,
            FieldType::YearMonth,
            FieldType::Year,
            FieldType::Date,
            FieldType::Boolean,
        ];
        let mut quick = 0;
        for field_type in types {
            for (decimal, group, bare) in separators {
                let mut f = field(field_type);
                f.decimal_char = decimal.into();
                f.group_char = group.map(Into::into);
                f.bare_number = bare;
                for value in values {
                    let mut common = None;
                    f.read_common(value, |cell| common = Some(cell));
                    let Some(cell) = common else { continue };
                    quick += 1;
                    let expected = match value {
                        "" => Ok(Cell::Missing),
                        _ => f.read_in_full(value).map_err(|broken| broken.message),
                    };
                    assert_eq!(
                        format!("{:?}", Ok::<_, String>(cell)),
                        format!("{expected:?}"),
                        "{field_type:?} with {decimal:?}/{group:?}/{bare}: {value:?}"
                    );
                }
            }
        }
        // Text, plain whole numbers and decimals and year-months do take
        // the quick path.
        assert!(quick > 100, "{quick}");
        let plain = |field_type, value| {
            let mut read = false;
            field(field_type).read_common(value, |_| read = true);
            read
        };
        assert!(plain(FieldType::Integer, "12"));
        assert!(plain(FieldType::Number, "1.5"));
        assert!(plain(FieldType::YearMonth, "2023-07"));
        assert!(plain(FieldType::String, "Balikpapan Kota"));
    }

    #[test]
    fn year_months_are_four_digits_a_dash_and_a_month() {
        let read = |text| field(FieldType::YearMonth).read(text).ok();
        assert_eq!(read("2023-07"), Some(Cell::YearMonth(2023, 7)));
        assert_eq!(read("0001-12"), Some(Cell::YearMonth(1, 12)));
        for wrong in [
            "2023-13",
            "2023-00",
            "2023-7",
            "+202-01",
            "2023/07",
            "23-07",
            "2023-07-01",
            "2O23-07",
            "２０２３-07",
            " 2023-07",
        ] {
            assert_eq!(read(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn indonesian_numbers_with_declared_separators() {
        let mut f = field(FieldType::Number);
        f.decimal_char = ",".into();
        f.group_char = Some(".".into());
        assert_eq!(f.read("1.700").unwrap(), Cell::Number(1700.0));
        assert_eq!(f.read("65,5").unwrap(), Cell::Number(65.5));
        let mut i = field(FieldType::Integer);
        i.group_char = Some(".".into());
        assert_eq!(i.read("7.140").unwrap(), Cell::Integer(7140));
    }

    #[test]
    fn undeclared_separators_explain_themselves() {
        let error = field(FieldType::Number).read("65,5").unwrap_err();
        assert!(error.message.contains("decimalChar"), "{}", error.message);
    }

    #[test]
    fn bare_number_false_ignores_currency_and_percent() {
        let mut f = field(FieldType::Number);
        f.bare_number = false;
        f.group_char = Some(".".into());
        f.decimal_char = ",".into();
        assert_eq!(f.read("Rp5.000").unwrap(), Cell::Number(5000.0));
        assert_eq!(f.read("65,5%").unwrap(), Cell::Number(65.5));
    }

    #[test]
    fn dates_years_and_months() {
        let mut d = field(FieldType::Date);
        assert!(d.read("2025-11-03").is_ok());
        assert!(d.read("03/11/2025").is_err());
        d.format = Some("%d/%m/%Y".into());
        assert_eq!(
            d.read("03/11/2025").unwrap(),
            Cell::Date(jiff::civil::date(2025, 11, 3))
        );
        assert_eq!(
            field(FieldType::YearMonth).read("2025-07").unwrap(),
            Cell::YearMonth(2025, 7)
        );
        assert!(field(FieldType::YearMonth).read("2025-13").is_err());
        // A sign is not a digit: `+1` is no month, `+202` no year.
        assert!(field(FieldType::YearMonth).read("2025-+1").is_err());
        assert!(field(FieldType::YearMonth).read("+202-07").is_err());
        assert!(field(FieldType::YearMonth).read("2025-7").is_err());
        assert!(field(FieldType::Year).read("25").is_err());
    }

    #[test]
    fn plain_and_decorated_numbers_read_alike() {
        let mut f = field(FieldType::Integer);
        assert_eq!(f.read(" 42 ").unwrap(), Cell::Integer(42));
        assert!(f.read("4.2").is_err());
        f.bare_number = false;
        assert_eq!(f.read("Rp 42").unwrap(), Cell::Integer(42));
        f.group_char = Some(".".into());
        assert_eq!(f.read("Rp 1.042 ").unwrap(), Cell::Integer(1042));
    }

    /// Read once or for each value, the constraints decide alike: an
    /// allowed number matches however it is written, an allowed value
    /// that is not of the field's type matches as written, bounds compare
    /// as read.
    #[test]
    fn constraints_read_once_decide_as_written() {
        let mut n = field(FieldType::Number);
        n.constraints.allowed = Some(vec!["1.0".into(), "2.5".into(), "n/a".into()]);
        n.constraints.minimum = Some("1".into());
        n.constraints.maximum = Some("2.50".into());
        let rules = ValueRules::new(&n);
        for (text, rule) in [
            ("1", None),
            ("2.50", None),
            ("3", Some("enum")),
            ("0.5", Some("enum")),
        ] {
            let cell = n.read(text).unwrap();
            assert_eq!(
                rules.check(&cell, text).err().map(|b| b.rule),
                rule,
                "{text}"
            );
            assert_eq!(n.check(&cell, text).err().map(|b| b.rule), rule, "{text}");
        }
        n.missing_values = vec!["n/a".into()];
        assert!(ValueRules::new(&n).check(&Cell::Missing, "n/a").is_ok());
        n.constraints.allowed = None;
        let rules = ValueRules::new(&n);
        assert_eq!(
            rules.check(&Cell::Number(0.5), "0.5").unwrap_err().rule,
            "minimum"
        );
        assert_eq!(
            rules.check(&Cell::Number(2.6), "2.6").unwrap_err().rule,
            "maximum"
        );
        assert!(rules.check(&Cell::Number(2.5), "2.5").is_ok());
        let mut t = field(FieldType::String);
        t.constraints.allowed = Some(vec!["Balikpapan Kota".into(), "".into()]);
        let rules = ValueRules::new(&t);
        assert!(
            rules
                .check(&Cell::Text("Balikpapan Kota"), "Balikpapan Kota")
                .is_ok()
        );
        assert_eq!(
            rules
                .check(&Cell::Text("balikpapan kota"), "balikpapan kota")
                .unwrap_err()
                .rule,
            "enum"
        );
    }

    #[test]
    fn constraints_name_their_rule() {
        let mut f = field(FieldType::Integer);
        f.constraints.minimum = Some("0".into());
        f.constraints.required = true;
        let cell = f.read("-1").unwrap();
        assert_eq!(f.check(&cell, "-1").unwrap_err().rule, "minimum");
        assert_eq!(f.check(&Cell::Missing, "").unwrap_err().rule, "required");
        let mut e = field(FieldType::String);
        e.constraints.allowed = Some(vec!["L".into(), "P".into()]);
        assert_eq!(e.check(&Cell::Text("X"), "X").unwrap_err().rule, "enum");
    }
}
