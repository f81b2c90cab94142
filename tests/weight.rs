//! The page-weight budget, over every page of the example portal: what a
//! phone downloads to show a page (its HTML, stylesheets and images) stays
//! under 100 KiB, nothing runs JavaScript except the search page, and
//! nothing is fetched from another host (no web fonts, CDNs, analytics).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{assert_clean, build_into, list_files, read};

const BUDGET: u64 = 100 * 1024;

/// Values of `name="…"` in the tags `<tag …>` of `html`, per tag.
fn tags<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    html.split(&format!("<{tag} "))
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap())
        .collect()
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    Some(common::unescape(tag[start..].split('"').next().unwrap()))
}

/// Everything the browser fetches to show `html`, as written in it.
fn requests(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for link in tags(html, "link") {
        let rel = attribute(link, "rel").unwrap_or_default();
        // canonical, alternate (translations, feeds) are addresses, not downloads
        if ["stylesheet", "icon", "preload", "modulepreload", "manifest"]
            .iter()
            .any(|r| rel.split_whitespace().any(|word| word == *r))
        {
            urls.extend(attribute(link, "href"));
        }
    }
    for tag in [
        "img", "script", "iframe", "source", "video", "audio", "embed", "object",
    ] {
        for element in tags(html, tag) {
            urls.extend(attribute(element, "src"));
            urls.extend(attribute(element, "data"));
            if let Some(srcset) = attribute(element, "srcset") {
                urls.extend(
                    srcset
                        .split(',')
                        .filter_map(|s| s.split_whitespace().next().map(str::to_string)),
                );
            }
        }
    }
    urls.extend(css_urls(html));
    urls
}

/// `url(…)` and `@import` targets in CSS (or in `style` attributes).
fn css_urls(css: &str) -> Vec<String> {
    let mut urls: Vec<String> = css
        .split("url(")
        .skip(1)
        .map(|rest| {
            rest.split(')')
                .next()
                .unwrap()
                .trim()
                .trim_matches(['"', '\''])
                .to_string()
        })
        .filter(|url| !url.starts_with("data:") && !url.starts_with('#'))
        .collect();
    urls.extend(css.split("@import").skip(1).map(|rest| {
        rest.trim_start()
            .trim_start_matches("url(")
            .split([';', ')', ' '])
            .next()
            .unwrap()
            .trim_matches(['"', '\''])
            .to_string()
    }));
    urls
}

fn is_other_host(url: &str) -> bool {
    url.starts_with("//") || url.contains("://")
}

/// The file an address points to, from the file `from` that names it.
fn file_of(from: &str, url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap();
    let joined = match path.strip_prefix('/') {
        Some(root_relative) => root_relative.to_string(),
        None => format!("{}{path}", &from[..from.rfind('/').map_or(0, |i| i + 1)]),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

fn check_site(output: &Path) -> usize {
    let mut checked = 0;
    let mut failures = Vec::new();
    for page in list_files(output) {
        if !page.ends_with(".html") {
            continue;
        }
        let html = read(output, &page);
        let is_search = page.ends_with("cari/index.html");
        let executable = html.replace("<script type=\"application/ld+json\">", "");
        if executable.contains("<script") && !is_search {
            failures.push(format!("{page}: has a script"));
        }
        if html.contains(" onload=") || html.contains(" onclick=") {
            failures.push(format!("{page}: has an inline event handler"));
        }
        let mut total = html.len() as u64;
        let mut seen = BTreeSet::new();
        let mut queue: Vec<(String, String)> = requests(&html)
            .into_iter()
            .map(|url| (page.clone(), url))
            .collect();
        while let Some((from, url)) = queue.pop() {
            if is_other_host(&url) {
                failures.push(format!("{page}: requests another host: {url}"));
                continue;
            }
            let file = file_of(&from, &url);
            if !seen.insert(file.clone()) {
                continue;
            }
            let bytes = std::fs::read(output.join(&file))
                .unwrap_or_else(|_| panic!("{page}: {url} is not in the output"));
            if file.ends_with(".css") {
                let css = String::from_utf8_lossy(&bytes);
                queue.extend(css_urls(&css).into_iter().map(|url| (file.clone(), url)));
            }
            // The search page's script and index are loaded on demand and
            // are not part of any other page.
            if !file.ends_with(".js") {
                total += bytes.len() as u64;
            }
        }
        if total > BUDGET && !is_search {
            failures.push(format!(
                "{page}: {total} bytes with its stylesheets and images, over the budget of {BUDGET}"
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn every_page_of_the_example_portal_is_within_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("public");
    assert_clean(&build_into(&common::repository(), &output));
    let checked = check_site(&output);
    assert!(checked > 100, "only {checked} pages");
}

#[test]
fn the_budget_check_notices_heavy_pages_and_other_hosts() {
    let site = common::copy_fixture("good/bilingual");
    // Raw HTML is trusted here so the web-font link reaches the page, as it
    // would from a site that opts in or from a theme override.
    let config = site.root.join("site.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[markdown]\nraw_html = \"trusted\"\n");
    std::fs::write(&config, toml).unwrap();
    // A page with a web font and far too much text.
    std::fs::write(
        site.root.join("content/berat.md"),
        format!(
            "---\ntitle: Berat\n---\n\n<link rel=\"stylesheet\" href=\"https://fonts.example.com/x.css\">\n\n{}\n",
            "Kata yang diulang-ulang. ".repeat(5000)
        ),
    )
    .unwrap();
    let output = site.output();
    assert_clean(&build_into(&site.root, &output));
    let outcome = std::panic::catch_unwind(|| check_site(&output));
    let message = *outcome
        .expect_err("the heavy page passed")
        .downcast::<String>()
        .unwrap();
    assert!(
        message
            .contains("berat/index.html: requests another host: https://fonts.example.com/x.css"),
        "{message}"
    );
    assert!(message.contains("over the budget"), "{message}");
}
