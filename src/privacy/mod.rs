//! The privacy guard: nothing that identifies a person leaves the build.
//! Identifier scans over data and content (`identifiers`) run before
//! anything is written; the report says what was scanned and what was
//! suppressed.

pub mod identifiers;
pub mod suppression;

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

/// How many identifier findings of one resource are listed.
const LISTED_FINDINGS: usize = 20;

/// Scans the values of one resource as they stream past: every field that
/// may be shown or published (all but declared identifiers).
pub struct DataScan<'a> {
    detector: &'a identifiers::Detector,
    resource: &'a crate::data::package::Resource,
    findings: Vec<(u64, Diagnostic)>,
    total: usize,
}

impl<'a> DataScan<'a> {
    pub fn new(
        detector: &'a identifiers::Detector,
        resource: &'a crate::data::package::Resource,
    ) -> Self {
        DataScan {
            detector,
            resource,
            findings: Vec::new(),
            total: 0,
        }
    }

    pub fn row(&mut self, row: &crate::data::reader::Row<'_>) {
        use crate::data::schema::{Cell, Role};
        for (field, cell) in self.resource.fields.iter().zip(row.cells) {
            if field.role == Role::Identifier {
                continue;
            }
            let text = match cell {
                Cell::Text(text) => std::borrow::Cow::Borrowed(*text),
                Cell::Integer(_) | Cell::Number(_) => std::borrow::Cow::Owned(cell.canonical()),
                _ => continue,
            };
            for found in self.detector.scan(&text) {
                self.total += 1;
                if self.findings.len() < LISTED_FINDINGS {
                    self.findings.push((
                        row.offset,
                        Diagnostic::error(
                            Some(Location::file(&self.resource.shown)),
                            format!(
                                "resource `{}`, record {}, field `{}`: value `{}` looks like {}; kaca does not publish personal data",
                                self.resource.name,
                                row.record,
                                field.name,
                                found.masked,
                                found.kind.describe()
                            ),
                        )
                        .with_hint(
                            "remove it from the data, or declare the field \"privacy\": \"identifier\" (never published or shown); an office's public number goes in [[privacy.allow]] in site.toml",
                        ),
                    ));
                }
            }
        }
    }

    /// The findings, with their lines.
    pub fn finish(self) -> Vec<Diagnostic> {
        if self.findings.is_empty() {
            return Vec::new();
        }
        let offsets: Vec<u64> = self.findings.iter().map(|(o, _)| *o).collect();
        let lines = crate::data::reader::lines_at(&self.resource.absolute, &offsets);
        let mut out: Vec<Diagnostic> = self
            .findings
            .into_iter()
            .map(|(offset, mut diagnostic)| {
                if let Some(location) = &mut diagnostic.location {
                    location.line = lines.get(&offset).copied();
                }
                diagnostic
            })
            .collect();
        if self.total > LISTED_FINDINGS {
            out.push(Diagnostic::error(
                Some(Location::file(&self.resource.shown)),
                format!(
                    "resource `{}`: {} more values that look like personal data, not listed",
                    self.resource.name,
                    self.total - LISTED_FINDINGS
                ),
            ));
        }
        out
    }
}
