//! Each rule at its threshold's edge: just below gives nothing, at or just
//! above gives the finding with its numbers.

use super::*;
use crate::pattern::Pattern;
use crate::report::{CallKindTime, Mapping, MetadataOps, StorageBytes};
use crate::{Aggregator, ReportContext, Source};

fn codes(f: &Report) -> Vec<String> {
    of_report(f).into_iter().map(|x| x.code).collect()
}

/// A report of no figures at all: none seen, none counted.
fn without_figures() -> Report {
    let mut r = Report::from_aggregator(&Aggregator::new(), ReportContext::default());
    r.summary.unmeasured = true;
    (r.elapsed_seconds, r.metadata_ops, r.files, r.call_time, r.mappings) = (None, None, None, None, None);
    r
}

/// A launched command's report of 1 s with these writes and syncs, its
/// files (none yet) seen, no call durations or mappings.
fn run(writes: u64, write_bytes: u64, fsyncs: u64) -> Report {
    Report {
        method: Source::Ptrace,
        command: Some(vec!["./app".into()]),
        elapsed_seconds: Some(1.0),
        summary: Totals::new(0, writes, 0, write_bytes, 1.0),
        metadata_ops: Some(MetadataOps { fsyncs, ..Default::default() }),
        files: Some(Vec::new()),
        ..without_figures()
    }
}

/// Time per call kind ("sync", "write", ... as the report names them).
fn call_time(kinds: &[(&str, u64, f64)]) -> Option<Vec<CallKindTime>> {
    let kind = |k: &str| serde_json::from_value(serde_json::json!(k)).expect("a call kind");
    Some(
        kinds
            .iter()
            .map(|&(k, calls, s)| CallKindTime { kind: kind(k), calls, failed: 0, total_seconds: s, mean_seconds: None, p99_seconds: None, share_of_elapsed: None })
            .collect(),
    )
}

fn file(path: &str, reads: u64, writes: u64, bytes_each: u64) -> FileReport {
    FileReport {
        path: path.into(),
        kind: FdKind::File,
        read_ops: reads,
        write_ops: writes,
        read_bytes: reads * bytes_each,
        write_bytes: writes * bytes_each,
        pattern: Pattern::Unknown,
        small_ops: 0,
        read_access: None,
        write_access: None,
        processes: None,
        seconds: None,
        syncs: 0,
        open_flags: Vec::new(),
        repeated_reads: 0,
    }
}

fn access(sequential: u64, random: u64, small: u64) -> Option<AccessSummary> {
    Some(AccessSummary {
        pattern: Pattern::of(sequential, 0, random),
        sequential_ops: sequential,
        strided_ops: 0,
        random_ops: random,
        unknown_ops: 0,
        small_ops: small,
        stride_bytes: None,
    })
}

fn mapping(path: &str, bytes: u64, prot: &str, exec: bool) -> Mapping {
    Mapping { path: path.into(), kind: FdKind::File, maps: 1, bytes, prot: prot.into(), shared: false, exec, before_window: None }
}

// ------------------------------------------------------------------ syncs

#[test]
fn sqlite_rollback_journal_and_wal_are_both_fsync_heavy() {
    // The issue's two runs: 2,000 INSERTs each in its own transaction.
    let rollback = of_report(&run(20_034, 20_034 * 4096, 8_004));
    assert_eq!(rollback[0].code, "fsync-heavy");
    assert_eq!(
        rollback[0].text,
        "Heavy syncing: 8,004 syncs for 20,034 writes (one per 2.5 writes, 10 KiB written per sync). Each sync waits for the device."
    );
    assert_eq!(rollback[0].numbers["writesPerSync"], 20_034.0 / 8_004.0);
    assert_eq!(rollback[0].severity, Severity::Warn);
    assert_eq!(codes(&run(410, 410 * 4096, 204)), ["fsync-heavy"], "WAL: 204 syncs for 410 writes");
}

#[test]
fn fsync_heavy_by_group_size_at_its_edges() {
    assert_eq!(codes(&run(160, 160, 10)), ["fsync-heavy"], "16 writes per sync");
    assert!(codes(&run(161, 161, 10)).is_empty(), "16.1 writes per sync");
    assert!(codes(&run(90, 90, 9)).is_empty(), "9 syncs are never heavy");
    let mib = 1024 * 1024;
    assert_eq!(codes(&run(20, 10 * mib - 10, 10)), ["fsync-heavy"], "just under 1 MiB per sync");
    assert!(codes(&run(20, 10 * mib, 10)).is_empty(), "1 MiB per sync is a large group");
    assert!(codes(&run(0, 0, 50)).is_empty(), "syncs without writes, quickly done: nothing to group");
}

#[test]
fn fsync_heavy_by_time_at_its_edge_names_the_busiest_file() {
    let timed = |sync_s: f64| {
        let mut f = run(10_000, 10_000 * 100, 10);
        f.call_time = call_time(&[("write", 10_000, 0.1), ("sync", 10, sync_s)]);
        let mut journal = file("/db/x-journal", 0, 10_000, 100);
        journal.syncs = 10;
        f.files = Some(vec![file("/db/x", 0, 0, 0), journal]);
        f
    };
    // (Its 10,000 writes of 100 B are also many small writes: that finding too.)
    assert_eq!(codes(&timed(0.199)), ["tiny-writes"], "1,000 writes per sync in 19.9 % of the run");
    let found = of_report(&timed(0.2));
    assert_eq!(found.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["fsync-heavy", "tiny-writes"]);
    assert_eq!(
        found[0].text,
        "Heavy syncing: 10 syncs for 10,000 writes (one per 1,000 writes, 97.7 KiB written per sync); 0.200 s in sync calls, 20% of the run; \
         most on /db/x-journal (10). Each sync waits for the device."
    );
    assert_eq!(found[0].file.as_deref(), Some("/db/x-journal"));
    assert_eq!(found[0].numbers["syncShareOfElapsed"], 0.2);
    // Half the run in 10 syncs of 64 MiB each: the write-back of those
    // bytes, which fewer syncs would not spare.
    let mut big = run(1000, 10 * 64 * 1024 * 1024, 10);
    big.call_time = call_time(&[("write", 1000, 0.1), ("sync", 10, 0.5)]);
    assert!(codes(&big).is_empty());
}

#[test]
fn writes_opened_o_dsync_each_wait() {
    let with = |writes: u64, flag: &str| {
        let mut f = run(writes, writes * 512, 0);
        let mut x = file("/data/log", 0, writes, 512);
        x.open_flags = vec![flag.into()];
        f.files = Some(vec![x]);
        of_report(&f)
    };
    assert!(with(9, "O_DSYNC").is_empty());
    let found = with(10, "O_DSYNC");
    assert_eq!(found[0].code, "synchronous-writes");
    assert_eq!(found[0].text, "Every write to /data/log waits for the device (opened O_DSYNC): 10 writes, mean 512 B.");
    assert_eq!(with(10, "O_SYNC")[0].code, "synchronous-writes");
}

// ------------------------------------------------------------------ metadata

fn lookups(stats: u64, data: u64) -> Report {
    let mut f = run(data, data * 100, 0);
    f.metadata_ops = Some(MetadataOps { stats, opens: 0, ..Default::default() });
    f
}

#[test]
fn metadata_heavy_by_count_at_its_edges() {
    assert_eq!(codes(&lookups(1000, 250)), ["metadata-heavy"]);
    assert!(codes(&lookups(1000, 251)).is_empty(), "under 4 look-ups per data call");
    assert!(codes(&lookups(999, 0)).is_empty(), "under 1,000 look-ups");
    let mut f = lookups(900, 10);
    f.metadata_ops.as_mut().unwrap().failed = 100;
    f.metadata_ops.as_mut().unwrap().closes = 5000;
    let found = of_report(&f);
    assert_eq!(found[0].text, "Metadata calls dominate: 900 stats (and 100 failed) against 10 data calls (reads and writes).", "closes are not look-ups");
}

#[test]
fn metadata_heavy_by_time_at_its_edges() {
    let timed = |meta_s: f64, data_s: f64| {
        let mut f = lookups(100, 1000);
        f.call_time = call_time(&[("stat", 100, meta_s), ("write", 1000, data_s)]);
        f
    };
    assert_eq!(codes(&timed(0.25, 0.25)), ["metadata-heavy"]);
    assert!(codes(&timed(0.249, 0.1)).is_empty(), "under a quarter of the run");
    assert!(codes(&timed(0.3, 0.31)).is_empty(), "less than the data calls");
    let mut few = timed(0.5, 0.1);
    few.metadata_ops = Some(MetadataOps { stats: 99, ..Default::default() });
    assert!(codes(&few).is_empty(), "99 calls are not many");
}

// ------------------------------------------------------------------ patterns and sizes

fn one_file(x: FileReport) -> Report {
    let mut f = run(x.write_ops, x.write_bytes, 0);
    f.files = Some(vec![x]);
    f
}

#[test]
fn small_random_reads_at_their_edges() {
    let reads = |ops: u64, random: u64, small: u64| {
        let mut x = file("/data/x", ops, 0, 512);
        x.read_access = access(ops - random, random, small);
        one_file(x)
    };
    let found = of_report(&reads(100, 50, 50));
    assert_eq!(found[0].code, "small-random-reads");
    assert_eq!(found[0].text, "Many small random reads on /data/x: 100 reads, 50% at random offsets, 50% under 4 KiB (mean 512 B).");
    assert!(codes(&reads(99, 99, 99)).is_empty(), "99 reads");
    assert!(codes(&reads(100, 49, 100)).is_empty(), "49 % random");
    assert!(codes(&reads(100, 100, 49)).is_empty(), "49 % small");
}

#[test]
fn the_loaders_reads_of_shared_libraries_are_not_the_programs() {
    // 40 execs: the loader reads each library's ELF header (832 B at 0,
    // then the program headers): random, small, many.
    let lib = |path: &str| {
        let mut x = file(path, 160, 0, 800);
        x.read_access = access(40, 120, 160);
        x
    };
    let mut f = one_file(lib("/usr/lib/x86_64-linux-gnu/libc.so.6"));
    assert!(codes(&f).is_empty());
    f.files = Some(vec![lib("/opt/app/plugin.bin")]);
    assert_eq!(codes(&f), ["small-random-reads"], "a data file read the same way is the program's");
    f.mappings = Some(vec![mapping("/opt/app/plugin.bin", 4096, "rx", true)]);
    assert!(codes(&f).is_empty(), "mapped executable: code the loader brought in");
    for (name, is) in [
        ("/lib/libc.so.6", true),
        ("x.so", true),
        ("/usr/lib/libz.so.1.2.13", true),
        ("/data/table.so.csv", false),
        ("/run/app.sock", false),
        ("/data/a.so.x", false),
        ("/data/.so", false),
        ("/data/x.so.", false),
    ] {
        assert_eq!(is_shared_library(name), is, "{name}");
    }
}

#[test]
fn many_small_writes_to_one_file_at_their_edges() {
    let writes = |ops: u64, small: u64| {
        let mut x = file("/data/out.csv", 0, ops, 100);
        x.write_access = access(ops, 0, small);
        one_file(x)
    };
    let found = of_report(&writes(100, 80));
    assert_eq!(found[0].code, "tiny-writes");
    assert_eq!(found[0].text, "Many small writes to /data/out.csv: 100 writes, 80% under 4 KiB (mean 100 B).");
    assert!(codes(&writes(100, 79)).is_empty(), "79 % small");
    assert!(codes(&writes(99, 99)).is_empty(), "99 writes");
    // Small random writes are that finding, not this one too.
    let mut x = file("/data/db", 0, 200, 100);
    x.write_access = access(0, 200, 200);
    assert_eq!(codes(&one_file(x)), ["small-random-writes"]);
    // A journal synced every 16 writes or more often: its small writes are
    // meant to be durable one group at a time (fsync-heavy says so).
    let synced = |syncs| {
        let mut x = file("/db/x-journal", 0, 160, 4);
        x.write_access = access(160, 0, 160);
        x.syncs = syncs;
        one_file(x)
    };
    assert!(codes(&synced(10)).is_empty());
    assert_eq!(codes(&synced(9)), ["tiny-writes"]);
    // A report older than the per-file access counts: the mean decides.
    let old = |bytes_each| one_file(file("/data/out.csv", 0, 100, bytes_each));
    assert_eq!(codes(&old(1023)), ["tiny-writes"]);
    assert!(codes(&old(1024)).is_empty());
}

#[test]
fn the_same_range_read_again_at_its_edges() {
    let reads = |ops: u64, repeated: u64| {
        let mut x = file("/db/x", ops, 0, 16);
        x.read_access = access(ops, 0, ops);
        x.repeated_reads = repeated;
        one_file(x)
    };
    let found = of_report(&reads(200, 100));
    assert_eq!((found[0].code.as_str(), found[0].severity), ("rereads", Severity::Info));
    assert_eq!(found[0].text, "The same range of /db/x read again and again: 100 of its 200 reads started where the previous read had started (mean read 16 B).");
    assert!(codes(&reads(201, 100)).is_empty(), "under half the reads");
    assert!(codes(&reads(99, 99)).is_empty(), "99 repeats");
}

fn small_files(n: u64, bytes_each: u64, writes_each: u64) -> Report {
    let mut f = run(n * writes_each, n * writes_each * bytes_each, 0);
    f.metadata_ops = Some(MetadataOps { opens: n, ..Default::default() });
    f.files = Some(
        (0..n)
            .map(|i| {
                let mut x = file(&format!("/data/f{i}"), 0, writes_each, bytes_each);
                x.write_access = access(writes_each, 0, writes_each);
                x
            })
            .collect(),
    );
    f
}

#[test]
fn one_write_per_file_is_many_small_files_not_small_writes() {
    // `for i in $(seq 150); do echo hi > f$i; done`
    let found = of_report(&small_files(150, 3, 1));
    assert_eq!(found.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["many-small-files"]);
    assert_eq!(found[0].text, "Many small files: 150 opens, 150 files read or written, mean 3 B and 1 operation per file.");
    // Many small writes to each of many files: both.
    assert_eq!(codes(&small_files(100, 10, 100))[..2], ["tiny-writes", "tiny-writes"]);
    assert_eq!(codes(&small_files(100, 10, 100)).last().map(String::as_str), Some("many-small-files"));
}

#[test]
fn many_small_files_say_the_time_of_their_look_ups_instead_of_metadata_heavy() {
    let mut f = small_files(150, 100, 1);
    f.metadata_ops = Some(MetadataOps { opens: 150, stats: 450, closes: 150, ..Default::default() });
    f.call_time = call_time(&[("stat", 450, 0.3), ("open", 150, 0.1), ("write", 150, 0.05)]);
    assert_eq!(codes(&f), ["many-small-files"]);
    assert_eq!(
        of_report(&f)[0].text,
        "Many small files: 150 opens, 150 files read or written, mean 100 B and 1 operation per file; 0.400 s in metadata calls, 40% of the run."
    );
    f.files = Some(Vec::new());
    assert_eq!(codes(&f), ["metadata-heavy"], "without the small files, the look-ups are the finding");
}

#[test]
fn many_small_files_at_their_edges() {
    assert_eq!(codes(&small_files(100, 65535, 1)), ["many-small-files"]);
    assert!(codes(&small_files(100, 65536, 1)).is_empty(), "64 KiB per file is not small");
    assert!(codes(&small_files(99, 3, 1)).is_empty(), "99 files");
    // Shared libraries the loader read do not make up the hundred.
    let mut f = small_files(99, 3, 1);
    f.files.as_mut().unwrap().push(file("/lib/libm.so.6", 1, 0, 832));
    assert!(codes(&f).is_empty());
}

// ------------------------------------------------------------------ what syscalls do not show

#[test]
fn direct_io_is_noted_with_advice_for_its_block_size() {
    let direct = |bytes_each: u64| {
        let mut x = file("/data/dev.img", 0, 100, bytes_each);
        x.open_flags = vec!["O_DIRECT".into()];
        x.write_access = access(100, 0, 0);
        of_report(&one_file(x))
    };
    let small = direct(4096);
    assert_eq!((small[0].code.as_str(), small[0].severity), ("direct-io", Severity::Info));
    assert_eq!(small[0].text, "/data/dev.img was opened O_DIRECT: its 100 writes (mean 4 KiB) bypassed the page cache, each one going to the device.");
    assert!(small[0].advice.starts_with("Direct I/O in blocks this small"));
    assert!(direct(1 << 20)[0].advice.starts_with("Expected from a program that keeps its own cache"));
}

#[test]
fn a_mapped_data_file_is_named_with_the_storage_bytes() {
    let mapped = |path: &str, bytes: u64, exec: bool| {
        let mut f = run(0, 0, 0);
        f.storage = Some(StorageBytes { read_bytes: 200 << 20, write_bytes: 0, source: "/proc/1/io".into() });
        f.mappings = Some(vec![mapping(path, bytes, "r", exec)]);
        of_report(&f)
    };
    let found = mapped("/data/big.bin", 200 << 20, false);
    assert_eq!(found[0].code, "mapped-file");
    assert_eq!(
        found[0].text,
        "/data/big.bin is mapped with mmap (200 MiB, r): what the program reads or writes through the mapping is page faults, \
         not counted as operations; storage level: 200 MiB read, 0 B written."
    );
    assert_eq!(mapped("/data/big.bin", MAPPED_BYTES, false).len(), 1);
    assert!(mapped("/data/big.bin", MAPPED_BYTES - 1, false).is_empty(), "under 1 MiB");
    assert!(mapped("/data/big.bin", 200 << 20, true).is_empty(), "code");
    assert!(mapped("/usr/lib/locale/locale-archive", 3 << 20, false).is_empty(), "the system's");
}

// ------------------------------------------------------------------ reports

#[test]
fn attached_to_a_running_process_the_text_says_the_window() {
    let mut f = run(50, 50 * 4096, 50);
    f.command = Some(vec!["./app".into()]);
    assert!(of_report(&f)[0].text.ends_with("Each sync waits for the device."));
    f.command = None;
    f.elapsed_seconds = Some(2.0);
    assert!(of_report(&f)[0].text.ends_with("Each sync waits for the device (in the 2.000 s watched)."), "{}", of_report(&f)[0].text);
    f.method = Source::StraceLog;
    assert!(of_report(&f)[0].text.ends_with("device."), "a saved log: the whole log");
}

#[test]
fn a_report_without_figures_or_a_calm_one_has_no_findings() {
    assert!(of_report(&without_figures()).is_empty());
    let mut calm = one_file(file("/data/x", 100, 0, 65536));
    calm.files.as_mut().unwrap()[0].read_access = access(100, 0, 0);
    assert!(codes(&calm).is_empty());
}

#[test]
fn a_saved_report_of_an_older_release_gets_the_findings_its_figures_allow() {
    // No callTime, mappings, syncs or openFlags; counts of a rollback journal.
    let json = r#"{"version":1,"method":"ptrace","command":["sqlite3"],"pid":1,"elapsedSeconds":2.0,"allFds":false,
        "summary":{"readOps":10,"writeOps":20034,"readBytes":100,"writeBytes":82059264,"totalOps":20044,"totalBytes":82059364,"iops":1,"throughputBytesPerSecond":1},
        "metadataOps":{"opens":1,"closes":1,"stats":1,"fsyncs":8004,"unlinks":0,"renames":0,"getdents":0,"total":8007,"failed":0},
        "files":[{"path":"/x.db","kind":"file","readOps":10,"writeOps":20034,"readBytes":100,"writeBytes":82059264,"pattern":"random","smallOps":10,"readAccess":null,"writeAccess":null}],
        "warnings":[],"warningCodes":[]}"#;
    let found = of_json(json).unwrap();
    assert_eq!(found.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["fsync-heavy"]);
    assert!(of_json("[1]").is_err());
}

#[test]
fn the_report_builder_fills_them_in() {
    use crate::event::{DataOp, Direction, FdKind, MetaKind, Syscall};
    let mut agg = crate::Aggregator::new();
    let f = agg.file("/db/x-journal", FdKind::File);
    for i in 0..30 {
        agg.record_op(f, &DataOp { syscall: Syscall::Pwrite64, direction: Direction::Write, bytes: 4096, start_ns: i, latency_ns: None, offset: Some(i * 4096) });
        agg.record_meta(MetaKind::Fsync, true, None);
    }
    let report = crate::Report::from_aggregator(&agg, crate::ReportContext { elapsed_ns: 1_000_000, ..Default::default() });
    assert_eq!(report.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["fsync-heavy"]);
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(v["findings"][0]["severity"], "warn");
    assert_eq!(v["findings"][0]["numbers"]["syncs"], 30.0);
}

#[test]
fn a_saved_report_gets_the_findings_it_was_built_with_and_one_not_a_report_an_error() {
    use crate::event::{DataOp, Direction, MetaKind, Syscall};
    let mut agg = Aggregator::new();
    for i in 0..150 {
        let f = agg.file(&format!("/data/f{i}"), FdKind::File);
        agg.record_meta(MetaKind::Open, true, Some(1000));
        agg.record_op(f, &DataOp { syscall: Syscall::Write, direction: Direction::Write, bytes: 3, start_ns: i, latency_ns: Some(500), offset: Some(0) });
        agg.record_sync(f, Some(20_000));
        agg.record_meta(MetaKind::Fsync, true, Some(20_000));
    }
    let report = Report::from_aggregator(&agg, ReportContext { method: Source::Ptrace, command: Some(vec!["./app".into()]), elapsed_ns: 10_000_000, ..Default::default() });
    assert_eq!(report.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["fsync-heavy", "many-small-files"]);
    assert_eq!(of_json(&report.to_json()).unwrap(), report.findings);
    for (json, why) in [("{}", "missing field `version`"), (r#"{"version":1,"method":"ptrace!"}"#, "unknown variant `ptrace!`")] {
        let e = of_json(json).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
}

#[test]
fn a_kind_found_on_more_files_than_listed_says_how_many_more() {
    let eight = |n: usize| {
        let mut r = run(0, 0, 0);
        r.files = Some(
            (0..n)
                .map(|i| {
                    let mut x = file(&format!("/data/out{i}.csv"), 0, 100 + (n - i) as u64, 100);
                    x.write_access = access(100, 0, 100);
                    x
                })
                .collect(),
        );
        of_report(&r).into_iter().filter(|f| f.code == "tiny-writes").collect::<Vec<_>>()
    };
    let found = eight(8);
    assert_eq!(found.len(), MAX_PER_KIND);
    assert!(found[4].text.ends_with(" (and 3 more files like it, not listed)"), "{}", found[4].text);
    assert_eq!(found[4].numbers["moreFiles"], 3.0);
    assert!(found[..4].iter().all(|f| !f.numbers.contains_key("moreFiles")));
    let six = eight(6);
    assert!(six[4].text.ends_with(" (and 1 more file like it, not listed)"), "{}", six[4].text);
    assert!(eight(5).iter().all(|f| !f.text.contains("more file")), "five: all listed");
}
