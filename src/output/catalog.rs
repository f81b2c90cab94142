//! The data catalogue, `/data/catalog.jsonld`: every dataset of the portal
//! described with W3C DCAT (version 3) in JSON-LD, so that open-data portals
//! (CKAN, data.go.id, the European data portal) can harvest it. Titles and
//! descriptions carry every language of the site; the context is written
//! inline, so reading the file needs no other download.

use serde_json::{Value as Json, json};

use crate::render::datasets::{creators, dataset_path, distributions, inherited_text, licence_ids};
use crate::render::{Contents, OutputFile, Shared};

/// Where the catalogue is, from the site's root.
pub const CATALOG_PATH: &str = "data/catalog.jsonld";

pub(crate) fn files(shared: &Shared) -> Vec<OutputFile> {
    let Some(package) = &shared.site.package else {
        return Vec::new();
    };
    if package.resources.is_empty() {
        return Vec::new();
    }
    let catalogue = catalogue(shared);
    let mut text = serde_json::to_string_pretty(&catalogue).expect("JSON always serialises");
    text.push('\n');
    vec![OutputFile {
        path: CATALOG_PATH.to_string(),
        contents: Contents::Bytes(text.into_bytes()),
        origin: "the data catalogue (DCAT)".to_string(),
    }]
}

fn catalogue(shared: &Shared) -> Json {
    let site = &shared.site;
    let config = &site.config;
    let base = &config.base_url;
    let package = site
        .package
        .as_ref()
        .expect("the catalogue is made only with a package");
    let default_language = &config.default_language;
    let in_every_language = |text: &dyn Fn(&str) -> Option<String>| -> Json {
        let mut seen = Vec::new();
        config
            .languages
            .iter()
            .filter_map(|language| {
                let value = text(&language.code)?;
                // A translation that is missing falls back to the default
                // language's text: do not label that text as another language.
                if seen.contains(&value) {
                    return None;
                }
                seen.push(value.clone());
                Some(json!({"@language": language.code, "@value": value}))
            })
            .collect()
    };

    let datasets: Vec<Json> = package
        .resources
        .iter()
        .map(|resource| {
            let page = shared.permalink(&dataset_path(shared, default_language, &resource.name));
            let localised = |key: &'static str| {
                move |lang: &str| {
                    let localised = (lang != default_language.as_str())
                        .then(|| resource.raw.get(&format!("{key}_{lang}")))
                        .flatten();
                    localised
                        .or_else(|| resource.raw.get(key))
                        .and_then(Json::as_str)
                        .map(str::to_string)
                }
            };
            let mut dataset = json!({
                "@id": page,
                "@type": "dcat:Dataset",
                "dct:identifier": resource.name,
                "dct:title": in_every_language(&localised("title")),
                "dct:description": in_every_language(&localised("description")),
                "dcat:landingPage": {"@id": page},
                "dct:publisher": creators(shared, resource, default_language)
                    .into_iter()
                    .map(|(name, url)| {
                        let mut agent = json!({"@type": "foaf:Agent", "foaf:name": name});
                        if let Some(url) = url {
                            agent["foaf:homepage"] = json!({"@id": url});
                        }
                        agent
                    })
                    .collect::<Vec<_>>(),
                "dct:license": licence_ids(shared, resource)
                    .into_iter()
                    .map(|licence| json!({"@id": licence}))
                    .collect::<Vec<_>>(),
                "dcat:keyword": package.raw.get("keywords").cloned().unwrap_or(json!([])),
                "dct:language": config
                    .languages
                    .iter()
                    .map(|l| json!({"@id": format!("http://id.loc.gov/vocabulary/iso639-1/{}", l.code)}))
                    .collect::<Vec<_>>(),
            });
            if let Some(updated) = resource.raw.get("updated").and_then(Json::as_str) {
                dataset["dct:modified"] = json!({"@value": updated, "@type": "xsd:date"});
            }
            if let Some(period) =
                inherited_text(shared, resource, "temporal_coverage", default_language)
                && let Some((start, end)) = crate::data::package::parse_period(&period)
            {
                dataset["dct:temporal"] = json!({
                    "@type": "dct:PeriodOfTime",
                    "dcat:startDate": {"@value": start.to_string(), "@type": "xsd:date"},
                    "dcat:endDate": {"@value": end.to_string(), "@type": "xsd:date"},
                });
            }
            let place = in_every_language(&|lang: &str| {
                inherited_text(shared, resource, "spatial_coverage", lang)
            });
            if place.as_array().is_some_and(|names| !names.is_empty()) {
                dataset["dct:spatial"] = json!({"@type": "dct:Location", "skos:prefLabel": place});
            }
            dataset["dcat:distribution"] = distributions(shared, resource, default_language)
                .into_iter()
                .map(|d| {
                    let url = format!("{base}{}", d.path);
                    let mut distribution = json!({
                        "@type": "dcat:Distribution",
                        "dct:title": d.title,
                        "dcat:downloadURL": {"@id": url},
                        "dcat:accessURL": {"@id": page},
                        "dcat:mediaType": {"@id": format!("https://www.iana.org/assignments/media-types/{}", d.media_type)},
                        "dcat:byteSize": {"@value": d.bytes.to_string(), "@type": "xsd:nonNegativeInteger"},
                    });
                    if let Some(sha256) = d.sha256 {
                        distribution["spdx:checksum"] = json!({
                            "@type": "spdx:Checksum",
                            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                            "spdx:checksumValue": sha256,
                        });
                    }
                    distribution
                })
                .collect();
            dataset
        })
        .collect();

    let title = |lang: &str| config.language(lang).map(|l| l.title.clone());
    let description = |lang: &str| {
        config
            .language(lang)
            .map(|l| l.description.clone())
            .filter(|d| !d.is_empty())
    };
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "spdx": "http://spdx.org/rdf/terms#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": format!("{base}{CATALOG_PATH}"),
        "@type": "dcat:Catalog",
        "dct:title": in_every_language(&title),
        "dct:description": in_every_language(&description),
        "foaf:homepage": {"@id": base},
        "dct:language": config
            .languages
            .iter()
            .map(|l| json!({"@id": format!("http://id.loc.gov/vocabulary/iso639-1/{}", l.code)}))
            .collect::<Vec<_>>(),
        "dcat:dataset": datasets,
    })
}
