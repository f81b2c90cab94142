//! `/data/figures.json` and `/data/figures.csv`: every number the site
//! shows, with its id, labels, value, unit, date, kind, the query and the
//! hash of the data it was computed from, its source when reported, and
//! the pages that show it. The pages are read back from the rendered HTML
//! (`data-figure` attributes), so the list cannot drift from the site.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::render::stats_view_ids::{TOTAL, cell_id};
use crate::render::{Contents, OutputFile, Site};
use crate::stats::declare::Kind;

pub const JSON_PATH: &str = "data/figures.json";
pub const CSV_PATH: &str = "data/figures.csv";

/// Whole numbers as JSON integers (`7140`, not `7140.0`).
fn json_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// Which pages (site paths with the base path) show each id.
pub fn shown_on(files: &[OutputFile], base_path: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut shown: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        if !file.path.ends_with(".html") {
            continue;
        }
        let ids = match &file.contents {
            Contents::Bytes(bytes) => ids_shown(bytes),
            Contents::Staged(staged) => staged.figure_ids.clone(),
            Contents::Copy(_) => continue,
        };
        let page = format!("{base_path}{}", file.path.trim_end_matches("index.html"));
        for id in ids {
            shown.entry(id).or_default().insert(page.clone());
        }
    }
    shown
}

/// The figure and table ids an HTML page shows (`data-figure="…"`).
pub fn ids_shown(html: &[u8]) -> Vec<String> {
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"data-figure="([^"]+)""#).expect("a valid pattern")
    });
    let Ok(html) = std::str::from_utf8(html) else {
        return Vec::new();
    };
    PATTERN
        .captures_iter(html)
        .map(|capture| capture[1].to_string())
        .collect()
}

/// Every number of the statistics as one JSON record each.
pub fn records(site: &Site, shown: &BTreeMap<String, BTreeSet<String>>) -> Vec<Value> {
    let statistics = &site.statistics;
    let pages = |id: &str| -> Vec<String> {
        shown
            .get(id)
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default()
    };
    let hash = |resource: &str| {
        statistics
            .resources
            .get(resource)
            .map(|r| format!("sha256:{}", r.sha256))
    };
    let mut out = Vec::new();
    for figure in &statistics.figures {
        let decl = &figure.decl;
        let mut record = json!({
            "id": decl.id,
            "label": decl.label,
            "value": figure.value.filter(|_| figure.hidden.is_none()).map(json_number),
            "hidden": figure.hidden,
            "unit": decl.unit,
                "currency": decl.currency,
            "as_of": decl.as_of,
            "programme": decl.origin.page,
            "declared_in": format!("{}:{}", decl.origin.file.display(), decl.origin.line).replace('\\', "/"),
            "anchor": format!("angka-{}", decl.id),
            "pages": pages(&decl.id),
        });
        let map = record.as_object_mut().expect("a JSON object");
        match &decl.kind {
            Kind::Computed(query) => {
                map.insert("kind".into(), json!("computed"));
                map.insert("resource".into(), json!(query.resource));
                map.insert("query".into(), json!(query));
                map.insert("input_sha256".into(), json!(hash(&query.resource)));
            }
            Kind::Reported {
                qualifier,
                source,
                compare_with,
                ..
            } => {
                map.insert("kind".into(), json!("reported"));
                map.insert("qualifier".into(), json!(qualifier));
                map.insert("source".into(), json!(source));
                map.insert("compare_with".into(), json!(compare_with));
                map.insert("reconciliation".into(), json!(figure.reconciliation));
            }
            Kind::Derived { formula } => {
                map.insert("kind".into(), json!("derived"));
                map.insert("formula".into(), json!(formula));
            }
        }
        out.push(record);
    }
    for table in &statistics.tables {
        let decl = &table.decl;
        let query = &decl.query;
        let additive =
            query.measure.counts_rows() || query.measure == crate::stats::declare::Measure::Sum;
        let mut add = |id: String,
                       value: Option<f64>,
                       group: Value,
                       marginal: Vec<Option<String>>| {
            // A hidden number is listed, without its value, with why.
            let hidden = table.hidden.get(&marginal).copied();
            let value = value.filter(|_| hidden.is_none());
            out.push(json!({
                "id": id,
                "label": decl.label,
                "value": value.map(json_number),
                "hidden": hidden,
                "unit": decl.unit,
                "currency": decl.currency,
                "as_of": decl.as_of,
                "programme": decl.origin.page,
                "declared_in": format!("{}:{}", decl.origin.file.display(), decl.origin.line).replace('\\', "/"),
                "kind": "computed",
                "table": decl.id,
                "group": group,
                "resource": query.resource,
                "query": query,
                "input_sha256": hash(&query.resource),
                "anchor": format!("n-{id}"),
                "pages": pages(&id),
            }));
        };
        let row_field = query.by.first().cloned().unwrap_or_default();
        let column_field = query.by.get(1).cloned();
        for (row, cells) in table.rows.iter().zip(&table.cells) {
            for (i, value) in cells.iter().enumerate() {
                let column = table.columns.get(i);
                let mut group = serde_json::Map::new();
                group.insert(row_field.clone(), json!(row));
                if let (Some(field), Some(column)) = (&column_field, column) {
                    group.insert(field.clone(), json!(column));
                }
                let marginal = match column {
                    Some(column) => vec![Some(row.clone()), Some(column.clone())],
                    None => vec![Some(row.clone())],
                };
                add(
                    cell_id(&decl.id, row, column.map(String::as_str)),
                    *value,
                    Value::Object(group),
                    marginal,
                );
            }
            if additive && !table.columns.is_empty() {
                add(
                    cell_id(&decl.id, row, Some(TOTAL)),
                    Some(cells.iter().flatten().sum()),
                    json!({ row_field.clone(): row }),
                    vec![Some(row.clone()), None],
                );
            }
        }
        if additive {
            for (i, column) in table.columns.iter().enumerate() {
                let sum: f64 = table
                    .cells
                    .iter()
                    .filter_map(|r| r.get(i).copied().flatten())
                    .sum();
                add(
                    cell_id(&decl.id, TOTAL, Some(column)),
                    Some(sum),
                    json!({ column_field.clone().unwrap_or_default(): column }),
                    vec![None, Some(column.clone())],
                );
            }
            add(
                cell_id(&decl.id, TOTAL, None),
                Some(table.sum()),
                json!({}),
                vec![None; query.by.len()],
            );
        }
    }
    out
}

/// The two files, JSON for programs and CSV for spreadsheets.
pub fn files(site: &Site, rendered: &[OutputFile]) -> Vec<OutputFile> {
    if !site.statistics.has_figures_or_tables() {
        return Vec::new();
    }
    let shown = shown_on(rendered, &site.config.base_path);
    let records = records(site, &shown);
    let document = json!({
        "generator": format!("kaca {}", env!("CARGO_PKG_VERSION")),
        "description": "Every number shown on this site: what it is, how it was computed or where it was reported, and the pages that show it.",
        "inputs": site.statistics.resources.iter().map(|(name, facts)| {
            // The row count of person-level data counts persons: left out.
            let persons = site.package.as_ref().and_then(|p| p.resources.iter().find(|r| &r.name == name)).is_some_and(|r| r.persons);
            let mut input = json!({ "sha256": facts.sha256, "bytes": facts.bytes });
            if !persons {
                input["rows"] = json!(facts.rows);
            }
            (name.clone(), input)
        }).collect::<serde_json::Map<_, _>>(),
        "figures": records,
    });
    let json_text =
        serde_json::to_string_pretty(&document).expect("JSON values always serialise") + "\n";

    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let languages: Vec<&str> = site
        .config
        .languages
        .iter()
        .map(|l| l.code.as_str())
        .collect();
    let mut header = vec![
        "id".to_string(),
        "kind".into(),
        "value".into(),
        "hidden".into(),
    ];
    header.extend(languages.iter().map(|l| format!("label_{l}")));
    header.extend(languages.iter().map(|l| format!("unit_{l}")));
    header.extend(
        [
            "as_of",
            "programme",
            "resource",
            "table",
            "group",
            "input_sha256",
            "source",
            "pages",
        ]
        .map(String::from),
    );
    let _ = csv.write_record(&header);
    for record in &records {
        let text = |key: &str| match &record[key] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut row = vec![text("id"), text("kind"), text("value"), text("hidden")];
        row.extend(
            languages
                .iter()
                .map(|l| record["label"][*l].as_str().unwrap_or_default().to_string()),
        );
        row.extend(
            languages
                .iter()
                .map(|l| record["unit"][*l].as_str().unwrap_or_default().to_string()),
        );
        let group = record["group"]
            .as_object()
            .map(|g| {
                g.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let source = match &record["source"] {
            Value::Object(s) => format!(
                "{}, {}",
                s["publication"].as_str().unwrap_or_default(),
                s["date"].as_str().unwrap_or_default()
            ),
            _ => String::new(),
        };
        let pages = record["pages"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        row.extend([
            text("as_of"),
            text("programme"),
            text("resource"),
            text("table"),
            group,
            text("input_sha256"),
            source,
            pages,
        ]);
        let row: Vec<String> = row
            .into_iter()
            .map(|cell| crate::output::downloads::neutralise_formula(&cell))
            .collect();
        let _ = csv.write_record(&row);
    }
    let csv_bytes = csv.into_inner().unwrap_or_default();
    vec![
        OutputFile {
            path: JSON_PATH.into(),
            contents: Contents::Bytes(json_text.into_bytes()),
            origin: "the figure register".into(),
        },
        OutputFile {
            path: CSV_PATH.into(),
            contents: Contents::Bytes(csv_bytes),
            origin: "the figure register".into(),
        },
    ]
}
