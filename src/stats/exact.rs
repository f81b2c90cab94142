//! Exact sums of floating-point values, so that a figure is the same
//! whether its file was read in order or in chunks on several cores, and
//! whatever the chunks: a plain running sum depends on the order of the
//! additions, and drifts (a million 0.1s added one by one make
//! 100000.00000133288; exactly, and rounded once, they make 100000).
//!
//! The sum is kept as Shewchuk's non-overlapping partials (the method of
//! Python's `math.fsum`) and rounded once, correctly, when read. Written
//! here because the crate that does this (`fsum`) cannot add one sum to
//! another without rounding, which is what merging chunks needs.

/// The exact sum of the values added so far.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Non-overlapping, by increasing magnitude; their exact sum is the
    /// sum of every finite value added.
    partials: Vec<f64>,
    /// Infinities and NaNs, summed plainly (they make the result anyway).
    special: f64,
}

impl ExactSum {
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            self.special += value;
            return;
        }
        let mut carried = value;
        let mut kept = 0;
        for index in 0..self.partials.len() {
            let mut other = self.partials[index];
            if carried.abs() < other.abs() {
                std::mem::swap(&mut carried, &mut other);
            }
            // `high + low` is exactly `carried + other`.
            let high = carried + other;
            let low = other - (high - carried);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            carried = high;
        }
        self.partials.truncate(kept);
        self.partials.push(carried);
    }

    /// Adds another sum, exactly.
    pub fn merge(&mut self, other: &ExactSum) {
        for &partial in &other.partials {
            self.add(partial);
        }
        self.special += other.special;
    }

    /// The exact sum, rounded to the nearest `f64` (ties to even).
    pub fn value(&self) -> f64 {
        // NaN is not equal to zero either.
        if self.special != 0.0 {
            return self.special;
        }
        let Some((&largest, below)) = self.partials.split_last() else {
            return 0.0;
        };
        let mut total = largest;
        let mut rest = below.iter().rev().peekable();
        while let Some(&next) = rest.next() {
            let before = total;
            total = before + next;
            let error = next - (total - before);
            if error != 0.0 {
                // The rounding above may be a tie that the partials further
                // down break: round the other way if they lean that way.
                if let Some(&&further) = rest.peek()
                    && (error < 0.0) == (further < 0.0)
                {
                    let doubled = error * 2.0;
                    let moved = total + doubled;
                    if doubled == moved - total {
                        return moved;
                    }
                }
                return total;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::ExactSum;

    fn sum(values: &[f64]) -> f64 {
        let mut total = ExactSum::default();
        for value in values {
            total.add(*value);
        }
        total.value()
    }

    #[test]
    fn sums_are_exact_and_correctly_rounded() {
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&vec![0.1; 1_000_000]), 100_000.0);
        assert_eq!(sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum(&[1e-16, 1.0, 1e16]), 1.0000000000000002e16);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[f64::INFINITY, 1.0]), f64::INFINITY);
    }

    #[test]
    fn a_sum_does_not_depend_on_how_it_was_split() {
        let values: Vec<f64> = (0..10_000).map(|i| 0.1 + f64::from(i % 7) * 1e-3).collect();
        let whole = sum(&values);
        for chunk in [1, 3, 100, 4096] {
            let mut merged = ExactSum::default();
            for part in values.chunks(chunk) {
                let mut piece = ExactSum::default();
                for value in part {
                    piece.add(*value);
                }
                merged.merge(&piece);
            }
            assert_eq!(merged.value(), whole, "chunks of {chunk}");
        }
        let plain: f64 = values.iter().sum();
        let reversed: f64 = values.iter().rev().sum();
        assert_ne!(
            plain, reversed,
            "the example needs a sum that depends on order"
        );
    }
}
