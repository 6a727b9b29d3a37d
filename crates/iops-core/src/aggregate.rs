//! Streaming aggregation: every event updates fixed-size counters and
//! histograms. Memory grows with the number of distinct files (and errno
//! names), never with the number of operations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::event::{CallKind, DataOp, Direction, FdKind, MapMode, MetaKind, OpenFlags, Syscall};
use crate::histogram::LogHistogram;
use crate::path_name::name_text;
use crate::pattern::AccessClassifier;
use crate::timeline::Timeline;

/// Index of a file in the aggregator's file table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId(u32);

/// One fd target and what was done to it; also its row in the report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileStats {
    /// The fd's target: a path in its text form (see `path_name`: bytes that
    /// are not UTF-8 as `\xNN`, a backslash as `\\`), or what stands for it
    /// (`socket:[123]`, `pipe:[45]`, ...).
    pub path: String,
    pub kind: FdKind,
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Access patterns of the reads and of the writes (the report shows
    /// their summaries).
    #[serde(skip)]
    pub read_access: AccessClassifier,
    #[serde(skip)]
    pub write_access: AccessClassifier,
    /// Nanoseconds in its timed data and sync calls.
    #[serde(skip)]
    pub busy_ns: u64,
    /// fsync, fdatasync and sync_file_range calls on it.
    #[serde(skip)]
    pub syncs: u64,
    /// The notable flags its opens carried (O_DIRECT, O_SYNC, O_DSYNC).
    #[serde(skip)]
    pub open_flags: OpenFlags,
}

/// Calls of one kind and their time (`Report::callTime`).
#[derive(Clone, Default)]
pub struct CallTime {
    pub calls: u64,
    pub failed: u64,
    /// Nanoseconds in the timed ones.
    pub total_ns: u64,
    /// Durations of the timed ones, nanoseconds.
    pub latency: LogHistogram,
}

impl CallTime {
    #[inline]
    fn record(&mut self, ok: bool, latency_ns: Option<u64>) {
        if ok {
            self.calls += 1;
        } else {
            self.failed += 1;
        }
        if let Some(ns) = latency_ns {
            self.total_ns = self.total_ns.saturating_add(ns);
            self.latency.record(ns);
        }
    }

    pub fn merge(&mut self, o: &CallTime) {
        self.calls += o.calls;
        self.failed += o.failed;
        self.total_ns = self.total_ns.saturating_add(o.total_ns);
        self.latency.merge(&o.latency);
    }
}

/// The mmaps of one file with one mode.
#[derive(Clone, Debug, PartialEq)]
pub struct MapStats {
    pub file: FileId,
    pub mode: MapMode,
    /// mmap calls; for a mapping made before the window, its regions.
    pub maps: u64,
    pub bytes: u64,
    /// Found in the process's mappings when the window opened on it
    /// running, not made by a call in the window.
    pub before_window: bool,
}

#[derive(Clone, Copy, Default, Debug)]
pub struct SyscallStats {
    pub calls: u64,
    pub bytes: u64,
    pub failed: u64,
}

/// Everything measured for one class of fds (storage, or everything else).
#[derive(Clone, Default)]
pub struct ScopeStats {
    pub read_sizes: LogHistogram,
    pub write_sizes: LogHistogram,
    pub read_latency: LogHistogram,
    pub write_latency: LogHistogram,
    pub timeline: Timeline,
    pub syscalls: [SyscallStats; Syscall::COUNT],
}

impl ScopeStats {
    pub fn merge(&mut self, o: &ScopeStats) {
        self.read_sizes.merge(&o.read_sizes);
        self.write_sizes.merge(&o.write_sizes);
        self.read_latency.merge(&o.read_latency);
        self.write_latency.merge(&o.write_latency);
        self.timeline.merge(&o.timeline);
        for (a, b) in self.syscalls.iter_mut().zip(o.syscalls.iter()) {
            a.calls += b.calls;
            a.bytes = a.bytes.saturating_add(b.bytes);
            a.failed += b.failed;
        }
    }
}

/// Live totals that another thread may read while a capture runs.
#[derive(Default, Debug)]
pub struct ProgressCounters {
    pub ops: AtomicU64,
    pub bytes: AtomicU64,
}

pub struct Aggregator {
    files: Vec<FileStats>,
    file_index: HashMap<String, FileId>,
    pub storage: ScopeStats,
    pub other: ScopeStats,
    failed_by_errno: Vec<(&'static str, u64)>,
    failed_total: u64,
    meta: [u64; MetaKind::COUNT],
    meta_failed: u64,
    call_time: Vec<CallTime>,
    /// Data calls on the other fds (sockets, pipes, ttys...), apart: a
    /// pipe's blocking read is no storage time (the report adds them under
    /// --all-fds, as it does their operations).
    other_call_time: Vec<CallTime>,
    maps: Vec<MapStats>,
    progress: Arc<ProgressCounters>,
}

impl Default for Aggregator {
    fn default() -> Self {
        Self::new()
    }
}

impl Aggregator {
    pub fn new() -> Self {
        Aggregator {
            files: Vec::new(),
            file_index: HashMap::new(),
            storage: ScopeStats::default(),
            other: ScopeStats::default(),
            failed_by_errno: Vec::new(),
            failed_total: 0,
            meta: [0; MetaKind::COUNT],
            meta_failed: 0,
            call_time: vec![CallTime::default(); CallKind::COUNT],
            other_call_time: vec![CallTime::default(); CallKind::COUNT],
            maps: Vec::new(),
            progress: Arc::new(ProgressCounters::default()),
        }
    }

    /// An aggregator that publishes its live totals to `progress`.
    pub fn with_progress(progress: Arc<ProgressCounters>) -> Self {
        Aggregator { progress, ..Self::new() }
    }

    pub fn progress(&self) -> Arc<ProgressCounters> {
        self.progress.clone()
    }

    /// The id of a file, adding it on first sight (the only time this
    /// allocates). A path keeps the kind it was first seen with.
    pub fn file(&mut self, path: &str, kind: FdKind) -> FileId {
        if let Some(id) = self.file_index.get(path) {
            return *id;
        }
        let id = FileId(self.files.len() as u32);
        self.files.push(FileStats {
            path: path.to_owned(),
            kind,
            read_ops: 0,
            write_ops: 0,
            read_bytes: 0,
            write_bytes: 0,
            read_access: AccessClassifier::default(),
            write_access: AccessClassifier::default(),
            busy_ns: 0,
            syncs: 0,
            open_flags: OpenFlags::default(),
        });
        self.file_index.insert(path.to_owned(), id);
        id
    }

    /// The id of the file named by the bytes `name` (a Linux or macOS path,
    /// which need not be UTF-8), under its text form (`path_name::name_text`):
    /// names that differ in any byte stay distinct files.
    pub fn file_named(&mut self, name: &[u8], kind: FdKind) -> FileId {
        self.file(&name_text(name), kind)
    }

    pub fn file_stats(&self, id: FileId) -> &FileStats {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> &[FileStats] {
        &self.files
    }

    /// One successful data transfer on `file`. A transfer call (sendfile,
    /// copy_file_range, splice) is two: a read of its source, then a write
    /// of its destination; its time counts once, with the read.
    #[inline]
    pub fn record_op(&mut self, file: FileId, op: &DataOp) {
        let transfer = op.syscall.direction().is_none();
        let storage = self.files[file.0 as usize].kind.is_storage();
        if !transfer || op.direction == Direction::Read {
            let times = if storage { &mut self.call_time } else { &mut self.other_call_time };
            times[op.syscall.kind() as usize].record(true, op.latency_ns);
        }
        let f = &mut self.files[file.0 as usize];
        if let Some(ns) = op.latency_ns {
            f.busy_ns = f.busy_ns.saturating_add(ns);
        }
        match op.direction {
            Direction::Read => {
                f.read_ops += 1;
                f.read_bytes = f.read_bytes.saturating_add(op.bytes);
                f.read_access.record(op.offset, op.bytes);
            }
            Direction::Write => {
                f.write_ops += 1;
                f.write_bytes = f.write_bytes.saturating_add(op.bytes);
                f.write_access.record(op.offset, op.bytes);
            }
        }
        let scope = if storage { &mut self.storage } else { &mut self.other };
        let (sizes, latency) = match op.direction {
            Direction::Read => {
                scope.timeline.record_read(op.start_ns, op.bytes);
                (&mut scope.read_sizes, &mut scope.read_latency)
            }
            Direction::Write => {
                scope.timeline.record_write(op.start_ns, op.bytes);
                (&mut scope.write_sizes, &mut scope.write_latency)
            }
        };
        sizes.record(op.bytes);
        if let Some(ns) = op.latency_ns {
            latency.record(ns);
        }
        // A transfer call (sendfile, ...) is recorded as a read of its source
        // and a write of its destination; the syscall table counts it once.
        if op.syscall.direction().is_some() || op.direction == Direction::Read {
            let s = &mut scope.syscalls[op.syscall as usize];
            s.calls += 1;
            s.bytes = s.bytes.saturating_add(op.bytes);
        }
        if storage {
            self.progress.ops.fetch_add(1, Ordering::Relaxed);
            self.progress.bytes.fetch_add(op.bytes, Ordering::Relaxed);
        }
    }

    /// A data call that failed: counted by errno, never as an operation.
    /// `storage` tells which scope's per-syscall table gets the failure;
    /// `latency_ns`, its duration when the source saw it.
    pub fn record_failure(&mut self, syscall: Syscall, errno_name: &'static str, storage: bool, latency_ns: Option<u64>) {
        let times = if storage { &mut self.call_time } else { &mut self.other_call_time };
        times[syscall.kind() as usize].record(false, latency_ns);
        self.failed_total += 1;
        match self.failed_by_errno.iter_mut().find(|(n, _)| *n == errno_name) {
            Some((_, c)) => *c += 1,
            None => self.failed_by_errno.push((errno_name, 1)),
        }
        let scope = if storage { &mut self.storage } else { &mut self.other };
        scope.syscalls[syscall as usize].failed += 1;
    }

    /// A metadata call (`ok`: it succeeded) and its duration when the
    /// source saw it.
    pub fn record_meta(&mut self, kind: MetaKind, ok: bool, latency_ns: Option<u64>) {
        self.record_call(kind.into(), ok, latency_ns);
        if ok {
            self.meta[kind as usize] += 1;
        } else {
            self.meta_failed += 1;
        }
    }

    /// A call of `kind` for where the time goes; the `record_*` above call
    /// it for theirs, a source calls it for the calls that are only timed
    /// (sync_file_range, msync, mkdir...).
    #[inline]
    pub fn record_call(&mut self, kind: CallKind, ok: bool, latency_ns: Option<u64>) {
        self.call_time[kind as usize].record(ok, latency_ns);
    }

    /// A sync call (fsync, fdatasync, sync_file_range) on `file`, and its
    /// duration when the source saw it: the file's syncs and time (its
    /// kind's count is `record_meta`'s or `record_call`'s).
    pub fn record_sync(&mut self, file: FileId, latency_ns: Option<u64>) {
        let f = &mut self.files[file.0 as usize];
        f.syncs += 1;
        if let Some(ns) = latency_ns {
            f.busy_ns = f.busy_ns.saturating_add(ns);
        }
    }

    /// An open of `file` carried `flags`.
    pub fn record_open_flags(&mut self, file: FileId, flags: OpenFlags) {
        let f = &mut self.files[file.0 as usize];
        f.open_flags = f.open_flags.union(flags);
    }

    /// A successful mmap of `bytes` of `file` with `mode`.
    pub fn record_mmap(&mut self, file: FileId, mode: MapMode, bytes: u64) {
        self.add_map(file, mode, bytes, false);
    }

    /// A region of `bytes` of `file` with `mode` that the process had
    /// mapped when the window opened on it running.
    pub fn record_mapped_before(&mut self, file: FileId, mode: MapMode, bytes: u64) {
        self.add_map(file, mode, bytes, true);
    }

    fn add_map(&mut self, file: FileId, mode: MapMode, bytes: u64, before_window: bool) {
        match self.maps.iter_mut().find(|m| m.file == file && m.mode == mode && m.before_window == before_window) {
            Some(m) => {
                m.maps += 1;
                m.bytes = m.bytes.saturating_add(bytes);
            }
            None => self.maps.push(MapStats { file, mode, maps: 1, bytes, before_window }),
        }
    }

    /// Calls of `kind` and their time: data calls on files and block
    /// devices, and every metadata and sync call.
    pub fn call_time(&self, kind: CallKind) -> &CallTime {
        &self.call_time[kind as usize]
    }

    /// Data calls of `kind` on the other fds (sockets, pipes, ttys...) and their time.
    pub fn other_call_time(&self, kind: CallKind) -> &CallTime {
        &self.other_call_time[kind as usize]
    }

    /// The files mapped with mmap, per file and mode.
    pub fn maps(&self) -> &[MapStats] {
        &self.maps
    }

    pub fn failed_total(&self) -> u64 {
        self.failed_total
    }

    pub fn failed_by_errno(&self) -> &[(&'static str, u64)] {
        &self.failed_by_errno
    }

    pub fn meta(&self, kind: MetaKind) -> u64 {
        self.meta[kind as usize]
    }

    pub fn meta_failed(&self) -> u64 {
        self.meta_failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Report, ReportContext};
    use crate::source::Source;

    fn op(direction: Direction, bytes: u64) -> DataOp {
        let syscall = if direction == Direction::Read { Syscall::Read } else { Syscall::Write };
        DataOp { syscall, direction, bytes, start_ns: 0, latency_ns: Some(1000), offset: None }
    }

    #[test]
    fn files_and_scopes_are_kept_apart() {
        let mut a = Aggregator::new();
        let f = a.file("/tmp/x", FdKind::File);
        let s = a.file("socket:[1]", FdKind::Socket);
        for _ in 0..1000 {
            a.record_op(f, &op(Direction::Write, 4096));
        }
        a.record_op(s, &op(Direction::Read, 10));
        assert_eq!(a.storage.write_sizes.count(), 1000);
        assert_eq!(a.storage.write_sizes.sum(), 4_096_000);
        assert_eq!(a.other.read_sizes.count(), 1);
        assert_eq!(a.file_stats(f).write_bytes, 4_096_000);
        assert_eq!(a.file("/tmp/x", FdKind::File), f);
        assert_eq!(a.progress().ops.load(Ordering::Relaxed), 1000);
    }

    #[test]
    fn failures_are_not_operations() {
        let mut a = Aggregator::new();
        a.record_failure(Syscall::Read, "EBADF", true, None);
        a.record_failure(Syscall::Read, "EBADF", true, Some(10));
        a.record_failure(Syscall::Write, "EAGAIN", false, None);
        assert_eq!(a.failed_total(), 3);
        assert_eq!(a.failed_by_errno(), &[("EBADF", 2), ("EAGAIN", 1)]);
        assert_eq!(a.storage.read_sizes.count(), 0);
        let r = a.call_time(CallKind::Read);
        assert_eq!((r.calls, r.failed, r.total_ns), (0, 2, 10), "failed calls are timed, not operations");
    }

    #[test]
    fn a_pipes_waits_are_not_storage_time() {
        let mut a = Aggregator::new();
        let (file, pipe) = (a.file("/data", FdKind::File), a.file("pipe:[7]", FdKind::Pipe));
        let read = |latency| DataOp { syscall: Syscall::Read, direction: Direction::Read, bytes: 10, start_ns: 0, latency_ns: Some(latency), offset: None };
        a.record_op(file, &read(2_000));
        a.record_op(pipe, &read(800_000_000));
        a.record_failure(Syscall::Read, "EAGAIN", false, Some(1_000));
        let r = a.call_time(CallKind::Read);
        assert_eq!((r.calls, r.failed, r.total_ns), (1, 0, 2_000), "only the file's read");
        let o = a.other_call_time(CallKind::Read);
        assert_eq!((o.calls, o.failed, o.total_ns), (1, 1, 800_001_000));
        let report = |all_fds| Report::from_aggregator(&a, ReportContext { method: Source::Ptrace, elapsed_ns: 1_000_000_000, all_fds, ..Default::default() });
        let reads = |r: &Report| r.call_time.as_ref().unwrap().iter().find(|c| c.kind == CallKind::Read).map(|c| (c.calls, c.failed, c.total_seconds));
        assert_eq!(reads(&report(false)), Some((1, 0, 2e-6)));
        assert_eq!(reads(&report(true)), Some((2, 1, 0.800003)), "--all-fds counts the pipe's reads, and their time");
    }

    #[test]
    fn each_kind_of_call_is_timed_and_a_transfer_once() {
        let mut a = Aggregator::new();
        let (src, dst) = (a.file("/in", FdKind::File), a.file("/out", FdKind::File));
        let sendfile = |direction| DataOp { syscall: Syscall::Sendfile, direction, bytes: 100, start_ns: 0, latency_ns: Some(7000), offset: None };
        a.record_op(src, &sendfile(Direction::Read));
        a.record_op(dst, &sendfile(Direction::Write));
        a.record_op(dst, &op(Direction::Write, 10));
        a.record_meta(MetaKind::Fsync, true, Some(5_000_000));
        a.record_sync(dst, Some(5_000_000));
        a.record_meta(MetaKind::Unlink, false, Some(300));
        a.record_call(CallKind::Sync, true, Some(1_000_000));
        let t = a.call_time(CallKind::Transfer);
        assert_eq!((t.calls, t.total_ns), (1, 7000), "one sendfile, timed once");
        assert_eq!(a.call_time(CallKind::Write).calls, 1);
        let s = a.call_time(CallKind::Sync);
        assert_eq!((s.calls, s.total_ns), (2, 6_000_000));
        assert_eq!(a.call_time(CallKind::OtherMetadata).failed, 1);
        let d = a.file_stats(dst);
        assert_eq!((d.syncs, d.busy_ns), (1, 7000 + 1000 + 5_000_000));
        assert_eq!(a.file_stats(src).busy_ns, 7000);
    }

    /// A garbled log can claim byte counts no kernel returns (a real call
    /// moves < 2^31 bytes): totals saturate rather than wrap or panic.
    #[test]
    fn absurd_byte_counts_saturate() {
        let mut a = Aggregator::new();
        let f = a.file("/tmp/x", FdKind::File);
        a.record_op(f, &op(Direction::Read, 1 << 63));
        a.record_op(f, &op(Direction::Read, 1 << 63));
        a.record_op(f, &op(Direction::Write, u64::MAX));
        assert_eq!(a.file_stats(f).read_ops, 2);
        assert_eq!(a.file_stats(f).read_bytes, u64::MAX);
        let report = crate::Report::from_aggregator(&a, crate::ReportContext::default());
        assert_eq!(report.summary.read_bytes, u64::MAX);
        assert_eq!(report.summary.total_bytes, u64::MAX);
    }
}

#[cfg(test)]
mod bounded_memory {
    use super::*;

    /// Ten million operations leave the aggregator the size it was after a
    /// thousand: counters and fixed bins, no per-operation records.
    #[test]
    fn ten_million_operations_in_fixed_memory() {
        let mut a = Aggregator::new();
        let f = a.file("/data/big", FdKind::File);
        for i in 0..10_000_000u64 {
            let bytes = 512 << (i % 5);
            let op = DataOp { syscall: Syscall::Pwrite64, direction: Direction::Write, bytes, start_ns: i * 1_000, latency_ns: Some(900 + i % 300), offset: None };
            a.record_op(f, &op);
        }
        assert_eq!(a.storage.write_sizes.count(), 10_000_000);
        assert_eq!(a.storage.write_sizes.bins().len(), 5);
        assert!(a.storage.timeline.buckets().len() <= 1024);
        assert_eq!(a.files().len(), 1);
    }
}
