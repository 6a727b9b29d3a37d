//! A capture from start to report. Launch: fork the command stopped at its
//! gate, put its pid in the kernel's traced set, open the window, let it
//! exec; the capture ends when the command and every process it forked
//! have ended. Attach: put the pid in the set (its threads share its tgid,
//! what it forks joins); with a marker cookie the kernel opens and closes
//! the window at the markers. Meanwhile the ring buffer is drained every
//! `POLL_MS` (the kernel wakes us sooner when it fills), so the traced
//! program never waits for us.

use std::sync::Arc;

use iops_core::{ProgressCounters, Report};
use iops_linux::{Options, StopWaiter, Target, TraceError};
use libc::pid_t;

/// Whether this build carries the BPF program (clang was there at build time).
pub const BUILT: bool = cfg!(iops_ebpf);

/// The error of a build without the BPF program.
const NOT_BUILT: &str = "eBPF is not in this build of iops (clang was missing at build time): install clang and rebuild, or use --method ptrace";

// Capability numbers (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Why the eBPF source cannot run in this process, in one line that says
/// how to get it; `None` when it may (the load itself can still be
/// refused: `trace` then fails with `TraceError::Unavailable`). Cheap: a
/// few small files read, nothing loaded. Checks the build, the effective
/// capabilities (tracing programs need CAP_BPF and CAP_PERFMON, or
/// CAP_SYS_ADMIN, which root has), the kernel's BTF and tracefs.
pub fn unavailable() -> Option<String> {
    if !BUILT {
        return Some(NOT_BUILT.replace(", or use --method ptrace", ""));
    }
    let effective = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("CapEff:").map(|v| u64::from_str_radix(v.trim(), 16).ok())).flatten())
        .unwrap_or(0);
    let has = |cap: u32| effective & (1 << cap) != 0;
    if !((has(CAP_BPF) && has(CAP_PERFMON)) || has(CAP_SYS_ADMIN)) {
        return Some("eBPF, which never stops the program, needs CAP_BPF and CAP_PERFMON: run as root, or `sudo setcap cap_bpf,cap_perfmon+ep \"$(command -v node)\"`".into());
    }
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Some("eBPF, which never stops the program, needs a kernel with BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)".into());
    }
    if let Some(why) = tracefs_unreadable() {
        return Some(why);
    }
    // Lockdown's confidentiality mode forbids the kernel reads the program makes.
    if std::fs::read_to_string("/sys/kernel/security/lockdown").is_ok_and(|l| l.contains("[confidentiality]")) {
        return Some("eBPF, which never stops the program, cannot run under kernel lockdown in confidentiality mode (/sys/kernel/security/lockdown), which forbids its reads of kernel memory".into());
    }
    None
}

/// Why the tracefs the program attaches through (a tracepoint's format and
/// id) cannot be read, in words that say what to change; `None` when it can.
fn tracefs_unreadable() -> Option<String> {
    const ROOTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
    let event = "events/sched/sched_process_fork/id";
    let mut denied = None;
    for root in ROOTS {
        match std::fs::read_to_string(format!("{root}/{event}")) {
            Ok(_) => return None,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => denied = denied.or(Some(root)),
            // Not there: mounted elsewhere, or not mounted; a root we cannot enter says EACCES.
            Err(_) if std::fs::read_dir(root).is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied) => denied = denied.or(Some(root)),
            Err(_) => {}
        }
    }
    Some(match denied {
        Some(root) => format!(
            "eBPF, which never stops the program, needs to read tracefs, which is mounted at {root} but not readable by this user (Permission denied on {root}/{event}): run as root, or `sudo mount -o remount,mode=755 {root}`"
        ),
        None => "eBPF, which never stops the program, needs tracefs, which is not mounted: `sudo mount -t tracefs nodev /sys/kernel/tracing`".into(),
    })
}

/// Runs a whole capture on the calling thread. `on_ready` is called with
/// the pid once its calls are being counted (launch: just before it execs).
/// Errors as iops_linux::trace's; a kernel that refuses BPF is
/// `NotPermitted` with the kernel's words.
#[cfg(not(iops_ebpf))]
pub fn trace(
    _target: Target,
    _options: &Options,
    _progress: Arc<ProgressCounters>,
    _stop: StopWaiter,
    _on_ready: &mut dyn FnMut(pid_t),
) -> Result<Report, TraceError> {
    Err(TraceError::Unavailable(NOT_BUILT.into()))
}

#[cfg(iops_ebpf)]
pub use built::trace;

#[cfg(iops_ebpf)]
mod built {
    use super::*;
    use iops_core::{Aggregator, ReportContext, Source, Warning, WarningCode};
    use iops_linux::launch::{find_program, fork_gated, ChildNews};
    use iops_linux::leftover::{left_running_warning, session_of, stopped_by_signal, LeftRunning, Why};
    use iops_linux::procio::ProcIo;
    use iops_linux::report::exit_info;
    use iops_linux::wait::{self, Status};

    use std::sync::Mutex;
    use std::thread::JoinHandle;

    use crate::events::{Clock, Events};
    use crate::program::{LoadError, Program, MAX_TRACED, RING_BYTES, WINDOW_OPEN, WINDOW_WAITING};

    /// How long the reader sleeps between drains.
    const POLL_MS: i32 = 10;

    /// The ring buffer's size; tests set IOPS_EBPF_RING_BYTES to force a
    /// tiny one and see the lost-records warning.
    fn ring_bytes() -> u32 {
        std::env::var("IOPS_EBPF_RING_BYTES")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|n| n.is_power_of_two() && *n >= 4096)
            .unwrap_or(RING_BYTES)
    }

    /// The traced set's size; tests set IOPS_EBPF_MAX_TRACED to a few
    /// entries to see a full set said (`traced-set-full`).
    fn max_traced() -> u32 {
        std::env::var("IOPS_EBPF_MAX_TRACED").ok().and_then(|v| v.parse::<u32>().ok()).filter(|n| *n >= 1).unwrap_or(MAX_TRACED)
    }

    fn load(cookie: Option<u32>) -> Result<Program, TraceError> {
        Program::load(cookie, ring_bytes(), max_traced()).map_err(|e| match e {
            LoadError::NotPermitted(why) => TraceError::Unavailable(format!(
                "the kernel refused the eBPF program ({why}): it needs root, or CAP_BPF and CAP_PERFMON, and no security policy forbidding bpf() (a container's seccomp profile, kernel lockdown)"
            )),
            LoadError::Other(why) => TraceError::Unavailable(format!("cannot load the eBPF program: {why}")),
        })
    }

    /// The program of the last window with markers, being made idle, kept
    /// for the next one: the helper behind profile() and the notebook
    /// magics opens a window per call or cell, and loading (the verifier,
    /// the ring's 64 MiB) takes 100–250 ms where reusing takes a few. It
    /// stays loaded while this process lives, its call probes detached.
    static KEPT: Mutex<Option<JoinHandle<Option<Program>>>> = Mutex::new(None);

    /// A program for a window with markers of `cookie`: the kept one, or a new one.
    fn load_for_window(cookie: u32) -> Result<Program, TraceError> {
        let kept = KEPT.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut program) = kept.and_then(|idling| idling.join().ok().flatten()) {
            if program.reuse(cookie).is_ok() {
                return Ok(program);
            }
        }
        load(Some(cookie))
    }

    /// Lets go of a capture's program: kept for the next window when it had
    /// markers, else dropped. Either way on a thread of its own, so that the
    /// report need not wait: detaching the classic tracepoint waits for the
    /// kernel's RCU grace periods (about 60 ms). Were this process to end
    /// first, its exit closes the same fds, just as surely.
    fn release(mut program: Program, keep: bool) {
        let name = "iops-ebpf-detach".to_string();
        if !keep {
            let _ = std::thread::Builder::new().name(name).spawn(move || drop(program));
            return;
        }
        if let Ok(idling) = std::thread::Builder::new().name(name).spawn(move || program.idle().is_ok().then_some(program)) {
            // One kept at a time: one replaced is dropped once made idle.
            *KEPT.lock().unwrap_or_else(|e| e.into_inner()) = Some(idling);
        }
    }

    pub fn trace(
        target: Target,
        options: &Options,
        progress: Arc<ProgressCounters>,
        stop: StopWaiter,
        on_ready: &mut dyn FnMut(pid_t),
    ) -> Result<Report, TraceError> {
        let attached = matches!(target, Target::Attach(_));
        // A command that cannot be found is said before anything is loaded.
        if let Target::Launch(argv) = &target {
            let cmd = argv.first().ok_or_else(|| TraceError::Other("no command given".into()))?;
            find_program(cmd).ok_or_else(|| TraceError::CommandNotFound(cmd.to_string_lossy().into_owned()))?;
        }
        if let Target::Attach(pid) = target {
            if pid == unsafe { libc::getpid() } {
                return Err(TraceError::Other("a process cannot trace itself; use a helper process".into()));
            }
            // A main thread that called pthread_exit leaves a live process.
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return Err(TraceError::NoSuchProcess(pid));
            }
            if !iops_linux::process::has_live_thread(pid) {
                return Err(TraceError::Zombie(pid));
            }
        }
        let cookie = if attached { options.marker_cookie } else { None };
        let mut program = match cookie {
            Some(cookie) => load_for_window(cookie)?,
            None => load(None)?,
        };
        let clock = Clock::now();
        let agg = Aggregator::with_progress(progress);
        let mut child = None;
        let mut events = match &target {
            Target::Launch(argv) => {
                let gated = fork_gated(argv, None, false)?;
                let pid = gated.pid;
                // Dropping `gated` on error ends the child before its exec.
                program.trace_process(pid as u32, true, false, &[]).map_err(|e| TraceError::Other(format!("cannot trace {pid}: {e}")))?;
                // Gated: its fds are iops's that survive the exec.
                if has_append_fd(pid) {
                    program.mark_appends(pid as u32).map_err(|e| TraceError::Other(format!("cannot trace {pid}: {e}")))?;
                }
                program.set_window(WINDOW_OPEN);
                let mut events = Events::new(agg, pid, clock);
                if program.in_pidns {
                    events.in_pidns();
                }
                events.open_window();
                events.know_root(true);
                let (pid, news) = gated.release();
                child = Some((pid, news));
                on_ready(pid);
                events
            }
            Target::Attach(pid) => {
                let pid = *pid;
                // In a PID namespace its threads join as the kernel side finds them: they carry the mark.
                let appends = program.in_pidns && has_append_fd(pid);
                program
                    .trace_process(pid as u32, false, appends, &options.host.threads)
                    .map_err(|e| TraceError::Other(format!("cannot trace {pid}: {e}")))?;
                // After its threads joined: an fd opened later is seen opened.
                if has_append_fd(pid) {
                    program.mark_appends(pid as u32).map_err(|e| TraceError::Other(format!("cannot trace {pid}: {e}")))?;
                }
                let mut events = Events::new(agg, pid, clock);
                if program.in_pidns {
                    events.in_pidns();
                }
                events.ignore_fds(pid, &options.host.fds);
                events.know_root(false);
                if cookie.is_some() {
                    program.set_window(WINDOW_WAITING);
                } else {
                    program.set_window(WINDOW_OPEN);
                    events.open_window();
                    events.mapped_before();
                }
                on_ready(pid);
                events
            }
        };
        let root = events.root;
        let mut exit = None;
        let mut exec_failed = None;
        let mut stop_armed = true;
        let mut root_reaped = false;
        // Launch: a stop asked (after the command's end, as the CLI asks)
        // ends the wait for whatever it left running.
        let mut stop_asked = false;
        // The command's session, read at its end (a zombie keeps it).
        let mut session = None;
        let mut left: Option<(Vec<LeftRunning>, Why)> = None;
        loop {
            let mut fds = [
                libc::pollfd { fd: program.ring_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: stop.fd(), events: libc::POLLIN, revents: 0 },
            ];
            let n = if stop_armed { 2 } else { 1 };
            unsafe { libc::poll(fds.as_mut_ptr(), n, POLL_MS) };
            program.ring.drain(|r| events.on_record(r));
            program.settle();
            if stop_armed && fds[1].revents != 0 {
                stop_armed = false;
                // A launched command runs to its end: only attach mode stops early.
                if attached {
                    events.close_window();
                } else {
                    stop_asked = true;
                }
            }
            if events.closed {
                break;
            }
            if let Some((pid, news)) = child.as_ref().filter(|_| !root_reaped) {
                if has_ended(*pid) {
                    session = session_of(*pid);
                    // Its counters are whole while it is a zombie.
                    if let Ok(io) = ProcIo::read(*pid) {
                        events.storage_last = Some(io);
                    }
                    if let Ok(Status::Ended(ended)) = wait::ended(*pid) {
                        exit = Some(exit_info(ended));
                    }
                    root_reaped = true;
                    for n in news.read() {
                        if let ChildNews::ExecFailed(errno) = n {
                            exec_failed = Some(errno);
                        }
                    }
                }
            }
            let root_done = if attached { events.root_gone || !alive(root) } else { root_reaped };
            if !root_done {
                continue;
            }
            let ids: Vec<u32> = program.traced_ids().into_iter().filter(|&id| events.process_alive(id, alive)).collect();
            if ids.is_empty() {
                program.ring.drain(|r| events.on_record(r));
                break;
            }
            // Launch: what left the command's session (daemons) is not
            // waited for once the command has ended; nothing is once a stop
            // was asked. They run on, no longer followed (the program goes).
            // By the pids iops knows them by (in a PID namespace, those of
            // the processes named so far; one not named yet is not judged).
            let live: Vec<pid_t> = ids.iter().filter_map(|&id| events.local_pid(id)).collect();
            let outside = |id: &pid_t| session.is_none() || session_of(*id) != session;
            let judged = live.len() == ids.len();
            // One stopped by a signal (state T) runs again only when continued: untraced, the
            // command's end would not wait for it either.
            let why = if stop_asked {
                Some(Why::StopAsked)
            } else if !judged {
                None
            } else if live.iter().all(outside) {
                Some(Why::LeftSession)
            } else if live.iter().all(|p| outside(p) || stopped_by_signal(*p)) {
                Some(Why::Stopped)
            } else {
                None
            };
            if let (false, Some(why)) = (attached, why) {
                program.ring.drain(|r| events.on_record(r));
                left = Some((live.into_iter().map(LeftRunning::of).collect(), why));
                break;
            }
        }
        let lost = program.lost();
        // Forked tasks the full traced set could not take: their calls are not seen.
        let untraced_forks = program.untraced_forks();
        let unnamed_calls = program.unnamed_calls();
        let untyped = program.untyped.clone();
        release(program, cookie.is_some());
        if let (Some(errno), Target::Launch(argv)) = (exec_failed, &target) {
            return Err(TraceError::CannotExecute(argv[0].to_string_lossy().into_owned(), errno));
        }
        let never_opened = events.begin.is_none();
        let end = events.end.or(events.last_gone.filter(|_| !attached)).unwrap_or_else(std::time::Instant::now);
        let elapsed_ns = events.begin.map_or(0, |b| end.saturating_duration_since(b).as_nanos() as u64);
        let storage = events.storage_last.map(|last| {
            let base = if attached { events.storage_begin.unwrap_or_default() } else { Default::default() };
            events.storage_orphans.storage(root, &last, &base)
        });
        let mut warnings: Vec<Warning> = Vec::new();
        if options.share_cpu {
            warnings.push(WarningCode::ShareCpuIgnored.with(
                "--share-cpu was ignored: the eBPF source never stops the program, so there is no tracer to share a CPU with; the program kept its CPUs",
            ));
        }
        if let Some(why) = &untyped {
            warnings.push(WarningCode::EbpfRawTracepoint.with(format!(
                "the eBPF source read each call's arguments through the raw sys_enter tracepoint, a few ns more per call than the typed one, which did not load ({why}); the figures are the same"
            )));
        }
        if untraced_forks > 0 {
            warnings.push(WarningCode::TracedSetFull.with(format!(
                "the kernel's set of traced tasks was full ({} entries): {untraced_forks} threads or processes forked during the capture were not traced, and their calls are missing from every figure, which are lower bounds",
                max_traced()
            )));
        }
        if unnamed_calls > 0 {
            warnings.push(WarningCode::NestedPidNamespace.with(format!(
                "{unnamed_calls} calls were made by traced processes in a PID namespace nested in the one iops runs in, whose pids there the eBPF source could not read (the kernel's BTF has no `struct pid`): they are missing from every figure, which are lower bounds (--method ptrace counts them)"
            )));
        }
        if lost > 0 {
            warnings.push(WarningCode::EventsLost.with(format!(
                "the kernel's ring buffer was full {lost} times: that many calls are missing from every figure, which are lower bounds"
            )));
        }
        if never_opened {
            warnings.push(WarningCode::WindowNeverOpened.with("the measurement window never opened: nothing was counted"));
        }
        if attached && events.root_gone {
            // Not our child, and the exit tracepoint does not carry the status: said, never guessed.
            warnings.push(WarningCode::ExitedBeforeEnd.with("the traced process exited before the capture ended (its exit status is not known to the eBPF source)"));
        }
        if let Some((left, why)) = &left {
            warnings.push(left_running_warning(left, *why, "the eBPF source no longer follows {them}, and {they} will run on untouched"));
        }
        if events.compat_calls > 0 || events.compat_meta_calls > 0 {
            warnings.push(iops_linux::report::compat_calls_warning(events.compat_calls, events.compat_meta_calls));
        }
        let unresolved = events.unresolved();
        if unresolved > 0 {
            warnings.push(WarningCode::FdsUnnamed.with(format!(
                "{unresolved} reads/writes were on fds that neither the records nor /proc could name (made before the capture or by a call iops does not follow, and closed, or their process ended, before /proc was read): they are counted apart as \"{}\"",
                iops_linux::calls::UNRESOLVED
            )));
        }
        if !iops_linux::tasks::proc_is_ours() {
            warnings.push(iops_linux::tasks::foreign_proc_warning());
        }
        let refused = events.refused();
        if refused > 0 {
            warnings.push(iops_linux::calls::refused_warning(refused));
        }
        if events.io_uring_seen {
            warnings.push(WarningCode::IoUringUncounted.with(
                "the program uses io_uring: I/O submitted through io_uring does not pass through read/write syscalls and is not counted here",
            ));
        }
        Ok(Report::from_aggregator(
            &events.into_aggregator(),
            ReportContext {
                method: Source::Ebpf,
                command: target_command(&target),
                pid: Some(root),
                elapsed_ns,
                all_fds: options.all_fds,
                storage,
                exit: if attached { None } else { exit },
                warnings,
                sees: None,
                // The program is never stopped: its time is its own, give or take the probes.
                tracer_time: None,
            },
        ))
    }

    fn target_command(target: &Target) -> Option<Vec<String>> {
        target.command()
    }

    /// Whether process `pid` has an fd open with O_APPEND now (/proc,
    /// through a live thread: its leader may have exited).
    fn has_append_fd(pid: pid_t) -> bool {
        let Some((task, fds)) = iops_linux::fds::open_fds(pid) else { return false };
        fds.into_iter().any(|fd| iops_linux::fds::fdinfo(pid, task, fd).is_some_and(|(_, append)| append))
    }

    /// Our child `pid` has ended (a zombie, not reaped).
    fn has_ended(pid: pid_t) -> bool {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
        r == 0 && unsafe { info.si_pid() } == pid
    }

    /// `id` is a live process (not a thread of another; a thread of it has
    /// not exited, its main thread's pthread_exit notwithstanding).
    fn alive(id: pid_t) -> bool {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{id}/status")) else { return false };
        let tgid = status.lines().find_map(|l| l.strip_prefix("Tgid:")).and_then(|t| t.trim().parse::<pid_t>().ok());
        tgid == Some(id) && iops_linux::process::has_live_thread(id)
    }
}
