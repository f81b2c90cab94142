//! A site whose every input is hostile (`tests/sites/good/hostile`): script
//! tags, event handlers, `javascript:` and `data:` addresses, `]]>`, quotes
//! and control characters in site.toml, front matter, markdown, the data
//! package, CSV values and statistics labels. The built site must run no
//! script from the input, and every hostile string must come out as the same
//! text a reader would have typed, in every format: HTML, SVG, XML, JSON,
//! JSON-LD and CSV.

mod common;

use std::path::Path;

use common::{build_into, read};
use scraper::{ElementRef, Html, Selector};

const PAGE_TITLE: &str = r#"Pelatihan <img src=x onerror=alert(10)> "kutip" ]]> </script>"#;
const SITE_TITLE: &str = r#"Portal <script>alert(9)</script> & "Uji" ]]>"#;
const NEWS_TITLE: &str = r#"Kabar ]]> <script>alert(21)</script> & "Kutip""#;
const NEWS_SUMMARY: &str = "Ringkasan <img src=x onerror=alert(22)> ]]>";
const CATEGORY: &str = r#"Las <img src=x onerror=alert(1)></script>]]>"'&"#;
const DATASET_TITLE: &str = r#"Peserta <script>alert("judul")</script>"#;
const FIGURE_LABEL: &str = "Peserta <script>alert(7)</script>";
const FIGURE_LABEL_EN: &str = r#"Trainees " onmouseover="alert(8)"#;
const TAG: &str = "<script>alert(12)</script>";

struct Built {
    _dir: tempfile::TempDir,
    output: std::path::PathBuf,
}

fn build_hostile() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    let outcome = build_into(&common::fixture("good/hostile"), &output);
    assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
    Built { _dir: dir, output }
}

fn files_ending(output: &Path, suffix: &str) -> Vec<String> {
    common::list_files(output)
        .into_iter()
        .filter(|name| name.ends_with(suffix))
        .collect()
}

fn select<'a>(document: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(selector).expect("a valid selector in the test");
    document.select(&selector).collect()
}

fn text_of(element: &ElementRef) -> String {
    element.text().collect()
}

/// What a browser would run or load from a page, described for the report.
fn active_content(name: &str, document: &Html) -> Vec<String> {
    let mut found = Vec::new();
    for node in document.tree.nodes() {
        let Some(element) = ElementRef::wrap(node) else {
            continue;
        };
        let tag = element.value().name();
        match tag {
            "script" => {
                let kind = element.value().attr("type").unwrap_or("");
                let source = element.value().attr("src").unwrap_or("");
                let is_data = kind == "application/ld+json";
                // The theme's own search script, on the search page only.
                let is_search = kind == "module"
                    && source.starts_with("/js/search.")
                    && name.ends_with("cari/index.html");
                if !is_data && !is_search {
                    found.push(format!("{name}: a script: {}", element.html()));
                }
                if is_data {
                    let text = text_of(&element);
                    if let Err(error) = serde_json::from_str::<serde_json::Value>(&text) {
                        found.push(format!("{name}: JSON-LD that does not parse ({error})"));
                    }
                }
            }
            "iframe" | "object" | "embed" | "frame" | "base" => {
                found.push(format!("{name}: a <{tag}> element"));
            }
            _ => {}
        }
        for (attribute, value) in element.value().attrs() {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                found.push(format!("{name}: an event handler {attribute}={value:?}"));
            }
            if attribute == "style" && !matches!(tag, "th" | "td") {
                found.push(format!("{name}: a style attribute on <{tag}>: {value:?}"));
            }
            let address: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            let is_address = matches!(
                attribute.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href" | "srcset" | "poster"
            );
            if is_address
                && ["javascript:", "data:", "vbscript:"]
                    .iter()
                    .any(|scheme| address.starts_with(scheme))
            {
                found.push(format!("{name}: an active address {attribute}={value:?}"));
            }
        }
    }
    found
}

/// C0 controls other than tab and line ends, DEL and C1 controls: invisible,
/// and invalid in XML 1.0 and HTML.
fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{feff}'
}

/// The text content of an XML document (tags dropped, entities resolved),
/// after checking that it is well formed; also the names of its elements
/// and attributes so a test can look for scripts and handlers.
fn xml_text(name: &str, xml: &str) -> (String, Vec<String>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut text = String::new();
    let mut names = Vec::new();
    let mut depth = 0_i32;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|error| panic!("{name} is not well-formed XML: {error}"));
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
                names.push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                for attribute in start.attributes() {
                    let attribute =
                        attribute.unwrap_or_else(|error| panic!("{name}: bad attribute: {error}"));
                    names.push(String::from_utf8_lossy(attribute.key.as_ref()).into_owned());
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(raw) => {
                let raw = raw.decode().expect("UTF-8 text");
                let unescaped = quick_xml::escape::unescape(&raw)
                    .unwrap_or_else(|error| panic!("{name} has a bad escape: {error}"));
                text.push_str(&unescaped);
            }
            Event::GeneralRef(reference) => {
                let entity = format!("&{};", reference.decode().expect("UTF-8 entity"));
                let resolved = quick_xml::escape::unescape(&entity)
                    .unwrap_or_else(|error| panic!("{name} has a bad entity {entity}: {error}"));
                text.push_str(&resolved);
            }
            Event::CData(data) => text.push_str(&String::from_utf8_lossy(&data)),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{name} leaves elements open");
    (text, names)
}

fn json_strings(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => into.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_strings(item, into)),
        serde_json::Value::Object(map) => map.values().for_each(|item| json_strings(item, into)),
        _ => {}
    }
}

fn parse_json(output: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&read(output, name))
        .unwrap_or_else(|error| panic!("{name} is not JSON: {error}"))
}

#[test]
fn no_script_or_handler_from_the_input_survives_in_any_page() {
    let site = build_hostile();
    let pages = files_ending(&site.output, ".html");
    assert!(pages.len() >= 15, "too few pages: {pages:?}");
    let mut found = Vec::new();
    for name in &pages {
        let html = read(&site.output, name);
        found.extend(active_content(name, &Html::parse_document(&html)));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn no_output_file_carries_an_invisible_control_character() {
    let site = build_hostile();
    let mut found = Vec::new();
    for name in common::list_files(&site.output) {
        let textual = [".html", ".xml", ".svg", ".json", ".jsonld", ".csv", ".txt"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if !textual {
            continue;
        }
        let text = read(&site.output, &name);
        // A byte-order mark at the very start of a CSV is tolerated by
        // spreadsheets; anywhere else it is an invisible character.
        for (line, content) in text.lines().enumerate() {
            if let Some(c) = content.chars().find(|c| is_forbidden_control(*c)) {
                found.push(format!("{name}:{}: U+{:04X}", line + 1, c as u32));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The description with a control character in site.toml still shows.
    let home = Html::parse_document(&read(&site.output, "index.html"));
    let description = select(&home, r#"meta[name="description"]"#)[0]
        .value()
        .attr("content")
        .unwrap_or("")
        .to_string();
    assert!(
        description.contains("Deskripsi") && description.contains("dengan karakter kendali"),
        "{description:?}"
    );
}

#[test]
fn hostile_strings_read_back_as_the_same_text_in_html() {
    let site = build_hostile();
    let page = Html::parse_document(&read(&site.output, "program/pelatihan/index.html"));
    let headings = select(&page, "h1");
    assert_eq!(headings.len(), 1);
    assert_eq!(text_of(&headings[0]), PAGE_TITLE);
    let title = text_of(&select(&page, "title")[0]);
    assert_eq!(title, format!("{PAGE_TITLE} · {SITE_TITLE}"));
    let og_title = select(&page, r#"meta[property="og:title"]"#)[0]
        .value()
        .attr("content")
        .map(str::to_string);
    assert_eq!(og_title, Some(title));
    // The description keeps its markup as text; its control character goes.
    let description = select(&page, r#"meta[name="description"]"#)[0]
        .value()
        .attr("content")
        .unwrap_or("")
        .to_string();
    assert!(
        description.contains(r#"<b onclick="alert(11)">pencari</b>"#),
        "{description:?}"
    );
    // The tag is a link whose text is the tag as written.
    let tag_links: Vec<String> = select(&page, "a")
        .iter()
        .map(text_of)
        .filter(|text| text.contains("alert(12)"))
        .collect();
    assert!(
        tag_links.iter().any(|text| text.trim() == TAG),
        "{tag_links:?}"
    );
    // The raw HTML of the body keeps its harmless parts.
    let details = select(&page, "details summary");
    assert_eq!(details.len(), 1);
    assert_eq!(text_of(&details[0]), "Lebih");

    // The CSV category is a table heading on the home page, and the figure
    // label that tried to break out of an attribute is text in English.
    let home = Html::parse_document(&read(&site.output, "index.html"));
    let cells: Vec<String> = select(&home, "table th, table td")
        .iter()
        .map(|cell| text_of(cell).trim().to_string())
        .collect();
    assert!(cells.iter().any(|cell| cell == CATEGORY), "{cells:?}");
    let home_text = text_of(&select(&home, "main")[0]);
    assert!(home_text.contains(FIGURE_LABEL), "{home_text}");
    let english = Html::parse_document(&read(&site.output, "en/index.html"));
    let english_text = text_of(&select(&english, "main")[0]);
    assert!(english_text.contains(FIGURE_LABEL_EN), "{english_text}");

    // The dataset page shows the title of the data package as text.
    let dataset = Html::parse_document(&read(&site.output, "data/peserta/index.html"));
    assert_eq!(text_of(&select(&dataset, "h1")[0]), DATASET_TITLE);
}

#[test]
fn feeds_sitemaps_and_charts_are_well_formed_xml_with_the_same_text() {
    let site = build_hostile();
    let mut documents = files_ending(&site.output, ".xml");
    documents.extend(files_ending(&site.output, ".svg"));
    assert!(documents.len() >= 6, "{documents:?}");
    for name in &documents {
        let (_, names) = xml_text(name, &read(&site.output, name));
        let active: Vec<&String> = names
            .iter()
            .filter(|item| {
                let item = item.to_ascii_lowercase();
                item == "script" || item.starts_with("on") || item == "foreignobject"
            })
            .collect();
        assert!(active.is_empty(), "{name}: {active:?}");
    }

    let (feed, _) = xml_text("atom.xml", &read(&site.output, "atom.xml"));
    assert!(feed.contains(SITE_TITLE), "{feed}");
    assert!(feed.contains(NEWS_TITLE), "{feed}");
    assert!(feed.contains(NEWS_SUMMARY), "{feed}");
    // The entry's content is HTML carried as text; it is the sanitised body.
    assert!(feed.contains("<span>teks</span>"), "{feed}");
    assert!(!feed.contains("alert(23)"), "{feed}");

    let (chart, _) = xml_text(
        "peserta-per-jenis.svg",
        &read(&site.output, "data/charts/peserta-per-jenis.svg"),
    );
    assert!(chart.contains(CATEGORY), "{chart}");
}

#[test]
fn json_json_ld_and_csv_downloads_hold_the_hostile_strings_exactly() {
    let site = build_hostile();
    for name in files_ending(&site.output, ".json")
        .into_iter()
        .chain(files_ending(&site.output, ".jsonld"))
    {
        parse_json(&site.output, &name);
    }

    let mut figures = Vec::new();
    json_strings(&parse_json(&site.output, "data/figures.json"), &mut figures);
    assert!(figures.iter().any(|text| text == FIGURE_LABEL));
    assert!(figures.iter().any(|text| text == FIGURE_LABEL_EN));

    let mut catalog = Vec::new();
    json_strings(
        &parse_json(&site.output, "data/catalog.jsonld"),
        &mut catalog,
    );
    assert!(
        catalog.iter().any(|text| text == DATASET_TITLE),
        "{catalog:?}"
    );

    // The JSON-LD inside the dataset page: `</script>` in the title must not
    // have ended the script element early.
    let page = Html::parse_document(&read(&site.output, "data/peserta/index.html"));
    let scripts = select(&page, r#"script[type="application/ld+json"]"#);
    assert_eq!(scripts.len(), 1);
    let json_ld: serde_json::Value = serde_json::from_str(&text_of(&scripts[0])).unwrap();
    assert_eq!(json_ld["name"], DATASET_TITLE);
    assert!(
        json_ld["description"]
            .as_str()
            .is_some_and(|text| text.contains("</script><script>alert(6)</script>")),
        "{json_ld}"
    );

    for name in ["data/charts/peserta-per-jenis.csv", "data/peserta.csv"] {
        let text = read(&site.output, name);
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let mut values = Vec::new();
        for record in reader.records() {
            let record = record.unwrap_or_else(|error| panic!("{name}: {error}"));
            values.extend(record.iter().map(str::to_string));
        }
        assert!(
            values.iter().any(|value| value == CATEGORY),
            "{name}: {values:?}"
        );
    }
}

#[test]
fn the_build_names_the_line_of_everything_it_removed() {
    let outcome = common::check(&common::fixture("good/hostile"));
    let report = outcome.diagnostics.report();
    for expected in [
        "content/program/pelatihan.md:11:1: removed from the published page: a <script> element, a frame (<iframe>) from a host not in `markdown.iframe_hosts`, an event handler attribute (on…=), a style attribute",
        "content/program/pelatihan.md:13:45: removed from the published page: the address `javascript:alert(16)`",
        "content/program/pelatihan.md:13:80: removed from the published page: the address `data:image/svg+xml,<svg/onload=alert(17)>`",
        "content/pengumuman/2025-11-01-uji.md:8:18: removed from the published page: an event handler attribute (on…=)",
        "content/program/pelatihan.en.md:8:21: removed from the published page: the invisible control character U+0007",
        "set `raw_html = \"trusted\"` under [markdown] in site.toml",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in\n{report}"
        );
    }
    assert!(outcome.succeeded(), "removals are warnings, not errors");
}

#[test]
fn frames_from_allow_listed_hosts_are_kept_and_trusted_sites_keep_their_html() {
    let site = common::copy_fixture("good/bilingual");
    let page = "---\ntitle: Video\n---\n\n<iframe src=\"https://www.youtube-nocookie.com/embed/abc\" title=\"Video\"></iframe>\n\n<iframe src=\"https://evil.example/\"></iframe>\n\n<p style=\"color:red\">Merah</p>\n";
    std::fs::write(site.root.join("content/video.md"), page).unwrap();
    let config = site.root.join("site.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{original}\n[markdown]\niframe_hosts = [\"www.youtube-nocookie.com\"]\n"),
    )
    .unwrap();
    let output = site.output();
    let outcome = build_into(&site.root, &output);
    assert!(outcome.succeeded(), "{}", outcome.diagnostics.report());
    let html = Html::parse_document(&read(&output, "video/index.html"));
    let frames: Vec<String> = select(&html, "iframe")
        .iter()
        .filter_map(|frame| frame.value().attr("src").map(str::to_string))
        .collect();
    assert_eq!(frames, ["https://www.youtube-nocookie.com/embed/abc"]);
    assert!(select(&html, "p[style]").is_empty());
    let report = outcome.diagnostics.report();
    assert_eq!(outcome.diagnostics.warning_count(), 2, "{report}");
    assert!(report.contains("content/video.md:7:1: removed from the published page: a frame (<iframe>) from a host not in `markdown.iframe_hosts`"), "{report}");
    assert!(
        report.contains("content/video.md:9:1: removed from the published page: a style attribute"),
        "{report}"
    );

    // The same page on a site that trusts its authors keeps everything.
    std::fs::write(
        &config,
        format!("{original}\n[markdown]\nraw_html = \"trusted\"\n"),
    )
    .unwrap();
    let outcome = build_into(&site.root, &output);
    common::assert_clean(&outcome);
    let html = Html::parse_document(&read(&output, "video/index.html"));
    assert_eq!(select(&html, "iframe").len(), 2);
    assert_eq!(select(&html, "p[style]").len(), 1);
}
