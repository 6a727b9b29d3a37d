//! The time to build a large report with its findings, and to draw the
//! findings of its saved JSON (`reportFindings`, a report of an older
//! release): FILES files (default 100,000) written once each with a sync
//! after every write, the shape of `tar x` plus fsync; the best of ROUNDS
//! (default 5), since a shared machine only ever adds time.
//!
//!   cargo run --release -p iops-core --example report_build [FILES [ROUNDS]]
use iops_core::{findings, Aggregator, DataOp, Direction, FdKind, MetaKind, Report, ReportContext, Source, Syscall};
use std::time::{Duration, Instant};

fn best<T>(rounds: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let mut least = Duration::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        let x = f();
        least = least.min(t.elapsed());
        out = Some(x);
    }
    (least, out.expect("one round at least"))
}

fn main() {
    let arg = |i: usize, default: u64| std::env::args().nth(i).map_or(default, |a| a.parse().expect("a whole number"));
    let (files, rounds) = (arg(1, 100_000), arg(2, 5) as u32);
    let mut agg = Aggregator::new();
    for i in 0..files {
        let f = agg.file(&format!("/data/dir{}/file{i}.dat", i % 100), FdKind::File);
        agg.record_meta(MetaKind::Open, true, Some(2_000));
        let op = DataOp { syscall: Syscall::Write, direction: Direction::Write, bytes: 4096, start_ns: i * 10_000, latency_ns: Some(3_000), offset: Some(0) };
        agg.record_op(f, &op);
        agg.record_sync(f, Some(50_000));
        agg.record_meta(MetaKind::Fsync, true, Some(50_000));
        agg.record_meta(MetaKind::Close, true, Some(500));
    }
    let ctx = || ReportContext { method: Source::Ptrace, command: Some(vec!["./app".into()]), elapsed_ns: files * 10_000, ..Default::default() };
    let (built, report) = best(rounds, || Report::from_aggregator(&agg, ctx()));
    // Copies made before the clock starts: only the findings are timed.
    let mut copies: Vec<Report> = (0..rounds).map(|_| report.clone()).collect();
    let (refound, again) = best(rounds, || copies.pop().expect("a copy a round").with_findings());
    assert_eq!(again.findings, report.findings);
    let json = report.to_json();
    let (drawn, found) = best(rounds, || findings::of_json(&json).expect("a report"));
    assert_eq!(found, report.findings, "the saved JSON gets the same findings");
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    println!("{files} files, a report of {:.1} MiB, findings {codes:?}", json.len() as f64 / (1 << 20) as f64);
    println!("Report::from_aggregator (with findings): {:.1} ms (best of {rounds})", built.as_secs_f64() * 1e3);
    println!("of which its findings (Report::with_findings): {:.1} ms (best of {rounds})", refound.as_secs_f64() * 1e3);
    println!("findings of its JSON (reportFindings): {:.1} ms (best of {rounds})", drawn.as_secs_f64() * 1e3);
}
