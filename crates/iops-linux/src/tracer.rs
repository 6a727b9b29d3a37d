//! What each report of a tracee means: the tracer, owned by the one thread
//! that holds every ptrace attachment, turns syscall entry/exit pairs into
//! events for the aggregator, follows threads being born and ending, and
//! resumes the tracee at once. Per stop it makes one GET_SYSCALL_INFO call
//! (or, on x86-64 under our filter, one register read) and a hash lookup;
//! it allocates only when a new thread or fd appears.

use std::time::Instant;

use iops_core::window::{Phase, Window};
use iops_core::Aggregator;
use libc::pid_t;

use crate::calls::Calls;
use crate::leftover::{exec_unprivileged, Unprivileged};
use crate::placement::Stops;
use crate::procio::{Orphans, ProcIo};
use crate::ptrace::{self, SyscallInfo, SYSCALL_INFO_ENTRY, SYSCALL_INFO_EXIT, SYSCALL_INFO_SECCOMP};
use crate::regs::Regs;
use crate::schedstat::{Spent, WindowTimes};
use crate::seccomp::{CompatCall, CompatCalls, AUDIT_ARCH, DATA_COMPAT, DATA_COMPAT_META, DATA_NATIVE};
use crate::stoptime::{Held, StopTimes};
use crate::syscalls::{self, Class, ClassTable};
use crate::threads::{Pending, Threads};
use crate::wait::{Ended, Status};

/// The ptrace options of every tracee: syscall stops told from SIGTRAP,
/// every new thread and process traced, exec and exit stops.
pub const OPTIONS: i32 = libc::PTRACE_O_TRACESYSGOOD
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACEEXIT;

/// The most programs run without their privileges a capture names.
const MAX_UNPRIVILEGED: usize = 64;

/// How tracees are resumed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Launched under our seccomp filter: only counted syscalls stop.
    Seccomp,
    /// Attached to a running process: every syscall stops.
    AllSyscalls,
}

pub struct Tracer {
    mode: Mode,
    classes: ClassTable,
    threads: Threads,
    calls: Calls,
    /// Attach mode waits for the begin marker; closed at the end marker
    /// (or a stop request): detach and report.
    window: Window<Instant>,
    marker_cookie: Option<u32>,
    /// The traced process (launch: the command; attach: the target pid).
    root: pid_t,
    root_ended: Option<Ended>,
    /// Storage-level counters of the root process: at the window's begin, and
    /// the latest reading since.
    storage_begin: Option<ProcIo>,
    storage_last: Option<ProcIo>,
    /// Storage-level counters of the traced processes that ended in the
    /// window outside the root's tree of reaping (see `Outcome::storage_orphans`).
    storage_orphans: Orphans,
    io_uring_seen: bool,
    /// Read/write-family calls of the 32-bit compat ABI seen in the window:
    /// not counted (their numbers and arguments are another ABI's).
    compat_calls: u64,
    /// Metadata calls of the compat ABI seen in the window, likewise.
    compat_meta_calls: u64,
    /// Compat-ABI numbers of the calls we count.
    compat_nrs: CompatCalls,
    /// A traced program installed a seccomp filter of its own: a seccomp
    /// stop may then be its filter's, not ours (told apart by the data).
    foreign_filters: bool,
    ready_reported: bool,
    /// The thread left stopped when the window closed (it made the end
    /// marker): the detach must release it.
    held: Option<pid_t>,
    /// The window's stops, some sampled for where they happened.
    stops: Stops,
    /// The window's scheduler time of the program's threads and ours.
    times: WindowTimes,
    /// The window's stops timed: how long we held them, sampled intervals.
    stop_times: StopTimes,
    /// Programs exec'd without their file's privileges (see `leftover`).
    unprivileged: Vec<Unprivileged>,
    /// When waitpid gave us the report being handled.
    now: Instant,
    info: SyscallInfo,
    regs: Regs,
}

/// What a capture found, once its tracees are gone or released.
pub struct Outcome {
    pub agg: Aggregator,
    /// The window never opened (attach mode: no begin marker came).
    pub never_opened: bool,
    /// From the window's begin to its end (or to now if it never closed).
    pub elapsed_ns: u64,
    pub root: pid_t,
    /// How the root process ended, if it did while traced.
    pub root_ended: Option<Ended>,
    /// /proc/<root>/io at the window's begin, and the latest reading.
    pub storage_begin: Option<ProcIo>,
    pub storage_last: Option<ProcIo>,
    /// /proc/<pid>/io, at its last thread's exit stop, of each traced
    /// process that ended in the window with a parent we do not trace (it
    /// outlived its parent: `( cmd & )`): no traced process reaps it, so its
    /// I/O never reaches the root's counters.
    pub storage_orphans: Orphans,
    /// See `Tracer::compat_calls`.
    pub compat_calls: u64,
    /// See `Tracer::compat_meta_calls`.
    pub compat_meta_calls: u64,
    /// The program called io_uring in the window.
    pub io_uring_seen: bool,
    /// See `Calls::program_ptrace`.
    pub program_ptrace: crate::calls::ProgramPtrace,
    /// See `Calls::refused`.
    pub refused_ops: u64,
    /// The window's stops (see `placement`).
    pub stops: Stops,
    /// The window's scheduler time of the program and of the tracer.
    pub spent: Spent,
    /// The window's stops timed (see `stoptime`).
    pub held: Held,
    /// Programs exec'd without their file's set-user-ID, set-group-ID or
    /// capabilities (the kernel ignores them under ptrace).
    pub unprivileged: Vec<Unprivileged>,
}

fn tgid_of(tid: pid_t) -> pid_t {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(tid)
}

impl Tracer {
    /// Calls on these fds of `tgid` are not counted (see `HostTraffic`).
    pub fn ignore_fds(&mut self, tgid: pid_t, fds: &[i32]) {
        self.calls.ignore_fds(tgid, fds);
    }

    pub fn new(mode: Mode, root: pid_t, agg: Aggregator, marker_cookie: Option<u32>) -> Tracer {
        let mut times = WindowTimes::default();
        if marker_cookie.is_none() {
            times.open([]); // the threads join as they are added
        }
        Tracer {
            mode,
            classes: ClassTable::new(),
            threads: Threads::default(),
            calls: Calls::new(agg),
            window: if marker_cookie.is_some() { Window::waiting() } else { Window::open_at(Instant::now()) },
            marker_cookie,
            root,
            root_ended: None,
            // A window open from the start (attach without markers): the
            // storage counters' base is now, not the process's start.
            storage_begin: if marker_cookie.is_none() { ProcIo::read(root).ok() } else { None },
            storage_last: None,
            storage_orphans: Orphans::default(),
            io_uring_seen: false,
            compat_calls: 0,
            compat_meta_calls: 0,
            compat_nrs: CompatCalls::new(),
            foreign_filters: false,
            ready_reported: false,
            held: None,
            stops: Stops::default(),
            times,
            stop_times: StopTimes::default(),
            unprivileged: Vec::new(),
            now: Instant::now(),
            info: SyscallInfo::default(),
            regs: Regs::new(),
        }
    }

    /// How tracees are resumed (and so which stops they make).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The traced process.
    pub fn root(&self) -> pid_t {
        self.root
    }

    /// Where the loop is in the window.
    pub fn window(&self) -> Phase {
        self.window.phase()
    }

    /// The filter was refused in the launched child (stopped at its exec):
    /// trace it with syscall stops instead, from now on. Without our filter
    /// a vanished tracer harms nothing, so EXITKILL goes; so does
    /// TRACESECCOMP, so that a program's own SECCOMP_RET_TRACE fails with
    /// ENOSYS as untraced.
    pub fn trace_every_syscall(&mut self) {
        self.mode = Mode::AllSyscalls;
        let _ = ptrace::set_options(self.root, OPTIONS);
    }

    /// A thread that is there when tracing begins.
    pub fn add_thread(&mut self, tid: pid_t, tgid: pid_t) {
        self.threads.insert(tid, tgid, true, false);
        if self.window.is_open() {
            self.times.joined(tid);
        }
    }

    /// A thread that an attach found traced by us already: born of a thread
    /// seized a moment before, its first stop and its creator's clone event
    /// are still to come.
    pub fn add_auto_attached(&mut self, tid: pid_t, tgid: pid_t) {
        self.threads.insert(tid, tgid, false, true);
        if self.window.is_open() {
            self.times.born(tid);
        }
    }

    pub fn has_thread(&self, tid: pid_t) -> bool {
        self.threads.contains(tid)
    }

    pub fn thread_ids(&self) -> Vec<pid_t> {
        self.threads.ids()
    }

    /// See `Threads::is_exited_leader`.
    pub fn is_exited_leader(&self, tid: pid_t) -> bool {
        self.threads.is_exited_leader(tid)
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// The traced processes (thread group ids), each once.
    pub fn processes(&self) -> Vec<pid_t> {
        let mut tgids: Vec<pid_t> = self.threads.ids().into_iter().map(|tid| self.threads.tgid(tid)).collect();
        tgids.sort_unstable();
        tgids.dedup();
        tgids
    }

    /// `tid` is a traced process's main thread.
    pub fn is_process(&self, tid: pid_t) -> bool {
        self.threads.contains(tid) && self.threads.tgid(tid) == tid
    }

    /// The root process's end has been reaped.
    pub fn root_has_ended(&self) -> bool {
        self.root_ended.is_some()
    }

    /// The thread left stopped when the window closed, once.
    pub fn take_held(&mut self) -> Option<pid_t> {
        self.held.take()
    }

    /// The root process's end, reaped while detaching.
    pub fn root_ended(&mut self, ended: Ended) {
        self.root_ended = Some(ended);
    }

    /// True once, when every known thread has been resumed under tracing.
    pub fn take_ready(&mut self) -> bool {
        if self.ready_reported || !self.threads.all_armed() {
            return false;
        }
        self.ready_reported = true;
        true
    }

    /// The capture's findings; the tracer is done.
    pub fn finish(mut self) -> Outcome {
        let end = self.window.end().unwrap_or_else(Instant::now);
        let spent = self.times.close();
        let never_opened = self.window.is_waiting();
        Outcome {
            never_opened,
            elapsed_ns: self.window.begin().map_or(0, |begin| end.saturating_duration_since(begin).as_nanos() as u64),
            root: self.root,
            root_ended: self.root_ended,
            storage_begin: self.storage_begin,
            storage_last: self.storage_last,
            storage_orphans: self.storage_orphans,
            compat_calls: self.compat_calls,
            compat_meta_calls: self.compat_meta_calls,
            io_uring_seen: self.io_uring_seen,
            program_ptrace: self.calls.program_ptrace(),
            refused_ops: self.calls.refused(),
            stops: self.stops,
            spent,
            held: self.stop_times.held(),
            unprivileged: self.unprivileged,
            agg: self.calls.into_aggregator(),
        }
    }

    /// A window open from the start on a running process (attach without
    /// markers): its file mappings now are listed (see `maps`).
    pub fn list_mappings_before(&mut self) {
        self.calls.mapped_before(self.root);
    }

    pub fn open_window(&mut self) {
        self.window.open(Instant::now());
        self.times.open(self.threads.ids());
        self.storage_begin = ProcIo::read(self.root).ok();
    }

    fn close_window(&mut self) {
        self.window.close(Instant::now());
        self.times.close();
        if let Ok(io) = ProcIo::read(self.root) {
            self.storage_last = Some(io);
        }
    }

    fn resume(&mut self, tid: pid_t, sig: i32) {
        let want_exit = self.threads.get(tid).is_some_and(|t| t.pending.is_some());
        self.threads.arm(tid);
        self.stop_times.resumed(tid);
        // ESRCH: the thread died meanwhile; its exit is reported by waitpid.
        let _ = match self.mode {
            Mode::AllSyscalls => ptrace::syscall(tid, sig),
            Mode::Seccomp if want_exit => ptrace::syscall(tid, sig),
            Mode::Seccomp => ptrace::cont(tid, sig),
        };
    }

    /// Handles one waitpid report of a tracee.
    pub fn handle(&mut self, tid: pid_t, status: Status) {
        match status {
            Status::Ended(ended) => return self.on_death(tid, ended),
            Status::Other => return,
            // An auto-attached child whose first stop beat its parent's event.
            _ if !self.threads.contains(tid) => {
                self.threads.insert(tid, tgid_of(tid), false, true);
                if self.window.is_open() {
                    self.times.born(tid);
                }
            }
            _ => {}
        }
        self.now = Instant::now();
        // A group-stop would stop the program untraced too.
        if self.window.is_open() && status != Status::GroupStop {
            self.stops.count(tid);
            self.stop_times.stopped(tid, self.now);
            if self.stop_times.in_bare_pair(tid) {
                let entry = status == Status::Syscall && self.threads.get(tid).is_some_and(|t| t.pending.is_none());
                let (info, classes) = (&mut self.info, &self.classes);
                let filtered = || {
                    ptrace::syscall_info(tid, info).is_ok_and(|op| op == SYSCALL_INFO_ENTRY)
                        && info.arch == AUDIT_ARCH
                        && !matches!(classes.get(info.nr()), Class::Ignored | Class::Map)
                };
                if self.stop_times.bare_step(tid, entry, status == Status::Seccomp, filtered) {
                    return self.resume(tid, 0);
                }
            }
        }
        match status {
            Status::Syscall => {
                if self.threads.get(tid).and_then(|t| t.pending).is_some_and(|p| p.is_deferred()) {
                    self.on_deferred_exit(tid);
                } else {
                    self.on_syscall_stop(tid);
                }
                if self.window.is_closed() {
                    self.held = Some(tid);
                    self.stop_times.not_resumed();
                } else if self.mode == Mode::Seccomp
                    && self.window.is_open()
                    && !self.foreign_filters
                    && self.threads.get(tid).is_some_and(|t| t.pending.is_none())
                    && self.stop_times.ask_bare(tid)
                {
                    // To the next call's entry stop: see `StopTimes::ask_bare`.
                    self.threads.arm(tid);
                    self.stop_times.resumed(tid);
                    let _ = ptrace::syscall(tid, 0);
                } else {
                    self.resume(tid, 0);
                }
            }
            Status::Seccomp => {
                self.on_seccomp_stop(tid);
                self.resume(tid, 0);
            }
            Status::Birth { thread } => {
                if let Ok(child) = ptrace::event_msg(tid) {
                    let child = child as pid_t;
                    self.threads.on_birth(child, || if thread { tgid_of(child) } else { child });
                    if self.window.is_open() {
                        self.times.born(child);
                    }
                }
                self.resume(tid, 0);
            }
            Status::Exec => {
                // A non-leader thread that execs takes over the leader's tid.
                if let Ok(former) = ptrace::event_msg(tid) {
                    let former = former as pid_t;
                    if former != tid {
                        self.threads.replaced(former);
                    }
                }
                self.calls.forget_process(self.threads.tgid(tid));
                if let Some(t) = self.threads.get_mut(tid) {
                    t.pending = None;
                }
                // Once per exec, not per call: a set-user-ID program's
                // privileges dropped because we trace it are said.
                if self.unprivileged.len() < MAX_UNPRIVILEGED {
                    if let Some(u) = exec_unprivileged(tid) {
                        if !self.unprivileged.contains(&u) {
                            self.unprivileged.push(u);
                        }
                    }
                }
                self.resume(tid, 0);
            }
            Status::Exit => {
                self.on_killed_in_call(tid);
                if self.window.is_open() {
                    self.times.exiting(tid);
                }
                let tgid = self.threads.exiting(tid);
                if tgid == self.root && self.window.is_open() {
                    if let Ok(io) = ProcIo::read(tid) {
                        self.storage_last = Some(io);
                    }
                } else if self.window.is_open() && self.threads.group_exiting(tgid) {
                    self.on_process_exiting(tid);
                }
                self.resume(tid, 0);
            }
            Status::GroupStop => {
                // Stay stopped like an untraced process would, but keep
                // reporting events.
                self.threads.arm(tid);
                let _ = ptrace::listen(tid);
            }
            Status::EventStop => self.resume(tid, 0),
            // Deliver the signal unchanged.
            Status::Signal(sig) => self.resume(tid, sig),
            Status::Ended(_) | Status::Other => {} // above
        }
    }

    /// The last thread `tid` of a traced process other than the root is at
    /// its exit stop: a process whose parent we do not trace will not be
    /// reaped into the root's counters, so its own count now.
    fn on_process_exiting(&mut self, tid: pid_t) {
        let Some(parent) = ProcIo::parent(tid) else { return };
        if self.threads.contains(parent) {
            return;
        }
        if let Ok(io) = ProcIo::read(tid) {
            self.storage_orphans.add(&io);
        }
    }

    /// A thread's death was reaped.
    fn on_death(&mut self, tid: pid_t, ended: Ended) {
        if let Some(t) = self.threads.on_death(tid, self.root) {
            if t.tgid == tid {
                self.calls.forget_process(tid);
            }
        }
        if tid == self.root {
            self.root_ended = Some(ended);
        }
    }

    /// Entry of a filtered call in launch mode. On x86-64 the registers still
    /// hold the call's number and arguments at its exit stop, so the entry
    /// only notes the time and one register read at the exit serves both:
    /// a ptrace request saved per call.
    #[cfg(target_arch = "x86_64")]
    fn on_seccomp_stop(&mut self, tid: pid_t) {
        let counted = self.window.is_open();
        if self.foreign_filters {
            // Only then is a stop not necessarily ours: ask whose it is.
            match ptrace::event_msg(tid) {
                Ok(DATA_NATIVE) => {}
                Ok(DATA_COMPAT) => {
                    self.compat_calls += counted as u64;
                    return;
                }
                Ok(DATA_COMPAT_META) => {
                    self.compat_meta_calls += counted as u64;
                    return;
                }
                Ok(_) => return self.skip_foreign(tid),
                Err(_) => return,
            }
        }
        if let Some(t) = self.threads.get_mut(tid) {
            t.pending = Some(Pending::deferred(self.now, counted));
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn on_seccomp_stop(&mut self, tid: pid_t) {
        self.on_syscall_stop(tid);
    }

    /// A stop of the program's own filter (SECCOMP_RET_TRACE): untraced, the
    /// kernel fails such a call with ENOSYS, as it does for a program
    /// without a tracer; so do we, and count the failure as the program sees it.
    /// `self.info` holds the call (x86-64 reads it here; elsewhere every
    /// seccomp stop has read it).
    fn skip_foreign(&mut self, tid: pid_t) {
        #[cfg(target_arch = "x86_64")]
        let skipped = ptrace::syscall_info(tid, &mut self.info).is_ok() && self.regs.skip(tid, libc::ENOSYS).is_ok();
        #[cfg(not(target_arch = "x86_64"))]
        let skipped = self.regs.skip(tid, libc::ENOSYS).is_ok();
        if !skipped || self.info.arch != AUDIT_ARCH {
            return;
        }
        let now = Instant::now();
        let nr = self.info.nr();
        let class = self.classes.get(nr);
        let args = syscalls::kept_args(class, |i| self.info.arg(i));
        let p = Pending { nr, class, args, start: now, counted: self.window.is_open() };
        self.complete(tid, p, -(libc::ENOSYS as i64), now);
    }

    /// Counts a compat-ABI call of a kind we count (`counted`: in the window).
    fn compat_call(&mut self, kind: Option<CompatCall>, counted: bool) {
        match kind {
            Some(CompatCall::Data) => self.compat_calls += counted as u64,
            Some(CompatCall::Meta) => self.compat_meta_calls += counted as u64,
            None => {}
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn on_deferred_exit(&mut self, tid: pid_t) {
        let Some(t) = self.threads.get_mut(tid) else { return };
        let Some(mut p) = t.pending.take() else { return };
        if self.regs.read(tid).is_err() {
            return;
        }
        let now = self.now;
        let nr = self.regs.nr();
        // A compat-ABI call stopped by our filter: a 32-bit program's (its
        // code segment says so), or its number is not in our table, or (a
        // data call's number both ABIs trace: a 64-bit program's int 0x80)
        // the kernel says which ABI.
        let kind = self.compat_nrs.kind(nr);
        if self.regs.compat_mode()
            || kind.is_some_and(|kind| {
                self.classes.get(nr) == Class::Ignored
                    || kind == CompatCall::Data
                        && ptrace::syscall_info(tid, &mut self.info).is_ok_and(|_| self.info.arch != AUDIT_ARCH)
            })
        {
            self.compat_call(kind, p.counted);
            return;
        }
        // rt_sigreturn restores the registers of the interrupted context and
        // sets orig_rax to -1; no other call we trace does.
        p.nr = if nr == u64::MAX { libc::SYS_rt_sigreturn as u64 } else { nr };
        p.class = self.classes.get(p.nr);
        p.args = syscalls::kept_args(p.class, |i| self.regs.arg(i));
        if p.class == Class::IoUring && p.counted {
            self.io_uring_seen = true;
        }
        self.complete(tid, p, self.regs.rval(), now);
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn on_deferred_exit(&mut self, tid: pid_t) {
        self.on_syscall_stop(tid);
    }

    /// A thread at its exit stop with a call still pending was killed inside
    /// it (exit_group or execve by another thread, a fatal signal): the
    /// kernel skips the call's exit stop then, though a read or write may
    /// have run to completion. Its result is still in rax. Only a call that
    /// did its work counts: one killed before it ran still has the -ENOSYS
    /// x86-64 puts there at entry, and one the kill cut short holds -EINTR
    /// (a write that saw the fatal signal before copying a byte); the
    /// program, dying, saw neither as a failure.
    #[cfg(target_arch = "x86_64")]
    fn on_killed_in_call(&mut self, tid: pid_t) {
        if self.threads.get(tid).and_then(|t| t.pending).is_none() {
            return;
        }
        if self.regs.read(tid).is_err() || self.regs.rval() < 0 {
            if let Some(t) = self.threads.get_mut(tid) {
                t.pending = None;
            }
            return;
        }
        if self.threads.get(tid).and_then(|t| t.pending).is_some_and(|p| p.is_deferred()) {
            return self.on_deferred_exit(tid);
        }
        let Some(t) = self.threads.get_mut(tid) else { return };
        let Some(p) = t.pending.take() else { return };
        let rval = self.regs.rval();
        self.complete(tid, p, rval, Instant::now());
    }

    /// Elsewhere the return register also holds the first argument at
    /// entry, so a call that ran cannot be told from one that did not.
    #[cfg(not(target_arch = "x86_64"))]
    fn on_killed_in_call(&mut self, _tid: pid_t) {}

    fn on_syscall_stop(&mut self, tid: pid_t) {
        let Ok(op) = ptrace::syscall_info(tid, &mut self.info) else { return };
        let now = self.now;
        match op {
            SYSCALL_INFO_ENTRY | SYSCALL_INFO_SECCOMP => {
                let nr = self.info.nr();
                if op == SYSCALL_INFO_SECCOMP
                    && self.foreign_filters
                    && !matches!(self.info.ret_data() as u64, DATA_NATIVE | DATA_COMPAT)
                {
                    return self.skip_foreign(tid);
                }
                if self.info.arch != AUDIT_ARCH {
                    // The compat ABI: other numbers, other argument layout.
                    self.compat_call(self.compat_nrs.kind(nr), self.window.is_open());
                    return;
                }
                if nr == syscalls::MARKER_SYSCALL as u64 && self.is_marker() {
                    self.on_marker(self.info.arg(2));
                    return;
                }
                let class = self.classes.get(nr);
                if class == Class::Ignored {
                    return;
                }
                if class == Class::IoUring && self.window.is_open() {
                    self.io_uring_seen = true;
                }
                let args = syscalls::kept_args(class, |i| self.info.arg(i));
                let counted = self.window.is_open();
                if let Some(t) = self.threads.get_mut(tid) {
                    t.pending = Some(Pending { nr, class, args, start: now, counted });
                }
            }
            SYSCALL_INFO_EXIT => {
                let Some(t) = self.threads.get_mut(tid) else { return };
                let Some(p) = t.pending.take() else { return };
                self.complete(tid, p, self.info.rval(), now);
            }
            _ => {}
        }
    }

    fn is_marker(&self) -> bool {
        match self.marker_cookie {
            Some(cookie) => self.info.arg(0) as i32 == syscalls::MARKER_FD && self.info.arg(1) as u32 == cookie,
            None => false,
        }
    }

    fn on_marker(&mut self, phase: u64) {
        match (phase, self.window.phase()) {
            (syscalls::MARKER_BEGIN, Phase::Waiting) => {
                self.open_window();
                self.calls.mapped_before(self.root);
            }
            (syscalls::MARKER_END, Phase::Open) => self.close_window(),
            _ => {}
        }
    }

    /// Stops counting now (a stop request rather than a marker).
    pub fn request_close(&mut self) {
        if self.window.is_open() {
            self.close_window();
        } else {
            self.window.close(Instant::now());
        }
    }

    /// A call of `tid` returned `rval` at `now`.
    fn complete(&mut self, tid: pid_t, p: Pending, rval: i64, now: Instant) {
        let Some(thread) = self.threads.get_mut(tid) else { return };
        let begin = self.window.begin().unwrap_or(p.start);
        self.foreign_filters |= self.calls.complete(thread, tid, p, rval, now, begin, &mut |addr| ptrace::read_u64(tid, addr));
    }
}
