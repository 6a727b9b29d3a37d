//! A capture from start to report: launch a command under our seccomp
//! filter or attach to a running process, run the capture loop (wait for a
//! tracee's report, hand it to the tracer), detach cleanly, build the
//! report. Data flows one way: session → launch/attach → tracer → report.

use std::ffi::OsString;
use std::sync::Arc;

use iops_core::{Aggregator, ProgressCounters, Report};
use libc::pid_t;

use crate::affinity;
use crate::attach::{attach, detach_all, HostTraffic, Pinning};
use crate::calibrate::calibrate;
use crate::launch::{finish_untraced, launch, ChildNews, ChildNewsPipe, Launched};
use crate::report::{self, SessionNotes};
use crate::stop::StopWaiter;
use crate::tracer::Tracer;
use iops_core::window::Phase;
use crate::wait::{self, Status};

pub use crate::error::TraceError;

pub enum Target {
    /// A command to run: its arguments as the bytes execve will get (on
    /// Linux they need not be UTF-8: a file named `out\xff.c`).
    Launch(Vec<OsString>),
    Attach(pid_t),
}

impl Target {
    /// The command as the report names it (invalid UTF-8 shown as U+FFFD).
    pub fn command(&self) -> Option<Vec<String>> {
        match self {
            Target::Launch(argv) => Some(crate::launch::argv_text(argv)),
            Target::Attach(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Count sockets, pipes and ttys in the summary too.
    pub all_fds: bool,
    /// Attach mode: count only between the begin and end markers made with
    /// this cookie (see `markers`).
    pub marker_cookie: Option<u32>,
    /// Run the tracer and the traced threads on one CPU while tracing
    /// (see `affinity`): much faster per syscall, but a program that
    /// computes on several threads at once loses that parallelism.
    pub share_cpu: bool,
    /// Attach mode: the host's own traffic, left out of the figures (a
    /// notebook kernel's messaging, see `HostTraffic`).
    pub host: HostTraffic,
    /// Launch mode: where ptrace is refused, run the command untraced and
    /// report its I/O counters, labelled (the default); off when the source
    /// was asked for by name, so that the refusal is the error (EPERM).
    pub counters_fallback: bool,
}


impl Default for Options {
    /// No pinning: a traced program sees the CPUs it would see untraced.
    fn default() -> Self {
        Options { all_fds: false, marker_cookie: None, share_cpu: false, host: HostTraffic::default(), counters_fallback: true }
    }
}

/// A capture under way: the tracer, the launched child's news (launch
/// mode) and the CPU pin to undo (attach mode with `share_cpu`).
struct Started {
    tracer: Tracer,
    child_news: Option<ChildNewsPipe>,
    pinning: Option<Pinning>,
}

/// Runs a whole capture on the calling thread, which becomes the tracer.
/// `on_ready` is called once every thread of the target is traced (or, when
/// ptrace is refused, the command runs), with the pid of the process.
pub fn trace(
    target: Target,
    options: &Options,
    progress: Arc<ProgressCounters>,
    stop: StopWaiter,
    on_ready: &mut dyn FnMut(pid_t),
) -> Result<Report, TraceError> {
    let mut waker = stop.spawn_waker().map_err(|e| TraceError::Other(format!("cannot start: {e}")))?;
    let agg = Aggregator::with_progress(progress);
    let attached = matches!(target, Target::Attach(_));
    let started = match &target {
        Target::Launch(argv) => match launch(argv, agg, options.share_cpu, options.counters_fallback) {
            Ok(Launched::Traced(tracer, news)) => Ok(Started { tracer: *tracer, child_news: Some(news), pinning: None }),
            Ok(Launched::Untraced { pid, reason, news }) => {
                on_ready(pid);
                let report = finish_untraced(pid, &reason, argv, &news);
                waker.reap();
                return report;
            }
            Err(e) => Err(e),
        },
        Target::Attach(pid) => attach(*pid, agg, options.marker_cookie, options.share_cpu, &options.host)
            .map(|(tracer, pinning)| Started { tracer, child_news: None, pinning }),
    };
    let Started { mut tracer, mut child_news, mut pinning } = match started {
        Ok(started) => started,
        Err(e) => {
            waker.reap();
            return Err(e);
        }
    };
    if !attached {
        on_ready(tracer.root());
    }
    let mut notes = SessionNotes { attached, ..Default::default() };
    let mut exec_failed = None;
    loop {
        if tracer.is_empty() {
            break;
        }
        if tracer.window() == Phase::Closed {
            detach_all(&mut tracer, pinning.take());
            break;
        }
        let Ok((pid, status)) = wait::any() else { break };
        if pid == waker.pid {
            waker.exited();
            // A launched command runs to its end: only attach mode stops early.
            if attached {
                tracer.request_close();
            }
            continue;
        }
        if pid == tracer.root() && child_news.is_some() {
            // The launched child's exec (or its end before one): what it had
            // to tell us was written before, and must be acted on before the
            // stop is resumed.
            if matches!(status, Status::Exec | Status::Ended(_)) {
                for news in child_news.take().map(|n| n.read()).unwrap_or_default() {
                    match news {
                        ChildNews::FilterRefused(errno) => {
                            tracer.trace_every_syscall();
                            notes.filter_refused = Some(errno);
                        }
                        ChildNews::ExecFailed(errno) => exec_failed = Some(errno),
                    }
                }
            }
        }
        tracer.handle(pid, status);
        if attached && tracer.take_ready() {
            on_ready(tracer.root());
        }
    }
    waker.reap();
    if let (Some(errno), Target::Launch(argv)) = (exec_failed, &target) {
        return Err(TraceError::CannotExecute(argv[0].to_string_lossy().into_owned(), errno));
    }
    notes.shared_cpu = options.share_cpu && affinity::on_one_cpu();
    let mode = tracer.mode();
    let outcome = tracer.finish();
    // What a stop costs, measured on this thread, placed as it was during
    // the capture; only if there were stops.
    notes.calibration = (outcome.stops.total > 0).then(|| calibrate(mode, notes.shared_cpu));
    let report = report::build(&outcome, &notes, target.command(), options.all_fds);
    // The pin's guard (if the loop ended without a detach) goes last.
    drop(pinning);
    Ok(report)
}
