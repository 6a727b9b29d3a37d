//! Text trace formats (strace logs, fs_usage output), parsed a line at a
//! time into the aggregator: `formats` lists them, `detect` tells which one
//! an input is, `line_parser` is what each offers.

pub mod detect;
pub mod formats;
pub mod line_parser;
pub mod not_text;
pub mod score;
mod strace_names;

// Each log format's module, from its source's row (`log(<module>)`) in the source table (source.rs).
use formats::format_modules;
crate::source_table!(format_modules);

pub use detect::detect;
pub use formats::{format, Format, FORMATS};
pub use line_parser::{LineParser, Unparsed};
pub use score::Score;
pub use strace::LexedLine;
