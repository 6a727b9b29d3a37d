//! Report warnings: a stable code a front end can test, and the text a
//! person reads. The JSON keeps `warnings` (the texts) and adds
//! `warningCodes` beside it, same length and order.

use serde::{Deserialize, Serialize};

/// What a warning is about, stable across releases and wordings
/// (serialized kebab-case: "counters-fallback", "no-timestamps", ...).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum WarningCode {
    /// Counters were used because no event source could run; the text says why.
    CountersFallback,
    /// The platform's first default source cannot run here (rights, kernel,
    /// build, its program refused): the next one measured; the text says
    /// why and how to get the first (Linux: ptrace, and what eBPF needs).
    DefaultSourceUnavailable,
    /// What this source cannot see by its nature (counters, fs_usage, ETW).
    SourceLimits,
    /// Windows counters read under wine: zeros, not measurements.
    WineCounters,
    /// Windows I/O requests that are neither reads nor writes, not counted.
    OtherRequestsUncounted,
    /// Our seccomp filter was refused: every syscall was traced instead.
    SeccompFilterRefused,
    /// The measurement window never opened: nothing was counted.
    WindowNeverOpened,
    /// A start or end window marker is missing from a trace: nothing was counted.
    WindowMarkersMissing,
    /// The attached process exited before the capture ended.
    ExitedBeforeEnd,
    /// Calls through the 32-bit syscall ABI, not counted.
    CompatSyscallsUncounted,
    /// The program uses io_uring, whose I/O is not counted.
    IoUringUncounted,
    /// Lines of a log that were not understood and skipped.
    LinesNotUnderstood,
    /// The last line of a log is cut short and was skipped.
    LastLineCut,
    /// strace calls cut in two by the program's own output, put back together.
    CallsRejoined,
    /// Calls that started but never returned in the log; not counted.
    CallsNeverReturned,
    /// Operations that had begun before the log starts; their fd is unknown.
    CallsBegunBeforeLog,
    /// A strace log without -y: files cannot be told from other fds.
    FdsWithoutTarget,
    /// Operations on fds the source could not name, counted apart from files.
    FdsUnnamed,
    /// Operations on fds opened before the trace began (fs_usage), counted apart.
    FdsOpenedBeforeTrace,
    /// No timestamps: elapsed time, rates and the timeline are unknown.
    NoTimestamps,
    /// Timestamps in whole seconds: rates only as exact as a second.
    WholeSecondTimestamps,
    /// No call durations: latency is unknown.
    NoDurations,
    /// Only data calls were traced: metadata calls are unknown.
    NoMetadataCalls,
    /// The access pattern of calls without a known offset is unknown.
    OffsetsUnknown,
    /// The access pattern of O_APPEND writes is unknown.
    AppendsUnknown,
    /// Disk I/O requests that failed (fs_usage).
    DiskRequestsFailed,
    /// Calls that look like I/O that the parser does not read.
    IoCallsUncounted,
    /// Requests without a completion event (ETW): not counted.
    RequestsIncomplete,
    /// The event source lost events: counts are a lower bound.
    EventsLost,
    /// The eBPF source's set of traced tasks was full: tasks forked past it
    /// were not traced, counts are a lower bound.
    TracedSetFull,
    /// The source does not see storage-level bytes (strace).
    NoStorageBytes,
    /// A tracer process of ours did not exit when told to.
    TracerStillRunning,
    /// The tracer and the program shared one CPU (`--share-cpu`): the
    /// program saw one CPU and its threads ran one at a time.
    CpuShared,
    /// A merged report (`iops merge`): more distinct warnings of the
    /// merged reports than it repeats.
    MergedWarnings,
    /// A merged report: some inputs have no wall-clock start or no clock,
    /// so the job has no duration, rates or timeline.
    NoWallClock,
    /// Files were mapped with mmap: their page-fault I/O is not counted
    /// (storage-level bytes show it).
    MmapNotCounted,
    /// `--share-cpu` was asked of a source that never stops the program
    /// (eBPF): nothing was pinned, the program kept its CPUs.
    ShareCpuIgnored,
    /// The pid given to attach mode is a thread: its whole process was
    /// traced (reports are per process).
    PidIsThread,
    /// The program's own ptrace calls (a debugger, strace, LeakSanitizer)
    /// were refused because the ptrace source traces it.
    ProgramPtraceRefused,
    /// The eBPF source ran its raw sys_enter program, the typed (tp_btf)
    /// one being refused here: the same figures, at a few ns more per call;
    /// the text says why.
    EbpfRawTracepoint,
    /// The eBPF source, run in a PID namespace, did not count the calls of
    /// traced tasks in a namespace nested in it (it cannot name them by
    /// iops's pids): counts are a lower bound.
    NestedPidNamespace,
    /// Launch: the command ended leaving processes running (daemons that
    /// left its session, or any when iops was asked to stop after the
    /// command's end); the text names them and what the source did with them.
    LeftRunning,
    /// A program exec'd under ptrace ran without the set-user-ID,
    /// set-group-ID or file capabilities of its file; the text names it.
    PrivilegesIgnored,
    /// iops ran in a PID namespace whose /proc is another namespace's: nothing
    /// was read from it (no storage level; fds no record named, unnamed).
    ProcOfAnotherNamespace,
    /// A log that shows only part of the calls (strace -Z, -z, -e status=,
    /// -e trace= without the data calls): what it cannot show is unknown;
    /// the text says which option hid it and how that was told.
    CallsFilteredOut,
}

impl WarningCode {
    /// The code named `name` (its kebab-case JSON form).
    pub fn from_name(name: &str) -> Option<WarningCode> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// A warning of this code with `text`.
    pub fn with(self, text: impl Into<String>) -> Warning {
        Warning { code: self, text: text.into() }
    }
}

/// One warning of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub code: WarningCode,
    /// One line, for a person.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kebab_case_and_read_back() {
        assert_eq!(serde_json::to_string(&WarningCode::CountersFallback).unwrap(), "\"counters-fallback\"");
        assert_eq!(WarningCode::from_name("no-timestamps"), Some(WarningCode::NoTimestamps));
        assert_eq!(WarningCode::from_name("no such code"), None);
    }
}
