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

pub(crate) fn dataset_url(shared: &Shared, lang: &str, name: &str) -> String {
    let prefix = shared
        .site
        .config
        .language(lang)
        .map(|l| l.path_prefix.clone())
        .unwrap_or_default();
    shared.url(&format!("{prefix}{DATASETS_PAGE}{name}/"))
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
            if let Some((pattern, _)) = &constraints.pattern {
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
