//! Logs that show only part of the calls: strace's status filters (`-Z`,
//! `-z`, `-e status=...`) and trace sets (`-e trace=...`) that leave the
//! read/write calls out. A log does not say which options made it; what it
//! shows decides (each rule below says how), and a count the log cannot
//! show is made unknown, never a zero.

use super::calls::Outcome;
use crate::warning::{Warning, WarningCode};

/// What the log's call lines returned, as far as the rules need.
#[derive(Default)]
pub struct Outcomes {
    /// A call line returned a value (succeeded).
    pub success: bool,
    /// A call line failed (`= -1 E...`).
    pub failure: bool,
    /// A call line ended without a result (`= ?`: exit, exit_group, execve in a thread).
    pub no_result: bool,
    /// A data call (read, write, ...) was in the log.
    pub data: bool,
    /// A call line of any kind was in the log.
    pub calls: bool,
    /// strace's `+++ exited with N +++` notice was in the log.
    pub exited: bool,
}

impl Outcomes {
    #[inline]
    pub fn note(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Value(_) => self.success = true,
            Outcome::Error(_) => self.failure = true,
            Outcome::NoResult => self.no_result = true,
            Outcome::RestartUnlessHandled => {}
        }
    }

    /// The result of a call line whose arguments were not scanned, from its
    /// end (`) = 0`, `)   = -1 ENOENT (...)`, `= ?`, strace pads before the `=`; maybe followed by a
    /// `-T` duration). Only looked at until each kind has been seen once.
    #[inline]
    pub fn note_line(&mut self, line: &[u8]) {
        // `exit_group(0)   = ?` (never with a -T duration): a check of its end.
        if line.strip_suffix(b"\r").unwrap_or(line).ends_with(b"= ?") {
            self.no_result = true;
            return;
        }
        if self.success && self.failure {
            return;
        }
        let Some(eq) = memchr::memmem::rfind(line, b" = ") else { return };
        let result = &line[eq + 3..];
        if result.starts_with(b"?") {
            self.no_result = true;
        } else if result.starts_with(b"-1 E") {
            self.failure = true;
        } else if result.first().is_some_and(|c| c.is_ascii_digit() || *c == b'-') {
            self.success = true;
        }
    }
}

/// Which calls the log cannot show.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Filter {
    /// No call succeeded: a status filter kept only failed (or unfinished)
    /// calls. Every count of successful calls is unknown.
    OnlyFailed { failed: bool },
    /// No call line at all, only strace's notices (`+++ exited`, signals):
    /// a filter (`-Z`, `-e status=`, `-e trace=`) left every call out.
    NoCalls,
    /// Calls succeeded, none failed, and processes exited without their
    /// `exit_group(...) = ?` line, in a log with the calls every unfiltered
    /// trace shows: `-z` / `-e status=successful`. Failures are unknown.
    OnlySuccessful,
    /// Calls but no read/write-family call, and none of the calls every
    /// unfiltered trace shows: `-e trace=` left the data calls out. Reads
    /// and writes are unknown.
    NoDataCalls,
}

impl Filter {
    /// What the log hides, decided from what it shows. `any_line`: the log
    /// has strace lines at all; `unfiltered_set`: it shows the calls (brk,
    /// mprotect, ...) that only a trace set without `-e trace=` shows.
    pub fn of(o: &Outcomes, any_line: bool, unfiltered_set: bool) -> Option<Filter> {
        if !any_line {
            return None;
        }
        if !o.calls {
            return Some(Filter::NoCalls);
        }
        if !o.success {
            return Some(Filter::OnlyFailed { failed: o.failure });
        }
        if o.exited && !o.failure && !o.no_result && unfiltered_set {
            return Some(Filter::OnlySuccessful);
        }
        if !o.data && !unfiltered_set {
            return Some(Filter::NoDataCalls);
        }
        None
    }

    pub fn warning(self) -> Warning {
        let text = match self {
            Filter::OnlyFailed { failed: true } => {
                "strace log: every call in it failed and none succeeded (not even the execve, brk and mmap calls every program makes): strace ran with -Z (-e status=failed), which leaves out every successful call; reads, writes, their bytes, files and metadata calls are unknown"
            }
            Filter::NoCalls => {
                "strace log: it shows no call at all, only strace's notices (exits, signals), though every program makes calls: strace ran with a filter (-Z, -e status=, -e trace=) that left them all out; reads, writes, their bytes, files and metadata calls are unknown"
            }
            Filter::OnlyFailed { failed: false } => {
                "strace log: it shows no call that succeeded (not even the execve, brk and mmap calls every program makes): strace ran with a status filter (-Z, -e status=failed, unfinished or detached) that leaves out every successful call; reads, writes, their bytes, files and metadata calls are unknown"
            }
            Filter::OnlySuccessful => {
                "strace log: no call in it failed and processes exited without their exit_group line (a call that never returns): strace ran with -z (-e status=successful), which leaves out every failed call; failed calls are unknown"
            }
            Filter::NoDataCalls => {
                "strace log: it shows calls but no read/write-family call and none of the calls (brk, mprotect, ...) every unfiltered trace shows: strace ran with -e trace= leaving out the data calls; reads, writes and their bytes are unknown"
            }
        };
        WarningCode::CallsFilteredOut.with(text)
    }
}
