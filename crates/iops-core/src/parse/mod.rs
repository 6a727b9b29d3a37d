//! Text trace formats (strace logs, fs_usage output), parsed a line at a
//! time into the aggregator: `formats` lists them, `detect` tells which one
//! an input is, `line_parser` is what each offers.

pub mod detect;
pub mod formats;
pub mod fs_usage;
pub mod line_parser;
pub mod not_text;
pub mod score;
pub mod strace;
mod strace_names;

pub use detect::detect;
pub use formats::{format, Format, FORMATS};
pub use line_parser::{LineParser, Unparsed};
pub use score::Score;
pub use strace::LexedLine;
