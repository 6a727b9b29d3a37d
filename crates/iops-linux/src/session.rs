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
use crate::leftover::{session_of, LeftRunning, Why};
use crate::report::{self, Fate, SessionNotes};
use crate::stop::StopWaiter;
use crate::tracer::{Mode, Tracer};
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

/// Launch, the command ended: whether the capture ends now, leaving the
/// processes still traced running (named in `notes.left`). It does when
/// they all left the command's `session` (daemons), or once a stop was
/// asked (`stops`: how many). Without our seccomp filter they are detached
/// and run on untouched. Under it they cannot run untraced (each counted
/// call would fail with ENOSYS): daemons are waited for (`notes.waited`);
/// at a first stop they are asked to end (SIGTERM), still served by us so
/// that they can clean up, and at a second they are ended (SIGKILL, as
/// PTRACE_O_EXITKILL would end them with us).
fn release_left(tracer: &mut Tracer, session: Option<pid_t>, stops: u32, notes: &mut SessionNotes) -> bool {
    let live = tracer.processes();
    if live.is_empty() {
        return false; // the loop ends as the last thread is reaped
    }
    let why = if stops > 0 {
        Why::StopAsked
    } else if live.iter().all(|&p| session.is_none() || session_of(p) != session) {
        Why::LeftSession
    } else {
        return false;
    };
    if tracer.mode() == Mode::AllSyscalls {
        let left: Vec<LeftRunning> = live.iter().map(|&p| LeftRunning::of(p)).collect();
        detach_all(tracer, None);
        notes.left = Some((left, why, Fate::Detached));
        return true;
    }
    if why == Why::LeftSession {
        let waited = notes.waited.get_or_insert_with(Vec::new);
        for &p in &live {
            if !waited.iter().any(|w| w.pid == p) {
                waited.push(LeftRunning::of(p));
            }
        }
        return false;
    }
    let (fate, signal) = if stops >= 2 { (Fate::Killed, libc::SIGKILL) } else { (Fate::Terminated, libc::SIGTERM) };
    match &mut notes.left {
        Some((_, _, done)) if *done == fate => return false, // signalled already; their ends are reaped by the loop
        Some((_, _, done)) => *done = fate,
        None => notes.left = Some((live.iter().map(|&p| LeftRunning::of(p)).collect(), why, fate)),
    }
    for &p in &live {
        unsafe { libc::kill(p, signal) };
    }
    false
}

/// Launch, the command ended: process `pid` (at its exit stop, where /proc
/// still names it) was waited for though it had left the command's session
/// (a daemon under our filter; it may have called setsid after the
/// command's end, unseen until now).
fn note_waited(tracer: &Tracer, pid: pid_t, session: Option<pid_t>, notes: &mut SessionNotes) {
    if notes.left.is_some() || tracer.mode() != Mode::Seccomp || !tracer.is_process(pid) || session_of(pid) == session {
        return;
    }
    let waited = notes.waited.get_or_insert_with(Vec::new);
    if !waited.iter().any(|p| p.pid == pid) {
        waited.push(LeftRunning::of(pid));
    }
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
    // Launch: the command's session, read as it exits; a stop asked (the
    // CLI asks once the command has ended) ends the wait for what it left.
    let mut session = session_of(0);
    let mut stops = 0u32;
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
            } else {
                stops += 1;
                if stops == 1 {
                    // A second stop may be asked (see `release_left`).
                    if let Ok(next) = stop.spawn_waker() {
                        waker = next;
                    }
                }
                if tracer.root_has_ended() && release_left(&mut tracer, session, stops, &mut notes) {
                    break;
                }
            }
            continue;
        }
        if pid == tracer.root() && status == Status::Exit {
            session = session_of(pid).or(session);
        }
        if status == Status::Exit && !attached && tracer.root_has_ended() {
            note_waited(&tracer, pid, session, &mut notes);
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
        // When what is left may have become only daemons: a process's end,
        // and (a setsid is not seen) a daemon's fork or exec after its setsid
        // (double fork, `setsid cmd`). Rare events: not per call.
        let changes = matches!(status, Status::Ended(_) | Status::Exec | Status::Birth { .. });
        tracer.handle(pid, status);
        if attached && tracer.take_ready() {
            on_ready(tracer.root());
        }
        if !attached && changes && tracer.root_has_ended() && release_left(&mut tracer, session, stops, &mut notes) {
            break;
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
