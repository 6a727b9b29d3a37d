//! The report: one shape for `--json`, the programmatic API and every front
//! end. Field names are camelCase; a figure the source could not measure is
//! absent (`null`), never a zero pretending to be measured.

use serde::Serialize;

use crate::aggregate::{Aggregator, FileStats, ScopeStats};
use crate::event::{FdKind, MetaKind, Syscall};
use crate::pattern::{AccessSummary, Pattern};
use crate::histogram::{Bin, LogHistogram};

pub const REPORT_VERSION: u32 = 1;

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub total_ops: u64,
    pub total_bytes: u64,
    /// `None` when the source does not know how long the window was, or
    /// when operations happened in a window of no measurable length.
    pub iops: Option<f64>,
    pub throughput_bytes_per_second: Option<f64>,
}

impl Totals {
    pub fn new(read_ops: u64, write_ops: u64, read_bytes: u64, write_bytes: u64, elapsed_s: f64) -> Totals {
        let total_ops = read_ops + write_ops;
        let total_bytes = read_bytes.saturating_add(write_bytes);
        // Over no time at all (a log's clock that did not advance: strace -t
        // in a run under a second, one timestamped line) a rate is unknown, not 0.
        let per_s = |x: u64| {
            if elapsed_s > 0.0 {
                Some(x as f64 / elapsed_s)
            } else {
                (x == 0).then_some(0.0)
            }
        };
        Totals {
            read_ops,
            write_ops,
            read_bytes,
            write_bytes,
            total_ops,
            total_bytes,
            iops: per_s(total_ops),
            throughput_bytes_per_second: per_s(total_bytes),
        }
    }

    /// The same totals for a window of unknown length: no rates.
    pub fn without_rates(mut self) -> Totals {
        self.iops = None;
        self.throughput_bytes_per_second = None;
        self
    }

    fn of(scope: &ScopeStats, elapsed_s: f64) -> Totals {
        Totals::new(
            scope.read_sizes.count(),
            scope.write_sizes.count(),
            u64::try_from(scope.read_sizes.sum()).unwrap_or(u64::MAX),
            u64::try_from(scope.write_sizes.sum()).unwrap_or(u64::MAX),
            elapsed_s,
        )
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorageBytes {
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Where the figures come from, e.g. "/proc/1234/io".
    pub source: String,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailedOps {
    pub total: u64,
    pub by_errno: std::collections::BTreeMap<String, u64>,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MetadataOps {
    pub opens: u64,
    pub closes: u64,
    pub stats: u64,
    pub fsyncs: u64,
    pub unlinks: u64,
    pub renames: u64,
    pub getdents: u64,
    pub total: u64,
    pub failed: u64,
}

/// One file's row: what was done to it and how (its access pattern).
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    pub path: String,
    pub kind: FdKind,
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// The pattern of most of its reads and writes together.
    pub pattern: Pattern,
    /// Reads and writes of fewer than 4096 bytes.
    pub small_ops: u64,
    pub read_access: Option<AccessSummary>,
    pub write_access: Option<AccessSummary>,
}

impl FileReport {
    fn of(f: &FileStats) -> FileReport {
        let (r, w) = (&f.read_access, &f.write_access);
        FileReport {
            path: f.path.clone(),
            kind: f.kind,
            read_ops: f.read_ops,
            write_ops: f.write_ops,
            read_bytes: f.read_bytes,
            write_bytes: f.write_bytes,
            pattern: Pattern::of(r.sequential + w.sequential, r.strided + w.strided, r.random + w.random),
            small_ops: r.small + w.small,
            read_access: r.summary(),
            write_access: w.summary(),
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SyscallReport {
    pub name: &'static str,
    pub calls: u64,
    pub bytes: u64,
    pub failed: u64,
}

/// Operation sizes in bytes; each bin holds values in `[lo, hi)`, its
/// operation count and the bytes those operations moved (`sum`).
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SizeHistogram {
    pub read: Vec<Bin>,
    pub write: Vec<Bin>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ns: f64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
    /// Latency distribution in nanoseconds, same binning as sizes.
    pub bins: Vec<Bin>,
}

impl LatencySummary {
    fn of(h: &LogHistogram) -> Option<LatencySummary> {
        Some(LatencySummary {
            count: h.count(),
            mean_ns: h.mean()?,
            p50_ns: h.quantile(0.5)?,
            p99_ns: h.quantile(0.99)?,
            max_ns: h.max()?,
            bins: h.bins(),
        })
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    pub read: Option<LatencySummary>,
    pub write: Option<LatencySummary>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePoint {
    /// Start of the interval, seconds since the window began.
    pub t: f64,
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TimelineReport {
    pub interval_seconds: f64,
    pub points: Vec<TimelinePoint>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<String>,
    pub signal_number: Option<i32>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub version: u32,
    /// Which source produced the figures: "ptrace", "proc-io", ...
    pub method: String,
    pub command: Option<Vec<String>>,
    pub pid: Option<i32>,
    /// `None` when the source does not know (a log without timestamps).
    pub elapsed_seconds: Option<f64>,
    /// True when `summary` includes sockets, pipes and ttys (`--all-fds`).
    pub all_fds: bool,
    pub summary: Totals,
    pub other_fds: Option<Totals>,
    pub storage: Option<StorageBytes>,
    pub failed_ops: Option<FailedOps>,
    pub metadata_ops: Option<MetadataOps>,
    pub files: Option<Vec<FileReport>>,
    pub syscalls: Option<Vec<SyscallReport>>,
    pub histogram: Option<SizeHistogram>,
    pub latency: Option<Latency>,
    pub timeline: Option<TimelineReport>,
    pub exit: Option<ExitInfo>,
    pub warnings: Vec<String>,
}

/// What the capture knows about itself, beside the events.
#[derive(Clone, Debug, Default)]
pub struct ReportContext {
    pub method: String,
    pub command: Option<Vec<String>>,
    pub pid: Option<i32>,
    pub elapsed_ns: u64,
    pub all_fds: bool,
    pub storage: Option<StorageBytes>,
    pub exit: Option<ExitInfo>,
    pub warnings: Vec<String>,
    /// False when the source gives no per-call durations.
    pub latency_measured: bool,
}

impl Report {
    /// A report from a full event trace.
    pub fn from_aggregator(agg: &Aggregator, ctx: ReportContext) -> Report {
        let elapsed_s = ctx.elapsed_ns as f64 / 1e9;
        let mut scope = agg.storage.clone();
        if ctx.all_fds {
            scope.merge(&agg.other);
        }

        let mut files: Vec<FileReport> =
            agg.files().iter().filter(|f| f.read_ops + f.write_ops > 0).map(FileReport::of).collect();
        files.sort_by(|a, b| {
            let key = |f: &FileReport| (f.read_ops + f.write_ops, f.read_bytes.saturating_add(f.write_bytes));
            key(b).cmp(&key(a)).then_with(|| a.path.cmp(&b.path))
        });

        let syscalls = Syscall::ALL
            .iter()
            .map(|&s| {
                let (a, b) = (agg.storage.syscalls[s as usize], agg.other.syscalls[s as usize]);
                SyscallReport { name: s.name(), calls: a.calls + b.calls, bytes: a.bytes + b.bytes, failed: a.failed + b.failed }
            })
            .filter(|s| s.calls + s.failed > 0)
            .collect();

        let m = |k| agg.meta(k);
        let metadata = MetadataOps {
            opens: m(MetaKind::Open),
            closes: m(MetaKind::Close),
            stats: m(MetaKind::Stat),
            fsyncs: m(MetaKind::Fsync),
            unlinks: m(MetaKind::Unlink),
            renames: m(MetaKind::Rename),
            getdents: m(MetaKind::Getdents),
            total: MetaKind::ALL.iter().map(|&k| m(k)).sum(),
            failed: agg.meta_failed(),
        };

        let width = scope.timeline.width_ns();
        let timeline = TimelineReport {
            interval_seconds: width as f64 / 1e9,
            points: scope
                .timeline
                .buckets()
                .iter()
                .enumerate()
                .map(|(i, b)| TimelinePoint {
                    t: (i as u64 * width) as f64 / 1e9,
                    read_ops: b.read_ops,
                    write_ops: b.write_ops,
                    read_bytes: b.read_bytes,
                    write_bytes: b.write_bytes,
                })
                .collect(),
        };

        Report {
            version: REPORT_VERSION,
            method: ctx.method,
            command: ctx.command,
            pid: ctx.pid,
            elapsed_seconds: Some(elapsed_s),
            all_fds: ctx.all_fds,
            summary: Totals::of(&scope, elapsed_s),
            other_fds: Some(Totals::of(&agg.other, elapsed_s)),
            storage: ctx.storage,
            failed_ops: Some(FailedOps {
                total: agg.failed_total(),
                by_errno: agg.failed_by_errno().iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            }),
            metadata_ops: Some(metadata),
            files: Some(files),
            syscalls: Some(syscalls),
            histogram: Some(SizeHistogram { read: scope.read_sizes.bins(), write: scope.write_sizes.bins() }),
            latency: ctx.latency_measured.then(|| Latency {
                read: LatencySummary::of(&scope.read_latency),
                write: LatencySummary::of(&scope.write_latency),
            }),
            timeline: Some(timeline),
            exit: ctx.exit,
            warnings: ctx.warnings,
        }
    }

    /// A report from per-process counters only (no per-call events): counts
    /// and bytes, nothing else; the context's warnings say what is missing.
    pub fn from_counters(totals: Totals, ctx: ReportContext) -> Report {
        Report {
            version: REPORT_VERSION,
            method: ctx.method,
            command: ctx.command,
            pid: ctx.pid,
            elapsed_seconds: Some(ctx.elapsed_ns as f64 / 1e9),
            all_fds: true,
            summary: totals,
            other_fds: None,
            storage: ctx.storage,
            failed_ops: None,
            metadata_ops: None,
            files: None,
            syscalls: None,
            histogram: None,
            latency: None,
            timeline: None,
            exit: ctx.exit,
            warnings: ctx.warnings,
        }
    }

    /// For a source without a clock (a log without timestamps): no elapsed
    /// time, no rates, no timeline; the caller adds the warning.
    pub fn without_clock(mut self) -> Report {
        self.elapsed_seconds = None;
        self.summary = self.summary.without_rates();
        self.other_fds = self.other_fds.map(Totals::without_rates);
        self.timeline = None;
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("report serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{DataOp, Direction};

    fn op(direction: Direction, offset: Option<u64>, bytes: u64) -> DataOp {
        let syscall = if direction == Direction::Read { Syscall::Pread64 } else { Syscall::Pwrite64 };
        DataOp { syscall, direction, bytes, start_ns: 0, latency_ns: None, offset }
    }

    #[test]
    fn rates_over_no_time_are_unknown_not_zero() {
        let t = Totals::new(3, 2, 30, 20, 0.0);
        assert_eq!((t.iops, t.throughput_bytes_per_second), (None, None));
        let t = Totals::new(0, 0, 0, 0, 0.0);
        assert_eq!((t.iops, t.throughput_bytes_per_second), (Some(0.0), Some(0.0)));
        let t = Totals::new(3, 2, 30, 20, 0.5);
        assert_eq!((t.iops, t.throughput_bytes_per_second), (Some(10.0), Some(100.0)));
    }

    #[test]
    fn file_rows_carry_their_access_patterns() {
        let mut agg = Aggregator::new();
        let f = agg.file("/data/x", FdKind::File);
        for i in 0..10 {
            agg.record_op(f, &op(Direction::Read, Some(i * 8192), 512));
        }
        for i in 0..4 {
            agg.record_op(f, &op(Direction::Write, Some(i * 100), 100));
        }
        agg.record_op(f, &op(Direction::Write, None, 5000));
        let report = Report::from_aggregator(&agg, ReportContext { method: "test".into(), ..Default::default() });
        let row = &report.files.as_ref().unwrap()[0];
        assert_eq!(row.pattern, Pattern::Strided, "9 strided reads outnumber 5 sequential ops");
        assert_eq!(row.small_ops, 14);
        let r = row.read_access.as_ref().unwrap();
        assert_eq!((r.sequential_ops, r.strided_ops, r.random_ops, r.stride_bytes), (1, 9, 0, Some(8192)));
        let w = row.write_access.as_ref().unwrap();
        assert_eq!((w.pattern, w.sequential_ops, w.unknown_ops, w.small_ops), (Pattern::Sequential, 4, 1, 4));
        let json = report.to_json();
        assert!(json.contains(r#""pattern":"strided","smallOps":14,"readAccess":{"pattern":"strided","sequentialOps":1,"stridedOps":9,"randomOps":0,"unknownOps":0,"smallOps":10,"strideBytes":8192}"#), "{json}");
    }
}
