//! Fixed log-scale histogram: exact bins below 64, then 32 bins per power of
//! two (each bin spans about 2.2 %). Fine enough to redraw any log-spaced
//! binning (the reference tool uses 200 bins between min and max), and its
//! memory is fixed whatever the number of samples.

use serde::{Deserialize, Serialize};

const EXACT: usize = 64;
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
const FIRST_OCTAVE: u32 = 6; // 2^6 == EXACT
pub const BINS: usize = EXACT + (64 - FIRST_OCTAVE as usize) * SUB;

#[derive(Clone)]
pub struct LogHistogram {
    counts: Box<[u64; BINS]>,
    sums: Box<[u64; BINS]>,
    total_count: u64,
    total_sum: u128,
    min: u64,
    max: u64,
}

/// One non-empty bin: values in `[lo, hi)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Bin {
    pub lo: u64,
    pub hi: u64,
    pub count: u64,
    pub sum: u64,
}

impl Default for LogHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LogHistogram {
    pub fn new() -> Self {
        LogHistogram {
            counts: Box::new([0; BINS]),
            sums: Box::new([0; BINS]),
            total_count: 0,
            total_sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    #[inline]
    pub fn index(v: u64) -> usize {
        if v < EXACT as u64 {
            return v as usize;
        }
        let octave = 63 - v.leading_zeros();
        let sub = ((v >> (octave - SUB_BITS)) as usize) & (SUB - 1);
        EXACT + (octave - FIRST_OCTAVE) as usize * SUB + sub
    }

    /// `[lo, hi)` of a bin; the last bin's `hi` saturates at `u64::MAX`.
    pub fn bounds(index: usize) -> (u64, u64) {
        if index < EXACT {
            return (index as u64, index as u64 + 1);
        }
        let octave = ((index - EXACT) / SUB) as u32 + FIRST_OCTAVE;
        let sub = ((index - EXACT) % SUB) as u64;
        let shift = octave - SUB_BITS;
        let lo = (SUB as u64 + sub) << shift;
        let hi = (SUB as u64 + sub + 1).checked_shl(shift).filter(|h| *h > lo);
        (lo, hi.unwrap_or(u64::MAX))
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        let i = Self::index(v);
        self.counts[i] += 1;
        self.sums[i] = self.sums[i].saturating_add(v);
        self.total_count += 1;
        self.total_sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        for i in 0..BINS {
            self.counts[i] += other.counts[i];
            self.sums[i] = self.sums[i].saturating_add(other.sums[i]);
        }
        self.total_count += other.total_count;
        self.total_sum += other.total_sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Adds a bin of another histogram of this binning (a report's `bins`):
    /// exact, as bins are fixed. Min and max become those of the bins' means.
    pub fn add_bin(&mut self, bin: &Bin) {
        if bin.count == 0 {
            return;
        }
        let i = Self::index(bin.lo);
        self.counts[i] += bin.count;
        self.sums[i] = self.sums[i].saturating_add(bin.sum);
        self.total_count += bin.count;
        self.total_sum += bin.sum as u128;
        let mean = bin.sum / bin.count;
        self.min = self.min.min(mean);
        self.max = self.max.max(mean);
    }

    pub fn count(&self) -> u64 {
        self.total_count
    }

    pub fn sum(&self) -> u128 {
        self.total_sum
    }

    pub fn min(&self) -> Option<u64> {
        (self.total_count > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<u64> {
        (self.total_count > 0).then_some(self.max)
    }

    pub fn mean(&self) -> Option<f64> {
        (self.total_count > 0).then(|| self.total_sum as f64 / self.total_count as f64)
    }

    /// Value at quantile `q` (0..=1), to bin resolution: the mean of the
    /// samples in the bin that holds it.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total_count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total_count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for i in 0..BINS {
            seen += self.counts[i];
            if seen >= rank {
                return Some(self.sums[i] / self.counts[i]);
            }
        }
        Some(self.max)
    }

    pub fn bins(&self) -> Vec<Bin> {
        (0..BINS)
            .filter(|&i| self.counts[i] > 0)
            .map(|i| {
                let (lo, hi) = Self::bounds(i);
                Bin { lo, hi, count: self.counts[i], sum: self.sums[i] }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_its_bin() {
        let mut v = 1u64;
        let mut probes = vec![0, 1, 63, 64, 65, 127, 128, 4095, 4096, 4097, u64::MAX];
        while v < u64::MAX / 3 {
            probes.extend([v - 1, v, v + 1]);
            v = v * 3 + 7;
        }
        for p in probes {
            let i = LogHistogram::index(p);
            assert!(i < BINS);
            let (lo, hi) = LogHistogram::bounds(i);
            assert!(lo <= p && (p < hi || hi == u64::MAX), "{p} not in [{lo},{hi}) of bin {i}");
        }
    }

    #[test]
    fn bins_are_contiguous_and_narrow() {
        for i in 1..BINS {
            assert_eq!(LogHistogram::bounds(i - 1).1, LogHistogram::bounds(i).0);
        }
        let (lo, hi) = LogHistogram::bounds(LogHistogram::index(1 << 20));
        assert!((hi - lo) as f64 / lo as f64 <= 1.0 / 32.0 + 1e-9);
    }

    #[test]
    fn exact_totals_and_quantiles() {
        let mut h = LogHistogram::new();
        for _ in 0..1000 {
            h.record(4096);
        }
        h.record(10);
        assert_eq!(h.count(), 1001);
        assert_eq!(h.sum(), 4_096_010);
        assert_eq!(h.quantile(0.5), Some(4096));
        assert_eq!(h.quantile(0.0), Some(10));
        let bins = h.bins();
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[1].count, 1000);
        assert_eq!(bins[1].sum, 4_096_000);
    }
}
