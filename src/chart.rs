//! Static, accessible SVG charts, drawn at build time. Written by hand:
//! the Rust plotting crates draw pictures, not accessible documents, and
//! here every chart needs `role="img"`, a `<title>` and a `<desc>` that
//! state the numbers, labels written directly on the bars (no colour-only
//! legend), patterns as well as colours for stacked parts, and text that
//! stays readable on a 390-pixel phone. The same numbers are always in the
//! table next to the chart.

use std::fmt::Write;

use crate::render::escape_html;

/// Width of the drawing in SVG units. Charts scale to their container; at
/// this width 13-unit text stays about 13 pixels on a phone.
const WIDTH: f64 = 360.0;
const FONT: f64 = 13.0;
const INK: &str = "#1b1f23";
const MUTED: &str = "#4a5560";
const GRID: &str = "#d5dde0";
/// Room at the left edge: glyphs of text starting at 0 overhang a little.
const EDGE: f64 = 2.0;

/// Fills of stacked parts: each dark enough for white text (contrast of
/// at least 4.5:1), and each paired with a pattern so that colour is never
/// the only cue.
const FILLS: [&str; 6] = [
    "#0b5563", "#8a4b00", "#3d3d8f", "#6b2d5c", "#2f5e1e", "#5a4a00",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Horizontal bars, one per row.
    Bar,
    /// Horizontal bars split into the columns' parts.
    StackedBar,
    /// Vertical bars over time.
    Column,
    /// A line over time.
    Line,
}

/// What a chart shows, with every text already written in its language.
pub struct ChartData<'a> {
    /// Unique within a page: ids of the title and description derive from it.
    pub id: &'a str,
    pub title: &'a str,
    pub shape: Shape,
    /// Row labels (categories, or periods for columns and lines).
    pub rows: Vec<String>,
    /// Short labels for the time axis (columns and lines), else empty.
    pub short_rows: Vec<String>,
    /// Column labels of stacked bars; empty otherwise.
    pub parts: Vec<String>,
    /// `values[row][part]` (one part unless stacked).
    pub values: Vec<Vec<Option<f64>>>,
    /// The same, as shown (`1.180`, `65,5%`).
    pub texts: Vec<Vec<String>>,
    /// Row totals as shown, for stacked bars.
    pub totals: Vec<String>,
    /// `hidden[row][part]`: hidden to protect privacy. Drawn as a hatched
    /// mark of fixed size with its label (`<10`), never to scale.
    pub hidden: Vec<Vec<bool>>,
    /// "No data" in the chart's language.
    pub missing_text: &'a str,
}

impl ChartData<'_> {
    /// The largest visible bar: hidden values do not set the scale (the
    /// scale would hint at their size).
    fn max(&self) -> f64 {
        let visible = |r: usize, row: &[Option<f64>]| -> Vec<f64> {
            row.iter()
                .enumerate()
                .filter(|(p, _)| !is_hidden(self, r, *p))
                .filter_map(|(_, v)| *v)
                .collect()
        };
        let sums = self
            .values
            .iter()
            .enumerate()
            .map(|(r, row)| match self.shape {
                Shape::StackedBar => visible(r, row).iter().sum(),
                _ => visible(r, row).iter().fold(0.0_f64, |a, b| a.max(*b)),
            });
        sums.fold(0.0_f64, f64::max)
    }

    /// The description a screen reader reads: every number of the chart.
    fn description(&self) -> String {
        let mut text = String::new();
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            let _ = write!(text, "{row}: ");
            if self.parts.is_empty() {
                text.push_str(&self.texts[i][0]);
            } else {
                let parts: Vec<String> = self
                    .parts
                    .iter()
                    .zip(&self.texts[i])
                    .map(|(part, value)| format!("{part} {value}"))
                    .collect();
                text.push_str(&parts.join(", "));
            }
        }
        text.push('.');
        text
    }
}

/// The chart as SVG. `standalone` adds the XML namespace and declaration so
/// the file opens on its own and can be embedded elsewhere.
pub fn svg(data: &ChartData<'_>, standalone: bool) -> String {
    let body = match data.shape {
        Shape::Bar | Shape::StackedBar => bars(data),
        Shape::Column | Shape::Line => over_time(data),
    };
    let (height, content) = body;
    let id = escape_html(data.id);
    let mut out = String::new();
    if standalone {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let _ = write!(
        out,
        "<svg{} class=\"chart\" role=\"img\" aria-labelledby=\"{id}-judul {id}-isi\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif\" font-size=\"{FONT}\">",
        if standalone {
            " xmlns=\"http://www.w3.org/2000/svg\""
        } else {
            ""
        }
    );
    let _ = write!(
        out,
        "<title id=\"{id}-judul\">{}</title><desc id=\"{id}-isi\">{}</desc>",
        escape_html(data.title),
        escape_html(&data.description())
    );
    if standalone {
        let _ = write!(
            out,
            "<rect width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#ffffff\"/>"
        );
    }
    if data.shape == Shape::StackedBar {
        out.push_str(&patterns(id.as_ref(), data.parts.len()));
    }
    if data.hidden.iter().flatten().any(|h| *h) {
        let _ = write!(
            out,
            "<defs><pattern id=\"{id}-tersembunyi\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><path d=\"M0 0V6\" stroke=\"{MUTED}\" stroke-width=\"2\"/></pattern></defs>"
        );
    }
    out.push_str(&content);
    out.push_str("</svg>");
    out
}

/// Hatchings for stacked parts: part 0 plain, then stripes, dots, cross
/// hatching... drawn in white over the part's fill.
fn patterns(id: &str, count: usize) -> String {
    let mut out = String::from("<defs>");
    for (i, fill) in FILLS.iter().cycle().take(count).enumerate() {
        let overlay = match i % 6 {
            0 => String::new(),
            1 => "<path d=\"M0 8L8 0\" stroke=\"#ffffff\" stroke-opacity=\"0.45\" stroke-width=\"2\"/>".into(),
            2 => "<circle cx=\"4\" cy=\"4\" r=\"1.5\" fill=\"#ffffff\" fill-opacity=\"0.5\"/>".into(),
            3 => "<path d=\"M0 0L8 8M0 8L8 0\" stroke=\"#ffffff\" stroke-opacity=\"0.4\" stroke-width=\"1.5\"/>".into(),
            4 => "<path d=\"M0 4H8\" stroke=\"#ffffff\" stroke-opacity=\"0.45\" stroke-width=\"2\"/>".into(),
            _ => "<path d=\"M4 0V8\" stroke=\"#ffffff\" stroke-opacity=\"0.45\" stroke-width=\"2\"/>".into(),
        };
        let _ = write!(
            out,
            "<pattern id=\"{id}-pola-{i}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"{fill}\"/>{overlay}</pattern>"
        );
    }
    out.push_str("</defs>");
    out
}

/// Width of the mark of a hidden value: visible, but no magnitude.
const HIDDEN_MARK: f64 = 22.0;

fn is_hidden(data: &ChartData<'_>, row: usize, part: usize) -> bool {
    data.hidden
        .get(row)
        .and_then(|r| r.get(part))
        .copied()
        .unwrap_or(false)
}

/// Rough width of a text in SVG units (system fonts average about 0.55 em).
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * FONT * 0.56
}

/// Horizontal bars: each label above its bar, the value right after the
/// bar's end, so nothing is cut off on a narrow screen.
fn bars(data: &ChartData<'_>) -> (f64, String) {
    let mut out = String::new();
    let max = data.max();
    let mut y = 4.0;
    if data.shape == Shape::StackedBar {
        y = legend(data, &mut out, y);
    }
    let value_room = data
        .texts
        .iter()
        .zip(data.totals.iter().chain(std::iter::repeat(&String::new())))
        .map(|(texts, total)| {
            if data.shape == Shape::StackedBar {
                text_width(total)
            } else {
                texts.iter().map(|t| text_width(t)).fold(0.0, f64::max)
            }
        })
        .fold(0.0, f64::max)
        + 8.0;
    let bar_room = (WIDTH - value_room - 2.0 * EDGE).max(80.0);
    let id = escape_html(data.id);
    for (i, row) in data.rows.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{EDGE}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
            y + FONT,
            escape_html(row)
        );
        let bar_y = y + FONT + 5.0;
        let bar_height = 18.0;
        let mut x = EDGE;
        let values = &data.values[i];
        if values.iter().all(Option::is_none) {
            let _ = write!(
                out,
                "<text x=\"{EDGE}\" y=\"{:.1}\" fill=\"{MUTED}\" font-style=\"italic\">{}</text>",
                bar_y + 13.0,
                escape_html(data.missing_text)
            );
        }
        for (part, value) in values.iter().enumerate() {
            if is_hidden(data, i, part) {
                continue;
            }
            let Some(value) = value else { continue };
            let width = if max > 0.0 {
                value / max * bar_room
            } else {
                0.0
            };
            let fill = if data.shape == Shape::StackedBar {
                format!("url(#{id}-pola-{part})")
            } else {
                FILLS[0].to_string()
            };
            if width > 0.0 {
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{bar_y:.1}\" width=\"{width:.1}\" height=\"{bar_height}\" fill=\"{fill}\"/>"
                );
            }
            // A part's own value inside it when it fits.
            if data.shape == Shape::StackedBar {
                let text = &data.texts[i][part];
                if width > text_width(text) + 8.0 {
                    let _ = write!(
                        out,
                        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#ffffff\" text-anchor=\"middle\" font-weight=\"600\">{}</text>",
                        x + width / 2.0,
                        bar_y + 13.5,
                        escape_html(text)
                    );
                }
            }
            x += width;
        }
        // Hidden parts: one hatched mark after the drawn ones, labelled.
        let hidden_parts: Vec<usize> = (0..values.len())
            .filter(|&p| is_hidden(data, i, p))
            .collect();
        if !hidden_parts.is_empty() {
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{bar_y:.1}\" width=\"{HIDDEN_MARK}\" height=\"{bar_height}\" fill=\"url(#{id}-tersembunyi)\" stroke=\"{MUTED}\" stroke-width=\"1\"/>"
            );
            x += HIDDEN_MARK;
            if data.shape == Shape::StackedBar {
                let labels: Vec<String> = hidden_parts
                    .iter()
                    .map(|&p| {
                        format!(
                            "{} {}",
                            data.parts.get(p).map(String::as_str).unwrap_or(""),
                            data.texts[i][p]
                        )
                    })
                    .collect();
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{MUTED}\">{}</text>",
                    EDGE,
                    bar_y + bar_height + 13.0,
                    escape_html(&labels.join(", "))
                );
            }
        }
        let end_text = if data.shape == Shape::StackedBar {
            data.totals.get(i).cloned().unwrap_or_default()
        } else {
            data.texts[i].first().cloned().unwrap_or_default()
        };
        if values.iter().any(Option::is_some) || !hidden_parts.is_empty() {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\" font-weight=\"600\">{}</text>",
                x + 6.0,
                bar_y + 13.5,
                escape_html(&end_text)
            );
        }
        let labelled_hidden = data.shape == Shape::StackedBar && !hidden_parts.is_empty();
        y = bar_y + bar_height + if labelled_hidden { 22.0 } else { 10.0 };
    }
    (y + 2.0, out)
}

/// The key of stacked parts: swatch with the part's pattern and its name,
/// wrapped over as many lines as needed.
fn legend(data: &ChartData<'_>, out: &mut String, top: f64) -> f64 {
    let id = escape_html(data.id);
    let mut x = EDGE;
    let mut y = top;
    for (i, part) in data.parts.iter().enumerate() {
        let width = 18.0 + text_width(part) + 14.0;
        if x > EDGE && x + width > WIDTH {
            x = EDGE;
            y += FONT + 10.0;
        }
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"url(#{id}-pola-{i})\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
            y + 1.0,
            x + 19.0,
            y + 12.5,
            escape_html(part)
        );
        x += width;
    }
    y + FONT + 14.0
}

/// Columns or a line over time: one mark per period, its value above it,
/// a short period name below.
fn over_time(data: &ChartData<'_>) -> (f64, String) {
    let mut out = String::new();
    let max = data.max();
    let count = data.rows.len().max(1) as f64;
    let top = 22.0;
    let plot_height = 150.0;
    let base = top + plot_height;
    let slot = WIDTH / count;
    // Values above marks only when they fit side by side.
    let widest = data
        .texts
        .iter()
        .map(|t| text_width(&t[0]))
        .fold(0.0, f64::max);
    let label_every = ((widest + 4.0) / slot).ceil().max(1.0) as usize;
    let axis_every = (data
        .short_rows
        .iter()
        .map(|t| text_width(t))
        .fold(0.0, f64::max)
        + 4.0)
        / slot;
    let axis_every = axis_every.ceil().max(1.0) as usize;
    let _ = write!(
        out,
        "<line x1=\"0\" y1=\"{base:.1}\" x2=\"{WIDTH}\" y2=\"{base:.1}\" stroke=\"{GRID}\" stroke-width=\"1\"/>"
    );
    let mut points = Vec::new();
    for (i, values) in data.values.iter().enumerate() {
        let centre = slot * (i as f64 + 0.5);
        let hidden = is_hidden(data, i, 0);
        let value = values.first().copied().flatten().filter(|_| !hidden);
        if hidden {
            let width = (slot * 0.7).min(40.0);
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{HIDDEN_MARK}\" fill=\"url(#{}-tersembunyi)\" stroke=\"{MUTED}\" stroke-width=\"1\"/>",
                centre - width / 2.0,
                base - HIDDEN_MARK,
                escape_html(data.id)
            );
        }
        let height = match value {
            Some(v) if max > 0.0 => v / max * plot_height,
            _ => 0.0,
        };
        match (data.shape, value) {
            (Shape::Column, Some(_)) => {
                let width = (slot * 0.7).min(40.0);
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{}\"/>",
                    centre - width / 2.0,
                    base - height,
                    FILLS[0]
                );
            }
            (Shape::Line, Some(_)) => points.push((centre, base - height)),
            _ => {}
        }
        let text = &data.texts[i][0];
        if i % label_every == 0 || i + 1 == data.values.len() {
            let shown = if value.is_some() || hidden {
                text.as_str()
            } else {
                data.missing_text
            };
            // Kept inside the drawing at both edges.
            let half = text_width(shown) / 2.0;
            let x = centre.clamp(half + EDGE, (WIDTH - half - EDGE).max(half + EDGE));
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"{:.1}\" fill=\"{INK}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>",
                base - if hidden { HIDDEN_MARK } else { height } - 5.0,
                escape_html(shown)
            );
        }
        if i % axis_every == 0 {
            let _ = write!(
                out,
                "<text x=\"{centre:.1}\" y=\"{:.1}\" fill=\"{MUTED}\" text-anchor=\"middle\">{}</text>",
                base + FONT + 4.0,
                escape_html(data.short_rows.get(i).map(String::as_str).unwrap_or(""))
            );
        }
    }
    if data.shape == Shape::Line && !points.is_empty() {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"/>",
            path.join(" "),
            FILLS[0]
        );
        for (x, y) in &points {
            let _ = write!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{}\"/>",
                FILLS[0]
            );
        }
    }
    // The first and last period written out in full, so the span is clear.
    if let (Some(first), Some(last)) = (data.rows.first(), data.rows.last()) {
        let span = if first == last {
            first.clone()
        } else {
            format!("{first} – {last}")
        };
        let _ = write!(
            out,
            "<text x=\"{EDGE}\" y=\"{:.1}\" fill=\"{MUTED}\">{}</text>",
            base + 2.0 * FONT + 10.0,
            escape_html(&span)
        );
    }
    (base + 2.0 * FONT + 16.0, out)
}

/// A value against its target: a track for the target, filled to the
/// value (an overshoot is marked past the track's end), with the numbers
/// written above it.
pub fn progress(
    id: &str,
    title: &str,
    caption: &str,
    value: Option<f64>,
    target: Option<f64>,
) -> String {
    let id = escape_html(id);
    // Nothing is filled when either number is hidden.
    let share = match (value, target) {
        (Some(value), Some(target)) if target > 0.0 => value / target,
        _ => 0.0,
    };
    let track = WIDTH - 2.0 * EDGE - 12.0;
    let filled = track * share.clamp(0.0, 1.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart progress\" role=\"img\" aria-labelledby=\"{id}-judul {id}-isi\" viewBox=\"0 0 {WIDTH} 48\" width=\"{WIDTH}\" height=\"48\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif\" font-size=\"{FONT}\"><title id=\"{id}-judul\">{}</title><desc id=\"{id}-isi\">{}</desc>",
        escape_html(title),
        escape_html(caption)
    );
    let _ = write!(
        out,
        "<text x=\"{EDGE}\" y=\"{FONT}\" fill=\"{INK}\">{}</text><rect x=\"{EDGE}\" y=\"22\" width=\"{track:.1}\" height=\"18\" fill=\"#ffffff\" stroke=\"{MUTED}\" stroke-width=\"1\"/><rect x=\"{EDGE}\" y=\"22\" width=\"{filled:.1}\" height=\"18\" fill=\"{}\"/>",
        escape_html(caption),
        FILLS[0]
    );
    if share > 1.0 {
        let _ = write!(
            out,
            "<path d=\"M{:.1} 22l10 9-10 9z\" fill=\"{}\"/>",
            EDGE + track,
            FILLS[0]
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(shape: Shape) -> ChartData<'static> {
        ChartData {
            id: "uji",
            title: "Peserta <per> jenis",
            shape,
            rows: vec!["Las".into(), "Menjahit".into()],
            short_rows: vec!["Agu".into(), "Sep".into()],
            parts: if shape == Shape::StackedBar {
                vec!["L".into(), "P".into()]
            } else {
                Vec::new()
            },
            values: if shape == Shape::StackedBar {
                vec![vec![Some(2.0), Some(0.0)], vec![Some(0.0), Some(2.0)]]
            } else {
                vec![vec![Some(1180.0)], vec![None]]
            },
            texts: if shape == Shape::StackedBar {
                vec![vec!["2".into(), "0".into()], vec!["0".into(), "2".into()]]
            } else {
                vec![vec!["1.180".into()], vec!["–".into()]]
            },
            totals: vec!["2".into(), "2".into()],
            hidden: Vec::new(),
            missing_text: "tidak ada data",
        }
    }

    #[test]
    fn charts_state_their_numbers_for_screen_readers() {
        let svg = svg(&data(Shape::Bar), false);
        assert!(
            svg.contains(r#"role="img" aria-labelledby="uji-judul uji-isi""#),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"uji-judul\">Peserta &lt;per&gt; jenis</title>"));
        assert!(
            svg.contains("<desc id=\"uji-isi\">Las: 1.180; Menjahit: –.</desc>"),
            "{svg}"
        );
        // A missing value is said, not drawn as a zero-length bar.
        assert!(svg.contains(">tidak ada data</text>"));
    }

    #[test]
    fn stacked_parts_have_patterns_and_a_legend() {
        let svg = svg(&data(Shape::StackedBar), true);
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<pattern id=\"uji-pola-1\""));
        assert!(svg.contains("fill=\"url(#uji-pola-1)\""));
        assert!(svg.contains(">P</text>"), "legend names the parts");
    }

    #[test]
    fn progress_fills_to_the_share_and_says_it() {
        let svg = progress(
            "p",
            "Cakupan",
            "65% dari target 100%",
            Some(65.0),
            Some(100.0),
        );
        assert!(svg.contains("<desc id=\"p-isi\">65% dari target 100%</desc>"));
        let track = WIDTH - 2.0 * EDGE - 12.0;
        assert!(
            svg.contains(&format!(
                "width=\"{:.1}\" height=\"18\" fill=\"#0b5563\"",
                track * 0.65
            )),
            "{svg}"
        );
        assert!(!svg.contains("<path"), "no overshoot mark");
        assert!(progress("q", "x", "y", Some(120.0), Some(100.0)).contains("<path"));
        assert!(
            progress("h", "x", "y", None, Some(20.0))
                .contains("width=\"0.0\" height=\"18\" fill=\"#0b5563\"")
        );
    }

    #[test]
    fn hidden_values_get_a_fixed_mark_not_a_bar_to_scale() {
        let mut chart = data(Shape::Bar);
        chart.values = vec![vec![Some(1180.0)], vec![Some(3.0)]];
        chart.texts = vec![vec!["1.180".into()], vec!["<10".into()]];
        chart.hidden = vec![vec![false], vec![true]];
        let svg = svg(&chart, false);
        assert!(svg.contains("fill=\"url(#uji-tersembunyi)\""), "{svg}");
        assert!(svg.contains(">&lt;10</text>"));
        assert!(svg.contains("<desc id=\"uji-isi\">Las: 1.180; Menjahit: &lt;10.</desc>"));
        // The hidden 3 neither draws a bar nor sets the scale.
        assert_eq!(svg.matches("fill=\"#0b5563\"").count(), 1);
    }

    #[test]
    fn columns_label_periods() {
        let svg = svg(&data(Shape::Column), false);
        assert!(svg.contains(">Agu</text>"));
        assert!(svg.contains(">Las – Menjahit</text>"));
    }
}
