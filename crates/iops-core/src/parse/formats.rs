//! The registry of text formats `iops import` reads: adding a format is
//! its module plus one line here.

use super::fs_usage;
use super::line_parser::LineParser;
use super::score::Score;
use super::strace;

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
