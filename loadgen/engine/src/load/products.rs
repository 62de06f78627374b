//! Which product an event names: a weighted draw in constant time from an alias table
//! (Walker's method, built as Vose describes), laid out so that a draw reads one 8-byte
//! entry and nothing else.
//!
//! Each entry stands for one product and holds the odds of keeping it and the product it
//! gives otherwise (its alias). A draw is one 64-bit random
//! number, taken ahead of its event: its high half picks the entry, its low half decides
//! between the entry's two products. The generator asks for the entry's cache line when
//! it takes the draw and reads the line a few events later, so that at 5,000 events/s,
//! when every wake-up finds the table out of the cache, the miss is not waited for
//! (`rand_distr`'s alias table, used before, kept odds and aliases in two arrays: two
//! misses per event, neither asked for ahead).

use crate::prefetch;

/// One entry: 8 bytes, eight to a cache line, never across two.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(8))]
struct Entry {
    /// The entry's own product is kept when the draw's low half is at most this
    /// (`u32::MAX`: always).
    keep_at_most: u32,
    /// The product given when the entry's own is not kept.
    alias: u32,
}

/// A draw taken ahead of its event: which entry, and which of its two products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Draw(u64);

/// Products `0..n` drawn with the weights given.
pub(crate) struct Products {
    entries: Box<[Entry]>,
}

impl Products {
    /// The table for `weights` (finite, not negative, not all zero: the generator's Zipf
    /// weights always are; a weight that is not is taken as zero, and weights that are all
    /// zero are taken as equal).
    pub(crate) fn new(weights: &[f64]) -> Self {
        let n = weights.len().max(1);
        let clean = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
        let sum: f64 = weights.iter().map(|&w| clean(w)).sum();
        // Each product's weight as a share of an entry: 1.0 is one entry's worth.
        let mut share: Vec<f64> =
            if sum > 0.0 { weights.iter().map(|&w| clean(w) * n as f64 / sum).collect() } else { vec![1.0; n] };
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) = (0..n as u32).partition(|&i| share[i as usize] < 1.0);
        // Each small entry takes the rest of its room from a large one, which shrinks by it.
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            share[l as usize] -= 1.0 - share[s as usize];
            if share[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left is a whole entry's worth, but for rounding.
        for i in small.into_iter().chain(large) {
            share[i as usize] = 1.0;
        }
        let entries = (0..n as u32)
            .map(|i| {
                let keep = share[i as usize].clamp(0.0, 1.0);
                Entry {
                    // The low half is at most `keep_at_most` with odds (keep_at_most + 1) / 2^32.
                    keep_at_most: ((keep * 4_294_967_296.0).round() as u64).saturating_sub(1).min(u64::from(u32::MAX))
                        as u32,
                    alias: alias[i as usize],
                }
            })
            .collect();
        Products { entries }
    }

    /// Products in the table.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// A draw: one random number, nothing read yet.
    pub(crate) fn draw(&self, random: u64) -> Draw {
        Draw(random)
    }

    /// Asks for the line that `draw` will read.
    pub(crate) fn prefetch(&self, draw: Draw) {
        prefetch::value(&self.entries[self.entry(draw)]);
    }

    /// The product `draw` gives.
    pub(crate) fn product(&self, draw: Draw) -> u32 {
        let i = self.entry(draw);
        let e = &self.entries[i];
        if draw.0 as u32 <= e.keep_at_most {
            i as u32
        } else {
            e.alias
        }
    }

    /// The entry `draw` picks: the high half scaled to the table (multiply and shift; its
    /// bias, under n / 2^32, is far below what a popularity model can show).
    fn entry(&self, draw: Draw) -> usize {
        (((draw.0 >> 32) * self.entries.len() as u64) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn counts(table: &Products, draws: usize) -> Vec<u64> {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut seen = vec![0u64; table.len()];
        for _ in 0..draws {
            seen[table.product(table.draw(rng.random())) as usize] += 1;
        }
        seen
    }

    #[test]
    fn an_entry_never_spans_two_lines() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
        assert_eq!(std::mem::align_of::<Entry>(), 8);
    }

    #[test]
    fn products_are_drawn_as_often_as_their_weights_say() {
        // Zipf over 1,000 products, as the generator builds it.
        let weights: Vec<f64> = (1..=1_000).map(|k| (k as f64).powf(-1.1)).collect();
        let sum: f64 = weights.iter().sum();
        let table = Products::new(&weights);
        let draws = 2_000_000;
        let seen = counts(&table, draws);
        for (i, (&w, &n)) in weights.iter().zip(&seen).enumerate() {
            let expected = w / sum * draws as f64;
            // Five standard deviations of a binomial count, and at least 5 events.
            let tolerance = (5.0 * expected.sqrt()).max(5.0);
            assert!(
                (n as f64 - expected).abs() <= tolerance,
                "product {i}: drawn {n} times, {expected:.0} expected (±{tolerance:.0})"
            );
        }
    }

    #[test]
    fn weights_that_are_not_usable_do_not_break_the_table() {
        // A product of zero weight is drawn with odds under 2^-32; all-zero weights are
        // taken as equal.
        let seen = counts(&Products::new(&[1.0, 0.0, f64::NAN, 1.0]), 100_000);
        assert_eq!((seen[1], seen[2]), (0, 0));
        assert!(seen[0] > 45_000 && seen[3] > 45_000, "{seen:?}");
        let seen = counts(&Products::new(&[0.0, 0.0]), 100_000);
        assert!(seen.iter().all(|&n| n > 45_000), "{seen:?}");
        // No weights at all: one product, 0.
        assert!(counts(&Products::new(&[]), 10).iter().all(|&n| n == 10));
    }
}
