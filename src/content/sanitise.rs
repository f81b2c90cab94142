//! HTML written inside markdown, made safe to publish: an allow-list
//! sanitiser (ammonia, on html5ever) keeps the markup an announcement needs
//! and drops scripts, event handlers, styles, `javascript:` and `data:`
//! addresses, and frames from hosts the site did not allow. A site whose
//! every author is trusted can turn this off (`raw_html = "trusted"`).
//!
//! Only bodies that hold raw HTML or a link with an unusual scheme go
//! through the sanitiser; markdown alone cannot produce anything unsafe, and
//! skipping it keeps large sites fast.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::config::{MarkdownConfig, RawHtml};

/// Schemes a link or image may use; everything else (`javascript:`,
/// `data:`, `vbscript:`, `file:`) is removed.
pub const SAFE_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

pub struct Sanitiser {
    /// `None` when the site trusts its raw HTML.
    builder: Option<ammonia::Builder<'static>>,
}

impl Sanitiser {
    pub fn new(config: &MarkdownConfig) -> Self {
        if config.raw_html == RawHtml::Trusted {
            return Sanitiser { builder: None };
        }
        let frame_hosts: HashSet<String> = config
            .iframe_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let mut builder = ammonia::Builder::default();
        builder
            .add_tags([
                super::markdown::PLACEHOLDER,
                "input",
                "section",
                "figure",
                "figcaption",
                "details",
                "summary",
                "data",
                "time",
                "mark",
            ])
            .add_generic_attributes(["id", "class", "dir", "aria-label", "aria-hidden"])
            .add_tag_attributes(super::markdown::PLACEHOLDER, ["data-kind", "data-id"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("td", ["style"])
            .add_tag_attributes("time", ["datetime"])
            .add_tag_attributes("data", ["value"])
            .add_tag_attributes("img", ["loading"])
            // Links keep the `rel` their authors gave; pulldown-cmark's own
            // links have none.
            .link_rel(None)
            .url_schemes(SAFE_SCHEMES.iter().copied().collect());
        if !frame_hosts.is_empty() {
            builder.add_tags(["iframe"]).add_tag_attributes(
                "iframe",
                [
                    "src",
                    "title",
                    "width",
                    "height",
                    "allowfullscreen",
                    "loading",
                ],
            );
        }
        builder.attribute_filter(move |element, attribute, value| {
            allowed_value(element, attribute, value, &frame_hosts)
        });
        Sanitiser {
            builder: Some(builder),
        }
    }

    pub fn is_trusting(&self) -> bool {
        self.builder.is_none()
    }

    pub fn clean(&self, html: &str) -> String {
        match &self.builder {
            Some(builder) => builder.clean(html).to_string(),
            None => html.to_string(),
        }
    }
}

/// The attribute values the allow-list cannot express by name alone.
fn allowed_value<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
    frame_hosts: &HashSet<String>,
) -> Option<Cow<'u, str>> {
    match (element, attribute) {
        // pulldown-cmark aligns table columns with a style; nothing else
        // may carry one.
        ("th" | "td", "style") => {
            let alignment = value.trim().trim_end_matches(';');
            matches!(
                alignment,
                "text-align: left" | "text-align: center" | "text-align: right"
            )
            .then_some(Cow::Borrowed(value))
        }
        ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
        ("iframe", "src") => {
            let host = value
                .strip_prefix("https://")?
                .split(['/', '?', '#'])
                .next()?
                .to_ascii_lowercase();
            frame_hosts.contains(&host).then_some(Cow::Borrowed(value))
        }
        _ => Some(Cow::Borrowed(value)),
    }
}

/// What the sanitiser will remove from one piece of raw HTML, to tell the
/// author (the page still builds, without it).
pub fn findings(raw: &str, frame_hosts: &[String]) -> Vec<String> {
    let lower = raw.to_ascii_lowercase();
    let mut found = Vec::new();
    for tag in [
        "script", "style", "object", "embed", "form", "meta", "link", "base",
    ] {
        if lower.contains(&format!("<{tag}")) {
            found.push(format!("a <{tag}> element"));
        }
    }
    if lower.contains("<iframe") {
        let allowed = lower.split("<iframe").skip(1).all(|frame| {
            frame_hosts
                .iter()
                .any(|host| frame.contains(&format!("https://{}/", host.to_ascii_lowercase())))
        });
        if !allowed {
            found.push("a frame (<iframe>) from a host not in `markdown.iframe_hosts`".into());
        }
    }
    if has_event_handler(&lower) {
        found.push("an event handler attribute (on…=)".into());
    }
    for scheme in ["javascript:", "vbscript:", "data:"] {
        if is_attribute_value_start(&lower, scheme) {
            found.push(format!("a `{scheme}` address"));
        }
    }
    if lower.contains("style=") {
        found.push("a style attribute".into());
    }
    found
}

/// Whether `prefix` begins an attribute value (`href="javascript:…"`), so
/// that prose like "metadata: …" inside a raw block is not reported.
fn is_attribute_value_start(lower: &str, prefix: &str) -> bool {
    lower.match_indices(prefix).any(|(at, _)| {
        let before = lower[..at].trim_end_matches(|c: char| c.is_whitespace());
        let before = before.strip_suffix(['"', '\'']).unwrap_or(before);
        before.trim_end().ends_with('=')
    })
}

fn has_event_handler(lower: &str) -> bool {
    lower.match_indices("on").any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let rest = &lower[at + 2..];
        let name_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        matches!(before, Some(c) if c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            && name_len > 0
            && rest[name_len..].trim_start().starts_with('=')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanitiser(frames: &[&str]) -> Sanitiser {
        Sanitiser::new(&MarkdownConfig {
            iframe_hosts: frames.iter().map(|s| s.to_string()).collect(),
            ..MarkdownConfig::default()
        })
    }

    #[test]
    fn scripts_handlers_and_dangerous_addresses_are_removed() {
        let clean = sanitiser(&[]).clean(
            r#"<p onclick="steal()">Hi<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a><a href="data:text/html,<b>">y</a><iframe src="https://evil.example/"></iframe><style>body{}</style></p>"#,
        );
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript:",
            "data:",
            "iframe",
            "style",
            "alert",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(
            clean.contains("<p>Hi<img src=\"x\"><a>x</a><a>y</a></p>"),
            "{clean}"
        );
    }

    #[test]
    fn markup_that_announcements_need_is_kept() {
        let html = "<h2 id=\"a\">A</h2><table><tr><th style=\"text-align: center\">H</th></tr></table><details><summary>More</summary><p>Text</p></details><input type=\"checkbox\" disabled=\"\" checked=\"\"><kaca-stat data-kind=\"figure\" data-id=\"x\"></kaca-stat>";
        let clean = sanitiser(&[]).clean(html);
        for kept in [
            "id=\"a\"",
            "style=\"text-align: center\"",
            "<details>",
            "<summary>",
            "type=\"checkbox\"",
            "data-id=\"x\"",
        ] {
            assert!(clean.contains(kept), "{kept} was removed: {clean}");
        }
        let styled = sanitiser(&[]).clean("<td style=\"background:url(x)\">1</td>");
        assert!(!styled.contains("style"), "{styled}");
    }

    #[test]
    fn frames_only_from_allowed_hosts() {
        let allowed = sanitiser(&["www.youtube-nocookie.com"]);
        let clean = allowed.clean("<iframe src=\"https://www.youtube-nocookie.com/embed/x\" title=\"Video\"></iframe><iframe src=\"https://evil.example/\"></iframe>");
        assert!(clean.contains("youtube-nocookie.com/embed/x"), "{clean}");
        assert!(!clean.contains("evil"), "{clean}");
        let trusted = Sanitiser::new(&MarkdownConfig {
            raw_html: RawHtml::Trusted,
            ..MarkdownConfig::default()
        });
        assert_eq!(trusted.clean("<script>x</script>"), "<script>x</script>");
    }

    #[test]
    fn findings_name_what_is_removed() {
        let found = findings(
            "<div onmouseover = \"x()\" style=\"color:red\"><script>",
            &[],
        );
        assert_eq!(
            found,
            [
                "a <script> element",
                "an event handler attribute (on…=)",
                "a style attribute"
            ]
        );
        assert!(findings("<p>Contoh: monitor = layar</p>", &[]).is_empty());
        assert!(findings("<p>Metadata: lihat data:</p>", &[]).is_empty());
        assert_eq!(
            findings("<a href = ' JavaScript:x()'>", &[]),
            ["a `javascript:` address"]
        );
    }
}
