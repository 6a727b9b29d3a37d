//! Findings: what a report's figures show that a reader can act on, each
//! with the numbers that show it and advice that fits. One job: a report →
//! its findings, which the report builders put in `Report.findings`
//! (`Report::with_findings`, here), so
//! `--json`, `profile()`, `iops report` and every front end carry the same.
//!
//! They read the `Report` itself. A report saved by an older release,
//! without the newer figures (time per call kind, mappings, a file's syncs
//! and open flags), reads as one whose source saw none of them
//! (`Report::from_json`) and gets the findings its figures allow, by the
//! same code (`of_json`).
//!
//! None when the evidence is thin: a wrong finding is worse than none. Each
//! rule needs enough calls (`MANY`, `MIN_SYNCS`) and a clear majority, and
//! leaves out what is not the program's own doing: the dynamic loader's
//! reads of the shared libraries of every exec.

mod words;

use std::collections::BTreeMap;

use crate::event::{CallKind, FdKind};
use crate::pattern::AccessSummary;
use crate::report::{FileReport, Report, Totals};
pub use crate::report::{Finding, Severity};

/// Below this many operations (or files, or timed calls), nothing is "many".
pub const MANY: u64 = 100;
/// "Small" operations move less than a page (the core counts them per file).
pub const SMALL_BYTES: u64 = crate::pattern::SMALL_OP_BYTES;
/// A file gets "many small writes" when at least this share of them is small.
pub const SMALL_WRITE_SHARE: f64 = 0.8;
/// Files read or written of this mean size or more are not "small files".
pub const SMALL_FILE_BYTES: u64 = 64 * 1024;
/// Fewer syncs than this are never "heavy", whatever they cost.
pub const MIN_SYNCS: u64 = 10;
/// A sync after this many writes or fewer, on average, makes each
/// transaction-like group (the writes between two syncs) small ...
pub const WRITES_PER_SYNC: f64 = 16.0;
/// ... if those writes also moved less than this, on average (over it, no
/// sync finding at all).
pub const BYTES_PER_SYNC: f64 = 1024.0 * 1024.0;
/// Sync calls taking this share of the run or more make syncing heavy
/// whatever the number of writes per sync (their bytes still under
/// `BYTES_PER_SYNC`).
pub const SYNC_SHARE: f64 = 0.2;
/// Metadata calls (opens, stats, directory reads, unlinks, renames, failed
/// look-ups) dominate by count when at least this many ...
pub const METADATA_CALLS: u64 = 1000;
/// ... and this many times the data calls.
pub const METADATA_PER_DATA_CALL: u64 = 4;
/// Metadata calls dominate by time when they take this share of the run
/// and more time than the data calls.
pub const METADATA_SHARE: f64 = 0.25;
/// A file mapped for less than this is not worth a finding (the
/// `mmap-not-counted` warning still names the mappings).
pub const MAPPED_BYTES: u64 = 1024 * 1024;
/// Per-file findings of one kind listed at most (the busiest first).
pub const MAX_PER_KIND: usize = 5;

impl Report {
    /// The report with its findings (`of_report`), drawn from its figures
    /// as they are. The builders end with it; code that changes a built
    /// report's figures calls it again.
    pub fn with_findings(mut self) -> Report {
        self.findings = of_report(&self);
        self
    }
}

/// The findings of a saved report's JSON (one written by any release:
/// `Report::from_json`); an error when it is not the JSON of a report.
pub fn of_json(json: &str) -> Result<Vec<Finding>, serde_json::Error> {
    Ok(of_report(&Report::from_json(json)?))
}

/// The findings of a report, most important first; empty when nothing
/// stands out or the source cannot see enough.
pub fn of_report(f: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    let small_files = many_small_files(f);
    out.extend(fsync_heavy(f));
    out.extend(per_file(f, synchronous_writes));
    // Many small files is why the look-ups dominate, when it applies: it
    // says so with their time instead.
    out.extend(metadata_heavy(f).filter(|_| small_files.is_none()));
    out.extend(per_file(f, |f, file| small_random(f, file, Op::Read)));
    out.extend(per_file(f, |f, file| small_random(f, file, Op::Write)));
    out.extend(per_file(f, small_writes));
    out.extend(per_file(f, rereads));
    out.extend(small_files);
    out.extend(per_file(f, direct_io));
    out.extend(mapped_files(f));
    if let Some(window) = watched_window(f) {
        for x in &mut out {
            let text = x.text.strip_suffix('.').unwrap_or(&x.text);
            x.text = format!("{text} ({window}).");
        }
    }
    out
}

/// For a live source attached to a running process (`iops -p`, a
/// `profile()` window: no command of ours), the window the figures cover,
/// in words: what the process did before or after is not in them.
fn watched_window(f: &Report) -> Option<String> {
    // Not a saved log (strace-log; fs_usage, live or a log, cannot tell).
    use crate::source::Source::*;
    let live = matches!(f.method, Ptrace | Ebpf | Strace | Etw | ProcIo | IoCounters | Rusage);
    if f.command.is_some() || !live {
        return None;
    }
    Some(match elapsed(f) {
        Some(s) => format!("in the {} watched", words::seconds(s)),
        None => "in the window watched".to_owned(),
    })
}

/// A finding's numbers from (name, value) pairs; names carry their unit.
fn numbers<const N: usize>(pairs: [(&str, f64); N]) -> BTreeMap<String, f64> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn finding(code: &str, severity: Severity, text: String, advice: &str, file: Option<&str>, numbers: BTreeMap<String, f64>) -> Finding {
    Finding { code: code.to_owned(), severity, text, advice: advice.to_owned(), file: file.map(str::to_owned), numbers }
}

/// `rule` over the storage files that are the program's own (not a
/// library the loader read), busiest first as the report lists them, at
/// most `MAX_PER_KIND` findings; the last one listed says how many more
/// files had the same (its text, and `numbers.moreFiles`).
fn per_file(f: &Report, rule: impl Fn(&Report, &FileReport) -> Option<Finding>) -> Vec<Finding> {
    let mut found = storage_files(f).filter(|file| !loaded_library(f, &file.path)).filter_map(|file| rule(f, file));
    let mut listed: Vec<Finding> = found.by_ref().take(MAX_PER_KIND).collect();
    let more = found.count();
    if more > 0 {
        if let Some(last) = listed.last_mut() {
            last.text.push_str(&format!(" (and {more} more {} like it, not listed)", if more == 1 { "file" } else { "files" }));
            last.numbers.insert("moreFiles".into(), more as f64);
        }
    }
    listed
}

/// The program's run time the shares are of: the window's elapsed seconds.
fn elapsed(f: &Report) -> Option<f64> {
    f.elapsed_seconds.filter(|&e| e > 0.0)
}

/// The summary's totals; None when the source cannot count operations.
fn counted(f: &Report) -> Option<&Totals> {
    (!f.summary.unmeasured).then_some(&f.summary)
}

/// Seconds in calls of the given kinds, and the calls timed (failed ones
/// included); None without call durations.
fn time_in(f: &Report, kinds: &[CallKind]) -> Option<(f64, u64)> {
    let ct = f.call_time.as_ref()?;
    Some(ct.iter().filter(|c| kinds.contains(&c.kind)).fold((0.0, 0), |(s, n), c| (s + c.total_seconds, n + c.calls + c.failed)))
}

/// The storage files (regular files and block devices) with operations.
fn storage_files(f: &Report) -> impl Iterator<Item = &FileReport> {
    f.files.iter().flatten().filter(|x| x.kind.is_storage())
}

fn has_flag(file: &FileReport, flag: &str) -> bool {
    file.open_flags.iter().any(|f| f == flag)
}

// ------------------------------------------------------------------ syncs

/// Syncs (fsync, fdatasync...) that each cover little work (under 1 MiB
/// written), and either few writes or a large share of the run. Each
/// waits for the device; a transaction-like group of a few writes per sync
/// (an SQLite transaction: rollback journal or WAL) pays that wait for a
/// few KiB.
fn fsync_heavy(f: &Report) -> Option<Finding> {
    let sync_time = time_in(f, &[CallKind::Sync]);
    // callTime's sync kind also holds sync_file_range, sync, syncfs, msync.
    let timed_syncs = f.call_time.iter().flatten().filter(|c| c.kind == CallKind::Sync).map(|c| c.calls).sum::<u64>();
    let syncs = timed_syncs.max(f.metadata_ops.as_ref()?.fsyncs);
    let summary = counted(f)?;
    let writes = summary.write_ops;
    if syncs < MIN_SYNCS {
        return None;
    }
    let write_bytes = summary.write_bytes as f64;
    let writes_per_sync = writes as f64 / syncs as f64;
    let bytes_per_sync = write_bytes / syncs as f64;
    let share = sync_time.zip(elapsed(f)).map(|((s, _), e)| s / e);
    // A sync costs the device a flush whatever it covers: heavy when each
    // covers little, by count or by the time they take. Syncs of many MiB
    // each are the write-back of those bytes, which fewer syncs would not spare.
    let few_writes = writes > 0 && writes_per_sync <= WRITES_PER_SYNC;
    let much_time = share.is_some_and(|s| s >= SYNC_SHARE);
    if bytes_per_sync >= BYTES_PER_SYNC || !(few_writes || much_time) {
        return None;
    }
    let per = match words::ratio(writes_per_sync).as_str() {
        "1" => "write".to_owned(),
        r => format!("{r} writes"),
    };
    let mut text = format!(
        "Heavy syncing: {} for {} (one per {per}, {} written per sync)",
        words::counted(syncs, "sync"),
        words::counted(writes, "write"),
        words::bytes(bytes_per_sync)
    );
    let mut n = numbers([("syncs", syncs as f64), ("writes", writes as f64), ("writesPerSync", writes_per_sync), ("bytesPerSync", bytes_per_sync)]);
    if let Some((seconds, _)) = sync_time {
        text += &format!("; {} in sync calls", words::seconds(seconds));
        n.insert("syncSeconds".into(), seconds);
        if let Some(share) = share {
            text += &format!(", {} of the run", words::percent(share, 1.0));
            n.insert("syncShareOfElapsed".into(), share);
        }
    }
    let busiest = f.files.iter().flatten().filter(|x| x.syncs > 0).max_by_key(|x| x.syncs);
    if let Some(file) = busiest {
        text += &format!("; most on {} ({})", file.path, words::count(file.syncs));
    }
    text += ". Each sync waits for the device.";
    Some(finding(
        "fsync-heavy",
        Severity::Warn,
        text,
        "Let each sync cover more work: group the writes into fewer transactions or batches (in SQLite, many statements per BEGIN ... COMMIT; \
         in WAL mode PRAGMA synchronous=NORMAL), unless every single write must be durable on its own.",
        busiest.map(|x| x.path.as_str()),
        n,
    ))
}

/// A file opened O_SYNC or O_DSYNC: every write to it waits for the device.
fn synchronous_writes(_: &Report, file: &FileReport) -> Option<Finding> {
    let flag = ["O_SYNC", "O_DSYNC"].into_iter().find(|fl| has_flag(file, fl))?;
    if file.write_ops < MIN_SYNCS {
        return None;
    }
    Some(finding(
        "synchronous-writes",
        Severity::Warn,
        format!(
            "Every write to {} waits for the device (opened {flag}): {}, mean {}.",
            file.path,
            words::counted(file.write_ops, "write"),
            words::bytes(file.write_bytes as f64 / file.write_ops as f64)
        ),
        "Open it without O_SYNC/O_DSYNC and sync once per batch, unless every single write must be durable on its own.",
        Some(&file.path),
        numbers([("writes", file.write_ops as f64), ("writeBytes", file.write_bytes as f64)]),
    ))
}

// ------------------------------------------------------------------ metadata

/// The call kinds (`callTime`) of metadata: looking names up, opening and
/// closing, listing, unlinking and renaming.
const METADATA_KINDS: [CallKind; 5] = [CallKind::Open, CallKind::Stat, CallKind::Getdents, CallKind::Close, CallKind::OtherMetadata];

/// Opens, stats and directory reads that outnumber the data calls many
/// times over, or that take a large share of the run and more time than
/// the data calls.
fn metadata_heavy(f: &Report) -> Option<Finding> {
    let m = f.metadata_ops.as_ref()?;
    let calls = m.opens + m.stats + m.getdents + m.unlinks + m.renames + m.failed;
    let data = counted(f).map_or(0, |s| s.read_ops + s.write_ops);
    let meta_time = time_in(f, &METADATA_KINDS);
    let data_time = time_in(f, &[CallKind::Read, CallKind::Write, CallKind::Sync, CallKind::Transfer]);
    let share = meta_time.zip(elapsed(f)).map(|((s, _), e)| s / e);
    let by_count = calls >= METADATA_CALLS && calls >= METADATA_PER_DATA_CALL * data;
    let by_time = calls >= MANY
        && share.is_some_and(|s| s >= METADATA_SHARE)
        && meta_time.zip(data_time).is_some_and(|((meta, _), (data, _))| meta >= data);
    if !by_count && !by_time {
        return None;
    }
    let mut parts = [(m.stats, "stat"), (m.opens, "open"), (m.getdents, "directory read"), (m.unlinks, "unlink"), (m.renames, "rename")];
    parts.sort_by_key(|p| std::cmp::Reverse(p.0));
    let listed: Vec<String> = parts.iter().filter(|p| p.0 > 0).map(|&(n, what)| words::counted(n, what)).collect();
    let mut text = format!("Metadata calls dominate: {}", listed.join(", "));
    if m.failed > 0 {
        text += &format!(" (and {} failed)", words::count(m.failed));
    }
    text += &format!(" against {} (reads and writes)", words::counted(data, "data call"));
    let mut n = numbers([("metadataCalls", calls as f64), ("dataCalls", data as f64), ("failed", m.failed as f64)]);
    if let (Some((seconds, _)), Some(share)) = (meta_time, share) {
        text += &format!("; {} in them, {} of the run", words::seconds(seconds), words::percent(share, 1.0));
        n.insert("metadataSeconds".into(), seconds);
        n.insert("metadataShareOfElapsed".into(), share);
    }
    text += ".";
    Some(finding(
        "metadata-heavy",
        Severity::Warn,
        text,
        "Look names up once: keep what stat and open returned, list a directory once instead of probing for names, and keep files that are used again open.",
        None,
        n,
    ))
}

// ------------------------------------------------------------------ sizes and patterns

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Read,
    Write,
}

/// Many operations on one file, most of them at random offsets and small.
fn small_random(_: &Report, file: &FileReport, op: Op) -> Option<Finding> {
    let (access, ops, bytes, what) = match op {
        Op::Read => (file.read_access.as_ref()?, file.read_ops, file.read_bytes, "reads"),
        Op::Write => (file.write_access.as_ref()?, file.write_ops, file.write_bytes, "writes"),
    };
    if !is_small_random(access, ops) {
        return None;
    }
    let known = classified(access);
    Some(finding(
        if op == Op::Read { "small-random-reads" } else { "small-random-writes" },
        Severity::Warn,
        format!(
            "Many small random {what} on {}: {} {what}, {} at random offsets, {} under 4 KiB (mean {}).",
            file.path,
            words::count(ops),
            words::percent(access.random_ops as f64, known as f64),
            words::percent(access.small_ops as f64, ops as f64),
            words::bytes((bytes as f64 / ops as f64).round())
        ),
        if op == Op::Read {
            "Read larger contiguous blocks, sort the accesses by offset, or load the file into memory once."
        } else {
            "Collect the records and write them in larger, ordered blocks."
        },
        Some(&file.path),
        numbers([("ops", ops as f64), ("randomOps", access.random_ops as f64), ("smallOps", access.small_ops as f64), ("bytes", bytes as f64)]),
    ))
}

/// Operations whose offset was known and so classified.
fn classified(a: &AccessSummary) -> u64 {
    a.sequential_ops + a.strided_ops + a.random_ops
}

fn is_small_random(a: &AccessSummary, ops: u64) -> bool {
    let known = classified(a);
    ops >= MANY && known > 0 && a.random_ops * 2 >= known && a.small_ops * 2 >= ops
}

/// Many writes to one file, nearly all small: each call moves a few bytes
/// that a buffer would have gathered. A file that gets one or a few writes
/// is not this (many such files are `many-small-files`); small writes at
/// random offsets are `small-random-writes`; a file synced every few
/// writes is `fsync-heavy`.
fn small_writes(_: &Report, file: &FileReport) -> Option<Finding> {
    let ops = file.write_ops;
    if ops < MANY || file.write_access.as_ref().is_some_and(|a| is_small_random(a, ops)) {
        return None;
    }
    // Synced every few writes: a durability log (a database journal) whose
    // small writes are each meant to reach the device; syncing is the
    // finding there (`fsync-heavy`), and buffering would not help.
    if file.syncs as f64 * WRITES_PER_SYNC >= ops as f64 {
        return None;
    }
    let mean = file.write_bytes as f64 / ops as f64;
    // A report older than the per-file counts of small operations: its mean.
    let small = match &file.write_access {
        Some(a) => a.small_ops,
        None if mean < 1024.0 => ops,
        None => 0,
    };
    if (small as f64) < SMALL_WRITE_SHARE * ops as f64 {
        return None;
    }
    Some(finding(
        "tiny-writes",
        Severity::Warn,
        format!(
            "Many small writes to {}: {}, {} under 4 KiB (mean {}).",
            file.path,
            words::counted(ops, "write"),
            words::percent(small as f64, ops as f64),
            words::bytes(mean.round())
        ),
        "Buffer the output (a write stream, BufWriter, a larger chunk size) so each call moves many KiB.",
        Some(&file.path),
        numbers([("writes", ops as f64), ("smallWrites", small as f64), ("writeBytes", file.write_bytes as f64)]),
    ))
}

/// Many reads of one file that read again the range the previous one had
/// just read (a header or record read at every turn instead of kept).
fn rereads(_: &Report, file: &FileReport) -> Option<Finding> {
    let repeated = file.repeated_reads;
    if repeated < MANY || repeated * 2 < file.read_ops {
        return None;
    }
    Some(finding(
        "rereads",
        Severity::Info,
        format!(
            "The same range of {} read again and again: {} of its {} started where the previous read had started (mean read {}).",
            file.path,
            words::count(repeated),
            words::counted(file.read_ops, "read"),
            words::bytes((file.read_bytes as f64 / file.read_ops as f64).round())
        ),
        "Keep what was read in memory and read it again only when it may have changed (a database re-reads its header at each transaction: \
         fewer, larger transactions read it less).",
        Some(&file.path),
        numbers([("repeatedReads", repeated as f64), ("reads", file.read_ops as f64), ("readBytes", file.read_bytes as f64)]),
    ))
}

/// Many regular files, each read or written little: the cost is in opening
/// and finding them, not in the bytes.
fn many_small_files(f: &Report) -> Option<Finding> {
    let own: Vec<&FileReport> = storage_files(f).filter(|x| x.kind == FdKind::File && !loaded_library(f, &x.path)).collect();
    let count = own.len() as u64;
    if count < MANY {
        return None;
    }
    let bytes: u64 = own.iter().map(|x| x.read_bytes.saturating_add(x.write_bytes)).fold(0, u64::saturating_add);
    let ops: u64 = own.iter().map(|x| x.read_ops + x.write_ops).sum();
    let mean = bytes as f64 / count as f64;
    if mean >= SMALL_FILE_BYTES as f64 {
        return None;
    }
    let per_file = words::ratio(ops as f64 / count as f64);
    let operations = if per_file == "1" { "operation" } else { "operations" };
    let opens = f.metadata_ops.as_ref().map(|m| format!("{}, ", words::counted(m.opens, "open"))).unwrap_or_default();
    let mut text = format!(
        "Many small files: {opens}{} read or written, mean {} and {per_file} {operations} per file",
        words::counted(count, "file"),
        words::bytes(mean.round())
    );
    let mut n = numbers([("files", count as f64), ("bytes", bytes as f64), ("ops", ops as f64)]);
    // Where their cost goes: finding, opening and closing them.
    if let (Some((seconds, _)), Some(e)) = (time_in(f, &METADATA_KINDS), elapsed(f)) {
        text += &format!("; {} in metadata calls, {} of the run", words::seconds(seconds), words::percent(seconds, e));
        n.insert("metadataSeconds".into(), seconds);
        n.insert("metadataShareOfElapsed".into(), seconds / e);
    }
    text += ".";
    Some(finding(
        "many-small-files",
        Severity::Warn,
        text,
        "Pack small records into fewer, larger files (an archive, a table format, one file per batch).",
        None,
        n,
    ))
}

// ------------------------------------------------------------------ what syscalls do not show

/// A file opened O_DIRECT: its reads and writes bypass the page cache.
fn direct_io(_: &Report, file: &FileReport) -> Option<Finding> {
    if !has_flag(file, "O_DIRECT") {
        return None;
    }
    let ops = file.read_ops + file.write_ops;
    let bytes = file.read_bytes.saturating_add(file.write_bytes);
    let mean = bytes as f64 / ops.max(1) as f64;
    let small = mean < SMALL_FILE_BYTES as f64;
    Some(finding(
        "direct-io",
        Severity::Info,
        format!(
            "{} was opened O_DIRECT: its {} (mean {}) bypassed the page cache, each one going to the device.",
            file.path,
            match (file.read_ops, file.write_ops) {
                (r, 0) => words::counted(r, "read"),
                (0, w) => words::counted(w, "write"),
                (r, w) => format!("{} and {}", words::counted(r, "read"), words::counted(w, "write")),
            },
            words::bytes(mean.round())
        ),
        if small {
            "Direct I/O in blocks this small waits on the device each time: use larger aligned blocks, or drop O_DIRECT and let the page cache merge them."
        } else {
            "Expected from a program that keeps its own cache (a database) or measures the device (a benchmark)."
        },
        Some(&file.path),
        numbers([("ops", ops as f64), ("bytes", bytes as f64)]),
    ))
}

/// A data file mapped with mmap: what the program reads or writes through
/// the mapping is page faults, which no syscall count shows.
fn mapped_files(f: &Report) -> Vec<Finding> {
    let Some(maps) = &f.mappings else { return Vec::new() };
    let mut by_path: Vec<(&str, u64, &str, bool)> = Vec::new();
    for m in maps.iter().filter(|m| !m.exec && m.kind == FdKind::File && !system_file(&m.path)) {
        match by_path.iter_mut().find(|x| x.0 == m.path) {
            Some(x) => x.1 = x.1.saturating_add(m.bytes),
            None => by_path.push((&m.path, m.bytes, &m.prot, m.shared)),
        }
    }
    by_path
        .into_iter()
        .filter(|x| x.1 >= MAPPED_BYTES)
        .take(MAX_PER_KIND)
        .map(|(path, bytes, prot, shared)| {
            let mut text = format!(
                "{path} is mapped with mmap ({}, {}{}): what the program reads or writes through the mapping is page faults, not counted as operations",
                words::bytes(bytes as f64),
                if prot.is_empty() { "no access" } else { prot },
                if shared { ", shared" } else { "" }
            );
            let mut n = numbers([("bytesMapped", bytes as f64)]);
            if let Some(s) = &f.storage {
                text += &format!("; storage level: {} read, {} written", words::bytes(s.read_bytes as f64), words::bytes(s.write_bytes as f64));
                n.insert("storageReadBytes".into(), s.read_bytes as f64);
                n.insert("storageWriteBytes".into(), s.write_bytes as f64);
            }
            text += ".";
            finding(
                "mapped-file",
                Severity::Info,
                text,
                "Judge its I/O by the storage-level bytes; to see it as operations, read it with read() or pread() instead.",
                Some(path),
                n,
            )
        })
        .collect()
}

// ------------------------------------------------------------------ whose I/O

/// A shared library the dynamic loader read (it reads each library's ELF
/// header at every exec, then maps it executable): known by its name
/// ("libc.so.6", "x.so", "libz.so.1.2.13") or by an executable mapping.
fn loaded_library(f: &Report, path: &str) -> bool {
    is_shared_library(path) || f.mappings.iter().flatten().any(|m| m.exec && m.path == path)
}

/// A file name of a shared library: ending ".so", or ".so." and a version
/// of digits and dots.
pub fn is_shared_library(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.match_indices(".so").any(|(i, _)| {
        let rest = &name[i + 3..];
        i > 0 && (rest.is_empty() || (rest.starts_with('.') && rest.len() > 1 && rest.bytes().all(|b| b == b'.' || b.is_ascii_digit())))
    })
}

/// A file of the system rather than the program's data: shared libraries,
/// and what lives under the system's own directories (the loader's cache,
/// locale archives, fonts...).
fn system_file(path: &str) -> bool {
    const DIRS: [&str; 7] = ["/usr/", "/lib/", "/lib64/", "/lib32/", "/etc/", "/System/", "/nix/store/"];
    is_shared_library(path) || DIRS.iter().any(|d| path.starts_with(d))
}

#[cfg(test)]
mod tests;
