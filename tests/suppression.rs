//! Property tests of small-cell suppression: for random tables and
//! thresholds, no suppressed cell can be worked out from what is published.
//! Recoverability is checked here independently of kaca's own check: exact
//! integer elimination over the table's row, column and grand totals.

use std::collections::BTreeMap;

use kaca::privacy::suppression::{Cell, Domains, Key, Reason, decide, leaks};
use proptest::prelude::*;

fn key(pairs: &[(&str, String)]) -> Key {
    pairs
        .iter()
        .map(|(f, v)| (f.to_string(), v.clone()))
        .collect()
}

/// A rows × columns table by kecamatan × sex with row, column and grand
/// totals, as kaca publishes it.
fn cells(table: &[Vec<u64>]) -> Vec<Cell> {
    let mut out = Vec::new();
    let columns = table[0].len();
    for (r, row) in table.iter().enumerate() {
        for (c, n) in row.iter().enumerate() {
            out.push(Cell {
                key: key(&[("k", format!("r{r}")), ("s", format!("c{c}"))]),
                persons: *n,
                count: Some(*n as f64),
            });
        }
        let sum: u64 = row.iter().sum();
        out.push(Cell {
            key: key(&[("k", format!("r{r}"))]),
            persons: sum,
            count: Some(sum as f64),
        });
    }
    for c in 0..columns {
        let sum: u64 = table.iter().map(|r| r[c]).sum();
        out.push(Cell {
            key: key(&[("s", format!("c{c}"))]),
            persons: sum,
            count: Some(sum as f64),
        });
    }
    let sum: u64 = table.iter().flatten().sum();
    out.push(Cell {
        key: Key::new(),
        persons: sum,
        count: Some(sum as f64),
    });
    out
}

/// Whether a hidden cell's value follows from the published ones: exact
/// fraction-free elimination over the equations row = Σ cells, column =
/// Σ cells, total = Σ rows = Σ columns, with hidden cells as unknowns.
fn recoverable(table: &[Vec<u64>], hidden: &BTreeMap<Key, Reason>, target: &Key) -> bool {
    let rows = table.len();
    let columns = table[0].len();
    let all = cells(table);
    let unknown: Vec<&Key> = all
        .iter()
        .map(|c| &c.key)
        .filter(|k| hidden.contains_key(*k))
        .collect();
    let index = |k: &Key| unknown.iter().position(|u| *u == k);
    let mut equations: Vec<Vec<i128>> = Vec::new();
    let mut equation = |parent: Key, children: Vec<Key>| {
        let mut row = vec![0i128; unknown.len()];
        if let Some(i) = index(&parent) {
            row[i] += 1;
        }
        for child in children {
            if let Some(i) = index(&child) {
                row[i] -= 1;
            }
        }
        equations.push(row);
    };
    for r in 0..rows {
        equation(
            key(&[("k", format!("r{r}"))]),
            (0..columns)
                .map(|c| key(&[("k", format!("r{r}")), ("s", format!("c{c}"))]))
                .collect(),
        );
    }
    for c in 0..columns {
        equation(
            key(&[("s", format!("c{c}"))]),
            (0..rows)
                .map(|r| key(&[("k", format!("r{r}")), ("s", format!("c{c}"))]))
                .collect(),
        );
    }
    equation(
        Key::new(),
        (0..rows).map(|r| key(&[("k", format!("r{r}"))])).collect(),
    );
    equation(
        Key::new(),
        (0..columns)
            .map(|c| key(&[("s", format!("c{c}"))]))
            .collect(),
    );
    // Rank with and without the target's unit vector.
    let rank = |mut m: Vec<Vec<i128>>| -> usize {
        let width = unknown.len();
        let mut rank = 0;
        for col in 0..width {
            let Some(p) = (rank..m.len()).find(|&r| m[r][col] != 0) else {
                continue;
            };
            m.swap(rank, p);
            for r in 0..m.len() {
                if r != rank && m[r][col] != 0 {
                    let (a, b) = (m[rank][col], m[r][col]);
                    let pivot_row = m[rank].clone();
                    for (value, p) in m[r].iter_mut().zip(&pivot_row) {
                        *value = *value * a - p * b;
                    }
                    let g = m[r].iter().fold(0i128, |g, v| gcd(g, v.abs()));
                    if g > 1 {
                        for v in m[r].iter_mut() {
                            *v /= g;
                        }
                    }
                }
            }
            rank += 1;
        }
        rank
    };
    let Some(target) = index(target) else {
        return true;
    };
    let base = rank(equations.clone());
    let mut unit = vec![0i128; unknown.len()];
    unit[target] = 1;
    equations.push(unit);
    rank(equations) == base
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn table() -> impl Strategy<Value = Vec<Vec<u64>>> {
    (2usize..6, 2usize..5).prop_flat_map(|(rows, columns)| {
        prop::collection::vec(
            prop::collection::vec(prop_oneof![3 => 0u64..15, 1 => 15u64..200], columns),
            rows,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_suppressed_cell_can_be_worked_out(table in table(), k in 3u64..=10) {
        let all = cells(&table);
        let hidden = decide(&all, k, &Domains::new());
        for cell in &all {
            // Every small cell is hidden; zero is shown as zero.
            if cell.persons > 0 && cell.persons < k {
                prop_assert_eq!(hidden.get(&cell.key), Some(&Reason::Primary));
            }
            if cell.persons == 0 {
                prop_assert!(!hidden.contains_key(&cell.key));
            }
        }
        // No row or column holds exactly one hidden number.
        let columns = table[0].len();
        for r in 0..table.len() {
            let line: Vec<Key> = (0..columns).map(|c| key(&[("k", format!("r{r}")), ("s", format!("c{c}"))]))
                .chain([key(&[("k", format!("r{r}"))])]).collect();
            let count = line.iter().filter(|k| hidden.contains_key(*k)).count();
            prop_assert!(count != 1, "row {r} of {table:?} hides one cell: {hidden:?}");
        }
        for key_hidden in hidden.keys() {
            prop_assert!(!recoverable(&table, &hidden, key_hidden), "{key_hidden:?} is recoverable in {table:?} with {hidden:?}");
        }
        // Nor can a small one be pinned to one value with what the markers
        // say (`<k`: 1 to k−1, `•`: k or more) — unless every non-zero
        // number is hidden already, and the build then refuses to publish.
        if leaks(&all, &hidden, k, &Domains::new()).narrowed.is_some() {
            let everything_hidden = all.iter().all(|c| c.persons == 0 || hidden.contains_key(&c.key));
            prop_assert!(everything_hidden, "pinned in {table:?} with {hidden:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Some groups of a breakdown have no number of their own, and the
    /// total is shown: after the decision, no group without a number can
    /// be worked out as the total less the numbers shown, if that is a
    /// small number (1 to k−1). The groups the data has are known to the
    /// decision (as kaca collects them while reading); the shown ones only
    /// are not enough.
    #[test]
    fn a_group_without_a_number_cannot_be_worked_out_when_small(
        groups in prop::collection::vec((prop_oneof![2 => 0u64..12, 1 => 12u64..80], any::<bool>()), 2..7),
        k in 3u64..=10,
    ) {
        let name = |i: usize| format!("g{i}");
        let mut all = Vec::new();
        for (i, (n, shown)) in groups.iter().enumerate() {
            if *shown {
                all.push(Cell { key: key(&[("k", name(i))]), persons: *n, count: Some(*n as f64) });
            }
        }
        let total: u64 = groups.iter().map(|(n, _)| n).sum();
        all.push(Cell { key: Key::new(), persons: total, count: Some(total as f64) });
        let domains: Domains = [("k".to_string(), (0..groups.len()).map(name).collect())].into();
        let hidden = decide(&all, k, &domains);
        // What a reader cannot see: hidden numbers and groups without one.
        let unknown: Vec<usize> = (0..groups.len())
            .filter(|&i| !groups[i].1 || hidden.contains_key(&key(&[("k", name(i))])))
            .collect();
        let total_hidden = hidden.contains_key(&Key::new());
        if !total_hidden && unknown.len() == 1 {
            let i = unknown[0];
            let n = groups[i].0;
            prop_assert!(
                !(1..k).contains(&n),
                "group {i} ({n} persons) is the total less the others in {groups:?} with {hidden:?}"
            );
        }
    }
}
