//! Text trace formats (strace logs, fs_usage output), parsed a line at a time into the aggregator.
use crate::aggregate::Aggregator;

pub mod fs_usage;
pub mod strace;
mod strace_names;

pub trait LineParser {
    /// One line, without its line ending.
    fn line(&mut self, line: &[u8], agg: &mut Aggregator);
    /// End of input: settle what is still pending (unfinished calls, a truncated last line).
    fn finish(&mut self, agg: &mut Aggregator);
    /// What the report should warn about: lines not understood (count and first example), what the format cannot see.
    fn warnings(&self) -> Vec<String>;
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
        if self.first.is_none() {
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
