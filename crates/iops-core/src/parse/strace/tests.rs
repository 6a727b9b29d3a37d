//! Crafted lines for the cases real runs rarely produce on demand; the ava
//! suite checks logs of real strace runs against ground-truth workloads.
use super::*;
use crate::report::ReportContext;

fn parse(text: &str) -> (StraceParser, Aggregator) {
    let mut p = StraceParser::new();
    let mut agg = Aggregator::new();
    for line in text.split('\n') {
        p.line(line.as_bytes(), &mut agg);
    }
    p.finish(&mut agg);
    (p, agg)
}

fn report(text: &str) -> Report {
    let (p, agg) = parse(text);
    p.report(&agg, ReportContext { method: crate::source::Source::StraceLog, ..Default::default() })
}

fn file<'a>(r: &'a Report, path: &str) -> &'a crate::report::FileReport {
    r.files.as_ref().unwrap().iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path} in {:?}", r.files))
}

#[test]
fn data_previews_with_parens_quotes_equals_and_escapes() {
    let r = report(concat!(
        "100 write(3</tmp/a>, \")\\\" = 1 <unfinished ...>\\0\\377\\\\\", 26) = 26\n",
        "100 write(3</tmp/a>, \"x) = 5\"..., 4096) = 4096\n",
        "100 read(3</tmp/a>, \"\\\"\\\\\\\")\", 10) = 4\n",
        "100 write(3</tmp/a>, \"\\x29\\x3d\", 2) = 2\n",
    ));
    assert_eq!(r.summary.write_ops, 3);
    assert_eq!(r.summary.write_bytes, 26 + 4096 + 2);
    assert_eq!(r.summary.read_ops, 1);
    assert_eq!(r.summary.read_bytes, 4);
    assert!(r.warnings.iter().all(|w| !w.contains("not understood")), "{:?}", r.warnings);
}

#[test]
fn unfinished_calls_interleaved_across_three_threads() {
    let r = report(concat!(
        "11 1700000000.000001 write(3</d/a>, \"aaaa\"..., 100 <unfinished ...>\n",
        "12 1700000000.000002 read(4</d/b>,  <unfinished ...>\n",
        "13 1700000000.000003 pwrite64(5</d/c>, \"cc\", 2, 8192 <unfinished ...>\n",
        "12 1700000000.000004 <... read resumed>\"bbbbbbbb\", 8) = 8 <0.000002>\n",
        "11 1700000000.000005 <... write resumed>) = 100 <0.000004>\n",
        "13 1700000000.000006 <... pwrite64 resumed>) = 2 <0.000003>\n",
        "12 1700000000.000007 pread64(4</d/b>,  <unfinished ...>\n",
        "11 1700000000.000008 exit(0 <unfinished ...>\n",
        "12 1700000000.000009 <... pread64 resumed>\"x\", 1, 77) = 1 <0.000001>\n",
        "11 1700000000.000010 <... exit resumed>) = ?\n",
        "11 1700000000.000011 +++ exited with 0 +++\n",
    ));
    assert_eq!((r.summary.read_ops, r.summary.read_bytes), (2, 9));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (2, 102));
    assert_eq!(file(&r, "/d/a").write_bytes, 100);
    assert_eq!(file(&r, "/d/b").read_ops, 2);
    assert_eq!(file(&r, "/d/c").write_ops, 1);
    let lat = r.latency.as_ref().unwrap();
    assert_eq!(lat.read.as_ref().unwrap().count, 2);
    assert_eq!(lat.write.as_ref().unwrap().max_ns, 4000);
    assert_eq!(r.elapsed_seconds, Some(10e-6));
    assert_eq!(r.exit.as_ref().unwrap().code, Some(0));
    assert!(r.warnings.iter().all(|w| !w.contains("never returned")), "{:?}", r.warnings);
}

#[test]
fn offsets_of_positional_calls_span_both_halves() {
    let line = b"pread64(4</d/b>, \"x\", 1, 77) = 1";
    let mut scan = lexer::Lexed::default().scan;
    lexer::scan(line, 8, &mut scan);
    assert!(matches!(scan.end, Some(End::Returned { .. })));
    assert_eq!(scan.args.v[3].num(), Some(77));
    assert_eq!(scan.args.n, 4);
}

#[test]
fn fd_annotations_classify_files_sockets_pipes_ttys() {
    let r = report(concat!(
        "write(1</dev/pts/3<char 136:3>>, \"hi\\n\", 3) = 3\n",
        "write(4<TCP:[127.0.0.1:50654->127.0.0.1:38891]>, \"yo\", 2) = 2\n",
        "read(5<UNIX-STREAM:[169828->169827]>, \"q\", 1) = 1\n",
        "write(7<pipe:[168675]>, \"ss\", 2) = 2\n",
        "write(8<socket:[99]>, \"ss\", 2) = 2\n",
        "write(9</dev/null<char 1:3>>, \"x\", 1) = 1\n",
        "read(10</dev/loop0<block 7:0>>, \"\", 512) = 512\n",
        "write(3</tmp/w/a\\76b>, \"x\", 1) = 1\n",
        "write(3</tmp/w/uni\\303\\251 x>, \"x\", 1) = 1\n",
        "write(11<anon_inode:[eventfd]>, \"\\1\\0\\0\\0\\0\\0\\0\\0\", 8) = 8\n",
    ));
    let kind = |p: &str| file(&r, p).kind;
    assert_eq!(kind("/dev/pts/3"), FdKind::Tty);
    assert_eq!(kind("TCP:[127.0.0.1:50654->127.0.0.1:38891]"), FdKind::Socket);
    assert_eq!(kind("UNIX-STREAM:[169828->169827]"), FdKind::Socket);
    assert_eq!(kind("pipe:[168675]"), FdKind::Pipe);
    assert_eq!(kind("socket:[99]"), FdKind::Socket);
    assert_eq!(kind("/dev/null"), FdKind::Other);
    assert_eq!(kind("/dev/loop0"), FdKind::BlockDevice);
    assert_eq!(kind("/tmp/w/a>b"), FdKind::File);
    assert_eq!(kind("/tmp/w/unié x"), FdKind::File);
    assert_eq!(kind("anon_inode:[eventfd]"), FdKind::Other);
    assert_eq!((r.summary.read_ops, r.summary.write_ops), (1, 2));
    assert_eq!(r.summary.read_bytes, 512);
    let o = r.other_fds.as_ref().unwrap();
    assert_eq!((o.read_ops, o.write_ops), (1, 6));
}

#[test]
fn failures_signals_and_eintr() {
    let r = report(concat!(
        "20 read(3, 0x7ffd, 100) = -1 EBADF (Bad file descriptor)\n",
        "20 read(6<pipe:[1]>, 0x7ffd, 1) = -1 EAGAIN (Resource temporarily unavailable)\n",
        "20 read(6<pipe:[1]>, 0x7ffd, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n",
        "20 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n",
        "20 rt_sigreturn({mask=[]}) = -1 EINTR (Interrupted system call)\n",
        "20 read(6<pipe:[1]>, 0x7ffd, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n",
        "20 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n",
        "20 rt_sigreturn({mask=[]})           = 0\n",
        "20 read(6<pipe:[1]>, \"x\", 1) = 1\n",
        "20 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n",
        "20 rt_sigreturn({mask=[]}) = -1 EINTR (Interrupted system call)\n",
        "20 +++ killed by SIGSEGV (core dumped) +++\n",
    ));
    let f = r.failed_ops.as_ref().unwrap();
    assert_eq!(f.total, 3);
    assert_eq!(f.by_errno.get("EBADF"), Some(&1));
    assert_eq!(f.by_errno.get("EAGAIN"), Some(&1));
    assert_eq!(f.by_errno.get("EINTR"), Some(&1));
    assert_eq!(r.other_fds.as_ref().unwrap().read_ops, 1);
    let e = r.exit.as_ref().unwrap();
    assert_eq!((e.code, e.signal.as_deref(), e.signal_number), (None, Some("SIGSEGV"), Some(11)));
}

#[test]
fn every_data_call_of_the_core() {
    let r = report(concat!(
        "read(3</f/a>, \"ab\", 2) = 2\n",
        "write(3</f/a>, \"ab\", 2) = 2\n",
        "pread64(3</f/a>, \"ab\", 2, 10) = 2\n",
        "pwrite64(3</f/a>, \"ab\", 2, 10) = 2\n",
        "readv(3</f/a>, [{iov_base=\"a)\", iov_len=2}, {iov_base=\"b\", iov_len=1}], 2) = 3\n",
        "writev(3</f/a>, [{iov_base=\"a\", iov_len=1}, {iov_base=\"bc\", iov_len=2}], 2) = 3\n",
        "preadv(3</f/a>, [{iov_base=\"abcd\", iov_len=4}], 1, 0) = 4\n",
        "pwritev(3</f/a>, [{iov_base=\"abcd\", iov_len=4}], 1, 4) = 4\n",
        "preadv2(3</f/a>, [{iov_base=\"abcde\", iov_len=5}], 1, 0, RWF_NOWAIT) = 5\n",
        "pwritev2(3</f/a>, [{iov_base=\"abcde\", iov_len=5}], 1, -1, 0) = 5\n",
        "sendfile(4</f/b>, 3</f/a>, NULL, 4096) = 100\n",
        "copy_file_range(3</f/a>, NULL, 4</f/b>, NULL, 4096, 0) = 50\n",
        "splice(3</f/a>, [0], 6<pipe:[7]>, NULL, 4096, 0) = 30\n",
        "openat(AT_FDCWD</f>, \"/f/a\", O_RDONLY) = 3</f/a>\n",
        "openat(AT_FDCWD</f>, \"/f/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)\n",
        "close(3</f/a>) = 0\n",
        "fsync(4</f/b>) = 0\n",
        "newfstatat(AT_FDCWD</f>, \"/f/a\", {st_mode=S_IFREG|0644, st_size=5, ...}, 0) = 0\n",
    ));
    let names: Vec<_> = r.syscalls.as_ref().unwrap().iter().map(|s| (s.name, s.calls, s.bytes)).collect();
    assert_eq!(names.len(), 13, "{names:?}");
    let a = file(&r, "/f/a");
    assert_eq!((a.read_ops, a.read_bytes), (8, 2 + 2 + 3 + 4 + 5 + 100 + 50 + 30));
    assert_eq!((a.write_ops, a.write_bytes), (5, 2 + 2 + 3 + 4 + 5));
    let b = file(&r, "/f/b");
    assert_eq!((b.write_ops, b.write_bytes), (2, 150));
    assert_eq!(file(&r, "pipe:[7]").write_bytes, 30);
    let m = r.metadata_ops.as_ref().unwrap();
    assert_eq!((m.opens, m.closes, m.fsyncs, m.stats, m.failed), (1, 1, 1, 1, 1));
}

#[test]
fn reference_tool_flags_count_every_fd_and_say_so() {
    // strace -f -e trace=<ten data calls> -o FILE -p PID
    let r = report(concat!(
        "3385  write(3, \"Hello World...\", 1100) = 1100\n",
        "3385  read(3, \"data\", 4096) = 133\n",
        "3386  pread64(3, \"\\0\\1)\", 1024, 0) = 1024\n",
        "3386  write(1, \"x\\n\", 2) = 2\n",
    ));
    assert!(r.all_fds);
    assert_eq!((r.summary.read_ops, r.summary.read_bytes), (2, 1157));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (2, 1102));
    assert_eq!(r.files, None);
    assert_eq!(r.other_fds, None);
    assert_eq!(r.metadata_ops, None);
    assert_eq!(r.latency, None);
    assert_eq!(r.elapsed_seconds, None);
    assert_eq!(r.summary.iops, None);
    assert_eq!(r.timeline, None);
    assert!(r.warnings.iter().any(|w| w.contains("without -y")), "{:?}", r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("no timestamps")));
    assert!(r.warnings.iter().any(|w| w.contains("metadata")));
}

#[test]
fn one_unnamed_fd_in_an_annotated_log_is_counted_apart() {
    let r = report(concat!(
        "write(3</tmp/a>, \"ab\", 2) = 2\n",
        "write(7, \"abc\", 3) = 3\n",
        "write(3</tmp/a>, \"ab\", 2) = 2\n",
    ));
    assert!(!r.all_fds);
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (2, 4));
    assert_eq!(r.other_fds.as_ref().unwrap().write_bytes, 3);
    assert_eq!(file(&r, "/tmp/a").write_ops, 2);
    assert!(r.warnings.iter().any(|w| w.contains("1 operation(s) on fds strace could not name")), "{:?}", r.warnings);
}

#[test]
fn garbage_and_a_truncated_last_line_are_warnings() {
    let r = report(concat!(
        "hello there\n",
        "write(3</x>, \"abc\", 3) = 3\n",
        "\u{0}\u{1}garbage(((\n",
        "write(3</x>, \"abc\", 3) = 3\n",
        "write(3</x>, \"ab",
    ));
    assert_eq!(r.summary.write_ops, 2);
    let w = r.warnings.join("\n");
    assert!(w.contains("2 lines were not understood"), "{w}");
    assert!(w.contains("line 1"), "{w}");
    assert!(w.contains("last line (line 5)"), "{w}");
}

#[test]
fn relative_stamps_beside_absolute_ones_are_read() {
    // strace -r -tt, -r -ttt.
    let r = report(concat!(
        "7 12:00:00.100000 (+     0.000000) write(3</x>, \"a\", 1) = 1\n",
        "7 12:00:00.350000 (+     0.250000) write(3</x>, \"ab\", 2) = 2\n",
    ));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (2, 3));
    assert_eq!(r.elapsed_seconds, Some(0.25));
    let r = report("1700000000.5 (+     0.000000) read(3</x>, \"a\", 1) = 1\n1700000001.0 (+     0.500000) read(3</x>, \"a\", 1) = 1\n");
    assert_eq!((r.summary.read_ops, r.elapsed_seconds), (2, Some(0.5)));
}

#[test]
fn whole_second_stamps_in_one_second_give_no_rates() {
    // strace -t of a short run: every line in the same second.
    let r = report("12:00:01 write(3</x>, \"a\", 1) = 1\n12:00:01 write(3</x>, \"a\", 1) = 1\n");
    assert_eq!(r.elapsed_seconds, Some(0.0));
    assert_eq!((r.summary.iops, r.summary.throughput_bytes_per_second), (None, None));
    assert!(r.warnings.iter().any(|w| w.contains("whole seconds")), "{:?}", r.warnings);
    // With fractions the same lines say nothing of whole seconds.
    let r = report("12:00:01.000000 write(3</x>, \"a\", 1) = 1\n12:00:01.500000 write(3</x>, \"a\", 1) = 1\n");
    assert_eq!(r.summary.iops, Some(4.0));
    assert!(r.warnings.iter().all(|w| !w.contains("whole seconds")), "{:?}", r.warnings);
}

#[test]
fn time_of_day_stamps_cross_midnight() {
    let r = report(concat!(
        "23:59:59.500000 write(3</x>, \"a\", 1) = 1\n",
        "00:00:00.250000 write(3</x>, \"a\", 1) = 1\n",
    ));
    assert_eq!(r.elapsed_seconds, Some(0.75));
}

#[test]
fn stderr_style_pid_prefixes_and_orphan_resumes() {
    let r = report(concat!(
        "[pid  4242] <... write resumed>) = 10\n",
        "[pid  4242] write(3</x>, \"a\", 1) = 1\n",
        "[pid  4243] read(3</x>,  <unfinished ...>) = ?\n",
        "[pid  4243] +++ killed by SIGKILL +++\n",
    ));
    assert_eq!(r.summary.write_ops, 1);
    assert_eq!(r.other_fds.as_ref().unwrap().write_ops, 1);
    assert!(r.warnings.iter().any(|w| w.contains("begun before the log")), "{:?}", r.warnings);
}

#[test]
fn command_names_after_pids_with_capital_y() {
    let r = report(concat!(
        "4242<python3> write(3</x>, \"a\", 1 <unfinished ...>\n",
        "4243<python3> write(3</x>, \"b\", 1) = 1\n",
        "4242<python3> <... write resumed>) = 1\n",
    ));
    assert_eq!(r.summary.write_ops, 2);
    assert!(r.warnings.iter().all(|w| !w.contains("not understood")), "{:?}", r.warnings);
}

#[test]
fn window_markers_bound_what_is_counted() {
    let mut p = StraceParser::windowed(0x12345);
    let mut agg = Aggregator::new();
    let log = concat!(
        "7 1700000000.000000 write(3</f>, \"a\", 1) = 1 <0.000001>\n",
        "8 1700000000.000001 read(4</g>,  <unfinished ...>\n",
        "7 1700000000.000010 fcntl(-7771, 0x12345 /* F_??? */, 0x1) = -1 EBADF (Bad file descriptor) <0.000001>\n",
        "7 1700000000.000011 fcntl(-7771, 0x99999 /* F_??? */, 0x2) = -1 EBADF (Bad file descriptor) <0.000001>\n",
        "7 1700000000.000012 write(3</f>, \"ab\", 2) = 2 <0.000001>\n",
        "8 1700000000.000013 <... read resumed>\"xyz\", 3) = 3 <0.000012>\n",
        "7 1700000000.000020 fcntl(-7771, 0x12345 /* F_??? */, 0x2) = -1 EBADF (Bad file descriptor) <0.000001>\n",
        "7 1700000000.000030 write(3</f>, \"abc\", 3) = 3 <0.000001>\n",
        "8 1700000000.000031 read(4</g>,  <detached ...>\n",
    );
    for l in log.lines() {
        p.line(l.as_bytes(), &mut agg);
    }
    p.finish(&mut agg);
    let r = p.report(&agg, ReportContext { method: crate::source::Source::Strace, ..Default::default() });
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (1, 2));
    assert_eq!((r.summary.read_ops, r.summary.read_bytes), (1, 3));
    assert_eq!(r.elapsed_seconds, Some(10e-6));
    assert_eq!(r.failed_ops.as_ref().unwrap().total, 0, "the markers are not failures");
    assert_eq!(
        r.warnings,
        [
            "strace log: the access pattern of 2 read/write call(s) that name no offset is unknown: the log does not show their fd opened (before the log began, by another process or thread, or opens not traced)",
            // The live source's own warning, now the builder's (it was added in TypeScript).
            "strace does not see storage-level bytes (reads served from the page cache, writes reaching the disk): --method ebpf and --method ptrace report them"
        ]
    );
}

mod fuzz {
    //! Arbitrary input never panics and never loops: every line is parsed in
    //! one bounded pass (the test would hang or fail otherwise).
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "1234 ", "[pid 7] ", "1700000000.123456 ", "12:00:01.5 ", "read(", "write(", "pread64(", "sendfile(", "splice(",
        "<... read resumed>", "<... write resumed>", "<unfinished ...>", "<detached ...>", "3</tmp/x>", "5<TCP:[1->2]>",
        "</dev/null<char 1:3>>", "\"", "\\", "\\\"", "\"...", ", ", ")", "(", "[", "]", "{", "}", "<", ">", " = ", "-1 ",
        "EINTR (x)", "? ERESTARTSYS (y)", "100", "-", "<0.000123>", "+++ exited with 1 +++", "+++ killed by SIGKILL +++",
        "--- SIGCHLD {} ---", "rt_sigreturn({mask=[]})", "\r", " ", "0x", "\u{e9}",
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
        #[test]
        fn never_panics(lines in lines()) {
            let mut p = StraceParser::new();
            let mut agg = Aggregator::new();
            for l in &lines {
                p.line(l, &mut agg);
            }
            p.finish(&mut agg);
            let r = p.report(&agg, ReportContext::default());
            let _ = r.to_json();
        }
    }
}

/// (sequential, strided, random, unknown) operations of one access stream.
fn counts(a: &Option<crate::pattern::AccessSummary>) -> (u64, u64, u64, u64) {
    let a = a.as_ref().expect("an access summary");
    (a.sequential_ops, a.strided_ops, a.random_ops, a.unknown_ops)
}

const POSITIONS_WARNING: &str = "strace log: the access pattern of";

#[test]
fn read_offsets_follow_open_lseek_and_close_like_preads_at_those_offsets() {
    // Reads at 0, 100, then lseek to 1000 and 1900 (a stride of 900), back to 0.
    let by_position = report(concat!(
        // A start-up call only an unfiltered trace shows: lseeks would show too.
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY|O_CLOEXEC) = 3</d/a>\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 lseek(3</d/a>, 1000, SEEK_SET) = 1000\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 lseek(3</d/a>, 800, SEEK_CUR) = 1900\n",
        "1 readv(3</d/a>, [{iov_base=\"\", iov_len=100}], 1) = 100\n",
        "1 lseek(3</d/a>, 0, SEEK_SET) = 0\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 close(3</d/a>) = 0\n",
        "1 openat(AT_FDCWD</d>, \"/d/b\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/b>\n",
        "1 write(3</d/b>, \"\", 10) = 10\n",
        "1 writev(3</d/b>, [{iov_base=\"\", iov_len=10}], 1) = 10\n",
        "1 pwrite64(3</d/b>, \"\", 10, 20) = 10\n",
        "1 write(3</d/b>, \"\", 10) = 10\n",
    ));
    let by_offset = report(concat!(
        "1 pread64(3</d/a>, \"\", 100, 0) = 100\n",
        "1 pread64(3</d/a>, \"\", 100, 100) = 100\n",
        "1 pread64(3</d/a>, \"\", 100, 1000) = 100\n",
        "1 pread64(3</d/a>, \"\", 100, 1900) = 100\n",
        "1 pread64(3</d/a>, \"\", 100, 0) = 100\n",
        "1 pwrite64(3</d/b>, \"\", 10, 0) = 10\n",
        "1 pwrite64(3</d/b>, \"\", 10, 10) = 10\n",
        "1 pwrite64(3</d/b>, \"\", 10, 20) = 10\n",
        "1 pwrite64(3</d/b>, \"\", 10, 20) = 10\n",
    ));
    let (a, b) = (file(&by_position, "/d/a"), file(&by_position, "/d/b"));
    assert_eq!(a.read_access, file(&by_offset, "/d/a").read_access);
    assert_eq!(counts(&a.read_access), (2, 2, 1, 0));
    assert_eq!(a.read_access.as_ref().unwrap().stride_bytes, Some(900));
    // The pwrite did not move the position: the last write() starts at 20 again.
    assert_eq!(b.write_access, file(&by_offset, "/d/b").write_access);
    assert_eq!(counts(&b.write_access), (3, 0, 1, 0));
    assert!(by_position.warnings.iter().all(|w| !w.starts_with(POSITIONS_WARNING)), "{:?}", by_position.warnings);
}

#[test]
fn closed_and_never_opened_fds_stay_unknown_never_zero() {
    let r = report(concat!(
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        // Opened before the log: unknown, even after an lseek (it may be O_APPEND).
        "1 read(5</d/a>, \"\", 100) = 100\n",
        "1 lseek(5</d/a>, 0, SEEK_SET) = 0\n",
        "1 write(5</d/a>, \"\", 100) = 100\n",
        "1 pread64(5</d/a>, \"\", 100, 4096) = 100\n",
        "1 openat(AT_FDCWD</d>, \"/d/b\", O_RDONLY) = 3</d/b>\n",
        "1 read(3</d/b>, \"\", 100) = 100\n",
        "1 close(3</d/b>) = 0\n",
        "1 read(3</d/b>, \"\", 100) = 100\n",
    ));
    let a = file(&r, "/d/a");
    assert_eq!(counts(&a.read_access), (1, 0, 0, 1), "only the pread is placed");
    assert_eq!(counts(&a.write_access), (0, 0, 0, 1));
    assert_eq!(counts(&file(&r, "/d/b").read_access), (1, 0, 0, 1));
    assert!(
        r.warnings.contains(&format!("{POSITIONS_WARNING} 3 read/write call(s) that name no offset is unknown: the log does not show their fd opened (before the log began, by another process or thread, or opens not traced)")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn o_append_writes_land_at_an_end_the_log_never_shows_so_stay_unknown() {
    let r = report(concat!(
        "1 lseek(0</dev/null>, 0, SEEK_CUR) = 0\n",
        "1 openat(AT_FDCWD</d>, \"/d/log\", O_WRONLY|O_CREAT|O_APPEND, 0644) = 3</d/log>\n",
        "1 write(3</d/log>, \"\", 10) = 10\n",
        "1 write(3</d/log>, \"\", 10) = 10\n",
        // The name holds the flag's letters; the flags do not.
        "1 openat(AT_FDCWD</d>, \"/d/O_APPEND\", O_RDWR) = 4</d/O_APPEND>\n",
        "1 write(4</d/O_APPEND>, \"\", 10) = 10\n",
        "1 write(4</d/O_APPEND>, \"\", 10) = 10\n",
        // F_SETFL turns appending on for fd 4.
        "1 fcntl(4</d/O_APPEND>, F_SETFL, O_RDWR|O_APPEND) = 0\n",
        "1 write(4</d/O_APPEND>, \"\", 10) = 10\n",
    ));
    assert_eq!(counts(&file(&r, "/d/log").write_access), (0, 0, 0, 2));
    assert_eq!(counts(&file(&r, "/d/O_APPEND").write_access), (2, 0, 0, 1));
    let warned: Vec<_> = r.warnings.iter().filter(|w| w.starts_with(POSITIONS_WARNING)).collect();
    assert_eq!(
        warned,
        [&format!("{POSITIONS_WARNING} 3 O_APPEND write(s) is unknown: they land at the file's end, which the log does not show")]
    );
}

#[test]
fn a_dup_starts_where_its_original_is_until_one_of_them_moves() {
    let r = report(concat!(
        "1 lseek(0</dev/null>, 0, SEEK_CUR) = 0\n",
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 dup(3</d/a>) = 4</d/a>\n",
        "1 read(4</d/a>, \"\", 100) = 100\n",
        // fd 4's read moved the position fd 3 shares (one open file description).
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 dup2(4</d/a>, 7) = 7</d/a>\n",
        "1 close(4</d/a>) = 0\n",
        "1 read(7</d/a>, \"\", 100) = 100\n",
        "1 fcntl(7</d/a>, F_DUPFD_CLOEXEC, 10) = 10</d/a>\n",
        "1 close(7</d/a>) = 0\n",
        "1 read(10</d/a>, \"\", 100) = 100\n",
    ));
    // One description, as the kernel keeps it: at 0, 100, 200, 300 and 400.
    assert_eq!(counts(&file(&r, "/d/a").read_access), (5, 0, 0, 0));
}

#[test]
fn an_fd_used_by_another_pid_becomes_unknown_for_both() {
    let r = report(concat!(
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        // A thread (or a forked child) reads the same fd: the position is shared.
        "2 read(3</d/a>, \"\", 100) = 100\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
    ));
    assert_eq!(counts(&file(&r, "/d/a").read_access), (1, 0, 0, 2));
}

#[test]
fn processes_with_their_own_fd_of_one_number_each_keep_their_positions() {
    let r = report(concat!(
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        "1 openat(AT_FDCWD</d>, \"/d/p\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/p>\n",
        "2 openat(AT_FDCWD</d>, \"/d/c\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/c>\n",
        "1 write(3</d/p>, \"\", 10) = 10\n",
        "2 write(3</d/c>, \"\", 10) = 10\n",
        "2 close(3</d/c>) = 0\n",
        "2 +++ exited with 0 +++\n",
        "1 write(3</d/p>, \"\", 10) = 10\n",
        // Another pid closes fd 3 without having opened it (a thread): pid 1's entry goes.
        "3 close(3</d/p>) = 0\n",
        "1 write(3</d/p>, \"\", 10) = 10\n",
    ));
    assert_eq!(counts(&file(&r, "/d/p").write_access), (2, 0, 0, 1));
    assert_eq!(counts(&file(&r, "/d/c").write_access), (1, 0, 0, 0));
}

#[test]
fn garbled_positions_saturate_and_halves_without_their_fd_forget_the_pid() {
    let r = report(concat!(
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "1 lseek(3</d/a>, 0, SEEK_END) = 9223372036854775807\n",
        "1 read(3</d/a>, \"\", 10) = 9223372036854775807\n",
        "1 read(3</d/a>, \"\", 10) = 10\n",
        "1 read(3</d/a>, \"\", 10) = 10\n",
        // An lseek whose first half is not in the log: which fd moved is unknown.
        "1 <... lseek resumed>) = 0\n",
        "1 read(3</d/a>, \"\", 10) = 10\n",
    ));
    assert_eq!(counts(&file(&r, "/d/a").read_access).3, 1, "the read after the unknown lseek");
}

#[test]
fn sendfile_with_a_null_offset_moves_both_positions() {
    let r = report(concat!(
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        "1 openat(AT_FDCWD</d>, \"/d/in\", O_RDONLY) = 3</d/in>\n",
        "1 openat(AT_FDCWD</d>, \"/d/out\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4</d/out>\n",
        "1 sendfile(4</d/out>, 3</d/in>, NULL, 100) = 100\n",
        "1 sendfile(4</d/out>, 3</d/in>, NULL, 100) = 100\n",
        // An offset pointer: the input's position does not move, the output's does.
        "1 sendfile(4</d/out>, 3</d/in>, [0] => [100], 100) = 100\n",
        "1 read(3</d/in>, \"\", 100) = 100\n",
    ));
    assert_eq!(counts(&file(&r, "/d/in").read_access), (3, 0, 0, 1));
    assert_eq!(counts(&file(&r, "/d/out").write_access), (3, 0, 0, 0));
}

#[test]
fn a_log_with_opens_but_no_lseek_lines_gives_no_offsets_and_says_why() {
    let log = concat!(
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 pread64(3</d/a>, \"\", 100, 0) = 100\n",
        "1 close(3</d/a>) = 0\n",
    );
    let r = report(log);
    assert_eq!(counts(&file(&r, "/d/a").read_access), (1, 0, 0, 2));
    let warned: Vec<_> = r.warnings.iter().filter(|w| w.starts_with(POSITIONS_WARNING)).collect();
    assert_eq!(
        warned,
        [&format!("{POSITIONS_WARNING} 2 read/write call(s) that name no offset is unknown: the log shows opens but no lseek (strace -e trace= without lseek?), so fd positions cannot be followed")]
    );
    // The same calls in an unfiltered trace (the process's start-up calls show): offsets known.
    let r = report(&format!("1 brk(NULL) = 0x55d5d0a3e000\n{log}"));
    assert_eq!(counts(&file(&r, "/d/a").read_access), (2, 0, 1, 0));
    assert!(r.warnings.iter().all(|w| !w.starts_with(POSITIONS_WARNING)), "{:?}", r.warnings);
}

// ------------------------------------------- names that are not UTF-8

#[test]
fn paths_differing_in_a_byte_that_is_not_utf8_are_two_files() {
    // strace -y prints such a byte as an octal escape (`\351`); `\\` is a backslash.
    let r = report(concat!(
        "write(3</tmp/caf\\351.txt>, \"ab\", 2) = 2\n",
        "write(3</tmp/caf\\351.txt>, \"ab\", 2) = 2\n",
        "write(4</tmp/caf\\352.txt>, \"abcde\", 5) = 5\n",
        "write(5</tmp/caf\\303\\251.txt>, \"a\", 1) = 1\n",
        "write(6</tmp/back\\\\slash>, \"a\", 1) = 1\n",
        "write(7</tmp/hex\\xe9>, \"a\", 1) = 1\n",
    ));
    let row = |p: &str| {
        let f = file(&r, p);
        (f.write_ops, f.write_bytes)
    };
    assert_eq!(row("/tmp/caf\\xe9.txt"), (2, 4));
    assert_eq!(row("/tmp/caf\\xea.txt"), (1, 5));
    assert_eq!(row("/tmp/caf\u{e9}.txt"), (1, 1), "valid UTF-8 stays as it is");
    assert_eq!(row("/tmp/back\\\\slash"), (1, 1));
    assert_eq!(row("/tmp/hex\\xe9"), (1, 1), "-x hex escapes decode to the same byte");
    assert_eq!(r.files.as_ref().unwrap().len(), 5, "{:?}", r.files);

    // -xx escapes every byte of a path, `/` too; the device of -yy stays raw.
    let r = report(concat!(
        "write(3<\\x2f\\x74\\x6d\\x70\\x2f\\x63\\x61\\x66\\xe9>, \"\\x61\", 1) = 1\n",
        "write(4<\\x2f\\x64\\x65\\x76\\x2f\\x6e\\x75\\x6c\\x6c<char 1:3>>, \"\\x61\\x62\", 2) = 2\n",
    ));
    let f = file(&r, "/tmp/caf\\xe9");
    assert_eq!((f.kind, f.write_ops, f.write_bytes), (FdKind::File, 1, 1));
    assert_eq!(file(&r, "/dev/null").kind, FdKind::Other);
}

// --------------------------- the program's output inside strace's lines

#[test]
fn a_call_cut_in_two_by_the_programs_output_is_put_back_together() {
    // The field case: `strace ./app 2>&1`, the app writing to stderr and stdout.
    let text = std::fs::read_to_string(format!("{}/../../__test__/fixtures/strace/strace_app_output_interleaved.log", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let r = report(&text);
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (2, 20));
    let w = r.warnings.join("\n");
    assert!(w.contains("1 call(s) were cut in two by the traced program's own output"), "{w}");
    assert!(!w.contains("not understood") && !w.contains("cut short"), "{w}");
}

#[test]
fn program_output_of_any_shape_between_the_halves() {
    let r = report(concat!(
        // Quotes and parentheses in the output glued to the first half.
        "write(1, \"a(\\\"b\", 4a(\"b) = 4\n",
        // Output over several lines: the ones between are the program's.
        "write(1, \"x\\ny\\nz\", 5x\n",
        "y\n",
        "z) = 5\n",
        // A failure, timestamps and -T.
        "12:00:00.000001 write(2, \"e\\n\", 2e\n",
        ") = -1 EPIPE (Broken pipe) <0.000010>\n",
        "12:00:00.000002 write(2, \"ok\\n\", 3ok\n",
        ") = 3 <0.000020>\n",
    ));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (3, 4 + 5 + 3));
    assert_eq!(r.failed_ops.as_ref().unwrap().by_errno.get("EPIPE"), Some(&1));
    let w = r.warnings.join("\n");
    assert!(w.contains("4 call(s) were cut in two"), "{w}");
    assert!(w.contains("1 line was not understood and skipped (first, line 3: \"y\")"), "{w}");
}

#[test]
fn with_threads_strace_ends_the_cut_line_unfinished() {
    // Another thread's line comes before the result: strace closes the first
    // half with `<unfinished ...>`, after the program's output.
    let r = report(concat!(
        "[pid 7] write(1</dev/pts/0>, \"hi\\n\", 3hi\n",
        " <unfinished ...>\n",
        "[pid 8] write(3</tmp/f>, \"abcd\", 4) = 4\n",
        "[pid 7] <... write resumed>) = 3\n",
    ));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes), (1, 4));
    assert_eq!(r.other_fds.as_ref().unwrap().write_bytes, 3, "the tty write, counted apart");
    assert!(r.warnings.iter().all(|w| !w.contains("not understood") && !w.contains("never returned")), "{:?}", r.warnings);
}

#[test]
fn a_held_first_half_that_strace_never_ends_is_a_line_not_understood() {
    let r = report(concat!(
        "write(3</x>, \"ab\n",
        "write(3</x>, \"abc\", 3) = 3\n",
        "write(3</x>, \"abc\", 3) = 3\n",
    ));
    assert_eq!(r.summary.write_ops, 2);
    let w = r.warnings.join("\n");
    assert!(w.contains("1 line was not understood and skipped (first, line 1:"), "{w}");
    assert!(!w.contains("cut in two"), "{w}");
}

#[test]
fn detection_scores() {
    use crate::parse::Score;
    let lines = |t: &'static str| -> Vec<&'static [u8]> { t.split('\n').map(str::as_bytes).collect() };
    assert_eq!(score(&lines("write(1, \"x\", 1) = 1\nhello\n+++ exited with 0 +++")), Score { signature: 2, understood: 0, foreign: 1 });
    assert_eq!(score(&lines("f(x) = 3\nmmap(NULL, 4096) = 0x7f00")), Score { signature: 0, understood: 2, foreign: 0 });
    assert_eq!(score(&lines("write(2, \"a\\n\", 2a\n) = 2")), Score { signature: 1, understood: 0, foreign: 0 });
}

#[test]
fn an_argument_packs_into_32_bytes() {
    // Lexed records cross threads once per line and pending calls are copied:
    // their arguments stay packed (presence in flags, not in Options).
    assert_eq!(std::mem::size_of::<super::calls::Arg>(), 32);
    let a = super::calls::Arg::number(-1);
    assert_eq!((a.num(), a.target()), (Some(-1), None));
    let w = super::calls::Arg::word(super::calls::Word::Null);
    assert_eq!((w.num(), w.target(), w.null()), (None, None, true));
}

#[test]
fn crlf_line_ends_read_as_lf_ones_lexed_here_or_ahead() {
    let log = concat!(
        "7 1700000000.000000 write(3</f>, \"a\", 1) = 1 <0.000001>\n",
        "7 1700000000.000010 fcntl(-7771, 0x12345 /* F_??? */, 0x1) = -1 EBADF (Bad file descriptor) <0.000001>\n",
        "8 1700000000.000011 read(4</g>,  <unfinished ...>\n",
        "7 1700000000.000012 write(3</f>, \"ab\", 2) = 2 <0.000001>\n",
        "8 1700000000.000013 <... read resumed>\"xyz\", 3) = 3 <0.000012>\n",
        "7 1700000000.000020 fcntl(-7771, 0x12345 /* F_??? */, 0x2) = -1 EBADF (Bad file descriptor) <0.000001>\n",
        "7 1700000000.000030 +++ killed by SIGKILL +++\n",
    );
    let run = |crlf: bool, ahead: bool| {
        let mut p = StraceParser::windowed(0x12345);
        let mut agg = Aggregator::new();
        for l in log.lines() {
            let line = if crlf { format!("{l}\r") } else { l.to_string() };
            if ahead {
                let mut lexed = LexedLine::default();
                lex_line(line.as_bytes(), &mut lexed);
                p.lexed_line(line.as_bytes(), &mut lexed, &mut agg);
            } else {
                p.line(line.as_bytes(), &mut agg);
            }
        }
        p.finish(&mut agg);
        let r = p.report(&agg, ReportContext { method: crate::source::Source::Strace, ..Default::default() });
        let names: Vec<_> = r.files.iter().flatten().map(|f| f.path.clone()).collect();
        (r.summary.write_ops, r.summary.write_bytes, r.summary.read_ops, r.elapsed_seconds, r.exit.map(|e| e.signal), names, r.warnings)
    };
    let lf = run(false, false);
    assert_eq!((lf.0, lf.1, lf.2, lf.3), (1, 2, 1, Some(10e-6)));
    assert_eq!(lf.4, Some(Some("SIGKILL".to_string())));
    for (crlf, ahead) in [(true, false), (true, true), (false, true)] {
        assert_eq!(run(crlf, ahead), lf, "crlf {crlf}, lexed ahead {ahead}");
    }
}

#[test]
fn numbers_up_to_u64_max_are_read_longer_ones_refused() {
    use super::lexer::parse_u64;
    let at = |text: &str, i: usize| parse_u64(text.as_bytes(), i);
    assert_eq!(at("0", 0), Some((0, 1)));
    assert_eq!(at("x 1234)", 2), Some((1234, 6)));
    assert_eq!(at("9999999999999999999,", 0), Some((9_999_999_999_999_999_999, 19)), "19 digits");
    assert_eq!(at("18446744073709551615 ", 0), Some((u64::MAX, 20)));
    assert_eq!(at("00000000000000000000000042", 0), Some((42, 26)), "leading zeros");
    assert_eq!(at("18446744073709551616", 0), None, "u64::MAX + 1");
    assert_eq!(at("99999999999999999999", 0), None);
    assert_eq!(at("123456789012345678901", 0), None, "21 digits");
    assert_eq!(at("", 0), None);
    assert_eq!(at("-1", 0), None);
}

#[test]
fn our_own_strace_run_an_empty_log_is_zero_calls_in_the_callers_time_and_no_metadata_call_is_zero() {
    use crate::warning::WarningCode;
    let own = |text: &str, elapsed_ns| {
        let mut p = StraceParser::new().tracing_lseek().tracing_metadata();
        let mut agg = Aggregator::new();
        for line in text.lines() {
            p.line(line.as_bytes(), &mut agg);
        }
        p.finish(&mut agg);
        p.report(&agg, ReportContext { method: crate::source::Source::Strace, elapsed_ns, ..Default::default() })
    };
    // Nothing traced in 1.5 s: zeros in that time, not unknowns.
    let r = own("", 1_500_000_000);
    assert_eq!(r.elapsed_seconds, Some(1.5));
    assert_eq!((r.summary.read_ops, r.summary.write_ops, r.summary.iops, r.summary.throughput_bytes_per_second), (0, 0, Some(0.0), Some(0.0)));
    assert_eq!(r.metadata_ops.as_ref().map(|m| m.total), Some(0));
    assert!(r.latency.is_some());
    assert_eq!(r.warning_codes, [WarningCode::NoStorageBytes]);
    // A log with calls keeps its own clock, whatever the caller measured;
    // data calls only, and metadata traced: a measured zero.
    let r = own("7 1700000000.000000 write(3</tmp/a>, \"\", 2) = 2 <0.000001>\n7 1700000000.000010 write(3</tmp/a>, \"\", 2) = 2 <0.000001>", 9_000_000_000);
    assert_eq!(r.elapsed_seconds, Some(10e-6));
    assert_eq!(r.metadata_ops.as_ref().map(|m| m.total), Some(0));
    assert!(!r.warning_codes.contains(&WarningCode::NoMetadataCalls), "{:?}", r.warnings);
    // An imported empty log has no time of its own, and says so.
    let r = report("");
    assert_eq!(r.elapsed_seconds, None);
    assert!(r.warning_codes.contains(&WarningCode::NoTimestamps) && r.warning_codes.contains(&WarningCode::NoMetadataCalls));
}

/// Issue 14: where the time goes, per kind of call and per file, from -T.
#[test]
fn time_per_call_kind_and_per_file_from_durations() {
    let r = report(concat!(
        "100 1700000000.000000 openat(AT_FDCWD</d>, \"db\", O_RDWR|O_CREAT|O_DSYNC, 0644) = 3</d/db> <0.000010>\n",
        "100 1700000000.000100 pwrite64(3</d/db>, \"\"..., 4096, 0) = 4096 <0.000020>\n",
        "100 1700000000.000200 fsync(3</d/db>) = 0 <0.005000>\n",
        "100 1700000000.010000 fdatasync(3</d/db> <unfinished ...>\n",
        "101 1700000000.010001 newfstatat(AT_FDCWD</d>, \"x\", 0x7ffd, 0) = -1 ENOENT (No such file or directory) <0.000003>\n",
        "100 1700000000.013000 <... fdatasync resumed>) = 0 <0.003000>\n",
        "100 1700000000.013100 sync_file_range(3</d/db>, 0, 4096, SYNC_FILE_RANGE_WRITE) = 0 <0.000500>\n",
        "100 1700000000.013700 mkdir(\"/d/sub\", 0755) = 0 <0.000040>\n",
        "100 1700000000.013800 read(3</d/db>, \"\"..., 100) = -1 EBADF (Bad file descriptor) <0.000001>\n",
        "100 1700000000.100000 close(3</d/db>) = 0 <0.000002>\n",
    ));
    let kinds: Vec<_> = r.call_time.as_ref().unwrap().iter().map(|c| (c.kind, c.calls, c.failed)).collect();
    use crate::report::CallKind::*;
    assert_eq!(kinds, [(Sync, 3, 0), (OtherMetadata, 1, 0), (Write, 1, 0), (Open, 1, 0), (Stat, 0, 1), (Close, 1, 0), (Read, 0, 1)]);
    let sync = &r.call_time.as_ref().unwrap()[0];
    assert!((sync.total_seconds - 0.0085).abs() < 1e-9, "{}", sync.total_seconds);
    assert!((sync.mean_seconds.unwrap() - 0.0085 / 3.0).abs() < 1e-9);
    assert!((sync.p99_seconds.unwrap() - 0.005).abs() < 0.005 * 0.03, "p99 within its bin: {:?}", sync.p99_seconds);
    assert!((sync.share_of_elapsed.unwrap() - 0.085).abs() < 1e-6, "{:?} of {:?}", sync.share_of_elapsed, r.elapsed_seconds);
    let db = file(&r, "/d/db");
    assert_eq!(db.syncs, 3, "fsync, fdatasync, sync_file_range");
    assert!((db.seconds.unwrap() - (0.000020 + 0.0085)).abs() < 1e-9, "the write and the syncs, not the failed read: {:?}", db.seconds);
    assert_eq!(db.open_flags, ["O_DSYNC"]);
    assert_eq!(r.metadata_ops.as_ref().unwrap().fsyncs, 3, "one definition of a sync: sync_file_range too, as where the time goes counts it");
}

#[test]
fn without_durations_no_time_but_syncs_and_flags() {
    let r = report(concat!(
        "100 openat(AT_FDCWD, \"/v/f\", O_WRONLY|O_CREAT|O_DIRECT|O_DIRECTORY_NOT, 0644) = 3</v/f>\n",
        "100 openat(AT_FDCWD, \"/v/g\", O_WRONLY|O_SYNC) = 4</v/g>\n",
        "100 openat(AT_FDCWD, \"/v/h\", O_RDONLY|O_DIRECTORY) = 5</v/h>\n",
        "100 write(3</v/f>, \"\"..., 4096) = 4096\n",
        "100 write(4</v/g>, \"\"..., 10) = 10\n",
        "100 read(5</v/h>, \"\"..., 10) = 10\n",
        "100 fsync(4</v/g>) = 0\n",
    ));
    assert!(r.call_time.is_none(), "no -T: no time per kind");
    assert_eq!(file(&r, "/v/f").seconds, None);
    assert_eq!(file(&r, "/v/f").open_flags, ["O_DIRECT"]);
    assert_eq!(file(&r, "/v/g").open_flags, ["O_SYNC"]);
    assert!(file(&r, "/v/h").open_flags.is_empty(), "O_DIRECTORY is not O_DIRECT");
    assert_eq!((file(&r, "/v/g").syncs, file(&r, "/v/f").syncs), (1, 0));
}

#[test]
fn file_mappings_listed_anonymous_ones_not() {
    let r = report(concat!(
        "100 1.000000 openat(AT_FDCWD, \"/lib/libc.so.6\", O_RDONLY|O_CLOEXEC) = 3</usr/lib/libc.so.6> <0.000010>\n",
        "100 1.000100 mmap(NULL, 2125776, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3</usr/lib/libc.so.6>, 0) = 0x7f0000000000 <0.000010>\n",
        "100 1.000200 mmap(0x7f0000028000, 1429504, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/libc.so.6>, 0x28000) = 0x7f0000028000 <0.000010>\n",
        "100 1.000300 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000300000 <0.000010>\n",
        "100 1.000400 openat(AT_FDCWD, \"/data/big\", O_RDONLY) = 4</data/big> <0.000010>\n",
        "100 1.000500 mmap(NULL, 209715200, PROT_READ, MAP_SHARED, 4</data/big>, 0) = 0x7e0000000000 <0.000010>\n",
        "100 1.000600 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 4</data/big>, 0) = -1 EACCES (Permission denied) <0.000010>\n",
        "100 1.000700 read(4</data/big>, \"\"..., 10) = 10 <0.000010>\n",
    ));
    let m = r.mappings.as_ref().unwrap();
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!((m[0].path.as_str(), m[0].maps, m[0].bytes, m[0].prot.as_str(), m[0].shared, m[0].exec), ("/data/big", 1, 209_715_200, "r", true, false));
    assert_eq!((m[1].path.as_str(), m[1].maps, m[1].bytes, m[1].prot.as_str(), m[1].exec), ("/usr/lib/libc.so.6", 2, 2_125_776 + 1_429_504, "rx", true));
    assert!(r.warning_codes.contains(&crate::warning::WarningCode::MmapNotCounted));
    // A log whose trace set left mmap out cannot list mappings.
    let r = report("100 1.0 read(4</data/big>, \"\"..., 10) = 10 <0.000010>\n");
    assert!(r.mappings.is_none());
}

#[test]
fn a_forked_child_and_its_parent_share_the_descriptions_of_the_fds_it_inherits() {
    // fixtures/strace/fdshare.c's `fork` (as n6's fk.c): open, fork; the
    // child writes 5 x 10 B, then the parent 5 x 10 B: 0..100 in order.
    let r = report(concat!(
        "30681 1796034387.036463 brk(NULL)       = 0x96ced00 <0.000010>\n",
        "30681 1796034387.036479 openat(AT_FDCWD</w>, \"fk.dat\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</w/fk.dat> <0.000258>\n",
        "30681 1796034387.036803 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x96ce650) = 30682 <0.000090>\n",
        "30682 1796034387.036967 write(3</w/fk.dat>, \"0123456789\", 10) = 10 <0.000014>\n",
        "30682 1796034387.037016 write(3</w/fk.dat>, \"0123456789\", 10) = 10 <0.000009>\n",
        "30682 1796034387.037135 exit_group(0)   = ?\n",
        "30682 1796034387.037189 +++ exited with 0 +++\n",
        "30681 1796034387.037241 write(3</w/fk.dat>, \"abcdefghij\", 10) = 10 <0.000009>\n",
        "30681 1796034387.037270 write(3</w/fk.dat>, \"abcdefghij\", 10) = 10 <0.000009>\n",
    ));
    assert_eq!(counts(&file(&r, "/w/fk.dat").write_access), (4, 0, 0, 0));
    assert!(r.warnings.iter().all(|w| !w.contains("access pattern")), "{:?}", r.warnings);
}

#[test]
fn a_thread_shares_the_table_even_when_its_first_call_comes_before_the_clone_returns() {
    let r = report(concat!(
        "10 brk(NULL) = 0x55d5d0a3e000\n",
        "10 openat(AT_FDCWD</w>, \"th.dat\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</w/th.dat>\n",
        "10 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x7f, parent_tid=0x7f, exit_signal=0, stack=0x7f, stack_size=0x800300, tls=0x7f} <unfinished ...>\n",
        "11 write(3</w/th.dat>, \"0123456789\", 10) = 10\n",
        "10 <... clone3 resumed> => {parent_tid=[11]}, 88) = 11\n",
        "11 write(3</w/th.dat>, \"0123456789\", 10) = 10\n",
        // The thread opens fd 4: the table is one, so the main thread has it too.
        "11 openat(AT_FDCWD</w>, \"t2.dat\", O_RDONLY) = 4</w/t2.dat>\n",
        "11 +++ exited with 0 +++\n",
        "10 write(3</w/th.dat>, \"abcdefghij\", 10) = 10\n",
        "10 read(4</w/t2.dat>, \"\", 10) = 10\n",
        "10 read(4</w/t2.dat>, \"\", 10) = 10\n",
    ));
    assert_eq!(counts(&file(&r, "/w/th.dat").write_access), (3, 0, 0, 0));
    assert_eq!(counts(&file(&r, "/w/t2.dat").read_access), (2, 0, 0, 0));
}

#[test]
fn a_vforked_child_that_execs_keeps_what_is_not_close_on_exec() {
    let r = report(concat!(
        "1 lseek(0</dev/null>, 0, SEEK_CUR) = 0\n",
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "1 openat(AT_FDCWD</d>, \"/d/b\", O_RDONLY|O_CLOEXEC) = 4</d/b>\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 vfork( <unfinished ...>\n",
        "2 read(3</d/a>, \"\", 100) = 100\n",
        "2 dup2(3</d/a>, 0</dev/null>) = 0</d/a>\n",
        "2 execve(\"/bin/x\", [\"x\"], 0x7ffd /* 1 var */ <unfinished ...>\n",
        "1 <... vfork resumed>) = 2\n",
        "2 <... execve resumed>) = 0\n",
        // fd 0 (a dup of 3) and fd 3 survive the exec, fd 4 (O_CLOEXEC) does not.
        "2 read(0</d/a>, \"\", 100) = 100\n",
        "2 read(4</d/b>, \"\", 100) = 100\n",
        "2 +++ exited with 0 +++\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "1 read(4</d/b>, \"\", 100) = 100\n",
    ));
    assert_eq!(counts(&file(&r, "/d/a").read_access), (4, 0, 0, 0));
    assert_eq!(counts(&file(&r, "/d/b").read_access), (1, 0, 0, 1));
}

#[test]
fn fds_of_a_pid_the_log_never_showed_born_may_be_shared_with_another() {
    // Unchanged by forks and threads the log shows: an attached thread (pid
    // 2) moves fd 3 of pid 1, and a forked child's own fd 3 is its own.
    let r = report(concat!(
        "1 brk(NULL) = 0x55d5d0a3e000\n",
        "1 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "1 fork() = 5\n",
        "5 close(3</d/a>) = 0\n",
        "5 openat(AT_FDCWD</d>, \"/d/c\", O_RDONLY) = 3</d/c>\n",
        "5 read(3</d/c>, \"\", 100) = 100\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
        "2 read(3</d/a>, \"\", 100) = 100\n",
        "1 read(3</d/a>, \"\", 100) = 100\n",
    ));
    assert_eq!(counts(&file(&r, "/d/a").read_access), (1, 0, 0, 2));
    assert_eq!(counts(&file(&r, "/d/c").read_access), (1, 0, 0, 0));
}

/// strace 6.1's `-C` table, after the calls of `-f -yy -r` (n7's c5.log shape).
const SUMMARY: &str = concat!(
    "% time     seconds  usecs/call     calls    errors syscall\n",
    "------ ----------- ----------- --------- --------- ----------------\n",
    "  0.00    0.000000           0         4           read\n",
    " 66,75    0,003708           0        15         1 write\n",
    "------ ----------- ----------- --------- --------- ----------------\n",
    "100.00    0.000000           0        45         1 total\n",
);

#[test]
fn the_summary_table_after_the_calls_is_no_clock_and_no_line_not_understood() {
    let calls = concat!(
        "7 0.000000 openat(AT_FDCWD</d>, \"/d/a\", O_WRONLY|O_CREAT, 0644) = 3</d/a>\n",
        "7 0.000100 write(3</d/a>, \"x\", 1) = 1\n",
        "7 0.000200 write(3</d/a>, \"x\", 1) = 1\n",
        "7 0.000050 +++ exited with 0 +++\n",
    );
    let r = report(&format!("{calls}{SUMMARY}"));
    assert!((r.elapsed_seconds.unwrap() - 0.00035).abs() < 1e-12, "{:?}", r.elapsed_seconds);
    assert_eq!(r.summary.write_ops, 2);
    assert!(r.warnings.iter().all(|w| !w.contains("not understood") && !w.contains("cut short")), "{:?}", r.warnings);
    let (p, _) = parse(&format!("{calls}{SUMMARY}"));
    assert_eq!(p.unusable(), None);
    // No timestamps at all (-C without -t/-r): the time is unknown, not the table's 100.00.
    let r = report(&format!("7 write(3</d/a>, \"x\", 1) = 1\n{SUMMARY}"));
    assert_eq!(r.elapsed_seconds, None);
}

#[test]
fn a_summary_table_alone_is_unusable_and_says_how_to_record_calls() {
    let (p, _) = parse(SUMMARY);
    let why = p.unusable().expect("a summary alone");
    assert!(why.contains("no calls to count") && why.contains("without -c"), "{why}");
    assert!(!why.contains('\n'));
    // -U's columns, name first; and the title strace gives per personality.
    let u = concat!(
        "System call usage summary for 32 bit mode:\n",
        "syscall              calls    errors  longest\n",
        "---------------- --------- --------- --------\n",
        "read                     4           0.000000\n",
        "total                   37           0.000000\n",
    );
    let lines: Vec<&[u8]> = u.lines().map(str::as_bytes).collect();
    assert!(looks_like(&lines), "detected as strace");
    let (p, _) = parse(u);
    assert!(p.unusable().is_some());
    assert_eq!(p.notes.unparsed.count, 0);
    // Rows without the table's head are anyone's text.
    let (p, _) = parse("12 34 read\n  0.00    0.000000           0         4           read\n");
    assert_eq!(p.notes.unparsed.count + p.notes.last_failed.is_some() as u64, 2);
    assert_eq!(p.unusable(), None);
}

#[test]
fn an_exec_by_a_thread_resumes_under_the_leaders_pid_with_or_without_strace_q() {
    // strace -q ends the thread's half `<pid changed to 10 ...>`, else `<unfinished ...>`.
    for end in ["<pid changed to 10 ...>", "<unfinished ...>"] {
        let r = report(&format!(
            concat!(
                "10 brk(NULL) = 0x55d5d0a3e000\n",
                "10 openat(AT_FDCWD</d>, \"/d/a\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/a>\n",
                "10 openat(AT_FDCWD</d>, \"/d/b\", O_RDONLY|O_CLOEXEC) = 4</d/b>\n",
                "10 clone3({{flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, exit_signal=0}} => {{parent_tid=[11]}}, 88) = 11\n",
                "11 write(3</d/a>, \"\", 10) = 10\n",
                "11 execve(\"./lw\", [\"lw\"], 0x7ffd /* 35 vars */ {end}\n",
                "10 +++ superseded by execve in pid 11 +++\n",
                "10 <... execve resumed>) = 0\n",
                "10 write(3</d/a>, \"\", 10) = 10\n",
                "10 read(4</d/b>, \"\", 10) = 10\n",
                "10 +++ exited with 0 +++\n",
            ),
            end = end
        ));
        assert!(r.warnings.iter().all(|w| !w.contains("not understood") && !w.contains("never returned")), "{end}: {:?}", r.warnings);
        assert_eq!(counts(&file(&r, "/d/a").write_access), (2, 0, 0, 0), "{end}: fd 3 survives the exec");
        assert_eq!(counts(&file(&r, "/d/b").read_access), (0, 0, 0, 1), "{end}: fd 4 was close-on-exec");
        assert_eq!(r.exit.as_ref().and_then(|e| e.code), Some(0));
    }
}

#[test]
fn a_thread_that_unshares_its_fd_table_opens_fds_of_its_own() {
    let r = report(concat!(
        "10 brk(NULL) = 0x55d5d0a3e000\n",
        "10 openat(AT_FDCWD</d>, \"/d/a\", O_RDONLY) = 3</d/a>\n",
        "10 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, exit_signal=0} => {parent_tid=[11]}, 88) = 11\n",
        "11 unshare(CLONE_FILES) = 0\n",
        // Its own copy: fd 3 still shares /d/a's description; its close is its own.
        "11 read(3</d/a>, \"\", 10) = 10\n",
        "11 close(3</d/a>) = 0\n",
        "11 openat(AT_FDCWD</d>, \"/d/b\", O_RDONLY) = 3</d/b>\n",
        "11 read(3</d/b>, \"\", 10) = 10\n",
        "10 read(3</d/a>, \"\", 10) = 10\n",
    ));
    assert_eq!(counts(&file(&r, "/d/a").read_access), (2, 0, 0, 0));
    assert_eq!(counts(&file(&r, "/d/b").read_access), (1, 0, 0, 0));
}
// --------------------------- an exec by a thread other than the leader

#[test]
fn an_exec_by_a_non_leader_thread_returns_as_the_leader_in_either_form() {
    // Real strace 6.1 logs of fixtures/thread-exec.c (`thread-exec a.dat b.dat`):
    // 3 + 4 writes of 10 B to a.dat before the exec, 5 after it to b.dat, exit 5.
    // With iops's own -e trace= the execve line ends `<pid changed to N ...>`;
    // without it, `<unfinished ...>`; either way strace then prints the
    // leader's `+++ superseded by execve in pid <thread> +++` and its
    // `<... execve resumed>`.
    for name in ["strace_thread_exec_pid_changed.log", "strace_thread_exec_unfinished.log"] {
        let text = std::fs::read_to_string(format!("{}/../../__test__/fixtures/strace/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let r = report(&text);
        let (a, b) = (file(&r, "/work/a.dat"), file(&r, "/work/b.dat"));
        assert_eq!((a.write_ops, a.write_bytes, b.write_ops, b.write_bytes), (7, 70, 5, 50), "{name}");
        assert_eq!(r.exit.as_ref().and_then(|e| e.code), Some(5), "{name}: the leader's pid exits with the execed program's status");
        let w = r.warnings.join("\n");
        assert!(!w.contains("not understood") && !w.contains("never returned"), "{name}: {w}");
    }
}
