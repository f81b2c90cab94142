//! Property tests of small-cell suppression: for random tables and
//! thresholds, no suppressed cell can be worked out from what is published.
//! Recoverability is checked here independently of kaca's own check: exact
//! integer elimination over the table's row, column and grand totals.

mod common;

use std::collections::BTreeMap;

use common::in_row_space;
use kaca::privacy::suppression::{Cell, Domains, Key, Reason, decide, leaks, set_value};
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
    let Some(target) = index(target) else {
        return true;
    };
    let mut unit = vec![0i128; unknown.len()];
    unit[target] = 1;
    in_row_space(&equations, unit)
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A breakdown with some groups shown, its total, and a figure over
    /// several of its groups (`filter = { k = ["g1", "g3"] }`), whose cell
    /// is the sum of theirs. Whatever is hidden, a reader who combines the
    /// numbers shown (each group, the total, the figure) cannot work out a
    /// hidden number, nor a small group without a number, nor a small
    /// "every group but the figure's". Checked by exact elimination over
    /// the groups, independently of kaca's own equations.
    #[test]
    fn a_figure_over_several_groups_gives_nothing_away(
        (groups, in_figure) in groups_and_a_figure(),
        k in 3u64..=10,
    ) {
        let name = |i: usize| format!("g{i}");
        let figure_key = key(&[("k", set_value(in_figure.iter().map(|&i| name(i)).collect::<Vec<_>>().iter().map(String::as_str)))]);
        let sum_of = |members: &[usize]| members.iter().map(|&i| groups[i].0).sum::<u64>();
        let everyone: Vec<usize> = (0..groups.len()).collect();
        let mut all = Vec::new();
        for (i, (n, shown)) in groups.iter().enumerate() {
            if *shown {
                all.push(Cell { key: key(&[("k", name(i))]), persons: *n, count: Some(*n as f64) });
            }
        }
        for (cell_key, members) in [(Key::new(), &everyone), (figure_key.clone(), &in_figure)] {
            let n = sum_of(members);
            all.push(Cell { key: cell_key, persons: n, count: Some(n as f64) });
        }
        let domains: Domains = [("k".to_string(), (0..groups.len()).map(name).collect())].into();
        let hidden = decide(&all, k, &domains);
        for cell in &all {
            if cell.persons > 0 && cell.persons < k {
                prop_assert_eq!(hidden.get(&cell.key), Some(&Reason::Primary));
            }
        }
        // What a reader knows: each number shown, as a sum over groups.
        let over = |members: &[usize]| -> Vec<i128> {
            (0..groups.len()).map(|i| i128::from(members.contains(&i))).collect()
        };
        let mut known: Vec<Vec<i128>> = Vec::new();
        for (i, (_, shown)) in groups.iter().enumerate() {
            if *shown && !hidden.contains_key(&key(&[("k", name(i))])) {
                known.push(over(&[i]));
            }
        }
        if !hidden.contains_key(&Key::new()) {
            known.push(over(&everyone));
        }
        if !hidden.contains_key(&figure_key) {
            known.push(over(&in_figure));
        }
        // What must stay unknown: every hidden number, and every sum of
        // groups with no number of its own that is small.
        let mut secret: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, (n, shown)) in groups.iter().enumerate() {
            let hidden_here = *shown && hidden.contains_key(&key(&[("k", name(i))]));
            if hidden_here || (!*shown && (1..k).contains(n)) {
                secret.push((name(i), vec![i]));
            }
        }
        if hidden.contains_key(&Key::new()) {
            secret.push(("the total".to_string(), everyone.clone()));
        }
        if hidden.contains_key(&figure_key) {
            secret.push(("the figure".to_string(), in_figure.clone()));
        }
        let rest: Vec<usize> = (0..groups.len()).filter(|i| !in_figure.contains(i)).collect();
        if (1..k).contains(&sum_of(&rest)) {
            secret.push(("the groups outside the figure".to_string(), rest));
        }
        for (what, members) in secret {
            prop_assert!(
                !in_row_space(&known, over(&members)),
                "{what} can be worked out from {groups:?}, figure over {in_figure:?} (k = {k}), with {hidden:?}"
            );
        }
    }
}

/// Three to six groups, each with its number of persons and whether it is
/// shown, and a figure over two or more of them but not all.
fn groups_and_a_figure() -> impl Strategy<Value = (Vec<(u64, bool)>, Vec<usize>)> {
    (3usize..7).prop_flat_map(|n| {
        (
            prop::collection::vec(
                (prop_oneof![2 => 0u64..12, 1 => 12u64..80], any::<bool>()),
                n,
            ),
            (2..n).prop_flat_map(move |size| {
                prop::sample::subsequence((0..n).collect::<Vec<usize>>(), size)
            }),
        )
    })
}
