//! Markdown to HTML: CommonMark with GFM tables, footnotes, strikethrough
//! and task lists, through pulldown-cmark. The work is a chain of small
//! passes over the event stream (heading ids, internal links, anchor links,
//! summary), each a short function, not one big match.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd, html};

use super::sanitise::{SAFE_SCHEMES, Sanitiser, findings};
use crate::diagnostics::LineFinder;

/// What a link in markdown points at, as far as the markdown stage can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Another content file (`@/program/x.md` or a relative `.md` path),
    /// named by its path under `content/`.
    Content {
        path: String,
        fragment: Option<String>,
    },
    /// A root-relative URL such as `/pengumuman/`, checked against the
    /// finished output.
    SitePath { path: String },
}

/// A link found in the body, with the line it is on, for checking.
#[derive(Debug, Clone)]
pub struct FoundLink {
    pub line: usize,
    pub column: usize,
    pub written: String,
    pub target: LinkTarget,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A statistic placed in the text with `{{ figure(id="...") }}` (or
/// `table`), to be filled in once statistics are computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub kind: String,
    pub id: String,
    pub line: usize,
    pub column: usize,
}

/// The element standing in for a placed statistic in rendered HTML.
pub const PLACEHOLDER: &str = "kaca-stat";

#[derive(Debug, Clone, Default)]
pub struct RenderedMarkdown {
    pub html: String,
    /// HTML before a `<!-- more -->` marker, if there is one.
    pub summary: Option<String>,
    pub toc: Vec<Heading>,
    /// Every id a link can point at: headings and footnotes.
    pub anchors: Vec<String>,
    pub word_count: usize,
    pub links: Vec<FoundLink>,
    pub placements: Vec<Placement>,
    /// Raw HTML the sanitiser removed, to tell the author where.
    pub removed: Vec<LinkProblem>,
}

/// What a link to another content file leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The URL, with the base path.
    Url(String),
    Missing,
    /// A draft, left out of this build.
    Draft,
    /// A file that exists but failed to load (its problem is reported).
    Broken,
}

/// What a relative link to a file (an image, a PDF) leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileLink {
    /// Copied beside the page (bundle): the link stays as written.
    Beside,
    /// Copied elsewhere: the link becomes this URL.
    Url(String),
    Missing,
}

/// Decides the URL of a link to another content file; the content stage
/// knows every page and section.
pub trait ResolveLink {
    /// `path` is relative to `content/`, normalised (no `./` or `../`).
    fn resolve(&self, path: &str) -> Resolved;
    /// Prefixes a root-relative path with the site's base path.
    fn site_url(&self, path: &str) -> String;
    /// A file that is not markdown, `path` relative to `content/`.
    fn file(&self, path: &str) -> FileLink;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorLinks {
    None,
    Left,
    Right,
    Heading,
}

impl AnchorLinks {
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("left") => AnchorLinks::Left,
            Some("right") => AnchorLinks::Right,
            Some("heading") => AnchorLinks::Heading,
            _ => AnchorLinks::None,
        }
    }
}

pub struct MarkdownInput<'a> {
    pub text: &'a str,
    /// Line of `text`'s first line in its file.
    pub first_line: usize,
    /// The file's path under `content/`, for resolving relative links.
    pub content_path: &'a str,
    pub anchor_links: AnchorLinks,
    pub sanitiser: &'a Sanitiser,
    /// `markdown.iframe_hosts`, for telling authors which frames go.
    pub frame_hosts: &'a [String],
}

/// A broken link found while rendering; turned into a diagnostic by the
/// content stage, which knows the file.
#[derive(Debug, Clone)]
pub struct LinkProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

pub fn render(
    input: &MarkdownInput<'_>,
    resolver: &dyn ResolveLink,
) -> (RenderedMarkdown, Vec<LinkProblem>) {
    let controls = control_characters(input);
    let parser = Parser::new_ext(input.text, options()).into_offset_iter();
    let mut events: Vec<(Event<'_>, Range<usize>)> = parser.collect();
    let mut problems = Vec::new();
    let mut removed = if input.sanitiser.is_trusting() {
        Vec::new()
    } else {
        unsafe_parts(&events, input)
    };
    removed.extend(controls.iter().cloned());
    // Raw HTML is cleaned as part of the whole body, where its tags meet.
    // Attributes written on a heading (`## Title {onclick=...}`) are raw
    // HTML too: pulldown-cmark writes them into the tag as they are.
    let needs_cleaning = !input.sanitiser.is_trusting()
        && events.iter().any(|(event, _)| match event {
            Event::Html(_) | Event::InlineHtml(_) => true,
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                has_unsafe_scheme(dest_url)
            }
            Event::Start(Tag::Heading { attrs, .. }) => !attrs.is_empty(),
            _ => false,
        });

    let toc = assign_heading_ids(&mut events);
    prefix_footnotes(&mut events);
    let mut anchors: Vec<String> = toc.iter().map(|h| h.id.clone()).collect();
    anchors.extend(footnote_ids(&events));
    let links = resolve_links(&mut events, input, resolver, &mut problems);
    check_own_fragments(&events, input, &anchors, &mut problems);
    let word_count = count_words(&events);
    let (events, placements) = place_statistics(events, input);
    let events: Vec<Event<'_>> = events.into_iter().map(|(event, _)| event).collect();
    let events = insert_anchor_links(events, input.anchor_links);
    let (summary, events) = split_summary(events);

    let mut html_out = String::with_capacity(input.text.len() * 3 / 2);
    html::push_html(&mut html_out, events.into_iter());
    let summary = summary.map(|events| {
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        out
    });
    let (html_out, summary) = if controls.is_empty() {
        (html_out, summary)
    } else {
        let drop = |html: String| {
            html.chars()
                .filter(|&c| !crate::render::is_forbidden_control(c))
                .collect::<String>()
        };
        (drop(html_out), summary.map(drop))
    };
    let (html_out, summary) = if needs_cleaning {
        (
            input.sanitiser.clean(&html_out),
            summary.map(|s| input.sanitiser.clean(&s)),
        )
    } else {
        (html_out, summary)
    };
    (
        RenderedMarkdown {
            html: html_out,
            summary,
            toc,
            anchors,
            word_count,
            links,
            placements,
            removed,
        },
        problems,
    )
}

/// Where the body has HTML or addresses the sanitiser will remove.
fn unsafe_parts(
    events: &[(Event<'_>, Range<usize>)],
    input: &MarkdownInput<'_>,
) -> Vec<LinkProblem> {
    let mut found = Vec::new();
    let mut lines = LineFinder::new(input.text);
    for (event, range) in events {
        let what = match event {
            Event::Html(raw) | Event::InlineHtml(raw) => findings(raw, input.frame_hosts),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if has_unsafe_scheme(dest_url) =>
            {
                vec![format!("the address `{dest_url}`")]
            }
            Event::Start(Tag::Heading { attrs, .. }) if !attrs.is_empty() => {
                findings(&heading_tag(attrs), input.frame_hosts)
            }
            _ => continue,
        };
        if what.is_empty() {
            continue;
        }
        let (line, column) = lines.at(range.start);
        found.push(LinkProblem {
            line: line + input.first_line - 1,
            column,
            message: format!("removed from the published page: {}", what.join(", ")),
            hint: "pages may not run scripts or load other sites' content; if every author of this site is trusted, set `raw_html = \"trusted\"` under [markdown] in site.toml".to_string(),
        });
    }
    found
}

/// A heading's `{key=value}` attributes written out as the start tag
/// pulldown-cmark makes of them, for the sanitiser's findings.
fn heading_tag(attrs: &[(CowStr<'_>, Option<CowStr<'_>>)]) -> String {
    let mut tag = String::from("<h");
    for (key, value) in attrs {
        tag.push(' ');
        tag.push_str(key);
        if let Some(value) = value {
            tag.push_str(&format!("=\"{value}\""));
        }
    }
    tag.push('>');
    tag
}

/// Invisible control characters in the text (pasted from a word processor,
/// usually): HTML does not allow them, so they are dropped, and said.
fn control_characters(input: &MarkdownInput<'_>) -> Vec<LinkProblem> {
    // Nearly every file has none: looked for byte by byte before the text
    // is decoded.
    if !crate::render::has_forbidden_control(input.text) {
        return Vec::new();
    }
    let mut lines = LineFinder::new(input.text);
    input
        .text
        .char_indices()
        .filter(|&(_, c)| crate::render::is_forbidden_control(c))
        .map(|(at, c)| {
            let (line, column) = lines.at(at);
            LinkProblem {
                line: line + input.first_line - 1,
                column,
                message: format!(
                    "removed from the published page: the invisible control character U+{:04X}",
                    c as u32
                ),
                hint: "delete it in the file; it often comes with text pasted from another program"
                    .to_string(),
            }
        })
        .collect()
}

fn has_unsafe_scheme(url: &str) -> bool {
    let trimmed = url.trim_start();
    has_scheme(trimmed)
        && !SAFE_SCHEMES.iter().any(|scheme| {
            trimmed
                .get(..scheme.len() + 1)
                .is_some_and(|start| start.eq_ignore_ascii_case(&format!("{scheme}:")))
        })
}

/// Finds `{{ figure(id="x") }}` and `{{ table(id="x") }}` in text (not in
/// code) and puts a placeholder element in their place.
fn place_statistics<'a>(
    events: Vec<(Event<'a>, Range<usize>)>,
    input: &MarkdownInput<'_>,
) -> (Vec<(Event<'a>, Range<usize>)>, Vec<Placement>) {
    // Compiled once per process, not once per page.
    static PATTERN: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"\{\{\s*(figure|table)\(\s*id\s*=\s*"([a-z0-9-]+)"\s*\)\s*\}\}"#)
            .expect("a valid pattern")
    });
    // Most pages place nothing: their text events are kept as they are,
    // not joined and copied.
    if !input.text.contains("{{") {
        return (events, Vec::new());
    }
    let pattern = &*PATTERN;
    let mut out = Vec::with_capacity(events.len());
    let mut placements = Vec::new();
    let mut lines = LineFinder::new(input.text);
    let mut in_code = false;
    // Adjacent text events are joined first: a shortcode may span them.
    let mut pending: Option<(String, Range<usize>)> = None;
    let mut flush = |pending: &mut Option<(String, Range<usize>)>,
                     out: &mut Vec<(Event<'a>, Range<usize>)>,
                     placements: &mut Vec<Placement>| {
        let Some((text, range)) = pending.take() else {
            return;
        };
        let mut last = 0;
        // Where to look for the next shortcode in the file, so each one is
        // reported at its own column.
        let mut search_from = range.start;
        for found in pattern.captures_iter(&text) {
            let whole = found.get(0).expect("a match has a whole");
            if whole.start() > last {
                out.push((
                    Event::Text(CowStr::from(text[last..whole.start()].to_string())),
                    range.clone(),
                ));
            }
            // Where the shortcode is in the file, for messages.
            let at = input.text[search_from..]
                .find("{{")
                .map(|i| search_from + i)
                .unwrap_or(search_from);
            search_from = (at + 2).min(input.text.len());
            let (line, column) = lines.at(at);
            placements.push(Placement {
                kind: found[1].to_string(),
                id: found[2].to_string(),
                line: line + input.first_line - 1,
                column,
            });
            out.push((
                Event::InlineHtml(CowStr::from(format!(
                    "<{PLACEHOLDER} data-kind=\"{}\" data-id=\"{}\"></{PLACEHOLDER}>",
                    &found[1], &found[2]
                ))),
                range.clone(),
            ));
            last = whole.end();
        }
        if last < text.len() {
            out.push((Event::Text(CowStr::from(text[last..].to_string())), range));
        }
    };
    for (event, range) in events {
        match &event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            _ => {}
        }
        match event {
            Event::Text(text) if !in_code => match &mut pending {
                Some((joined, joined_range)) => {
                    joined.push_str(&text);
                    joined_range.end = range.end;
                }
                None => pending = Some((text.to_string(), range)),
            },
            other => {
                flush(&mut pending, &mut out, &mut placements);
                out.push((other, range));
            }
        }
    }
    flush(&mut pending, &mut out, &mut placements);
    (out, placements)
}

/// Gives every heading a stable id: the one written with `{#id}`, or the
/// slug of its text, numbered `-1`, `-2` when repeated in a page.
fn assign_heading_ids(events: &mut [(Event<'_>, Range<usize>)]) -> Vec<Heading> {
    let mut used: HashSet<String> = events
        .iter()
        .filter_map(|(event, _)| match event {
            Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let mut toc = Vec::new();
    let mut index = 0;
    while index < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[index].0 {
            let level = *level;
            let explicit = id.clone();
            let mut text = String::new();
            let mut end = index + 1;
            while end < events.len() {
                match &events[end].0 {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
                end += 1;
            }
            let id = match explicit {
                Some(id) => id.to_string(),
                None => {
                    let base = match slug::slugify(&text) {
                        s if s.is_empty() => "bagian".to_string(),
                        s => s,
                    };
                    let mut candidate = base.clone();
                    let mut n = 1;
                    while used.contains(&candidate) {
                        candidate = format!("{base}-{n}");
                        n += 1;
                    }
                    used.insert(candidate.clone());
                    candidate
                }
            };
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[index].0 {
                *slot = Some(CowStr::from(id.clone()));
            }
            toc.push(Heading {
                level: heading_number(level),
                id,
                title: text.trim().to_string(),
            });
            index = end;
        }
        index += 1;
    }
    toc
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// pulldown-cmark uses a footnote's label as its id (`[^1]` → `id="1"`),
/// which can clash with other ids; give them a prefix of their own.
fn prefix_footnotes(events: &mut [(Event<'_>, Range<usize>)]) {
    for (event, _) in events.iter_mut() {
        match event {
            Event::FootnoteReference(label) => *label = CowStr::from(format!("catatan-{label}")),
            Event::Start(Tag::FootnoteDefinition(label)) => {
                *label = CowStr::from(format!("catatan-{label}"))
            }
            _ => {}
        }
    }
}

/// A link to `#heading` on the same page must name a heading of the page.
fn check_own_fragments(
    events: &[(Event<'_>, Range<usize>)],
    input: &MarkdownInput<'_>,
    anchors: &[String],
    problems: &mut Vec<LinkProblem>,
) {
    let mut lines = LineFinder::new(input.text);
    for (event, range) in events {
        let Event::Start(Tag::Link { dest_url, .. }) = event else {
            continue;
        };
        let Some(fragment) = dest_url.strip_prefix('#') else {
            continue;
        };
        if fragment.is_empty() || anchors.iter().any(|a| a == fragment) {
            continue;
        }
        let (line, column) = lines.at(range.start);
        problems.push(LinkProblem {
            line: line + input.first_line - 1,
            column,
            message: format!(
                "link `{dest_url}` names the heading `#{fragment}`, which `content/{}` does not have",
                input.content_path
            ),
            hint: headings_hint(anchors),
        });
    }
}

/// The hint for a link to a heading that does not exist: the page's
/// headings, so the right one can be picked.
pub fn headings_hint(anchors: &[String]) -> String {
    if anchors.is_empty() {
        return "that page has no headings; link to the page without `#...`".to_string();
    }
    let known: Vec<String> = anchors.iter().take(8).map(|a| format!("#{a}")).collect();
    format!("headings there: {}", known.join(", "))
}

/// pulldown-cmark writes footnote definitions with the label as id.
fn footnote_ids(events: &[(Event<'_>, Range<usize>)]) -> Vec<String> {
    events
        .iter()
        .filter_map(|(event, _)| match event {
            Event::Start(Tag::FootnoteDefinition(label)) => Some(label.to_string()),
            _ => None,
        })
        .collect()
}

/// Rewrites links to content files and root-relative paths into real URLs
/// and records them for checking once every page is known.
fn resolve_links(
    events: &mut [(Event<'_>, Range<usize>)],
    input: &MarkdownInput<'_>,
    resolver: &dyn ResolveLink,
    problems: &mut Vec<LinkProblem>,
) -> Vec<FoundLink> {
    let mut found = Vec::new();
    let mut lines = LineFinder::new(input.text);
    for (event, range) in events.iter_mut() {
        let (dest_url, link_type) = match event {
            Event::Start(Tag::Link {
                dest_url,
                link_type,
                ..
            })
            | Event::Start(Tag::Image {
                dest_url,
                link_type,
                ..
            }) => (dest_url, *link_type),
            _ => continue,
        };
        if matches!(link_type, LinkType::Email) {
            continue;
        }
        let written = dest_url.to_string();
        let (line, column) = lines.at(range.start);
        let line = line + input.first_line - 1;
        match classify(&written, input.content_path) {
            Classified::External => {}
            Classified::Fragment => {}
            Classified::Content { path, fragment } => {
                let Some(path) = path else {
                    problems.push(LinkProblem {
                        line,
                        column,
                        message: format!("link `{written}` goes outside the content folder"),
                        hint: "link to a file under content/, e.g. @/program/bursa-kerja.md".into(),
                    });
                    continue;
                };
                let missing = |message: String| {
                    LinkProblem {
                    line,
                    column,
                    message,
                    hint: "check the file name; links name files under content/, e.g. @/program/bursa-kerja.md".into(),
                }
                };
                match resolver.resolve(&path) {
                    Resolved::Url(url) => {
                        let url = match &fragment {
                            Some(f) => format!("{url}#{f}"),
                            None => url,
                        };
                        *dest_url = CowStr::from(url);
                        found.push(FoundLink {
                            line,
                            column,
                            written,
                            target: LinkTarget::Content { path, fragment },
                        });
                    }
                    Resolved::Broken => *dest_url = CowStr::from("#"),
                    Resolved::Missing => problems.push(missing(format!(
                        "link `{written}` points to `content/{path}`, which does not exist"
                    ))),
                    Resolved::Draft => problems.push(LinkProblem {
                        hint: "build with --drafts to include drafts, or link to the page once it is published".into(),
                        ..missing(format!(
                            "link `{written}` points to `content/{path}`, which is a draft and is left out of this build"
                        ))
                    }),
                }
            }
            Classified::File(path) => {
                let Some(path) = path else {
                    problems.push(LinkProblem {
                        line,
                        column,
                        message: format!("link `{written}` goes outside the content folder"),
                        hint: "put the file under content/, or link to it by its full address"
                            .into(),
                    });
                    continue;
                };
                match resolver.file(&path) {
                    FileLink::Beside => {}
                    FileLink::Url(url) => *dest_url = CowStr::from(url),
                    FileLink::Missing => problems.push(LinkProblem {
                        line,
                        column,
                        message: format!(
                            "link `{written}` points to `content/{path}`, which does not exist"
                        ),
                        hint: if input.content_path.ends_with("index.md")
                            || input.content_path.contains("/index.")
                        {
                            "put the file beside index.md, or check its name".into()
                        } else {
                            "put the file under content/ at that path, or check its name".into()
                        },
                    }),
                }
            }
            Classified::SitePath(path) => {
                *dest_url = CowStr::from(resolver.site_url(&path));
                found.push(FoundLink {
                    line,
                    column,
                    written,
                    target: LinkTarget::SitePath { path },
                });
            }
        }
    }
    found
}

enum Classified {
    External,
    Fragment,
    /// `path` is `None` when the link climbs out of `content/`.
    Content {
        path: Option<String>,
        fragment: Option<String>,
    },
    /// A relative link to a file with an extension (`foto.png`,
    /// `../berkas/laporan.pdf`), relative to `content/`.
    File(Option<String>),
    SitePath(String),
}

fn classify(url: &str, from: &str) -> Classified {
    if url.starts_with('#') {
        return Classified::Fragment;
    }
    if let Some(rest) = url.strip_prefix("@/") {
        let (path, fragment) = split_fragment(rest);
        return Classified::Content {
            path: normalise(path),
            fragment,
        };
    }
    if url.starts_with("//") || has_scheme(url) {
        return Classified::External;
    }
    if url.starts_with('/') {
        return Classified::SitePath(url.to_string());
    }
    let (path, fragment) = split_fragment(url);
    let path_only = path.split('?').next().unwrap_or(path);
    if path_only.ends_with(".md") {
        let dir = match from.rfind('/') {
            Some(i) => &from[..i + 1],
            None => "",
        };
        return Classified::Content {
            path: normalise(&format!("{dir}{path_only}")),
            fragment,
        };
    }
    // A relative link to a file: it must exist under content/. Other
    // relative links (`../x/`) are left as written.
    let last = path_only.rsplit('/').next().unwrap_or(path_only);
    if last.contains('.') && !last.starts_with('.') && !path_only.is_empty() {
        let dir = match from.rfind('/') {
            Some(i) => &from[..i + 1],
            None => "",
        };
        let decoded = percent_encoding::percent_decode_str(path_only).decode_utf8_lossy();
        return Classified::File(normalise(&format!("{dir}{decoded}")));
    }
    Classified::External
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !scheme.contains('/')
        }
        None => false,
    }
}

fn split_fragment(url: &str) -> (&str, Option<String>) {
    match url.split_once('#') {
        Some((path, fragment)) if !fragment.is_empty() => (path, Some(fragment.to_string())),
        Some((path, _)) => (path, None),
        None => (url, None),
    }
}

/// Resolves `.` and `..` in a `/`-separated path; `None` if it climbs above
/// the root.
pub fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

fn count_words(events: &[(Event<'_>, Range<usize>)]) -> usize {
    events
        .iter()
        .map(|(event, _)| match event {
            Event::Text(t) | Event::Code(t) => words_in(t),
            _ => 0,
        })
        .sum()
}

/// The words `split_whitespace` finds in `text`, counted without decoding
/// characters where that gives the same count. Decoding each character
/// of every page to ask whether it is white space was a tenth of the
/// markdown stage. Unicode's white space beyond ASCII all starts with one
/// of four bytes; other characters of more than one byte never hold an
/// ASCII byte, so counting the starts of runs of bytes that are not ASCII
/// white space counts the same words.
fn words_in(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.iter().fold(false, |any, &b| {
        any | matches!(b, 0xc2 | 0xe1 | 0xe2 | 0xe3)
    }) {
        return text.split_whitespace().count();
    }
    // Tab, line feed, vertical tab, form feed, carriage return, space.
    let is_space = |b: u8| (b == b' ') | (b.wrapping_sub(b'\t') < 5);
    // In blocks of fixed length, which the compiler turns into vector
    // instructions: a word starts at a byte that is not white space after
    // one that is (or at the start).
    const BLOCK: usize = 32;
    let mut after_space = true;
    let mut words = 0;
    let mut blocks = bytes.chunks_exact(BLOCK);
    for block in &mut blocks {
        let mut space = [false; BLOCK];
        for (is, &b) in space.iter_mut().zip(block) {
            *is = is_space(b);
        }
        words += usize::from(after_space & !space[0]);
        words += space
            .windows(2)
            .map(|pair| usize::from(pair[0] & !pair[1]))
            .sum::<usize>();
        after_space = space[BLOCK - 1];
    }
    for &b in blocks.remainder() {
        let space = is_space(b);
        words += usize::from(after_space & !space);
        after_space = space;
    }
    words
}

/// Adds a link to each heading's own id, where the site or section asks for
/// it. The link is named by the heading (`aria-labelledby`) so screen
/// readers do not announce a bare "#".
fn insert_anchor_links(events: Vec<Event<'_>>, position: AnchorLinks) -> Vec<Event<'_>> {
    if position == AnchorLinks::None {
        return events;
    }
    let mut out = Vec::with_capacity(events.len() + 8);
    let mut current_id: Option<String> = None;
    for event in events {
        match &event {
            Event::Start(Tag::Heading { id, .. }) => {
                current_id = id.as_ref().map(|s| s.to_string());
                out.push(event);
                if let Some(id) = &current_id {
                    match position {
                        AnchorLinks::Left => out.push(Event::InlineHtml(anchor_html(id).into())),
                        AnchorLinks::Heading => out.push(Event::InlineHtml(
                            format!("<a class=\"heading-link\" href=\"#{id}\">").into(),
                        )),
                        _ => {}
                    }
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(id) = current_id.take() {
                    match position {
                        AnchorLinks::Right => {
                            out.push(Event::InlineHtml(format!(" {}", anchor_html(&id)).into()))
                        }
                        AnchorLinks::Heading => out.push(Event::InlineHtml("</a>".into())),
                        _ => {}
                    }
                }
                out.push(event);
            }
            _ => out.push(event),
        }
    }
    out
}

fn anchor_html(id: &str) -> String {
    format!("<a class=\"anchor\" href=\"#{id}\" aria-labelledby=\"{id}\">#</a>")
}

/// Cuts the events at a `<!-- more -->` marker (Zola and Hugo's summary
/// convention). The marker itself is dropped from the page.
fn split_summary(events: Vec<Event<'_>>) -> (Option<Vec<Event<'_>>>, Vec<Event<'_>>) {
    let is_marker = |event: &Event<'_>| match event {
        Event::Html(text) | Event::InlineHtml(text) => text.trim() == "<!-- more -->",
        _ => false,
    };
    let Some(at) = events.iter().position(is_marker) else {
        return (None, events);
    };
    let mut summary: Vec<Event<'_>> = events[..at].to_vec();
    // Close any block left open by the marker (it usually ends a paragraph).
    let mut open = Vec::new();
    for event in &summary {
        match event {
            Event::Start(tag) => open.push(tag.to_end()),
            Event::End(_) => {
                open.pop();
            }
            _ => {}
        }
    }
    while let Some(end) = open.pop() {
        summary.push(Event::End(end));
    }
    let body = events.into_iter().filter(|e| !is_marker(e)).collect();
    (Some(summary), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Words are counted as `split_whitespace` counts them, over text
        /// with every kind of Unicode white space, letters of one to four
        /// bytes, and punctuation that shares a first byte with white
        /// space (an em dash, curly quotes).
        #[test]
        fn words_are_counted_as_split_whitespace_counts_them(
            text in "[ \t\n\x0b\x0c\r\u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}a-z0-9éß—“”ḁ𝔸.,]{0,80}"
        ) {
            proptest::prop_assert_eq!(words_in(&text), text.split_whitespace().count());
        }

        /// The same where no character sends the count the slow way:
        /// ASCII white space, and letters of two to four bytes (one whose
        /// second byte is 0x85, as in U+0085's).
        #[test]
        fn words_are_counted_without_decoding_as_split_whitespace_counts_them(
            text in "[ \t\n\x0b\x0c\ra-z0-9.,éąŋก𝔸]{0,80}"
        ) {
            proptest::prop_assert_eq!(words_in(&text), text.split_whitespace().count());
        }
    }

    #[test]
    fn words_are_counted_in_plain_text() {
        assert_eq!(words_in(""), 0);
        assert_eq!(words_in("  "), 0);
        assert_eq!(words_in("kuota 2025"), 2);
        assert_eq!(words_in(" Bantuan\tpangan\n lansia "), 3);
    }

    struct Links;
    impl ResolveLink for Links {
        fn resolve(&self, path: &str) -> Resolved {
            match path {
                "program/bpjs.md" => Resolved::Url("/portal/program/bpjs/".to_string()),
                _ => Resolved::Missing,
            }
        }
        fn site_url(&self, path: &str) -> String {
            format!("/portal{path}")
        }
        fn file(&self, path: &str) -> FileLink {
            match path {
                "pengumuman/foto.png" => FileLink::Url("/portal/pengumuman/foto.png".into()),
                _ => FileLink::Missing,
            }
        }
    }

    fn run(text: &str) -> (RenderedMarkdown, Vec<LinkProblem>) {
        render(
            &MarkdownInput {
                text,
                first_line: 5,
                content_path: "pengumuman/a.md",
                anchor_links: AnchorLinks::None,
                sanitiser: &Sanitiser::new(&Default::default()),
                frame_hosts: &[],
            },
            &Links,
        )
    }

    #[test]
    fn repeated_headings_get_numbered_ids() {
        let (out, _) =
            run("## Cara Mendaftar\n\n## Cara Mendaftar\n\n## Syarat {#syarat-khusus}\n");
        let ids: Vec<_> = out.toc.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["cara-mendaftar", "cara-mendaftar-1", "syarat-khusus"]);
        assert!(
            out.html.contains(r#"<h2 id="cara-mendaftar-1">"#),
            "{}",
            out.html
        );
    }

    #[test]
    fn content_links_resolve_and_missing_ones_report_their_line() {
        let (out, problems) =
            run("See [a](@/program/bpjs.md#x) and\n[b](../program/bpjs.md).\n\n[c](@/nope.md)\n");
        assert!(
            out.html.contains(r#"href="/portal/program/bpjs/#x""#),
            "{}",
            out.html
        );
        assert!(out.html.contains(r#"href="/portal/program/bpjs/""#));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 8);
        assert!(problems[0].message.contains("content/nope.md"));
    }

    #[test]
    fn root_relative_links_get_the_base_path() {
        let (out, _) = run("[x](/pengumuman/) [y](https://example.org/)");
        assert!(out.html.contains(r#"href="/portal/pengumuman/""#));
        assert!(out.html.contains(r#"href="https://example.org/""#));
    }

    #[test]
    fn relative_files_must_exist_and_get_their_url() {
        let (out, problems) =
            run("![a](foto.png) [b](laporan.pdf) [c](#nope)\n\n## Ada\n\n[d](#ada)\n");
        assert!(
            out.html.contains(r#"src="/portal/pengumuman/foto.png""#),
            "{}",
            out.html
        );
        let messages: Vec<_> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("content/pengumuman/laporan.pdf"));
        assert!(messages[1].contains("#nope"));
    }

    #[test]
    fn statistics_are_placed_by_id_but_not_in_code() {
        let (out, _) = run(
            "Ada {{ figure(id=\"penerima\") }} orang.\n\n{{ table(id=\"per-bulan\") }}\n\n    {{ figure(id=\"kode\") }}\n",
        );
        let placed: Vec<_> = out
            .placements
            .iter()
            .map(|p| (p.kind.as_str(), p.id.as_str(), p.line))
            .collect();
        assert_eq!(
            placed,
            [("figure", "penerima", 5), ("table", "per-bulan", 7)]
        );
        assert!(
            out.html.contains(
                r#"Ada <kaca-stat data-kind="figure" data-id="penerima"></kaca-stat> orang."#
            ),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("<pre><code>{{ figure(id=\"kode\") }}"),
            "code stays as written: {}",
            out.html
        );
    }

    #[test]
    fn footnote_ids_are_prefixed() {
        let (out, _) = run("Teks[^1].\n\n[^1]: Catatan.\n");
        assert!(out.html.contains(r#"id="catatan-1""#), "{}", out.html);
        assert!(out.anchors.contains(&"catatan-1".to_string()));
    }

    #[test]
    fn heading_attributes_are_sanitised_and_reported() {
        // Seen while writing the markdown fuzz target's check of the
        // output: heading attributes went into the page unsanitised, since
        // a body without raw HTML skipped the sanitiser.
        let (out, problems) =
            run("## Judul {#judul .kelas onclick=alert(1) style=color:red}\n\nTeks.\n");
        assert!(problems.is_empty());
        assert!(
            out.html.contains(r#"<h2 id="judul" class="kelas">"#),
            "{}",
            out.html
        );
        assert!(!out.html.contains("onclick"), "{}", out.html);
        assert!(!out.html.contains("style"), "{}", out.html);
        let removed: Vec<_> = out
            .removed
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            removed,
            [(
                5,
                "removed from the published page: an event handler attribute (on…=), a style attribute"
            )]
        );
    }

    #[test]
    fn summary_stops_at_more_marker() {
        let (out, _) = run("First.\n\n<!-- more -->\n\nSecond.\n");
        assert_eq!(out.summary.as_deref(), Some("<p>First.</p>\n"));
        assert!(!out.html.contains("more"));
    }
}
