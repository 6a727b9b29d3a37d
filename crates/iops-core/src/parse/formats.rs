//! The text formats `iops import` reads. Each is declared by its source's
//! row in the source table (`log(<module>)`, in source.rs): that row
//! gives its module in `parse/` (`format_modules!`, expanded in `parse/mod.rs`)
//! and its entry in `FORMATS` (`format_list!`, expanded here). A format's
//! module offers `score`, `parser` and `LEX` (see `Format`).

use super::line_parser::{Lexer, LineParser};
use super::score::Score;
use crate::source::Source;

/// A text format `iops import` can read: its name (its module's), how the
/// first lines of an input read as it (for detection, see `detect`), and a
/// fresh parser. Its module offers the three as `score`, `parser` and `LEX`.
pub struct Format {
    pub name: &'static str,
    pub score: fn(&[&[u8]]) -> Score,
    pub parser: fn() -> Box<dyn LineParser + Send>,
    /// The format's lexer, when it has one (`None`: lines go to `line`).
    pub lex: Option<Lexer>,
    /// The source a saved log of this format is reported as (the report's `method`).
    pub source: Source,
}

/// The `mod` of each format of the source table (expanded in `parse/mod.rs`,
/// so that each module is the file `parse/<module>.rs` or `parse/<module>/mod.rs`).
macro_rules! format_modules {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $label:literal, $sees:expr, $limits:expr
        $(, log($($module:ident),+))? $(, live($($cfg:tt)*) { $($live:tt)* })?;)*) => {
        $($($(pub mod $module;)+)?)*
    };
}
pub(crate) use format_modules;

/// `FORMATS` from the source table.
macro_rules! format_list {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $label:literal, $sees:expr, $limits:expr
        $(, log($($module:ident),+))? $(, live($($cfg:tt)*) { $($live:tt)* })?;)*) => {
        /// Every importable format, in detection order (the source table's).
        pub const FORMATS: &[Format] = &[$($($(
            Format {
                name: stringify!($module),
                score: super::$module::score,
                parser: super::$module::parser,
                lex: super::$module::LEX,
                source: Source::$variant,
            },
        )+)?)*];
    };
}

crate::source_table!(format_list);

/// The format named `name`.
pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}
