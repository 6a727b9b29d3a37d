//! What a finished call means: whether it counts at all (the kernel's
//! restart codes, a signal handler's EINTR), the op, failure or metadata
//! call it records, and the fd cache kept true (opens, closes, dups, seeks).

use std::time::Instant;

use iops_core::event::{MapMode, OpenFlags};
use iops_core::{Aggregator, CallOffset, DataOp, Direction, MetaKind, Syscall};
use libc::pid_t;

use crate::fds::FdTable;
use crate::syscalls::{self, Class, Restart};
use crate::threads::{Pending, Thread};

/// The notable flags of an open's `flags` argument, this architecture's values.
pub fn open_flags(flags: u64) -> OpenFlags {
    OpenFlags::linux(flags, libc::O_DIRECT as u64, libc::O_SYNC as u64, libc::O_DSYNC as u64)
}

/// The name ops on an fd that could not be named are filed under.
pub const UNRESOLVED: &str = "(closed before it could be resolved)";

/// The name ops on an fd no record named are filed under when /proc is
/// another PID namespace's (see `tasks::proc_is_ours`).
pub const FOREIGN_PROC: &str = "(not named: /proc is another PID namespace's)";

/// The name ops on an fd are filed under when the kernel refused /proc's
/// name of it (see `fds::Unnamed::Refused`).
pub const REFUSED: &str = "(not named: the kernel refused /proc)";

/// The aggregator and the fd cache that feeds it.
/// A program's own tracing, which fails while the ptrace source traces it:
/// a task has one tracer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramPtrace {
    /// ptrace requests that would make a tracer or a tracee (PTRACE_TRACEME,
    /// PTRACE_ATTACH, PTRACE_SEIZE) refused with EPERM.
    pub refused: u64,
    /// prctl(PR_SET_PTRACER) naming a task that is to trace the program.
    pub tracer_named: u64,
}

pub struct Calls {
    agg: Aggregator,
    fds: FdTable,
    unresolved: u64,
    /// Ops on fds whose /proc name the kernel refused (see `REFUSED`).
    refused: u64,
    /// The program's own tracing, which fails while we trace it (see `Class::Ptrace`).
    program_ptrace: ProgramPtrace,
    /// The source names opened fds itself (`opened`) and gives their flags
    /// (`open_flags`): `complete` leaves opens' flags to it.
    names_opens: bool,
}

impl Calls {
    pub fn new(agg: Aggregator) -> Calls {
        Calls { agg, fds: FdTable::default(), unresolved: 0, refused: 0, program_ptrace: ProgramPtrace::default(), names_opens: false }
    }

    /// For a source that names each opened fd itself (`opened`, eBPF) and
    /// then gives its open flags (`open_flags`): one that reads its records
    /// after the fact, when /proc may no longer show what a call left.
    pub fn naming_opens(agg: Aggregator) -> Calls {
        Calls { names_opens: true, fds: FdTable::after_the_fact(), ..Calls::new(agg) }
    }

    /// Fd `fd` of `tgid` was opened with `flags` (the open's flags
    /// argument): its notable ones (O_DIRECT, O_SYNC, O_DSYNC) go on its
    /// file. Named through /proc when the fd is not known yet.
    pub fn open_flags(&mut self, tgid: pid_t, tid: pid_t, fd: i32, flags: u64) {
        let notable = open_flags(flags);
        if !notable.is_empty() {
            if let Some(file) = self.fds.lookup(&mut self.agg, tgid, tid, fd) {
                self.agg.record_open_flags(file, notable);
            }
        }
    }

    /// Calls on these fds of `tgid` are not counted, until it closes or
    /// replaces them (see `HostTraffic`).
    pub fn ignore_fds(&mut self, tgid: pid_t, fds: &[i32]) {
        for &fd in fds {
            self.fds.ignore(tgid, fd);
        }
    }

    /// After exec (close-on-exec fds are gone) or when a process ends.
    pub fn forget_process(&mut self, tgid: pid_t) {
        self.fds.forget_process(tgid);
    }

    /// A source that sees an open's path and result as one event (eBPF,
    /// where the fd may be closed again before /proc could be read): fd
    /// `fd` of `tgid` is `name`, of `kind`, at position 0 (`append`: opened
    /// with O_APPEND).
    /// `cloexec`: opened with O_CLOEXEC (gone at exec, see `exec`).
    pub fn opened(&mut self, tgid: pid_t, fd: i32, name: &str, kind: iops_core::FdKind, append: bool, cloexec: bool) {
        let file = self.agg.file(name, kind);
        self.fds.opened(tgid, fd, file, kind, append, cloexec);
    }

    /// Such a source saw fd `from` copied to `to` (dup, dup2, dup3,
    /// fcntl F_DUPFD): see `FdTable::duplicated`.
    pub fn duplicated(&mut self, tgid: pid_t, from: i32, to: i32, cloexec: bool) {
        self.fds.duplicated(tgid, from, to, cloexec);
    }

    /// Names every fd open in `pid` now: see `FdTable::snapshot`.
    /// A window opens on process `pid` running: its file mappings now are
    /// listed, marked as made before the window (see `maps`).
    pub fn mapped_before(&mut self, pid: pid_t) {
        for (path, mode, bytes) in crate::maps::regions(pid) {
            let file = self.agg.file(&path, iops_core::FdKind::File);
            self.agg.record_mapped_before(file, mode, bytes);
        }
    }

    pub fn snapshot(&mut self, pid: pid_t, at_exec: bool) {
        self.fds.snapshot(&mut self.agg, pid, at_exec);
    }

    /// Such a source read `fd`'s position at the end of a call that used
    /// it: `pos` is where that call started (see
    /// `FdTable::position_before`); its next data call on `fd` takes it.
    pub fn position_before(&mut self, tgid: pid_t, fd: i32, pos: u64, append: bool, appended: bool) {
        self.fds.position_before(tgid, fd, pos, append, appended);
    }

    /// Such a source read the size of `fd`'s file at the end of an append
    /// at an explicit offset (pwrite on an O_APPEND fd, RWF_APPEND): it
    /// ended at `end` before (see `FdTable::end_before`).
    pub fn end_before(&mut self, tgid: pid_t, fd: i32, end: u64) {
        self.fds.end_before(tgid, fd, end);
    }

    /// A hint of `position_before` or `end_before` that the call did not
    /// take (not counted, or not a data call) is dropped.
    pub fn no_position_hint(&mut self) {
        self.fds.no_hint();
    }

    /// fcntl(F_SETFD) set or cleared FD_CLOEXEC on `fd`.
    pub fn set_cloexec(&mut self, tgid: pid_t, fd: i32, cloexec: bool) {
        self.fds.set_cloexec(tgid, fd, cloexec);
    }

    /// `child` forked from `parent` with its own copy of the fd table.
    pub fn forked(&mut self, parent: pid_t, child: pid_t) {
        self.fds.forked(parent, child);
    }

    /// `tgid` exec'd: only its close-on-exec fds are gone (a source that
    /// cannot read /proc later; ptrace forgets all, see `forget_process`).
    pub fn exec(&mut self, tgid: pid_t) {
        self.fds.exec(tgid);
    }

    /// Data calls whose fd could not be named (filed under
    /// "(closed before it could be resolved)").
    pub fn unresolved(&self) -> u64 {
        self.unresolved
    }

    /// Ops on fds whose /proc name the kernel refused (filed under `REFUSED`).
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// What the program did in the window to trace or be traced.
    pub fn program_ptrace(&self) -> ProgramPtrace {
        self.program_ptrace
    }

    /// The aggregator, to name a file by an fd's dirfd (see `opened`).
    pub fn file_name(&mut self, tgid: pid_t, tid: pid_t, fd: i32) -> Option<String> {
        let file = self.fds.lookup(&mut self.agg, tgid, tid, fd)?;
        Some(self.agg.file_stats(file).path.clone())
    }

    pub fn into_aggregator(self) -> Aggregator {
        self.agg
    }

    /// Thread `tid` (state `thread`) left call `p` with `rval` at `now`;
    /// `begin` is the window's begin, from which op start times count.
    /// `peek` reads a u64 of the caller's memory after the call (the offset
    /// pointers of sendfile, copy_file_range, splice).
    /// Returns true when the call installed a seccomp filter of the
    /// program's own.
    #[allow(clippy::too_many_arguments)]
    pub fn complete(
        &mut self,
        thread: &mut Thread,
        tid: pid_t,
        p: Pending,
        rval: i64,
        now: Instant,
        begin: Instant,
        peek: &mut dyn FnMut(u64) -> Option<u64>,
    ) -> bool {
        let tgid = thread.tgid;
        if let Some(i) = thread.interrupted {
            // The same call on the same fd again: the interrupted one restarted.
            if i.nr == p.nr && i.args[0] == p.args[0] {
                thread.interrupted = None;
            }
        }
        match syscalls::restart(rval) {
            Restart::Always => return false,
            Restart::UnlessHandled => {
                thread.interrupted = Some(p);
                return false;
            }
            Restart::No => {}
        }
        if p.class == Class::SigReturn {
            // rt_sigreturn "returns" the register the handler's frame saved:
            // -EINTR if the interrupted call failed, its number if restarted.
            if let Some(i) = thread.interrupted.take() {
                if rval == -(libc::EINTR as i64) {
                    return self.complete(thread, tid, i, rval, now, begin, peek);
                }
            }
            return false;
        }
        let ok = rval >= 0;
        let latency = Some(now.saturating_duration_since(p.start).as_nanos() as u64);
        match p.class {
            // The host's own traffic (transfers check each of their two fds).
            Class::Data(syscall) if p.counted && syscall.direction().is_some() && self.fds.is_ignored(tgid, p.args[0] as i32) => {}
            Class::Data(syscall) if p.counted => {
                if ok {
                    self.record_data(tid, tgid, syscall, &p, rval as u64, now, begin, peek);
                } else {
                    let storage = self
                        .fds
                        .lookup(&mut self.agg, tgid, tid, p.args[0] as i32)
                        .is_some_and(|f| self.agg.file_stats(f).kind.is_storage());
                    self.agg.record_failure(syscall, iops_core::errno::linux_name(-rval), storage, latency);
                }
            }
            Class::Meta(kind) => {
                if p.counted {
                    self.agg.record_meta(kind, ok, latency);
                    if kind == MetaKind::Fsync {
                        self.synced(tgid, tid, p.args[0], latency);
                    }
                }
                if ok {
                    match kind {
                        MetaKind::Open => {
                            self.fds.forget(tgid, rval as i32);
                            if p.counted && !self.names_opens {
                                self.opened_with(tgid, tid, &p, rval as i32);
                            }
                        }
                        MetaKind::Close => self.fds.forget(tgid, p.args[0] as i32),
                        _ => {}
                    }
                }
            }
            Class::Timed(kind) if p.counted => {
                self.agg.record_call(kind, ok, latency);
                if p.nr == libc::SYS_sync_file_range as u64 {
                    self.synced(tgid, tid, p.args[0], latency);
                }
            }
            // [fd, length, prot, flags] (`syscalls::kept_args`).
            Class::Map if p.counted && ok && p.args[3] & libc::MAP_ANONYMOUS as u64 == 0 && (p.args[0] as i32) >= 0 => {
                if let Some(file) = self.fds.lookup(&mut self.agg, tgid, tid, p.args[0] as i32) {
                    let (prot, flags) = (p.args[2] as i32, p.args[3] as i32);
                    let mode = MapMode {
                        read: prot & libc::PROT_READ != 0,
                        write: prot & libc::PROT_WRITE != 0,
                        exec: prot & libc::PROT_EXEC != 0,
                        // MAP_SHARED_VALIDATE is MAP_SHARED | MAP_PRIVATE.
                        shared: flags & libc::MAP_SHARED != 0,
                    };
                    self.agg.record_mmap(file, mode, p.args[1]);
                }
            }
            Class::Seek if ok => self.fds.seek(tgid, p.args[0] as i32, rval as u64),
            Class::Ptrace if p.counted && rval == -(libc::EPERM as i64) => {
                const REQUESTS: [u64; 3] = [libc::PTRACE_TRACEME as u64, libc::PTRACE_ATTACH as u64, libc::PTRACE_SEIZE as u64];
                self.program_ptrace.refused += REQUESTS.contains(&p.args[0]) as u64;
            }
            // A helper task that is to trace the program (LeakSanitizer's,
            // cloned CLONE_UNTRACED, so its own refused attach is not seen);
            // EINVAL where there is no Yama, the intent is the same.
            Class::FilterInstall if p.counted && p.nr == libc::SYS_prctl as u64 && p.args[0] == libc::PR_SET_PTRACER as u64 && p.args[1] != 0 => {
                self.program_ptrace.tracer_named += 1;
            }
            Class::FilterInstall if ok => {
                return if p.nr == libc::SYS_seccomp as u64 {
                    p.args[0] == 1 // SECCOMP_SET_MODE_FILTER
                } else {
                    p.args[0] == libc::PR_SET_SECCOMP as u64 && p.args[1] == libc::SECCOMP_MODE_FILTER as u64
                };
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
        false
    }

    /// A sync call on `fd` (fsync, fdatasync, sync_file_range): its file's
    /// syncs and time.
    fn synced(&mut self, tgid: pid_t, tid: pid_t, fd: u64, latency: Option<u64>) {
        if let Some(file) = self.fds.lookup(&mut self.agg, tgid, tid, fd as i32) {
            self.agg.record_sync(file, latency);
        }
    }

    /// An open that returned `fd`: its notable flags on its file
    /// (`open_flags`: the file is named only for an open that carries one,
    /// which few do). openat2's flags are behind a pointer: not read.
    fn opened_with(&mut self, tgid: pid_t, tid: pid_t, p: &Pending, fd: i32) {
        let flags = match p.nr as i64 {
            libc::SYS_openat => p.args[2],
            #[cfg(target_arch = "x86_64")]
            libc::SYS_open => p.args[1],
            _ => return,
        };
        self.open_flags(tgid, tid, fd, flags);
    }

    /// `tid` made the call (its /proc entry and memory are read: the
    /// leader's are gone once it has exited); `tgid` keys the fd cache.
    #[allow(clippy::too_many_arguments)]
    fn record_data(
        &mut self,
        tid: pid_t,
        tgid: pid_t,
        syscall: Syscall,
        p: &Pending,
        bytes: u64,
        now: Instant,
        begin: Instant,
        peek: &mut dyn FnMut(u64) -> Option<u64>,
    ) {
        let start_ns = p.start.saturating_duration_since(begin).as_nanos() as u64;
        let latency_ns = Some(now.saturating_duration_since(p.start).as_nanos() as u64);
        let record = |calls: &mut Calls, fd: u64, direction: Direction, call: CallOffset| {
            if calls.fds.is_ignored(tgid, fd as i32) {
                return;
            }
            let (file, offset) = match calls.fds.data_call(&mut calls.agg, tgid, tid, fd as i32, direction, call, bytes) {
                Some(found) => found,
                // /proc is another namespace's: nothing read from it (see `tasks::proc_is_ours`).
                None if !crate::tasks::proc_is_ours() => (calls.agg.file(FOREIGN_PROC, iops_core::FdKind::Unknown), None),
                // Refused by the kernel: still an op, filed apart.
                None if calls.fds.take_refused() => {
                    calls.refused += 1;
                    (calls.agg.file(REFUSED, iops_core::FdKind::Unknown), None)
                }
                // Closed by another thread before we could look: still an op.
                None => {
                    calls.unresolved += 1;
                    (calls.agg.file(UNRESOLVED, iops_core::FdKind::Unknown), None)
                }
            };
            calls.agg.record_op(file, &DataOp { syscall, direction, bytes, start_ns, latency_ns, offset });
        };
        // An offset-pointer argument: null means "at the fd's position";
        // otherwise the call has advanced the offset it points to by the
        // bytes it moved, so it started that many bytes earlier.
        let mut through = |ptr: u64| match ptr {
            0 => CallOffset::Current,
            _ => match peek(ptr) {
                Some(after) => CallOffset::At(after.wrapping_sub(bytes)),
                None => CallOffset::Unknown,
            },
        };
        match syscall.direction() {
            Some(direction) => {
                let call = match syscall {
                    // pwritev2(fd, iov, RWF flags (kept in place of vlen), offset):
                    // RWF_APPEND appends whatever the offset.
                    Syscall::Pwritev2 if p.args[2] & libc::RWF_APPEND as u64 != 0 => CallOffset::End { moves: p.args[3] as i64 == -1 },
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

/// The warning for ops on fds whose /proc name the kernel refused: counted
/// apart from files, and why.
pub fn refused_warning(ops: u64) -> iops_core::Warning {
    iops_core::WarningCode::FdsUnnamed.with(format!(
        "{ops} reads/writes were on fds the kernel would not let iops name (/proc/PID/fd refused: a process that made itself non-dumpable, as ssh-agent and gpg-agent do, or that changed its user, traced by a user who is not root): they are counted apart as \"{REFUSED}\"; run iops as root to name them"
    ))
}
