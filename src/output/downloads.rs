//! Data downloads: each publishable resource as CSV and JSON under
//! `/data/`, and `/data/datapackage.json` describing them with sizes and
//! hashes.

/// Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a
/// formula (CSV injection); a leading apostrophe makes it plain text.
/// Plain numbers such as `-5` stay numbers.
pub fn neutralise_formula(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::data::package::{Package, Resource};
use crate::data::reader;
use crate::data::schema::Cell;
use crate::render::{Contents, OutputFile, hex};

/// The published data package, beside the downloads.
pub const PACKAGE_PATH: &str = "data/datapackage.json";

/// Whether a resource's rows may be published: when it asks for it, and,
/// for rows that are persons, only when they are k-anonymous on the
/// declared quasi-identifiers (checked by `k_anonymity`).
fn rows_requested(resource: &Resource) -> bool {
    resource.publish_rows
}

/// The rarest combination of quasi-identifier values among a person-level
/// resource's rows, if it counts fewer than `k` persons: (the combination,
/// how many). Persons are counted by the identifier field where rows
/// repeat persons.
pub fn k_anonymity(resource: &Resource, k: u64) -> Option<(Vec<(String, String)>, u64)> {
    use crate::data::schema::Role;
    let quasi: Vec<usize> = (0..resource.fields.len())
        .filter(|&i| resource.fields[i].role == Role::QuasiIdentifier)
        .collect();
    let id = resource
        .fields
        .iter()
        .position(|f| f.role == Role::Identifier);
    let mut groups: std::collections::BTreeMap<Vec<String>, std::collections::HashSet<String>> =
        Default::default();
    let mut row = 0u64;
    let _ = reader::scan(resource, &Default::default(), &[], &mut |r| {
        row += 1;
        let key: Vec<String> = quasi.iter().map(|&i| r.cells[i].canonical()).collect();
        let person = match id {
            Some(i) => r.cells[i].canonical(),
            None => row.to_string(),
        };
        groups.entry(key).or_default().insert(person);
    });
    let (key, persons) = groups
        .iter()
        .map(|(k, p)| (k, p.len() as u64))
        .min_by_key(|(_, n)| *n)?;
    (persons < k).then(|| {
        let combination = quasi
            .iter()
            .zip(key)
            .map(|(&i, v)| (resource.fields[i].name.clone(), v.clone()))
            .collect();
        (combination, persons)
    })
}

/// A published file and its size and hash, for the data package and the
/// dataset pages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Download {
    pub path: String,
    pub format: &'static str,
    pub bytes: u64,
    pub sha256: String,
}

/// CSV and JSON of every publishable resource, and the package describing
/// them as published.
pub fn files(
    package: &Package,
    config: &crate::config::Config,
    computed_from: &std::collections::BTreeMap<String, crate::stats::ResourceFacts>,
    diagnostics: &mut crate::diagnostics::Diagnostics,
) -> (Vec<OutputFile>, Vec<(String, Vec<Download>)>) {
    let mut outputs = Vec::new();
    let mut published = Vec::new();
    let mut resources_out = Vec::new();
    for resource in &package.resources {
        if !rows_requested(resource) {
            continue;
        }
        if resource.persons {
            let k = crate::privacy::threshold(resource, config);
            if let Some((combination, persons)) = k_anonymity(resource, k) {
                let shown: Vec<String> = combination
                    .iter()
                    .map(|(f, v)| format!("{f} = {v}"))
                    .collect();
                diagnostics.push(
                    crate::diagnostics::Diagnostic::warning(
                        Some(crate::diagnostics::Location::file(&resource.shown)),
                        format!(
                            "resource `{}`: rows not published: the combination {} describes {persons} {}, fewer than {k}",
                            resource.name,
                            if shown.is_empty() { "(no quasi-identifiers)".to_string() } else { shown.join(", ") },
                            if persons == 1 { "person" } else { "persons" }
                        ),
                    )
                    .with_hint("publish months or age bands instead of exact values, or drop a quasi-identifier column; the site offers the aggregates meanwhile"),
                );
                continue;
            }
        }
        let (csv_bytes, json_bytes, read) = write_resource(resource);
        // The download is read again from the file: it must be the data the
        // figures were computed from, not a version saved in between.
        if computed_from
            .get(&resource.name)
            .is_some_and(|facts| facts.sha256 != read)
        {
            diagnostics.push(
                crate::diagnostics::Diagnostic::error(
                    Some(crate::diagnostics::Location::file(&resource.shown)),
                    format!(
                        "changed while the site was being built: {}; the figures were computed from the earlier version",
                        resource.shown.display()
                    ),
                )
                .with_hint("build again once the file is saved (an export or a sync still running?)"),
            );
            continue;
        }
        let csv_path = format!("data/{}.csv", resource.name);
        let json_path = format!("data/{}.json", resource.name);
        let describe = |path: &str, format: &'static str, bytes: &[u8]| Download {
            path: path.to_string(),
            format,
            bytes: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        };
        let downloads = vec![
            describe(&csv_path, "csv", &csv_bytes),
            describe(&json_path, "json", &json_bytes),
        ];
        resources_out.push(published_resource(resource, &downloads));
        published.push((resource.name.clone(), downloads));
        outputs.push(OutputFile {
            path: csv_path,
            contents: Contents::Bytes(csv_bytes),
            origin: format!("the download of resource `{}`", resource.name),
        });
        outputs.push(OutputFile {
            path: json_path,
            contents: Contents::Bytes(json_bytes),
            origin: format!("the download of resource `{}`", resource.name),
        });
    }
    if !resources_out.is_empty() {
        let mut document: Map<String, Value> = package
            .raw
            .iter()
            .filter(|(k, _)| k.as_str() != "resources")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        document.insert("resources".into(), Value::Array(resources_out));
        let text = serde_json::to_string_pretty(&Value::Object(document))
            .expect("JSON values always serialise")
            + "\n";
        outputs.push(OutputFile {
            path: PACKAGE_PATH.into(),
            contents: Contents::Bytes(text.into_bytes()),
            origin: "the published data package".into(),
        });
    }
    (outputs, published)
}

/// Reads the resource again (it was validated when statistics were
/// computed) and writes it in machine formats.
/// The CSV and JSON downloads of `resource`, and the SHA-256 of the bytes
/// they were made from.
fn write_resource(resource: &Resource) -> (Vec<u8>, Vec<u8>, String) {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Identifier fields are never published.
    let kept: Vec<usize> = published_fields(resource);
    let names: Vec<&str> = kept
        .iter()
        .map(|&i| resource.fields[i].name.as_str())
        .collect();
    let _ = csv.write_record(&names);
    // JSON is written row by row, one object a line: a million rows never
    // exist as a million values in memory.
    let keys: Vec<String> = names
        .iter()
        .map(|n| serde_json::to_string(n).expect("strings serialise"))
        .collect();
    let mut json: Vec<u8> = b"[\n".to_vec();
    let mut first = true;
    let scanned = reader::scan(resource, &Default::default(), &[], &mut |row| {
        let texts: Vec<String> = kept
            .iter()
            .map(|&i| neutralise_formula(&row.cells[i].canonical()))
            .collect();
        let _ = csv.write_record(&texts);
        if !first {
            json.extend_from_slice(b",\n");
        }
        first = false;
        json.extend_from_slice(b"  {");
        for (n, (&i, key)) in kept.iter().zip(&keys).enumerate() {
            if n > 0 {
                json.extend_from_slice(b", ");
            }
            json.extend_from_slice(key.as_bytes());
            json.extend_from_slice(b": ");
            let _ = serde_json::to_writer(&mut json, &json_value(&row.cells[i]));
        }
        json.push(b'}');
    });
    json.extend_from_slice(if first { b"]\n" } else { b"\n]\n" });
    let csv_bytes = csv.into_inner().unwrap_or_default();
    (csv_bytes, json, scanned.sha256)
}

/// Indices of the fields a download contains: all but identifiers.
fn published_fields(resource: &Resource) -> Vec<usize> {
    (0..resource.fields.len())
        .filter(|&i| resource.fields[i].role != crate::data::schema::Role::Identifier)
        .collect()
}

fn json_value(cell: &Cell<'_>) -> Value {
    match *cell {
        Cell::Missing => Value::Null,
        Cell::Integer(i) => json!(i),
        Cell::Number(n) if n.is_finite() => json!(n),
        Cell::Boolean(b) => json!(b),
        _ => Value::String(cell.canonical()),
    }
}

/// The resource as published: the written CSV's path, size and hash; the
/// schema without the reading instructions of the original file (the
/// published file uses `.` decimals, commas and ISO dates).
fn published_resource(resource: &Resource, downloads: &[Download]) -> Value {
    let mut map = resource.raw.clone();
    for key in ["dialect", "encoding", "scheme"] {
        map.remove(key);
    }
    let csv = &downloads[0];
    map.insert("path".into(), json!(csv.path.trim_start_matches("data/")));
    map.insert("format".into(), json!("csv"));
    map.insert("mediatype".into(), json!("text/csv"));
    map.insert("encoding".into(), json!("utf-8"));
    map.insert("bytes".into(), json!(csv.bytes));
    map.insert("hash".into(), json!(format!("sha256:{}", csv.sha256)));
    if let Some(Value::Object(schema)) = map.get_mut("schema") {
        schema.insert("missingValues".into(), json!([""]));
        // Identifier fields are not in the file, nor keys that name them.
        let dropped: Vec<String> = resource
            .fields
            .iter()
            .filter(|f| f.role == crate::data::schema::Role::Identifier)
            .map(|f| f.name.clone())
            .collect();
        if let Some(Value::Array(fields)) = schema.get_mut("fields") {
            fields.retain(|f| {
                !f.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| dropped.iter().any(|d| d == n))
            });
        }
        let names_dropped = |value: &Value| -> bool {
            match value {
                Value::String(s) => dropped.contains(s),
                Value::Array(items) => items
                    .iter()
                    .any(|i| i.as_str().is_some_and(|s| dropped.iter().any(|d| d == s))),
                _ => false,
            }
        };
        if schema.get("primaryKey").is_some_and(names_dropped) {
            schema.remove("primaryKey");
        }
        if let Some(Value::Array(keys)) = schema.get_mut("foreignKeys") {
            keys.retain(|k| !k.get("fields").is_some_and(names_dropped));
        }
        if let Some(Value::Array(fields)) = schema.get_mut("fields") {
            for field in fields.iter_mut().filter_map(Value::as_object_mut) {
                for key in [
                    "decimalChar",
                    "groupChar",
                    "bareNumber",
                    "missingValues",
                    "trueValues",
                    "falseValues",
                ] {
                    field.remove(key);
                }
                // Dates are written in ISO form whatever the source used.
                if field
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f != "default")
                {
                    field.remove("format");
                }
            }
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("-5"), "-5");
        assert_eq!(neutralise_formula("Balikpapan"), "Balikpapan");
    }
}
