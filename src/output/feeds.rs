//! What search engines and feed readers read: `sitemap.xml` (a sitemap
//! index above 50,000 addresses), `robots.txt` naming it, and Atom feeds of
//! the newest pages per language and per programme. Everything is derived
//! from the content, never from the clock, so builds stay byte-identical.

use rayon::prelude::*;
use std::fmt::Write;

use crate::content::Page;
use crate::render::{Contents, OutputFile, Shared, Site};

/// Addresses per sitemap file (the protocol's limit).
const SITEMAP_LIMIT: usize = 50_000;
/// Entries per feed.
const FEED_ENTRIES: usize = 20;

/// XML text: the five characters XML gives meaning to, and no control
/// characters (not allowed in XML 1.0).
pub fn escape_xml(text: &str) -> String {
    crate::render::escape_markup(text, "&apos;").into_owned()
}

/// The sitemap(s), `robots.txt` (unless the site or theme ships its own),
/// and the feeds.
pub(crate) fn files(shared: &Shared, rendered: &[OutputFile]) -> Vec<OutputFile> {
    let site = &shared.site;
    let mut out = sitemaps(site, rendered);
    let has_robots = rendered.iter().any(|f| f.path == "robots.txt");
    if !has_robots {
        out.push(OutputFile {
            path: "robots.txt".into(),
            contents: Contents::Bytes(
                format!(
                    "User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n",
                    site.config.base_url
                )
                .into_bytes(),
            ),
            origin: "the generated robots.txt".into(),
        });
    }
    out.extend(feeds(shared));
    out
}

/// Whether an HTML page only redirects (left out of the sitemap: search
/// engines should index where it points). A refresh belongs in the head
/// (where `redirect_html` puts it): no need to read whole pages for it.
pub(crate) fn is_redirect(html: &[u8]) -> bool {
    // Searchers made once: every page is asked, and `kaca serve` asks
    // again on every rebuild.
    static HEAD_END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"</head>"));
    static REFRESH: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"http-equiv=\"refresh\""));
    let head = HEAD_END.find(html).unwrap_or(html.len());
    REFRESH.find(&html[..head]).is_some()
}

/// Every page a visitor can land on: HTML files except the 404 page and
/// redirects.
fn sitemaps(site: &Site, rendered: &[OutputFile]) -> Vec<OutputFile> {
    let base = &site.config.base_url;
    let mut addresses: Vec<String> = rendered
        .iter()
        .filter(|f| f.path.ends_with(".html") && f.path != "404.html")
        .filter(|f| match &f.contents {
            Contents::Bytes(bytes) => !is_redirect(bytes),
            Contents::Staged(staged) => !staged.redirect,
            Contents::Copy(_) => false,
        })
        .map(|f| format!("{base}{}", f.path.trim_end_matches("index.html")))
        .collect();
    addresses.sort();
    addresses.dedup();
    let url = |address: &str| format!("  <url><loc>{}</loc></url>\n", escape_xml(address));
    let chunk = |addresses: &[String]| {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for address in addresses {
            xml.push_str(&url(address));
        }
        xml.push_str("</urlset>\n");
        xml
    };
    if addresses.len() <= SITEMAP_LIMIT {
        return vec![OutputFile {
            path: "sitemap.xml".into(),
            contents: Contents::Bytes(chunk(&addresses).into_bytes()),
            origin: "the sitemap".into(),
        }];
    }
    let mut out = Vec::new();
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (number, part) in addresses.chunks(SITEMAP_LIMIT).enumerate() {
        let path = format!("sitemap-{}.xml", number + 1);
        let _ = writeln!(
            index,
            "  <sitemap><loc>{}</loc></sitemap>",
            escape_xml(&format!("{base}{path}"))
        );
        out.push(OutputFile {
            path,
            contents: Contents::Bytes(chunk(part).into_bytes()),
            origin: "the sitemap".into(),
        });
    }
    index.push_str("</sitemapindex>\n");
    out.push(OutputFile {
        path: "sitemap.xml".into(),
        contents: Contents::Bytes(index.into_bytes()),
        origin: "the sitemap index".into(),
    });
    out
}

/// RFC 3339 time of a page date (midnight UTC when it has no time).
fn timestamp(page: &Page) -> Option<String> {
    let date = page.meta.updated.or(page.meta.date)?;
    Some(format!("{}Z", date.datetime.strftime("%Y-%m-%dT%H:%M:%S")))
}

/// Feeds per language (`atom.xml`, `en/atom.xml`) and per term of every
/// taxonomy (`programs/<term>/atom.xml`): the newest dated pages.
fn feeds(shared: &Shared) -> Vec<OutputFile> {
    let site = &shared.site;
    let content = &site.content;
    // (feed path, title, page path, its pages newest first)
    let mut wanted: Vec<(String, String, String, Vec<usize>)> = Vec::new();
    for language in &site.config.languages {
        let mut pages: Vec<usize> = (0..content.pages.len())
            .filter(|&i| {
                content.pages[i].lang == language.code && content.pages[i].meta.date.is_some()
            })
            .collect();
        crate::content::newest(&mut pages, FEED_ENTRIES, &content.pages);
        wanted.push((
            format!("{}atom.xml", language.path_prefix),
            language.title.clone(),
            language.path_prefix.clone(),
            pages,
        ));
    }
    for taxonomy in &content.taxonomies {
        for term in &taxonomy.terms {
            let pages: Vec<usize> = term
                .pages
                .iter()
                .copied()
                .filter(|&i| content.pages[i].meta.date.is_some())
                .collect();
            if pages.is_empty() {
                continue;
            }
            let title = match site.config.language(&taxonomy.lang) {
                Some(language) => format!("{} · {}", term.name, language.title),
                None => term.name.clone(),
            };
            wanted.push((
                format!("{}atom.xml", term.path),
                title,
                term.path.clone(),
                pages,
            ));
        }
    }
    // A page is an entry of its language's feed and of each of its terms'
    // feeds: its entry (the whole text, escaped) is written once.
    let mut in_feeds: Vec<usize> = wanted
        .iter()
        .flat_map(|(_, _, _, pages)| pages.iter().take(FEED_ENTRIES).copied())
        .collect();
    in_feeds.sort_unstable();
    in_feeds.dedup();
    let entries: rustc_hash::FxHashMap<usize, String> = in_feeds
        .par_iter()
        .map(|&index| (index, entry(shared, &content.pages[index])))
        .collect();
    wanted
        .par_iter()
        .map(|(path, title, page_path, pages)| {
            feed(shared, path, title, page_path, pages, &entries)
        })
        .collect()
}

fn feed(
    shared: &Shared,
    path: &str,
    title: &str,
    page_path: &str,
    pages: &[usize],
    entries: &rustc_hash::FxHashMap<usize, String>,
) -> OutputFile {
    let (site, content) = (&shared.site, &shared.site.content);
    let base = &site.config.base_url;
    let newest = &pages[..pages.len().min(FEED_ENTRIES)];
    // The feed is as new as its newest entry (not the build's clock); a
    // feed without dated entries takes SOURCE_DATE_EPOCH when it is set.
    let updated = newest
        .iter()
        .filter_map(|&i| timestamp(&content.pages[i]))
        .max()
        .or_else(|| {
            site.source_date
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"",
    );
    // Relative links in entry content resolve against the site.
    let _ = writeln!(xml, " xml:base=\"{}\">", escape_xml(base));
    let _ = writeln!(xml, "  <title>{}</title>", escape_xml(title));
    let _ = writeln!(xml, "  <id>{}</id>", escape_xml(&format!("{base}{path}")));
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape_xml(&format!("{base}{path}"))
    );
    let _ = writeln!(
        xml,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_xml(&format!("{base}{page_path}"))
    );
    let _ = writeln!(xml, "  <updated>{updated}</updated>");
    let _ = writeln!(
        xml,
        "  <author><name>{}</name></author>",
        escape_xml(&author(site))
    );
    for index in newest {
        xml.push_str(&entries[index]);
    }
    xml.push_str("</feed>\n");
    OutputFile {
        path: path.to_string(),
        contents: Contents::Bytes(xml.into_bytes()),
        origin: format!("the feed {path}"),
    }
}

/// One page as a feed entry. Only dated pages are in feeds, so the entry
/// never depends on the feed it is in.
fn entry(shared: &Shared, page: &Page) -> String {
    let base = &shared.site.config.base_url;
    let link = format!("{base}{}", page.path);
    let mut xml = String::from("  <entry>\n");
    let _ = writeln!(xml, "    <title>{}</title>", escape_xml(&page.meta.title));
    let _ = writeln!(xml, "    <id>{}</id>", escape_xml(&link));
    let _ = writeln!(
        xml,
        "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_xml(&link)
    );
    if let Some(updated) = timestamp(page) {
        let _ = writeln!(xml, "    <updated>{updated}</updated>");
    }
    if let Some(published) = page.meta.date {
        let _ = writeln!(
            xml,
            "    <published>{}Z</published>",
            published.datetime.strftime("%Y-%m-%dT%H:%M:%S")
        );
    }
    if let Some(description) = &page.meta.description {
        let _ = writeln!(xml, "    <summary>{}</summary>", escape_xml(description));
    }
    let _ = writeln!(
        xml,
        "    <content type=\"html\">{}</content>",
        escape_xml(&crate::render::stats_view::fill_placements(
            shared,
            &page.body.html,
            &page.lang
        ))
    );
    xml.push_str("  </entry>\n");
    xml
}

fn author(site: &Site) -> String {
    site.config
        .extra
        .get("organisation")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .or_else(|| site.config.languages.first().map(|l| l.title.clone()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast scan finds exactly what the character-by-character
        /// escaping changes: the output is the same for any text.
        #[test]
        fn escaping_skips_only_text_that_needs_none(text in "(\\PC|[&<>\"'\\x00-\\x1f\\x7f\\u{80}-\\u{a0}])*") {
            let by_char = |apostrophe: &str| -> String {
                text.chars()
                    .filter(|&c| !crate::render::is_forbidden_control(c))
                    .map(|c| match c {
                        '&' => "&amp;".to_string(),
                        '<' => "&lt;".to_string(),
                        '>' => "&gt;".to_string(),
                        '"' => "&quot;".to_string(),
                        '\'' => apostrophe.to_string(),
                        c => c.to_string(),
                    })
                    .collect()
            };
            proptest::prop_assert_eq!(escape_xml(&text), by_char("&apos;"));
            proptest::prop_assert_eq!(crate::render::escape_html(&text).into_owned(), by_char("&#39;"));
            proptest::prop_assert_eq!(
                crate::render::has_forbidden_control(&text),
                text.chars().any(crate::render::is_forbidden_control)
            );
        }
    }

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape_xml("a < b & \"c\" ]]> \u{1}d"),
            "a &lt; b &amp; &quot;c&quot; ]]&gt; d"
        );
    }
}
