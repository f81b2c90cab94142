//! The privacy guard: nothing that identifies a person leaves the build.
//! Identifier scans over data and content (`identifiers`) run before
//! anything is written; the report says what was scanned and what was
//! suppressed.

pub mod identifiers;

use crate::diagnostics::{Diagnostic, Location};

/// Scans a content file's text (front matter and body) line by line.
pub fn scan_content(
    detector: &identifiers::Detector,
    file: &std::path::Path,
    text: &str,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for found in detector.scan(line) {
            problems.push(
                Diagnostic::error(
                    Some(Location::line(file, index + 1)),
                    format!(
                        "this looks like {} of a person (`{}`); kaca does not publish personal data",
                        found.kind.describe(),
                        found.masked
                    ),
                )
                .with_hint(
                    "remove it; if it is an office's public number or address, add it to [[privacy.allow]] in site.toml with the reason",
                ),
            );
        }
    }
    problems
}
