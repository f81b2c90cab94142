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
    /// The count shown, for a count (of rows) at this key; used to check
    /// what a reader can narrow a hidden count down to.
    pub count: Option<f64>,
}

/// Marks a field value that is a set of values (a figure filtered on
/// several): `∪40-59|60+`. Such a cell is the sum of its members' cells.
pub const SET: char = '∪';

/// A set of values as a key's value: members sorted, each once, so that
/// the same set makes the same key wherever it is written.
pub fn set_value<'a>(members: impl IntoIterator<Item = &'a str>) -> String {
    let mut members: Vec<&str> = members.into_iter().collect();
    members.sort_unstable();
    members.dedup();
    format!("{SET}{}", members.join("|"))
}

/// The members of a set value, or `None` for a plain value.
fn set_members(value: &str) -> Option<Vec<&str>> {
    value
        .strip_prefix(SET)
        .map(|rest| rest.split('|').collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Fewer than k persons.
    Primary,
    /// Large enough, but hidden so that a small one cannot be worked out.
    Complementary,
}

/// Every value each field of a key takes in the data (shown or not), by
/// field name as keys use it. A field not listed is taken to have only the
/// values the cells show.
pub type Domains = BTreeMap<String, BTreeSet<String>>;

/// Decides which cells to suppress. Cells with the same key are the same
/// cell (the same number shown in two tables) and get one decision.
///
/// Besides the cells shown, the cells that are not shown matter: the
/// persons of one district that has no figure of its own are the total
/// less the districts shown. Such a cell that a reader can work out to a
/// small number (1 to k−1) has shown cells hidden until they cannot.
pub fn decide(cells: &[Cell], k: u64, domains: &Domains) -> BTreeMap<Key, Reason> {
    let System {
        published: persons,
        counts,
        relations,
    } = System::of(cells, domains);
    let mut suppressed: BTreeMap<Key, Reason> = persons
        .iter()
        .filter(|(_, n)| **n > 0 && **n < k)
        .map(|(key, _)| (key.clone(), Reason::Primary))
        .collect();
    // Each round hides one more cell; the number of cells bounds the rounds.
    for _ in 0..=persons.len() {
        let determined = determined_unknowns(&persons, &suppressed, &relations);
        // First: no hidden cell follows exactly from the equations.
        if let Some(exposed) = first_recoverable(&suppressed, &determined) {
            match complement_for(&exposed, &persons, &suppressed, &relations, None) {
                Some(extra) => {
                    suppressed.insert(extra, Reason::Complementary);
                    continue;
                }
                None => break,
            }
        }
        // Then: no hidden small count can be narrowed below its marker's
        // range using the equations and what the markers say, and no
        // cell that is not shown can be worked out to a small number.
        let Some(narrowed) = first_narrowed(&counts, &suppressed, &relations, k).or_else(|| {
            first_disclosed(&persons, &counts, &suppressed, &relations, &determined, k)
        }) else {
            break;
        };
        let audit = Audit { counts: &counts, k };
        match complement_for(&narrowed, &persons, &suppressed, &relations, Some(&audit)) {
            Some(extra) => {
                suppressed.insert(extra, Reason::Complementary);
            }
            None => break,
        }
    }
    suppressed
}

/// What the bounds audit needs: the shown counts and the threshold.
struct Audit<'a> {
    counts: &'a BTreeMap<Key, f64>,
    k: u64,
}

/// The range a reader can narrow a hidden count to, from every published
/// equation and what the markers say: `<k` is 1 to k−1, `•` is k or more,
/// zero is never hidden, unpublished totals are 0 or more.
fn reader_range(
    counts: &BTreeMap<Key, f64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    k: u64,
    target: &Key,
) -> Option<(f64, f64)> {
    use microlp::OptimizationDirection;
    let low = solve_range(
        counts,
        suppressed,
        relations,
        k,
        target,
        OptimizationDirection::Minimize,
    )?;
    let high = solve_range(
        counts,
        suppressed,
        relations,
        k,
        target,
        OptimizationDirection::Maximize,
    )
    .unwrap_or(f64::INFINITY);
    Some((low, high))
}

/// The variable of an unknown count in the audit's linear program, made on
/// first use with the bounds a reader knows; `None` for a shown count.
fn audit_variable<'a>(
    problem: &mut microlp::Problem,
    variables: &mut HashMap<&'a Key, microlp::Variable>,
    counts: &BTreeMap<Key, f64>,
    suppressed: &BTreeMap<Key, Reason>,
    k: f64,
    target: &Key,
    key: &'a Key,
) -> Option<microlp::Variable> {
    if counts.contains_key(key) && !suppressed.contains_key(key) {
        return None;
    }
    if let Some(v) = variables.get(key) {
        return Some(*v);
    }
    let bounds = match (suppressed.contains_key(key), counts.get(key)) {
        (true, Some(n)) if *n < k => (1.0, k - 1.0),
        (true, Some(_)) => (k, f64::INFINITY),
        _ => (0.0, f64::INFINITY),
    };
    let objective = if key == target { 1.0 } else { 0.0 };
    let v = problem.add_var(objective, bounds);
    variables.insert(key, v);
    Some(v)
}

fn solve_range(
    counts: &BTreeMap<Key, f64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    k: u64,
    target: &Key,
    direction: microlp::OptimizationDirection,
) -> Option<f64> {
    use microlp::{ComparisonOp, Problem};
    let kf = k as f64;
    let mut problem = Problem::new(direction);
    let mut variables: HashMap<&Key, microlp::Variable> = HashMap::new();
    audit_variable(
        &mut problem,
        &mut variables,
        counts,
        suppressed,
        kf,
        target,
        target,
    );
    for relation in relations {
        let mut terms: Vec<(microlp::Variable, f64)> = Vec::new();
        let mut constant = 0.0;
        let members = std::iter::once((&relation.parent, 1.0))
            .chain(relation.children.iter().map(|c| (c, -1.0)));
        for (key, sign) in members {
            match audit_variable(
                &mut problem,
                &mut variables,
                counts,
                suppressed,
                kf,
                target,
                key,
            ) {
                Some(v) => terms.push((v, sign)),
                None => constant += sign * counts.get(key).copied().unwrap_or(0.0),
            }
        }
        if !terms.is_empty() {
            problem.add_constraint(terms, ComparisonOp::Eq, -constant);
        }
    }
    match problem.solve().ok()? {
        microlp::SolveOutcome::Solution(solution) => Some(solution.objective()),
        _ => None,
    }
}

/// The first hidden small count a reader can pin to one value.
fn first_narrowed(
    counts: &BTreeMap<Key, f64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    k: u64,
) -> Option<Key> {
    let kf = k as f64;
    suppressed
        .keys()
        .filter(|key| counts.get(*key).is_some_and(|n| *n < kf))
        .find(|key| !wide_enough(reader_range(counts, suppressed, relations, k, key), k))
        .cloned()
}

/// The first cell that is not shown but that a reader can work out, from
/// the equations and what the markers say, to a small number (1 to k−1).
fn first_disclosed(
    published: &BTreeMap<Key, u64>,
    counts: &BTreeMap<Key, f64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    determined: &BTreeSet<Key>,
    k: u64,
) -> Option<Key> {
    let kf = k as f64;
    // Only a cell the equations determine can be worked out (a linear
    // program for every unshown cell would cost seconds on a small site);
    // its value is then what the reader computes.
    determined
        .iter()
        .filter(|key| !published.contains_key(*key))
        .find(
            |key| match reader_range(counts, suppressed, relations, k, key) {
                Some((low, high)) => high - low < 1.0 - 1e-6 && low > 0.5 && high < kf - 0.5,
                None => false,
            },
        )
        .cloned()
}

/// Whether a hidden small count is protected: a reader cannot pin it to
/// one value. (The whole range 1 to k−1 cannot always be kept: where every
/// non-zero number is hidden, the hidden totals still bound the cells.)
fn wide_enough(range: Option<(f64, f64)>, _k: u64) -> bool {
    match range {
        Some((low, high)) => high - low >= 1.0 - 1e-6,
        // No answer from the solver: treated as narrowed, to be safe.
        None => false,
    }
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
/// total), and so do the cells of values that are not shown, when the
/// field's values in the data are known (`domains`); otherwise a split
/// counts only when every value's cell is shown.
fn relations(published: &BTreeMap<Key, u64>, domains: &Domains) -> Vec<Relation> {
    // All values each field takes: in the data when known, and in any cell.
    let mut domain: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for key in published.keys() {
        for (field, value) in key {
            let values = domain.entry(field).or_default();
            if set_members(value).is_none() {
                values.insert(value);
            }
        }
    }
    for (field, values) in domains {
        if let Some(shown) = domain.get_mut(field.as_str()) {
            shown.extend(values.iter().map(String::as_str));
        }
    }
    // The splits the published cells take part in: each cell's key less
    // one of its fields (a set of values too: its cell is part of the
    // split over that field), and the field.
    let mut splits: BTreeSet<(Key, &str)> = BTreeSet::new();
    for key in published.keys() {
        for field in key.keys() {
            let mut parent = key.clone();
            parent.remove(field);
            splits.insert((parent, field.as_str()));
        }
    }
    let mut out = Vec::new();
    // A cell over a set of values is the sum of its members' cells; over a
    // field whose values are known, the values outside the set are a cell
    // too (a total and "until November" give December away).
    for key in published.keys() {
        for (field, value) in key {
            let Some(members) = set_members(value) else {
                continue;
            };
            if let Some(all) = domains.get(field) {
                let rest: Vec<&str> = all
                    .iter()
                    .map(String::as_str)
                    .filter(|v| !members.contains(v))
                    .collect();
                // Kept when the parent is not shown either: through other
                // equations it may still be worked out, and then so is
                // the complement.
                if !rest.is_empty() {
                    let mut parent = key.clone();
                    parent.remove(field);
                    let mut complement = key.clone();
                    let name = if rest.len() == 1 {
                        rest[0].to_string()
                    } else {
                        set_value(rest.iter().copied())
                    };
                    complement.insert(field.clone(), name);
                    out.push(Relation {
                        parent,
                        children: vec![key.clone(), complement.clone()],
                    });
                    if rest.len() > 1 {
                        out.push(Relation {
                            parent: complement.clone(),
                            children: rest
                                .iter()
                                .map(|member| {
                                    let mut child = key.clone();
                                    child.insert(field.clone(), (*member).to_string());
                                    child
                                })
                                .collect(),
                        });
                    }
                }
            }
            let children: Vec<Key> = members
                .iter()
                .map(|member| {
                    let mut child = key.clone();
                    child.insert(field.clone(), (*member).to_string());
                    child
                })
                .collect();
            out.push(Relation {
                parent: key.clone(),
                children,
            });
        }
    }
    for (parent, field) in &splits {
        let Some(values) = domain.get(field) else {
            continue;
        };
        let children: Vec<Key> = values
            .iter()
            .map(|value| {
                let mut child = parent.clone();
                child.insert((*field).to_string(), (*value).to_string());
                child
            })
            .collect();
        if children.is_empty() {
            continue;
        }
        // A split over the values the data is known to take adds up, the
        // unshown ones as unknowns, when its total is shown (a total that
        // is not shown either adds an equation with more unknowns than it
        // can pin down, and over a field of many values, thousands of
        // them); otherwise only a split the site shows in full is known to
        // add up.
        let complete = domains.contains_key(*field);
        let relevant = children.iter().all(|c| published.contains_key(c))
            || (complete && published.contains_key(parent));
        if relevant {
            out.push(Relation {
                parent: parent.clone(),
                children,
            });
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
        for member in std::iter::once(&relation.parent).chain(&relation.children) {
            if !published.contains_key(member) {
                set.insert(member.clone());
            }
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

/// The unknowns the equations determine, from their reduced row echelon
/// form: a unit vector lies in the row space exactly when a reduced row is
/// that unit vector. One pass over the rows finds them all.
fn all_determined(reduced: &[Vec<f64>], pivots: &[usize]) -> std::collections::HashSet<usize> {
    reduced
        .iter()
        .zip(pivots)
        .filter(|(row, _)| row.iter().filter(|v| v.abs() > 1e-9).count() == 1)
        .map(|(_, &pivot)| pivot)
        .collect()
}

/// What [`leaks`] works on: the published cells' persons and shown
/// counts, and the equations between them.
struct System {
    published: BTreeMap<Key, u64>,
    counts: BTreeMap<Key, f64>,
    relations: Vec<Relation>,
}

impl System {
    fn of(cells: &[Cell], domains: &Domains) -> System {
        // Cells with one key are one number shown twice. Two different
        // numbers under one key would be a bug in how keys are made; the
        // smaller non-zero one is kept so that a small group is hidden
        // all the same.
        let mut published: BTreeMap<Key, u64> = BTreeMap::new();
        for cell in cells {
            let persons = published.entry(cell.key.clone()).or_insert(cell.persons);
            debug_assert_eq!(
                *persons, cell.persons,
                "two numbers under one key: {:?}",
                cell.key
            );
            if *persons == 0 || (cell.persons != 0 && cell.persons < *persons) {
                *persons = cell.persons;
            }
        }
        let counts = cells
            .iter()
            .filter_map(|c| c.count.map(|n| (c.key.clone(), n)))
            .collect();
        let relations = relations(&published, domains);
        System {
            published,
            counts,
            relations,
        }
    }
}

/// What a decision still gives away, each the first such cell (none after
/// [`decide`] unless it had to give up: the build then refuses to
/// publish, the last safeguard).
#[derive(Debug, Default)]
pub struct Leaks {
    /// A hidden small count a reader can narrow below its marker's range.
    pub narrowed: Option<Key>,
    /// A cell not shown that can be worked out to a small number.
    pub disclosed: Option<Key>,
    /// A hidden cell the published ones determine (a bug if ever found).
    pub recoverable: Option<Key>,
}

/// Checks `suppressed` against everything a reader can work out.
pub fn leaks(
    cells: &[Cell],
    suppressed: &BTreeMap<Key, Reason>,
    k: u64,
    domains: &Domains,
) -> Leaks {
    let system = System::of(cells, domains);
    let determined = determined_unknowns(&system.published, suppressed, &system.relations);
    Leaks {
        narrowed: first_narrowed(&system.counts, suppressed, &system.relations, k),
        disclosed: first_disclosed(
            &system.published,
            &system.counts,
            suppressed,
            &system.relations,
            &determined,
            k,
        ),
        recoverable: first_recoverable(suppressed, &determined),
    }
}

fn first_recoverable(
    suppressed: &BTreeMap<Key, Reason>,
    determined: &BTreeSet<Key>,
) -> Option<Key> {
    suppressed
        .keys()
        .find(|key| determined.contains(*key))
        .cloned()
}

/// The unknowns (hidden cells, unshown ones), and the positions among them
/// of those the equations determine.
fn solve_unknowns(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
) -> (Vec<Key>, std::collections::HashSet<usize>) {
    let unknown = unknowns(published, suppressed, relations);
    let index: HashMap<&Key, usize> = unknown.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let rows = equations(published, suppressed, relations, &index);
    let (reduced, pivots) = reduce(rows, unknown.len());
    let determined = all_determined(&reduced, &pivots);
    (unknown, determined)
}

/// The unknowns (hidden cells, unshown ones) that the equations determine.
fn determined_unknowns(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
) -> BTreeSet<Key> {
    let (unknown, determined) = solve_unknowns(published, suppressed, relations);
    unknown
        .into_iter()
        .enumerate()
        .filter(|(i, _)| determined.contains(i))
        .map(|(_, key)| key)
        .collect()
}

/// Whether unknown cell `target` is determined by the equations.
fn is_determined(
    published: &BTreeMap<Key, u64>,
    suppressed: &BTreeMap<Key, Reason>,
    relations: &[Relation],
    target: &Key,
) -> bool {
    let (unknown, determined) = solve_unknowns(published, suppressed, relations);
    determined.iter().any(|&i| unknown[i] == *target)
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
    audit: Option<&Audit<'_>>,
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
    if let Some(audit) = audit {
        // For the bounds audit a larger cell gives more room: try cells
        // from the largest down, totals only after them (totals are what
        // readers need most), and take the first that works.
        let mut ordered: Vec<&(u64, bool, Key)> = candidates.iter().collect();
        ordered.sort_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        let width = |range: Option<(f64, f64)>| {
            range.map_or(0.0, |(low, high)| (high.min(1e12) - low).max(0.0))
        };
        let now = width(reader_range(
            audit.counts,
            suppressed,
            relations,
            audit.k,
            exposed,
        ));
        let mut best: Option<(f64, &Key)> = None;
        for (_, _, candidate) in ordered {
            let mut trial = suppressed.clone();
            trial.insert(candidate.clone(), Reason::Complementary);
            let range = reader_range(audit.counts, &trial, relations, audit.k, exposed);
            if wide_enough(range, audit.k) {
                return Some(candidate.clone());
            }
            // Otherwise remember the one that widens the range most (cells
            // come first in this order, so a tie keeps a cell).
            let widened = width(range);
            if widened > now + 1e-9 && best.is_none_or(|(w, _)| widened > w + 1e-9) {
                best = Some((widened, candidate));
            }
        }
        if let Some((_, candidate)) = best {
            return Some(candidate.clone());
        }
        // None widens it alone: hide the largest cell (a total only if no
        // cell is left) and go on; the next rounds hide what else it takes.
        return candidates
            .into_iter()
            .max_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)))
            .map(|(_, _, key)| key);
    }
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
                count: Some(*n as f64),
            })
            .collect();
        cells.push(Cell {
            key: Key::new(),
            persons: counts.iter().sum(),
            count: Some(counts.iter().sum::<u64>() as f64),
        });
        cells
    }

    #[test]
    fn a_small_cell_and_one_more_are_hidden_from_a_total() {
        let decision = decide(&one_way(&[3, 25, 40, 12]), 10, &Domains::new());
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
        assert!(decide(&one_way(&[0, 25, 40]), 10, &Domains::new()).is_empty());
        assert!(decide(&one_way(&[10, 25, 40]), 10, &Domains::new()).is_empty());
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
                count: Some(l as f64),
            });
            cells.push(Cell {
                key: key(&[("kecamatan", kec), ("sex", "P")]),
                persons: p,
                count: Some(p as f64),
            });
        }
        cells.push(Cell {
            key: key(&[("sex", "L")]),
            persons: 19,
            count: Some(19.0),
        });
        cells.push(Cell {
            key: key(&[("sex", "P")]),
            persons: 23,
            count: Some(23.0),
        });
        let decision = decide(&cells, 10, &Domains::new());
        assert!(decision.contains_key(&key(&[("kecamatan", "K0"), ("sex", "L")])));
        assert!(
            leaks(&cells, &decision, 10, &Domains::new())
                .recoverable
                .is_none(),
            "{decision:?}"
        );
    }
}
