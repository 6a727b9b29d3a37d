//! What a strace log could not tell, or told oddly: the counts behind the
//! report's warnings, and every warning text of the strace parser.

use crate::parse::line_parser::Unparsed;
use crate::warning::{Warning, WarningCode};

/// Counts and sightings behind the warnings (and the report's shape).
#[derive(Default)]
pub struct Notes {
    pub unparsed: Unparsed,
    /// The last line was not understood: if it is also the last of the
    /// input, it is reported as a truncated last line instead.
    pub last_failed: Option<(u64, String)>,
    /// Calls put back together from their two halves.
    pub rejoined: u64,
    pub never_finished: u64,
    /// Data calls whose first half came before the log began.
    pub orphan_resumed: u64,
    /// Operations on fds with a target, and without one.
    pub annotated_ops: u64,
    pub unannotated_ops: u64,
    /// Calls with a `-T` duration.
    pub durations: u64,
    pub saw_other_calls: bool,
    pub saw_io_uring: bool,
    pub saw_open: bool,
    /// An lseek line appeared, or calls that only an unfiltered trace shows:
    /// the log would show lseeks, so tracked positions are right.
    pub saw_seek: bool,
    pub saw_routine: bool,
    /// An mmap line appeared: the trace set has mmap.
    pub saw_mmap: bool,
    /// The caller ran strace with lseek in its trace set (`tracing_lseek`).
    pub lseek_traced: bool,
    /// The caller ran strace with the metadata calls in its trace set
    /// (`tracing_metadata`): none in the log is a measured zero.
    pub metadata_traced: bool,
    /// Positionless data calls on files whose start offset is unknown:
    /// the fd's position, or (appends) the file's end.
    pub unknown_positions: u64,
    pub unknown_appends: u64,
    /// Lines that head strace's call summary table (`-c`, `-C`).
    pub summary_lines: u64,
    /// A call or an exit notice appeared: the log is more than a summary.
    pub calls_seen: bool,
}

/// What the parser knows beside its notes, for the warnings.
pub struct Context {
    /// A window was asked for, and its start or end marker was missing.
    pub window: Option<bool>,
    pub timestamps: bool,
    pub sub_second: bool,
}

impl Notes {
    /// Why the log cannot be counted at all: it is strace's call summary
    /// table alone (`strace -c`), which holds counts per syscall but no
    /// call, fd, size or time.
    pub fn unusable(&self) -> Option<String> {
        (self.summary_lines > 0 && !self.calls_seen).then(|| {
            String::from(
                "this strace log is only strace's call summary table (strace -c): it has no calls to count; \
                 record the calls with strace -f -y -T -ttt -o LOG (without -c; -C keeps the table after the calls)",
            )
        })
    }

    /// A log written without `-y`: no operation's fd had a target.
    pub fn without_targets(&self) -> bool {
        self.annotated_ops == 0 && self.unannotated_ops > 0
    }

    /// Whether the log would show every lseek: it shows one, or calls only an
    /// unfiltered trace shows. io_uring reads can move positions unseen.
    pub fn positions_trusted(&self) -> bool {
        (self.saw_seek || self.saw_routine || self.lseek_traced) && !self.saw_io_uring
    }

    /// The warnings, in the order the report gives them. What the log
    /// does not show at all (timestamps, durations, metadata calls) the
    /// report builder says, from the source's `Unseen`.
    pub fn warnings(&self, cx: &Context) -> Vec<Warning> {
        let mut w = Vec::new();
        let windowed = cx.window.is_some();
        if let Some(u) = self.unparsed.warning() {
            w.push(WarningCode::LinesNotUnderstood.with(format!("strace log: {u}")));
        }
        if let Some((n, text)) = &self.last_failed {
            let cut: String = text.chars().take(Unparsed::EXAMPLE_CHARS).collect();
            w.push(WarningCode::LastLineCut.with(format!("strace log: the last line (line {n}) is cut short and was skipped: {cut:?}")));
        }
        if cx.window == Some(true) {
            w.push(WarningCode::WindowMarkersMissing.with("strace: the window's start or end marker was not in the trace: nothing is counted"));
        }
        if self.rejoined > 0 {
            w.push(WarningCode::CallsRejoined.with(format!(
                "strace log: {} call(s) were cut in two by the traced program's own output (strace and the program wrote to one stream, as with 2>&1): each was put back together and counted",
                self.rejoined
            )));
        }
        if self.never_finished > 0 && !windowed {
            w.push(WarningCode::CallsNeverReturned.with(format!(
                "strace log: {} call(s) started but never returned in the log (the process ended or the log stops mid-call); not counted",
                self.never_finished
            )));
        }
        if self.orphan_resumed > 0 && !windowed {
            w.push(WarningCode::CallsBegunBeforeLog.with(format!(
                "strace log: {} operation(s) had begun before the log starts: counted, but their fd is unknown",
                self.orphan_resumed
            )));
        }
        if self.without_targets() {
            w.push(WarningCode::FdsWithoutTarget.with(format!(
                "strace log: {} operation(s) on fds without a target (strace ran without -y): files cannot be told from sockets, pipes and ttys, so the summary counts every fd",
                self.unannotated_ops
            )));
        } else if self.unannotated_ops > 0 {
            // With -y, an fd closed by another thread before strace looked has no target.
            w.push(WarningCode::FdsUnnamed.with(format!(
                "strace log: {} operation(s) on fds strace could not name: counted apart from files, with sockets and pipes",
                self.unannotated_ops
            )));
        }
        if cx.timestamps && !cx.sub_second {
            w.push(WarningCode::WholeSecondTimestamps.with("strace log: timestamps in whole seconds (strace -t): elapsed time, IOPS and throughput are only as exact as a second; record with -tt or -ttt"));
        }
        if self.unknown_positions > 0 {
            let why = if self.saw_open && !self.positions_trusted() {
                "the log shows opens but no lseek (strace -e trace= without lseek?), so fd positions cannot be followed"
            } else {
                "the log does not show their fd opened (before the log began, by another process or thread, or opens not traced)"
            };
            w.push(WarningCode::OffsetsUnknown.with(format!(
                "strace log: the access pattern of {} read/write call(s) that name no offset is unknown: {why}",
                self.unknown_positions
            )));
        }
        if self.unknown_appends > 0 {
            w.push(WarningCode::AppendsUnknown.with(format!(
                "strace log: the access pattern of {} O_APPEND write(s) is unknown: they land at the file's end, which the log does not show",
                self.unknown_appends
            )));
        }
        if self.saw_io_uring {
            w.push(WarningCode::IoUringUncounted.with("the program uses io_uring: I/O submitted through io_uring does not pass through read/write syscalls and is not counted here"));
        }
        w
    }
}
