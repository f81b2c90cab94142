//! How statistics look to templates: every number already written in the
//! page's language (ICU), every group label translated from the schema,
//! and every shown number carrying a stable id (`data-figure`) that
//! `/data/figures.json` lists, so a journalist can trace it.

use std::sync::Arc;

use minijinja::{Value, context};

use super::Shared;
use crate::chart::{ChartData, Shape};
use crate::data::package::Resource;
use crate::privacy::suppression::Reason;
use crate::render::{Contents, OutputFile};
use crate::stats::declare::{ChartKind, Kind, Labels, Period, Qualifier};
use crate::stats::{FigureResult, TableResult};

/// The text of a number as shown: `7.140`, `65,5%`, `–` when unknown.
/// What stands in for a hidden number: `<10` for one hidden because it is
/// small (true, and all a reader may know), `•` for one hidden so that a
/// small one cannot be worked out (it may be large: `<10` would be false).
/// Whether a query's numbers are counts (of rows or of distinct values).
/// Only a hidden count below the threshold may be written `<k`: for a
/// hidden mean or sum, `<10` would say something false or meaningless.
pub(crate) fn is_count(query: &crate::stats::declare::Query) -> bool {
    query.measure.counts_rows()
}

/// What stands in for a hidden number: `<k` for a count below the
/// threshold (true, and all a reader may know), `•` for anything else (a
/// count of k or more hidden so that a small one cannot be worked out, a
/// count of rows of fewer than k persons, a mean, a sum).
pub(crate) fn hidden_marker(
    shared: &Shared,
    lang: &str,
    resource: &str,
    count: bool,
    value: Option<f64>,
) -> String {
    let strings = shared.site.theme.strings.get(lang);
    let threshold = shared
        .site
        .package
        .as_ref()
        .and_then(|p| p.resources.iter().find(|r| r.name == resource))
        .map(|r| crate::privacy::threshold(r, &shared.site.config))
        .unwrap_or(u64::from(shared.site.config.privacy.min_cell_size));
    let below = count && value.is_some_and(|v| v < threshold as f64);
    match below {
        true => {
            let k = shared.format(lang).integer(threshold as i64);
            strings
                .and_then(|s| s.get("hidden_small"))
                .map(|t| t.replace("{k}", &k))
                .unwrap_or_else(|| format!("<{k}"))
        }
        false => strings
            .and_then(|s| s.get("hidden_other"))
            .cloned()
            .unwrap_or_else(|| "•".into()),
    }
}

/// The marker of a hidden figure.
fn figure_hidden_text(shared: &Shared, lang: &str, figure: &FigureResult) -> String {
    match &figure.decl.kind {
        Kind::Computed(query) => {
            hidden_marker(shared, lang, &query.resource, is_count(query), figure.value)
        }
        _ => hidden_marker(shared, lang, "", false, None),
    }
}

pub(crate) fn number_text(
    shared: &Shared,
    lang: &str,
    value: Option<f64>,
    unit: &Labels,
    currency: Option<&str>,
) -> String {
    let Some(value) = value else {
        return "–".to_string();
    };
    let format = shared.format(lang);
    if let Some(code) = currency
        && let Ok(text) = format.currency(value, code)
    {
        return text;
    }
    let percent = unit
        .get(lang)
        .or_else(|| unit.values().next())
        .is_some_and(|u| u == "%");
    if percent {
        format.percent(value, 1)
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format.integer(value as i64)
    } else {
        format.number(value, 1)
    }
}

/// The unit as written after a number, empty for percentages (the `%`
/// is part of the number).
pub(crate) fn unit_text(unit: &Labels, lang: &str) -> String {
    match unit.get(lang) {
        Some(u) if u != "%" => u.clone(),
        _ => String::new(),
    }
}

fn label(labels: &Labels, lang: &str) -> String {
    labels
        .get(lang)
        .or_else(|| labels.values().next())
        .cloned()
        .unwrap_or_default()
}

fn date_text(shared: &Shared, lang: &str, date: Option<&str>) -> Option<String> {
    let date = date?;
    let format = shared.format(lang);
    match date.len() {
        10 => date
            .parse::<jiff::civil::Date>()
            .ok()
            .map(|d| format.long_date(d)),
        7 => Some(month_text(shared, lang, date)),
        _ => Some(date.to_string()),
    }
}

fn month_text(shared: &Shared, lang: &str, key: &str) -> String {
    let year = key.get(..4).and_then(|y| y.parse().ok());
    let month = key.get(5..7).and_then(|m| m.parse().ok());
    match (year, month) {
        (Some(year), Some(month)) => shared.format(lang).month(year, month),
        _ => key.to_string(),
    }
}

/// A field's title in `lang`: the schema's `title` for the default
/// language, `title_<lang>` for others, else the field's name.
pub(crate) fn field_title(shared: &Shared, resource_name: &str, field: &str, lang: &str) -> String {
    let Some(found) =
        resource(shared, resource_name).and_then(|r| r.fields.iter().find(|f| f.name == field))
    else {
        return field.to_string();
    };
    let translated = found
        .extra
        .get(&format!("title_{lang}"))
        .and_then(|t| t.as_str());
    match translated {
        Some(title) => title.to_string(),
        None if lang == shared.site.config.default_language => {
            found.title.clone().unwrap_or_else(|| field.to_string())
        }
        None => found.title.clone().unwrap_or_else(|| field.to_string()),
    }
}

/// Where a statistic is described in full: its programme page's section,
/// or the figure register for statistics without a page.
fn described_at(shared: &Shared, page: Option<&str>, anchor: &str, lang: &str) -> String {
    let content = &shared.site.content;
    let config = &shared.site.config;
    let page_url = page
        .and_then(|key| content.resolve(key, lang, config))
        .map(|target| shared.url(content.target_path(target)));
    match page_url {
        Some(url) => format!("{url}#{anchor}"),
        None => {
            let prefix = config
                .language(lang)
                .map(|l| l.path_prefix.clone())
                .unwrap_or_default();
            shared.url(&format!("{prefix}{}", super::FIGURES_PAGE))
        }
    }
}

/// The row or column key of totals in cell ids (`table--total`).
pub const TOTAL: &str = "total";

/// A stable id for one number of a table: `table--row` or `table--row--column`.
pub fn cell_id(table: &str, row: &str, column: Option<&str>) -> String {
    let part = |text: &str| match slug::slugify(text) {
        s if s.is_empty() => "kosong".to_string(),
        s => s,
    };
    match column {
        Some(column) => format!("{table}--{}--{}", part(row), part(column)),
        None => format!("{table}--{}", part(row)),
    }
}

fn resource<'a>(shared: &'a Shared, name: &str) -> Option<&'a Resource> {
    shared
        .site
        .package
        .as_ref()?
        .resources
        .iter()
        .find(|r| r.name == name)
}

/// A group's label: months written out, values translated with the
/// field's `labels_<lang>` map from the schema where there is one.
pub(crate) fn group_label(
    shared: &Shared,
    resource_name: &str,
    field: &str,
    key: &str,
    period: Option<Period>,
    lang: &str,
) -> String {
    match period {
        Some(Period::Month) => return month_text(shared, lang, key),
        Some(Period::Year) => return key.to_string(),
        None => {}
    }
    let translated = resource(shared, resource_name)
        .and_then(|r| r.fields.iter().find(|f| f.name == field))
        .and_then(|f| f.extra.get(&format!("labels_{lang}")))
        .and_then(|labels| labels.get(key))
        .and_then(|l| l.as_str());
    match translated {
        Some(text) => text.to_string(),
        None if key.is_empty() => "–".to_string(),
        None => key.to_string(),
    }
}

pub(crate) fn figure_value(shared: &Arc<Shared>, figure: &FigureResult, lang: &str) -> Value {
    let decl = &figure.decl;
    let text = match figure.hidden {
        Some(_) => figure_hidden_text(shared, lang, figure),
        None => number_text(
            shared,
            lang,
            figure.value,
            &decl.unit,
            decl.currency.as_deref(),
        ),
    };
    let (kind, source, qualifier, query, formula) = match &decl.kind {
        Kind::Computed(query) => ("computed", None, None, Some(query), None),
        Kind::Reported {
            source, qualifier, ..
        } => ("reported", Some(source), Some(*qualifier), None, None),
        Kind::Derived { formula } => ("derived", None, None, None, Some(formula.clone())),
    };
    let source = source.map(|source| {
        context! {
            publication => source.publication,
            date => source.date,
            date_text => date_text(shared, lang, Some(&source.date)),
            says => label(&source.says, lang),
            url => source.url,
        }
    });
    let reconciliation = figure.reconciliation.as_ref().map(|r| {
        let computed = shared.site.statistics.figure(&r.computed_id);
        context! {
            agrees => r.agrees,
            computed => computed
                .filter(|c| c.hidden.is_none())
                .map(|_| crate::data::schema::format_number(r.computed)),
            computed_id => r.computed_id,
            computed_text => match computed.and_then(|c| c.hidden.map(|h| (h, c))) {
                Some((_, c)) => figure_hidden_text(shared, lang, c),
                None => number_text(shared, lang, Some(r.computed), &decl.unit, decl.currency.as_deref()),
            },
            computed_hidden => computed.and_then(|c| c.hidden).map(hidden_code),
            computed_label => computed.map(|c| label(&c.decl.label, lang)),
        }
    });
    let query = query.map(|q| {
        context! {
            resource => q.resource,
            measure => q.measure.name(),
            field => q.field,
            filter => q.filter.iter().map(|condition| match condition {
                crate::stats::declare::Condition::OneOf { field, values } => {
                    let shown: Vec<String> = values.iter().map(|v| group_label(shared, &q.resource, field, v, None, lang)).collect();
                    format!("{field} = {}", shown.join(" / "))
                }
                crate::stats::declare::Condition::Range { field, min, max } => {
                    format!("{} ≤ {field} ≤ {}", min.clone().unwrap_or_default(), max.clone().unwrap_or_default()).trim().to_string()
                }
            }).collect::<Vec<_>>(),
        }
    });
    let progress = decl.progress.as_ref().and_then(|p| {
        let value = shared.site.statistics.figure(&p.value)?;
        let target = shared.site.statistics.figure(&p.target)?;
        let caption = shared
            .site
            .theme
            .strings
            .get(lang)
            .and_then(|s| s.get("progress_caption"))
            .cloned()
            .unwrap_or_else(|| "{value} / {target}".into())
            .replace("{value}", &with_unit(shared, lang, value))
            .replace("{target}", &with_unit(shared, lang, target))
            .replace("{share}", &text);
        Some(context! {
            svg => Value::from_safe_string(crate::chart::progress(
                &format!("kemajuan-{}", decl.id),
                &label(&decl.label, lang),
                &caption,
                // A hidden value or target is not drawn (the fill would give it away).
                value.value.filter(|_| value.hidden.is_none()),
                target.value.filter(|_| target.hidden.is_none()),
            )),
            value => figure_value_brief(shared, value, lang),
            target => figure_value_brief(shared, target, lang),
        })
    });
    context! {
        id => decl.id,
        progress => progress,
        anchor => format!("angka-{}", decl.id),
        url => described_at(shared, decl.origin.page.as_deref(), &format!("angka-{}", decl.id), lang),
        label => label(&decl.label, lang),
        value => figure.value.filter(|_| figure.hidden.is_none()).map(crate::data::schema::format_number),
        hidden => figure.hidden.map(hidden_code),
        text => text,
        unit => unit_text(&decl.unit, lang),
        as_of => decl.as_of,
        as_of_text => date_text(shared, lang, decl.as_of.as_deref()),
        kind => kind,
        qualifier => qualifier.map(qualifier_code),
        source => source,
        reconciliation => reconciliation,
        query => query,
        formula => formula,
        headline => decl.headline,
    }
}

/// `4 orang`, `65%`: a figure's number followed by its unit.
fn with_unit(shared: &Shared, lang: &str, figure: &FigureResult) -> String {
    let text = match figure.hidden {
        Some(_) => figure_hidden_text(shared, lang, figure),
        None => number_text(
            shared,
            lang,
            figure.value,
            &figure.decl.unit,
            figure.decl.currency.as_deref(),
        ),
    };
    match unit_text(&figure.decl.unit, lang) {
        unit if unit.is_empty() => text,
        unit => format!("{text} {unit}"),
    }
}

/// Just enough of a figure to show its number with its id.
fn figure_value_brief(shared: &Shared, figure: &FigureResult, lang: &str) -> Value {
    let text = match figure.hidden {
        Some(_) => figure_hidden_text(shared, lang, figure),
        None => number_text(
            shared,
            lang,
            figure.value,
            &figure.decl.unit,
            figure.decl.currency.as_deref(),
        ),
    };
    context! {
        id => figure.decl.id,
        value => figure.value.filter(|_| figure.hidden.is_none()).map(crate::data::schema::format_number),
        hidden => figure.hidden.map(hidden_code),
        text => text,
        label => label(&figure.decl.label, lang),
    }
}

fn hidden_code(reason: Reason) -> &'static str {
    match reason {
        Reason::Primary => "small",
        Reason::Complementary => "complementary",
    }
}

fn qualifier_code(qualifier: Qualifier) -> &'static str {
    match qualifier {
        Qualifier::Exact => "exact",
        Qualifier::MoreThan => "more_than",
        Qualifier::UpTo => "up_to",
        Qualifier::About => "about",
    }
}

pub(crate) fn table_value(shared: &Arc<Shared>, table: &TableResult, lang: &str) -> Value {
    let decl = &table.decl;
    let query = &decl.query;
    let row_field = query.by.first().cloned().unwrap_or_default();
    let column_field = query.by.get(1).cloned();
    let columns: Vec<Value> = table
        .columns
        .iter()
        .map(|c| {
            let name = column_field.as_deref().unwrap_or("");
            context! { key => c, label => group_label(shared, &query.resource, name, c, None, lang) }
        })
        .collect();
    let additive =
        query.measure.counts_rows() || query.measure == crate::stats::declare::Measure::Sum;
    let number = |id: String, value: Option<f64>, marginal: Vec<Option<String>>| {
        let hidden = table.hidden.get(&marginal).copied();
        context! {
            id => id,
            value => value.filter(|_| hidden.is_none()).map(crate::data::schema::format_number),
            hidden => hidden.map(hidden_code),
            text => match hidden {
                Some(_) => hidden_marker(shared, lang, &query.resource, is_count(query), value),
                None => number_text(shared, lang, value, &decl.unit, decl.currency.as_deref()),
            },
        }
    };
    let rows: Vec<Value> = table
        .rows
        .iter()
        .zip(&table.cells)
        .map(|(row, raw)| {
            let cells: Vec<Value> = raw
                .iter()
                .enumerate()
                .map(|(i, value)| {
                    let marginal = match table.columns.get(i) {
                        Some(column) => vec![Some(row.clone()), Some(column.clone())],
                        None => vec![Some(row.clone())],
                    };
                    number(
                        cell_id(&decl.id, row, table.columns.get(i).map(String::as_str)),
                        *value,
                        marginal,
                    )
                })
                .collect();
            let total = (additive && !table.columns.is_empty()).then(|| {
                number(
                    cell_id(&decl.id, row, Some(TOTAL)),
                    Some(raw.iter().flatten().sum()),
                    vec![Some(row.clone()), None],
                )
            });
            context! {
                key => row,
                label => group_label(shared, &query.resource, &row_field, row, query.period, lang),
                cells => cells,
                total => total,
            }
        })
        .collect();
    let column_totals: Vec<Value> = if additive {
        (0..table.columns.len())
            .map(|i| {
                let sum: f64 = table
                    .cells
                    .iter()
                    .filter_map(|r| r.get(i).copied().flatten())
                    .sum();
                number(
                    cell_id(&decl.id, TOTAL, Some(&table.columns[i])),
                    Some(sum),
                    vec![None, Some(table.columns[i].clone())],
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let chart = chart_svg(shared, table, lang, false);
    context! {
        id => decl.id,
        anchor => format!("tabel-{}", decl.id),
        chart_svg => chart.map(Value::from_safe_string),
        chart_svg_url => (decl.chart != ChartKind::None).then(|| shared.url(&chart_path(&decl.id, lang, &shared.site.config.default_language, "svg"))),
        chart_csv_url => (decl.chart != ChartKind::None).then(|| shared.url(&chart_path(&decl.id, lang, &shared.site.config.default_language, "csv"))),
        label => label(&decl.label, lang),
        unit => unit_text(&decl.unit, lang),
        as_of_text => date_text(shared, lang, decl.as_of.as_deref()),
        is_series => decl.is_series,
        resource => query.resource,
        measure => query.measure.name(),
        row_field_label => field_title(shared, &query.resource, &row_field, lang),
        column_field_label => column_field.as_deref().map(|f| field_title(shared, &query.resource, f, lang)),
        row_field => row_field,
        column_field => column_field,
        columns => columns,
        rows => rows,
        // Totals only where adding up makes sense (counts and sums).
        column_totals => column_totals,
        total => additive.then(|| number(cell_id(&decl.id, TOTAL, None), Some(table.sum()), vec![None; query.by.len()])),
        has_hidden => !table.hidden.is_empty(),
        chart => format!("{:?}", decl.chart).to_lowercase(),
    }
}

/// The statistics a programme page shows: those declared in the file whose
/// `page` is this page.
pub(crate) fn page_statistics(shared: &Arc<Shared>, key: &str, lang: &str) -> Value {
    let statistics = &shared.site.statistics;
    let on_page = |page: &Option<String>| page.as_deref() == Some(key);
    // A page without statistics of its own (most announcements) is not
    // rendered again after every data edit.
    if statistics.declaring_pages().any(|page| page == Some(key)) {
        super::incremental::read_statistics();
    } else {
        super::incremental::read_no_statistics_on(key);
    }
    let figures: Vec<&FigureResult> = statistics
        .figures
        .iter()
        .filter(|f| on_page(&f.decl.origin.page))
        .collect();
    let headline: Vec<Value> = figures
        .iter()
        .filter(|f| f.decl.headline)
        .map(|f| figure_value(shared, f, lang))
        .collect();
    let others: Vec<Value> = figures
        .iter()
        .filter(|f| !f.decl.headline)
        .map(|f| figure_value(shared, f, lang))
        .collect();
    let tables: Vec<Value> = statistics
        .tables
        .iter()
        .filter(|t| on_page(&t.decl.origin.page))
        .map(|t| table_value(shared, t, lang))
        .collect();
    let checks: Vec<Value> = statistics
        .checks
        .iter()
        .filter(|c| on_page(&c.decl.origin.page))
        .map(|c| {
            context! {
                id => c.decl.id,
                label => label(&c.decl.label, lang),
                passed => c.passed,
                explained => c.explained,
            }
        })
        .collect();
    let any = !headline.is_empty() || !others.is_empty() || !tables.is_empty();
    context! {
        any => any,
        headline => headline,
        figures => others,
        tables => tables,
        checks => checks,
    }
}

/// All statistics grouped by the programme page that declares them, for
/// the figure register page.
pub(crate) fn register(shared: &Arc<Shared>, lang: &str) -> Value {
    let statistics = &shared.site.statistics;
    let mut keys: Vec<Option<&str>> = Vec::new();
    for page in statistics.declaring_pages() {
        if !keys.contains(&page) {
            keys.push(page);
        }
    }
    let groups: Vec<Value> = keys
        .iter()
        .map(|&key| {
            let page = key.and_then(|k| {
                let content = &shared.site.content;
                let config = &shared.site.config;
                match content.resolve(k, lang, config) {
                    Some(crate::content::Target::Page(i)) => Some(context! {
                        title => content.pages[i].meta.title,
                        url => shared.url(&content.pages[i].path),
                    }),
                    _ => None,
                }
            });
            let figures: Vec<Value> = statistics
                .figures
                .iter()
                .filter(|f| f.decl.origin.page.as_deref() == key)
                .map(|f| figure_value(shared, f, lang))
                .collect();
            let tables: Vec<Value> = statistics
                .tables
                .iter()
                .filter(|t| t.decl.origin.page.as_deref() == key)
                .map(|t| table_value(shared, t, lang))
                .collect();
            context! { page => page, figures => figures, tables => tables }
        })
        .collect();
    Value::from(groups)
}

/// Renders every figure and table once per language with the theme's
/// `inline_figure` and `stat_table` macros, for placing in content.
pub(crate) fn placed_snippets(
    shared: &Arc<Shared>,
    env: &minijinja::Environment<'static>,
) -> Result<std::collections::BTreeMap<(String, String, String), String>, minijinja::Error> {
    let mut placed = std::collections::BTreeMap::new();
    let wanted: std::collections::BTreeSet<(String, String, String)> = shared
        .site
        .content
        .pages
        .iter()
        .map(|p| (&p.lang, &p.body))
        .chain(
            shared
                .site
                .content
                .sections
                .iter()
                .map(|s| (&s.lang, &s.body)),
        )
        .flat_map(|(lang, body)| {
            body.placements
                .iter()
                .map(move |p| (lang.clone(), p.kind.clone(), p.id.clone()))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(placed);
    }
    let template = env.get_template("partials/statistics.html")?;
    for (lang, kind, id) in wanted {
        let captured = template.render_captured(context! { lang => lang })?;
        let state = captured.state();
        let html = match kind.as_str() {
            "figure" => {
                let figure = shared
                    .site
                    .statistics
                    .figure(&id)
                    .expect("placements were checked");
                state.call_macro("inline_figure", &[figure_value(shared, figure, &lang)])?
            }
            _ => {
                // The statistics section carries the table's anchor; a copy
                // placed in the text must not repeat it.
                let table = shared
                    .site
                    .statistics
                    .table(&id)
                    .expect("placements were checked");
                state.call_macro(
                    "stat_table",
                    &[table_value(shared, table, &lang), Value::from(false)],
                )?
            }
        };
        placed.insert((lang, kind, id), html.trim().to_string());
    }
    Ok(placed)
}

/// Puts the rendered statistics where content placed them. A table on a
/// line of its own replaces its whole paragraph (a table cannot sit in one).
pub(crate) fn fill_placements(shared: &Shared, html: &str, lang: &str) -> String {
    use crate::content::markdown::PLACEHOLDER;
    if !html.contains(PLACEHOLDER) {
        return html.to_string();
    }
    super::incremental::read_statistics();
    let Some(placed) = shared.placed.get() else {
        return html.to_string();
    };
    // Compiled once: this runs for every page and every feed entry.
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(&format!(
            r#"(?:<p>)?<{PLACEHOLDER} data-kind="([a-z]+)" data-id="([a-z0-9-]+)"></{PLACEHOLDER}>(?:</p>)?"#
        ))
        .expect("a valid pattern")
    });
    PATTERN
        .replace_all(html, |found: &regex::Captures<'_>| {
            let key = (lang.to_string(), found[1].to_string(), found[2].to_string());
            let snippet = placed.get(&key).cloned().unwrap_or_default();
            let whole = &found[0];
            match (&found[1], whole.starts_with("<p>"), whole.ends_with("</p>")) {
                ("figure", true, true) => format!("<p>{snippet}</p>"),
                ("figure", true, false) => format!("<p>{snippet}"),
                ("figure", false, true) => format!("{snippet}</p>"),
                ("figure", false, false) => snippet,
                (_, true, true) => snippet,
                // A table inside running text: close and reopen the paragraph.
                (_, opens, closes) => format!(
                    "{}{snippet}{}",
                    if opens { "" } else { "</p>" },
                    if closes { "" } else { "<p>" }
                ),
            }
        })
        .into_owned()
}

/// The key of a cell (`column` given) or of a row's total (`None`) in a
/// table's persons and hidden maps.
fn table_marginal(table: &TableResult, row: usize, column: Option<usize>) -> Vec<Option<String>> {
    match (column, table.columns.is_empty()) {
        (_, true) => vec![Some(table.rows[row].clone())],
        (Some(c), false) => vec![
            Some(table.rows[row].clone()),
            Some(table.columns[c].clone()),
        ],
        (None, false) => vec![Some(table.rows[row].clone()), None],
    }
}

/// Where a chart's files are: `data/charts/<id>.svg` in the default
/// language, `data/charts/<id>.en.svg` in others; one CSV for all.
pub(crate) fn chart_path(id: &str, lang: &str, default_language: &str, extension: &str) -> String {
    if extension == "csv" || lang == default_language {
        format!("data/charts/{id}.{extension}")
    } else {
        format!("data/charts/{id}.{lang}.{extension}")
    }
}

/// The table drawn as its declared chart, in `lang`.
pub(crate) fn chart_svg(
    shared: &Shared,
    table: &TableResult,
    lang: &str,
    standalone: bool,
) -> Option<String> {
    let decl = &table.decl;
    let shape = match decl.chart {
        ChartKind::None => return None,
        ChartKind::Bar => Shape::Bar,
        ChartKind::StackedBar => Shape::StackedBar,
        ChartKind::Column => Shape::Column,
        ChartKind::Line => Shape::Line,
    };
    let query = &decl.query;
    let row_field = query.by.first().cloned().unwrap_or_default();
    let column_field = query.by.get(1).cloned().unwrap_or_default();
    let rows: Vec<String> = table
        .rows
        .iter()
        .map(|r| group_label(shared, &query.resource, &row_field, r, query.period, lang))
        .collect();
    let short_rows: Vec<String> = table
        .rows
        .iter()
        .map(|r| match query.period {
            Some(Period::Month) => r
                .get(5..7)
                .and_then(|m| m.parse().ok())
                .map(|m| shared.format(lang).short_month(m))
                .unwrap_or_else(|| r.clone()),
            _ => r.clone(),
        })
        .collect();
    let parts: Vec<String> = table
        .columns
        .iter()
        .map(|c| group_label(shared, &query.resource, &column_field, c, None, lang))
        .collect();
    let hidden: Vec<Vec<bool>> = (0..table.rows.len())
        .map(|r| {
            (0..table.cells[r].len())
                .map(|c| {
                    table
                        .hidden
                        .contains_key(&table_marginal(table, r, Some(c)))
                })
                .collect()
        })
        .collect();
    let texts: Vec<Vec<String>> = table
        .cells
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .enumerate()
                .map(
                    |(c, v)| match table.hidden.get(&table_marginal(table, r, Some(c))) {
                        Some(_) => {
                            hidden_marker(shared, lang, &query.resource, is_count(query), *v)
                        }
                        None => number_text(shared, lang, *v, &decl.unit, decl.currency.as_deref()),
                    },
                )
                .collect()
        })
        .collect();
    let totals: Vec<String> = table
        .cells
        .iter()
        .enumerate()
        .map(
            |(r, row)| match table.hidden.get(&table_marginal(table, r, None)) {
                Some(_) => hidden_marker(
                    shared,
                    lang,
                    &query.resource,
                    is_count(query),
                    Some(row.iter().flatten().sum()),
                ),
                None => number_text(
                    shared,
                    lang,
                    Some(row.iter().flatten().sum()),
                    &decl.unit,
                    decl.currency.as_deref(),
                ),
            },
        )
        .collect();
    let title = label(&decl.label, lang);
    let missing = shared
        .site
        .theme
        .strings
        .get(lang)
        .and_then(|s| s.get("no_data"))
        .cloned()
        .unwrap_or_else(|| "–".to_string());
    let data = ChartData {
        id: &format!("grafik-{}", decl.id),
        title: &title,
        shape,
        rows,
        short_rows,
        parts,
        values: table.cells.clone(),
        texts,
        totals,
        hidden,
        missing_text: &missing,
    };
    Some(crate::chart::svg(&data, standalone))
}

/// Every chart as a standalone SVG per language and a CSV of exactly the
/// numbers it plots, at stable URLs for embedding and checking.
pub(crate) fn chart_files(shared: &Shared) -> Vec<OutputFile> {
    let mut files = Vec::new();
    let default_language = &shared.site.config.default_language;
    for table in &shared.site.statistics.tables {
        if table.decl.chart == ChartKind::None {
            continue;
        }
        for language in &shared.site.config.languages {
            if let Some(svg) = chart_svg(shared, table, &language.code, true) {
                files.push(OutputFile {
                    path: chart_path(&table.decl.id, &language.code, default_language, "svg"),
                    contents: Contents::Bytes(svg.into_bytes()),
                    origin: format!("the chart of `{}`", table.decl.id),
                });
            }
        }
        files.push(OutputFile {
            path: chart_path(&table.decl.id, default_language, default_language, "csv"),
            contents: Contents::Bytes(chart_csv(table).into_bytes()),
            origin: format!("the chart data of `{}`", table.decl.id),
        });
    }
    files
}

/// The plotted numbers in machine form: one row per bar or period.
pub(crate) fn chart_csv(table: &TableResult) -> String {
    let query = &table.decl.query;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut header = vec![query.by.first().cloned().unwrap_or_default()];
    if table.columns.is_empty() {
        header.push(
            query
                .field
                .clone()
                .map(|f| format!("{}_{f}", query.measure.name()))
                .unwrap_or_else(|| query.measure.name().to_string()),
        );
    } else {
        header.extend(table.columns.iter().cloned());
    }
    let _ = writer.write_record(
        header
            .iter()
            .map(|h| crate::output::downloads::neutralise_formula(h)),
    );
    for (r, (row, cells)) in table.rows.iter().zip(&table.cells).enumerate() {
        let mut record = vec![crate::output::downloads::neutralise_formula(row)];
        // Hidden numbers are not in the file; the marker says why.
        record.extend(cells.iter().enumerate().map(|(c, v)| {
            match table.hidden.get(&table_marginal(table, r, Some(c))) {
                Some(Reason::Primary) => "hidden:small".to_string(),
                Some(Reason::Complementary) => "hidden:complementary".to_string(),
                None => v
                    .map(crate::data::schema::format_number)
                    .unwrap_or_default(),
            }
        }));
        let _ = writer.write_record(&record);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
