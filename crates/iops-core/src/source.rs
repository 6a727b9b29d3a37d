//! The source of a report's figures (the report's `method`): one name per
//! way of measuring, and what each one can see, declared once. The report
//! builder leaves `null` whatever the source cannot see.

use serde::{Deserialize, Serialize};

/// Which source produced the figures. Serialized as the report's `method`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Source {
    /// Our own ptrace tracer (Linux).
    // `ReportContext::default()`'s source; every other source names itself.
    #[default]
    #[serde(rename = "ptrace")]
    Ptrace,
    /// A live strace run, parsed as it writes.
    #[serde(rename = "strace")]
    Strace,
    /// `iops import` of a saved strace log.
    #[serde(rename = "strace-log")]
    StraceLog,
    /// macOS fs_usage, live or an imported log.
    #[serde(rename = "fs_usage")]
    FsUsage,
    /// Windows' ETW kernel file I/O session.
    #[serde(rename = "etw")]
    Etw,
    /// Counters fallback, Linux: /proc/<pid>/io.
    #[serde(rename = "proc-io")]
    ProcIo,
    /// Counters fallback, Windows: GetProcessIoCounters.
    #[serde(rename = "io-counters")]
    IoCounters,
    /// Counters fallback, macOS: proc_pid_rusage disk bytes.
    #[serde(rename = "rusage")]
    Rusage,
}

/// What a source can see. The report builder makes whatever it cannot see
/// `null` (see `Report::from_aggregator`), never a zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sees {
    /// Read and write operations and their syscall-level bytes (false: the
    /// summary's figures are null; macOS rusage sees disk bytes only).
    pub op_counts: bool,
    /// Each call on its own: its size and syscall (`histogram`, `syscalls`),
    /// its failure (`failedOps`), its time (`timeline`).
    pub sizes: bool,
    /// Each call's file offset, so access patterns (an unknown offset makes
    /// a call's pattern "unknown", counted in `unknownOps`).
    pub offsets: bool,
    /// Each call's file (`files`).
    pub files: bool,
    /// Each fd's kind, so files apart from sockets, pipes and ttys
    /// (false: `otherFds` is null and `summary` counts every fd).
    pub fd_kinds: bool,
    /// Each call's duration (`latency`).
    pub latency: bool,
    /// The window's clock: `elapsedSeconds`, rates and the timeline.
    pub timestamps: bool,
    /// Bytes that reached the storage layer (`storage`).
    pub storage_bytes: bool,
    /// Opens, stats, closes and the other metadata calls (`metadataOps`).
    pub metadata_calls: bool,
}

impl Sees {
    /// A source of per-call events that sees everything.
    pub const EVENTS: Sees = Sees {
        op_counts: true,
        sizes: true,
        offsets: true,
        files: true,
        fd_kinds: true,
        latency: true,
        timestamps: true,
        storage_bytes: true,
        metadata_calls: true,
    };
    /// A source of per-process counters: totals over a window it times itself.
    pub const COUNTERS: Sees = Sees {
        op_counts: true,
        sizes: false,
        offsets: false,
        files: false,
        fd_kinds: false,
        latency: false,
        timestamps: true,
        storage_bytes: false,
        metadata_calls: false,
    };
}

impl Source {
    pub const ALL: [Source; 8] = [
        Source::Ptrace,
        Source::Strace,
        Source::StraceLog,
        Source::FsUsage,
        Source::Etw,
        Source::ProcIo,
        Source::IoCounters,
        Source::Rusage,
    ];

    /// The name the report's `method` holds.
    pub fn name(self) -> &'static str {
        match self {
            Source::Ptrace => "ptrace",
            Source::Strace => "strace",
            Source::StraceLog => "strace-log",
            Source::FsUsage => "fs_usage",
            Source::Etw => "etw",
            Source::ProcIo => "proc-io",
            Source::IoCounters => "io-counters",
            Source::Rusage => "rusage",
        }
    }

    /// The source named `name` (a report's `method`).
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What this source can see at best. A log format may see less in a
    /// given input (a strace log without -T has no durations): its report
    /// narrows this in `ReportContext::sees`.
    pub fn sees(self) -> Sees {
        match self {
            Source::Ptrace | Source::FsUsage | Source::Etw => Sees::EVENTS,
            // strace shows no page-cache misses or write-back.
            Source::Strace | Source::StraceLog => Sees { storage_bytes: false, ..Sees::EVENTS },
            Source::ProcIo => Sees { storage_bytes: true, ..Sees::COUNTERS },
            Source::IoCounters => Sees::COUNTERS,
            Source::Rusage => Sees { op_counts: false, storage_bytes: true, ..Sees::COUNTERS },
        }
    }

    /// What a counters source cannot see, said in its reports' second
    /// warning (after why it was used); `None` for an event source.
    pub fn counter_limits(self) -> Option<&'static str> {
        match self {
            Source::ProcIo => Some("counters include every thread and every kind of fd (files, sockets, pipes, ttys), and cannot show sizes, files or latency"),
            Source::IoCounters => Some("Windows I/O counters include every read and write request of the process, files or not (pipes, sockets, devices), and cannot show sizes, files or latency"),
            Source::Rusage => Some("these are bytes that reached the disk only: operation counts, syscall-level bytes, sizes, files and latency are not measured"),
            _ => None,
        }
    }

    /// True for the sources that read per-process counters, not per-call
    /// events: the fallbacks when no event source can run.
    pub fn is_counters(self) -> bool {
        matches!(self, Source::ProcIo | Source::IoCounters | Source::Rusage)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Lets `assert_eq!(report.method, "etw")` read as the JSON does.
impl PartialEq<&str> for Source {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for s in Source::ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.name()));
            assert_eq!(Source::from_name(s.name()), Some(s));
        }
        assert_eq!(Source::from_name("strace_log"), None);
    }
}
