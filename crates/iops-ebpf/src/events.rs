//! What each record means: a finished call goes through iops-linux's
//! `Calls` exactly as a ptrace exit stop does (the same syscall table,
//! restart and EINTR rules, fd cache); an open also names its fd at once
//! from the path the kernel read, resolved as the kernel named the file
//! (`paths`), since by the time we read the record the program may have
//! closed the fd, or opened another file on it. Exec and
//! process ends keep the fd cache true; the markers move the window.
//! Nothing here allocates per call: only a new file, thread or fd does.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use iops_core::path_name::{name_bytes, name_text};
use iops_core::{Aggregator, FdKind, MetaKind};
use iops_linux::calls::Calls;
use iops_linux::fds;
use iops_linux::procio::{Orphans, ProcIo};
use iops_linux::seccomp::{CompatCall, CompatCalls};
use iops_linux::syscalls::{Class, ClassTable};
use iops_linux::tasks::{through_live_task, TaskPath};
use iops_linux::threads::{Pending, Threads};
use libc::pid_t;

use crate::paths::Resolver;
use crate::record::{Event, EV_BEGIN, EV_CALL, EV_COMPAT, EV_END, EV_EXEC, EV_FORK, EV_GONE, EV_NAMED, EV_STARTED, POS_READ, SIZE_READ};

/// bpf_ktime_get_ns() instants as `Instant`s: both are CLOCK_MONOTONIC.
#[derive(Clone, Copy)]
pub struct Clock {
    at: Instant,
    ns: u64,
}

impl Clock {
    pub fn now() -> Clock {
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        let at = Instant::now();
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        Clock { at, ns: ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64 }
    }

    #[inline]
    pub fn instant(&self, ns: u64) -> Instant {
        if ns >= self.ns {
            self.at + Duration::from_nanos(ns - self.ns)
        } else {
            self.at.checked_sub(Duration::from_nanos(self.ns - ns)).unwrap_or(self.at)
        }
    }
}

/// The capture's state as records arrive.
pub struct Events {
    calls: Calls,
    threads: Threads,
    classes: ClassTable,
    clock: Clock,
    /// The traced process (launch: the command; attach: the target).
    pub root: pid_t,
    pub begin: Option<Instant>,
    pub end: Option<Instant>,
    /// The end marker was seen.
    pub closed: bool,
    pub storage_begin: Option<ProcIo>,
    pub storage_last: Option<ProcIo>,
    /// The traced processes that ended in the window outliving their parent
    /// (see `Orphans`), from the kernel side's reading at their end.
    pub storage_orphans: Orphans,
    pub io_uring_seen: bool,
    /// Data calls of the 32-bit ABI in the window (not counted).
    pub compat_calls: u64,
    /// Metadata calls of the 32-bit ABI in the window (not counted).
    pub compat_meta_calls: u64,
    /// Which compat-ABI numbers are calls we count.
    compat_nrs: CompatCalls,
    /// The root process's last thread exited.
    pub root_gone: bool,
    /// When the last traced process ended (launch: the capture's end).
    pub last_gone: Option<Instant>,
    /// Each process's working directory as its records go, the kernel's
    /// name of it (read from /proc at its first relative open, inherited at
    /// fork, moved by chdir, resolved as `paths` does, and by fchdir):
    /// relative opens are named against it even once it has exited.
    cwds: HashMap<pid_t, Vec<u8>>,
    /// Each process's root directory (chroot), the kernel's name of it from
    /// ours: read from /proc at the launch or the attach (before it can
    /// move), inherited at fork, moved by chroot. Absolute paths are joined
    /// to it; "/" (ours) is left out of the map.
    roots: HashMap<pid_t, Vec<u8>>,
    /// Paths as the kernel resolved them.
    paths: Resolver,
    /// The name each opened file got, by its inode number (the kernel
    /// side's, in the open's record): an fd the records never saw opened
    /// (received by SCM_RIGHTS) is named by the file behind it.
    by_inode: HashMap<u64, (String, FdKind)>,
    /// iops runs in a PID namespace (`Program::in_pidns`): records carry
    /// the ids there, but a fork's child is the kernel's id until the
    /// child's first call names it (EV_NAMED); see `pidns`.
    pidns: Option<PidNs>,
}

/// The kernel's ids of the traced tasks as the records name them, where
/// iops runs in a PID namespace.
#[derive(Default)]
struct PidNs {
    /// A process forked (its kernel id) whose first call has not come yet:
    /// its fork's record, replayed with its id here once it has.
    forks: HashMap<u32, Event>,
    /// Threads born (their kernel ids) whose first call has not come yet.
    new_threads: std::collections::HashSet<u32>,
    /// Traced processes: kernel id → id here.
    processes: HashMap<u32, pid_t>,
}

impl Events {
    pub fn new(agg: Aggregator, root: pid_t, clock: Clock) -> Events {
        Events {
            calls: Calls::naming_opens(agg),
            threads: Threads::default(),
            classes: ClassTable::new(),
            clock,
            root,
            begin: None,
            end: None,
            closed: false,
            storage_begin: None,
            storage_last: None,
            storage_orphans: Orphans::default(),
            io_uring_seen: false,
            compat_calls: 0,
            compat_meta_calls: 0,
            compat_nrs: CompatCalls::new(),
            root_gone: false,
            last_gone: None,
            cwds: HashMap::new(),
            roots: HashMap::new(),
            paths: Resolver::default(),
            by_inode: HashMap::new(),
            pidns: None,
        }
    }

    /// iops runs in a PID namespace: see `PidNs`.
    pub fn in_pidns(&mut self) {
        self.pidns = Some(PidNs::default());
    }

    /// Whether the task the kernel knows as `id` (a key of the traced set)
    /// is a live process: through /proc by its id here (`alive`), or, in a
    /// PID namespace, a process forked whose first call has not come yet.
    /// The pid iops knows process `id` (the kernel's) by: itself outside a
    /// PID namespace; in one, its pid there once named, else `None`.
    pub fn local_pid(&self, id: u32) -> Option<pid_t> {
        match &self.pidns {
            None => Some(id as pid_t),
            Some(ns) => ns.processes.get(&id).copied(),
        }
    }

    pub fn process_alive(&self, id: u32, alive: impl Fn(pid_t) -> bool) -> bool {
        let Some(ns) = &self.pidns else { return alive(id as pid_t) };
        match ns.processes.get(&id) {
            Some(&here) => alive(here),
            // A thread born is never one. Else a process not named yet
            // (forked, or the command just exec'd), or a named thread,
            // whose entry the kernel side drops at its exit.
            None => !ns.new_threads.contains(&id),
        }
    }

    /// Calls on these fds of `tgid` are not counted until it closes or
    /// replaces them: the host's own (see `HostTraffic`).
    pub fn ignore_fds(&mut self, tgid: pid_t, fds: &[i32]) {
        self.calls.ignore_fds(tgid, fds);
    }

    /// Names the fds the traced process has now, and its working directory,
    /// while /proc has them (`at_exec`: a launched command at its gate).
    pub fn know_root(&mut self, at_exec: bool) {
        self.calls.snapshot(self.root, at_exec);
        self.cwd(self.root, self.root);
        self.read_root(self.root, self.root);
    }

    /// A window opens on the traced process running: its file mappings now
    /// are listed, marked as made before the window.
    pub fn mapped_before(&mut self) {
        self.calls.mapped_before(self.root);
    }

    /// Data calls whose fd could not be named from the records nor /proc.
    pub fn unresolved(&self) -> u64 {
        self.calls.unresolved()
    }

    /// See `Calls::refused`.
    pub fn refused(&self) -> u64 {
        self.calls.refused()
    }

    /// The window opens now (launch, attach without markers).
    pub fn open_window(&mut self) {
        self.begin = Some(Instant::now());
        self.storage_begin = ProcIo::read(self.root).ok();
    }

    /// Stops counting now (a stop request).
    pub fn close_window(&mut self) {
        if self.end.is_none() {
            self.end = Some(Instant::now());
            if let Ok(io) = ProcIo::read(self.root) {
                self.storage_last = Some(io);
            }
        }
        self.closed = true;
    }

    pub fn into_aggregator(self) -> Aggregator {
        self.calls.into_aggregator()
    }

    /// One record of the ring buffer.
    #[inline]
    pub fn on_record(&mut self, bytes: &[u8]) {
        let Some((e, path)) = Event::read(bytes) else { return };
        match e.kind {
            EV_CALL => self.on_call(&e, path),
            EV_EXEC => self.calls.exec(e.tgid as pid_t),
            EV_FORK => match &mut self.pidns {
                // The child's id here comes with its first call.
                Some(ns) => match fork_flags(&e).map(|f| f & libc::CLONE_THREAD as u64 != 0) {
                    Some(true) => {
                        ns.new_threads.insert(e.peek[1] as u32);
                    }
                    Some(false) => {
                        ns.forks.insert(e.peek[1] as u32, e);
                    }
                    // Its call not seen: nothing to copy, as `on_fork` would.
                    None => {}
                },
                None => self.on_fork(&e),
            },
            EV_NAMED => self.on_named(&e),
            EV_COMPAT => match self.compat_nrs.kind(e.nr as u64) {
                Some(CompatCall::Data) => self.compat_calls += 1,
                Some(CompatCall::Meta) => self.compat_meta_calls += 1,
                None => {}
            },
            EV_GONE => {
                let tgid = e.tgid as pid_t;
                self.calls.forget_process(tgid);
                self.threads.forget_process(tgid);
                self.cwds.remove(&tgid);
                self.roots.remove(&tgid);
                if let Some(ns) = &mut self.pidns {
                    ns.processes.retain(|_, here| *here != tgid);
                }
                self.last_gone = Some(self.clock.instant(e.start));
                if tgid != self.root && e.args[2] != 0 && self.begin.is_some() && self.end.is_none() {
                    self.storage_orphans.add(&ProcIo { read_bytes: e.args[0], write_bytes: e.args[1], ..ProcIo::default() });
                }
                if tgid == self.root {
                    self.root_gone = true;
                    if self.begin.is_some() && self.end.is_none() {
                        // The zombie's counters are whole (launch reads them again at its reaping).
                        if let Ok(io) = ProcIo::read(tgid) {
                            self.storage_last = Some(io);
                        }
                    }
                }
            }
            // Launch: the elapsed time is the command's own, from its exec, as
            // what is counted is (the window opened before its release).
            EV_STARTED => self.begin = Some(self.clock.instant(e.start)),
            EV_BEGIN if self.begin.is_none() => {
                self.begin = Some(self.clock.instant(e.start));
                self.storage_begin = ProcIo::read(self.root).ok();
                self.mapped_before();
            }
            EV_END if self.end.is_none() => {
                self.end = Some(self.clock.instant(e.start));
                self.closed = true;
                if let Ok(io) = ProcIo::read(self.root) {
                    self.storage_last = Some(io);
                }
            }
            _ => {}
        }
    }

    fn on_call(&mut self, e: &Event, path: Option<&[u8]>) {
        let (tid, tgid) = (e.tid as pid_t, e.tgid as pid_t);
        let nr = e.nr as u64;
        let class = self.classes.get(nr);
        if class == Class::IoUring && e.counted != 0 {
            self.io_uring_seen = true;
        }
        self.threads.insert(tid, tgid, true, false);
        let Some(thread) = self.threads.get_mut(tid) else { return };
        let start = self.clock.instant(e.start);
        let p = Pending { nr, class, args: e.args, start, counted: e.counted != 0 };
        let begin = self.begin.unwrap_or(start);
        // The offset pointers' values as the kernel read them after the call.
        let (args, peek) = (e.args, e.peek);
        let sendfile = nr == libc::SYS_sendfile as u64;
        let mut read = |addr: u64| match () {
            _ if sendfile && addr == args[2] => Some(peek[0]),
            _ if !sendfile && addr == args[1] => Some(peek[0]),
            _ if !sendfile && addr == args[3] => Some(peek[1]),
            _ => None,
        };
        if e.peek[1] & POS_READ != 0 && e.ret > 0 && e.counted != 0 {
            // A call at its fd's position, which the kernel read at its end:
            // where it started is exact, whichever fds or processes share
            // the position (an append: where the file ended).
            let append = e.peek[1] & libc::O_APPEND as u64 != 0;
            let write = matches!(class, Class::Data(s) if s.direction() == Some(iops_core::Direction::Write));
            let rwf_append = nr == libc::SYS_pwritev2 as u64 && e.args[2] & libc::RWF_APPEND as u64 != 0;
            let appended = write && (append || rwf_append);
            self.calls.position_before(tgid, e.args[0] as i32, e.peek[0].wrapping_sub(e.ret as u64), append, appended);
        } else if e.peek[1] & SIZE_READ != 0 && e.ret > 0 && e.counted != 0 {
            // A write at an explicit offset that appended: the file ended
            // where it started.
            self.calls.end_before(tgid, e.args[0] as i32, e.peek[0].wrapping_sub(e.ret as u64));
        }
        self.calls.complete(thread, tid, p, e.ret, self.clock.instant(e.end), begin, &mut read);
        self.calls.no_position_hint();
        if class == Class::Ignored && e.ret >= 0 {
            if nr == libc::SYS_recvmsg as u64 {
                self.name_received_fds(e, tid, tgid);
            }
            self.name_made_fds(e, tid, tgid);
            self.name_anon_fd(e, tid, tgid, path);
        }
        if class == Class::Meta(MetaKind::Open) && e.ret >= 0 {
            if let Some(path) = path.filter(|p| !p.is_empty()) {
                self.name_opened_fd(e, tid, tgid, path);
            }
        }
        if e.ret >= 0 {
            self.follow_fds(e, tid, tgid, path);
        }
    }

    /// A traced thread made a task (before the child runs): a process with
    /// a table of its own starts with the parent's known fds, and its
    /// working directory. A thread shares both (they are per tgid here); a
    /// process sharing the table (CLONE_FILES, rare) keeps none: its fds
    /// are resolved through /proc on first use.
    fn on_fork(&mut self, e: &Event) {
        let (parent, child) = (e.tgid as pid_t, e.peek[1] as pid_t);
        let Some(flags) = fork_flags(e).filter(|f| f & libc::CLONE_THREAD as u64 == 0) else { return };
        if flags & libc::CLONE_FILES as u64 == 0 {
            self.calls.forked(parent, child);
        }
        if let Some(cwd) = self.cwd(parent, e.tid as pid_t).map(<[u8]>::to_vec) {
            self.cwds.insert(child, cwd);
        }
        if let Some(root) = self.roots.get(&parent).cloned() {
            self.roots.insert(child, root);
        }
    }

    /// In a PID namespace, a traced thread's first call: its ids here
    /// (`tid`, `tgid`) and its kernel tid (`peek[1]`). A process forked is
    /// now known by its id here, and its fork is taken from its record
    /// (before any record of the child's: the child's first call came after it).
    fn on_named(&mut self, e: &Event) {
        let Some(ns) = &mut self.pidns else { return };
        let id = e.peek[1] as u32;
        ns.new_threads.remove(&id);
        if e.tid == e.tgid {
            ns.processes.insert(id, e.tgid as pid_t);
        }
        if let Some(mut fork) = ns.forks.remove(&id) {
            fork.peek[1] = u64::from(e.tgid);
            self.on_fork(&fork);
        }
    }

    /// Reads the root directory of `tgid` from /proc through thread `tid`.
    fn read_root(&mut self, tgid: pid_t, tid: pid_t) {
        if let Ok(root) = std::fs::read_link(format!("/proc/{tid}/root")) {
            let root = root.into_os_string().into_encoded_bytes();
            if root != b"/" {
                self.roots.insert(tgid, root);
            }
        }
    }

    /// The root directory of `tgid`, the kernel's name of it from ours.
    fn root_of(&self, tgid: pid_t) -> &[u8] {
        self.roots.get(&tgid).map_or(b"/", Vec::as_slice)
    }

    /// The working directory of `tgid` now: as followed, else from /proc
    /// through thread `tid` (then followed from there).
    fn cwd(&mut self, tgid: pid_t, tid: pid_t) -> Option<&[u8]> {
        if let Entry::Vacant(slot) = self.cwds.entry(tgid) {
            // Through a live thread: the caller's record may be read after it
            // exited, and a leader that called pthread_exit has no cwd there.
            let dir = through_live_task(tgid, tid, |task| std::fs::read_link(TaskPath::entry(tgid, task, "cwd").as_path()).ok())?;
            slot.insert(dir.into_os_string().into_encoded_bytes());
        }
        self.cwds.get(&tgid).map(Vec::as_slice)
    }

    /// Calls that copy fds, change their close-on-exec flag or the working
    /// directory, succeeded: the fd cache and `cwds` follow them.
    fn follow_fds(&mut self, e: &Event, tid: pid_t, tgid: pid_t, path: Option<&[u8]>) {
        let nr = e.nr as libc::c_long;
        let (fd, ret) = (e.args[0] as i32, e.ret as i32);
        let cloexec = |flags: u64| flags & libc::O_CLOEXEC as u64 != 0;
        match nr {
            libc::SYS_dup => self.calls.duplicated(tgid, fd, ret, false),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_dup2 => self.calls.duplicated(tgid, fd, ret, false),
            libc::SYS_dup3 => self.calls.duplicated(tgid, fd, ret, cloexec(e.args[2])),
            libc::SYS_fcntl => match e.args[1] as i32 {
                libc::F_DUPFD => self.calls.duplicated(tgid, fd, ret, false),
                libc::F_DUPFD_CLOEXEC => self.calls.duplicated(tgid, fd, ret, true),
                libc::F_SETFD => self.calls.set_cloexec(tgid, fd, e.args[2] & libc::FD_CLOEXEC as u64 != 0),
                _ => {}
            },
            libc::SYS_chroot => {
                let joined = path.filter(|p| !p.is_empty()).and_then(|p| self.joined(tgid, tid, libc::AT_FDCWD, p));
                let root = self.root_of(tgid).to_vec();
                if let Some(dir) = joined.as_deref().and_then(|dir| self.paths.dir(&root, dir)) {
                    if dir == b"/" {
                        self.roots.remove(&tgid);
                    } else {
                        let dir = dir.to_vec();
                        self.roots.insert(tgid, dir);
                    }
                }
            }
            libc::SYS_chdir => {
                let joined = path.filter(|p| !p.is_empty()).and_then(|p| self.joined(tgid, tid, libc::AT_FDCWD, p));
                let root = self.root_of(tgid).to_vec();
                match joined.as_deref().and_then(|dir| self.paths.dir(&root, dir)) {
                    Some(dir) => {
                        let dir = dir.to_vec();
                        self.cwds.insert(tgid, dir);
                    }
                    // Gone already: read again from /proc at the next relative open.
                    None => {
                        self.cwds.remove(&tgid);
                    }
                }
            }
            libc::SYS_fchdir => match self.calls.file_name(tgid, tid, fd) {
                Some(dir) => {
                    self.cwds.insert(tgid, name_bytes(&dir));
                }
                None => {
                    self.cwds.remove(&tgid);
                }
            },
            _ => {}
        }
    }

    /// `path` as given to a call of `tgid` relative to `dirfd`, joined to
    /// the kernel's name of that directory, or of the process's root when
    /// it is absolute: absolute, its `..` and symlinks as written (`paths`
    /// resolves them).
    fn joined(&mut self, tgid: pid_t, tid: pid_t, dirfd: i32, path: &[u8]) -> Option<Vec<u8>> {
        let mut full: Vec<u8> = Vec::with_capacity(path.len() + 64);
        if path[0] == b'/' {
            if let Some(root) = self.roots.get(&tgid) {
                full.extend_from_slice(root);
            }
        } else {
            if dirfd == libc::AT_FDCWD {
                full.extend_from_slice(self.cwd(tgid, tid)?);
            } else {
                full.extend_from_slice(&name_bytes(&self.calls.file_name(tgid, tid, dirfd)?));
            }
            full.push(b'/');
        }
        full.extend_from_slice(path);
        Some(full)
    }

    /// A pipe or socket was made (see `program::FD_MAKERS`): its fds are
    /// named now, as /proc names them ("pipe:[ino]", "socket:[ino]"), from
    /// the inode numbers the kernel side read at the call's exit, so that a
    /// program that is done with them before its records are read still
    /// has their I/O under their own names. Where it could not read them
    /// (no BTF for it), through /proc while they are open; once closed, only
    /// the kind is known: "pipe:[?] (pipe of fds 3, 4 of pid 7)", "socket:[?]
    /// (fd 3 of pid 7)".
    fn name_made_fds(&mut self, e: &Event, tid: pid_t, tgid: pid_t) {
        let nr = e.nr as libc::c_long;
        #[cfg(target_arch = "x86_64")]
        let pipe = nr == libc::SYS_pipe || nr == libc::SYS_pipe2;
        #[cfg(not(target_arch = "x86_64"))]
        let pipe = nr == libc::SYS_pipe2;
        let cloexec = match nr {
            libc::SYS_pipe2 | libc::SYS_socket | libc::SYS_socketpair => e.args[1] & libc::O_CLOEXEC as u64 != 0,
            libc::SYS_accept4 => e.args[3] & libc::O_CLOEXEC as u64 != 0,
            _ => false,
        };
        // The inode numbers the kernel side read at the call's exit (0: not read).
        let pair_inodes = [e.peek[1] & 0xffff_ffff, e.peek[1] >> 32];
        let (fds, inodes, kind, unknown) = if pipe {
            ([e.peek[0] as u32 as i32, (e.peek[0] >> 32) as i32], pair_inodes, FdKind::Pipe, "pipe:[?]")
        } else if nr == libc::SYS_socketpair {
            ([e.peek[0] as u32 as i32, (e.peek[0] >> 32) as i32], pair_inodes, FdKind::Socket, "socket:[?]")
        } else if matches!(nr, libc::SYS_socket | libc::SYS_accept | libc::SYS_accept4) {
            ([e.ret as i32, -1], [e.peek[0], 0], FdKind::Socket, "socket:[?]")
        } else {
            return;
        };
        // Closed already: a name of our own, one per pipe (both ends) or
        // per socket, so that two of them never merge into one entry.
        let gone = |fd: i32| match kind {
            FdKind::Pipe => format!("{unknown} (pipe of fds {}, {} of pid {tgid})", fds[0], fds[1]),
            _ => format!("{unknown} (fd {fd} of pid {tgid})"),
        };
        for (fd, ino) in fds.into_iter().zip(inodes).filter(|&(fd, _)| fd >= 0) {
            if ino != 0 {
                // As /proc names it, whether or not the fd is still open.
                let name = format!("{}:[{ino}]", if kind == FdKind::Pipe { "pipe" } else { "socket" });
                self.calls.opened(tgid, fd, &name, kind, false, cloexec);
                continue;
            }
            match fds::resolve(tgid, tid, fd).filter(|(_, k)| *k == kind) {
                Some((name, kind)) => self.calls.opened(tgid, fd, &name, kind, false, cloexec),
                None => self.calls.opened(tgid, fd, &gone(fd), kind, false, cloexec),
            }
        }
    }

    /// One of `program::ANON_FD_MAKERS` made fd `e.ret`: named now through
    /// /proc while it is open, else by a name of our own, "anon_inode:[?]
    /// (fd 3 of pid 7)"; a memfd always from its record, as /proc names
    /// it ("/memfd:NAME (deleted)", a regular file as stat says). Close-on-exec as
    /// the call's flags say (pidfd_open's always; fanotify_init's and
    /// perf_event_open's are taken as unset).
    fn name_anon_fd(&mut self, e: &Event, tid: pid_t, tgid: pid_t, path: Option<&[u8]>) {
        let nr = e.nr as libc::c_long;
        let cloexec_in = |arg: usize, bit: u64| e.args[arg] & bit != 0;
        let o_cloexec = libc::O_CLOEXEC as u64;
        let cloexec = match nr {
            libc::SYS_memfd_create => cloexec_in(1, libc::MFD_CLOEXEC as u64),
            libc::SYS_eventfd2 | libc::SYS_timerfd_create => cloexec_in(1, o_cloexec),
            libc::SYS_epoll_create1 | libc::SYS_inotify_init1 | libc::SYS_userfaultfd => cloexec_in(0, o_cloexec),
            libc::SYS_signalfd4 => cloexec_in(3, o_cloexec),
            libc::SYS_pidfd_open => true,
            libc::SYS_fanotify_init | libc::SYS_perf_event_open => false,
            #[cfg(target_arch = "x86_64")]
            libc::SYS_eventfd | libc::SYS_signalfd | libc::SYS_epoll_create | libc::SYS_inotify_init => false,
            _ => return,
        };
        let fd = e.ret as i32;
        let (name, kind) = if nr == libc::SYS_memfd_create {
            // From the record, not /proc: the process may be exiting.
            let given = path.map(name_text).unwrap_or_default();
            (format!("/memfd:{given} (deleted)"), FdKind::File)
        } else {
            // Closed already: the name /proc gives such an fd.
            fds::resolve(tgid, tid, fd).unwrap_or_else(|| (anon_name(nr).map_or_else(|| format!("anon_inode:[?] (fd {fd} of pid {tgid})"), str::to_owned), FdKind::Other))
        };
        self.calls.opened(tgid, fd, &name, kind, false, cloexec);
    }

    /// Names fd `e.ret` from the path its open was given, relative to the
    /// process's working directory (as followed, see `cwds`) or to its
    /// dirfd: the file's name as the kernel gives it (`paths`), as /proc
    /// and so the ptrace source do. An O_TMPFILE file has no name: /proc
    /// shows "<dir>/#<inode> (deleted)"; here "<dir>/#? (deleted)" and whose
    /// fd it was, so that two open at once never merge.
    /// recvmsg received fds (SCM_RIGHTS): the kernel side put the first two
    /// in `peek[0]` (-1: none) and their inode numbers in `peek[1]`. Each
    /// is named by the file its inode was opened as in a record, else
    /// through /proc while it is open, else as received: never left to be
    /// resolved after it is closed, or taken for another file.
    fn name_received_fds(&mut self, e: &Event, tid: pid_t, tgid: pid_t) {
        if e.peek == [0, 0] {
            return; // no fds passed
        }
        let cloexec = e.args[2] & libc::MSG_CMSG_CLOEXEC as u64 != 0;
        let fds = [e.peek[0] as u32 as i32, (e.peek[0] >> 32) as u32 as i32];
        let inodes = [e.peek[1] & 0xffff_ffff, e.peek[1] >> 32];
        for (fd, ino) in fds.into_iter().zip(inodes).filter(|&(fd, _)| fd >= 0) {
            let (name, kind) = match self.by_inode.get(&ino).filter(|_| ino != 0) {
                Some(known) => known.clone(),
                None => fds::resolve(tgid, tid, fd).unwrap_or_else(|| (format!("(fd {fd} received by pid {tgid}, inode {ino})"), FdKind::Other)),
            };
            self.calls.opened(tgid, fd, &name, kind, false, cloexec);
        }
    }

    fn name_opened_fd(&mut self, e: &Event, tid: pid_t, tgid: pid_t, path: &[u8]) {
        let fd = e.ret as i32;
        let at = matches!(e.nr as libc::c_long, libc::SYS_openat | libc::SYS_openat2);
        let dirfd = if at { e.args[0] as i32 } else { libc::AT_FDCWD };
        let Some(joined) = self.joined(tgid, tid, dirfd, path) else { return };
        let flags = match e.nr as libc::c_long {
            libc::SYS_openat => e.args[2],
            #[cfg(target_arch = "x86_64")]
            libc::SYS_open => e.args[1],
            _ => 0, // creat: no O_APPEND nor O_CLOEXEC; openat2: its flags are behind a pointer
        };
        let append = flags & libc::O_APPEND as u64 != 0;
        let cloexec = flags & libc::O_CLOEXEC as u64 != 0;
        let tmpfile = flags & libc::O_TMPFILE as u64 == libc::O_TMPFILE as u64;
        let root = self.roots.get(&tgid).map_or(&b"/"[..], Vec::as_slice);
        let named = self.paths.file(root, &joined, flags & libc::O_NOFOLLOW as u64 == 0);
        // The kernel side's inode number of the opened file (0: not read).
        let ino = e.peek[0];
        let (name, kind) = match (tmpfile, ino) {
            // As /proc names it: "<dir>/#<inode> (deleted)".
            (true, 1..) => (format!("{}/#{ino} (deleted)", name_text(&named.name)), FdKind::File),
            (true, 0) => (format!("{}/#? (deleted, O_TMPFILE fd {fd} of pid {tgid})", name_text(&named.name)), FdKind::File),
            _ => (name_text(&named.name).into_owned(), named.kind.unwrap_or(FdKind::File)),
        };
        if ino != 0 {
            self.by_inode.insert(ino, (name.clone(), kind));
        }
        self.calls.opened(tgid, fd, &name, kind, append, cloexec);
        if e.counted != 0 {
            self.calls.open_flags(tgid, tid, fd, flags);
        }
    }
}

/// The clone flags of a fork's record (a fork or vfork: none), or `None`
/// where its call was not seen.
fn fork_flags(e: &Event) -> Option<u64> {
    match e.nr as libc::c_long {
        libc::SYS_clone => Some(e.args[0]),
        libc::SYS_clone3 => Some(e.peek[0]),
        #[cfg(target_arch = "x86_64")]
        libc::SYS_fork | libc::SYS_vfork => Some(0),
        _ => None,
    }
}

/// The name /proc gives an fd made by anonymous-inode call `nr`
/// (fs/anon_inodes.c's names, as each subsystem passes them), for one
/// closed before it could be read there.
fn anon_name(nr: libc::c_long) -> Option<&'static str> {
    Some(match nr {
        libc::SYS_eventfd2 => "anon_inode:[eventfd]",
        libc::SYS_timerfd_create => "anon_inode:[timerfd]",
        libc::SYS_epoll_create1 => "anon_inode:[eventpoll]",
        libc::SYS_signalfd4 => "anon_inode:[signalfd]",
        libc::SYS_inotify_init1 => "anon_inode:inotify",
        libc::SYS_userfaultfd => "anon_inode:[userfaultfd]",
        libc::SYS_fanotify_init => "anon_inode:[fanotify]",
        libc::SYS_perf_event_open => "anon_inode:[perf_event]",
        #[cfg(target_arch = "x86_64")]
        libc::SYS_eventfd => "anon_inode:[eventfd]",
        #[cfg(target_arch = "x86_64")]
        libc::SYS_signalfd => "anon_inode:[signalfd]",
        #[cfg(target_arch = "x86_64")]
        libc::SYS_epoll_create => "anon_inode:[eventpoll]",
        #[cfg(target_arch = "x86_64")]
        libc::SYS_inotify_init => "anon_inode:inotify",
        _ => return None,
    })
}
