//! The source of a report's figures (the report's `method`): one name per
//! way of measuring, and what each one can see, declared once. The report
//! builder leaves `null` whatever the source cannot see.

use serde::{Deserialize, Serialize};

/// Declares `Source` from the source table (`source_table!`, below).
macro_rules! sources {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $label:literal, $sees:expr, $limits:expr
        $(, log($($format:ident),+))? $(, live($($cfg:tt)*) { $($live:tt)* })?;)*) => {
        /// Which source produced the figures. Serialized as the report's `method`.
        #[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(test, derive(ts_rs::TS))]
        pub enum Source {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Source {
            /// Every source, in the table's order.
            pub const ALL: [Source; [$($name),*].len()] = [$(Source::$variant),*];

            /// The name the report's `method` holds.
            pub fn name(self) -> &'static str {
                match self { $(Source::$variant => $name,)* }
            }

            /// The source's name for people ("ptrace syscall tracer").
            pub fn label(self) -> &'static str {
                match self { $(Source::$variant => $label,)* }
            }

            /// What this source can see at best. A log format may see less in a
            /// given input (a strace log without -T has no durations): its report
            /// narrows this in `ReportContext::sees`.
            pub fn sees(self) -> Sees {
                match self { $(Source::$variant => $sees,)* }
            }

            /// What a counters source cannot see, said in its reports' second
            /// warning (after why it was used); `None` for an event source.
            pub fn counter_limits(self) -> Option<&'static str> {
                match self { $(Source::$variant => $limits,)* }
            }
        }
    };
}

/// The registry of sources, one row each: its doc, its variant = its name
/// (the report's `method`), its label for people, what it sees at best, for
/// a counters source what it cannot see (said in its reports' second
/// warning, after why it was used), and then, as it applies:
///
/// - `log(<module>)`: `iops import` reads its saved logs, parsed by the
///   format module `parse/<module>.rs` (several: `log(a, b)`) (detection tries formats in table
///   order; `parse::formats` expands these into the `mod` lines and `FORMATS`).
/// - `live(<cfg>) { about, by_default, [permitted,] window, start }`: it measures running
///   programs on the platforms `cfg` selects. This clause is the binding's
///   (crates/iops-node/src/live.rs expands it into `LIVE_SOURCES`, where its
///   names resolve): `about`, a few words for `iops --method`; `by_default`,
///   tried when no source is asked for (in table order, so the first such
///   row of a platform that is permitted is its default); `permitted`, an
///   optional probe, `fn() -> Option<String>`, saying why it cannot run in
///   this process (rights, kernel, build), said in one line when the next
///   row runs instead and as the error when it is asked for; `window`, how a `profile()` window
///   on this process is measured (`Helper`, `InProcess`, `Script`, `Counters`);
///   `start`, how it runs (`tracer!(entry)` for a Linux tracer shaped as
///   `iops_linux::trace`, `Start::Binding { launch, attach }`, or
///   `Start::Script` for a source its TypeScript module runs).
///
/// Adding a source is its module plus its row here; a log format is its
/// module plus `log(<module>)` in its source's row. strace sees no page-cache
/// misses or write-back.
#[macro_export]
macro_rules! source_table {
    ($then:ident) => { $then! {
    /// Our eBPF source (Linux): raw_syscalls tracepoints filtered in the kernel.
    Ebpf = "ebpf", "eBPF syscall tracepoints", Sees::EVENTS, None,
        live(target_os = "linux") { about: "eBPF tracepoints filtered in the kernel, the default where permitted (root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF)", by_default: true, permitted: iops_ebpf::unavailable, window: Helper, start: tracer!(iops_ebpf::trace) };
    /// Our own ptrace tracer (Linux).
    Ptrace = "ptrace", "ptrace syscall tracer", Sees::EVENTS, None,
        live(target_os = "linux") { about: "our own tracer (the default where eBPF is not permitted)", by_default: true, window: Helper, start: tracer!(iops_linux::trace) };
    /// A live strace run, parsed as it writes.
    Strace = "strace", "strace, live", Sees { storage_bytes: false, ..Sees::EVENTS }, None,
        live(target_os = "linux") { about: "run the installed strace and parse its output", by_default: false, window: Script, start: Start::Script };
    /// `iops import` of a saved strace log.
    StraceLog = "strace-log", "strace log", Sees { storage_bytes: false, ..Sees::EVENTS }, None, log(strace);
    /// macOS fs_usage, live or an imported log.
    FsUsage = "fs_usage", "fs_usage trace", Sees { mmaps: false, ..Sees::EVENTS }, None, log(fs_usage),
        live(target_os = "macos") { about: "Apple's fs_usage (needs root)", by_default: true, window: Script, start: Start::Script };
    /// Windows' ETW kernel file I/O session.
    Etw = "etw", "ETW kernel file I/O events", Sees { mmaps: false, ..Sees::EVENTS }, None,
        live(windows) { about: "ETW kernel file I/O events (needs an elevated prompt)", by_default: true, window: InProcess,
            start: Start::Binding { launch: platform::launch, attach: platform::attach } };
    /// Counters fallback, Linux: /proc/<pid>/io.
    ProcIo = "proc-io", "/proc/<pid>/io counters (fallback)", Sees { storage_bytes: true, ..Sees::COUNTERS },
        Some("counters include every thread and every kind of fd (files, sockets, pipes, ttys), and cannot show sizes, files or latency");
    /// Counters fallback, Windows: GetProcessIoCounters.
    IoCounters = "io-counters", "Windows I/O counters, GetProcessIoCounters (fallback)", Sees::COUNTERS,
        Some("Windows I/O counters include every read and write request of the process, files or not (pipes, sockets, devices), and cannot show sizes, files or latency");
    /// Counters fallback, macOS: proc_pid_rusage disk bytes.
    Rusage = "rusage", "proc_pid_rusage disk counters (fallback)", Sees { op_counts: false, storage_bytes: true, ..Sees::COUNTERS },
        Some("these are bytes that reached the disk only: operation counts, syscall-level bytes, sizes, files and latency are not measured"),
        live(target_os = "macos") { about: "the process's disk counters", by_default: false, window: Counters,
            start: Start::Binding { launch: platform::launch, attach: platform::attach } };
    } };
}

crate::source_table!(sources);

/// `ReportContext::default()`'s source; every other source names itself.
impl Default for Source {
    fn default() -> Source {
        Source::Ptrace
    }
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
    /// Files mapped with mmap (`mappings`).
    pub mmaps: bool,
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
        mmaps: true,
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
        mmaps: false,
    };
}

/// What a source says of a figure it cannot see, each the text of that
/// figure's warning (its code is the figure's: `no-timestamps`, ...). The
/// report builder adds it beside the null (`Report::blank_unseen`); `None`:
/// no warning of its own (a counters source says all it cannot see in one
/// `source-limits` warning).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unseen {
    pub timestamps: Option<&'static str>,
    pub latency: Option<&'static str>,
    pub metadata_calls: Option<&'static str>,
    pub storage_bytes: Option<&'static str>,
}

/// A strace log's reasons: the flag it was recorded without.
const STRACE_LOG_UNSEEN: Unseen = Unseen {
    timestamps: Some("strace log: no timestamps (strace -t, -tt or -ttt): elapsed time, IOPS, throughput and the timeline are unknown"),
    latency: Some("strace log: no call durations (strace -T): latency is unknown"),
    metadata_calls: Some("strace log: only data calls were traced (strace -e trace=...): opens, stats and other metadata calls are unknown"),
    storage_bytes: Some("strace log: no storage-level bytes (reads served from the page cache, writes reaching the disk): a capture with --method ptrace or ebpf reports them"),
};

impl Source {
    /// The warnings this source gives for what it cannot see (`Unseen`).
    /// Live strace records with -ttt, -T and the metadata calls (a log
    /// that still lacks them says what a saved log says); storage bytes
    /// neither sees, each said in its own words.
    pub fn unseen(self) -> Unseen {
        match self {
            Source::StraceLog => STRACE_LOG_UNSEEN,
            Source::Strace => Unseen {
                storage_bytes: Some("strace does not see storage-level bytes (reads served from the page cache, writes reaching the disk): --method ebpf and --method ptrace report them"),
                ..STRACE_LOG_UNSEEN
            },
            _ => Unseen::default(),
        }
    }

    /// The source named `name` (a report's `method`).
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    /// True for the sources that read per-process counters, not per-call
    /// events: the fallbacks when no event source can run.
    pub fn is_counters(self) -> bool {
        self.counter_limits().is_some()
    }
}

/// Why a live source could not capture, as JavaScript gets it: an
/// errno-style code ("EPERM": refused, so the front end falls back to
/// labelled counters; "ESRCH", "ENOENT", "EIO", ...) and the message (its
/// `Display`, one line). A live source's error type implements it, in its
/// own crate, so that the binding can run it.
pub trait CaptureFailure: std::fmt::Display {
    fn code(&self) -> &'static str;
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
