//! The registry of text formats `iops import` reads: adding a format is
//! its module (with its `mod` line in `parse/mod.rs`) plus its row here.

use super::line_parser::LineParser;
use super::score::Score;
use super::strace::lexer::LexedLine;
use crate::source::Source;

/// A text format `iops import` can read: its name, how the first lines of
/// an input read as it (for detection, see `detect`), and a fresh parser.
pub struct Format {
    pub name: &'static str,
    pub score: fn(&[&[u8]]) -> Score,
    pub parser: fn() -> Box<dyn LineParser + Send>,
    /// The format's stateless first stage, when it has one: lexes a line
    /// into the record its parser's `lexed_line` takes, so that lexing can
    /// run ahead on another thread.
    pub lex: Option<fn(&[u8], &mut LexedLine) -> bool>,
    /// The source a saved log of this format is reported as (the report's `method`).
    pub source: Source,
}

/// Every importable format, in detection order.
pub const FORMATS: &[Format] = &[
    Format { name: "strace", score: super::strace::score, parser: || Box::new(super::strace::StraceParser::new()), lex: Some(super::strace::lex_line), source: Source::StraceLog },
    Format { name: "fs_usage", score: super::fs_usage::score, parser: || Box::new(super::fs_usage::FsUsageParser::new()), lex: None, source: Source::FsUsage },
];

/// The format named `name`.
pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}
