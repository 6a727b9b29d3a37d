//! Operations and bytes over time, in buckets whose width doubles whenever
//! the trace outgrows `MAX_BUCKETS`: memory stays fixed however long it runs.

use serde::Serialize;

const MAX_BUCKETS: usize = 1024;
const FIRST_WIDTH_NS: u64 = 1_000_000; // 1 ms

#[derive(Clone, Copy, Default, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl Bucket {
    fn add(&mut self, o: &Bucket) {
        self.read_ops += o.read_ops;
        self.write_ops += o.write_ops;
        self.read_bytes = self.read_bytes.saturating_add(o.read_bytes);
        self.write_bytes = self.write_bytes.saturating_add(o.write_bytes);
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
    }

    #[inline]
    pub fn record_write(&mut self, t_ns: u64, bytes: u64) {
        let b = self.slot(t_ns);
        b.write_ops += 1;
        b.write_bytes = b.write_bytes.saturating_add(bytes);
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
