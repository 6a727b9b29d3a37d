//! The strace import's work on one thread, for instruction counts that a
//! busy machine does not blur (timings do): reads a log in the blocks
//! `iops import` reads, finds their line ends, lexes every line, then parses
//! the records, and prints the counts.
//!
//!   cargo build --release -p iops-core --example strace_parse
//!   valgrind --tool=cachegrind --cache-sim=no target/release/examples/strace_parse LOG
use iops_core::lines::{line_ends, LineFeeder};
use iops_core::parse::{self, strace::LexedLine};
use iops_core::Aggregator;
use std::io::Read;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: strace_parse LOG");
        std::process::exit(2);
    };
    let format = parse::format("strace").expect("the strace format");
    let lex = format.lex.expect("strace's lexer");
    let mut parser = (format.parser)();
    let mut agg = Aggregator::new();
    let mut lines = LineFeeder::new();
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut buf = vec![0u8; 256 << 10];
    let (mut ends, mut lexed) = (Vec::new(), Vec::new());
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        ends.clear();
        line_ends(&buf[..n], &mut ends);
        lexed.resize(ends.len(), LexedLine::default());
        let mut start = 0;
        for (rec, &end) in lexed.iter_mut().zip(&ends) {
            lex(&buf[start..end as usize], rec);
            start = end as usize + 1;
        }
        lines.feed(&buf[..n], ends.iter().map(|&p| p as usize), |line, whole| match whole.and_then(|k| lexed.get_mut(k)) {
            Some(rec) => parser.lexed_line(line, rec, &mut agg),
            None => parser.line(line, &mut agg),
        });
    }
    lines.finish(|line| parser.line(line, &mut agg));
    parser.finish(&mut agg);
    let s = parser.report(&agg, Default::default()).summary;
    println!("{} lines: {:?} reads, {:?} writes", lines.lines(), s.read_ops, s.write_ops);
}
