//! Text trace formats (strace logs, fs_usage output), parsed a line at a time into the aggregator.
use crate::aggregate::Aggregator;
use crate::report::{Report, ReportContext};
use crate::warning::Warning;
pub use detect::{detect, Score};

pub mod detect;
pub mod fs_usage;
pub mod not_text;
pub mod strace;
mod strace_names;

pub trait LineParser {
    /// One line, without its line ending.
    fn line(&mut self, line: &[u8], agg: &mut Aggregator);
    /// End of input: settle what is still pending (unfinished calls, a truncated last line).
    fn finish(&mut self, agg: &mut Aggregator);
    /// What the report should warn about: lines not understood (count and first example), what the format cannot see.
    fn warnings(&self) -> Vec<Warning>;
    /// The report of what was parsed, after `finish`. By default the
    /// aggregator's figures with the parser's warnings; a format overrides it
    /// to leave empty what it cannot see (and to take times from the log).
    fn report(&self, agg: &Aggregator, mut ctx: ReportContext) -> Report {
        ctx.warnings.extend(self.warnings());
        Report::from_aggregator(agg, ctx)
    }
}

/// A text format `iops import` can read: its name, how the first lines of
/// an input read as it (for detection, see `detect`), and a fresh parser.
pub struct Format {
    pub name: &'static str,
    pub score: fn(&[&[u8]]) -> Score,
    pub parser: fn() -> Box<dyn LineParser + Send>,
}

/// Every importable format, in detection order.
pub const FORMATS: &[Format] = &[
    Format { name: "strace", score: strace::score, parser: || Box::new(strace::StraceParser::new()) },
    Format { name: "fs_usage", score: fs_usage::score, parser: || Box::new(fs_usage::FsUsageParser::new()) },
];

/// The format named `name`.
pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}

/// Lines a parser did not understand: how many, and the first one (cut to
/// a readable length) for the warning.
#[derive(Default, Debug)]
pub struct Unparsed {
    pub count: u64,
    pub first: Option<(u64, String)>,
}

impl Unparsed {
    const EXAMPLE_CHARS: usize = 160;

    pub fn note(&mut self, line_number: u64, line: &[u8]) {
        self.count += 1;
        // Lines may be noted out of order (a parser can hold one back): the example is the earliest.
        if self.first.as_ref().is_none_or(|(n, _)| line_number < *n) {
            let text = String::from_utf8_lossy(line);
            let mut example: String = text.chars().take(Self::EXAMPLE_CHARS).collect();
            if text.chars().count() > Self::EXAMPLE_CHARS {
                example.push('…');
            }
            self.first = Some((line_number, example));
        }
    }

    pub fn warning(&self) -> Option<String> {
        let (n, example) = self.first.as_ref()?;
        let lines = if self.count == 1 { "1 line was".to_string() } else { format!("{} lines were", self.count) };
        Some(format!("{lines} not understood and skipped (first, line {n}: {example:?})"))
    }
}
