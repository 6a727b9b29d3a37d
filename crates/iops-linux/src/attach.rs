//! Attach mode: seize every thread of a running process (and pin them to
//! the tracer's CPU when asked); at the end, let every thread go exactly as
//! it was.

use std::collections::HashMap;
use std::io;

use iops_core::Aggregator;
use libc::pid_t;

use crate::affinity;
use crate::error::{refusal, TraceError};
use crate::ptrace;
use crate::tracer::{Mode, Tracer, OPTIONS};
use crate::wait::{self, Status};

/// Affinity given to attached threads, and what to restore on detach.
pub struct Pinning {
    cpu: libc::cpu_set_t,
    saved: HashMap<pid_t, libc::cpu_set_t>,
    /// For threads born while traced.
    default: libc::cpu_set_t,
    /// Undoes the pin if we are killed before detach_all can.
    guard: Option<affinity::Guard>,
}

/// What /proc/<pid>/task/<tid>/status says of a thread that could not be
/// seized.
#[derive(Debug, PartialEq, Eq)]
struct TaskStatus {
    /// R, S, D, T, t, Z, X...
    state: u8,
    /// The thread tracing it; 0 when none.
    tracer: pid_t,
}

impl TaskStatus {
    /// `None` when the thread is gone.
    fn read(pid: pid_t, tid: pid_t) -> Option<TaskStatus> {
        TaskStatus::parse(&std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?)
    }

    /// From the "State:\tZ (zombie)" and "TracerPid:\t123" lines.
    fn parse(text: &str) -> Option<TaskStatus> {
        let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
        Some(TaskStatus {
            state: *field("State:")?.as_bytes().first()?,
            tracer: field("TracerPid:")?.parse().ok()?,
        })
    }

    fn has_exited(&self) -> bool {
        matches!(self.state, b'Z' | b'X' | b'x')
    }
}

/// Why seizing `tid` failed with EPERM, which the kernel also answers for
/// a thread that has already exited or that is traced already.
enum Busy {
    /// Exited (a zombie, or being reaped) or gone by now: nothing to trace.
    Exited,
    /// Born of a thread we seized a moment ago, so traced by us already.
    Ours,
    /// A real refusal.
    Refused,
}

fn why_busy(pid: pid_t, tid: pid_t) -> Busy {
    let me = unsafe { libc::gettid() };
    match TaskStatus::read(pid, tid) {
        None => Busy::Exited,
        Some(s) if s.has_exited() => Busy::Exited,
        Some(s) if s.tracer == me => Busy::Ours,
        Some(_) => Busy::Refused,
    }
}

fn task_ids(pid: pid_t) -> io::Result<Vec<pid_t>> {
    if !crate::tasks::proc_is_ours() {
        return Err(io::Error::other(
            "/proc here is another PID namespace's (made without a /proc of its own, as `unshare -p -f` without --mount-proc does), so the process's threads cannot be listed: mount this namespace's own /proc (unshare -p -f --mount-proc)",
        ));
    }
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(tid) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
            ids.push(tid);
        }
    }
    Ok(ids)
}

/// What of an attached process is the host's, not the measured code's: a
/// notebook kernel's messaging threads (ZeroMQ's I/O threads) and its
/// sockets, pipes and eventfds. Named by the process itself, which knows them.
#[derive(Clone, Debug, Default)]
pub struct HostTraffic {
    /// Threads not traced at all (none of the measured code runs on them).
    pub threads: Vec<pid_t>,
    /// fds whose calls are not counted, until the process closes or
    /// replaces them (a number reused by the code counts again).
    pub fds: Vec<i32>,
}

/// Seizes every thread of `pid` (again and again until no new thread
/// appears), then interrupts each so the loop can start tracing syscalls.
/// `marker_cookie`: count only between the markers made with it;
/// `share_cpu`: see `Options::share_cpu`.
pub fn attach(
    pid: pid_t,
    agg: Aggregator,
    marker_cookie: Option<u32>,
    share_cpu: bool,
    host: &HostTraffic,
) -> Result<(Tracer, Option<Pinning>), TraceError> {
    if pid == unsafe { libc::getpid() } {
        return Err(TraceError::Other("a process cannot trace itself; use a helper process".into()));
    }
    let mut tracer = Tracer::new(Mode::AllSyscalls, pid, agg, marker_cookie);
    tracer.ignore_fds(pid, &host.fds);
    if marker_cookie.is_none() {
        tracer.list_mappings_before();
    }
    let mut pinning = None;
    if share_cpu {
        if let Some(default) = affinity::get(pid) {
            if let Some(cpu) = affinity::choose(&default) {
                affinity::set(0, &affinity::only(cpu));
                pinning = Some(Pinning { cpu: affinity::only(cpu), saved: HashMap::new(), default, guard: None });
            }
        }
    }
    loop {
        let tids = task_ids(pid).map_err(|_| TraceError::NoSuchProcess(pid))?;
        let mut added = false;
        for tid in tids {
            if tracer.has_thread(tid) || host.threads.contains(&tid) {
                continue;
            }
            match ptrace::seize(tid, OPTIONS) {
                Ok(()) => {
                    tracer.add_thread(tid, pid);
                    if let Some(p) = pinning.as_mut() {
                        if let Some(mask) = affinity::get(tid) {
                            p.saved.insert(tid, mask);
                            affinity::set(tid, &p.cpu);
                        }
                    }
                    added = true;
                }
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {} // thread just ended
                Err(e) => {
                    let busy = if e.raw_os_error() == Some(libc::EPERM) { why_busy(pid, tid) } else { Busy::Refused };
                    match busy {
                        // Ending as we look, or a leader that has called
                        // pthread_exit while its threads run on.
                        Busy::Exited => {}
                        Busy::Ours => {
                            tracer.add_auto_attached(tid, pid);
                            if let Some(p) = pinning.as_ref() {
                                // Given the default mask on detach, like any thread born while traced.
                                affinity::set(tid, &p.cpu);
                            }
                            added = true;
                        }
                        Busy::Refused => {
                            detach_all(&mut tracer, pinning);
                            return Err(match e.raw_os_error() {
                                Some(libc::EPERM) | Some(libc::EACCES) => TraceError::NotPermitted(refusal(&e)),
                                _ => TraceError::Other(format!("cannot attach to {pid}: {e}")),
                            });
                        }
                    }
                }
            }
        }
        if !added {
            break;
        }
    }
    if tracer.is_empty() {
        return Err(match TaskStatus::read(pid, pid) {
            Some(s) if s.state == b'Z' => TraceError::Zombie(pid),
            _ => TraceError::NoSuchProcess(pid),
        });
    }
    if let Some(p) = pinning.as_mut() {
        p.guard = affinity::guard(pid, &p.cpu, &p.saved, &p.default);
    }
    for tid in tracer.thread_ids() {
        let _ = ptrace::interrupt(tid);
    }
    Ok((tracer, pinning))
}

/// Lets every thread go, each exactly as it was: a pending signal is
/// delivered, a group-stopped thread stays stopped, and a thread that
/// forks while we let go has its child released too.
pub fn detach_all(tracer: &mut Tracer, pinning: Option<Pinning>) {
    let held = tracer.take_held();
    let mut remaining = tracer.thread_ids();
    let traced = remaining.clone();
    remaining.retain(|&tid| {
        let not_ours = || ptrace::interrupt(tid).is_err_and(|e| e.raw_os_error() == Some(libc::ESRCH));
        // ESRCH: not (any longer) our tracee, so nothing of it will be reported.
        Some(tid) == held || !not_ours()
    });
    // A leader that has exited while its threads live on reports nothing
    // until they are gone; the kernel releases it when our thread ends.
    remaining.retain(|&tid| !tracer.is_exited_leader(tid));
    if let Some(tid) = held {
        let _ = ptrace::detach(tid, 0);
        remaining.retain(|t| *t != tid);
    }
    // New auto-attached children released (or dead) before their creator's
    // event named them: that event must not make us wait for them, nor for
    // a thread the table knew already (its first stop beat that event).
    let mut released_early: Vec<pid_t> = Vec::new();
    while !remaining.is_empty() {
        let Ok((pid, status)) = wait::any() else { break };
        if !remaining.contains(&pid) && !tracer.has_thread(pid) {
            if !matches!(status, Status::Ended(_) | Status::Other) {
                // A new auto-attached child of a thread we are releasing.
                let _ = ptrace::detach(pid, 0);
            }
            released_early.push(pid);
            continue;
        }
        match status {
            Status::Ended(ended) if pid == tracer.root() => tracer.root_ended(ended),
            Status::Ended(_) | Status::Other => {}
            Status::Birth { .. } => {
                if let Ok(child) = ptrace::event_msg(pid) {
                    let child = child as pid_t;
                    match released_early.iter().position(|&p| p == child) {
                        Some(i) => {
                            released_early.swap_remove(i);
                        }
                        None if traced.contains(&child) => {}
                        None => remaining.push(child),
                    }
                }
                let _ = ptrace::detach(pid, 0);
            }
            // A signal about to be delivered is delivered; no other stop has one.
            Status::Signal(sig) => {
                let _ = ptrace::detach(pid, sig);
            }
            _ => {
                let _ = ptrace::detach(pid, 0);
            }
        }
        remaining.retain(|t| *t != pid);
    }
    if let Some(p) = pinning {
        for tid in traced {
            // Only our pin is undone: a mask the program set meanwhile stays.
            if affinity::get(tid).is_some_and(|now| unsafe { libc::CPU_EQUAL(&now, &p.cpu) }) {
                affinity::set(tid, p.saved.get(&tid).unwrap_or(&p.default));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_status_fields() {
        let text = "Name:\tchurn\nUmask:\t0022\nState:\tZ (zombie)\nTgid:\t42\nTracerPid:\t7\n";
        assert_eq!(TaskStatus::parse(text), Some(TaskStatus { state: b'Z', tracer: 7 }));
        assert!(TaskStatus::parse(text).unwrap().has_exited());
        let live = "State:\tt (tracing stop)\nTracerPid:\t0\n";
        assert!(!TaskStatus::parse(live).unwrap().has_exited());
        assert_eq!(TaskStatus::parse("State:\tS (sleeping)\n"), None);
    }

    #[test]
    fn a_live_thread_not_traced_by_us_is_a_refusal_and_a_missing_one_has_exited() {
        let me = std::process::id() as pid_t;
        let s = TaskStatus::read(me, me).unwrap();
        assert!(!s.has_exited());
        assert!(matches!(why_busy(me, me), Busy::Refused));
        assert!(matches!(why_busy(me, 4_194_305), Busy::Exited), "above the largest pid_max");
    }
}
