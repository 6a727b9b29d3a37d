//! The "io-counters" source: a process's `IO_COUNTERS` (from
//! `GetProcessIoCounters`), read before and after, turned into a report.
//! Windows counts every I/O request the process made through the I/O
//! manager there: files, but also pipes, sockets and devices.

use iops_core::report::{ExitInfo, ReportContext, Totals};
use iops_core::{Report, Source, WarningCode};

/// The fields of Windows' `IO_COUNTERS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounters {
    pub read_ops: u64,
    pub write_ops: u64,
    /// Requests that are neither reads nor writes (device controls, ...).
    pub other_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub other_bytes: u64,
}

impl IoCounters {
    pub fn since(&self, before: &IoCounters) -> IoCounters {
        IoCounters {
            read_ops: self.read_ops.saturating_sub(before.read_ops),
            write_ops: self.write_ops.saturating_sub(before.write_ops),
            other_ops: self.other_ops.saturating_sub(before.other_ops),
            read_bytes: self.read_bytes.saturating_sub(before.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(before.write_bytes),
            other_bytes: self.other_bytes.saturating_sub(before.other_bytes),
        }
    }
}

/// The report of a window measured by counters alone. `reason` says, in one
/// line, why the event source was not used; `scope`, whose counters they are.
pub fn counters_report(
    delta: &IoCounters,
    elapsed_ns: u64,
    pid: i32,
    reason: &str,
    scope: &str,
    exit: Option<ExitInfo>,
    command: Option<Vec<String>>,
) -> Report {
    let mut warnings = Vec::new();
    if delta.other_ops > 0 {
        warnings.push(WarningCode::OtherRequestsUncounted.with(format!(
            "{} other I/O requests ({} bytes: device controls and the like) are not counted as reads or writes",
            delta.other_ops, delta.other_bytes
        )));
    }
    Report::from_counters(
        Totals::new(delta.read_ops, delta.write_ops, delta.read_bytes, delta.write_bytes, elapsed_ns as f64 / 1e9),
        reason,
        &format!("GetProcessIoCounters ({scope})"),
        ReportContext { method: Source::IoCounters, command, pid: Some(pid), elapsed_ns, exit, warnings, ..Default::default() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_the_difference_of_two_readings() {
        let before = IoCounters { read_ops: 10, write_ops: 2, other_ops: 5, read_bytes: 4096, write_bytes: 100, other_bytes: 0 };
        let after = IoCounters { read_ops: 13, write_ops: 1002, other_ops: 5, read_bytes: 4096 + 3 * 512, write_bytes: 100 + 4_096_000, other_bytes: 0 };
        let r = counters_report(&after.since(&before), 2_000_000_000, 42, "no ETW session", "the process only", None, None);
        assert_eq!(r.method, "io-counters");
        assert_eq!((r.summary.read_ops, r.summary.write_ops), (3, 1000));
        assert_eq!((r.summary.read_bytes, r.summary.write_bytes), (1536, 4_096_000));
        assert_eq!(r.summary.iops, Some(501.5));
        // What counters cannot see is empty, not zero.
        assert!(r.histogram.is_none() && r.files.is_none() && r.latency.is_none() && r.storage.is_none());
        assert!(r.warnings[0].starts_with("no ETW session; figures come from GetProcessIoCounters"));
        assert_eq!(r.warnings.len(), 2, "no 'other requests' line when there were none");
    }

    #[test]
    fn other_requests_are_named_not_counted() {
        let d = IoCounters { other_ops: 7, other_bytes: 56, ..Default::default() };
        let r = counters_report(&d, 1, 1, "x", "y", None, None);
        assert_eq!(r.summary.total_ops, 0);
        assert!(r.warnings[2].starts_with("7 other I/O requests (56 bytes"));
    }

    #[test]
    fn an_empty_window_reports_zero() {
        let r = counters_report(&IoCounters::default(), 0, 1, "x", "y", None, None);
        assert_eq!((r.summary.total_ops, r.summary.total_bytes, r.summary.iops), (0, 0, Some(0.0)));
    }
}
