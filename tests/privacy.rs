//! Adversarial tests of the privacy guard: they attack the built site the
//! way a curious reader would, with the published numbers, the figure
//! register, the chart files and the knowledge of what the markers mean,
//! and check that nothing that identifies a person, and no number of fewer
//! persons than the threshold, can be read or worked out.
//!
//! Fixtures (all data synthetic; identifiers are sequence numbers):
//!
//! - `good/privacy-persons`: three person-level resources.
//!   `penerima` has 41 persons: 20 in Balikpapan Kota, 20 in Balikpapan
//!   Utara and one alone in Balikpapan Timur (a man aged 60+, the only one
//!   with an aid of 475,000 rupiah). `penyaluran` has monthly deliveries:
//!   one person in Balikpapan Timur has 12 rows, and the resource's own
//!   minimum group size is 12. `alat_bantu` has three persons in all.
//! - `good/privacy-hotline`: an office hotline on the allow-list.
//! - `bad/privacy-*`: identifiers in data and content, and thresholds set
//!   too low; `tests/bad_input.rs` checks their exact reports, this file
//!   checks that no report shows an identifier in full.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{assert_clean, between, build_into, read};
use serde_json::Value;

const PERSONS: &str = "good/privacy-persons";
const HOTLINE: &str = "good/privacy-hotline";

/// The site-wide minimum group size of the persons fixture (the default).
const SITE_K: u64 = 10;

// ---------------------------------------------------------------------
// Building fixtures
// ---------------------------------------------------------------------

/// A fixture copied into a temporary folder (optionally edited) and built
/// into `public/` beside it.
struct Built {
    copy: common::Copy,
    outcome: kaca::BuildOutcome,
}

impl Built {
    fn output(&self) -> PathBuf {
        self.copy.output()
    }

    fn root(&self) -> &Path {
        &self.copy.root
    }
}

fn build_edited(fixture: &str, edit: impl FnOnce(&Path)) -> Built {
    let copy = common::copy_fixture(fixture);
    edit(&copy.root);
    let outcome = build_into(&copy.root, &copy.output());
    Built { copy, outcome }
}

/// The fixture as it is; the build must be clean (no warnings either).
fn build_clean(fixture: &str) -> Built {
    let built = build_edited(fixture, |_| {});
    assert_clean(&built.outcome);
    built
}

/// Replaces `from` (which must occur) by `to` in a file of a copied site.
fn replace_in(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn append_to(root: &Path, file: &str, more: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}{more}")).unwrap();
}

/// Every file of the output with its text (binary files left out).
fn texts(output: &Path) -> Vec<(String, String)> {
    common::list_files(output)
        .into_iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(output.join(&file)).ok()?;
            Some((file, text))
        })
        .collect()
}

// ---------------------------------------------------------------------
// The figure register, and the truth behind it
// ---------------------------------------------------------------------

fn register(output: &Path) -> Vec<Value> {
    let document: Value = serde_json::from_str(&read(output, "data/figures.json")).unwrap();
    document["figures"].as_array().unwrap().clone()
}

fn entry<'a>(register: &'a [Value], id: &str) -> &'a Value {
    register
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("`{id}` is not in figures.json"))
}

fn hidden(entry: &Value) -> Option<&str> {
    entry["hidden"].as_str()
}

/// The published values of the figures `ids` (`None` where hidden).
fn values(register: &[Value], ids: &[&str]) -> Vec<Option<f64>> {
    ids.iter()
        .map(|id| entry(register, id)["value"].as_f64())
        .collect()
}

/// The rows of a resource of the fixture, as field → value. The fixture's
/// CSV files are plain: commas, no quotes.
fn csv_rows(root: &Path, resource: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(root.join("data").join(format!("{resource}.csv"))).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(line.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// The minimum group size of a resource, read from the fixture's files.
fn threshold(root: &Path, resource: &str) -> u64 {
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("data/datapackage.json")).unwrap())
            .unwrap();
    package["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == resource)
        .and_then(|r| r["min_cell_size"].as_u64())
        .unwrap_or(SITE_K)
}

/// What a computed number of the register really is, from the CSV.
#[derive(Debug, Clone, Copy)]
struct Truth {
    value: Option<f64>,
    persons: usize,
    rows: usize,
}

/// The conditions a computed entry selects rows by: its filter's single
/// values and its group. `None` when the filter has other conditions.
fn conditions(entry: &Value) -> Option<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for condition in entry["query"]["filter"].as_array().into_iter().flatten() {
        let values = condition["values"].as_array()?;
        out.insert(
            condition["field"].as_str()?.to_string(),
            values
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
        );
    }
    for (field, value) in entry["group"].as_object().into_iter().flatten() {
        out.insert(field.clone(), vec![value.as_str().unwrap().to_string()]);
    }
    Some(out)
}

fn truth(root: &Path, entry: &Value) -> Option<Truth> {
    let resource = entry["resource"].as_str()?;
    let conditions = conditions(entry)?;
    let rows = csv_rows(root, resource);
    let selected: Vec<&BTreeMap<String, String>> = rows
        .iter()
        .filter(|row| {
            conditions
                .iter()
                .all(|(field, values)| values.contains(&row[field]))
        })
        .collect();
    let persons: BTreeSet<&String> = selected.iter().map(|r| &r["id_penerima"]).collect();
    let numbers = |field: &str| -> Vec<f64> {
        selected
            .iter()
            .map(|r| r[field].parse::<f64>().unwrap())
            .collect()
    };
    let query = &entry["query"];
    let value = match query["measure"].as_str()? {
        "count" => Some(selected.len() as f64),
        "sum" => Some(numbers(query["field"].as_str()?).iter().sum()),
        "mean" => {
            let values = numbers(query["field"].as_str()?);
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        }
        _ => return None,
    };
    Some(Truth {
        value,
        persons: persons.len(),
        rows: selected.len(),
    })
}

/// A number as the site may write it: plain, and with the Indonesian
/// and English thousands separators.
fn spellings(value: f64) -> Vec<String> {
    if value.fract() != 0.0 {
        return vec![format!("{value}"), format!("{value}").replace('.', ",")];
    }
    let plain = format!("{}", value as i64);
    let mut grouped = String::new();
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let mut out = vec![plain, grouped.clone(), grouped.replace('.', ",")];
    out.dedup();
    out
}

// ---------------------------------------------------------------------
// Identifiers in data and content (the bad/ fixtures)
// ---------------------------------------------------------------------

/// Runs `kaca check` on a bad fixture (without its expected report).
fn check_bad(case: &str) -> String {
    let copy = common::copy_site(&common::fixture(&format!("bad/{case}")));
    let _ = std::fs::remove_file(copy.root.join("expected.txt"));
    let outcome = common::check(&copy.root);
    assert!(!outcome.succeeded(), "`{case}` passed the check");
    outcome.diagnostics.report()
}

/// Panics when the report shows `value`, even with its separators changed
/// (digits compared without spaces, dots and hyphens).
fn assert_never_in_full(report: &str, value: &str) {
    assert!(
        !report.contains(value),
        "the report shows `{value}`:\n{report}"
    );
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 8 {
        let report_digits: String = report
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '+'))
            .collect();
        assert!(
            !report_digits.contains(&digits),
            "the report shows the digits of `{value}`:\n{report}"
        );
    }
}

#[test]
fn a_nik_column_under_an_innocent_name_fails_and_is_shown_masked() {
    let report = check_bad("privacy-nik-in-innocent-column");
    for (line, record, masked) in [(2, 1, "12••••••••••••56"), (3, 2, "65••••••••••••21")]
    {
        let expected = format!(
            "data/warga.csv:{line}: resource `warga`, record {record}, field `kode_warga`: value `{masked}` looks like a 16-digit NIK or KK number"
        );
        assert!(report.contains(&expected), "no `{expected}` in:\n{report}");
    }
    assert_never_in_full(&report, "1234567890123456");
    assert_never_in_full(&report, "6543210987654321");
}

#[test]
fn niks_with_separators_inside_free_text_fail_and_are_shown_masked() {
    let report = check_bad("privacy-nik-with-separators-in-text");
    assert!(
        report.contains("data/pengaduan.csv:3: resource `pengaduan`, record 2, field `catatan`: value `12••.••••.••••.••56`"),
        "{report}"
    );
    assert!(
        report.contains("data/pengaduan.csv:4: resource `pengaduan`, record 3, field `catatan`: value `12•• •••• •••• ••56`"),
        "{report}"
    );
    assert_never_in_full(&report, "1234.5678.9012.3456");
    assert_never_in_full(&report, "1234 5678 9012 3456");
}

#[test]
fn phone_numbers_in_data_and_content_fail_and_are_shown_masked() {
    let report = check_bad("privacy-phone-in-csv-text");
    assert!(
        report.contains("data/pengaduan.csv:3: resource `pengaduan`, record 2, field `catatan`: value `08••-••••-••00` looks like a phone number"),
        "{report}"
    );
    assert_never_in_full(&report, "0812-0000-0000");

    let report = check_bad("privacy-phone-in-announcement");
    // Line 3 is the front matter's `description`, line 8 the body.
    assert!(
        report.contains(
            "content/pengumuman/2025-11-03-bursa-kerja.md:3: this looks like a phone number"
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "content/pengumuman/2025-11-03-bursa-kerja.md:8: this looks like a phone number"
        ),
        "{report}"
    );
    assert_never_in_full(&report, "+62 812 0000 0000");
    assert_never_in_full(&report, "0812 0000 0000");
}

#[test]
fn e_mail_addresses_names_and_birth_dates_fail() {
    let report = check_bad("privacy-email-in-content");
    assert!(
        report.contains(
            "content/ppid.md:5: this looks like an e-mail address of a person (`x•••@c•••`)"
        ),
        "{report}"
    );
    assert_never_in_full(&report, "x@contoh.example");

    let report = check_bad("privacy-name-column-undeclared");
    assert!(
        report
            .contains("resource `penerima`, field `nama_penerima`: the name says it holds a name"),
        "{report}"
    );
    assert!(!report.contains("Nama Contoh"), "{report}");

    let report = check_bad("privacy-birth-date-column");
    assert!(
        report.contains(
            "resource `penerima`, field `tanggal_lahir`: the name says it holds a birth date"
        ),
        "{report}"
    );
    assert!(!report.contains("1990-01-01"), "{report}");

    let report = check_bad("privacy-date-undeclared-person-level");
    assert!(
        report.contains(
            "resource `penerima`, field `tanggal_daftar`: an exact date in person-level data"
        ),
        "{report}"
    );
}

// ---------------------------------------------------------------------
// Reviewed exceptions
// ---------------------------------------------------------------------

#[test]
fn an_allow_listed_hotline_builds_and_the_methodology_page_lists_it() {
    let site = build_clean(HOTLINE);
    let contact = read(&site.output(), "kontak/index.html");
    assert!(contact.contains("(0542) 123456"));
    // The same number in another spelling is the same reviewed number.
    assert!(contact.contains("+62 542 123456"));

    let methodology = read(&site.output(), "metodologi/index.html");
    let rules = between(&methodology, r#"id="aturan-privasi""#, "</section>");
    assert!(
        rules.contains(
            "<li><code>(0542) 123456</code>: hotline resmi Disnaker (contoh) (ditinjau oleh PPID Contoh, 2025-11-01)</li>"
        ),
        "{rules}"
    );
    assert!(rules.contains("kurang dari 10"), "{rules}");
}

#[test]
fn the_same_hotline_without_a_review_fails() {
    let site = build_edited(HOTLINE, |root| {
        let text = std::fs::read_to_string(root.join("site.toml")).unwrap();
        let cut = text.find("[[privacy.allow]]").unwrap();
        std::fs::write(root.join("site.toml"), &text[..cut]).unwrap();
    });
    assert!(!site.outcome.succeeded());
    let report = site.outcome.diagnostics.report();
    for line in [3, 6, 7] {
        assert!(
            report.contains(&format!(
                "content/kontak.md:{line}: this looks like a phone number of a person"
            )),
            "no finding on line {line}:\n{report}"
        );
    }
    assert_eq!(site.outcome.diagnostics.error_count(), 3, "{report}");
    assert_never_in_full(&report, "(0542) 123456");
    assert!(!site.output().exists(), "a failed build wrote the site");
}

// ---------------------------------------------------------------------
// Small cells
// ---------------------------------------------------------------------

#[test]
fn a_one_person_cell_is_shown_as_below_the_threshold_everywhere() {
    let site = build_clean(PERSONS);
    let output = site.output();
    let truth = truth(
        site.root(),
        entry(
            &register(&output),
            "penerima-per-kecamatan--balikpapan-timur",
        ),
    )
    .unwrap();
    assert_eq!(truth.persons, 1, "the fixture changed");

    let page = read(&output, "program/bantuan/index.html");
    for id in [
        "penerima-per-kecamatan--balikpapan-timur",
        "penerima-per-kecamatan-jk--balikpapan-timur--l",
        "penerima-timur",
    ] {
        assert!(
            page.contains(&format!(r#"data-figure="{id}" data-hidden="small""#)),
            "{id} is not marked hidden"
        );
        let shown = between(&page, &format!(r#"data-figure="{id}""#), "</span>");
        assert!(shown.ends_with(">&lt;10</span>"), "{id} shows {shown}");
        assert!(!page.contains(&format!(r#"data-figure="{id}">1<"#)));
        let entry = entry(&register(&output), id).clone();
        assert_eq!(entry["value"], Value::Null, "{id}");
        assert_eq!(entry["hidden"], "primary", "{id}");
    }
    // The note under the table links to the rules.
    assert!(page.contains(r#"<a href="/metodologi/#aturan-privasi">"#));

    let chart_csv = read(&output, "data/charts/penerima-per-kecamatan.csv");
    assert!(
        chart_csv.contains("Balikpapan Timur,hidden:small\r\n"),
        "{chart_csv}"
    );
    let svg = read(&output, "data/charts/penerima-per-kecamatan.svg");
    let desc = between(&svg, "<desc", "</desc>");
    assert!(desc.contains("Balikpapan Timur: &lt;10"), "{desc}");
    let svg = read(&output, "data/charts/penerima-per-kecamatan-jk.svg");
    let desc = between(&svg, "<desc", "</desc>");
    assert!(desc.contains("Balikpapan Timur: L &lt;10, P 0"), "{desc}");
}

#[test]
fn a_cell_that_the_total_would_give_away_gets_a_second_one_hidden() {
    let site = build_clean(PERSONS);
    let output = site.output();
    let register = register(&output);
    // By kecamatan: 20, 20, 1 and the total 41. With only the 1 hidden,
    // 41 − 20 − 20 would show it.
    let cells = [
        "penerima-per-kecamatan--balikpapan-kota",
        "penerima-per-kecamatan--balikpapan-utara",
        "penerima-per-kecamatan--balikpapan-timur",
    ];
    let reasons: Vec<Option<&str>> = cells
        .iter()
        .map(|id| hidden(entry(&register, id)))
        .collect();
    assert_eq!(reasons[2], Some("primary"));
    // At least one more is hidden (with the second table over the same
    // data, and what the markers say, more may be needed).
    assert!(
        reasons
            .iter()
            .filter(|r| **r == Some("complementary"))
            .count()
            >= 1,
        "{reasons:?}"
    );
    // The total is the same number as the figure `penerima`: shown as 41,
    // or hidden in both places.
    let total = entry(&register, "penerima-per-kecamatan--total");
    if total["hidden"].is_null() {
        assert_eq!(total["value"], 41);
    }
    assert_eq!(total["hidden"], entry(&register, "penerima")["hidden"]);
    let page = read(&output, "program/bantuan/index.html");
    for (id, reason) in cells.iter().zip(&reasons) {
        if *reason == Some("complementary") {
            let shown = between(&page, &format!(r#"data-figure="{id}""#), "</span>");
            assert!(shown.contains(r#"data-hidden="complementary""#), "{shown}");
            assert!(shown.ends_with(">•</span>"), "{id} shows {shown}");
        }
    }
    common::assert_no_line_has_one_hidden_number(&register, 10);
}

#[test]
fn two_tables_over_the_same_data_hide_the_same_cells_and_give_nothing_away() {
    let site = build_clean(PERSONS);
    let register = register(&site.output());
    // The cells of the table by kecamatan are the row totals of the table
    // by kecamatan × sex: one decision for both.
    for kecamatan in ["balikpapan-kota", "balikpapan-utara", "balikpapan-timur"] {
        let alone = entry(&register, &format!("penerima-per-kecamatan--{kecamatan}"));
        let row_total = entry(
            &register,
            &format!("penerima-per-kecamatan-jk--{kecamatan}--total"),
        );
        assert_eq!(alone["hidden"], row_total["hidden"], "{kecamatan}");
        assert_eq!(alone["value"], row_total["value"], "{kecamatan}");
    }
    // The one-person cell is hidden in both, and so is a second cell of
    // its row (the zero does not protect it) and of its column.
    assert_eq!(
        hidden(entry(
            &register,
            "penerima-per-kecamatan-jk--balikpapan-timur--l"
        )),
        Some("primary")
    );
    common::assert_no_line_has_one_hidden_number(&register, 10);
    let exposed = linearly_determined(&register);
    assert!(
        exposed.is_empty(),
        "hidden numbers that follow from the published ones: {exposed:?}"
    );
}

// ---------------------------------------------------------------------
// An attacker's equations over the register
// ---------------------------------------------------------------------

/// The name of an additive quantity: resource, measure, field and the
/// conditions of its cell (single-value filters and group).
fn variable(resource: &str, measure: &str, field: &str, key: &BTreeMap<String, String>) -> String {
    let key: Vec<String> = key.iter().map(|(f, v)| format!("{f}={v}")).collect();
    format!("{resource}|{measure}|{field}|{}", key.join(";"))
}

/// What the register publishes as equations, as a reader can rebuild them
/// with no help from kaca: every table adds up along its rows, columns
/// and totals; a figure filtered on several values of a field is the sum
/// of the cells for those values; equal conditions are the same number.
struct System {
    /// Each equation: Σ coefficient × variable = 0.
    equations: Vec<BTreeMap<String, i128>>,
    /// Published values.
    known: BTreeMap<String, f64>,
    /// Hidden variables and why.
    hidden: BTreeMap<String, String>,
    /// The register id behind each variable (for messages).
    ids: BTreeMap<String, String>,
}

fn system(register: &[Value]) -> System {
    let mut out = System {
        equations: Vec::new(),
        known: BTreeMap::new(),
        hidden: BTreeMap::new(),
        ids: BTreeMap::new(),
    };
    let mut tables: BTreeMap<&str, (&Value, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for entry in register {
        if entry["kind"] != "computed" {
            continue;
        }
        let query = &entry["query"];
        let measure = query["measure"].as_str().unwrap();
        if !matches!(measure, "count" | "sum") {
            continue;
        }
        let resource = entry["resource"].as_str().unwrap();
        let field = query["field"].as_str().unwrap_or("");
        let mut key: BTreeMap<String, String> = BTreeMap::new();
        let mut several: Option<(String, Vec<String>)> = None;
        for condition in query["filter"].as_array().into_iter().flatten() {
            let name = condition["field"].as_str().unwrap().to_string();
            match condition["values"].as_array() {
                Some(values) if values.len() == 1 => {
                    key.insert(name, values[0].as_str().unwrap().to_string());
                }
                Some(values) => {
                    several = Some((
                        name,
                        values
                            .iter()
                            .map(|v| v.as_str().unwrap().to_string())
                            .collect(),
                    ))
                }
                None => return_unsupported(entry),
            }
        }
        for (name, value) in entry["group"].as_object().into_iter().flatten() {
            key.insert(name.clone(), value.as_str().unwrap().to_string());
        }
        let name = match &several {
            // The figure itself is its own quantity, equal to a sum.
            Some((field_name, values)) => {
                let name = format!(
                    "{}|{field_name}∈{values:?}",
                    variable(resource, measure, field, &key)
                );
                let mut equation: BTreeMap<String, i128> = BTreeMap::from([(name.clone(), 1)]);
                for value in values {
                    let mut part = key.clone();
                    part.insert(field_name.clone(), value.clone());
                    *equation
                        .entry(variable(resource, measure, field, &part))
                        .or_default() -= 1;
                }
                out.equations.push(equation);
                name
            }
            None => variable(resource, measure, field, &key),
        };
        out.ids
            .entry(name.clone())
            .or_insert_with(|| entry["id"].as_str().unwrap().to_string());
        match (entry["hidden"].as_str(), entry["value"].as_f64()) {
            (Some(reason), _) => {
                out.hidden.insert(name, reason.to_string());
            }
            (None, Some(value)) => {
                out.known.insert(name, value);
            }
            (None, None) => {}
        }
        if let Some(table) = entry["table"].as_str() {
            let slot = tables
                .entry(table)
                .or_insert_with(|| (entry, BTreeSet::new(), BTreeSet::new()));
            let by: Vec<&str> = query["by"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_str().unwrap())
                .collect();
            if let Some(v) = entry["group"][by[0]].as_str() {
                slot.1.insert(v.to_string());
            }
            if let Some(v) = by.get(1).and_then(|b| entry["group"][*b].as_str()) {
                slot.2.insert(v.to_string());
            }
        }
    }
    for (any, rows, columns) in tables.values() {
        let query = &any["query"];
        let resource = any["resource"].as_str().unwrap();
        let measure = query["measure"].as_str().unwrap();
        let field = query["field"].as_str().unwrap_or("");
        let by: Vec<String> = query["by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_string())
            .collect();
        let mut base: BTreeMap<String, String> = BTreeMap::new();
        for condition in query["filter"].as_array().into_iter().flatten() {
            if let Some([value]) = condition["values"].as_array().map(Vec::as_slice) {
                base.insert(
                    condition["field"].as_str().unwrap().to_string(),
                    value.as_str().unwrap().to_string(),
                );
            }
        }
        let var = |pairs: &[(&String, &String)]| {
            let mut key = base.clone();
            for (f, v) in pairs {
                key.insert((*f).clone(), (*v).clone());
            }
            variable(resource, measure, field, &key)
        };
        let mut add = |parent: String, children: Vec<String>| {
            let mut equation: BTreeMap<String, i128> = BTreeMap::from([(parent, 1)]);
            for child in children {
                *equation.entry(child).or_default() -= 1;
            }
            out.equations.push(equation);
        };
        if by.len() == 1 {
            add(var(&[]), rows.iter().map(|r| var(&[(&by[0], r)])).collect());
        } else {
            for r in rows {
                add(
                    var(&[(&by[0], r)]),
                    columns
                        .iter()
                        .map(|c| var(&[(&by[0], r), (&by[1], c)]))
                        .collect(),
                );
            }
            for c in columns {
                add(
                    var(&[(&by[1], c)]),
                    rows.iter()
                        .map(|r| var(&[(&by[0], r), (&by[1], c)]))
                        .collect(),
                );
            }
            add(var(&[]), rows.iter().map(|r| var(&[(&by[0], r)])).collect());
            add(
                var(&[]),
                columns.iter().map(|c| var(&[(&by[1], c)])).collect(),
            );
        }
    }
    out
}

fn return_unsupported(entry: &Value) -> ! {
    panic!("the attacker's model reads only value filters: {entry}")
}

/// The hidden numbers (register ids) that the published ones determine:
/// their unit vector lies in the row space of the equations over the
/// unknowns (exact integer elimination).
fn linearly_determined(register: &[Value]) -> Vec<String> {
    let system = system(register);
    let mut unknowns: BTreeSet<&String> = BTreeSet::new();
    for equation in &system.equations {
        unknowns.extend(equation.keys().filter(|v| !system.known.contains_key(*v)));
    }
    unknowns.extend(system.hidden.keys());
    let unknowns: Vec<&String> = unknowns.into_iter().collect();
    let index: BTreeMap<&String, usize> =
        unknowns.iter().enumerate().map(|(i, v)| (*v, i)).collect();
    let rows: Vec<Vec<i128>> = system
        .equations
        .iter()
        .map(|equation| {
            let mut row = vec![0i128; unknowns.len()];
            for (v, c) in equation {
                if let Some(&i) = index.get(v) {
                    row[i] += c;
                }
            }
            row
        })
        .filter(|row| row.iter().any(|c| *c != 0))
        .collect();
    system
        .hidden
        .keys()
        .filter(|v| {
            let mut unit = vec![0i128; unknowns.len()];
            unit[index[v]] = 1;
            common::in_row_space(&rows, unit)
        })
        .map(|v| system.ids[v].clone())
        .collect()
}

/// What a reader knows of each number from its marker alone, for counts
/// of a resource whose rows are persons: `<k` is 1 … k−1 (zero is shown as
/// zero), `•` is k or more (a small one would say `<k`), a shown number is
/// itself, an unpublished total is 0 or more. Then the equations narrow
/// these ranges (interval propagation, as an attacker would with a
/// spreadsheet). Returns the hidden numbers pinned to a single value.
fn pinned_by_markers(register: &[Value], root: &Path) -> Vec<(String, f64)> {
    let system = system(register);
    let resource_of = |v: &str| v.split('|').next().unwrap().to_string();
    // Rows are persons where the identifier never repeats.
    let rows_are_persons = |resource: &str| {
        let rows = csv_rows(root, resource);
        let ids: BTreeSet<&String> = rows.iter().map(|r| &r["id_penerima"]).collect();
        ids.len() == rows.len()
    };
    let mut bounds: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut names: BTreeSet<String> = system.known.keys().cloned().collect();
    names.extend(system.hidden.keys().cloned());
    for equation in &system.equations {
        names.extend(equation.keys().cloned());
    }
    for name in names {
        let counts_persons = name.contains("|count|") && rows_are_persons(&resource_of(&name));
        let k = threshold(root, &resource_of(&name)) as f64;
        let range = match (
            system.known.get(&name),
            system.hidden.get(&name).map(String::as_str),
        ) {
            (Some(value), _) => (*value, *value),
            (None, Some("primary")) if counts_persons => (1.0, k - 1.0),
            (None, Some("primary")) => (1.0, f64::INFINITY),
            (None, Some(_)) if name.contains("|count|") => (k, f64::INFINITY),
            _ => (0.0, f64::INFINITY),
        };
        bounds.insert(name, range);
    }
    for _ in 0..100 {
        let mut changed = false;
        for equation in &system.equations {
            for (target, coefficient) in equation {
                // coefficient × target = −Σ others
                let (mut low, mut high) = (0.0, 0.0);
                for (other, c) in equation {
                    if other == target {
                        continue;
                    }
                    let (lo, hi) = bounds[other];
                    let (a, b) = if *c > 0 {
                        (-(*c as f64) * hi, -(*c as f64) * lo)
                    } else {
                        (-(*c as f64) * lo, -(*c as f64) * hi)
                    };
                    low += a;
                    high += b;
                }
                let (low, high) = if *coefficient > 0 {
                    (low / *coefficient as f64, high / *coefficient as f64)
                } else {
                    (high / *coefficient as f64, low / *coefficient as f64)
                };
                let slot = bounds.get_mut(target).unwrap();
                let narrowed = (slot.0.max(low.ceil()), slot.1.min(high.floor()));
                if narrowed != *slot && narrowed.0.is_finite() {
                    *slot = narrowed;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    system
        .hidden
        .keys()
        .filter(|v| bounds[*v].0 == bounds[*v].1)
        .map(|v| (system.ids[v].clone(), bounds[v].0))
        .collect()
}

#[test]
fn hidden_numbers_cannot_be_pinned_down_with_what_their_markers_say() {
    let site = build_clean(PERSONS);
    let pinned = pinned_by_markers(&register(&site.output()), site.root());
    assert!(
        pinned.is_empty(),
        "a reader works out these hidden numbers from the published ones and the meaning of `<10` (1 to 9) and `•` (10 or more): {pinned:?}"
    );
}

#[test]
fn a_figure_over_several_values_does_not_give_a_hidden_cell_away() {
    // 40–59 and 60+ together: 21. The table by age shows 40–59 = 20 and
    // hides 60+ (one person); 21 − 20 would show it.
    let site = build_edited(PERSONS, |root| {
        append_to(
            root,
            "data/stats/bantuan.toml",
            r#"
[[figure]]
id = "penerima-40-plus"
label = { id = "Penerima berumur 40 tahun ke atas" }
resource = "penerima"
measure = "count"
filter = { kelompok_umur = ["40-59", "60+"] }
unit = { id = "orang" }
"#,
        );
    });
    assert_clean(&site.outcome);
    let register = register(&site.output());
    assert_eq!(
        hidden(entry(&register, "penerima-per-umur--60")),
        Some("primary")
    );
    let exposed = linearly_determined(&register);
    assert!(
        exposed.is_empty(),
        "hidden numbers that follow from the published ones: {exposed:?} (penerima-40-plus = {}, penerima-per-umur--40-59 = {})",
        entry(&register, "penerima-40-plus")["value"],
        entry(&register, "penerima-per-umur--40-59")["value"]
    );
}

// ---------------------------------------------------------------------
// Derived numbers, means, zero, persons with several rows
// ---------------------------------------------------------------------

#[test]
fn percentages_and_means_of_hidden_groups_are_hidden_too() {
    let site = build_clean(PERSONS);
    let output = site.output();
    let register = register(&output);
    // {penerima-timur} / {penerima} * 100: hidden with its count.
    let share = entry(&register, "persen-timur");
    assert!(share["hidden"].is_string(), "{share}");
    assert_eq!(share["value"], Value::Null);
    // The same formula is hidden exactly when one of its inputs is.
    let inputs_hidden = ["penerima-perempuan", "penerima"]
        .iter()
        .any(|id| entry(&register, id)["hidden"].is_string());
    assert_eq!(
        entry(&register, "persen-perempuan")["hidden"].is_string(),
        inputs_hidden
    );
    assert_eq!(
        entry(&register, "persen-perempuan")["value"].is_number(),
        !inputs_hidden
    );
    // The mean of the one person in Balikpapan Timur is their own aid.
    let mean = entry(
        &register,
        "rata-rata-bantuan-per-kecamatan--balikpapan-timur",
    );
    assert_eq!(mean["hidden"], "primary");
    assert_eq!(mean["value"], Value::Null);
    let page = read(&output, "program/bantuan/index.html");
    assert!(page.contains(r#"data-figure="persen-timur" data-hidden="#));
    // Nowhere in the site, in any spelling.
    let truth = truth(site.root(), mean).unwrap();
    assert_eq!(truth.value, Some(475_000.0), "the fixture changed");
    for (file, text) in texts(&output) {
        for spelling in spellings(475_000.0) {
            assert!(!text.contains(&spelling), "{file} contains {spelling}");
        }
    }
}

#[test]
fn markers_never_state_a_false_bound() {
    // `<10` says "fewer than 10": true of a count of fewer than 10
    // persons, false of the mean aid of one person (475,000 rupiah) or of
    // 12 deliveries to one person.
    let site = build_clean(PERSONS);
    let output = site.output();
    let page_of = |entry: &Value| {
        let programme = entry["programme"].as_str().unwrap();
        read(
            &output,
            &format!("{}/index.html", programme.trim_end_matches(".md")),
        )
    };
    let mut false_bounds = Vec::new();
    for entry in register(&output) {
        if hidden(&entry) != Some("primary") {
            continue;
        }
        let Some(truth) = truth(site.root(), &entry) else {
            continue;
        };
        let id = entry["id"].as_str().unwrap();
        let page = page_of(&entry);
        let shown = between(&page, &format!(r#"data-figure="{id}""#), "</span>");
        let shown = shown.strip_suffix("</span>").unwrap();
        let text = &shown[shown.rfind('>').unwrap() + 1..];
        let text = text.replace("&lt;", "<");
        if let Some(bound) = text.strip_prefix('<') {
            let bound: f64 = bound.replace('.', "").parse().unwrap();
            if truth.value.is_some_and(|v| v >= bound) {
                false_bounds.push(format!(
                    "{id} is shown as `{text}` but is {:?}",
                    truth.value.unwrap()
                ));
            }
        }
    }
    assert!(false_bounds.is_empty(), "{false_bounds:#?}");
}

#[test]
fn zero_is_shown_as_zero() {
    let site = build_clean(PERSONS);
    let output = site.output();
    let id = "penerima-per-kecamatan-jk--balikpapan-timur--p";
    let entry = entry(&register(&output), id).clone();
    assert_eq!(entry["value"], 0);
    assert_eq!(entry["hidden"], Value::Null);
    let page = read(&output, "program/bantuan/index.html");
    assert!(
        page.contains(&format!(
            r#"<data id="n-{id}" value="0" data-figure="{id}">0</data>"#
        )),
        "{}",
        between(&page, &format!(r#"data-figure="{id}""#), "</data>")
    );
    let chart_csv = read(&output, "data/charts/penerima-per-kecamatan-jk.csv");
    assert!(
        chart_csv.contains("Balikpapan Timur,hidden:small,0\r\n"),
        "{chart_csv}"
    );
}

#[test]
fn persons_with_several_rows_are_counted_once_and_a_stricter_resource_threshold_holds() {
    let site = build_clean(PERSONS);
    let output = site.output();
    let register = register(&output);
    let timur = entry(&register, "penyaluran-per-kecamatan--balikpapan-timur");
    let truth = truth(site.root(), timur).unwrap();
    assert_eq!((truth.rows, truth.persons), (12, 1), "the fixture changed");
    assert_eq!(timur["hidden"], "primary");
    assert_eq!(timur["value"], Value::Null);
    // Twelve persons (and rows) in Balikpapan Utara: shown.
    assert_eq!(
        entry(&register, "penyaluran-per-kecamatan--balikpapan-utara")["value"],
        12
    );
    // Ten persons in Balikpapan Kota: enough for the site (10), not for
    // this resource (12).
    let kota = entry(&register, "penyaluran-per-kecamatan--balikpapan-kota");
    assert_eq!(truth_of(site.root(), kota).persons, 10);
    assert_eq!(kota["hidden"], "primary");
    let page = read(&output, "program/sembako/index.html");
    let shown = between(
        &page,
        r#"data-figure="penyaluran-per-kecamatan--balikpapan-kota""#,
        "</span>",
    );
    assert!(shown.ends_with(">&lt;12</span>"), "{shown}");
    let chart_csv = read(&output, "data/charts/penyaluran-per-kecamatan.csv");
    assert!(
        chart_csv.contains("Balikpapan Timur,hidden:small\r\n"),
        "{chart_csv}"
    );
    assert!(
        chart_csv.contains("Balikpapan Kota,hidden:small\r\n"),
        "{chart_csv}"
    );
    // The methodology page states the stricter rule.
    let methodology = read(&output, "metodologi/index.html");
    assert!(
        methodology.contains("Untuk data penyaluran, batasnya 12 orang."),
        "{}",
        between(&methodology, r#"id="aturan-privasi""#, "</section>")
    );
}

fn truth_of(root: &Path, entry: &Value) -> Truth {
    truth(root, entry).unwrap_or_else(|| panic!("no truth for {entry}"))
}

// ---------------------------------------------------------------------
// Row-level downloads
// ---------------------------------------------------------------------

fn ask_for_rows(root: &Path) {
    replace_in(
        root,
        "data/datapackage.json",
        r#""path": "penerima.csv","#,
        r#""path": "penerima.csv", "publish_rows": true,"#,
    );
}

#[test]
fn person_rows_that_are_not_k_anonymous_are_not_published() {
    let site = build_edited(PERSONS, ask_for_rows);
    assert!(
        site.outcome.succeeded(),
        "{}",
        site.outcome.diagnostics.report()
    );
    let warnings: Vec<&kaca::diagnostics::Diagnostic> = site.outcome.diagnostics.iter().collect();
    assert_eq!(warnings.len(), 1, "{}", site.outcome.diagnostics.report());
    let message = &warnings[0].message;
    assert!(
        message.contains("resource `penerima`: rows not published")
            && message
                .contains("kecamatan = Balikpapan Timur, jenis_kelamin = L, kelompok_umur = 60+")
            && message.contains("fewer than 10"),
        "{message}"
    );
    let output = site.output();
    assert!(!common::exists(&output, "data/penerima.csv"));
    assert!(!common::exists(&output, "data/penerima.json"));
    assert!(!common::exists(&output, "data/datapackage.json"));
    let page = read(&output, "data/penerima/index.html");
    assert!(
        page.contains("Baris data ini menggambarkan orang, jadi tidak diterbitkan per baris."),
        "{page}"
    );
    for (file, text) in texts(&output) {
        assert!(!text.contains("PNR-"), "{file} holds an identifier");
    }
}

#[test]
fn k_anonymous_person_rows_are_published_without_the_identifier() {
    let site = build_edited(PERSONS, |root| {
        ask_for_rows(root);
        // Without the one person of Balikpapan Timur every combination
        // of kecamatan, sex and age band has 10 persons.
        replace_in(
            root,
            "data/penerima.csv",
            "PNR-041,Balikpapan Timur,L,60+,475000\n",
            "",
        );
    });
    assert_clean(&site.outcome);
    let output = site.output();
    let csv = read(&output, "data/penerima.csv");
    assert!(
        csv.starts_with("kecamatan,jenis_kelamin,kelompok_umur,nilai_bantuan\r\n"),
        "{}",
        csv.lines().next().unwrap_or_default()
    );
    assert_eq!(csv.lines().count(), 41);
    for (file, text) in texts(&output) {
        assert!(!text.contains("PNR-"), "{file} holds an identifier");
    }
    assert!(!read(&output, "data/penerima.json").contains("id_penerima"));
    let package = read(&output, "data/datapackage.json");
    assert!(package.contains("\"penerima.csv\""));
    assert!(!package.contains("\"id_penerima\""), "{package}");
    let page = read(&output, "data/penerima/index.html");
    assert!(page.contains(r#"href="/data/penerima.csv""#), "{page}");
}

// ---------------------------------------------------------------------
// The printed report
// ---------------------------------------------------------------------

#[test]
fn check_prints_the_privacy_report_with_what_was_hidden() {
    let site = build_clean(PERSONS);
    let register = register(&site.output());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kaca"))
        .args(["check", "--root", site.root().to_str().unwrap()])
        .output()
        .expect("run the kaca binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("Privacy report:\n"), "{stdout}");
    assert!(
        stdout.contains("6 content files, 7 fields of 3 resources; 0 reviewed exceptions"),
        "{stdout}"
    );
    for (resource, k) in [("penerima", 10), ("penyaluran", 12), ("alat_bantu", 10)] {
        let count = |reason: &str| {
            register
                .iter()
                .filter(|e| e["resource"] == resource && e["hidden"] == reason)
                .count()
        };
        let (primary, complementary) = (count("primary"), count("complementary"));
        assert!(primary > 0, "{resource}: nothing hidden");
        let numbers = if primary == 1 { "number" } else { "numbers" };
        let line = format!(
            "  - `{resource}` (person-level, groups of fewer than {k} hidden): {primary} small {numbers} hidden, {complementary} more hidden so they cannot be worked out in "
        );
        assert!(stdout.contains(&line), "no `{line}` in:\n{stdout}");
    }
}

// ---------------------------------------------------------------------
// The leak audit
// ---------------------------------------------------------------------

/// For every hidden number of the register, its true value (from the CSV)
/// appears in none of its places: the pages (`data-figure`), the register
/// (JSON and CSV), the chart's CSV and SVG description. And every number
/// of fewer persons than the threshold is hidden.
#[test]
fn no_hidden_number_can_be_read_anywhere_in_the_site() {
    let site = build_clean(PERSONS);
    let output = site.output();
    let register = register(&output);
    let files = texts(&output);
    let figures_csv = read(&output, "data/figures.csv");
    let mut audited = 0;
    for entry in &register {
        let id = entry["id"].as_str().unwrap();
        let truth = truth(site.root(), entry);
        // Every small number is hidden, as a small one; zero is shown.
        if let Some(truth) = truth {
            let k = threshold(site.root(), entry["resource"].as_str().unwrap()) as usize;
            if truth.persons > 0 && truth.persons < k {
                assert_eq!(entry["hidden"], "primary", "{id}: {truth:?}");
            }
            if truth.persons == 0 {
                assert!(entry["hidden"].is_null(), "{id} hides a zero");
            }
        }
        if entry["hidden"].is_null() {
            continue;
        }
        audited += 1;
        assert_eq!(
            entry["value"],
            Value::Null,
            "{id} has a value in figures.json"
        );
        let row = figures_csv
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap_or_else(|| panic!("{id} is not in figures.csv"));
        let columns: Vec<&str> = row.split(',').collect();
        assert_eq!(columns[2], "", "{id} has a value in figures.csv: {row}");

        // Every element of every page carrying the id says it is hidden
        // and holds no value.
        for (file, text) in files.iter().filter(|(f, _)| f.ends_with(".html")) {
            let marker = format!(r#"data-figure="{id}""#);
            let mut rest = text.as_str();
            while let Some(at) = rest.find(&marker) {
                let tag_start = rest[..at].rfind('<').unwrap();
                let tag_end = at + rest[at..].find('>').unwrap();
                let tag = &rest[tag_start..=tag_end];
                assert!(tag.contains("data-hidden="), "{file}: {tag}");
                assert!(!tag.contains(" value="), "{file}: {tag}");
                if let Some(truth) = truth.and_then(|t| t.value) {
                    let content_end = tag_end + 1 + rest[tag_end + 1..].find('<').unwrap();
                    let content = &rest[tag_end + 1..content_end];
                    assert!(
                        !spellings(truth).iter().any(|s| s == content),
                        "{file}: {id} shows its value {content}"
                    );
                }
                rest = &rest[tag_end..];
            }
        }

        // The chart of the table: its CSV has a marker, its description
        // no number, for the hidden cell.
        let (Some(table), Some(group)) = (entry["table"].as_str(), entry["group"].as_object())
        else {
            continue;
        };
        let Some(chart_csv) = files
            .iter()
            .find(|(f, _)| *f == format!("data/charts/{table}.csv"))
            .map(|(_, t)| t)
        else {
            continue;
        };
        let by: Vec<&str> = entry["query"]["by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap())
            .collect();
        if group.len() != by.len() {
            // A total: the chart files do not hold totals.
            continue;
        }
        let row_value = group[by[0]].as_str().unwrap();
        let mut lines = chart_csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let line = lines
            .find(|l| l.starts_with(&format!("{row_value},")))
            .unwrap_or_else(|| panic!("{table}.csv has no row {row_value}"));
        let cells: Vec<&str> = line.split(',').collect();
        let column = match by.get(1) {
            Some(field) => {
                let value = group[*field].as_str().unwrap();
                header.iter().position(|h| *h == value).unwrap()
            }
            None => 1,
        };
        assert!(
            cells[column].starts_with("hidden:"),
            "{table}.csv shows {id}: {line}"
        );
        let svg = read(&output, &format!("data/charts/{table}.svg"));
        let desc = between(&svg, "<desc", "</desc>");
        let part = desc
            .split("; ")
            .find(|p| p.contains(&format!("{row_value}: ")))
            .unwrap_or_else(|| panic!("{table}.svg does not describe {row_value}: {desc}"));
        let said = part.trim_end_matches("</desc>").trim_end_matches('.');
        let said = &said[said.find(": ").unwrap() + 2..];
        let said = match by.get(1) {
            Some(field) => {
                let prefix = format!("{} ", group[*field].as_str().unwrap());
                said.split(", ")
                    .find_map(|p| p.strip_prefix(&prefix))
                    .unwrap_or_else(|| panic!("{table}.svg: no {prefix}in {part}"))
            }
            None => said,
        };
        assert!(
            said == "•" || said.starts_with("&lt;"),
            "{table}.svg says {said} for {id}: {part}"
        );
    }
    assert!(audited >= 15, "only {audited} hidden numbers audited");
}

#[test]
fn the_row_count_of_a_small_person_level_resource_is_not_published() {
    // `alat_bantu` has three persons: its count is hidden as `<10` on the
    // programme page, so "3 rows" must not stand beside it elsewhere.
    let site = build_clean(PERSONS);
    let output = site.output();
    let register = register(&output);
    assert_eq!(
        hidden(entry(&register, "alat-bantu-penerima")),
        Some("primary")
    );
    let mut leaks = Vec::new();
    let document: Value = serde_json::from_str(&read(&output, "data/figures.json")).unwrap();
    if document["inputs"]["alat_bantu"]["rows"] == 3 {
        leaks.push(format!(
            "data/figures.json: inputs.alat_bantu = {}",
            document["inputs"]["alat_bantu"]
        ));
    }
    for page in ["data/alat_bantu/index.html", "data/index.html"] {
        let html = read(&output, page);
        if html.contains(">3 baris<") || html.contains(">3 baris ·") {
            leaks.push(format!("{page}: \"3 baris\""));
        }
    }
    assert!(
        leaks.is_empty(),
        "the hidden count of persons is published as a row count: {leaks:#?}"
    );
}

#[test]
fn a_progress_bar_does_not_draw_a_hidden_value() {
    // 3 of a target of 20: the count is hidden, so the bar must not be
    // filled to 3/20 of its track.
    let site = build_clean(PERSONS);
    let page = read(&site.output(), "program/alat-bantu/index.html");
    let svg = between(&page, r#"<svg class="chart progress""#, "</svg>");
    assert!(svg.contains("&lt;10 orang dari target 20 orang"), "{svg}");
    let widths: Vec<f64> = svg
        .split("<rect ")
        .skip(1)
        .filter_map(|rect| {
            let at = rect.find("width=\"")? + 7;
            rect[at..rect[at..].find('"')? + at].parse().ok()
        })
        .collect();
    let (track, filled) = (widths[0], widths[1]);
    assert!(
        (filled / track - 3.0 / 20.0).abs() > 0.01,
        "the bar is filled {filled} of {track}: exactly 3 of 20, the hidden count"
    );
}

// ---------------------------------------------------------------------
// Groups that have no number of their own
// ---------------------------------------------------------------------

/// The persons fixture with only the figures in `declarations` (TOML),
/// placed on one page.
fn build_with_only(declarations: &str, placed: &[&str]) -> Built {
    let declarations = declarations.to_string();
    let placed: Vec<String> = placed
        .iter()
        .map(|id| format!("{{{{ figure(id=\"{id}\") }}}}"))
        .collect();
    build_edited(PERSONS, move |root| {
        for folder in ["data/stats", "content/program"] {
            for entry in std::fs::read_dir(root.join(folder)).unwrap().flatten() {
                if entry.file_name() != "_index.md" {
                    std::fs::remove_file(entry.path()).unwrap();
                }
            }
        }
        std::fs::write(root.join("data/stats/uji.toml"), declarations).unwrap();
        std::fs::write(
            root.join("content/program/uji.md"),
            format!("---\ntitle: Uji\n---\n\n{}\n", placed.join("; ")),
        )
        .unwrap();
    })
}

fn count_of(id: &str, filter: Option<&str>) -> String {
    let filter = filter.map_or(String::new(), |kecamatan| {
        format!("filter = {{ kecamatan = \"{kecamatan}\" }}\n")
    });
    format!(
        "[[figure]]\nid = \"{id}\"\nlabel = {{ id = \"{id}\", en = \"{id}\" }}\nresource = \"penerima\"\nmeasure = \"count\"\n{filter}\n"
    )
}

/// Balikpapan Timur has one person and no figure of its own; the total
/// (41) and the two other districts (20 and 20) would give it away by a
/// subtraction. One of the three must be hidden.
#[test]
fn a_group_without_a_figure_cannot_be_worked_out_from_the_total_and_the_others() {
    let site = build_with_only(
        &[
            count_of("semua", None),
            count_of("kota", Some("Balikpapan Kota")),
            count_of("utara", Some("Balikpapan Utara")),
        ]
        .concat(),
        &["semua", "kota", "utara"],
    );
    assert_clean(&site.outcome);
    let register = register(&site.output());
    let shown = values(&register, &["semua", "kota", "utara"]);
    assert!(
        shown.iter().any(Option::is_none),
        "41 − 20 − 20 shows the one person of Balikpapan Timur: {shown:?}"
    );
    for id in ["kota", "utara", "semua"] {
        let entry = entry(&register, id);
        if entry["value"].is_null() {
            assert_eq!(entry["hidden"], "complementary", "{id}");
        }
    }
    let page = read(&site.output(), "program/uji/index.html");
    assert!(page.contains(">41<") || page.contains(r#"data-figure="semua" data-hidden"#));
}

/// The total beside the one-person district, hidden as small: the total
/// alone does not narrow the hidden number (the other districts are not
/// shown), so the site builds, showing 41 and "<10".
#[test]
fn a_total_beside_a_hidden_small_group_builds() {
    let site = build_with_only(
        &[
            count_of("timur", Some("Balikpapan Timur")),
            count_of("semua", None),
        ]
        .concat(),
        &["semua", "timur"],
    );
    assert_clean(&site.outcome);
    let register = register(&site.output());
    assert_eq!(hidden(entry(&register, "timur")), Some("primary"));
    assert_eq!(entry(&register, "semua")["value"], 41);
    let page = read(&site.output(), "program/uji/index.html");
    assert!(page.contains(">&lt;10</span>"), "{page}");
}

/// A figure over several districts at once (Kota and Utara: 40) beside
/// the total (41) gives the remaining district's one person away just the
/// same; one of the two must be hidden.
#[test]
fn a_figure_over_several_groups_beside_the_total_gives_nothing_away() {
    let site = build_with_only(
        &[
            count_of("semua", None),
            "[[figure]]\nid = \"kota-utara\"\nlabel = { id = \"Kota dan Utara\", en = \"Kota and Utara\" }\nresource = \"penerima\"\nmeasure = \"count\"\nfilter = { kecamatan = [\"Balikpapan Kota\", \"Balikpapan Utara\"] }\n".to_string(),
        ]
        .concat(),
        &["semua", "kota-utara"],
    );
    assert_clean(&site.outcome);
    let register = register(&site.output());
    let shown = values(&register, &["semua", "kota-utara"]);
    assert!(
        shown.iter().any(Option::is_none),
        "41 − 40 shows the one person of Balikpapan Timur: {shown:?}"
    );
}

// ---------------------------------------------------------------------
// Series by month
// ---------------------------------------------------------------------

/// A one-resource site of persons by month: `months` (persons in each
/// month of 2025), `without_month` persons with no month, the series `per-bulan` by month
/// (`with_series`) and the figures in `declarations`, all placed on one
/// page.
fn series_site(
    months: [usize; 12],
    without_month: usize,
    with_series: bool,
    declarations: &str,
    placed: &[&str],
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "site.toml",
        "base_url = \"https://example.org/\"\ndefault_language = \"id\"\n\n[languages.id]\nname = \"Bahasa Indonesia\"\ntitle = \"Uji\"\n\n[privacy]\nexplained_in = \"metodologi.md\"\n",
    );
    write("content/_index.md", "---\ntitle: Beranda\n---\n");
    write(
        "content/metodologi.md",
        "---\ntitle: Metodologi\n---\n\nCara.\n",
    );
    let placed: Vec<String> = placed
        .iter()
        .map(|id| format!("{{{{ figure(id=\"{id}\") }}}}"))
        .collect();
    write(
        "content/p.md",
        &format!(
            "---\ntitle: P\n---\n\n{}\n\n{}\n",
            if with_series {
                "{{ table(id=\"per-bulan\") }}"
            } else {
                ""
            },
            placed.join("\n")
        ),
    );
    write(
        "data/datapackage.json",
        r#"{"name": "uji", "resources": [{"name": "orang", "path": "orang.csv", "persons": true,
 "schema": {"fields": [
  {"name": "id", "type": "string", "privacy": "identifier"},
  {"name": "bulan", "type": "yearmonth", "privacy": "public"}]}}]}"#,
    );
    // Synthetic: sequence numbers, no one.
    let mut rows = String::from("id,bulan\n");
    let mut next = 0;
    for (month, persons) in (1..=12).zip(months) {
        for _ in 0..persons {
            next += 1;
            rows.push_str(&format!("P{next:04},2025-{month:02}\n"));
        }
    }
    for _ in 0..without_month {
        next += 1;
        rows.push_str(&format!("P{next:04},\n"));
    }
    write("data/orang.csv", &rows);
    let series = if with_series {
        "[[series]]\nid = \"per-bulan\"\nlabel = { id = \"Per bulan\" }\nresource = \"orang\"\nmeasure = \"count\"\nby = \"bulan\"\n\n"
    } else {
        ""
    };
    write(
        "data/stats/s.toml",
        &format!("page = \"p.md\"\n\n{series}{declarations}"),
    );
    (dir, root)
}

fn built_register(root: &Path) -> Vec<Value> {
    let output = root.join("public");
    let outcome = build_into(root, &output);
    assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
    register(&output)
}

/// A figure of all persons of the series fixture's resource.
const TOTAL_FIGURE: &str = "[[figure]]\nid = \"total\"\nlabel = { id = \"Total\" }\nresource = \"orang\"\nmeasure = \"count\"\n";

/// 360 persons have a month and one has none: the series' total (360)
/// beside the plain total (361) would show that one person.
#[test]
fn the_persons_without_a_month_cannot_be_worked_out_from_a_series() {
    let (_dir, root) = series_site([30; 12], 1, true, TOTAL_FIGURE, &["total"]);
    let register = built_register(&root);
    let shown = values(&register, &["per-bulan--total", "total"]);
    assert!(
        shown.iter().any(Option::is_none),
        "361 − 360 shows the person without a month: {shown:?}"
    );
}

/// No person has a month: the series is empty, and its total (0) is not
/// the plain total (5 persons, below the threshold), which stays hidden.
#[test]
fn an_empty_series_does_not_show_a_small_total() {
    let (_dir, root) = series_site([0; 12], 5, true, TOTAL_FIGURE, &["total"]);
    let register = built_register(&root);
    assert_eq!(hidden(entry(&register, "total")), Some("primary"));
    assert_eq!(values(&register, &["total"]), [None]);
}

/// March (3 persons) is hidden in the series, and April with it; a figure
/// for April alone must not show April's number again, or March is the
/// total less the other months.
#[test]
fn a_figure_for_one_month_does_not_undo_the_series_hiding() {
    let mut months = [30; 12];
    months[2] = 3; // March
    months[3] = 12; // April
    let (_dir, root) = series_site(
        months,
        0,
        true,
        "[[figure]]\nid = \"april\"\nlabel = { id = \"April\" }\nresource = \"orang\"\nmeasure = \"count\"\nfilter = { bulan = \"2025-04\" }\n",
        &["april"],
    );
    let register = built_register(&root);
    assert_eq!(
        hidden(entry(&register, "per-bulan--2025-03")),
        Some("primary")
    );
    let april_in_series = entry(&register, "per-bulan--2025-04")["value"].as_f64();
    let april_alone = entry(&register, "april")["value"].as_f64();
    let total = entry(&register, "per-bulan--total")["value"].as_f64();
    let shown: Vec<Option<f64>> = (1..=12)
        .filter(|m| *m != 3)
        .map(|m| entry(&register, &format!("per-bulan--2025-{m:02}"))["value"].as_f64())
        .collect();
    let april = april_in_series.or(april_alone);
    if let (Some(total), Some(april)) = (total, april) {
        let others: Option<f64> = shown
            .iter()
            .enumerate()
            .map(|(i, v)| if i == 2 { Some(april) } else { *v })
            .sum();
        assert!(
            others.is_none(),
            "March is {total} less the other months, all shown"
        );
    }
}

/// A range ("up to November": 330 persons) beside the total (333) gives
/// away the three persons of December, though no number for December is
/// declared; with two more persons without a month, the five outside the
/// range are a small group all the same.
#[test]
fn a_range_beside_the_total_does_not_give_the_rest_away() {
    for without_month in [0, 2] {
        range_beside_the_total(without_month);
    }
}

fn range_beside_the_total(without_month: usize) {
    let mut months = [30; 12];
    months[11] = 3; // December
    let (_dir, root) = series_site(
        months,
        without_month,
        false,
        "[[figure]]\nid = \"total\"\nlabel = { id = \"Total\" }\nresource = \"orang\"\nmeasure = \"count\"\n\n[[figure]]\nid = \"sampai-november\"\nlabel = { id = \"Sampai November\" }\nresource = \"orang\"\nmeasure = \"count\"\nfilter = { bulan = { max = \"2025-11\" } }\n",
        &["total", "sampai-november"],
    );
    let register = built_register(&root);
    let shown = values(&register, &["total", "sampai-november"]);
    assert!(
        shown.iter().any(Option::is_none),
        "the total less those up to November shows the {} persons outside the range: {shown:?}",
        3 + without_month
    );
}
