//! The fs_usage parser against real output gathered from public sources and
//! against crafted lines laid out with fs_usage.c's own formats (see
//! __test__/fixtures/fs_usage/README.md). Every count is exact.

use super::*;
use crate::report::ReportContext;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../__test__/fixtures/fs_usage/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(p: &mut FsUsageParser, text: &[u8]) -> (Aggregator, Report) {
    let mut agg = Aggregator::new();
    for line in text.split(|&b| b == b'\n') {
        p.line(line, &mut agg);
    }
    p.finish(&mut agg);
    let report = p.fs_usage_report(&agg, ReportContext::default());
    (agg, report)
}

fn file<'a>(r: &'a Report, path: &str) -> &'a crate::report::FileReport {
    r.files.as_ref().unwrap().iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path} in {:?}", r.files))
}

#[test]
fn crafted_workload_is_counted_exactly() {
    let mut p = FsUsageParser::new();
    let (agg, r) = run(&mut p, &fixture("crafted-workload.txt"));
    assert_eq!(r.method, "fs_usage");
    let s = &r.summary;
    // data.bin: 6 reads (4 preads of 4096, a 0-byte read at EOF, a 2048-byte readv
    // on another thread), 11 writes (10 of 4096, a writev of 8192); in.txt: 100 + 32
    // through fd 4 and its dup; "file name.txt": 5; Chrome's chrome.db: 7.
    assert_eq!((s.read_ops, s.read_bytes), (6 + 2 + 1 + 1, 4 * 4096 + 2048 + 132 + 5 + 7));
    assert_eq!((s.write_ops, s.write_bytes), (11 + 1, 10 * 4096 + 8192 + 0x200));
    let data = file(&r, "/tmp/iops/data.bin");
    assert_eq!((data.read_ops, data.read_bytes, data.write_ops, data.write_bytes), (6, 18432, 11, 49152));
    let input = file(&r, "/tmp/iops/in.txt");
    assert_eq!((input.read_ops, input.read_bytes), (2, 132));
    assert_eq!(file(&r, "/tmp/iops/with space/file name.txt").read_bytes, 5);
    // The same fd number in another process is another file.
    let chrome = file(&r, "/tmp/iops/chrome.db");
    assert_eq!((chrome.read_ops, chrome.read_bytes, chrome.write_ops, chrome.write_bytes), (1, 7, 1, 512));

    // stdin and stdout were opened before the trace: counted apart.
    let o = r.other_fds.as_ref().unwrap();
    assert_eq!((o.read_ops, o.read_bytes, o.write_ops, o.write_bytes), (1, 16, 1, 13));
    assert_eq!(p.unknown_fd_ops(), 2);
    assert!(r.warnings[0].starts_with("2 reads/writes were on fds opened before the trace began"));

    let f = r.failed_ops.as_ref().unwrap();
    assert_eq!((f.total, f.by_errno.get("EBADF")), (1, Some(&1)));
    let m = r.metadata_ops.as_ref().unwrap();
    assert_eq!(
        (m.opens, m.closes, m.stats, m.fsyncs, m.unlinks, m.renames, m.getdents, m.failed),
        (4, 3, 1, 2, 1, 1, 1, 1),
        "fcntl(F_FULLFSYNC) and fsync are both syncs; the failed stat64 is a failed call"
    );
    let storage = r.storage.as_ref().unwrap();
    assert_eq!((storage.read_bytes, storage.write_bytes), (4096, 0x3000));
    assert_eq!(storage.source, "fs_usage disk I/O: 1 RdData, 1 WrData");
    assert_eq!(p.disk().failed, 1);

    let syscalls = r.syscalls.as_ref().unwrap();
    let calls = |n: &str| syscalls.iter().find(|s| s.name == n).map(|s| (s.calls, s.bytes, s.failed));
    assert_eq!(calls("pread64"), Some((4, 16384, 0)));
    assert_eq!(calls("pwrite64"), Some((1, 512, 0)));
    assert_eq!(calls("read"), Some((6, 132 + 5 + 7 + 16, 1)));
    assert_eq!(calls("writev"), Some((1, 8192, 0)));

    // Every line is understood; durations are the latencies.
    assert!(!r.warnings.iter().any(|w| w.contains("not understood")), "{:?}", r.warnings);
    let lat = r.latency.as_ref().unwrap();
    assert_eq!(lat.write.as_ref().unwrap().max_ns, 20_000, "the writev took 20 µs");
    // The span: from the earliest start (the FULLFSYNC, which completed at
    // +1,050 µs after taking 4,914 µs) to the last call's end (+2,200 µs).
    assert_eq!(p.elapsed_ns(), Some((2_200 + 4_914 - 1_050) * 1000));
    // Four files, and stand-ins for the fds 0, 1 and 9 the trace never saw opened.
    assert_eq!(agg.files().len(), 4 + 3);
}

#[test]
fn real_filesys_output_from_a_blog_post() {
    // wrongodb's "Watching the OS write": fd 3 was opened before the trace.
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, &fixture("wrongodb-filesys.txt"));
    assert_eq!((r.summary.read_ops, r.summary.write_ops), (0, 0));
    let o = r.other_fds.as_ref().unwrap();
    assert_eq!((o.write_ops, o.write_bytes), (2, 4 + 0xffc));
    assert_eq!(r.metadata_ops.as_ref().unwrap().fsyncs, 1, "fcntl <FULLFSYNC>");
    let storage = r.storage.as_ref().unwrap();
    assert_eq!((storage.read_bytes, storage.write_bytes), (0, 0x2000));
    let lat = r.latency.as_ref().unwrap().write.clone();
    assert!(lat.is_none(), "the two writes are not file writes: no file latency");
    assert!(!r.warnings.iter().any(|w| w.contains("not understood")), "{:?}", r.warnings);
    assert_eq!(p.elapsed_ns(), Some((59_804_842 - 59_799_895 + 1) * 1000));
}

#[test]
fn real_diskio_output_from_a_lab_report() {
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, &fixture("sre-lab-diskio.txt"));
    let d = p.disk();
    assert_eq!((d.read_ops, d.read_bytes, d.write_ops, d.write_bytes, d.failed), (13, 204_800, 6, 8_710, 0));
    assert_eq!((r.summary.total_ops, r.summary.total_bytes), (0, 0), "disk I/O is never an operation");
    assert!(!r.warnings.iter().any(|w| w.contains("not understood")), "{:?}", r.warnings);
}

fn line(tod: &str, rest: &str) -> String {
    format!("{tod}  {rest}")
}

#[test]
fn the_window_counts_calls_completed_inside_it_and_keeps_earlier_opens() {
    let text = [
        line("11:59:59.900000", "open              F=3        (RW____)  /tmp/w   0.000010   node.7"),
        line("11:59:59.950000", "write             F=3    B=0x100     0.000010   node.7"),
        line("12:00:00.100000", "write             F=3    B=0x200     0.000010   node.7"),
        line("12:00:00.200000", "read              F=3    B=0x300     0.000010 W node.8"),
        line("12:00:00.300001", "write             F=3    B=0x400     0.000010   node.7"),
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    p.set_window(12 * 3_600_000_000, 12 * 3_600_000_000 + 300_000);
    let (_, r) = run(&mut p, text.as_bytes());
    let f = file(&r, "/tmp/w");
    assert_eq!((f.read_ops, f.read_bytes, f.write_ops, f.write_bytes), (1, 0x300, 1, 0x200));
    assert_eq!(r.metadata_ops.as_ref().unwrap().opens, 0, "the open was before the window");
    assert_eq!(r.elapsed_seconds, Some(0.3));
    // The timeline starts at the window's start: the write began 99,990 µs in.
    let t = r.timeline.as_ref().unwrap();
    assert_eq!(t.points.iter().map(|p| p.write_ops).sum::<u64>(), 1);
}

#[test]
fn disk_io_of_other_processes_is_left_out() {
    // fs_usage <pid> still prints every process's disk I/O: only the
    // traced commands' count.
    let text = [
        line("10:00:00.000010", "open              F=3        (RW____)  /tmp/d   0.000010   app.11"),
        line("10:00:00.000020", "  WrData[A]       D=0x00000001  B=0x2000   /dev/disk3s5  /tmp/d   0.000050 W app.11"),
        line("10:00:00.000030", "  WrData[A]       D=0x00000002  B=0x9000   /dev/disk3s5  /var/log/x   0.000050 W kernel_task.1"),
        line("10:00:00.000040", "  RdData[S]       D=0x00000003  B=0x1000   /dev/disk3s5  /x   0.000050 W Spotlight.77"),
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, text.as_bytes());
    let s = r.storage.as_ref().unwrap();
    assert_eq!((s.read_bytes, s.write_bytes), (0, 0x2000));
    assert_eq!(s.source, "fs_usage disk I/O: 0 RdData, 1 WrData");
}

#[test]
fn an_empty_window_reports_zero() {
    let mut p = FsUsageParser::new();
    p.set_window(1_000, 2_000);
    let (_, r) = run(&mut p, b"");
    assert_eq!((r.summary.total_ops, r.summary.total_bytes), (0, 0));
    assert_eq!(r.metadata_ops.as_ref().unwrap().total, 0);
}

#[test]
fn midnight_is_crossed() {
    let text = [
        line("23:59:59.999990", "open              F=3        (RW____)  /tmp/m   0.000005   a.1"),
        line("00:00:00.000010", "write             F=3    B=0x10      0.000005   a.1"),
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    p.set_window(86_399_999_000, 1_000); // 23:59:59.999 to 00:00:00.001
    let (_, r) = run(&mut p, text.as_bytes());
    assert_eq!(file(&r, "/tmp/m").write_bytes, 0x10);
    assert_eq!(p.elapsed_ns(), Some(2_000_000));
}

#[test]
fn marker_lines_are_ours_and_not_counted() {
    let text = [
        line("10:00:00.000001", "stat64                 [  2]           /.iops-probe-77-1   0.000004   node.5"),
        line("10:00:00.000002", "stat64                 [  2]           /.iops-probe-77-2   0.000004   node.5"),
        line("10:00:00.000003", "stat64                                 /etc/hosts   0.000004   node.5"),
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    p.set_marker(b"iops-probe-77-");
    let (_, r) = run(&mut p, text.as_bytes());
    assert_eq!(p.marker_seen(), 2);
    let m = r.metadata_ops.as_ref().unwrap();
    assert_eq!((m.stats, m.failed), (1, 0));
}

#[test]
fn lines_it_cannot_read_are_named_never_guessed() {
    let text = [
        "fs_usage: buffer overrun, events generated too quickly",
        // Narrow mode (no -w): no fd, no byte count.
        "16:19:22  read              0.000021   lugh",
        "10:00:00.000001  write             F=3    B=0xZZ     0.000004   x.1",
        "",
        "   ",
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, text.as_bytes());
    assert_eq!(r.summary.total_ops, 0);
    let w = r.warnings.iter().find(|w| w.contains("not understood")).unwrap();
    assert!(w.starts_with("3 lines were not understood"), "{w}");
    assert!(w.contains("buffer overrun"), "{w}");
}

#[test]
fn the_format_is_detected_and_strace_logs_are_not_taken_for_it() {
    let head = |name: &str| fixture(name);
    for name in ["crafted-workload.txt", "wrongodb-filesys.txt", "sre-lab-diskio.txt"] {
        let text = head(name);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').take(50).collect();
        assert_eq!(crate::parse::detect(&lines).map(|f| f.name), Some("fs_usage"), "{name}");
    }
    let strace: [&[u8]; 2] = [b"1234  12:00:01.000001 read(3, \"abc\", 3) = 3 <0.000012>", b"1234  12:00:01.000020 close(3) = 0 <0.000003>"];
    assert_eq!(crate::parse::detect(&strace).map(|f| f.name), Some("strace"));
    assert!(!looks_like(&strace));
}

#[test]
fn nocancel_twins_count_as_their_calls() {
    // The field case: write_nocancel (stdio's) and write on one file.
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, &fixture("fs_usage_nocancel.log"));
    let out = file(&r, "/Users/user/out.log");
    assert_eq!((out.write_ops, out.write_bytes), (3, 48));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (3, 48));
    assert!(!r.warnings.iter().any(|w| w.contains("not understood") || w.contains("not counted")), "{:?}", r.warnings);

    // Every twin fs_usage's table has (SYSCALL_WITH_NOCANCEL), and the old misspelling.
    let text = [
        "10:00:00.000001  open_nocanel      F=3        (R_____)  /a/f          0.000010   x.1",
        "10:00:00.000002  read_nocancel     F=3    B=0x10                      0.000001   x.1",
        "10:00:00.000003  pread_nocancel    F=3    B=0x20     O=0x00000100     0.000001   x.1",
        "10:00:00.000004  readv_nocancel    F=3    B=0x30                      0.000001   x.1",
        "10:00:00.000005  pwrite_nocancel   F=3    B=0x40     O=0x00000200     0.000001   x.1",
        "10:00:00.000006  writev_nocancel   F=3    B=0x50                      0.000001   x.1",
        "10:00:00.000007  fsync_nocancel    F=3                                0.000001   x.1",
        "10:00:00.000008  fcntl_nocancel    F=3  <FULLFSYNC>                   0.000001   x.1",
        "10:00:00.000009  close_nocancel    F=3                                0.000001   x.1",
        "10:00:00.000010  openat_nocancel   F=4        (R_____)  [-2]//a/g     0.000010   x.1",
        "10:00:00.000011  read_nocancel     F=4    B=0x8                       0.000001   x.1",
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, text.as_bytes());
    let f = file(&r, "/a/f");
    assert_eq!((f.read_ops, f.read_bytes, f.write_ops, f.write_bytes), (3, 0x10 + 0x20 + 0x30, 2, 0x40 + 0x50));
    assert_eq!((file(&r, "/a/g").read_ops, file(&r, "/a/g").read_bytes), (1, 8));
    let m = r.metadata_ops.as_ref().unwrap();
    assert_eq!((m.opens, m.closes, m.fsyncs), (2, 1, 2));
    assert!(r.other_fds.as_ref().is_none_or(|o| o.read_ops + o.write_ops == 0));
}

#[test]
fn calls_that_look_like_io_but_are_not_read_are_counted_in_a_warning() {
    let text = [
        "10:00:00.000001  open              F=3        (R_____)  /a/f          0.000010   x.1",
        "10:00:00.000002  aio_read          F=3                                0.000001   x.1",
        "10:00:00.000003  aio_read          F=3                                0.000001   x.1",
        "10:00:00.000004  sendfile          F=3                                0.000001   x.1",
        "10:00:00.000005  read_extended     F=3    B=0x10                      0.000001   x.1",
        "10:00:00.000006    RdMeta[S]       D=0x0490f371  B=0x1000   /dev/disk3s1s1  /a/f   0.000164 x.1",
        // Not I/O: a path call, a thread call, network calls.
        "10:00:00.000007  readlink                       /a/link               0.000001   x.1",
        "10:00:00.000008  bsdthread_create                                     0.000001   x.1",
        "10:00:00.000009  sendto            F=5    B=0x10                      0.000001   x.1",
        "10:00:00.000010  read              F=3    B=0x4                       0.000001   x.1",
    ]
    .join("\n");
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, text.as_bytes());
    assert_eq!((r.summary.read_ops, r.summary.read_bytes), (1, 4));
    let names: Vec<(&[u8], u64)> = p.uncounted_io().iter().map(|(n, c)| (n.as_slice(), *c)).collect();
    assert_eq!(names, [(&b"aio_read"[..], 2), (b"sendfile", 1), (b"read_extended", 1), (b"RdMeta", 1)]);
    let w = r.warnings.iter().find(|w| w.contains("look like I/O")).expect("a warning");
    assert_eq!(
        w,
        "5 call(s) that look like I/O were not counted: this parser does not read them (aio_read \u{d7}2, sendfile \u{d7}1, read_extended \u{d7}1, RdMeta \u{d7}1)"
    );
}

#[test]
fn paths_that_differ_in_a_byte_that_is_not_utf8_stay_two_files() {
    let mut text = Vec::new();
    for (fd, byte, reads) in [(3, 0xe9u8, 2), (4, 0xea, 5)] {
        text.extend_from_slice(format!("10:00:00.000001  open              F={fd}        (R_____)  /tmp/caf").as_bytes());
        text.push(byte);
        text.extend_from_slice(b".txt          0.000010   x.1\n");
        for _ in 0..reads {
            text.extend_from_slice(format!("10:00:00.000002  read              F={fd}    B=0x10                      0.000001   x.1\n").as_bytes());
        }
    }
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, &text);
    assert_eq!(file(&r, "/tmp/caf\\xe9.txt").read_ops, 2);
    assert_eq!(file(&r, "/tmp/caf\\xea.txt").read_ops, 5);
}

#[test]
fn tail_parsing_keeps_spaces_in_paths_and_commands() {
    let s = b"10:00:00.000001  open   F=4   (R_____)  /a b/0.123456 c   0.000012 W Google Chrome H.42";
    let t = tail(s, 16).unwrap();
    assert_eq!((t.duration_us, t.command), (12, &b"Google Chrome H.42"[..]));
    let a = args(&s[22..t.at], false);
    assert_eq!((a.fd, a.path), (Some(4), Some(&b"/a b/0.123456 c"[..])));
    // A command literally named W.
    let t = tail(b"x  0.000001   W.9", 0).unwrap();
    assert_eq!(t.command, b"W.9");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "10:00:00.000001", "23:59:59.999999", "00:00:00", "99:99:99.1", "  ", " ", "\t", "read", "write", "pread", "open",
        "close", "dup", "fcntl", "RdData[A]", "WrData[S]", "F=", "F=3", "F=-1", "[", "]", "[  9]", "[-2]/", "B=0x",
        "B=0x1000", "B=0xffffffffffffffffff", "O=0x", "D=0x1", "(R_____)", "<FULLFSYNC>", "<", ">", "/dev/disk3s5", "/tmp/x",
        "0.000001", "12.345678", ".", "W", "node.1", "a b.2", "\r", "\u{e9}", "999999999999999999999",
    ];

    fn lines() -> impl Strategy<Value = Vec<Vec<u8>>> {
        let piece = prop_oneof![
            proptest::sample::select(PIECES).prop_map(|s| s.as_bytes().to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        let line = proptest::collection::vec(piece, 0..24).prop_map(|ps| ps.concat());
        proptest::collection::vec(line, 0..40)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        /// Arbitrary input never panics, and the parser ends (it is one pass per line).
        #[test]
        fn never_panics(lines in lines(), window in proptest::option::of((0u64..200_000_000_000, 0u64..200_000_000_000))) {
            let mut p = FsUsageParser::new();
            if let Some((b, e)) = window {
                p.set_window(b, e);
            }
            let mut agg = Aggregator::new();
            for l in &lines {
                p.line(l, &mut agg);
            }
            p.finish(&mut agg);
            let _ = p.fs_usage_report(&agg, ReportContext::default()).to_json();
        }

        /// Real lines cut anywhere never panic either.
        #[test]
        fn truncated_real_lines(cut in 0usize..300, which in 0usize..3) {
            let name = ["crafted-workload.txt", "wrongodb-filesys.txt", "sre-lab-diskio.txt"][which];
            let text = fixture(name);
            let mut p = FsUsageParser::new();
            let mut agg = Aggregator::new();
            for l in text.split(|&b| b == b'\n') {
                p.line(&l[..cut.min(l.len())], &mut agg);
            }
            let _ = p.fs_usage_report(&agg, ReportContext::default()).to_json();
        }
    }
}

/// Issue 14: fs_usage's durations give where the time goes, per kind of call.
#[test]
fn time_per_call_kind_from_real_output() {
    let mut p = FsUsageParser::new();
    let (_, r) = run(&mut p, &fixture("wrongodb-filesys.txt"));
    let c = r.call_time.as_ref().unwrap();
    use crate::report::CallKind;
    // The two writes went to fd 3, opened before the trace (its kind unknown):
    // like their operations, their time is not storage time, so only the sync.
    assert_eq!((r.summary.write_ops, r.other_fds.as_ref().map(|o| o.write_ops)), (0, Some(2)));
    assert_eq!(c.iter().map(|c| (c.kind, c.calls, c.failed)).collect::<Vec<_>>(), [(CallKind::Sync, 1, 0)]);
    assert!((c[0].total_seconds - 0.004914).abs() < 1e-12, "fcntl F_FULLFSYNC: {}", c[0].total_seconds);
    // Counted with every fd (--all-fds), the writes' 33 µs are there too.
    let (agg, _) = run(&mut FsUsageParser::new(), &fixture("wrongodb-filesys.txt"));
    let all = FsUsageParser::new().fs_usage_report(&agg, ReportContext { all_fds: true, ..Default::default() });
    let w = all.call_time.as_ref().unwrap().iter().find(|c| c.kind == CallKind::Write).expect("writes under --all-fds");
    assert_eq!(w.calls, 2);
    assert!((w.total_seconds - 0.000033).abs() < 1e-12, "{}", w.total_seconds);
    assert!(r.mappings.is_none(), "fs_usage does not show mmap");
}
