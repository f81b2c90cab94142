//! What search engines, social networks and open-data harvesters read from
//! the example portal: description and Open Graph tags on every page, the
//! schema.org `Dataset` on every dataset page, and the DCAT catalogue.

mod common;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use common::{assert_clean, build_into, exists, list_files, read};
use serde_json::Value;

/// The example portal, built once for all tests of this file.
static EXAMPLE: LazyLock<PathBuf> = LazyLock::new(|| {
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("metadata-example");
    assert_clean(&build_into(&common::repository(), &output));
    output
});

const BASE_URL: &str = "https://portal-balikpapan.example.org/";

/// `content` of `<meta property="…">` or `<meta name="…">`, unescaped.
fn meta(html: &str, key: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["property", "name"] {
        let needle = format!("<meta {attribute}=\"{key}\" content=\"");
        for rest in html.split(&needle).skip(1) {
            found.push(common::unescape(rest.split('"').next().unwrap()));
        }
    }
    found
}

fn one_meta(html: &str, key: &str, file: &str) -> String {
    let values = meta(html, key);
    assert_eq!(values.len(), 1, "{file}: {key} {values:?}");
    values[0].clone()
}

fn html_pages(output: &Path) -> Vec<String> {
    list_files(output)
        .into_iter()
        .filter(|f| f.ends_with(".html") && f != "404.html")
        .filter(|f| !read(output, f).contains("http-equiv=\"refresh\""))
        .collect()
}

#[test]
fn every_page_describes_itself_for_search_results_and_link_previews() {
    let output = &*EXAMPLE;
    let pages = html_pages(output);
    assert!(pages.len() > 100, "{} pages", pages.len());
    for file in &pages {
        let html = read(output, file);
        let english = file.starts_with("en/");
        let description = one_meta(&html, "description", file);
        assert!(
            description.len() >= 20,
            "{file}: description {description:?}"
        );
        assert_eq!(
            one_meta(&html, "og:description", file),
            description,
            "{file}"
        );
        let title = common::unescape(
            common::between(&html, "<title>", "</title>")
                .trim_start_matches("<title>")
                .trim_end_matches("</title>"),
        );
        assert_eq!(one_meta(&html, "og:title", file), title, "{file}");
        let canonical = common::between(&html, "<link rel=\"canonical\" href=\"", "\">");
        let canonical = &canonical["<link rel=\"canonical\" href=\"".len()..canonical.len() - 2];
        assert_eq!(one_meta(&html, "og:url", file), canonical, "{file}");
        let expected_url = format!("{BASE_URL}{}", file.trim_end_matches("index.html"));
        assert_eq!(canonical, expected_url, "{file}");
        let (locale, other) = if english {
            ("en_GB", "id_ID")
        } else {
            ("id_ID", "en_GB")
        };
        assert_eq!(one_meta(&html, "og:locale", file), locale, "{file}");
        assert_eq!(meta(&html, "og:locale:alternate"), [other], "{file}");
        let kind = one_meta(&html, "og:type", file);
        let is_content_page = ["pengumuman/", "program/"].iter().any(|s| {
            file.trim_start_matches("en/")
                .strip_prefix(s)
                .is_some_and(|rest| rest.matches('/').count() == 1 && !rest.starts_with("page/"))
        });
        if is_content_page {
            assert_eq!(kind, "article", "{file}");
        }
    }
    // Each page says what it is about, not only what the site is.
    let page = read(output, "program/bursa-kerja/index.html");
    assert!(one_meta(&page, "description", "bursa-kerja").contains("102 perusahaan"));
    assert_eq!(
        one_meta(&read(output, "index.html"), "og:type", "home"),
        "website"
    );
}

/// The JSON-LD of a page, parsed.
fn json_ld(html: &str, file: &str) -> Value {
    let open = "<script type=\"application/ld+json\">";
    let block = common::between(html, open, "</script>");
    let json = &block[open.len()..block.len() - "</script>".len()];
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}: {e}\n{json}"))
}

/// The file a full address of this site points to.
fn local_file(url: &str) -> String {
    let path = url
        .strip_prefix(BASE_URL)
        .unwrap_or_else(|| panic!("{url} is not on this site"));
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    }
}

#[test]
fn every_dataset_page_carries_a_schema_org_dataset() {
    let output = &*EXAMPLE;
    let package: Value = serde_json::from_str(&read(output, "data/datapackage.json")).unwrap();
    let resources = package["resources"].as_array().unwrap();
    let source: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repository().join("data/datapackage.json")).unwrap(),
    )
    .unwrap();
    let all_resources = source["resources"].as_array().unwrap();
    assert_eq!(all_resources.len(), 9);
    for resource in all_resources {
        let name = resource["name"].as_str().unwrap();
        for (prefix, lang) in [("", "id"), ("en/", "en")] {
            let file = format!("{prefix}data/{name}/index.html");
            let html = read(output, &file);
            let ld = json_ld(&html, &file);
            assert_eq!(ld["@context"], "https://schema.org/", "{file}");
            assert_eq!(ld["@type"], "Dataset", "{file}");
            assert_eq!(
                ld["url"],
                format!("{BASE_URL}{prefix}data/{name}/"),
                "{file}"
            );
            let title = common::between(&html, "<h1>", "</h1>");
            assert_eq!(
                format!("<h1>{}</h1>", ld["name"].as_str().unwrap()),
                common::unescape(title)
            );
            // Google asks for 50 to 5000 characters.
            let description = ld["description"].as_str().unwrap();
            assert!((50..=5000).contains(&description.chars().count()), "{file}");
            assert_eq!(
                ld["license"],
                "https://creativecommons.org/licenses/by/4.0/"
            );
            assert_eq!(ld["creator"][0]["@type"], "Organization");
            assert!(
                ld["creator"][0]["name"]
                    .as_str()
                    .unwrap()
                    .contains("Balikpapan")
            );
            let period = ld["temporalCoverage"].as_str().unwrap();
            assert_eq!(
                period,
                resource["temporal_coverage"].as_str().unwrap(),
                "{file}"
            );
            let place = ld["spatialCoverage"]["name"].as_str().unwrap();
            let place_key = if lang == "en" {
                "spatial_coverage_en"
            } else {
                "spatial_coverage"
            };
            let expected_place = resource
                .get(place_key)
                .or_else(|| source.get(place_key))
                .and_then(Value::as_str)
                .unwrap();
            assert_eq!(place, expected_place, "{file}");

            // Every column a reader gets, and no identifier column.
            let variables: Vec<&str> = ld["variableMeasured"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["propertyID"].as_str().unwrap())
                .collect();
            let fields = resource["schema"]["fields"].as_array().unwrap();
            for field in fields {
                let field_name = field["name"].as_str().unwrap();
                let identifier = field["privacy"] == "identifier";
                assert_eq!(
                    variables.contains(&field_name),
                    !identifier,
                    "{file}: column {field_name} (identifier: {identifier})"
                );
            }

            // Every distribution is a file of the site, of the stated type.
            let distributions = ld["distribution"].as_array().unwrap();
            assert!(
                !distributions.is_empty(),
                "{file} offers nothing to download"
            );
            for distribution in distributions {
                assert_eq!(distribution["@type"], "DataDownload");
                let url = distribution["contentUrl"].as_str().unwrap();
                let local = local_file(url);
                assert!(exists(output, &local), "{file}: {url} is not in the output");
                let format = distribution["encodingFormat"].as_str().unwrap();
                let expected = if local.ends_with(".json") {
                    "application/json"
                } else {
                    "text/csv"
                };
                assert_eq!(format, expected, "{url}");
                let size = std::fs::metadata(output.join(&local)).unwrap().len();
                assert_eq!(distribution["contentSize"], format!("{size} B"), "{url}");
            }
            // Rows are offered exactly when the published package has them.
            let rows_published = resources.iter().any(|r| r["name"] == name);
            let offers_rows = distributions
                .iter()
                .any(|d| d["contentUrl"] == format!("{BASE_URL}data/{name}.csv"));
            assert_eq!(rows_published, offers_rows, "{file}");
        }
    }
}

#[test]
fn the_dcat_catalogue_lists_every_dataset_in_both_languages() {
    let output = &*EXAMPLE;
    let catalogue: Value = serde_json::from_str(&read(output, "data/catalog.jsonld")).unwrap();
    assert_eq!(catalogue["@type"], "dcat:Catalog");
    assert_eq!(catalogue["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    let datasets = catalogue["dcat:dataset"].as_array().unwrap();
    assert_eq!(datasets.len(), 9);
    for dataset in datasets {
        let page = dataset["@id"].as_str().unwrap();
        assert!(exists(output, &local_file(page)), "{page}");
        let languages: Vec<&str> = dataset["dct:title"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["@language"].as_str().unwrap())
            .collect();
        assert_eq!(languages, ["id", "en"], "{page}");
        let temporal = &dataset["dct:temporal"];
        let start = temporal["dcat:startDate"]["@value"].as_str().unwrap();
        let end = temporal["dcat:endDate"]["@value"].as_str().unwrap();
        assert!(start.len() == 10 && start <= end, "{page}: {start}..{end}");
        for distribution in dataset["dcat:distribution"].as_array().unwrap() {
            let url = distribution["dcat:downloadURL"]["@id"].as_str().unwrap();
            let local = local_file(url);
            let bytes = std::fs::read(output.join(&local))
                .unwrap_or_else(|_| panic!("{url} is not in the output"));
            assert_eq!(
                distribution["dcat:byteSize"]["@value"],
                bytes.len().to_string(),
                "{url}"
            );
            if let Some(checksum) = distribution.get("spdx:checksum") {
                assert_eq!(
                    checksum["spdx:checksumValue"],
                    common::sha256_hex(&bytes),
                    "{url}"
                );
            }
        }
    }
    // The dataset list links it, in both languages.
    for page in ["data/index.html", "en/data/index.html"] {
        assert!(
            read(output, page).contains("href=\"/data/catalog.jsonld\""),
            "{page}"
        );
    }
}

#[test]
fn json_ld_cannot_be_closed_by_a_value() {
    // A data package whose texts try to end the script block.
    let site = common::copy_fixture("good/data");
    let package = site.root.join("data/datapackage.json");
    let text = std::fs::read_to_string(&package).unwrap();
    let mut json: Value = serde_json::from_str(&text).unwrap();
    json["resources"][0]["title"] = Value::from("Data </script><script>alert(1)</script> & <!-- x");
    std::fs::write(&package, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let output = site.output();
    assert_clean(&build_into(&site.root, &output));
    let name = json["resources"][0]["name"].as_str().unwrap();
    let html = read(&output, &format!("data/{name}/index.html"));
    assert!(
        !html.contains("<script>alert(1)"),
        "the title escaped its script block"
    );
    let ld = json_ld(&html, name);
    assert_eq!(
        ld["name"],
        "Data </script><script>alert(1)</script> & <!-- x"
    );
}
