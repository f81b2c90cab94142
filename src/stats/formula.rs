//! Formulas of derived figures and consistency checks: arithmetic and
//! comparisons over other statistics, written with their ids in braces
//! (`{a} / {b} * 100`, `sum({table}) == {total}`). The braces let ids keep
//! their hyphens; each reference becomes a plain variable for evalexpr,
//! which does the arithmetic.

use evalexpr::{ContextWithMutableVariables, HashMapContext, Value};

/// A reference found in a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `{id}`: a figure's value.
    Figure(String),
    /// `sum({id})`: the sum of a table's or series' cells.
    Sum(String),
}

/// The longest formula read, in characters: far more than any real one,
/// and small enough that evaluating it takes no noticeable time.
pub const MAX_LENGTH: usize = 2000;
/// How deep parentheses may nest.
pub const MAX_NESTING: usize = 32;
/// How many signs (`+`, `-`, `!`) may follow each other.
pub const MAX_SIGNS_IN_A_ROW: usize = 4;

/// Splits a formula into evalexpr text with variables `v0`, `v1`, … and
/// the references they stand for.
pub fn parse(formula: &str) -> Result<(String, Vec<Reference>), String> {
    check_length(formula)?;
    let mut out = String::with_capacity(formula.len());
    let mut references: Vec<Reference> = Vec::new();
    let mut rest = formula;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| "a `{` is never closed".to_string())?
            + open;
        let id = rest[open + 1..close].trim();
        if id.is_empty() {
            return Err("`{}` names no id".into());
        }
        if id.contains('{') {
            let unclosed: String = id
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            return Err(format!("`{{{unclosed}` is never closed with `}}`"));
        }
        let before = &rest[..open];
        let (before, reference) = match before.trim_end().strip_suffix("sum(") {
            Some(prefix) => {
                let after = rest[close + 1..].trim_start();
                if !after.starts_with(')') {
                    return Err(format!("`sum({{{id}}}` is not closed with `)`"));
                }
                let skipped = rest[close + 1..].len() - after.len() + 1;
                rest = &rest[close + 1 + skipped..];
                (prefix, Reference::Sum(id.to_string()))
            }
            None => {
                rest = &rest[close + 1..];
                (before, Reference::Figure(id.to_string()))
            }
        };
        out.push_str(before);
        let index = match references.iter().position(|r| *r == reference) {
            Some(i) => i,
            None => {
                references.push(reference);
                references.len() - 1
            }
        };
        out.push_str(&format!("v{index}"));
    }
    if rest.contains('}') {
        return Err("a `}` has no `{`".into());
    }
    out.push_str(rest);
    // Ids are replaced by now, so the hyphens in them are not signs.
    check_shape(&out)?;
    Ok((decimal_literals(&out), references))
}

/// Refuses formulas evalexpr would take a long time or a deep stack over
/// (found by fuzzing: thousands of signs in a row overflowed the stack of
/// a build thread, and took seconds before that). First the length, as
/// written.
fn check_length(formula: &str) -> Result<(), String> {
    let length = formula.chars().count();
    if length > MAX_LENGTH {
        return Err(format!(
            "the formula is {length} characters long, more than the {MAX_LENGTH} kaca reads; declare parts of it as derived figures of their own and combine those"
        ));
    }
    Ok(())
}

/// Then how deep the expression nests: parentheses, and signs in a row.
fn check_shape(expression: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut signs = 0usize;
    let mut most_signs = 0usize;
    for c in expression.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match c {
            '+' | '-' | '!' => {
                signs += 1;
                most_signs = most_signs.max(signs);
            }
            c if c.is_whitespace() => {}
            _ => signs = 0,
        }
    }
    if deepest > MAX_NESTING {
        return Err(format!(
            "parentheses nest {deepest} deep, more than the {MAX_NESTING} kaca reads; declare inner parts as derived figures of their own"
        ));
    }
    if most_signs > MAX_SIGNS_IN_A_ROW {
        return Err(format!(
            "{most_signs} signs (`+`, `-`, `!`) follow each other; write at most {MAX_SIGNS_IN_A_ROW} in a row"
        ));
    }
    Ok(())
}

/// Writes whole-number literals as decimals (`80` → `80.0`): values are
/// decimals, and evalexpr never finds a decimal equal to a whole number,
/// so `{recipients} == 80` would always fail.
fn decimal_literals(expression: &str) -> String {
    let chars: Vec<char> = expression.chars().collect();
    let mut out = String::with_capacity(expression.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit()
            && (i == 0
                || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == '.'));
        if !starts_number {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        out.extend(&chars[start..i]);
        let followed = chars
            .get(i)
            .is_some_and(|n| *n == '.' || n.is_alphanumeric() || *n == '_');
        if !followed {
            out.push_str(".0");
        }
    }
    out
}

/// Evaluates a parsed formula with the values of its references.
pub fn evaluate(expression: &str, values: &[f64]) -> Result<Value, String> {
    let mut context = HashMapContext::new();
    for (index, value) in values.iter().enumerate() {
        context
            .set_value(format!("v{index}"), Value::Float(*value))
            .map_err(|e| e.to_string())?;
    }
    evalexpr::eval_with_context(expression, &context).map_err(|e| e.to_string())
}

pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_variables() {
        let (expression, references) = parse("{a-b} / {c} * 100").unwrap();
        assert_eq!(expression, "v0 / v1 * 100.0");
        assert_eq!(
            references,
            [
                Reference::Figure("a-b".into()),
                Reference::Figure("c".into())
            ]
        );
        let value = evaluate(&expression, &[7140.0, 7100.0]).unwrap();
        assert!((as_number(&value).unwrap() - 100.5633).abs() < 0.001);
    }

    #[test]
    fn sums_and_comparisons() {
        let (expression, references) = parse("sum({t}) == {total}").unwrap();
        assert_eq!(expression, "v0 == v1");
        assert_eq!(references[0], Reference::Sum("t".into()));
        assert_eq!(
            evaluate(&expression, &[19.0, 19.0]).unwrap(),
            Value::Boolean(true)
        );
    }

    #[test]
    fn whole_numbers_compare_with_computed_values() {
        let (expression, _) = parse("{recipients} == 80 && {rate} < 1.5 && {x} * 100 > 2").unwrap();
        assert_eq!(expression, "v0 == 80.0 && v1 < 1.5 && v2 * 100.0 > 2.0");
        assert_eq!(
            evaluate(&expression, &[80.0, 1.2, 1.0]).unwrap(),
            Value::Boolean(true)
        );
    }

    #[test]
    fn broken_formulas_say_why() {
        assert!(parse("{a / 2").is_err());
        assert_eq!(
            parse("{peserta-perempuan / {peserta} * 100").unwrap_err(),
            "`{peserta-perempuan` is never closed with `}`"
        );
        assert!(parse("sum({a} + 1").is_err());
    }

    /// Found by fuzzing (`stats_declarations`): 3,000 `-` in a row
    /// overflowed the stack of a build thread; 15,000 took 4.6 s.
    #[test]
    fn formulas_too_large_to_evaluate_safely_are_refused() {
        let signs = format!("{}{{a}}", "-".repeat(3000));
        assert_eq!(
            parse(&signs[..1000]).unwrap_err(),
            "1000 signs (`+`, `-`, `!`) follow each other; write at most 4 in a row"
        );
        assert!(parse("- -{a} + !!{b} - +{c}").is_ok());
        // Hyphens inside ids are not signs.
        assert!(parse("{a-----b} * 2").is_ok());
        let nested = format!("{}{{a}}{}", "(".repeat(33), ")".repeat(33));
        assert_eq!(
            parse(&nested).unwrap_err(),
            "parentheses nest 33 deep, more than the 32 kaca reads; declare inner parts as derived figures of their own"
        );
        assert!(parse(&format!("{}{{a}}{}", "(".repeat(32), ")".repeat(32))).is_ok());
        let long = vec!["{a}"; 700].join(" + ");
        assert!(
            parse(&long)
                .unwrap_err()
                .starts_with("the formula is 4197 characters long")
        );
        // What is accepted evaluates quickly, also on a small thread stack.
        let worst = format!(
            "{}{}1{}",
            "(----".repeat(MAX_NESTING),
            "1 - ".repeat(200),
            ")".repeat(MAX_NESTING)
        );
        let (expression, _) = parse(&worst).unwrap();
        let evaluated = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || evaluate(&expression, &[]).is_ok())
            .unwrap()
            .join()
            .unwrap();
        assert!(evaluated);
    }
}
