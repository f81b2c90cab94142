//! Small-cell suppression, decided for the whole site at once. Every
//! number published from person-level data belongs to a cell: a set of
//! conditions (`kecamatan = Balikpapan Kota`, `jenis_kelamin = P`) over one
//! resource. Cells with fewer than k persons (but more than none) are
//! suppressed (primary); then, because totals are published, more cells are
//! suppressed until no suppressed cell can be worked out from what is
//! shown (complementary).
//!
//! "Worked out" is checked with linear algebra, not a list of patterns:
//! the published cells give equations (a parent is the sum of its children
//! over a field); a suppressed cell is recoverable when its own unit vector
//! lies in the row space of those equations over the unknown cells. Written
//! by hand because the statistical-disclosure tools that do this (sdcTable,
//! tau-argus) are R and Java programs, not libraries kaca can call.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A cell: field → value conditions, in a fixed order.
pub type Key = BTreeMap<String, String>;

/// A published cell and how many persons it counts.
#[derive(Debug, Clone)]
pub struct Cell {
    pub key: Key,
    pub persons: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Fewer than k persons.
    Primary,
    /// Large enough, but hidden so that a small one cannot be worked out.
    Complementary,
}

/// Decides which cells to suppress. Cells with the same key are the same
/// cell (the same number shown in two tables) and get one decision.
pub fn decide(cells: &[Cell], k: u64) -> BTreeMap<Key, Reason> {
    let mut persons: BTreeMap<Key, u64> = BTreeMap::new();
    for cell in cells {
        persons.insert(cell.key.clone(), cell.persons);
    }
    let mut suppressed: BTreeMap<Key, Reason> = persons
        .iter()
        .filter(|(_, n)| **n > 0 && **n < k)
        .map(|(key, _)| (key.clone(), Reason::Primary))
        .collect();
    if suppressed.is_empty() {
        return suppressed;
    }
    let relations = relations(&persons);
    // Each round hides one more cell; the number of cells bounds the rounds.
    for _ in 0..=persons.len() {
        let Some(exposed) = first_recoverable(&persons, &suppressed, &relations) else {
            break;
        };
        match complement_for(&exposed, &persons, &suppressed, &relations) {
            Some(extra) => {
                suppressed.insert(extra, Reason::Complementary);
            }
            None => break,
        }
    }
    suppressed
}

/// parent = Σ children, as keys.
#[derive(Debug, Clone)]
struct Relation {
    parent: Key,
    children: Vec<Key>,
}

/// Every way the published cells add up: for each cell and each field the
/// cells are split by, the parent (the cell without that field) is the sum
/// of the cells for every value of the field. Parents that are not
/// published take part as unknowns (two tables can both sum to an unshown
/// total).
fn relations(published: &BTreeMap<Key, u64>) -> Vec<Relation> {
    // All values each field takes in any cell: a split is complete only if
    // it covers them all.
    let mut domain: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for key in published.keys() {
        for (field, value) in key {
            domain.entry(field).or_default().insert(value);
        }
    }
    let mut parents: BTreeSet<Key> = BTreeSet::new();
    for key in published.keys() {
        for field in key.keys() {
            let mut parent = key.clone();
            parent.remove(field);
            parents.insert(parent);
        }
    }
    let mut out = Vec::new();
    for parent in &parents {
        for (field, values) in &domain {
            if parent.contains_key(*field) {
                continue;
            }
            let children: Vec<Key> = values
                .iter()
                .map(|value| {
                    let mut child = parent.clone();
                    child.insert((*field).to_string(), (*value).to_string());
                    child
                })
                .collect();
            // Only a split that the site shows in full adds up.
            if children.iter().all(|c| published.contains_key(c)) {
                out.push(Relation {
                    parent: parent.clone(),
                    children,
                });
            }
        }
    }
    out
}

/// The unknowns of the equations: suppressed cells and unpublished parents.
fn unknowns(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
) -> Vec<Key> {
    let mut set: BTreeSet<Key> = suppressed.keys().cloned().collect();
    for relation in relations {
        if !published.contains_key(&relation.parent) {
            set.insert(relation.parent.clone());
        }
    }
    set.into_iter().collect()
}

/// The rows of the equation system over the unknowns (known cells moved to
/// the right-hand side, which does not matter for recoverability).
fn equations(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    index: &HashMap<&Key, usize>,
) -> Vec<Vec<f64>> {
    let unknown = |key: &Key| !published.contains_key(key) || suppressed.contains_key(key);
    let mut rows = Vec::new();
    for relation in relations {
        let mut row = vec![0.0; index.len()];
        let mut any = false;
        if unknown(&relation.parent) {
            row[index[&relation.parent]] += 1.0;
            any = true;
        }
        for child in &relation.children {
            if unknown(child) {
                row[index[child]] -= 1.0;
                any = true;
            }
        }
        if any {
            rows.push(row);
        }
    }
    rows
}

/// Reduced row echelon form, and the pivot column of each row.
fn reduce(mut rows: Vec<Vec<f64>>, columns: usize) -> (Vec<Vec<f64>>, Vec<usize>) {
    const EPSILON: f64 = 1e-9;
    let mut pivots = Vec::new();
    let mut rank = 0;
    for column in 0..columns {
        let Some(best) = (rank..rows.len())
            .filter(|&r| rows[r][column].abs() > EPSILON)
            .max_by(|&a, &b| rows[a][column].abs().total_cmp(&rows[b][column].abs()))
        else {
            continue;
        };
        rows.swap(rank, best);
        let pivot = rows[rank][column];
        for value in rows[rank].iter_mut() {
            *value /= pivot;
        }
        let pivot_row = rows[rank].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != rank && row[column].abs() > EPSILON {
                let factor = row[column];
                for (value, p) in row.iter_mut().zip(&pivot_row) {
                    *value -= factor * p;
                }
            }
        }
        pivots.push(column);
        rank += 1;
        if rank == rows.len() {
            break;
        }
    }
    rows.truncate(rank);
    (rows, pivots)
}

/// Whether unknown `target` is determined by the equations: its unit
/// vector lies in their row space.
fn determined(reduced: &[Vec<f64>], pivots: &[usize], target: usize, columns: usize) -> bool {
    let mut vector = vec![0.0; columns];
    vector[target] = 1.0;
    for (row, &pivot) in reduced.iter().zip(pivots) {
        let factor = vector[pivot];
        if factor != 0.0 {
            for c in 0..columns {
                vector[c] -= factor * row[c];
            }
        }
    }
    vector.iter().all(|v| v.abs() < 1e-9)
}

/// The first suppressed cell that the published cells give away, if any
/// (none after `decide`; the build checks again as a last safeguard).
pub fn first_recoverable_key(cells: &[Cell], suppressed: &BTreeMap<Key, Reason>) -> Option<Key> {
    let published: BTreeMap<Key, u64> = cells.iter().map(|c| (c.key.clone(), c.persons)).collect();
    let relations = relations(&published);
    first_recoverable(&published, suppressed, &relations)
}

fn first_recoverable(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
) -> Option<Key> {
    let unknown = unknowns(published, suppressed, relations);
    let index: HashMap<&Key, usize> = unknown.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let rows = equations(published, suppressed, relations, &index);
    let (reduced, pivots) = reduce(rows, unknown.len());
    suppressed
        .keys()
        .find(|key| determined(&reduced, &pivots, index[key], unknown.len()))
        .cloned()
}

/// Whether unknown cell `target` is determined by the equations.
fn is_determined(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    target: &Key,
) -> bool {
    let unknown = unknowns(published, suppressed, relations);
    let index: HashMap<&Key, usize> = unknown.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let rows = equations(published, suppressed, relations, &index);
    let (reduced, pivots) = reduce(rows, unknown.len());
    determined(&reduced, &pivots, index[target], unknown.len())
}

/// Another cell to hide so that `exposed` is no longer determined. The
/// candidates are the visible, non-zero cells of the equations connected
/// to it (through other hidden cells), smallest first; the first whose
/// hiding really makes `exposed` undetermined is taken. If none does on
/// its own, the smallest one is hidden and the search goes on next round.
fn complement_for(
    exposed: &Key,
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
) -> Option<Key> {
    let unknown = |key: &Key| !published.contains_key(key) || suppressed.contains_key(key);
    // Hidden cells reachable from `exposed` through shared equations.
    let mut reached: BTreeSet<Key> = BTreeSet::from([exposed.clone()]);
    loop {
        let before = reached.len();
        for relation in relations {
            let members = std::iter::once(&relation.parent).chain(&relation.children);
            if members.clone().any(|m| reached.contains(m)) {
                reached.extend(members.filter(|m| unknown(m)).cloned());
            }
        }
        if reached.len() == before {
            break;
        }
    }
    let mut candidates: Vec<(u64, bool, Key)> = Vec::new();
    for relation in relations {
        let members = std::iter::once(&relation.parent).chain(&relation.children);
        if !members.clone().any(|m| reached.contains(m)) {
            continue;
        }
        for (position, member) in members.enumerate() {
            if let Some(&n) = published.get(member)
                && n > 0
                && !suppressed.contains_key(member)
            {
                // Children before parents, so totals stay visible where possible.
                candidates.push((n, position == 0, member.clone()));
            }
        }
    }
    candidates.sort();
    candidates.dedup();
    for (_, _, candidate) in &candidates {
        let mut trial = suppressed.clone();
        trial.insert(candidate.clone(), Reason::Complementary);
        if !is_determined(published, &trial, relations, exposed) {
            return Some(candidate.clone());
        }
    }
    candidates.into_iter().next().map(|(_, _, key)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pairs: &[(&str, &str)]) -> Key {
        pairs
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect()
    }

    /// A table by kecamatan with its total.
    fn one_way(counts: &[u64]) -> Vec<Cell> {
        let mut cells: Vec<Cell> = counts
            .iter()
            .enumerate()
            .map(|(i, n)| Cell {
                key: key(&[("kecamatan", &format!("K{i}"))]),
                persons: *n,
            })
            .collect();
        cells.push(Cell {
            key: Key::new(),
            persons: counts.iter().sum(),
        });
        cells
    }

    #[test]
    fn a_small_cell_and_one_more_are_hidden_from_a_total() {
        let decision = decide(&one_way(&[3, 25, 40, 12]), 10);
        assert_eq!(
            decision.get(&key(&[("kecamatan", "K0")])),
            Some(&Reason::Primary)
        );
        // With only K0 hidden, total − others gives it away: the smallest
        // other (12) is hidden too.
        assert_eq!(
            decision.get(&key(&[("kecamatan", "K3")])),
            Some(&Reason::Complementary)
        );
        assert_eq!(decision.len(), 2);
    }

    #[test]
    fn zero_stays_zero_and_large_tables_stay_whole() {
        assert!(decide(&one_way(&[0, 25, 40]), 10).is_empty());
        assert!(decide(&one_way(&[10, 25, 40]), 10).is_empty());
    }

    #[test]
    fn two_tables_over_the_same_data_are_decided_together() {
        // By kecamatan, and by kecamatan × sex: the second's row totals are
        // the first's cells, so a hidden split must not be recoverable
        // from the first table.
        let mut cells = one_way(&[12, 30]);
        for (kec, l, p) in [("K0", 4, 8), ("K1", 15, 15)] {
            cells.push(Cell {
                key: key(&[("kecamatan", kec), ("sex", "L")]),
                persons: l,
            });
            cells.push(Cell {
                key: key(&[("kecamatan", kec), ("sex", "P")]),
                persons: p,
            });
        }
        cells.push(Cell {
            key: key(&[("sex", "L")]),
            persons: 19,
        });
        cells.push(Cell {
            key: key(&[("sex", "P")]),
            persons: 23,
        });
        let decision = decide(&cells, 10);
        assert!(decision.contains_key(&key(&[("kecamatan", "K0"), ("sex", "L")])));
        assert!(
            first_recoverable_key(&cells, &decision).is_none(),
            "{decision:?}"
        );
    }
}
