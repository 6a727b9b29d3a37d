//! Operations and bytes over time, in buckets whose width doubles (pairs
//! folded into one) whenever the trace outgrows `MAX_BUCKETS`: memory stays
//! fixed however long it runs, and a run of any length ends with between
//! `MAX_BUCKETS / 2` and `MAX_BUCKETS` buckets (about a hundred to chart)
//! once it is longer than `MAX_BUCKETS / 2` first widths. Each bucket also
//! holds its operations by size (`SIZE_BINS`, one per power of two): the
//! heatmap of size over time.

/// The most buckets kept: past it, the width doubles.
pub const MAX_BUCKETS: usize = 200;
/// 10 µs: a run of a millisecond already has a hundred buckets.
const FIRST_WIDTH_NS: u64 = 10_000;
/// Size bins of the heatmap: `[0, 1)`, then `[2^(i-1), 2^i)` for bin `i`.
pub const SIZE_BINS: usize = 65;

/// The heatmap's size bin of an operation of `bytes`.
#[inline]
pub fn size_bin(bytes: u64) -> usize {
    (64 - bytes.leading_zeros()) as usize
}

/// `[lo, hi)` of heatmap size bin `i` (the last `hi` saturates).
pub fn size_bin_bounds(i: usize) -> (u64, u64) {
    match i {
        0 => (0, 1),
        64 => (1 << 63, u64::MAX),
        _ => (1 << (i - 1), 1 << i),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Reads and writes by size bin (`size_bin`): operations, bytes.
    pub size_ops: [u64; SIZE_BINS],
    pub size_bytes: [u64; SIZE_BINS],
}

impl Default for Bucket {
    fn default() -> Bucket {
        Bucket { read_ops: 0, write_ops: 0, read_bytes: 0, write_bytes: 0, size_ops: [0; SIZE_BINS], size_bytes: [0; SIZE_BINS] }
    }
}

impl Bucket {
    fn add(&mut self, o: &Bucket) {
        self.read_ops += o.read_ops;
        self.write_ops += o.write_ops;
        self.read_bytes = self.read_bytes.saturating_add(o.read_bytes);
        self.write_bytes = self.write_bytes.saturating_add(o.write_bytes);
        for i in 0..SIZE_BINS {
            self.size_ops[i] += o.size_ops[i];
            self.size_bytes[i] = self.size_bytes[i].saturating_add(o.size_bytes[i]);
        }
    }

    #[inline]
    fn sized(&mut self, bytes: u64) {
        let i = size_bin(bytes);
        self.size_ops[i] += 1;
        self.size_bytes[i] = self.size_bytes[i].saturating_add(bytes);
    }
}

#[derive(Clone)]
pub struct Timeline {
    width_ns: u64,
    buckets: Vec<Bucket>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Timeline {
    pub fn new() -> Self {
        Timeline { width_ns: FIRST_WIDTH_NS, buckets: Vec::with_capacity(MAX_BUCKETS) }
    }

    pub fn width_ns(&self) -> u64 {
        self.width_ns
    }

    fn grow_to(&mut self, width_ns: u64) {
        while self.width_ns < width_ns {
            let merged: Vec<Bucket> = self
                .buckets
                .chunks(2)
                .map(|pair| {
                    let mut b = pair[0];
                    if let Some(second) = pair.get(1) {
                        b.add(second);
                    }
                    b
                })
                .collect();
            self.buckets.clear();
            self.buckets.extend_from_slice(&merged);
            self.width_ns *= 2;
        }
    }

    #[inline]
    fn slot(&mut self, t_ns: u64) -> &mut Bucket {
        while (t_ns / self.width_ns) as usize >= MAX_BUCKETS {
            let w = self.width_ns * 2;
            self.grow_to(w);
        }
        let i = (t_ns / self.width_ns) as usize;
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, Bucket::default());
        }
        &mut self.buckets[i]
    }

    #[inline]
    pub fn record_read(&mut self, t_ns: u64, bytes: u64) {
        let b = self.slot(t_ns);
        b.read_ops += 1;
        b.read_bytes = b.read_bytes.saturating_add(bytes);
        b.sized(bytes);
    }

    #[inline]
    pub fn record_write(&mut self, t_ns: u64, bytes: u64) {
        let b = self.slot(t_ns);
        b.write_ops += 1;
        b.write_bytes = b.write_bytes.saturating_add(bytes);
        b.sized(bytes);
    }

    /// Empty buckets up to `t_ns` (the window's end), so the timeline spans
    /// the whole run, idle end included (the width grows as recording would).
    pub fn extend_to(&mut self, t_ns: u64) {
        if t_ns > 0 {
            self.slot(t_ns - 1);
        }
    }

    pub fn merge(&mut self, other: &Timeline) {
        let width = self.width_ns.max(other.width_ns);
        self.grow_to(width);
        for (i, b) in other.buckets.iter().enumerate() {
            let t = i as u64 * other.width_ns;
            self.slot(t).add(b);
        }
    }

    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_without_losing_counts() {
        let mut t = Timeline::new();
        for i in 0..100_000u64 {
            t.record_write(i * 50_000, 10); // 5 s of operations, one each 50 µs
        }
        assert!(t.buckets().len() <= MAX_BUCKETS);
        let ops: u64 = t.buckets().iter().map(|b| b.write_ops).sum();
        let bytes: u64 = t.buckets().iter().map(|b| b.write_bytes).sum();
        assert_eq!((ops, bytes), (100_000, 1_000_000));
        assert!(t.width_ns() >= 5_000_000_000 / MAX_BUCKETS as u64);
        assert!(t.buckets().len() > MAX_BUCKETS / 2, "about a hundred buckets: {}", t.buckets().len());
        let sized: u64 = t.buckets().iter().map(|b| b.size_ops[size_bin(10)]).sum();
        assert_eq!(sized, 100_000, "every op in its size bin");
    }

    #[test]
    fn runs_of_any_length_get_about_a_hundred_buckets() {
        for run_ns in [2_000_000u64, 50_000_000, 3_000_000_000, 7_200_000_000_000] {
            let mut t = Timeline::new();
            t.record_read(0, 1);
            t.record_read(run_ns - 1, 1);
            let n = t.buckets().len();
            assert!((MAX_BUCKETS / 2..=MAX_BUCKETS).contains(&n), "{run_ns} ns: {n} buckets");
            let mut idle = Timeline::new();
            idle.record_read(0, 1);
            idle.extend_to(run_ns);
            assert_eq!(idle.buckets().len(), n, "{run_ns} ns: the idle end is spanned too");
        }
    }

    #[test]
    fn size_bins_are_powers_of_two() {
        assert_eq!([size_bin(0), size_bin(1), size_bin(2), size_bin(3), size_bin(4096), size_bin(4097), size_bin(u64::MAX)], [0, 1, 2, 2, 13, 13, 64]);
        assert_eq!(size_bin_bounds(13), (4096, 8192));
        assert_eq!(size_bin_bounds(0), (0, 1));
        for v in [0u64, 1, 5, 4095, 1 << 40, u64::MAX] {
            let (lo, hi) = size_bin_bounds(size_bin(v));
            assert!(lo <= v && (v < hi || hi == u64::MAX), "{v}");
        }
    }

    #[test]
    fn merge_of_different_widths() {
        let mut a = Timeline::new();
        a.record_read(0, 1);
        let mut b = Timeline::new();
        b.record_read(10_000_000_000, 2);
        a.merge(&b);
        let total: u64 = a.buckets().iter().map(|b| b.read_bytes).sum();
        assert_eq!(total, 3);
    }
}
