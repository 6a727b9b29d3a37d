//! What a text format's parser offers: lines in, a report out; and the
//! lines it did not understand, for its warning.

use super::strace::lexer::LexedLine;
use crate::aggregate::Aggregator;
use crate::report::{Report, ReportContext};
use crate::warning::Warning;

/// A format's stateless first stage: lexes a line into the record its
/// parser's `lexed_line` takes, so that lexing can run ahead on another
/// thread (false: the line is not one the lexer can read).
pub type Lexer = fn(&[u8], &mut LexedLine) -> bool;

pub trait LineParser {
    /// One line, without its line ending.
    fn line(&mut self, line: &[u8], agg: &mut Aggregator);
    /// One line, lexed ahead (on another thread) by its format's `lex`
    /// (`Format::lex`). By default the record is not needed: the line is
    /// parsed as `line` does.
    fn lexed_line(&mut self, line: &[u8], _lexed: &mut LexedLine, agg: &mut Aggregator) {
        self.line(line, agg)
    }
    /// End of input: settle what is still pending (unfinished calls, a truncated last line).
    fn finish(&mut self, agg: &mut Aggregator);
    /// Why the input, parsed to its end, cannot give a report at all (one
    /// line for the user: what it is and how to record one that can);
    /// `None` when it can.
    fn unusable(&self) -> Option<String> {
        None
    }
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

/// Lines a parser did not understand: how many, and the first one (cut to
/// a readable length) for the warning.
#[derive(Default, Debug)]
pub struct Unparsed {
    pub count: u64,
    pub first: Option<(u64, String)>,
}

impl Unparsed {
    pub const EXAMPLE_CHARS: usize = 160;

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
