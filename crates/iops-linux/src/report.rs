//! The report of a ptrace capture: the tracer's findings plus what the
//! session knows (target, options), and every warning it gives, built in
//! one function (`warnings`).

use iops_core::report::{ExitInfo, StorageBytes};
use iops_core::{Report, ReportContext, Source, Warning, WarningCode};

use crate::error::strerror;
use crate::tracer::Outcome;
use crate::wait::Ended;

/// What the session itself noticed during a capture, beside the tracer.
#[derive(Default)]
pub struct SessionNotes {
    /// Attach mode (else launch).
    pub attached: bool,
    /// Launch mode: our seccomp filter was refused with this errno, so every
    /// syscall was traced.
    pub filter_refused: Option<i32>,
}

/// `command`: the launched argv (none when attached); `all_fds`: see
/// `Options::all_fds`.
pub fn build(outcome: &Outcome, notes: &SessionNotes, command: Option<Vec<String>>, all_fds: bool) -> Report {
    let storage = outcome.storage_last.map(|last| {
        // Attached: from the window's begin; launched: the command's whole life.
        let base = match (notes.attached, outcome.storage_begin) {
            (true, Some(begin)) => begin,
            _ => Default::default(),
        };
        let d = last.since(&base);
        StorageBytes {
            read_bytes: d.read_bytes,
            write_bytes: d.write_bytes,
            source: format!("/proc/{}/io (read_bytes, write_bytes)", outcome.root),
        }
    });
    let exit = if notes.attached { None } else { outcome.root_ended.map(exit_info) };
    Report::from_aggregator(
        &outcome.agg,
        ReportContext {
            method: Source::Ptrace,
            command,
            pid: Some(outcome.root),
            elapsed_ns: outcome.elapsed_ns,
            all_fds,
            storage,
            exit,
            warnings: warnings(outcome, notes),
            sees: None,
        },
    )
}

/// Every warning of a ptrace capture, in the order the report lists them.
fn warnings(outcome: &Outcome, notes: &SessionNotes) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if let Some(errno) = notes.filter_refused {
        warnings.push(WarningCode::SeccompFilterRefused.with(format!(
            "the seccomp filter that stops only I/O calls could not be installed ({}, {}); every syscall was traced instead: the same counts, more slowly",
            strerror(errno),
            iops_core::errno::linux_name(errno as i64)
        )));
    }
    if outcome.never_opened {
        warnings.push(WarningCode::WindowNeverOpened.with("the measurement window never opened: nothing was counted"));
    }
    if notes.attached && outcome.root_ended.is_some() {
        warnings.push(WarningCode::ExitedBeforeEnd.with("the traced process exited before the capture ended"));
    }
    if outcome.compat_calls > 0 {
        warnings.push(compat_calls_warning(outcome.compat_calls));
    }
    if outcome.io_uring_seen {
        warnings.push(WarningCode::IoUringUncounted.with(
            "the program uses io_uring: I/O submitted through io_uring does not pass through read/write syscalls and is not counted here",
        ));
    }
    warnings
}

/// `n` read/write-family calls of the 32-bit ABI were seen and not counted.
pub fn compat_calls_warning(n: u64) -> Warning {
    WarningCode::CompatSyscallsUncounted.with(format!(
        "{n} read/write-family calls were made through the 32-bit syscall ABI (int 0x80) and are not counted: the figures miss their I/O"
    ))
}

pub fn exit_info(ended: Ended) -> ExitInfo {
    match ended {
        Ended::Killed(sig) => ExitInfo { code: None, signal: Some(signal_name(sig)), signal_number: Some(sig) },
        Ended::Exited(code) => ExitInfo { code: Some(code), signal: None, signal_number: None },
    }
}

pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}
#[cfg(test)]
mod tests {
    use super::*;
    use iops_core::Aggregator;

    fn outcome() -> Outcome {
        Outcome {
            agg: Aggregator::new(),
            never_opened: false,
            elapsed_ns: 5,
            root: 42,
            root_ended: None,
            storage_begin: None,
            storage_last: None,
            compat_calls: 0,
            io_uring_seen: false,
        }
    }

    #[test]
    fn a_clean_capture_has_no_warning() {
        assert!(warnings(&outcome(), &SessionNotes::default()).is_empty());
        let launched_and_ended = Outcome { root_ended: Some(Ended::Exited(0)), ..outcome() };
        assert!(warnings(&launched_and_ended, &SessionNotes::default()).is_empty(), "a launched command ends");
    }

    #[test]
    fn every_warning_in_its_order() {
        let o = Outcome {
            never_opened: true,
            root_ended: Some(Ended::Killed(libc::SIGKILL)),
            compat_calls: 3,
            io_uring_seen: true,
            ..outcome()
        };
        let notes = SessionNotes { attached: true, filter_refused: Some(libc::EACCES) };
        let w = warnings(&o, &notes);
        assert_eq!(w.len(), 5, "{w:?}");
        assert_eq!(
            w[0].text,
            "the seccomp filter that stops only I/O calls could not be installed (Permission denied, EACCES); every syscall was traced instead: the same counts, more slowly"
        );
        assert_eq!(w.iter().map(|w| w.code).collect::<Vec<_>>(), [WarningCode::SeccompFilterRefused, WarningCode::WindowNeverOpened, WarningCode::ExitedBeforeEnd, WarningCode::CompatSyscallsUncounted, WarningCode::IoUringUncounted]);
        assert_eq!(w[1].text, "the measurement window never opened: nothing was counted");
        assert_eq!(w[2].text, "the traced process exited before the capture ended");
        assert!(w[3].text.starts_with("3 read/write-family calls were made through the 32-bit syscall ABI"), "{}", w[3].text);
        assert!(w[4].text.starts_with("the program uses io_uring"), "{}", w[4].text);
    }

    #[test]
    fn storage_bytes_count_from_the_window_when_attached_and_from_the_start_when_launched() {
        use crate::procio::ProcIo;
        let o = Outcome {
            storage_begin: Some(ProcIo { read_bytes: 100, write_bytes: 10, ..Default::default() }),
            storage_last: Some(ProcIo { read_bytes: 150, write_bytes: 30, ..Default::default() }),
            root_ended: Some(Ended::Killed(libc::SIGTERM)),
            ..outcome()
        };
        let attached = build(&o, &SessionNotes { attached: true, ..Default::default() }, None, false);
        let s = attached.storage.as_ref().unwrap();
        assert_eq!((s.read_bytes, s.write_bytes), (50, 20));
        assert!(attached.exit.is_none(), "an attached process's exit is not the capture's");
        let launched = build(&o, &SessionNotes::default(), Some(vec!["cmd".into()]), false);
        let s = launched.storage.as_ref().unwrap();
        assert_eq!((s.read_bytes, s.write_bytes), (150, 30));
        let exit = launched.exit.as_ref().unwrap();
        assert_eq!((exit.code, exit.signal.as_deref(), exit.signal_number), (None, Some("SIGTERM"), Some(libc::SIGTERM)));
    }
}
