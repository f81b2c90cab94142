//! Data downloads: each publishable resource as CSV and JSON under
//! `/data/`, and `/data/datapackage.json` describing them with sizes and
//! hashes.

/// Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a
/// formula (CSV injection); a leading apostrophe makes it plain text.
/// Plain numbers such as `-5` stay numbers.
pub fn neutralise_formula(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("-5"), "-5");
        assert_eq!(neutralise_formula("Balikpapan"), "Balikpapan");
    }
}
