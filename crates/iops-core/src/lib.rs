//! Platform-free heart of iops-profiler: the event model every capture
//! backend emits, the streaming aggregator those events feed, and the report
//! it produces. Nothing here knows about ptrace, strace, fs_usage or ETW.

pub mod aggregate;
pub mod clock;
pub mod errno;
pub mod etw;
pub mod event;
pub mod fd_kind;
pub mod findings;
pub mod histogram;
pub mod lines;
pub mod merge;
pub mod parse;
pub mod path_name;
pub mod pattern;
pub mod positions;
pub mod report;
pub mod source;
pub mod timeline;
pub mod warning;
pub mod window;

#[cfg(test)]
mod contract;

pub use aggregate::{Aggregator, FileId, ProgressCounters};
pub use event::{DataOp, Direction, FdKind, MetaKind, Syscall};
pub use histogram::LogHistogram;
pub use pattern::{AccessClassifier, AccessSummary, Pattern};
pub use positions::{CallOffset, FdPosition, PositionTable};
pub use report::{Report, ReportContext};
pub use source::{Sees, Source};
pub use warning::{Warning, WarningCode};
