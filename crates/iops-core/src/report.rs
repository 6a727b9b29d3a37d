//! The report: one shape for `--json`, the programmatic API and every front
//! end, and its one definition: the TypeScript types (src/generated/report.ts)
//! and the field reference (docs/report.md) are generated from these types
//! (`cargo test -p iops-core contract`). Field names are camelCase; a figure
//! the source could not measure is `null`, never a zero pretending to be
//! measured.

use std::collections::BTreeMap;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize};

use crate::aggregate::{Aggregator, CallTime, FileStats, ScopeStats};
pub use crate::event::CallKind;
use crate::event::{FdKind, MetaKind, Syscall};
use crate::histogram::{Bin, LogHistogram};
use crate::timeline::{size_bin_bounds, SIZE_BINS};
use crate::pattern::{AccessSummary, Pattern};
pub use crate::source::{Sees, Source, Unseen};
pub use crate::warning::{Warning, WarningCode};

pub const REPORT_VERSION: u32 = 1;

/// A data file mapped this large (bytes per mmap call, on average) earns the `mmap-not-counted` warning.
pub const MAPPED_DATA_WARNED: u64 = 1 << 20;

/// Read and write totals of one class of fds over the window. Every figure
/// is null when the source cannot count operations (macOS `rusage`: its
/// disk bytes are in `storage`; `Sees::op_counts`).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename_all = "camelCase"))]
pub struct Totals {
    /// Read operations (calls that moved data, any size).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub read_ops: u64,
    /// Write operations.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub write_ops: u64,
    /// Bytes read, as the calls returned them.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub read_bytes: u64,
    /// Bytes written, as the calls returned them.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub write_bytes: u64,
    /// `readOps + writeOps`.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub total_ops: u64,
    /// `readBytes + writeBytes`.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub total_bytes: u64,
    /// Operations per second of the window (`elapsedSeconds`: under a
    /// tracer that stops the program, the traced time, stops included; see
    /// `tracerTime`); null when the source has no clock (a log without
    /// timestamps), or when operations happened in a window of no
    /// measurable length (strace -t in a run under a second).
    pub iops: Option<f64>,
    /// Bytes per second of the window (traced time, as `iops`); null as
    /// `iops` is.
    pub throughput_bytes_per_second: Option<f64>,
    /// True when the source cannot count operations: every figure is null.
    #[cfg_attr(test, ts(skip))]
    pub unmeasured: bool,
}

impl Serialize for Totals {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let seen = |v: u64| (!self.unmeasured).then_some(v);
        let mut t = s.serialize_struct("Totals", 8)?;
        t.serialize_field("readOps", &seen(self.read_ops))?;
        t.serialize_field("writeOps", &seen(self.write_ops))?;
        t.serialize_field("readBytes", &seen(self.read_bytes))?;
        t.serialize_field("writeBytes", &seen(self.write_bytes))?;
        t.serialize_field("totalOps", &seen(self.total_ops))?;
        t.serialize_field("totalBytes", &seen(self.total_bytes))?;
        t.serialize_field("iops", &self.iops.filter(|_| !self.unmeasured))?;
        t.serialize_field("throughputBytesPerSecond", &self.throughput_bytes_per_second.filter(|_| !self.unmeasured))?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Totals {
    /// Reads what `serialize` writes: every count null is a source that
    /// cannot count operations (`unmeasured`); the sums an older report
    /// lacks are worked out.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Totals, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Json {
            read_ops: Option<u64>,
            write_ops: Option<u64>,
            read_bytes: Option<u64>,
            write_bytes: Option<u64>,
            total_ops: Option<u64>,
            total_bytes: Option<u64>,
            iops: Option<f64>,
            throughput_bytes_per_second: Option<f64>,
        }
        let j = Json::deserialize(d)?;
        let counts = [j.read_ops, j.write_ops, j.read_bytes, j.write_bytes];
        let [read_ops, write_ops, read_bytes, write_bytes] = counts.map(|c| c.unwrap_or(0));
        Ok(Totals {
            read_ops,
            write_ops,
            read_bytes,
            write_bytes,
            total_ops: j.total_ops.unwrap_or(read_ops + write_ops),
            total_bytes: j.total_bytes.unwrap_or(read_bytes.saturating_add(write_bytes)),
            iops: j.iops,
            throughput_bytes_per_second: j.throughput_bytes_per_second,
            unmeasured: counts.iter().all(Option::is_none),
        })
    }
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
            unmeasured: false,
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

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StorageBytes {
    /// Bytes read from storage (page-cache misses).
    pub read_bytes: u64,
    /// Bytes sent to storage (dirtied pages written back).
    pub write_bytes: u64,
    /// Where the figures come from, e.g. "/proc/1234/io".
    pub source: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FailedOps {
    /// Failed data calls.
    pub total: u64,
    /// Failed data calls by errno name ("EBADF", "EINTR"; NTSTATUS names on Windows).
    pub by_errno: std::collections::BTreeMap<String, u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MetadataOps {
    /// open, openat, openat2, creat.
    pub opens: u64,
    /// close calls.
    pub closes: u64,
    /// stat, fstat, lstat, newfstatat, statx and the like.
    pub stats: u64,
    /// Sync calls: fsync, fdatasync, sync_file_range, sync, syncfs, msync
    /// (the calls of `callTime`'s `sync` kind: one definition of a sync).
    pub fsyncs: u64,
    /// unlink, unlinkat, rmdir.
    pub unlinks: u64,
    /// rename, renameat, renameat2.
    pub renames: u64,
    /// Directory reads: getdents, getdents64.
    pub getdents: u64,
    /// All metadata calls above.
    pub total: u64,
    /// Metadata calls that failed.
    pub failed: u64,
}

/// One file's row: what was done to it and how (its access pattern).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FileReport {
    /// The fd's target as /proc shows it: a path, or `socket:[inode]`,
    /// `pipe:[inode]`... A name is bytes on Linux and macOS: a byte that is
    /// not UTF-8 is written `\xNN` (`caf\xe9.txt`) and a backslash `\\`, so
    /// two names that differ in any byte are two rows.
    pub path: String,
    /// What the fd refers to.
    pub kind: FdKind,
    /// Read operations on it.
    pub read_ops: u64,
    /// Write operations on it.
    pub write_ops: u64,
    /// Bytes read from it.
    pub read_bytes: u64,
    /// Bytes written to it.
    pub write_bytes: u64,
    /// The pattern of most of its reads and writes together.
    #[serde(default)]
    pub pattern: Pattern,
    /// Reads and writes of fewer than 4096 bytes.
    #[serde(default)]
    pub small_ops: u64,
    /// The pattern of its reads; null when it had none.
    pub read_access: Option<AccessSummary>,
    /// The pattern of its writes; null when it had none.
    pub write_access: Option<AccessSummary>,
    /// In a merged report (`iops merge`): how many of the merged
    /// processes did I/O on it; null in the report of one process.
    pub processes: Option<u32>,
    /// Seconds spent in its data calls that moved data and in its sync
    /// calls (fsync, fdatasync, sync_file_range); null when the source has
    /// no call durations.
    pub seconds: Option<f64>,
    /// fsync, fdatasync and sync_file_range calls on it (failed ones
    /// included).
    #[serde(default)]
    pub syncs: u64,
    /// The notable flags any open of it carried, strace's names, in this
    /// order: "O_DIRECT" (bypasses the page cache), "O_SYNC", "O_DSYNC"
    /// (every write waits for the device); empty when none, or when the
    /// source does not see open flags.
    #[serde(default)]
    pub open_flags: Vec<String>,
    /// Reads that started where the previous read of it had started: the
    /// same range read again, back to back (a header re-read at every
    /// turn); 0 when the source does not know offsets.
    #[serde(default)]
    pub repeated_reads: u64,
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
            processes: None,
            seconds: Some(f.busy_ns as f64 / 1e9),
            syncs: f.syncs,
            open_flags: f.open_flags.names(),
            repeated_reads: r.repeated,
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SyscallReport {
    /// The syscall as strace names it ("read", "pwrite64", ...).
    pub name: &'static str,
    /// Calls that succeeded (operations).
    pub calls: u64,
    /// Bytes those calls moved.
    pub bytes: u64,
    /// Calls that failed (not operations).
    pub failed: u64,
}

/// Operation sizes in bytes; each bin holds values in `[lo, hi)`, its
/// operation count and the bytes those operations moved (`sum`). Bins are
/// exact below 64 bytes, then 32 per power of two: fine enough to redraw
/// any log-spaced binning.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SizeHistogram {
    /// Read sizes, ascending bins.
    pub read: Vec<Bin>,
    /// Write sizes, ascending bins.
    pub write: Vec<Bin>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LatencySummary {
    /// Operations timed.
    pub count: u64,
    /// Mean, nanoseconds.
    pub mean_ns: f64,
    /// Median, nanoseconds (as exact as its bin).
    pub p50_ns: u64,
    /// 99th percentile, nanoseconds (as exact as its bin).
    pub p99_ns: u64,
    /// Longest, nanoseconds.
    pub max_ns: u64,
    /// Latency distribution in nanoseconds, same binning as sizes.
    pub bins: Vec<Bin>,
}

impl<'de> Deserialize<'de> for SyscallReport {
    /// Its `name` one of the data calls (`Syscall::name`); an error for another.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SyscallReport, D::Error> {
        #[derive(Deserialize)]
        struct Json {
            name: String,
            calls: u64,
            bytes: u64,
            failed: u64,
        }
        let Json { name, calls, bytes, failed } = Json::deserialize(d)?;
        let Some(call) = Syscall::from_name(&name) else {
            return Err(serde::de::Error::custom(format!("unknown data call {name:?} in syscalls")));
        };
        Ok(SyscallReport { name: call.name(), calls, bytes, failed })
    }
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

/// Per-operation latency: time from syscall entry to exit as the source
/// saw it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Latency {
    /// Reads; null when there were none.
    pub read: Option<LatencySummary>,
    /// Writes; null when there were none.
    pub write: Option<LatencySummary>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TimelinePoint {
    /// Start of the interval, seconds since the window began.
    pub t: f64,
    /// Reads in the interval.
    pub read_ops: u64,
    /// Writes in the interval.
    pub write_ops: u64,
    /// Bytes read in the interval.
    pub read_bytes: u64,
    /// Bytes written in the interval.
    pub write_bytes: u64,
}

/// Operations over time. Its interval doubles instead of growing past 1024
/// points, so memory is bounded by files and bins, never by operations.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TimelineReport {
    /// Length of each interval, seconds.
    pub interval_seconds: f64,
    /// One point per interval, from the window's start.
    pub points: Vec<TimelinePoint>,
}

impl TimelineReport {
    /// The points of `buckets`, each `width_ns` long, from the window's start.
    pub(crate) fn of(buckets: &[crate::timeline::Bucket], width_ns: u64) -> TimelineReport {
        TimelineReport {
            interval_seconds: width_ns as f64 / 1e9,
            points: buckets
                .iter()
                .enumerate()
                .map(|(i, b)| TimelinePoint {
                    t: (i as u64 * width_ns) as f64 / 1e9,
                    read_ops: b.read_ops,
                    write_ops: b.write_ops,
                    read_bytes: b.read_bytes,
                    write_bytes: b.write_bytes,
                })
                .collect(),
        }
    }
}

/// The time spent in one kind of call: data calls on the fds the summary
/// counts (files and block devices; every fd with `allFds`), so that a
/// pipe's or a socket's blocking read is no storage time, and every
/// metadata and sync call.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CallKindTime {
    /// The kind of call.
    pub kind: CallKind,
    /// Calls of this kind that succeeded.
    pub calls: u64,
    /// Calls of this kind that failed (besides `calls`).
    pub failed: u64,
    /// Seconds inside these calls, failed ones included: entry to exit as
    /// the source saw it (under ptrace, the tracer's stops inside a call
    /// are not in it; see `tracerTime`).
    pub total_seconds: f64,
    /// `totalSeconds / (calls + failed)`, seconds; null when no call was timed.
    pub mean_seconds: Option<f64>,
    /// 99th percentile of one call, seconds (as exact as its latency bin,
    /// about 2 %); null when no call was timed.
    pub p99_seconds: Option<f64>,
    /// `totalSeconds / elapsedSeconds`, 0 to 1 for one thread (more when
    /// threads wait at once); null without a clock.
    pub share_of_elapsed: Option<f64>,
}

impl CallKindTime {
    fn of(kind: CallKind, c: &CallTime, elapsed_s: Option<f64>) -> CallKindTime {
        let total_seconds = c.total_ns as f64 / 1e9;
        let timed = c.latency.count();
        CallKindTime {
            kind,
            calls: c.calls,
            failed: c.failed,
            total_seconds,
            mean_seconds: (timed > 0).then(|| total_seconds / timed as f64),
            p99_seconds: c.latency.quantile(0.99).map(|ns| ns as f64 / 1e9),
            share_of_elapsed: elapsed_s.filter(|e| *e > 0.0).map(|e| total_seconds / e),
        }
    }
}

/// One file mapped into memory with mmap. Its pages are read and written by
/// page faults, not syscalls: that I/O is not in the counts (storage-level
/// bytes show it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Mapping {
    /// The mapped file, as `files` names it.
    pub path: String,
    /// What the fd referred to.
    pub kind: FdKind,
    /// Successful mmap calls of it with this protection and sharing.
    pub maps: u64,
    /// Bytes mapped, the sum of the calls' lengths.
    pub bytes: u64,
    /// Protection: "r", "w", "x" in that order ("rw", "rx"), "" for PROT_NONE.
    pub prot: String,
    /// MAP_SHARED (writes reach the file) rather than MAP_PRIVATE.
    pub shared: bool,
    /// The file was mapped executable (PROT_EXEC): code, such as the shared
    /// libraries the dynamic loader maps, not data the program reads; all
    /// of such a file's mappings are one row (`prot` their union).
    pub exec: bool,
    /// `true`: found in /proc/PID/maps when the window opened on the
    /// process running (`-p`, a profile() window), made before it: `maps`
    /// counts its regions there, `bytes` their sizes. What the program reads
    /// or writes there in the window is by page faults, not counted.
    /// Absent for a mapping made by a call in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub before_window: Option<bool>,
}

impl Mapping {
    /// The rows of `agg`'s mmaps: one per file and mode, one per file for
    /// a file mapped executable; most bytes first.
    fn all(agg: &Aggregator) -> Vec<Mapping> {
        let code: std::collections::HashSet<_> = agg.maps().iter().filter(|m| m.mode.exec).map(|m| m.file).collect();
        let mut rows: Vec<(crate::aggregate::FileId, crate::event::MapMode, Mapping)> = Vec::new();
        for m in agg.maps() {
            let exec = code.contains(&m.file);
            let before_window = m.before_window.then_some(true);
            let found =
                rows.iter_mut().find(|(f, mode, row)| *f == m.file && row.before_window == before_window && (exec || *mode == m.mode));
            match found {
                Some((_, mode, row)) => {
                    row.maps += m.maps;
                    row.bytes = row.bytes.saturating_add(m.bytes);
                    mode.read |= m.mode.read;
                    mode.write |= m.mode.write;
                    mode.exec |= m.mode.exec;
                    mode.shared |= m.mode.shared;
                    row.prot = mode.prot();
                    row.shared = mode.shared;
                }
                None => {
                    let f = agg.file_stats(m.file);
                    let row = Mapping {
                        path: f.path.clone(),
                        kind: f.kind,
                        maps: m.maps,
                        bytes: m.bytes,
                        prot: m.mode.prot(),
                        shared: m.mode.shared,
                        exec,
                        before_window,
                    };
                    rows.push((m.file, m.mode, row));
                }
            }
        }
        let mut rows: Vec<Mapping> = rows.into_iter().map(|(_, _, r)| r).collect();
        rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        rows
    }
}

/// Operation sizes over time, for the summary's fds (reads and writes
/// together): a count of operations and of bytes per time bin and size bin.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Heatmap {
    /// Width of a time bin, seconds: the timeline's `intervalSeconds`; time
    /// bin `i` starts at `i × binSeconds` from the window's start.
    pub bin_seconds: f64,
    /// The size bins, bytes, fixed and log-spaced: `[0, 1)`, then one per
    /// power of two (`[1, 2)`, `[2, 4)`, ...) up to the largest operation;
    /// `count` and `sum` are their totals over the whole window.
    pub size_bins: Vec<Bin>,
    /// Operations, `ops[timeBin][sizeBin]`.
    pub ops: Vec<Vec<u64>>,
    /// Bytes moved, `bytes[timeBin][sizeBin]`.
    pub bytes: Vec<Vec<u64>>,
}

impl Heatmap {
    pub(crate) fn of(buckets: &[crate::timeline::Bucket], width_ns: u64) -> Heatmap {
        let used = buckets.iter().flat_map(|b| b.size_ops.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, _)| i + 1)).max().unwrap_or(0);
        debug_assert!(used <= SIZE_BINS);
        let size_bins = (0..used)
            .map(|i| {
                let (lo, hi) = size_bin_bounds(i);
                let count = buckets.iter().map(|b| b.size_ops[i]).sum();
                let sum = buckets.iter().fold(0u64, |s, b| s.saturating_add(b.size_bytes[i]));
                Bin { lo, hi, count, sum }
            })
            .collect();
        Heatmap {
            bin_seconds: width_ns as f64 / 1e9,
            size_bins,
            ops: buckets.iter().map(|b| b.size_ops[..used].to_vec()).collect(),
            bytes: buckets.iter().map(|b| b.size_bytes[..used].to_vec()).collect(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ExitInfo {
    /// Exit status; null when killed by a signal.
    pub code: Option<i32>,
    /// Name of the signal that killed it ("SIGKILL"), when known.
    pub signal: Option<String>,
    /// Number of that signal.
    pub signal_number: Option<i32>,
}

/// The tracer's own share of the elapsed time. Every stop of the program
/// at a traced call is a round trip to the tracer that an untraced run does
/// not make. Measured in the run: how long the tracer held each stop
/// (`heldSeconds`, its clock at waitpid's return and at the resume); in
/// sampled intervals between a thread's consecutive stops, the time a stop
/// costs beyond what the scheduler books (the wake-ups of tracer and
/// program, `wakeNsPerStop`) and the run-queue wait a resumed thread has
/// (`waitNsPerStop`); the scheduler's books of the program's threads and
/// of the tracer's (CPU time and run-queue wait, `programCpuSeconds`,
/// `tracerCpuSeconds`, …). Measured after it, on the same machine: what
/// one stop costs (a throwaway child making traced calls: its elapsed and
/// CPU time per stop, on the tracer's CPU and across CPUs, weighted by
/// where the capture's sampled stops happened), of which the CPU time a
/// stop adds to the program (`cpuNsPerStop`) is used where the run made
/// no bare stop pairs (`barePairs`). The untraced time is
/// estimated from these (see `estimatedUntracedSeconds`); without the
/// scheduler's books it is `elapsedSeconds − stops × nsPerStop`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TracerTime {
    /// Stops of the program's threads in the window (syscall, seccomp,
    /// event and signal stops).
    pub stops: u64,
    /// Measured cost of one stop to the program with it on the tracer's
    /// CPU, nanoseconds; null when it could not be measured.
    pub same_cpu_ns_per_stop: Option<f64>,
    /// Measured cost of one stop with the program on another CPU,
    /// nanoseconds; null with one CPU allowed or a shared CPU (`sharedCpu`).
    pub cross_cpu_ns_per_stop: Option<f64>,
    /// Share of the sampled stops (the first, then one in 64) where the
    /// program had last run on another CPU than the tracer's, 0 to 1; null
    /// without samples.
    pub cross_cpu_share: Option<f64>,
    /// The cost of a stop this capture is estimated with: the two costs
    /// weighted by `crossCpuShare`, nanoseconds; null when not measured.
    pub ns_per_stop: Option<f64>,
    /// `elapsedSeconds − estimatedUntracedSeconds`, seconds, at most
    /// `elapsedSeconds`: the tracer's estimated share of the elapsed time, a
    /// rough estimate (`npm run bench -- fidelity` prints its error); null
    /// when neither estimate below can be made.
    pub estimated_seconds: Option<f64>,
    /// How long the window would have taken untraced, seconds, estimated,
    /// at most `elapsedSeconds`: the sum of (1) the program's own CPU time,
    /// `programCpuSeconds − stops × cpuNsPerStop`; (2) its own run-queue
    /// wait, `programWaitSeconds − stops × waitNsPerStop`; (3) the time it
    /// was blocked on its own account, `elapsedSeconds − heldSeconds −
    /// stops × wakeNsPerStop − programCpuSeconds − programWaitSeconds`: what
    /// neither the stops nor its threads' CPU time and wait explain of the
    /// window; each at least 0. Without sampled intervals (`sampledIntervals` 0) the two per-stop
    /// figures count as 0. It sums the threads' time, so a program whose
    /// threads or processes work in parallel is estimated too long. Without
    /// the scheduler's books, `elapsedSeconds − stops × nsPerStop`. Rough
    /// where stops dominate (see docs/performance.md "Fidelity"), so the text,
    /// page and notebook do not show it; null as `estimatedSeconds` is.
    pub estimated_untraced_seconds: Option<f64>,
    /// The program's threads' CPU time in the window, summed, seconds (the
    /// kernel's schedstat, read as the window opens and closes and as each
    /// thread exits); null where the kernel keeps none.
    pub program_cpu_seconds: Option<f64>,
    /// The time those threads waited on a run queue for a CPU, summed,
    /// seconds; null as `programCpuSeconds` is.
    pub program_wait_seconds: Option<f64>,
    /// The tracer's thread's CPU time in the window, seconds; null where the
    /// kernel keeps no schedstat.
    pub tracer_cpu_seconds: Option<f64>,
    /// The time the tracer's thread waited on a run queue in the window,
    /// seconds; null as `tracerCpuSeconds` is.
    pub tracer_wait_seconds: Option<f64>,
    /// The CPU time one stop adds to the program's own, nanoseconds: from
    /// the run's bare stop pairs where there are any (`barePairs`), else
    /// measured with the cost of a stop on the throwaway child (on the
    /// tracer's CPU and on another, weighted as `nsPerStop`); null when
    /// not measured.
    pub cpu_ns_per_stop: Option<f64>,
    /// The time the tracer held the program's stopped threads, from
    /// waitpid's return to the resume, summed over the window's stops,
    /// seconds; absent in reports made before it was added.
    pub held_seconds: Option<f64>,
    /// Intervals between a thread's consecutive stops that were sampled
    /// (one stop in 256 opens one) and in which the thread did not block
    /// (its voluntary context switches grew by one, the stop that ends
    /// it): what the two figures below are the means of; 0 in reports made
    /// before it was added.
    #[serde(default)]
    pub sampled_intervals: u64,
    /// Bare stop pairs measured in the run (launch mode): one stop in 256,
    /// an exit stop with no call pending, is resumed to its thread's next
    /// call's syscall-entry stop, which the kernel reports before it runs
    /// seccomp, so our filter's stop of the same call follows with none of
    /// the program's work between; the thread's CPU time across the pair
    /// (schedstat) is one stop's mechanics, and their mean is
    /// `cpuNsPerStop`. 0 where none were made (attach mode, few stops) and
    /// in reports made before it was added.
    #[serde(default)]
    pub bare_pairs: u64,
    /// What a stop costs the program beside the time the tracer held it
    /// and the CPU time and run-queue wait the scheduler books: the
    /// wake-ups of the tracer and of the resumed thread, nanoseconds; the
    /// mean over the sampled intervals of their length (the tracer's clock
    /// from the resume to the thread's next stop) less the thread's CPU
    /// time and run-queue wait in them (its schedstat); null without them.
    pub wake_ns_per_stop: Option<f64>,
    /// The run-queue wait of a resumed thread before it ran again,
    /// nanoseconds, the mean over the sampled intervals; null without them.
    pub wait_ns_per_stop: Option<f64>,
    /// The tracer and the program shared one CPU (`--share-cpu`): the
    /// program saw one CPU and its threads were serialised on it.
    pub shared_cpu: bool,
    /// How `nsPerStop` was obtained, in words.
    pub calibration: String,
}

/// The machine a report was made on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HostInfo {
    /// Its host name (`os.hostname()`).
    pub name: String,
    /// Node's `process.platform`: "linux", "darwin", "win32".
    pub platform: String,
    /// Kernel release (`os.release()`).
    pub release: String,
    /// CPU architecture (`process.arch`): "x64", "arm64".
    pub arch: String,
}

/// One input report's row of a merged report (`iops merge`): one process
/// of a job, for its imbalance and stragglers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RankRow {
    /// The launcher's rank of the process (`rank` of its report); null
    /// when it ran outside a launcher.
    pub rank: Option<u32>,
    /// Its host's name; null when its report did not say.
    pub host: Option<String>,
    /// Its pid (the report's `pid`).
    pub pid: Option<i32>,
    /// The report file it came from, as given to `iops merge`.
    pub file: String,
    /// Its window's wall-clock start, milliseconds since the Unix epoch;
    /// null when unknown.
    pub started_at: Option<f64>,
    /// Its window's length, seconds; null without a clock.
    pub elapsed_seconds: Option<f64>,
    /// Read operations (its `summary`).
    pub read_ops: u64,
    /// Write operations.
    pub write_ops: u64,
    /// Bytes read.
    pub read_bytes: u64,
    /// Bytes written.
    pub write_bytes: u64,
    /// Time inside its reads and writes, seconds (the sum of their
    /// latencies); null without call durations.
    pub io_seconds: Option<f64>,
}

/// How much a finding matters.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Severity {
    Info,
    Warn,
}

/// One conclusion drawn from the figures, with the numbers that show it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Finding {
    /// What it is about, stable across releases (kebab-case, e.g. "fsync-heavy").
    pub code: String,
    /// "info" or "warn".
    pub severity: Severity,
    /// What was seen, with its numbers, one sentence.
    pub text: String,
    /// What to do about it.
    pub advice: String,
    /// The file it is about (as `files` names it); null when about the run.
    pub file: Option<String>,
    /// The figures it rests on, by name (units in the name: "seconds", "bytes"...).
    pub numbers: BTreeMap<String, f64>,
}

/// The report of one capture or import.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Report {
    /// Version of this format (`REPORT_VERSION`).
    pub version: u32,
    /// The source of the figures: "ptrace" (our tracer), "ebpf" (our eBPF
    /// tracepoints), "strace" (a live
    /// strace run), "strace-log" (`iops import` of a saved strace log),
    /// "fs_usage" (macOS, live or an imported log), "etw" (Windows), or a
    /// counters fallback: "proc-io" (Linux), "io-counters" (Windows),
    /// "rusage" (macOS).
    pub method: Source,
    /// Launch mode: the command as run; null when attached or imported.
    pub command: Option<Vec<String>>,
    /// The traced process (its first one in a log); null when unknown.
    pub pid: Option<i32>,
    /// Length of the window in seconds, as the program ran under the
    /// source: under a tracer that stops it (ptrace), stops included (see
    /// `tracerTime`); null when the source has no clock (a log without
    /// timestamps).
    pub elapsed_seconds: Option<f64>,
    /// The tracer's estimated share of `elapsedSeconds`; null for sources
    /// that do not stop the program or cannot count its stops (logs,
    /// counters, fs_usage, ETW, a live strace).
    pub tracer_time: Option<TracerTime>,
    /// True when `summary` includes sockets, pipes and ttys (`--all-fds`, or
    /// a source that cannot tell fds apart).
    pub all_fds: bool,
    /// File I/O: regular files and block devices (plus every other fd with
    /// `allFds`).
    pub summary: Totals,
    /// I/O on sockets, pipes, ttys and other fds, kept out of `summary`;
    /// null when the source cannot tell fds apart.
    pub other_fds: Option<Totals>,
    /// Bytes that reached the storage layer (page-cache misses, dirtied
    /// pages); null when the source does not see them.
    pub storage: Option<StorageBytes>,
    /// Data calls that failed: not operations, counted by errno; null for
    /// counters.
    pub failed_ops: Option<FailedOps>,
    /// Metadata calls; null when the source did not see them.
    pub metadata_ops: Option<MetadataOps>,
    /// Every fd target with at least one operation, busiest first; null
    /// when the source does not see files.
    pub files: Option<Vec<FileReport>>,
    /// Per-syscall calls, bytes and failures; null for counters.
    pub syscalls: Option<Vec<SyscallReport>>,
    /// Operation sizes in bytes, for the summary's fds; null for counters.
    pub histogram: Option<SizeHistogram>,
    /// Per-operation latency in nanoseconds, for the summary's fds; null
    /// when the source has no call durations.
    pub latency: Option<Latency>,
    /// Operations and bytes over time, for the summary's fds; null without
    /// a clock or for counters.
    pub timeline: Option<TimelineReport>,
    /// Where the time goes: each kind of call with its count and time,
    /// every kind with a call, the most time first; null when the source
    /// has no call durations (counters, a log without -T).
    pub call_time: Option<Vec<CallKindTime>>,
    /// Files mapped with mmap (their page-fault I/O is not counted; a
    /// `mmap-not-counted` warning says so when a file other than code is
    /// mapped 1 MiB or more), most bytes first; null when the source does not see mmap
    /// (fs_usage, ETW, counters, the eBPF source for now, a strace log
    /// recorded without mmap).
    pub mappings: Option<Vec<Mapping>>,
    /// Operation sizes over time, in the timeline's time bins; null without
    /// a clock or for counters.
    pub heatmap: Option<Heatmap>,
    /// What the figures show that a reader can act on, most important first.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Launch mode: how the command ended; null otherwise.
    pub exit: Option<ExitInfo>,
    /// The machine the capture ran on (for an import: the machine that
    /// read the log); null when unknown. Set by the Node layer.
    pub host: Option<HostInfo>,
    /// The rank of the process in its job, from the launcher's
    /// environment (`SLURM_PROCID`, `OMPI_COMM_WORLD_RANK`, `PMI_RANK`,
    /// `PMIX_RANK`, the first set); null outside a launcher and for imports.
    pub rank: Option<u32>,
    /// The job's id from the launcher's environment (`SLURM_JOB_ID`,
    /// Open MPI's `OMPI_MCA_ess_base_jobid`, `PMIX_NAMESPACE`, the first
    /// set); null outside a launcher and for imports.
    pub job_id: Option<String>,
    /// Wall-clock time at the window's start, milliseconds since the Unix
    /// epoch (UTC), so windows of different processes line up (`iops
    /// merge`); null when unknown (imports). For a merged report, the
    /// earliest start.
    pub started_at: Option<f64>,
    /// A merged report (`iops merge`): one row per input report, in the
    /// order read; null for the report of one process.
    pub ranks: Option<Vec<RankRow>>,
    /// What a reader must know about these figures (io_uring, a fallback,
    /// what the source could not see...), one line each.
    pub warnings: Vec<String>,
    /// The stable code of each warning, same length and order as `warnings`.
    #[serde(default)]
    pub warning_codes: Vec<WarningCode>,
}

/// What the capture knows about itself, beside the events.
#[derive(Clone, Debug, Default)]
pub struct ReportContext {
    pub method: Source,
    pub command: Option<Vec<String>>,
    pub pid: Option<i32>,
    pub elapsed_ns: u64,
    pub all_fds: bool,
    pub storage: Option<StorageBytes>,
    pub exit: Option<ExitInfo>,
    pub warnings: Vec<Warning>,
    /// A tracer that stops the program: its share of the elapsed time.
    pub tracer_time: Option<TracerTime>,
    /// What this input let the source see, when less than its best
    /// (`method.sees()`): a strace log without -T has no durations.
    pub sees: Option<Sees>,
}

impl ReportContext {
    /// What the report may show: `sees`, else the source's best.
    pub fn seen(&self) -> Sees {
        self.sees.unwrap_or_else(|| self.method.sees())
    }
}

impl Report {
    /// A report from a full event trace. What the source cannot see
    /// (`ReportContext::seen`) is null, with the source's warning for it
    /// after `ctx.warnings` (`blank_unseen`); its findings come last
    /// (`with_findings`, defined with the rules in `findings`, which read
    /// this module's types).
    pub fn from_aggregator(agg: &Aggregator, ctx: ReportContext) -> Report {
        let sees = ctx.seen();
        let all_fds = ctx.all_fds || !sees.fd_kinds;
        let elapsed_s = ctx.elapsed_ns as f64 / 1e9;
        let mut scope = agg.storage.clone();
        if all_fds {
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
        // Every sync the source saw, fsync's kind or only timed (msync, sync,
        // syncfs, sync_file_range): the same count as where the time goes.
        let syncs = agg.call_time(CallKind::Sync).calls;
        let metadata = MetadataOps {
            opens: m(MetaKind::Open),
            closes: m(MetaKind::Close),
            stats: m(MetaKind::Stat),
            fsyncs: syncs,
            unlinks: m(MetaKind::Unlink),
            renames: m(MetaKind::Rename),
            getdents: m(MetaKind::Getdents),
            total: MetaKind::ALL.iter().map(|&k| m(k)).sum::<u64>() - m(MetaKind::Fsync) + syncs,
            failed: agg.meta_failed(),
        };

        // The timeline spans the window, idle end included; with no
        // operation at all it stays empty (nothing to draw).
        if !scope.timeline.buckets().is_empty() {
            scope.timeline.extend_to(ctx.elapsed_ns);
        }
        let width = scope.timeline.width_ns();
        let timeline = TimelineReport::of(scope.timeline.buckets(), width);

        let mut call_time: Vec<CallKindTime> = CallKind::ALL
            .iter()
            .map(|&k| {
                if !all_fds {
                    return CallKindTime::of(k, agg.call_time(k), Some(elapsed_s));
                }
                let mut both = agg.call_time(k).clone();
                both.merge(agg.other_call_time(k));
                CallKindTime::of(k, &both, Some(elapsed_s))
            })
            .filter(|c| c.calls + c.failed > 0)
            .collect();
        call_time.sort_by(|a, b| b.total_seconds.total_cmp(&a.total_seconds).then_with(|| (b.calls + b.failed).cmp(&(a.calls + a.failed))));
        let mappings = Mapping::all(agg);
        let heatmap = Heatmap::of(scope.timeline.buckets(), width);

        let (mut warnings, mut warning_codes) = split(ctx.warnings);
        // Code and the loader's small files (/etc/ld.so.cache) are in every
        // dynamic program: only a data file mapped a MiB or more at a time
        // earns the warning. Per call, not in total: a locale file (353 KB)
        // mapped once by each of 40 processes is not the program's data.
        // One made before the window earns it only where writes reach the
        // file (shared, writable): a host process's own read-only data
        // mappings are not the window's work.
        let large = |m: &&Mapping| {
            !m.exec
                && m.maps > 0
                && m.bytes / m.maps >= MAPPED_DATA_WARNED
                && (m.before_window.is_none() || m.shared && m.prot.contains('w'))
        };
        if let Some(m) = mappings.iter().find(large).filter(|_| sees.mmaps) {
            let (text, code) = split(vec![WarningCode::MmapNotCounted.with(format!(
                "{} was mapped into memory with mmap{} ({} bytes{}): what the program reads or writes there goes by page faults, not calls, and is not counted (storage-level bytes include it)",
                m.path,
                if m.before_window.is_some() { " before the window, shared and writable" } else { "" },
                m.bytes,
                if mappings.iter().filter(|m| !m.exec).count() > 1 { ", and other files" } else { "" },
            ))]);
            warnings.extend(text);
            warning_codes.extend(code);
        }
        Report {
            version: REPORT_VERSION,
            method: ctx.method,
            command: ctx.command,
            pid: ctx.pid,
            elapsed_seconds: Some(elapsed_s),
            tracer_time: ctx.tracer_time,
            all_fds,
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
            latency: Some(Latency {
                read: LatencySummary::of(&scope.read_latency),
                write: LatencySummary::of(&scope.write_latency),
            }),
            timeline: Some(timeline),
            call_time: Some(call_time),
            mappings: Some(mappings),
            heatmap: Some(heatmap),
            findings: Vec::new(),
            exit: ctx.exit,
            host: None,
            rank: None,
            job_id: None,
            started_at: None,
            ranks: None,
            warnings,
            warning_codes,
        }
        .blank_unseen(sees, ctx.method.unseen())
        .with_findings()
    }

    /// A report from a process's counters (two readings, no per-call
    /// events), for `ctx.method` a counters source. Its warnings lead with
    /// why counters were used (`reason`, then where the figures come from,
    /// `origin`: "/proc/1234/io counters") and what the source cannot see,
    /// then `ctx.warnings`. `totals` are ignored when the source cannot count
    /// operations (rusage).
    pub fn from_counters(totals: Totals, reason: &str, origin: &str, mut ctx: ReportContext) -> Report {
        let mut warnings = vec![WarningCode::CountersFallback.with(format!("{reason}; figures come from {origin}"))];
        warnings.extend(ctx.method.counter_limits().map(|l| WarningCode::SourceLimits.with(l)));
        warnings.append(&mut ctx.warnings);
        let (warnings, warning_codes) = split(warnings);
        let sees = ctx.seen();
        Report {
            version: REPORT_VERSION,
            method: ctx.method,
            command: ctx.command,
            pid: ctx.pid,
            elapsed_seconds: Some(ctx.elapsed_ns as f64 / 1e9),
            tracer_time: ctx.tracer_time,
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
            call_time: None,
            mappings: None,
            heatmap: None,
            findings: Vec::new(),
            exit: ctx.exit,
            host: None,
            rank: None,
            job_id: None,
            started_at: None,
            ranks: None,
            warnings,
            warning_codes,
        }
        .blank_unseen(sees, ctx.method.unseen())
        .with_findings()
    }

    /// The one place that turns what a source cannot see into null, and
    /// says so: the source's warning for each such figure (`unseen`), at
    /// the end of the warnings.
    fn blank_unseen(mut self, sees: Sees, unseen: Unseen) -> Report {
        let mut said = Vec::new();
        if !sees.op_counts {
            self.summary.unmeasured = true;
            self.other_fds = None;
        }
        if !sees.sizes {
            self.histogram = None;
            self.syscalls = None;
            self.failed_ops = None;
            self.timeline = None;
            self.heatmap = None;
        }
        if !sees.files {
            self.files = None;
        }
        if !sees.fd_kinds {
            self.all_fds = true;
            self.other_fds = None;
        }
        if !sees.timestamps {
            self = self.without_clock();
            said.extend(unseen.timestamps.map(|t| WarningCode::NoTimestamps.with(t)));
        }
        if !sees.latency {
            self.latency = None;
            self.call_time = None;
            for f in self.files.iter_mut().flatten() {
                f.seconds = None;
            }
            said.extend(unseen.latency.map(|t| WarningCode::NoDurations.with(t)));
        }
        if !sees.metadata_calls {
            self.metadata_ops = None;
            said.extend(unseen.metadata_calls.map(|t| WarningCode::NoMetadataCalls.with(t)));
        }
        if !sees.mmaps {
            // No warning of its own: clean runs of fs_usage and ETW,
            // and an empty strace log, say only what they said before.
            self.mappings = None;
        }
        if !sees.storage_bytes {
            self.storage = None;
            said.extend(unseen.storage_bytes.map(|t| WarningCode::NoStorageBytes.with(t)));
        }
        for w in said {
            self.push_warning(w);
        }
        self
    }

    /// For a source without a clock (a log without timestamps): no elapsed
    /// time, no rates, no timeline (`blank_unseen` adds the source's warning).
    pub fn without_clock(mut self) -> Report {
        self.elapsed_seconds = None;
        self.tracer_time = None;
        self.summary = self.summary.without_rates();
        self.other_fds = self.other_fds.map(Totals::without_rates);
        self.timeline = None;
        self.heatmap = None;
        for c in self.call_time.iter_mut().flatten() {
            c.share_of_elapsed = None;
        }
        self
    }

    /// Adds a warning at `index` of the list (its code beside it).
    pub fn insert_warning(&mut self, index: usize, w: Warning) {
        self.warnings.insert(index, w.text);
        self.warning_codes.insert(index, w.code);
    }

    /// Adds a warning at the end.
    pub fn push_warning(&mut self, w: Warning) {
        self.insert_warning(self.warnings.len(), w);
    }

    pub fn to_json(&self) -> String {
        debug_assert_eq!(self.warnings.len(), self.warning_codes.len(), "every warning has its code (push_warning)");
        serde_json::to_string(self).expect("report serializes")
    }

    /// A report saved as JSON by any release: the fields of a later release
    /// than it are null, or empty (a file's `syncs`, `openFlags`, the
    /// `findings`, the `warningCodes`). An error when it is not such JSON.
    pub fn from_json(json: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The texts and the codes of `warnings`, as the JSON holds them.
fn split(warnings: Vec<Warning>) -> (Vec<String>, Vec<WarningCode>) {
    warnings.into_iter().map(|w| (w.text, w.code)).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{DataOp, Direction};

    /// By construction: each op goes to its file's row and to the summary
    /// (or the other fds' totals) by the file's one kind, fixed at its first
    /// sight; `allFds` puts every row in the summary.
    #[test]
    fn the_summary_is_the_sum_of_the_file_rows_it_counts() {
        let mut agg = Aggregator::new();
        let kinds = [FdKind::File, FdKind::BlockDevice, FdKind::Pipe, FdKind::Socket, FdKind::Other, FdKind::Unknown];
        for (i, &kind) in kinds.iter().enumerate() {
            let f = agg.file(&format!("/f{i}"), kind);
            // The same name again, of another kind, is the same row: its first kind holds.
            assert_eq!(agg.file(&format!("/f{i}"), FdKind::File), f);
            for n in 0..=i as u64 {
                let direction = if n % 2 == 0 { Direction::Write } else { Direction::Read };
                let syscall = if direction == Direction::Write { Syscall::Write } else { Syscall::Read };
                agg.record_op(f, &DataOp { syscall, direction, bytes: 100 + n, start_ns: n, latency_ns: Some(10), offset: None });
            }
        }
        for all_fds in [false, true] {
            let r = Report::from_aggregator(&agg, ReportContext { method: Source::Ptrace, elapsed_ns: 1_000_000, all_fds, ..Default::default() });
            let sums = |rows: &mut dyn Iterator<Item = &FileReport>| {
                rows.fold([0u64; 4], |a, f| [a[0] + f.read_ops, a[1] + f.write_ops, a[2] + f.read_bytes, a[3] + f.write_bytes])
            };
            let four = |t: &Totals| [t.read_ops, t.write_ops, t.read_bytes, t.write_bytes];
            let files = r.files.as_ref().unwrap();
            assert_eq!(four(&r.summary), sums(&mut files.iter().filter(|f| all_fds || f.kind.is_storage())), "all_fds {all_fds}");
            assert_eq!(four(r.other_fds.as_ref().unwrap()), sums(&mut files.iter().filter(|f| !f.kind.is_storage())));
        }
    }

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
        let report = Report::from_aggregator(&agg, ReportContext { method: Source::Ptrace, ..Default::default() });
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

    #[test]
    fn what_a_source_cannot_see_is_null_in_one_place() {
        let mut agg = Aggregator::new();
        let f = agg.file("/data/x", FdKind::File);
        agg.record_op(f, &DataOp { latency_ns: Some(500), ..op(Direction::Read, Some(0), 512) });
        for source in Source::ALL {
            let storage = Some(StorageBytes { read_bytes: 1, write_bytes: 2, source: "test".into() });
            let ctx = ReportContext { method: source, elapsed_ns: 1_000_000, storage, ..Default::default() };
            let v: serde_json::Value = serde_json::from_str(&Report::from_aggregator(&agg, ctx).to_json()).unwrap();
            let sees = source.sees();
            assert_eq!(v["method"], source.name());
            assert_eq!(v["summary"]["readOps"].is_null(), !sees.op_counts, "{source}");
            assert_eq!(v["summary"]["iops"].is_null(), !sees.op_counts || !sees.timestamps, "{source}");
            assert_eq!(v["histogram"].is_null(), !sees.sizes, "{source}");
            assert_eq!(v["syscalls"].is_null(), !sees.sizes, "{source}");
            assert_eq!(v["timeline"].is_null(), !sees.sizes || !sees.timestamps, "{source}");
            assert_eq!(v["files"].is_null(), !sees.files, "{source}");
            assert_eq!(v["otherFds"].is_null(), !sees.fd_kinds || !sees.op_counts, "{source}");
            assert_eq!(v["allFds"], !sees.fd_kinds, "{source}");
            assert_eq!(v["latency"].is_null(), !sees.latency, "{source}");
            assert_eq!(v["elapsedSeconds"].is_null(), !sees.timestamps, "{source}");
            assert_eq!(v["storage"].is_null(), !sees.storage_bytes, "{source}");
            assert_eq!(v["metadataOps"].is_null(), !sees.metadata_calls, "{source}");
        }
        // A log that shows less than its format can: what it lacks is null.
        let sees = Sees { latency: false, timestamps: false, ..Source::StraceLog.sees() };
        let r = Report::from_aggregator(&agg, ReportContext { method: Source::StraceLog, sees: Some(sees), ..Default::default() });
        assert!(r.latency.is_none() && r.elapsed_seconds.is_none() && r.timeline.is_none() && r.files.is_some());
    }

    #[test]
    fn each_unseen_figure_gets_its_sources_one_warning_after_the_others() {
        let agg = Aggregator::new();
        let first = WarningCode::EventsLost.with("first");
        let none = Sees { timestamps: false, latency: false, metadata_calls: false, storage_bytes: false, ..Sees::EVENTS };
        let report = |method, sees| {
            Report::from_aggregator(&agg, ReportContext { method, sees: Some(sees), warnings: vec![first.clone()], ..Default::default() })
        };
        let r = report(Source::StraceLog, none);
        use WarningCode::*;
        assert_eq!(r.warning_codes, [EventsLost, NoTimestamps, NoDurations, NoMetadataCalls, NoStorageBytes]);
        let unseen = Source::StraceLog.unseen();
        assert_eq!(r.warnings[1..], [unseen.timestamps.unwrap(), unseen.latency.unwrap(), unseen.metadata_calls.unwrap(), unseen.storage_bytes.unwrap()]);
        assert!(r.warnings[1].starts_with("strace log: no timestamps (strace -t, -tt or -ttt)"));
        assert_eq!(report(Source::Strace, none).warning_codes, [EventsLost, NoTimestamps, NoDurations, NoMetadataCalls, NoStorageBytes]);
        // What the input lets the source see is not warned about.
        assert_eq!(report(Source::Strace, Source::Strace.sees()).warning_codes, [EventsLost, NoStorageBytes]);
        assert_eq!(report(Source::StraceLog, Source::StraceLog.sees()).warning_codes, [EventsLost, NoStorageBytes]);
        // Sources that see it all, or say it in source-limits, add nothing.
        for source in [Source::Ptrace, Source::Ebpf, Source::FsUsage, Source::Etw] {
            assert_eq!(report(source, none).warning_codes, [EventsLost], "{source}");
        }
        let r = Report::from_counters(Totals::new(0, 0, 0, 0, 1.0), "why", "where", ReportContext { method: Source::ProcIo, ..Default::default() });
        assert_eq!(r.warning_codes, [CountersFallback, SourceLimits]);
    }

    #[test]
    fn counter_reports_lead_with_why_then_what_they_cannot_see_each_coded() {
        let ctx = |method| ReportContext {
            method,
            pid: Some(7),
            elapsed_ns: 2_000_000_000,
            warnings: vec![WarningCode::OtherRequestsUncounted.with("3 other I/O requests")],
            ..Default::default()
        };
        let r = Report::from_counters(Totals::new(3, 1000, 1536, 4_096_000, 2.0), "no ETW", "GetProcessIoCounters (x)", ctx(Source::IoCounters));
        assert_eq!(r.warning_codes, [WarningCode::CountersFallback, WarningCode::SourceLimits, WarningCode::OtherRequestsUncounted]);
        assert_eq!(r.warnings[0], "no ETW; figures come from GetProcessIoCounters (x)");
        assert_eq!(r.warnings[1], Source::IoCounters.counter_limits().unwrap());
        assert_eq!((r.summary.write_ops, r.summary.iops), (1000, Some(501.5)));
        assert!(r.files.is_none() && r.histogram.is_none() && r.timeline.is_none() && r.other_fds.is_none() && r.all_fds);
        let mut r = Report::from_counters(Totals::new(0, 0, 0, 0, 2.0), "no fs_usage", "proc_pid_rusage (y)", ctx(Source::Rusage));
        r.insert_warning(1, WarningCode::WineCounters.with("between"));
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(v["summary"].as_object().unwrap().values().all(|x| x.is_null()), "rusage counts nothing: {}", v["summary"]);
        assert_eq!(v["warningCodes"], serde_json::json!(["counters-fallback", "wine-counters", "source-limits", "other-requests-uncounted"]));
        assert_eq!(v["warnings"][1], "between");
    }

    #[test]
    fn heatmap_in_the_timelines_bins_holds_every_operation() {
        let mut agg = Aggregator::new();
        let f = agg.file("/data/x", FdKind::File);
        let s = agg.file("socket:[1]", FdKind::Socket);
        for i in 0..1000u64 {
            let size = if i < 500 { 100 } else { 65536 };
            agg.record_op(f, &DataOp { start_ns: i * 1_000_000, ..op(Direction::Write, Some(i * size), size) });
        }
        agg.record_op(s, &op(Direction::Read, None, 7));
        // The window runs on, idle, to 3 s: the timeline and the heatmap span it.
        let r = Report::from_aggregator(&agg, ReportContext { method: Source::Ptrace, elapsed_ns: 3_000_000_000, ..Default::default() });
        let (t, h) = (r.timeline.as_ref().unwrap(), r.heatmap.as_ref().unwrap());
        assert!((100..=200).contains(&t.points.len()), "{}", t.points.len());
        assert!(t.points.len() as f64 * t.interval_seconds >= 3.0, "spans the window");
        assert_eq!((h.bin_seconds, h.ops.len(), h.bytes.len()), (t.interval_seconds, t.points.len(), t.points.len()));
        assert_eq!(h.size_bins.len(), 18, "[0, 1) to [65536, 131072)");
        assert_eq!((h.size_bins[7].lo, h.size_bins[7].count, h.size_bins[7].sum), (64, 500, 50_000));
        assert_eq!((h.size_bins[17].lo, h.size_bins[17].count), (65536, 500));
        let ops: u64 = h.ops.iter().flatten().sum();
        let bytes: u64 = h.bytes.iter().flatten().sum();
        assert_eq!((ops, bytes), (1000, 500 * 100 + 500 * 65536), "the socket's read is not in it");
        // The small writes came first: in the first half of the run.
        let half = t.points.len() / 2;
        assert_eq!(h.ops[..half].iter().map(|row| row[7]).sum::<u64>(), 500);
        let none = Report::from_aggregator(&agg, ReportContext { method: Source::StraceLog, sees: Some(Sees { timestamps: false, ..Source::StraceLog.sees() }), ..Default::default() });
        assert!(none.heatmap.is_none() && none.timeline.is_none());
        let idle = Report::from_aggregator(&Aggregator::new(), ReportContext { method: Source::Ptrace, elapsed_ns: 3_000_000_000, ..Default::default() });
        assert!(idle.timeline.unwrap().points.is_empty() && idle.heatmap.unwrap().ops.is_empty(), "no operation: nothing to draw");
    }

    #[test]
    fn mappings_fold_code_files_and_warn_of_large_data_files() {
        use crate::event::MapMode;
        let mut agg = Aggregator::new();
        let libc = agg.file("/usr/lib/libc.so.6", FdKind::File);
        let cache = agg.file("/etc/ld.so.cache", FdKind::File);
        let data = agg.file("/data/big", FdKind::File);
        let r = MapMode { read: true, ..Default::default() };
        agg.record_mmap(libc, r, 1000);
        agg.record_mmap(libc, MapMode { exec: true, ..r }, 2000);
        agg.record_mmap(libc, MapMode { write: true, ..r }, 300);
        agg.record_mmap(cache, r, 50_000);
        let report = |agg: &Aggregator| Report::from_aggregator(agg, ReportContext { method: Source::Ptrace, ..Default::default() });
        let m = report(&agg).mappings.unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[1].path.as_str(), m[1].maps, m[1].bytes, m[1].prot.as_str(), m[1].exec), ("/usr/lib/libc.so.6", 3, 3300, "rwx", true));
        assert!(!m[0].exec);
        assert!(report(&agg).warning_codes.is_empty(), "the loader's files earn no warning");
        // A locale file mapped once by each of 40 processes: 13.8 MB in all, 353 KB at a time.
        let locale = agg.file("/usr/lib/locale/C.utf8/LC_CTYPE", FdKind::File);
        for _ in 0..40 {
            agg.record_mmap(locale, r, 353_616);
        }
        assert!(report(&agg).warning_codes.is_empty(), "many small maps of a shared locale file earn no warning");
        let small = agg.file("/data/small", FdKind::File);
        agg.record_mmap(small, r, 1 << 20);
        agg.record_mmap(data, MapMode { shared: true, ..r }, 200 << 20);
        agg.record_mmap(data, MapMode { shared: true, ..r }, 200 << 20);
        let rep = report(&agg);
        let m = rep.mappings.as_ref().unwrap();
        assert_eq!((m[0].path.as_str(), m[0].maps, m[0].bytes, m[0].shared), ("/data/big", 2, 400 << 20, true));
        assert_eq!(rep.warning_codes, [WarningCode::MmapNotCounted]);
        assert!(rep.warnings[0].starts_with("/data/big was mapped into memory with mmap (419430400 bytes, and other files)"), "{}", rep.warnings[0]);
        // The other file is /data/small (1 MiB at a time), not the locale file.
        let mut agg2 = Aggregator::new();
        let locale2 = agg2.file("/usr/lib/locale/C.utf8/LC_CTYPE", FdKind::File);
        for _ in 0..40 {
            agg2.record_mmap(locale2, r, 353_616);
        }
        let user = agg2.file("/data/user.bin", FdKind::File);
        agg2.record_mmap(user, r, 10_000_000);
        let rep = report(&agg2);
        assert!(rep.warnings[0].starts_with("/data/user.bin was mapped into memory with mmap (10000000 bytes, and other files)"), "{}", rep.warnings[0]);
        let fs_usage = Report::from_aggregator(&agg, ReportContext { method: Source::FsUsage, ..Default::default() });
        assert!(fs_usage.mappings.is_none() && fs_usage.warning_codes.is_empty(), "a source that cannot see mmap: null");
    }

    #[test]
    fn call_time_busiest_first_and_null_without_durations() {
        let mut agg = Aggregator::new();
        agg.record_meta(MetaKind::Open, true, Some(1000));
        agg.record_meta(MetaKind::Open, false, Some(3000));
        agg.record_meta(MetaKind::Fsync, true, Some(9_000_000));
        let r = Report::from_aggregator(&agg, ReportContext { method: Source::Ptrace, elapsed_ns: 18_000_000, ..Default::default() });
        let c = r.call_time.as_ref().unwrap();
        assert_eq!(c.iter().map(|c| (c.kind, c.calls, c.failed)).collect::<Vec<_>>(), [(CallKind::Sync, 1, 0), (CallKind::Open, 1, 1)]);
        assert_eq!((c[0].total_seconds, c[0].share_of_elapsed), (0.009, Some(0.5)));
        assert_eq!(c[1].mean_seconds, Some(2e-6));
        let r = Report::from_aggregator(&agg, ReportContext { method: Source::StraceLog, sees: Some(Sees { latency: false, ..Source::StraceLog.sees() }), ..Default::default() });
        assert!(r.call_time.is_none());
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(v["callTime"].is_null() && v["findings"] == serde_json::json!([]));
    }

    #[test]
    fn a_saved_report_reads_back_as_it_was_written() {
        use crate::event::{MapMode, OpenFlags};
        let mut agg = Aggregator::new();
        let f = agg.file("/data/x", FdKind::File);
        let s = agg.file("socket:[1]", FdKind::Socket);
        for i in 0..300u64 {
            agg.record_op(f, &DataOp { start_ns: i * 1000, latency_ns: Some(2000 + i), ..op(Direction::Write, Some(i * 100), 100) });
            agg.record_sync(f, Some(9000));
            agg.record_meta(MetaKind::Fsync, i % 7 != 0, Some(9000));
        }
        agg.record_op(s, &op(Direction::Read, None, 7));
        agg.record_failure(Syscall::Read, "EBADF", true, Some(100));
        agg.record_open_flags(f, OpenFlags::DIRECT);
        agg.record_mmap(f, MapMode { read: true, shared: true, ..Default::default() }, 4 << 20);
        let ctx = ReportContext {
            method: Source::Ptrace,
            pid: Some(42),
            elapsed_ns: 2_000_000,
            storage: Some(StorageBytes { read_bytes: 1, write_bytes: 2, source: "/proc/42/io".into() }),
            exit: Some(ExitInfo { code: Some(0), signal: None, signal_number: None }),
            ..Default::default()
        };
        let report = Report::from_aggregator(&agg, ctx);
        assert!(report.findings.len() >= 2 && !report.warnings.is_empty(), "{:?}", report.findings);
        let json = report.to_json();
        assert_eq!(Report::from_json(&json).unwrap(), report);
        // Counters that cannot count operations: null counts read as unmeasured.
        let rusage = Report::from_counters(Totals::new(0, 0, 0, 0, 1.0), "r", "o", ReportContext { method: Source::Rusage, ..Default::default() });
        assert!(Report::from_json(&rusage.to_json()).unwrap().summary.unmeasured);
        assert_eq!(Report::from_json(&rusage.to_json()).unwrap().to_json(), rusage.to_json());
        // A syscall name none of our data calls has is not a report of ours.
        let e = Report::from_json(&json.replacen(r#""name":"pwrite64""#, r#""name":"pwrite65""#, 1)).unwrap_err();
        assert!(e.to_string().starts_with(r#"unknown data call "pwrite65" in syscalls"#), "{e}");
    }

    #[test]
    fn the_tracer_share_is_passed_through_and_dropped_with_the_clock() {
        let t = TracerTime {
            stops: 10,
            same_cpu_ns_per_stop: Some(1000.0),
            cross_cpu_ns_per_stop: None,
            cross_cpu_share: Some(0.0),
            ns_per_stop: Some(1000.0),
            estimated_seconds: Some(1e-5),
            estimated_untraced_seconds: Some(0.001 - 1e-5),
            program_cpu_seconds: None,
            program_wait_seconds: None,
            tracer_cpu_seconds: None,
            tracer_wait_seconds: None,
            cpu_ns_per_stop: None,
            held_seconds: None,
            sampled_intervals: 0,
            bare_pairs: 0,
            wake_ns_per_stop: None,
            wait_ns_per_stop: None,
            shared_cpu: false,
            calibration: "test".into(),
        };
        let agg = Aggregator::new();
        let ctx = ReportContext { method: Source::Ptrace, elapsed_ns: 1_000_000, tracer_time: Some(t.clone()), ..Default::default() };
        let r = Report::from_aggregator(&agg, ctx);
        assert_eq!(r.tracer_time.as_ref(), Some(&t));
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["tracerTime"]["estimatedUntracedSeconds"], 0.001 - 1e-5);
        assert_eq!(v["tracerTime"]["crossCpuNsPerStop"], serde_json::Value::Null);
        assert!(r.without_clock().tracer_time.is_none(), "no clock, no time figures");
        let counters = Report::from_counters(Totals::new(0, 0, 0, 0, 1.0), "r", "o", ReportContext { method: Source::ProcIo, ..Default::default() });
        let v: serde_json::Value = serde_json::from_str(&counters.to_json()).unwrap();
        assert!(v["tracerTime"].is_null(), "counters do not stop the program");
    }
}
