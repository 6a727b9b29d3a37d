//! `iops merge`: one job-level report from the reports of its processes
//! (one per rank under a launcher), as a streaming fold: each report is
//! read, folded in and dropped, so memory grows with files and bins (and one
//! small row per report for the per-rank table), never with a report's
//! size times their number.
//!
//! Totals, files, syscalls and metadata calls add up; a file is one row per
//! (host, path) with the reads and writes of every process and their access
//! counts summed (its pattern is the class of most operations across them);
//! size and latency histograms add bin by bin (the bins are fixed, so this
//! is exact); timelines are placed on the wall clock by each report's
//! `startedAt`. A figure that any input lacks (`null`) is null in the merge.
//! Time per call kind adds up (its `p99Seconds` is null: a percentile of
//! the whole job cannot be had from the ranks' percentiles); mappings add
//! up by file, protection and sharing; the heatmap is placed on the wall
//! clock with the timeline (its time bins are the timeline's). The
//! findings are the job's (`job_findings`), not those of each process.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::event::{FdKind, Syscall};
use crate::histogram::{Bin, LogHistogram};
use crate::pattern::{AccessSummary, Pattern};
use crate::report::*;
use crate::timeline::{Bucket, SIZE_BINS};

/// At most this many timeline points: the interval doubles beyond.
const MAX_POINTS: i64 = 1024;
/// Distinct warnings kept from the inputs; more are counted in one line.
const MAX_WARNINGS: usize = 50;

/// A report that cannot be merged: one line, naming the file.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeError(pub String);

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Default, Clone, Copy)]
struct Access {
    sequential: u64,
    strided: u64,
    random: u64,
    unknown: u64,
    small: u64,
    /// The stride every input that had one agreed on (`None` once two differ).
    stride: Option<i64>,
    stride_conflict: bool,
}

impl Access {
    fn add(&mut self, a: &Value) {
        if a.is_null() {
            return;
        }
        self.sequential += u(a, "sequentialOps");
        self.strided += u(a, "stridedOps");
        self.random += u(a, "randomOps");
        self.unknown += u(a, "unknownOps");
        self.small += u(a, "smallOps");
        if let Some(s) = a["strideBytes"].as_i64() {
            match self.stride {
                Some(t) if t != s => self.stride_conflict = true,
                _ => self.stride = Some(s),
            }
        }
    }

    fn summary(&self) -> Option<AccessSummary> {
        (self.sequential + self.strided + self.random + self.unknown > 0).then(|| AccessSummary {
            pattern: Pattern::of(self.sequential, self.strided, self.random),
            sequential_ops: self.sequential,
            strided_ops: self.strided,
            random_ops: self.random,
            unknown_ops: self.unknown,
            small_ops: self.small,
            stride_bytes: if self.strided > 0 && !self.stride_conflict { self.stride } else { None },
        })
    }
}

struct FileAcc {
    kind: FdKind,
    read_ops: u64,
    write_ops: u64,
    read_bytes: u64,
    write_bytes: u64,
    small_ops: u64,
    read: Access,
    write: Access,
    /// Input reports with an operation on it.
    processes: u32,
    /// Input reports that wrote to it.
    writers: u32,
    /// Null once an input had no durations.
    seconds: Option<f64>,
    syncs: u64,
    repeated_reads: u64,
    open_flags: Vec<String>,
}

/// A latency distribution summed over reports.
#[derive(Default)]
struct LatencyAcc {
    bins: LogHistogram,
    max_ns: u64,
}

impl LatencyAcc {
    fn add(&mut self, s: &Value) {
        if s.is_null() {
            return;
        }
        add_bins(&mut self.bins, &s["bins"]);
        self.max_ns = self.max_ns.max(u(s, "maxNs"));
    }

    fn summary(&self) -> Option<LatencySummary> {
        Some(LatencySummary {
            count: self.bins.count(),
            mean_ns: self.bins.mean()?,
            p50_ns: self.bins.quantile(0.5)?,
            p99_ns: self.bins.quantile(0.99)?,
            max_ns: self.max_ns,
            bins: self.bins.bins(),
        })
    }
}

/// A timeline on the wall clock: buckets of `width_ns` counted from the
/// first report's start (`origin_ms`), negative for earlier ones.
struct WallTimeline {
    origin_ms: Option<f64>,
    width_ns: i64,
    buckets: BTreeMap<i64, Bucket>,
}

impl WallTimeline {
    fn rebin(&mut self, width_ns: i64) {
        if width_ns <= self.width_ns {
            return;
        }
        let old = std::mem::take(&mut self.buckets);
        for (k, b) in old {
            let key = (k * self.width_ns).div_euclid(width_ns);
            self.buckets.entry(key).or_default().add(&b);
        }
        self.width_ns = width_ns;
    }

    /// Adds `points` (`intervalSeconds` apart) of a window that began
    /// `offset_ns` after the origin, with the heatmap's rows of the same
    /// time bins (`ops`, `bytes`: one row per point, one column per size bin).
    fn add(&mut self, offset_ns: i64, interval_ns: i64, points: &[Value], ops: &Value, bytes: &Value) {
        self.rebin(interval_ns.max(1));
        for (i, p) in points.iter().enumerate() {
            let t_ns = offset_ns + (f(p, "t") * 1e9).round() as i64;
            let mut b = Bucket { read_ops: u(p, "readOps"), write_ops: u(p, "writeOps"), read_bytes: u(p, "readBytes"), write_bytes: u(p, "writeBytes"), ..Default::default() };
            for (j, n) in ops[i].as_array().into_iter().flatten().enumerate().take(SIZE_BINS) {
                b.size_ops[j] = n.as_u64().unwrap_or(0);
                b.size_bytes[j] = bytes[i][j].as_u64().unwrap_or(0);
            }
            if b == Bucket::default() {
                continue;
            }
            // Wider buckets until the span fits.
            loop {
                let key = t_ns.div_euclid(self.width_ns);
                let lo = self.buckets.keys().next().copied().unwrap_or(key).min(key);
                let hi = self.buckets.keys().next_back().copied().unwrap_or(key).max(key);
                if hi - lo < MAX_POINTS {
                    self.buckets.entry(key).or_default().add(&b);
                    break;
                }
                self.rebin(self.width_ns * 2);
            }
        }
    }
}

/// A mapping's identity across reports: path, kind, protection, shared, exec.
type MappingKey = (String, FdKind, String, bool, bool);

/// The fold: `add` each report, then `finish`.
pub struct Merger {
    method: Option<(Source, String)>,
    ranks: Vec<RankRow>,
    /// Whether every report counts every fd in its summary (`--all-fds`):
    /// one for all of them, since the merged summary is their sum.
    all_fds: bool,
    summary: [u64; 4],
    other: Option<[u64; 4]>,
    storage: Option<(u64, u64, String)>,
    failed: Option<FailedOps>,
    metadata: Option<MetadataOps>,
    /// By host, path and kind: rows of different kinds at one path (a pipe,
    /// then a file) stay apart, so that the summary (its reports' sums of
    /// their storage rows, or of every row with `all_fds`) is the sum of the
    /// table's rows of the same definition.
    files: Option<HashMap<(String, String, FdKind), FileAcc>>,
    hosts: Vec<String>,
    syscalls: Option<BTreeMap<usize, (u64, u64, u64)>>,
    histogram: Option<(LogHistogram, LogHistogram)>,
    latency: Option<(LatencyAcc, LatencyAcc)>,
    timeline: Option<WallTimeline>,
    /// Every input had a heatmap in its timeline's bins.
    heatmap: bool,
    /// Per call kind: calls, failed, seconds.
    call_time: Option<HashMap<CallKind, (u64, u64, f64)>>,
    /// Maps and bytes by mapping.
    mappings: Option<HashMap<MappingKey, (u64, u64)>>,
    /// Earliest start and latest end on the wall clock, ms.
    span_ms: Option<(f64, f64)>,
    /// Every input had a clock and a wall-clock start.
    clocked: bool,
    job_ids: Vec<String>,
    warnings: Vec<(WarningCode, String, u32)>,
    more_warnings: u64,
}

impl Default for Merger {
    fn default() -> Self {
        Self::new()
    }
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

fn add_bins(h: &mut LogHistogram, bins: &Value) {
    for b in bins.as_array().into_iter().flatten() {
        h.add_bin(&Bin { lo: u(b, "lo"), hi: u(b, "hi"), count: u(b, "count"), sum: u(b, "sum") });
    }
}

fn fd_kind(name: &str) -> FdKind {
    match name {
        "file" => FdKind::File,
        "blockDevice" => FdKind::BlockDevice,
        "socket" => FdKind::Socket,
        "pipe" => FdKind::Pipe,
        "tty" => FdKind::Tty,
        "other" => FdKind::Other,
        _ => FdKind::Unknown,
    }
}

fn four(t: &Value) -> [u64; 4] {
    [u(t, "readOps"), u(t, "writeOps"), u(t, "readBytes"), u(t, "writeBytes")]
}

fn add4(a: &mut [u64; 4], b: [u64; 4]) {
    for i in 0..4 {
        a[i] = a[i].saturating_add(b[i]);
    }
}

/// `Some(acc)` folded with `value` while every input has the figure; null once one lacks it.
fn keep<T>(acc: &mut Option<T>, value: &Value, fold: impl FnOnce(&mut T, &Value)) {
    if value.is_null() {
        *acc = None;
    } else if let Some(a) = acc.as_mut() {
        fold(a, value);
    }
}

impl Merger {
    pub fn new() -> Merger {
        Merger {
            method: None,
            ranks: Vec::new(),
            all_fds: false,
            summary: [0; 4],
            other: Some([0; 4]),
            storage: None,
            failed: Some(FailedOps::default()),
            metadata: Some(MetadataOps::default()),
            files: Some(HashMap::new()),
            hosts: Vec::new(),
            syscalls: Some(BTreeMap::new()),
            histogram: Some(Default::default()),
            latency: Some(Default::default()),
            timeline: Some(WallTimeline { origin_ms: None, width_ns: 1, buckets: BTreeMap::new() }),
            heatmap: true,
            call_time: Some(HashMap::new()),
            mappings: Some(HashMap::new()),
            span_ms: None,
            clocked: true,
            job_ids: Vec::new(),
            warnings: Vec::new(),
            more_warnings: 0,
        }
    }

    /// Folds in the report read from `name` (its JSON text). Errors, one
    /// line naming `name`: not a report, a newer format, another source
    /// than the reports before it, a report already merged.
    pub fn add_json(&mut self, name: &str, json: &str) -> Result<(), MergeError> {
        let v: Value = serde_json::from_str(json).map_err(|e| MergeError(format!("{name}: not an iops report (not JSON: {e})")))?;
        self.add(name, &v)
    }

    pub fn add(&mut self, name: &str, r: &Value) -> Result<(), MergeError> {
        let not_report = || MergeError(format!("{name}: not an iops report (no version, method and summary)"));
        let version = r["version"].as_u64().ok_or_else(not_report)?;
        let method_name = r["method"].as_str().ok_or_else(not_report)?;
        if !r["summary"].is_object() {
            return Err(not_report());
        }
        if version > REPORT_VERSION as u64 {
            return Err(MergeError(format!(
                "{name}: report version {version} is newer than this iops reads ({REPORT_VERSION}); merge it with a newer iops-profiler"
            )));
        }
        if r["ranks"].is_array() {
            return Err(MergeError(format!("{name}: already a merged report; merge the reports of the processes instead")));
        }
        let method = Source::from_name(method_name).ok_or_else(|| MergeError(format!("{name}: unknown source \"{method_name}\"")))?;
        match &self.method {
            None => self.method = Some((method, name.to_string())),
            Some((m, first)) if *m != method => {
                return Err(MergeError(format!(
                    "{name} is from {method_name} but {first} from {}: merge reports of one source",
                    m.name()
                )))
            }
            _ => {}
        }
        // One capture given twice (the same file, or a copy) would count its I/O twice.
        if let (Some(host), Some(pid), Some(start)) = (r["host"]["name"].as_str(), r["pid"].as_i64(), r["startedAt"].as_f64()) {
            let same = |row: &RankRow| row.host.as_deref() == Some(host) && row.pid.map(i64::from) == Some(pid) && row.started_at == Some(start);
            if let Some(first) = self.ranks.iter().find(|row| same(row)) {
                return Err(MergeError(format!(
                    "{name} is the same capture as {} (host {host}, pid {pid}, same start): give each report once",
                    first.file
                )));
            }
        }

        let summary = four(&r["summary"]);
        if r["summary"]["readOps"].is_null() {
            return Err(MergeError(format!("{name}: its source ({method_name}) counts no operations; there is nothing to merge")));
        }
        // A summary of every fd plus one of files only is neither: said, never summed.
        let all_fds = r["allFds"].as_bool().unwrap_or(false);
        if let Some(first) = self.ranks.first().filter(|_| all_fds != self.all_fds) {
            let what = |all: bool| if all { "every fd (--all-fds)" } else { "files and block devices only" };
            return Err(MergeError(format!(
                "{name} counts {} but {} {}: merge reports made with the same --all-fds",
                what(all_fds),
                first.file,
                what(self.all_fds)
            )));
        }
        self.all_fds = all_fds;
        add4(&mut self.summary, summary);
        keep(&mut self.other, &r["otherFds"], |a, t| add4(a, four(t)));
        let s = &r["storage"];
        self.storage = if s.is_null() || (self.storage.is_none() && !self.ranks.is_empty()) {
            None
        } else {
            let (rb, wb, _) = self.storage.take().unwrap_or((0, 0, String::new()));
            Some((rb + u(s, "readBytes"), wb + u(s, "writeBytes"), "the sum of the merged reports".into()))
        };
        keep(&mut self.failed, &r["failedOps"], |a, v| {
            a.total += u(v, "total");
            for (errno, n) in v["byErrno"].as_object().into_iter().flatten() {
                *a.by_errno.entry(errno.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        });
        keep(&mut self.metadata, &r["metadataOps"], |a, v| {
            a.opens += u(v, "opens");
            a.closes += u(v, "closes");
            a.stats += u(v, "stats");
            a.fsyncs += u(v, "fsyncs");
            a.unlinks += u(v, "unlinks");
            a.renames += u(v, "renames");
            a.getdents += u(v, "getdents");
            a.total += u(v, "total");
            a.failed += u(v, "failed");
        });
        let host = r["host"]["name"].as_str().map(str::to_string);
        let host_key = host.clone().unwrap_or_default();
        if !self.hosts.contains(&host_key) {
            self.hosts.push(host_key.clone());
        }
        keep(&mut self.files, &r["files"], |files, list| {
            for row in list.as_array().into_iter().flatten() {
                let path = row["path"].as_str().unwrap_or("").to_string();
                let kind = fd_kind(row["kind"].as_str().unwrap_or(""));
                let acc = files.entry((host_key.clone(), path, kind)).or_insert_with(|| FileAcc {
                    kind,
                    read_ops: 0,
                    write_ops: 0,
                    read_bytes: 0,
                    write_bytes: 0,
                    small_ops: 0,
                    read: Access::default(),
                    write: Access::default(),
                    processes: 0,
                    writers: 0,
                    seconds: Some(0.0),
                    syncs: 0,
                    repeated_reads: 0,
                    open_flags: Vec::new(),
                });
                acc.seconds = acc.seconds.zip(row["seconds"].as_f64()).map(|(a, b)| a + b);
                acc.syncs += u(row, "syncs");
                acc.repeated_reads += u(row, "repeatedReads");
                for flag in row["openFlags"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if !acc.open_flags.iter().any(|f| f == flag) {
                        acc.open_flags.push(flag.to_string());
                    }
                }
                acc.read_ops += u(row, "readOps");
                acc.write_ops += u(row, "writeOps");
                acc.read_bytes = acc.read_bytes.saturating_add(u(row, "readBytes"));
                acc.write_bytes = acc.write_bytes.saturating_add(u(row, "writeBytes"));
                acc.small_ops += u(row, "smallOps");
                acc.read.add(&row["readAccess"]);
                acc.write.add(&row["writeAccess"]);
                acc.processes += 1;
                acc.writers += (u(row, "writeOps") > 0) as u32;
            }
        });
        keep(&mut self.syscalls, &r["syscalls"], |acc, list| {
            for s in list.as_array().into_iter().flatten() {
                if let Some(call) = s["name"].as_str().and_then(Syscall::from_name) {
                    let e = acc.entry(call as usize).or_default();
                    e.0 += u(s, "calls");
                    e.1 = e.1.saturating_add(u(s, "bytes"));
                    e.2 += u(s, "failed");
                }
            }
        });
        keep(&mut self.histogram, &r["histogram"], |(rd, wr), h| {
            add_bins(rd, &h["read"]);
            add_bins(wr, &h["write"]);
        });
        keep(&mut self.latency, &r["latency"], |(rd, wr), l| {
            rd.add(&l["read"]);
            wr.add(&l["write"]);
        });

        keep(&mut self.call_time, &r["callTime"], |acc, list| {
            for k in list.as_array().into_iter().flatten() {
                let Some(kind) = CallKind::ALL.into_iter().find(|c| serde_json::to_value(c).ok().as_ref() == Some(&k["kind"])) else { continue };
                let e = acc.entry(kind).or_insert((0, 0, 0.0));
                e.0 += u(k, "calls");
                e.1 += u(k, "failed");
                e.2 += f(k, "totalSeconds");
            }
        });
        keep(&mut self.mappings, &r["mappings"], |acc, list| {
            for m in list.as_array().into_iter().flatten() {
                let key = (
                    m["path"].as_str().unwrap_or("").to_string(),
                    fd_kind(m["kind"].as_str().unwrap_or("")),
                    m["prot"].as_str().unwrap_or("").to_string(),
                    m["shared"].as_bool().unwrap_or(false),
                    m["exec"].as_bool().unwrap_or(false),
                );
                let e = acc.entry(key).or_default();
                e.0 += u(m, "maps");
                e.1 = e.1.saturating_add(u(m, "bytes"));
            }
        });

        let started_at = r["startedAt"].as_f64();
        let elapsed = r["elapsedSeconds"].as_f64();
        match (started_at, elapsed) {
            (Some(start), Some(len)) => {
                let end = start + len * 1e3;
                let (lo, hi) = self.span_ms.unwrap_or((start, end));
                self.span_ms = Some((lo.min(start), hi.max(end)));
            }
            _ => self.clocked = false,
        }
        if let (Some(t), Some(start)) = (self.timeline.as_mut(), started_at) {
            if r["timeline"].is_null() {
                self.timeline = None;
            } else {
                let origin = *t.origin_ms.get_or_insert(start);
                let interval_ns = (f(&r["timeline"], "intervalSeconds") * 1e9).round() as i64;
                let empty = Vec::new();
                let points = r["timeline"]["points"].as_array().unwrap_or(&empty);
                let h = &r["heatmap"];
                // The heatmap is in the timeline's bins: one row per point.
                let same_bins = h["ops"].as_array().is_some_and(|rows| rows.len() == points.len())
                    && (f(h, "binSeconds") * 1e9).round() as i64 == interval_ns;
                self.heatmap &= same_bins;
                t.add(((start - origin) * 1e6).round() as i64, interval_ns, points, &h["ops"], &h["bytes"]);
            }
        } else {
            self.timeline = None;
        }

        if let Some(job) = r["jobId"].as_str() {
            if !self.job_ids.iter().any(|j| j == job) && self.job_ids.len() < 8 {
                self.job_ids.push(job.to_string());
            }
        }
        let codes = r["warningCodes"].as_array();
        for (i, text) in r["warnings"].as_array().into_iter().flatten().enumerate() {
            let code = codes.and_then(|c| c.get(i)).and_then(Value::as_str).and_then(WarningCode::from_name);
            let (Some(code), Some(text)) = (code, text.as_str()) else { continue };
            if let Some(w) = self.warnings.iter_mut().find(|(c, t, _)| *c == code && t == text) {
                w.2 += 1;
            } else if self.warnings.len() < MAX_WARNINGS {
                self.warnings.push((code, text.to_string(), 1));
            } else {
                self.more_warnings += 1;
            }
        }

        let io_seconds = {
            let l = &r["latency"];
            let part = |s: &Value| if s.is_null() { 0.0 } else { f(s, "meanNs") * f(s, "count") };
            (!l.is_null()).then(|| (part(&l["read"]) + part(&l["write"])) / 1e9)
        };
        self.ranks.push(RankRow {
            rank: r["rank"].as_u64().map(|x| x as u32),
            host,
            pid: r["pid"].as_i64().map(|x| x as i32),
            file: name.to_string(),
            started_at,
            elapsed_seconds: elapsed,
            read_ops: summary[0],
            write_ops: summary[1],
            read_bytes: summary[2],
            write_bytes: summary[3],
            io_seconds,
        });
        Ok(())
    }

    /// The merged report; an error when no report was added.
    pub fn finish(self) -> Result<Report, MergeError> {
        let Some((method, _)) = self.method else {
            return Err(MergeError("no report to merge".into()));
        };
        let elapsed_s = self.span_ms.filter(|_| self.clocked).map(|(lo, hi)| (hi - lo) / 1e3);
        let totals = |t: [u64; 4]| {
            let t = Totals::new(t[0], t[1], t[2], t[3], elapsed_s.unwrap_or(0.0));
            if elapsed_s.is_some() {
                t
            } else {
                t.without_rates()
            }
        };
        let many_hosts = self.hosts.len() > 1;
        let files = self.files.map(|files| {
            let mut rows: Vec<(FileReport, u32)> = files
                .into_iter()
                .map(|((host, path, _), a)| {
                    let (r, w) = (&a.read, &a.write);
                    let row = FileReport {
                        path: if many_hosts { format!("{host}:{path}") } else { path },
                        kind: a.kind,
                        read_ops: a.read_ops,
                        write_ops: a.write_ops,
                        read_bytes: a.read_bytes,
                        write_bytes: a.write_bytes,
                        pattern: Pattern::of(r.sequential + w.sequential, r.strided + w.strided, r.random + w.random),
                        small_ops: a.small_ops,
                        read_access: r.summary(),
                        write_access: w.summary(),
                        processes: Some(a.processes),
                        seconds: a.seconds,
                        syncs: a.syncs,
                        repeated_reads: a.repeated_reads,
                        open_flags: a.open_flags,
                    };
                    (row, a.writers)
                })
                .collect();
            rows.sort_by(|(a, _), (b, _)| {
                let key = |f: &FileReport| (f.read_ops + f.write_ops, f.read_bytes.saturating_add(f.write_bytes));
                key(b).cmp(&key(a)).then_with(|| a.path.cmp(&b.path))
            });
            rows.into_iter().map(|(row, _)| row).collect::<Vec<_>>()
        });
        // The job's time bins, dense from its earliest start (the grid's first interval holds it).
        let bins = self.timeline.filter(|_| self.clocked).map(|t| {
            let lo = t.buckets.keys().next().copied().unwrap_or(0);
            let hi = t.buckets.keys().next_back().copied().unwrap_or(-1);
            let start_ns = self.span_ms.map(|(s, _)| ((s - t.origin_ms.unwrap_or(s)) * 1e6).round() as i64).unwrap_or(0);
            let first = start_ns.div_euclid(t.width_ns).min(lo);
            let dense: Vec<Bucket> = (first..=hi).map(|k| t.buckets.get(&k).cloned().unwrap_or_default()).collect();
            (t.width_ns, dense)
        });
        let timeline = bins.as_ref().map(|(width, dense)| TimelineReport::of(dense, *width as u64));
        let heatmap = bins.as_ref().filter(|_| self.heatmap).map(|(width, dense)| Heatmap::of(dense, *width as u64));
        let mut warnings: Vec<Warning> = self
            .warnings
            .into_iter()
            .map(|(code, text, n)| code.with(if n > 1 { format!("{text} (in {n} reports)") } else { text }))
            .collect();
        if self.more_warnings > 0 {
            warnings.push(WarningCode::MergedWarnings.with(format!("{} more warnings of the merged reports are not repeated here", self.more_warnings)));
        }
        if !self.clocked {
            warnings.push(WarningCode::NoWallClock.with(
                "some merged reports have no wall-clock start (startedAt) or no clock: no job duration, rates or timeline",
            ));
        }
        let job = job_findings(&self.ranks, files.as_deref());
        let (warnings, warning_codes): (Vec<String>, Vec<WarningCode>) = warnings.into_iter().map(|w| (w.text, w.code)).unzip();
        let report = Report {
            version: REPORT_VERSION,
            method,
            command: None,
            pid: None,
            elapsed_seconds: elapsed_s,
            tracer_time: None,
            all_fds: self.all_fds,
            summary: totals(self.summary),
            other_fds: self.other.map(totals),
            storage: self.storage.map(|(read_bytes, write_bytes, source)| StorageBytes { read_bytes, write_bytes, source }),
            failed_ops: self.failed,
            metadata_ops: self.metadata,
            files,
            syscalls: self.syscalls.map(|m| {
                m.into_iter()
                    .map(|(i, (calls, bytes, failed))| SyscallReport { name: Syscall::ALL[i].name(), calls, bytes, failed })
                    .collect()
            }),
            histogram: self.histogram.map(|(r, w)| SizeHistogram { read: r.bins(), write: w.bins() }),
            latency: self.latency.map(|(r, w)| Latency { read: r.summary(), write: w.summary() }),
            timeline,
            call_time: self.call_time.map(|m| {
                let mut list: Vec<CallKindTime> = m
                    .into_iter()
                    .map(|(kind, (calls, failed, total_seconds))| CallKindTime {
                        kind,
                        calls,
                        failed,
                        total_seconds,
                        mean_seconds: (calls + failed > 0).then(|| total_seconds / (calls + failed) as f64),
                        p99_seconds: None,
                        share_of_elapsed: elapsed_s.filter(|e| *e > 0.0).map(|e| total_seconds / e),
                    })
                    .collect();
                list.sort_by(|a, b| b.total_seconds.total_cmp(&a.total_seconds).then((a.kind as u8).cmp(&(b.kind as u8))));
                list
            }),
            mappings: self.mappings.map(|m| {
                let mut list: Vec<Mapping> = m
                    .into_iter()
                    .map(|((path, kind, prot, shared, exec), (maps, bytes))| Mapping { path, kind, maps, bytes, prot, shared, exec, before_window: None })
                    .collect();
                list.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
                list
            }),
            heatmap,
            findings: Vec::new(),
            exit: None,
            host: None,
            rank: None,
            job_id: (self.job_ids.len() == 1).then(|| self.job_ids[0].clone()),
            started_at: self.span_ms.filter(|_| self.clocked).map(|(lo, _)| lo),
            ranks: Some(self.ranks),
            warnings,
            warning_codes,
        };
        // The job's findings first, then those its merged figures show (the
        // same rules as a single report's), less the small writes of a file
        // the job's shared-file finding already names.
        let mut report = report.with_findings();
        let shared: Vec<Option<String>> = job.iter().filter(|f| f.code == "shared-file-small-writes").map(|f| f.file.clone()).collect();
        report.findings.retain(|f| !(f.code == "tiny-writes" && shared.contains(&f.file)));
        report.findings.splice(0..0, job);
        Ok(report)
    }
}

/// The median of ascending `sorted` (not empty): its middle value, or the
/// mean of its two middle values for an even count.
fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A job with fewer processes than this has no "one rank does most" or "straggler" finding.
const MIN_RANKS: usize = 3;
/// Processes writing one file small blocks that make "many ranks on one file".
const MANY_WRITERS: u32 = 4;
/// Small writes to a shared file before they are "many".
const MANY_SMALL_WRITES: u64 = 100;

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn who(r: &RankRow) -> String {
    match (r.rank, &r.host) {
        (Some(rank), _) => format!("rank {rank}"),
        (None, Some(host)) => format!("{} on {host}", r.file),
        _ => r.file.clone(),
    }
}

/// What the job as a whole shows: one process doing most of the I/O;
/// many processes writing one file in small blocks; a straggler.
fn job_findings(ranks: &[RankRow], files: Option<&[FileReport]>) -> Vec<Finding> {
    let mut out = Vec::new();
    let bytes = |r: &RankRow| r.read_bytes.saturating_add(r.write_bytes);
    let total: u64 = ranks.iter().map(bytes).sum();
    if ranks.len() >= MIN_RANKS && total > 0 {
        let top = ranks.iter().max_by_key(|r| bytes(r)).expect("ranks");
        let share = bytes(top) as f64 / total as f64;
        if share >= 0.5 {
            out.push(Finding {
                code: "one-rank-most-io".into(),
                severity: Severity::Warn,
                text: format!(
                    "{} moved {:.0}% of the job's bytes ({} of {} bytes, {} processes)",
                    who(top),
                    share * 100.0,
                    thousands(bytes(top)),
                    thousands(total),
                    ranks.len()
                ),
                advice: "The other processes wait on it: spread the I/O over the ranks (collective or per-rank files), or give this rank less to write.".into(),
                file: None,
                numbers: [("share".to_string(), share), ("bytes".into(), bytes(top) as f64), ("totalBytes".into(), total as f64), ("processes".into(), ranks.len() as f64)]
                    .into_iter()
                    .chain(top.rank.map(|r| ("rank".to_string(), r as f64)))
                    .collect(),
            });
        }
    }
    for f in files.unwrap_or(&[]) {
        let (Some(processes), Some(w)) = (f.processes, f.write_access.as_ref()) else { continue };
        if !f.kind.is_storage() {
            continue;
        }
        if processes < MANY_WRITERS || w.small_ops < MANY_SMALL_WRITES || w.small_ops * 2 < f.write_ops {
            continue;
        }
        out.push(Finding {
            code: "shared-file-small-writes".into(),
            severity: Severity::Warn,
            text: format!(
                "{processes} processes wrote {} in {} writes, {} of them under 4 KiB (mean {} bytes)",
                f.path,
                thousands(f.write_ops),
                thousands(w.small_ops),
                thousands(f.write_bytes / f.write_ops.max(1))
            ),
            advice: "Small writes from many ranks to one file contend for its locks and stripes: gather them into large blocks (MPI-IO collective writes, a buffer per rank), or write a file per rank.".into(),
            file: Some(f.path.clone()),
            numbers: [("processes".to_string(), processes as f64), ("writeOps".into(), f.write_ops as f64), ("smallWrites".into(), w.small_ops as f64), ("writeBytes".into(), f.write_bytes as f64)]
                .into_iter()
                .collect(),
        });
        if out.len() >= 6 {
            break;
        }
    }
    let mut elapsed: Vec<f64> = ranks.iter().filter_map(|r| r.elapsed_seconds).collect();
    if ranks.len() >= MIN_RANKS && elapsed.len() == ranks.len() {
        elapsed.sort_by(f64::total_cmp);
        let median = median_of_sorted(&elapsed);
        let slow = ranks.iter().max_by(|a, b| a.elapsed_seconds.unwrap_or(0.0).total_cmp(&b.elapsed_seconds.unwrap_or(0.0))).expect("ranks");
        let longest = slow.elapsed_seconds.unwrap_or(0.0);
        // A second at least: shorter differences are start-up noise.
        if longest >= 1.5 * median && longest - median >= 1.0 {
            out.push(Finding {
                code: "straggler".into(),
                severity: Severity::Info,
                text: format!("{} ran {:.1} s, the median process {:.1} s: the job waits for it", who(slow), longest, median),
                advice: "See what it does differently in the per-process table (its I/O time, its bytes); a slow node or a larger share of the data are the usual causes.".into(),
                file: None,
                numbers: [("seconds".to_string(), longest), ("medianSeconds".into(), median)].into_iter().chain(slow.rank.map(|r| ("rank".to_string(), r as f64))).collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregator;
    use crate::event::{DataOp, Direction};

    /// A real report of `blocks` pwrite64s of `size` at `stride`, from `first`, as JSON with an origin.
    fn rank_report(rank: u32, start_ms: f64, shared_first: u64, size: u64) -> Value {
        let mut agg = Aggregator::new();
        let shared = agg.file("/scratch/shared.dat", FdKind::File);
        let own = agg.file(&format!("/scratch/rank{rank}.dat"), FdKind::File);
        for i in 0..4u64 {
            let op = |offset, start_ns| DataOp {
                syscall: Syscall::Pwrite64,
                direction: Direction::Write,
                bytes: size,
                start_ns,
                latency_ns: Some(1000 + rank as u64),
                offset: Some(offset),
            };
            agg.record_op(shared, &op(shared_first + i * 4 * size, i * 1_000_000));
            agg.record_op(own, &op(i * size, i * 1_000_000 + 500_000));
        }
        let ctx = ReportContext { method: Source::Ptrace, elapsed_ns: 5_000_000, pid: Some(100 + rank as i32), ..Default::default() };
        let mut v: Value = serde_json::from_str(&Report::from_aggregator(&agg, ctx).to_json()).unwrap();
        v["rank"] = rank.into();
        v["startedAt"] = start_ms.into();
        v["host"] = serde_json::json!({ "name": "node1", "platform": "linux", "release": "6", "arch": "x64" });
        v["jobId"] = "42".into();
        v
    }

    fn merged(reports: &[Value]) -> Report {
        let mut m = Merger::new();
        for (i, r) in reports.iter().enumerate() {
            m.add(&format!("r{i}.json"), r).unwrap();
        }
        m.finish().unwrap()
    }

    /// One write to `path` as an fd of `kind`, in a report of `all_fds`.
    fn one_write(rank: u32, path: &str, kind: FdKind, all_fds: bool) -> Value {
        let mut agg = Aggregator::new();
        let f = agg.file(path, kind);
        let op = DataOp { syscall: Syscall::Write, direction: Direction::Write, bytes: 10, start_ns: 0, latency_ns: Some(1000), offset: None };
        agg.record_op(f, &op);
        let ctx = ReportContext { method: Source::Ptrace, elapsed_ns: 5_000_000, pid: Some(100 + rank as i32), all_fds, ..Default::default() };
        let mut v: Value = serde_json::from_str(&Report::from_aggregator(&agg, ctx).to_json()).unwrap();
        v["rank"] = rank.into();
        v
    }

    /// The merged summary is the sum of the table's rows it counts (its storage rows, or every row with all_fds).
    fn assert_summary_is_the_tables(m: &Report) {
        let rows = m.files.as_ref().unwrap().iter().filter(|f| m.all_fds || f.kind.is_storage());
        let (w, wb) = rows.fold((0, 0), |(w, wb), f| (w + f.write_ops, wb + f.write_bytes));
        assert_eq!((m.summary.write_ops, m.summary.write_bytes), (w, wb));
    }

    #[test]
    fn one_path_of_two_kinds_is_two_rows_and_the_summary_is_the_tables_sum() {
        for all_fds in [false, true] {
            let m = merged(&[one_write(0, "/tmp/p", FdKind::Pipe, all_fds), one_write(1, "/tmp/p", FdKind::File, all_fds)]);
            let rows: Vec<(&str, FdKind, u64)> = m.files.as_ref().unwrap().iter().map(|f| (f.path.as_str(), f.kind, f.write_ops)).collect();
            assert_eq!(rows.len(), 2, "{rows:?}");
            assert!(rows.contains(&("/tmp/p", FdKind::Pipe, 1)) && rows.contains(&("/tmp/p", FdKind::File, 1)), "{rows:?}");
            assert_eq!(m.summary.write_ops, if all_fds { 2 } else { 1 });
            assert_summary_is_the_tables(&m);
        }
    }

    #[test]
    fn reports_with_and_without_all_fds_are_not_summed() {
        let mut m = Merger::new();
        m.add("a.json", &one_write(0, "/tmp/a", FdKind::File, true)).unwrap();
        let e = m.add("b.json", &one_write(1, "/tmp/b", FdKind::File, false)).unwrap_err();
        assert_eq!(e.0, "b.json counts files and block devices only but a.json every fd (--all-fds): merge reports made with the same --all-fds");
    }

    #[test]
    fn ranks_add_up_exactly_and_a_shared_file_is_one_row() {
        let reports: Vec<Value> = (0..4).map(|r| rank_report(r, 1000.0 + r as f64 * 2.0, r as u64 * 512, 512)).collect();
        let m = merged(&reports);
        assert_eq!((m.summary.write_ops, m.summary.write_bytes), (32, 32 * 512));
        let files = m.files.as_ref().unwrap();
        assert_eq!(files.len(), 5);
        let shared = files.iter().find(|f| f.path == "/scratch/shared.dat").unwrap();
        assert_eq!((shared.write_ops, shared.write_bytes, shared.processes), (16, 16 * 512, Some(4)));
        assert_eq!(shared.pattern, Pattern::Strided, "each rank writes every 4th block");
        assert_eq!(shared.write_access.as_ref().unwrap().stride_bytes, Some(2048));
        let ranks = m.ranks.as_ref().unwrap();
        assert_eq!(ranks.iter().map(|r| r.rank).collect::<Vec<_>>(), [Some(0), Some(1), Some(2), Some(3)]);
        assert!(ranks.iter().all(|r| r.write_ops == 8 && r.write_bytes == 4096));
        let hist = &m.histogram.as_ref().unwrap().write;
        assert_eq!((hist.len(), hist[0].count, hist[0].sum), (1, 32, 32 * 512));
        let lat = m.latency.as_ref().unwrap().write.as_ref().unwrap();
        assert_eq!((lat.count, lat.max_ns), (32, 1003));
        assert_eq!(lat.mean_ns, (8.0 * (1000.0 + 1001.0 + 1002.0 + 1003.0)) / 32.0);
        // Windows 2 ms apart, 5 ms each: the job spans 11 ms; the timeline holds every write.
        assert_eq!(m.started_at, Some(1000.0));
        assert!((m.elapsed_seconds.unwrap() - 0.011).abs() < 1e-9);
        let t = m.timeline.as_ref().unwrap();
        assert_eq!(t.points.iter().map(|p| p.write_ops).sum::<u64>(), 32);
        assert_eq!(t.points.iter().map(|p| p.write_ops).sum::<u64>(), 32);
        let h = m.heatmap.as_ref().expect("every input has a heatmap");
        assert_eq!(h.ops.len(), t.points.len(), "in the timeline's bins");
        assert_eq!(h.ops.iter().flatten().sum::<u64>(), 32);
        let b512 = h.size_bins.iter().position(|b| b.lo == 512).unwrap();
        assert_eq!(h.ops.iter().map(|row| row[b512]).sum::<u64>(), 32);
        assert_eq!(h.bytes.iter().map(|row| row[b512]).sum::<u64>(), 32 * 512);
        for (p, row) in t.points.iter().zip(&h.ops) {
            assert_eq!(p.read_ops + p.write_ops, row.iter().sum::<u64>(), "each time bin's sizes add up to its operations");
        }
        assert_eq!(m.job_id.as_deref(), Some("42"));
    }

    #[test]
    fn bad_inputs_get_one_line_naming_the_file() {
        let mut m = Merger::new();
        assert!(m.add_json("a.json", "{").unwrap_err().0.starts_with("a.json: not an iops report (not JSON"));
        assert_eq!(m.add_json("b.json", "{\"x\":1}").unwrap_err().0, "b.json: not an iops report (no version, method and summary)");
        let mut twice = Merger::new();
        let one = rank_report(0, 0.0, 0, 512);
        twice.add("a.json", &one).unwrap();
        assert_eq!(twice.add("copy.json", &one).unwrap_err().0, "copy.json is the same capture as a.json (host node1, pid 100, same start): give each report once");
        let mut newer = rank_report(0, 0.0, 0, 512);
        newer["version"] = 99.into();
        assert!(m.add("c.json", &newer).unwrap_err().0.contains("report version 99 is newer"));
        m.add("d.json", &rank_report(0, 0.0, 0, 512)).unwrap();
        let mut other = rank_report(1, 0.0, 0, 512);
        other["method"] = "ebpf".into();
        assert_eq!(m.add("e.json", &other).unwrap_err().0, "e.json is from ebpf but d.json from ptrace: merge reports of one source");
        assert!(Merger::new().finish().is_err());
    }

    #[test]
    fn a_figure_one_input_lacks_is_null_and_the_timeline_needs_every_start() {
        let a = rank_report(0, 10.0, 0, 512);
        let mut b = rank_report(1, 12.0, 0, 512);
        b["latency"] = Value::Null;
        b["startedAt"] = Value::Null;
        let m = merged(&[a, b]);
        assert!(m.latency.is_none() && m.timeline.is_none() && m.elapsed_seconds.is_none() && m.summary.iops.is_none());
        assert!(m.warning_codes.contains(&WarningCode::NoWallClock));
        assert_eq!(m.summary.write_ops, 16);
    }

    #[test]
    fn a_long_job_keeps_its_timeline_bounded() {
        let reports: Vec<Value> = (0..3).map(|r| rank_report(r, r as f64 * 60_000.0, 0, 512)).collect();
        let t = merged(&reports).timeline.unwrap();
        assert!(t.points.len() as i64 <= MAX_POINTS, "{}", t.points.len());
        assert_eq!(t.points.iter().map(|p| p.write_ops).sum::<u64>(), 24);
    }

    #[test]
    fn job_findings_name_the_busy_rank_and_the_hammered_file() {
        // 30 ranks, 4 writes of 512 bytes each to one file: 120 small writes by 30 processes.
        let mut reports: Vec<Value> = (0..30).map(|r| rank_report(r, 0.0, r as u64 * 512, 512)).collect();
        let m = merged(&reports);
        let codes: Vec<&str> = m.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["shared-file-small-writes"]);
        let f = &m.findings[0];
        assert_eq!(f.file.as_deref(), Some("/scratch/shared.dat"));
        assert_eq!((f.numbers["processes"], f.numbers["smallWrites"]), (30.0, 120.0));
        // One rank writing 1 MiB blocks: 8 MiB of the job's 8 MiB + 29 × 4 KiB.
        reports[7] = rank_report(7, 0.0, 0, 1 << 20);
        let m = merged(&reports[..4].iter().chain(&reports[7..8]).cloned().collect::<Vec<_>>());
        let busy = m.findings.iter().find(|f| f.code == "one-rank-most-io").expect("one-rank-most-io");
        assert_eq!(busy.numbers["rank"], 7.0);
        assert_eq!(busy.numbers["bytes"], (8u64 << 20) as f64);
        assert_eq!(busy.numbers["totalBytes"], ((8u64 << 20) + 4 * 4096) as f64);
        assert_eq!(busy.text, "rank 7 moved 100% of the job's bytes (8,388,608 of 8,404,992 bytes, 5 processes)");
    }

    #[test]
    fn a_process_that_runs_far_longer_than_the_median_is_a_straggler() {
        let mut reports: Vec<Value> = (0..3).map(|r| rank_report(r, 0.0, r as u64 * 512, 512)).collect();
        for (r, secs) in [1.0, 1.2, 3.5].into_iter().enumerate() {
            reports[r]["elapsedSeconds"] = secs.into();
        }
        let m = merged(&reports);
        let f = m.findings.iter().find(|f| f.code == "straggler").expect("straggler");
        assert_eq!((f.numbers["rank"], f.numbers["seconds"], f.numbers["medianSeconds"]), (2.0, 3.5, 1.2));
        assert_eq!(f.text, "rank 2 ran 3.5 s, the median process 1.2 s: the job waits for it");
        // Within a second of the median: start-up noise, not a straggler.
        reports[2]["elapsedSeconds"] = 2.0.into();
        assert!(merged(&reports).findings.iter().all(|f| f.code != "straggler"));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_its_two_middle_values() {
        assert_eq!(median_of_sorted(&[0.036, 4.02]), (0.036 + 4.02) / 2.0);
        assert_eq!(median_of_sorted(&[1.0, 1.0, 1.2, 9.0]), 1.1);
        assert_eq!(median_of_sorted(&[1.0, 1.2, 3.5]), 1.2);
        // Four processes, one far behind: the upper middle value (3.0) would hide it.
        let mut reports: Vec<Value> = (0..4).map(|r| rank_report(r, 0.0, r as u64 * 512, 512)).collect();
        for (r, secs) in [1.0, 1.0, 3.0, 6.0].into_iter().enumerate() {
            reports[r]["elapsedSeconds"] = secs.into();
        }
        let f = merged(&reports).findings.into_iter().find(|f| f.code == "straggler").expect("straggler");
        assert_eq!((f.numbers["seconds"], f.numbers["medianSeconds"]), (6.0, 2.0));
    }
}
