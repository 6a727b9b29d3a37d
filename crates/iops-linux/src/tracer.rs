//! The event loop: one thread that owns every ptrace attachment, waits for
//! stops, turns syscall entry/exit pairs into events for the aggregator and
//! resumes the tracee at once. Per stop it makes one GET_SYSCALL_INFO call
//! and a hash lookup; it allocates only when a new thread or fd appears.

use rustc_hash::FxHashMap as HashMap;
use std::time::Instant;

use iops_core::window::{Phase, Window};
use iops_core::{Aggregator, CallOffset, DataOp, Direction, MetaKind, Syscall};
use libc::pid_t;

use crate::fds::FdTable;
use crate::procio::ProcIo;
use crate::ptrace::{self, SyscallInfo, PTRACE_EVENT_STOP, SYSCALL_INFO_ENTRY, SYSCALL_INFO_EXIT, SYSCALL_INFO_SECCOMP};
use crate::seccomp::{AUDIT_ARCH, COMPAT_DATA_CALLS, DATA_COMPAT, DATA_NATIVE};
use crate::syscalls::{self, Class, ClassTable, Restart};

/// How tracees are resumed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Launched under our seccomp filter: only counted syscalls stop.
    Seccomp,
    /// Attached to a running process: every syscall stops.
    AllSyscalls,
}

#[derive(Clone, Copy)]
struct Pending {
    nr: u64,
    class: Class,
    args: [u64; 4],
    start: Instant,
    /// Entered inside the measurement window.
    counted: bool,
}

struct Thread {
    tgid: pid_t,
    pending: Option<Pending>,
    /// A call a signal interrupted, until we know whether it failed with
    /// EINTR or was restarted.
    interrupted: Option<Pending>,
    /// Resumed at least once by us (attach mode: ready when all are).
    armed: bool,
    /// Its creator's clone/fork event has been seen (or it was there when
    /// tracing began). Its own first stop can come before that event.
    announced: bool,
    /// Past its PTRACE_EVENT_EXIT stop: it only has its death left to report
    /// (a thread-group leader: not before every other thread of its group).
    exiting: bool,
}

pub struct Tracer {
    pub mode: Mode,
    classes: ClassTable,
    threads: HashMap<pid_t, Thread>,
    /// Threads that ended before their creator's clone/fork event was seen,
    /// by tid (a count, in case the tid is reused meanwhile): that event
    /// must not bring them back, or the loop would wait for them forever.
    ended_unannounced: HashMap<pid_t, u32>,
    fds: FdTable,
    pub agg: Aggregator,
    /// Attach mode waits for the begin marker; closed at the end marker
    /// (or a stop request): detach and report.
    pub window: Window<Instant>,
    marker_cookie: Option<u32>,
    /// The traced process (launch: the command; attach: the target pid).
    pub root: pid_t,
    pub root_status: Option<i32>,
    /// Storage-level counters of the root process: at the window's begin, and
    /// the latest reading since.
    pub storage_begin: Option<ProcIo>,
    pub storage_last: Option<ProcIo>,
    pub io_uring_seen: bool,
    /// Read/write-family calls of the 32-bit compat ABI seen in the window:
    /// not counted (their numbers and arguments are another ABI's).
    pub compat_calls: u64,
    /// Compat-ABI numbers of those calls, as a bitset.
    compat_nrs: [u64; 8],
    /// A traced program installed a seccomp filter of its own: a seccomp
    /// stop may then be its filter's, not ours (told apart by the data).
    foreign_filters: bool,
    ready_reported: bool,
    /// The thread left stopped when the window closed (it made the end
    /// marker): the detach must release it.
    pub held: Option<pid_t>,
    /// Attach mode: the CPU shared with the tracer and the masks to restore.
    pub pinning: Option<crate::session::Pinning>,
    info: SyscallInfo,
    #[cfg(target_arch = "x86_64")]
    regs: libc::user_regs_struct,
}

/// `Pending::nr` of a call whose number and arguments are read at its exit.
const DEFERRED: u64 = u64::MAX;

fn tgid_of(tid: pid_t) -> pid_t {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(tid)
}

pub fn is_stop_signal(sig: i32) -> bool {
    matches!(sig, libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU)
}

impl Tracer {
    pub fn new(mode: Mode, root: pid_t, agg: Aggregator, marker_cookie: Option<u32>) -> Tracer {
        Tracer {
            mode,
            classes: ClassTable::new(),
            threads: HashMap::default(),
            ended_unannounced: HashMap::default(),
            fds: FdTable::default(),
            agg,
            window: if marker_cookie.is_some() { Window::waiting() } else { Window::open_at(Instant::now()) },
            marker_cookie,
            root,
            root_status: None,
            storage_begin: None,
            storage_last: None,
            io_uring_seen: false,
            compat_calls: 0,
            compat_nrs: COMPAT_DATA_CALLS.iter().fold([0; 8], |mut set, &nr| {
                set[nr as usize / 64] |= 1 << (nr % 64);
                set
            }),
            foreign_filters: false,
            ready_reported: false,
            held: None,
            pinning: None,
            info: SyscallInfo::default(),
            #[cfg(target_arch = "x86_64")]
            regs: unsafe { std::mem::zeroed() },
        }
    }

    /// A thread that is there when tracing begins.
    pub fn add_thread(&mut self, tid: pid_t, tgid: pid_t) {
        self.insert_thread(tid, tgid, true);
    }

    /// A thread that an attach found traced by us already: born of a thread
    /// seized a moment before, its first stop and its creator's clone event
    /// are still to come.
    pub fn add_auto_attached(&mut self, tid: pid_t, tgid: pid_t) {
        self.insert_thread(tid, tgid, false);
    }

    fn insert_thread(&mut self, tid: pid_t, tgid: pid_t, announced: bool) {
        self.threads.entry(tid).or_insert(Thread {
            tgid,
            pending: None,
            interrupted: None,
            armed: false,
            announced,
            exiting: false,
        });
    }

    /// A clone/fork event of a creator announced `child`. Its first stop may
    /// have come already, and it may even have ended since.
    fn on_birth(&mut self, child: pid_t, tgid: impl FnOnce() -> pid_t) {
        if let Some(t) = self.threads.get_mut(&child) {
            t.announced = true;
            return;
        }
        if let Some(n) = self.ended_unannounced.get_mut(&child) {
            *n -= 1;
            if *n == 0 {
                self.ended_unannounced.remove(&child);
            }
            return;
        }
        let tgid = tgid();
        self.insert_thread(child, tgid, true);
    }

    /// A thread's death (WIFEXITED / WIFSIGNALED) was reaped.
    fn on_death(&mut self, tid: pid_t) {
        match self.threads.remove(&tid) {
            Some(t) => {
                if t.tgid == tid {
                    self.fds.forget_process(tid);
                }
                if !t.announced {
                    *self.ended_unannounced.entry(tid).or_insert(0) += 1;
                }
            }
            // Never seen stopped, never announced: killed before its first
            // stop, while its creator's event is still to come.
            None if tid != self.root => *self.ended_unannounced.entry(tid).or_insert(0) += 1,
            None => {}
        }
    }

    pub fn has_thread(&self, tid: pid_t) -> bool {
        self.threads.contains_key(&tid)
    }

    pub fn thread_ids(&self) -> Vec<pid_t> {
        self.threads.keys().copied().collect()
    }

    /// A thread-group leader past its exit stop while other threads of its
    /// group live on: its death is reported only after theirs, so a detach
    /// must not wait for it.
    pub fn is_exited_leader(&self, tid: pid_t) -> bool {
        self.threads.get(&tid).is_some_and(|t| t.exiting && t.tgid == tid)
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// True once, when every known thread has been resumed under tracing.
    pub fn take_ready(&mut self) -> bool {
        if self.ready_reported || !self.threads.values().all(|t| t.armed) {
            return false;
        }
        self.ready_reported = true;
        true
    }

    pub fn open_window(&mut self) {
        self.window.open(Instant::now());
        self.storage_begin = ProcIo::read(self.root).ok();
    }

    fn close_window(&mut self) {
        self.window.close(Instant::now());
        if let Ok(io) = ProcIo::read(self.root) {
            self.storage_last = Some(io);
        }
    }

    fn resume(&mut self, tid: pid_t, sig: i32) {
        let want_exit = self.threads.get(&tid).is_some_and(|t| t.pending.is_some());
        if let Some(t) = self.threads.get_mut(&tid) {
            t.armed = true;
        }
        // ESRCH: the thread died meanwhile; its exit is reported by waitpid.
        let _ = match self.mode {
            Mode::AllSyscalls => ptrace::syscall(tid, sig),
            Mode::Seccomp if want_exit => ptrace::syscall(tid, sig),
            Mode::Seccomp => ptrace::cont(tid, sig),
        };
    }

    /// Handles one waitpid status of a tracee.
    pub fn handle(&mut self, tid: pid_t, status: i32) {
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            self.on_death(tid);
            if tid == self.root {
                self.root_status = Some(status);
            }
            return;
        }
        if !libc::WIFSTOPPED(status) {
            return;
        }
        if !self.threads.contains_key(&tid) {
            // An auto-attached child whose first stop beat its parent's event.
            self.insert_thread(tid, tgid_of(tid), false);
        }
        let sig = libc::WSTOPSIG(status);
        let event = status >> 16;
        if sig == libc::SIGTRAP | 0x80 {
            if self.threads.get(&tid).and_then(|t| t.pending).is_some_and(|p| p.nr == DEFERRED) {
                self.on_deferred_exit(tid);
            } else {
                self.on_syscall_stop(tid);
            }
            if self.window.is_closed() {
                self.held = Some(tid);
            } else {
                self.resume(tid, 0);
            }
            return;
        }
        match event {
            libc::PTRACE_EVENT_SECCOMP => {
                self.on_seccomp_stop(tid);
                self.resume(tid, 0);
            }
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                if let Ok(child) = ptrace::event_msg(tid) {
                    let child = child as pid_t;
                    let tgid = || if event == libc::PTRACE_EVENT_CLONE { tgid_of(child) } else { child };
                    self.on_birth(child, tgid);
                }
                self.resume(tid, 0);
            }
            libc::PTRACE_EVENT_EXEC => {
                // A non-leader thread that execs takes over the leader's tid.
                if let Ok(former) = ptrace::event_msg(tid) {
                    let former = former as pid_t;
                    if former != tid {
                        self.threads.remove(&former);
                    }
                }
                let tgid = self.threads.get(&tid).map_or(tid, |t| t.tgid);
                self.fds.forget_process(tgid);
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.pending = None;
                }
                self.resume(tid, 0);
            }
            libc::PTRACE_EVENT_EXIT => {
                self.on_killed_in_call(tid);
                let tgid = match self.threads.get_mut(&tid) {
                    Some(t) => {
                        t.exiting = true;
                        t.tgid
                    }
                    None => tid,
                };
                if tgid == self.root && self.window.is_open() {
                    if let Ok(io) = ProcIo::read(tid) {
                        self.storage_last = Some(io);
                    }
                }
                self.resume(tid, 0);
            }
            PTRACE_EVENT_STOP => {
                if is_stop_signal(sig) {
                    // Group stop: stay stopped like an untraced process would,
                    // but keep reporting events.
                    if let Some(t) = self.threads.get_mut(&tid) {
                        t.armed = true;
                    }
                    let _ = ptrace::listen(tid);
                } else {
                    self.resume(tid, 0);
                }
            }
            _ => {
                // Signal-delivery stop: deliver the signal unchanged.
                self.resume(tid, sig);
            }
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
                Ok(_) => return self.skip_foreign(tid),
                Err(_) => return,
            }
        }
        if let Some(t) = self.threads.get_mut(&tid) {
            t.pending = Some(Pending { nr: DEFERRED, class: Class::Ignored, args: [0; 4], start: Instant::now(), counted });
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
        let skipped = ptrace::syscall_info(tid, &mut self.info).is_ok()
            && ptrace::skip_syscall(tid, &mut self.regs, libc::ENOSYS).is_ok();
        #[cfg(not(target_arch = "x86_64"))]
        let skipped = ptrace::skip_syscall(tid, libc::ENOSYS).is_ok();
        let Some(tgid) = self.threads.get(&tid).map(|t| t.tgid) else { return };
        if !skipped || self.info.arch != AUDIT_ARCH {
            return;
        }
        let now = Instant::now();
        let nr = self.info.nr();
        let args = [self.info.arg(0), self.info.arg(1), self.info.arg(2), self.info.arg(3)];
        let p = Pending { nr, class: self.classes.get(nr), args, start: now, counted: self.window.is_open() };
        self.complete(tid, tgid, p, -(libc::ENOSYS as i64), now);
    }

    fn is_compat_nr(&self, nr: u64) -> bool {
        nr < 512 && self.compat_nrs[nr as usize / 64] & (1 << (nr % 64)) != 0
    }

    #[cfg(target_arch = "x86_64")]
    fn on_deferred_exit(&mut self, tid: pid_t) {
        let Some(t) = self.threads.get_mut(&tid) else { return };
        let Some(mut p) = t.pending.take() else { return };
        let tgid = t.tgid;
        if ptrace::regs(tid, &mut self.regs).is_err() {
            return;
        }
        let now = Instant::now();
        let r = &self.regs;
        // A compat-ABI call stopped by our filter: its number is not in our
        // table, or (a number both ABIs trace) the kernel says which ABI.
        if self.is_compat_nr(r.orig_rax)
            && (self.classes.get(r.orig_rax) == Class::Ignored
                || ptrace::syscall_info(tid, &mut self.info).is_ok_and(|_| self.info.arch != AUDIT_ARCH))
        {
            self.compat_calls += p.counted as u64;
            return;
        }
        let r = &self.regs;
        // rt_sigreturn restores the registers of the interrupted context and
        // sets orig_rax to -1; no other call we trace does.
        p.nr = if r.orig_rax == u64::MAX { libc::SYS_rt_sigreturn as u64 } else { r.orig_rax };
        p.class = self.classes.get(p.nr);
        p.args = [r.rdi, r.rsi, r.rdx, r.r10];
        if p.class == Class::IoUring && p.counted {
            self.io_uring_seen = true;
        }
        self.complete(tid, tgid, p, r.rax as i64, now);
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
        if !self.threads.get(&tid).is_some_and(|t| t.pending.is_some()) {
            return;
        }
        if ptrace::regs(tid, &mut self.regs).is_err() || (self.regs.rax as i64) < 0 {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.pending = None;
            }
            return;
        }
        if self.threads.get(&tid).and_then(|t| t.pending).is_some_and(|p| p.nr == DEFERRED) {
            return self.on_deferred_exit(tid);
        }
        let Some(t) = self.threads.get_mut(&tid) else { return };
        let Some(p) = t.pending.take() else { return };
        let tgid = t.tgid;
        let rval = self.regs.rax as i64;
        self.complete(tid, tgid, p, rval, Instant::now());
    }

    /// Elsewhere the return register also holds the first argument at
    /// entry, so a call that ran cannot be told from one that did not.
    #[cfg(not(target_arch = "x86_64"))]
    fn on_killed_in_call(&mut self, _tid: pid_t) {}

    fn on_syscall_stop(&mut self, tid: pid_t) {
        let Ok(op) = ptrace::syscall_info(tid, &mut self.info) else { return };
        let now = Instant::now();
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
                    if self.window.is_open() && self.is_compat_nr(nr) {
                        self.compat_calls += 1;
                    }
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
                let args = [self.info.arg(0), self.info.arg(1), self.info.arg(2), self.info.arg(3)];
                let counted = self.window.is_open();
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.pending = Some(Pending { nr, class, args, start: now, counted });
                }
            }
            SYSCALL_INFO_EXIT => {
                let Some(t) = self.threads.get_mut(&tid) else { return };
                let Some(p) = t.pending.take() else { return };
                let tgid = t.tgid;
                self.complete(tid, tgid, p, self.info.rval(), now);
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
            (syscalls::MARKER_BEGIN, Phase::Waiting) => self.open_window(),
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

    fn complete(&mut self, tid: pid_t, tgid: pid_t, p: Pending, rval: i64, now: Instant) {
        let Some(thread) = self.threads.get_mut(&tid) else { return };
        if let Some(i) = thread.interrupted {
            // The same call on the same fd again: the interrupted one restarted.
            if i.nr == p.nr && i.args[0] == p.args[0] {
                thread.interrupted = None;
            }
        }
        match syscalls::restart(rval) {
            Restart::Always => return,
            Restart::UnlessHandled => {
                thread.interrupted = Some(p);
                return;
            }
            Restart::No => {}
        }
        if p.class == Class::SigReturn {
            // rt_sigreturn "returns" the register the handler's frame saved:
            // -EINTR if the interrupted call failed, its number if restarted.
            if let Some(i) = thread.interrupted.take() {
                if rval == -(libc::EINTR as i64) {
                    self.complete(tid, tgid, i, rval, now);
                }
            }
            return;
        }
        let ok = rval >= 0;
        match p.class {
            Class::Data(syscall) if p.counted => {
                if ok {
                    self.record_data(tid, tgid, syscall, &p, rval as u64, now);
                } else {
                    let storage = self
                        .fds
                        .lookup(&mut self.agg, tgid, tid, p.args[0] as i32)
                        .is_some_and(|f| self.agg.file_stats(f).kind.is_storage());
                    self.agg.record_failure(syscall, iops_core::errno::linux_name(-rval), storage);
                }
            }
            Class::Meta(kind) => {
                if p.counted {
                    self.agg.record_meta(kind, ok);
                }
                if ok {
                    match kind {
                        MetaKind::Open => self.fds.forget(tgid, rval as i32),
                        MetaKind::Close => self.fds.forget(tgid, p.args[0] as i32),
                        _ => {}
                    }
                }
            }
            Class::Seek if ok => self.fds.seek(tgid, p.args[0] as i32, rval as u64),
            Class::FilterInstall if ok => {
                let filter = if p.nr == libc::SYS_seccomp as u64 {
                    p.args[0] == 1 // SECCOMP_SET_MODE_FILTER
                } else {
                    p.args[0] == libc::PR_SET_SECCOMP as u64 && p.args[1] == libc::SECCOMP_MODE_FILTER as u64
                };
                self.foreign_filters |= filter;
            }
            Class::FdChange if ok => {
                if p.nr == libc::SYS_close_range as u64 {
                    self.fds.forget_range(tgid, p.args[0] as u32, p.args[1] as u32);
                } else {
                    self.fds.forget(tgid, rval as i32);
                }
            }
            _ => {}
        }
    }

    /// `tid` made the call (its /proc entry and memory are read: the
    /// leader's are gone once it has exited); `tgid` keys the fd cache.
    fn record_data(&mut self, tid: pid_t, tgid: pid_t, syscall: Syscall, p: &Pending, bytes: u64, now: Instant) {
        let start_ns = p.start.saturating_duration_since(self.window.begin().unwrap_or(p.start)).as_nanos() as u64;
        let latency_ns = Some(now.saturating_duration_since(p.start).as_nanos() as u64);
        let record = |tracer: &mut Tracer, fd: u64, direction: Direction, call: CallOffset| {
            let (file, offset) = match tracer.fds.data_call(&mut tracer.agg, tgid, tid, fd as i32, direction, call, bytes) {
                Some(found) => found,
                // Closed by another thread before we could look: still an op.
                None => (tracer.agg.file("(closed before it could be resolved)", iops_core::FdKind::Unknown), None),
            };
            tracer.agg.record_op(file, &DataOp { syscall, direction, bytes, start_ns, latency_ns, offset });
        };
        // An offset-pointer argument: null means "at the fd's position";
        // otherwise the call has advanced the offset it points to by the
        // bytes it moved, so it started that many bytes earlier.
        let through = |ptr: u64| match ptr {
            0 => CallOffset::Current,
            _ => match ptrace::read_u64(tid, ptr) {
                Some(after) => CallOffset::At(after.wrapping_sub(bytes)),
                None => CallOffset::Unknown,
            },
        };
        match syscall.direction() {
            Some(direction) => {
                let call = match syscall {
                    Syscall::Pread64 | Syscall::Pwrite64 | Syscall::Preadv | Syscall::Pwritev => CallOffset::At(p.args[3]),
                    // preadv2/pwritev2 with offset -1 use the fd's position.
                    Syscall::Preadv2 | Syscall::Pwritev2 if p.args[3] as i64 != -1 => CallOffset::At(p.args[3]),
                    _ => CallOffset::Current,
                };
                record(self, p.args[0], direction, call)
            }
            None => {
                // sendfile(out, in, *offset, count); copy_file_range(in, *off_in,
                // out, *off_out, ...); splice(in, *off_in, out, *off_out, ...).
                let ((src, src_call), (dst, dst_call)) = match syscall {
                    Syscall::Sendfile => ((p.args[1], through(p.args[2])), (p.args[0], CallOffset::Current)),
                    _ => ((p.args[0], through(p.args[1])), (p.args[2], through(p.args[3]))),
                };
                record(self, src, Direction::Read, src_call);
                record(self, dst, Direction::Write, dst_call);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: pid_t = 100;

    fn tracer() -> Tracer {
        let mut t = Tracer::new(Mode::Seccomp, ROOT, Aggregator::new(), None);
        t.add_thread(ROOT, ROOT);
        t
    }

    /// A creator's clone event, the new thread's first stop and its death,
    /// in every order the kernel may report them (the death always follows
    /// the first stop): the thread is never left behind in the table.
    #[test]
    fn a_thread_born_and_dead_in_any_order_leaves_no_phantom() {
        #[derive(Clone, Copy, Debug)]
        enum Ev {
            Birth,
            FirstStop,
            Death,
        }
        use Ev::*;
        for order in [[Birth, FirstStop, Death], [FirstStop, Birth, Death], [FirstStop, Death, Birth]] {
            let mut t = tracer();
            for ev in order {
                match ev {
                    Birth => t.on_birth(101, || ROOT),
                    FirstStop if !t.has_thread(101) => t.insert_thread(101, ROOT, false),
                    FirstStop => {}
                    Death => t.on_death(101),
                }
            }
            assert_eq!(t.thread_ids(), vec![ROOT], "{order:?}");
            assert!(t.ended_unannounced.is_empty(), "{order:?}");
        }
    }

    #[test]
    fn a_thread_killed_before_its_first_stop_is_not_brought_back() {
        let mut t = tracer();
        t.on_death(101);
        t.on_birth(101, || ROOT);
        assert_eq!(t.thread_ids(), vec![ROOT]);
        assert!(t.ended_unannounced.is_empty());
    }

    /// A tid reused while its first holder's clone event is still queued:
    /// each late event cancels one early death, no more.
    #[test]
    fn a_reused_tid_is_counted_per_life() {
        let mut t = tracer();
        for _ in 0..2 {
            t.insert_thread(101, ROOT, false);
            t.on_death(101);
        }
        t.on_birth(101, || ROOT);
        t.on_birth(101, || ROOT);
        assert_eq!(t.thread_ids(), vec![ROOT]);
        // A third life, announced before it stops, is traced.
        t.on_birth(101, || ROOT);
        assert!(t.has_thread(101));
    }

    #[test]
    fn the_root_ending_is_not_an_unannounced_death() {
        let mut t = tracer();
        t.on_death(ROOT);
        assert!(t.is_empty());
        assert!(t.ended_unannounced.is_empty());
    }

    #[test]
    fn only_an_exited_leader_is_left_out_of_a_detach() {
        let mut t = tracer();
        t.on_birth(101, || ROOT);
        t.threads.get_mut(&101).unwrap().exiting = true;
        assert!(!t.is_exited_leader(101), "a non-leader reports its death at once");
        t.threads.get_mut(&ROOT).unwrap().exiting = true;
        assert!(t.is_exited_leader(ROOT));
    }
}
