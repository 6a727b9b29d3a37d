//! Access pattern of one stream of operations (the reads, or the writes, of
//! one file), classified as it streams by, in constant memory.
//!
//! Each operation with a known start offset is compared with the end of the
//! previous one: the *gap* between them.
//!
//! - **sequential**: gap 0 (it starts where the previous one ended). The
//!   first operation starts a run and counts as sequential.
//! - **strided**: the same non-zero gap as the previous operation (fixed
//!   records with fixed holes, forwards or backwards). The first jump of a
//!   stride is counted random until the second confirms it, then both count
//!   as strided.
//! - **random**: any other gap.
//!
//! The stream's pattern is the class of most of its operations (ties go to
//! sequential, then strided). Operations of unknown offset are counted apart
//! and classify nothing. Small operations (under [`SMALL_OP_BYTES`]) are
//! counted whatever their offset.

use serde::{Deserialize, Serialize};

/// Operations moving fewer bytes than this (one page) are "small".
pub const SMALL_OP_BYTES: u64 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Pattern {
    Sequential,
    Strided,
    Random,
    /// No operation with a known offset.
    #[default]
    Unknown,
}

impl Pattern {
    /// The pattern of most of `sequential`, `strided` and `random` operations.
    pub fn of(sequential: u64, strided: u64, random: u64) -> Pattern {
        if sequential + strided + random == 0 {
            Pattern::Unknown
        } else if sequential >= strided && sequential >= random {
            Pattern::Sequential
        } else if strided >= random {
            Pattern::Strided
        } else {
            Pattern::Random
        }
    }
}

/// The streaming classifier: a few counters and the previous operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessClassifier {
    pub sequential: u64,
    pub strided: u64,
    pub random: u64,
    /// Operations whose offset the source did not know.
    pub unknown: u64,
    pub small: u64,
    /// Operations that moved bytes from where the previous one (of known
    /// offset, that moved bytes too) started: the same range again, as a
    /// program re-reading one header or record does. Only back-to-back
    /// repeats are seen (constant memory): A, B, A, B repeats nothing.
    pub repeated: u64,
    /// Start and end of the previous operation with a known offset.
    last: Option<(u64, u64)>,
    last_gap: i64,
    /// The previous operation was a jump counted random that a repeat of its
    /// gap would turn into the start of a stride.
    lone_jump: bool,
    /// Distance between the starts of two operations of the latest stride.
    stride: Option<i64>,
}

impl AccessClassifier {
    #[inline]
    pub fn record(&mut self, offset: Option<u64>, bytes: u64) {
        if bytes < SMALL_OP_BYTES {
            self.small += 1;
        }
        let Some(start) = offset else {
            self.unknown += 1;
            return;
        };
        let end = start.saturating_add(bytes);
        match self.last {
            None => {
                self.sequential += 1;
                self.last_gap = 0;
            }
            Some((last_start, last_end)) => {
                if start == last_start && bytes > 0 && last_end > last_start {
                    self.repeated += 1;
                }
                let gap = start.wrapping_sub(last_end) as i64;
                if gap == 0 {
                    self.sequential += 1;
                    self.lone_jump = false;
                } else if gap == self.last_gap {
                    self.strided += 1;
                    if self.lone_jump {
                        self.random -= 1;
                        self.strided += 1;
                        self.lone_jump = false;
                    }
                    self.stride = Some(start.wrapping_sub(last_start) as i64);
                } else {
                    self.random += 1;
                    self.lone_jump = true;
                }
                self.last_gap = gap;
            }
        }
        self.last = Some((start, end));
    }

    pub fn ops(&self) -> u64 {
        self.sequential + self.strided + self.random + self.unknown
    }

    pub fn pattern(&self) -> Pattern {
        Pattern::of(self.sequential, self.strided, self.random)
    }

    /// The report's view; `None` for a stream with no operations.
    pub fn summary(&self) -> Option<AccessSummary> {
        (self.ops() > 0).then(|| AccessSummary {
            pattern: self.pattern(),
            sequential_ops: self.sequential,
            strided_ops: self.strided,
            random_ops: self.random,
            unknown_ops: self.unknown,
            small_ops: self.small,
            stride_bytes: if self.strided > 0 { self.stride } else { None },
        })
    }
}

/// One stream's access pattern in the report.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AccessSummary {
    pub pattern: Pattern,
    pub sequential_ops: u64,
    pub strided_ops: u64,
    pub random_ops: u64,
    /// Operations whose start offset the source could not know.
    pub unknown_ops: u64,
    /// Operations of fewer than 4096 bytes.
    pub small_ops: u64,
    /// Start-to-start distance of the latest stride, when there was one
    /// (negative: backwards).
    pub stride_bytes: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ops: &[(u64, u64)]) -> AccessClassifier {
        let mut c = AccessClassifier::default();
        for &(offset, bytes) in ops {
            c.record(Some(offset), bytes);
        }
        c
    }

    fn counts(c: &AccessClassifier) -> (u64, u64, u64) {
        (c.sequential, c.strided, c.random)
    }

    #[test]
    fn back_to_back_is_sequential() {
        let ops: Vec<_> = (0..100).map(|i| (i * 4096, 4096)).collect();
        let c = run(&ops);
        assert_eq!(counts(&c), (100, 0, 0));
        assert_eq!(c.pattern(), Pattern::Sequential);
        assert_eq!(c.small, 0);
    }

    #[test]
    fn sequential_from_the_middle_and_with_varying_sizes() {
        let c = run(&[(1000, 10), (1010, 500), (1510, 0), (1510, 3)]);
        assert_eq!(counts(&c), (4, 0, 0));
        assert_eq!(c.small, 4);
    }

    #[test]
    fn fixed_gaps_are_strided_from_the_first_jump() {
        // 512-byte records every 4 KiB: gap 3584 each time.
        let ops: Vec<_> = (0..50).map(|i| (i * 4096, 512)).collect();
        let c = run(&ops);
        assert_eq!(counts(&c), (1, 49, 0));
        assert_eq!(c.pattern(), Pattern::Strided);
        assert_eq!(c.summary().unwrap().stride_bytes, Some(4096));
    }

    #[test]
    fn backwards_records_are_strided_backwards() {
        let ops: Vec<_> = (0..10).rev().map(|i| (i * 100, 100)).collect();
        let c = run(&ops);
        assert_eq!(counts(&c), (1, 9, 0));
        assert_eq!(c.summary().unwrap().stride_bytes, Some(-100));
    }

    #[test]
    fn changing_gaps_are_random() {
        let c = run(&[(0, 10), (1000, 10), (50, 10), (7000, 10), (3000, 10)]);
        assert_eq!(counts(&c), (1, 0, 4));
        assert_eq!(c.pattern(), Pattern::Random);
        assert_eq!(c.summary().unwrap().stride_bytes, None);
    }

    #[test]
    fn a_repeated_jump_becomes_a_stride_only_when_repeated_back_to_back() {
        // jump +990, back to sequential, jump +990 again: not a stride.
        let c = run(&[(0, 10), (1000, 10), (1010, 10), (2010, 10)]);
        assert_eq!(counts(&c), (2, 0, 2));
        // Sequential run, then a stride of three: the stride's first jump is
        // reclassified once the second confirms it.
        let c = run(&[(0, 10), (10, 10), (120, 10), (230, 10), (340, 10)]);
        assert_eq!(counts(&c), (2, 3, 0));
        // A random jump, then a stride with a different gap: the jump stays random.
        let c = run(&[(0, 10), (5000, 10), (5110, 10), (5220, 10)]);
        assert_eq!(counts(&c), (1, 2, 1));
    }

    #[test]
    fn unknown_offsets_are_counted_apart_and_small_ops_always() {
        let mut c = AccessClassifier::default();
        c.record(None, 100);
        c.record(None, 8192);
        assert_eq!(c.pattern(), Pattern::Unknown);
        c.record(Some(0), 4095);
        c.record(Some(4095), 4096);
        let s = c.summary().unwrap();
        assert_eq!((s.sequential_ops, s.unknown_ops, s.small_ops), (2, 2, 2));
        assert_eq!(s.pattern, Pattern::Sequential);
        assert_eq!(AccessClassifier::default().summary(), None);
    }

    #[test]
    fn the_same_range_again_is_counted_back_to_back_only() {
        // A 16-byte header at 24, read again and again (SQLite's change counter).
        assert_eq!(run(&[(24, 16); 5]).repeated, 4);
        // The same start with another length is still the same place read again.
        assert_eq!(run(&[(0, 100), (0, 50)]).repeated, 1);
        // A, B, A, B: nothing back to back; zero-byte reads at the end (polling) repeat nothing.
        assert_eq!(run(&[(0, 10), (100, 10), (0, 10), (100, 10)]).repeated, 0);
        assert_eq!(run(&[(50, 0), (50, 0), (50, 0)]).repeated, 0);
        assert_eq!(run(&[(0, 10), (10, 10), (20, 10)]).repeated, 0);
    }

    #[test]
    fn plurality_with_ties_to_the_more_orderly_class() {
        assert_eq!(Pattern::of(0, 0, 0), Pattern::Unknown);
        assert_eq!(Pattern::of(5, 5, 5), Pattern::Sequential);
        assert_eq!(Pattern::of(1, 5, 5), Pattern::Strided);
        assert_eq!(Pattern::of(4, 3, 5), Pattern::Random);
    }

    #[test]
    fn offsets_near_the_ends_of_the_range_do_not_overflow() {
        let c = run(&[(u64::MAX - 10, 100), (0, 10), (u64::MAX - 1, 1)]);
        assert_eq!(c.ops(), 3);
    }
}
