//! Dataset pages as templates see them: what a resource holds, its field
//! dictionary, licence, sources, when it was last updated and when the next
//! update is due (the public-information law asks for one at least every
//! six months), its downloads with sizes and checksums, and the statistics
//! computed from it.

use std::sync::Arc;

use minijinja::{Value, context};
use serde_json::Value as Json;

use super::Shared;
use super::stats_view::field_title;
use crate::data::package::Resource;

/// Where dataset pages are, under each language's prefix.
pub const DATASETS_PAGE: &str = "data/";

fn text_in(
    map: &serde_json::Map<String, Json>,
    key: &str,
    lang: &str,
    default_language: &str,
) -> Option<String> {
    let localised = if lang == default_language {
        None
    } else {
        map.get(&format!("{key}_{lang}"))
    };
    localised
        .or_else(|| map.get(key))
        .and_then(Json::as_str)
        .map(str::to_string)
}

fn date_text(shared: &Shared, lang: &str, value: Option<&Json>) -> Option<String> {
    let text = value?.as_str()?;
    match text.parse::<jiff::civil::Date>() {
        Ok(date) if text.len() == 10 => Some(shared.format(lang).long_date(date)),
        _ => Some(text.to_string()),
    }
}

/// `12,3 KB` style sizes, written in the reader's language.
fn size_text(shared: &Shared, lang: &str, bytes: u64) -> String {
    let format = shared.format(lang);
    if bytes < 1024 {
        format!("{} B", format.integer(bytes as i64))
    } else if bytes < 1024 * 1024 {
        format!("{} KB", format.number(bytes as f64 / 1024.0, 1))
    } else {
        format!("{} MB", format.number(bytes as f64 / (1024.0 * 1024.0), 1))
    }
}

fn field_description(
    field: &crate::data::schema::Field,
    lang: &str,
    default_language: &str,
) -> Option<String> {
    if lang != default_language
        && let Some(text) = field
            .extra
            .get(&format!("description_{lang}"))
            .and_then(Json::as_str)
    {
        return Some(text.to_string());
    }
    field.description.clone()
}

/// The list of datasets in `lang`, from the site's root.
fn datasets_path(shared: &Shared, lang: &str) -> String {
    let prefix = shared
        .site
        .config
        .language(lang)
        .map(|l| l.path_prefix.as_str())
        .unwrap_or_default();
    format!("{prefix}{DATASETS_PAGE}")
}

/// A dataset's page in `lang`, from the site's root.
pub(crate) fn dataset_path(shared: &Shared, lang: &str, name: &str) -> String {
    format!("{}{name}/", datasets_path(shared, lang))
}

pub(crate) fn dataset_url(shared: &Shared, lang: &str, name: &str) -> String {
    shared.url(&dataset_path(shared, lang, name))
}

pub(crate) fn dataset_value(shared: &Arc<Shared>, resource: &Resource, lang: &str) -> Value {
    let site = &shared.site;
    let default_language = &site.config.default_language;
    let raw = &resource.raw;
    let facts = site.statistics.resources.get(&resource.name);
    let downloads: Vec<Value> = shared
        .downloads
        .get(&resource.name)
        .into_iter()
        .flatten()
        .map(|d| {
            context! {
                url => shared.url(&d.path),
                name => d.path.trim_start_matches("data/"),
                format => d.format,
                bytes => d.bytes,
                size_text => size_text(shared, lang, d.bytes),
                sha256 => d.sha256,
            }
        })
        .collect();
    let fields: Vec<Value> = resource
        .fields
        .iter()
        .map(|field| {
            let constraints = &field.constraints;
            let mut rules = Vec::new();
            if constraints.required {
                rules.push("required".to_string());
            }
            if constraints.unique {
                rules.push("unique".to_string());
            }
            if let Some(allowed) = &constraints.allowed {
                rules.push(format!("enum: {}", allowed.join(", ")));
            }
            if let Some(min) = &constraints.minimum {
                rules.push(format!("minimum: {min}"));
            }
            if let Some(max) = &constraints.maximum {
                rules.push(format!("maximum: {max}"));
            }
            if let Some(crate::data::schema::Pattern {
                written: pattern, ..
            }) = &constraints.pattern
            {
                rules.push(format!("pattern: {pattern}"));
            }
            context! {
                name => field.name,
                type => field.field_type.name(),
                title => field_title(shared, &resource.name, &field.name, lang),
                description => field_description(field, lang, default_language),
                rules => rules,
                privacy => field.extra.get("privacy").and_then(Json::as_str),
            }
        })
        .collect();
    let statistics: Vec<Value> = site
        .statistics
        .tables
        .iter()
        .filter(|t| t.decl.query.resource == resource.name)
        .map(|t| {
            (
                t.decl.label.clone(),
                t.decl.origin.page.clone(),
                format!("tabel-{}", t.decl.id),
            )
        })
        .chain(
            site.statistics
                .figures
                .iter()
                .filter_map(|f| match &f.decl.kind {
                    crate::stats::declare::Kind::Computed(q) if q.resource == resource.name => {
                        Some((
                            f.decl.label.clone(),
                            f.decl.origin.page.clone(),
                            format!("angka-{}", f.decl.id),
                        ))
                    }
                    _ => None,
                }),
        )
        .filter_map(|(label, page, anchor)| {
            let page = page?;
            let target = site.content.resolve(&page, lang, &site.config)?;
            Some(context! {
                label => label.get(lang).or_else(|| label.values().next()).cloned(),
                url => format!("{}#{anchor}", shared.url(site.content.target_path(target))),
            })
        })
        .collect();
    let licences: Vec<Value> = raw
        .get("licenses")
        .or_else(|| site.package.as_ref().and_then(|p| p.raw.get("licenses")))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
        .map(|l| {
            context! {
                name => l.get("name").and_then(Json::as_str),
                title => l.get("title").and_then(Json::as_str),
                url => l.get("path").and_then(Json::as_str),
            }
        })
        .collect();
    let sources: Vec<Value> = raw
        .get("sources")
        .or_else(|| site.package.as_ref().and_then(|p| p.raw.get("sources")))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
        .map(|s| {
            context! {
                title => s.get("title").and_then(Json::as_str),
                url => s.get("path").and_then(Json::as_str),
            }
        })
        .collect();
    context! {
        name => resource.name,
        url => dataset_url(shared, lang, &resource.name),
        title => text_in(raw, "title", lang, default_language).unwrap_or_else(|| resource.name.clone()),
        description => text_in(raw, "description", lang, default_language),
        persons => raw.get("persons").and_then(Json::as_bool).unwrap_or(false),
        // How many rows person-level data has is itself a count of persons
        // (it may be small, or a hidden total): never shown.
        rows => facts.filter(|_| !resource.persons).map(|f| f.rows),
        rows_text => facts.filter(|_| !resource.persons).map(|f| shared.format(lang).integer(f.rows as i64)),
        source_sha256 => facts.map(|f| f.sha256.clone()),
        updated_text => date_text(shared, lang, raw.get("updated")),
        next_update_text => date_text(shared, lang, raw.get("next_update")),
        downloads => downloads,
        fields => fields,
        statistics => statistics,
        licences => licences,
        sources => sources,
        json_ld => Value::from_safe_string(script_json(&dataset_json_ld(shared, resource, lang))),
    }
}

pub(crate) fn datasets_value(shared: &Arc<Shared>, lang: &str) -> Value {
    let list: Vec<Value> = shared
        .site
        .package
        .iter()
        .flat_map(|p| &p.resources)
        .map(|r| dataset_value(shared, r, lang))
        .collect();
    Value::from(list)
}

/// One file a dataset can be downloaded as: its rows (CSV, JSON), or, for
/// data whose rows are not published, the tables computed from it.
pub(crate) struct Distribution {
    pub title: String,
    /// From the site's root.
    pub path: String,
    pub media_type: &'static str,
    pub bytes: u64,
    pub sha256: Option<String>,
}

pub(crate) fn distributions(shared: &Shared, resource: &Resource, lang: &str) -> Vec<Distribution> {
    let site = &shared.site;
    let default_language = &site.config.default_language;
    let mut list: Vec<Distribution> = shared
        .downloads
        .get(&resource.name)
        .into_iter()
        .flatten()
        .map(|d| Distribution {
            title: d.path.trim_start_matches("data/").to_string(),
            path: d.path.clone(),
            media_type: match d.format {
                "json" => "application/json",
                _ => "text/csv",
            },
            bytes: d.bytes,
            sha256: Some(d.sha256.clone()),
        })
        .collect();
    for table in &site.statistics.tables {
        if table.decl.query.resource != resource.name
            || table.decl.chart == crate::stats::declare::ChartKind::None
        {
            continue;
        }
        let label = &table.decl.label;
        list.push(Distribution {
            title: label
                .get(lang)
                .or_else(|| label.values().next())
                .cloned()
                .unwrap_or_else(|| table.decl.id.clone()),
            path: super::stats_view::chart_path(
                &table.decl.id,
                default_language,
                default_language,
                "csv",
            ),
            media_type: "text/csv",
            bytes: super::stats_view::chart_csv(table).len() as u64,
            sha256: None,
        });
    }
    list
}

/// A text of the resource in `lang`, else the package's (`key_en`, `key`).
pub(crate) fn inherited_text(
    shared: &Shared,
    resource: &Resource,
    key: &str,
    lang: &str,
) -> Option<String> {
    let default_language = &shared.site.config.default_language;
    text_in(&resource.raw, key, lang, default_language).or_else(|| {
        shared
            .site
            .package
            .as_ref()
            .and_then(|p| text_in(&p.raw, key, lang, default_language))
    })
}

/// Who made the data: the `contributors` of the resource, else of the
/// package, else the site itself; as (name, address).
pub(crate) fn creators(
    shared: &Shared,
    resource: &Resource,
    lang: &str,
) -> Vec<(String, Option<String>)> {
    let site = &shared.site;
    let listed: Vec<(String, Option<String>)> = resource
        .raw
        .get("contributors")
        .or_else(|| {
            site.package
                .as_ref()
                .and_then(|p| p.raw.get("contributors"))
        })
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
        .filter_map(|c| {
            let name = c.get("title").and_then(Json::as_str)?;
            Some((
                name.to_string(),
                c.get("path").and_then(Json::as_str).map(str::to_string),
            ))
        })
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    let title = site
        .config
        .language(lang)
        .map(|l| l.title.clone())
        .unwrap_or_default();
    vec![(title, Some(site.config.base_url.clone()))]
}

/// Licence addresses (or names, when a licence has no address).
pub(crate) fn licence_ids(shared: &Shared, resource: &Resource) -> Vec<String> {
    resource
        .raw
        .get("licenses")
        .or_else(|| {
            shared
                .site
                .package
                .as_ref()
                .and_then(|p| p.raw.get("licenses"))
        })
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
        .filter_map(|l| {
            l.get("path")
                .or_else(|| l.get("name"))
                .and_then(Json::as_str)
                .map(str::to_string)
        })
        .collect()
}

/// The fields a reader of the published data gets: identifiers are never
/// published, so they are not described as measured either.
pub(crate) fn published_fields(
    resource: &Resource,
) -> impl Iterator<Item = &crate::data::schema::Field> {
    resource
        .fields
        .iter()
        .filter(|f| f.extra.get("privacy").and_then(Json::as_str) != Some("identifier"))
}

/// The schema.org `Dataset` describing one resource, for its page's head:
/// what Google Dataset Search and other harvesters read.
pub(crate) fn dataset_json_ld(shared: &Shared, resource: &Resource, lang: &str) -> Json {
    let site = &shared.site;
    let default_language = &site.config.default_language;
    let raw = &resource.raw;
    let permalink = shared.permalink(&dataset_path(shared, lang, &resource.name));
    let organisation = |(name, url): (String, Option<String>)| {
        let mut org = serde_json::json!({"@type": "Organization", "name": name});
        if let Some(url) = url {
            org["url"] = Json::from(url);
        }
        org
    };
    let mut ld = serde_json::json!({
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": permalink,
        "url": permalink,
        "identifier": resource.name,
        "name": text_in(raw, "title", lang, default_language).unwrap_or_else(|| resource.name.clone()),
        "inLanguage": lang,
        "isAccessibleForFree": true,
        "creator": creators(shared, resource, lang).into_iter().map(organisation).collect::<Vec<_>>(),
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": site.config.language(lang).map(|l| l.title.clone()).unwrap_or_default(),
            "@id": format!("{}{}", site.config.base_url, crate::output::catalog::CATALOG_PATH),
            "url": shared.permalink(&datasets_path(shared, lang)),
        },
    });
    if let Some(description) = text_in(raw, "description", lang, default_language) {
        ld["description"] = Json::from(description);
    }
    let licences = licence_ids(shared, resource);
    match licences.len() {
        0 => {}
        1 => ld["license"] = Json::from(licences[0].clone()),
        _ => ld["license"] = Json::from(licences),
    }
    if let Some(updated) = raw.get("updated").and_then(Json::as_str) {
        ld["dateModified"] = Json::from(updated);
    }
    if let Some(period) = inherited_text(shared, resource, "temporal_coverage", default_language) {
        ld["temporalCoverage"] = Json::from(period);
    }
    if let Some(place) = inherited_text(shared, resource, "spatial_coverage", lang) {
        ld["spatialCoverage"] = serde_json::json!({"@type": "Place", "name": place});
    }
    if let Some(keywords) = site.package.as_ref().and_then(|p| {
        p.raw
            .get(&format!("keywords_{lang}"))
            .or_else(|| p.raw.get("keywords"))
    }) {
        ld["keywords"] = keywords.clone();
    }
    ld["variableMeasured"] = published_fields(resource)
        .map(|field| {
            let mut variable = serde_json::json!({
                "@type": "PropertyValue",
                "propertyID": field.name,
                "name": field_title(shared, &resource.name, &field.name, lang),
            });
            if let Some(description) = field_description(field, lang, default_language) {
                variable["description"] = Json::from(description);
            }
            variable
        })
        .collect();
    ld["distribution"] = distributions(shared, resource, lang)
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "@type": "DataDownload",
                "name": d.title,
                "contentUrl": format!("{}{}", site.config.base_url, d.path),
                "encodingFormat": d.media_type,
                "contentSize": format!("{} B", d.bytes),
            })
        })
        .collect();
    ld
}

/// JSON to put inside `<script type="application/ld+json">`: the HTML
/// parser ends the script at the first `</script`, whatever JSON thinks, so
/// `<`, `>` and `&` are written as JSON escapes, which mean the same.
pub(crate) fn script_json(value: &Json) -> String {
    serde_json::to_string(value)
        .expect("a JSON value always serialises")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
