//! fd → file resolution through /proc, cached per process. The cache is
//! filled on an fd's first data call and dropped when the tracer sees the fd
//! closed or replaced, so lookups on the hot path are one hash probe. Each
//! entry of a regular file or block device also follows the fd's position
//! (read once from /proc/<pid>/fdinfo on first sight, then advanced by each
//! call and set by lseek), which gives every data call its start offset.
//!
//! The cache is per process (tgid), but /proc is read through the thread
//! that made the call, else any live thread of the process (`tasks`): once
//! the thread-group leader has exited (a zombie while other threads run
//! on), /proc/<tgid>/fd is empty, and a short-lived thread may be gone by
//! the time its call is read (eBPF), while /proc/<tgid>/task/<tid>/fd of
//! any live thread shows the fds all threads share.

use rustc_hash::FxHashMap as HashMap;
use rustc_hash::FxHashSet as HashSet;

use iops_core::fd_kind;
use iops_core::path_name::name_text;
use iops_core::{Aggregator, CallOffset, Direction, FdKind, FdPosition, FileId};
use libc::pid_t;

use crate::tasks::{through_live_task, TaskPath};

#[derive(Clone, Copy)]
struct FdEntry {
    file: FileId,
    /// Its open file description's position: an index into
    /// `FdTable::descriptions`, shared by every fd (of any process) that
    /// shares the description (dup, fork, exec, SCM_RIGHTS), as the kernel
    /// shares one `f_pos`. `NO_POSITION` for fds without a position
    /// (sockets, pipes, ...) or whose fdinfo could not be read.
    desc: u32,
    /// Closed by exec (FD_CLOEXEC), where a source that sees exec without
    /// stopping the program (eBPF) knows it; false when unknown.
    cloexec: bool,
}

const NO_POSITION: u32 = u32::MAX;

/// One open file description's position, and how many fds hold it.
struct Description {
    position: FdPosition,
    refs: u32,
}

/// Where the next data call on `key` starts, as the source read it in the
/// kernel (`position_before`, `end_before`): applied to the fd's entry,
/// or to the one made at its first sight by that call.
#[derive(Clone, Copy)]
struct Hint {
    key: (pid_t, i32),
    /// The position and whether the fd is O_APPEND.
    pos: Option<(u64, bool)>,
    /// Where the file ends.
    end: Option<u64>,
}

#[derive(Default)]
pub struct FdTable {
    cache: HashMap<(pid_t, i32), FdEntry>,
    /// The positions of open file descriptions, by `FdEntry::desc`; freed
    /// slots are reused (`free`): no allocation per call.
    descriptions: Vec<Description>,
    free: Vec<u32>,
    hint: Option<Hint>,
    /// fds whose calls are not counted (the host's own traffic), until closed or replaced.
    ignored: HashSet<(pid_t, i32)>,
    /// Calls are completed after the fact (eBPF's records), not at their
    /// exit stop: /proc no longer shows the position a call left.
    after_the_fact: bool,
    /// /proc refused the last name asked of it (see `take_refused`).
    refused: bool,
}

/// Whether fd `fd1` of process `pid1` and fd `fd2` of `pid2` are one open
/// file description (kcmp(2) KCMP_FILE; false when it cannot tell: no such
/// process, or a kernel without kcmp).
fn same_description(pid1: pid_t, fd1: i32, pid2: pid_t, fd2: i32) -> bool {
    const KCMP_FILE: libc::c_long = 0;
    unsafe { libc::syscall(libc::SYS_kcmp, pid1 as libc::c_long, pid2 as libc::c_long, KCMP_FILE, fd1 as libc::c_long, fd2 as libc::c_long) == 0 }
}

/// The size of the file behind fd `fd` of process `tgid` (stat through
/// /proc, thread `tid`, stopped: where an append that just ended left the
/// end of the file).
fn file_size(tgid: pid_t, tid: pid_t, fd: i32) -> Option<u64> {
    let path = TaskPath::fd(tgid, tid, "fd", fd);
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::stat(path.as_cstr().as_ptr(), &mut st) } == 0).then_some(st.st_size as u64)
}

/// What fd `fd` of process `tgid` is, and its name (a path in its text
/// form, see `iops_core::path_name`), read from /proc through thread `tid`
/// (the caller) or, once it has exited, any live thread of the process
/// (they share one fd table); `None` when no thread is left, or the fd is
/// not open.
pub fn resolve(tgid: pid_t, tid: pid_t, fd: i32) -> Option<(String, FdKind)> {
    resolve_through(tgid, tid, fd).map(|(name, kind, _)| (name, kind))
}

/// `resolve`, and the task it was read through (to read the fd's fdinfo).
fn resolve_through(tgid: pid_t, tid: pid_t, fd: i32) -> Option<(String, FdKind, pid_t)> {
    through_live_task(tgid, tid, |task| read_fd(tgid, task, fd).map(|(name, kind)| (name, kind, task)))
}

/// Fd `fd` as task `task` of `tgid` shows it. The name and the kind come
/// from one reference to the open file (an O_PATH open of the /proc link,
/// which opens nothing of the file itself): never a name read while the
/// task lived and a kind after it exited (a regular file taken for an
/// "other" fd, its calls missing from the summary).
fn read_fd(tgid: pid_t, task: pid_t, fd: i32) -> Option<(String, FdKind)> {
    let path = TaskPath::fd(tgid, task, "fd", fd);
    let held = unsafe { libc::open(path.as_cstr().as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if held < 0 {
        return None;
    }
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let kind = if unsafe { libc::fstat(held, &mut st) } == 0 { kind_of_mode(st.st_mode, st.st_rdev) } else { FdKind::Other };
    let ours = TaskPath::own_fd(held);
    let mut target = [0u8; libc::PATH_MAX as usize];
    let n = unsafe { libc::readlink(ours.as_cstr().as_ptr(), target.as_mut_ptr() as *mut _, target.len()) };
    unsafe { libc::close(held) };
    if n < 0 {
        return None;
    }
    // The link's bytes, kept whole: names that differ in a byte that is not
    // UTF-8 are different files.
    Some((name_text(&target[..n as usize]).into_owned(), kind))
}

/// Why /proc could not name an fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unnamed {
    /// No such fd (closed, or the call failed) or no such process.
    Gone,
    /// The kernel refused to show it (EACCES, EPERM): a process that made
    /// itself non-dumpable (PR_SET_DUMPABLE 0, as ssh-agent and gpg-agent
    /// do) or changed its user, seen by a tracer that is not root.
    Refused,
}

/// Why `resolve` found no name for fd `fd` of `tgid` through task `tid`
/// (asked only once it failed: one more open of the /proc link).
pub fn why_unnamed(tgid: pid_t, tid: pid_t, fd: i32) -> Unnamed {
    let path = TaskPath::fd(tgid, tid, "fd", fd);
    let held = unsafe { libc::open(path.as_cstr().as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if held >= 0 {
        unsafe { libc::close(held) };
        return Unnamed::Gone;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => Unnamed::Refused,
        _ => Unnamed::Gone,
    }
}

/// The fds open in process `tgid` now, as a live thread of it lists them
/// (the leader's list is empty once it has exited), and that thread; `None`
/// when none lists any.
pub fn open_fds(tgid: pid_t) -> Option<(pid_t, Vec<i32>)> {
    through_live_task(tgid, tgid, |task| {
        let dir = std::fs::read_dir(TaskPath::entry(tgid, task, "fd").as_path()).ok()?;
        let fds: Vec<i32> = dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).collect();
        (!fds.is_empty()).then_some((task, fds))
    })
}

/// The kind of a file of this `st_mode` and `st_rdev` (from stat).
pub fn kind_of_mode(mode: libc::mode_t, rdev: libc::dev_t) -> FdKind {
    match mode & libc::S_IFMT {
        libc::S_IFREG => FdKind::File,
        libc::S_IFBLK => FdKind::BlockDevice,
        libc::S_IFSOCK => FdKind::Socket,
        libc::S_IFIFO => FdKind::Pipe,
        libc::S_IFCHR => fd_kind::char_device(libc::major(rdev) as u64),
        _ => FdKind::Other,
    }
}

/// The position and `O_APPEND` flag of fd `fd` of process `tgid`, from
/// its fdinfo ("pos:\t<decimal>" and "flags:\t<octal>" lines), through
/// thread `tid` or another live one (see `resolve`).
pub fn fdinfo(tgid: pid_t, tid: pid_t, fd: i32) -> Option<(u64, bool)> {
    fdinfo_flags(tgid, tid, fd).map(|(pos, flags)| (pos, flags & libc::O_APPEND as u64 != 0))
}

/// The position and open flags (with O_CLOEXEC for FD_CLOEXEC) of fd `fd`
/// of process `tgid`, from its fdinfo, through thread `tid` or another
/// live one.
pub fn fdinfo_flags(tgid: pid_t, tid: pid_t, fd: i32) -> Option<(u64, u64)> {
    through_live_task(tgid, tid, |task| task_fdinfo(tgid, task, fd))
}

/// `fdinfo_flags` as task `task` of `tgid` shows it.
fn task_fdinfo(tgid: pid_t, task: pid_t, fd: i32) -> Option<(u64, u64)> {
    let path = TaskPath::fd(tgid, task, "fdinfo", fd);
    let mut buf = [0u8; 512];
    let n = unsafe {
        let f = libc::open(path.as_cstr().as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if f < 0 {
            return None;
        }
        let n = libc::read(f, buf.as_mut_ptr() as *mut _, buf.len());
        libc::close(f);
        n
    };
    if n <= 0 {
        return None;
    }
    parse_fdinfo_flags(&buf[..n as usize])
}

/// FD_CLOEXEC from fdinfo's flags when they were read (storage fds); the
/// others' is unknown, taken as unset.
fn cloexec_of(info: Option<(u64, u64)>) -> bool {
    info.is_some_and(|(_, flags)| flags & libc::O_CLOEXEC as u64 != 0)
}

#[cfg(test)]
fn parse_fdinfo(text: &[u8]) -> Option<(u64, bool)> {
    parse_fdinfo_flags(text).map(|(pos, flags)| (pos, flags & libc::O_APPEND as u64 != 0))
}

fn parse_fdinfo_flags(text: &[u8]) -> Option<(u64, u64)> {
    let field = |name: &[u8], radix: u32| {
        let line = text.split(|&b| b == b'\n').find(|l| l.starts_with(name))?;
        let digits = std::str::from_utf8(&line[name.len()..]).ok()?.trim();
        u64::from_str_radix(digits, radix).ok()
    };
    Some((field(b"pos:", 10)?, field(b"flags:", 8)?))
}

impl FdTable {
    /// For a source that completes calls after the fact (see `after_the_fact`).
    pub fn after_the_fact() -> FdTable {
        FdTable { after_the_fact: true, ..FdTable::default() }
    }

    /// `resolve_through`, noting a refusal (see `take_refused`).
    fn name_of(&mut self, tgid: pid_t, tid: pid_t, fd: i32) -> Option<(String, FdKind, pid_t)> {
        let found = resolve_through(tgid, tid, fd);
        self.refused = found.is_none() && why_unnamed(tgid, tid, fd) == Unnamed::Refused;
        found
    }

    /// Whether the kernel refused the last name asked of /proc (the fd was
    /// not closed: the caller files its op apart).
    pub fn take_refused(&mut self) -> bool {
        std::mem::take(&mut self.refused)
    }

    fn new_description(&mut self, position: FdPosition) -> u32 {
        let d = Description { position, refs: 1 };
        match self.free.pop() {
            Some(i) => {
                self.descriptions[i as usize] = d;
                i
            }
            None => {
                self.descriptions.push(d);
                (self.descriptions.len() - 1) as u32
            }
        }
    }

    fn hold(&mut self, desc: u32) -> u32 {
        if let Some(d) = self.descriptions.get_mut(desc as usize) {
            d.refs += 1;
        }
        desc
    }

    /// Inserts `e` at `key`, letting go of what `key` held.
    fn put(&mut self, key: (pid_t, i32), e: FdEntry) {
        if let Some(old) = self.cache.insert(key, e) {
            release(&mut self.descriptions, &mut self.free, old.desc);
        }
    }

    fn remove(&mut self, key: (pid_t, i32)) {
        if let Some(old) = self.cache.remove(&key) {
            release(&mut self.descriptions, &mut self.free, old.desc);
        }
    }

    /// Keeps the entries `keep` says, letting go of the others' descriptions.
    fn retain(&mut self, mut keep: impl FnMut(&(pid_t, i32), &FdEntry) -> bool) {
        let (descriptions, free) = (&mut self.descriptions, &mut self.free);
        self.cache.retain(|k, e| {
            let kept = keep(k, e);
            if !kept {
                release(descriptions, free, e.desc);
            }
            kept
        });
    }

    /// The description of fd `fd` of `tgid`, first seen (through /proc, by
    /// its live thread `tid`) on `file` with position `position`: that of a known fd
    /// of the same file it shares one with (a dup, an inherited or received
    /// fd: kcmp says), which takes the fresh position, else a new one.
    /// Only at an fd's first sight, over the fds open now.
    fn describe(&mut self, tgid: pid_t, tid: pid_t, fd: i32, file: FileId, position: FdPosition) -> u32 {
        let shared = self
            .cache
            .iter()
            .filter(|(&(p, f), e)| e.file == file && e.desc != NO_POSITION && (p, f) != (tgid, fd))
            .find(|(&(p, f), _)| same_description(tid, fd, p, f))
            .map(|(_, e)| e.desc);
        match shared {
            Some(desc) => {
                self.descriptions[desc as usize].position = position;
                self.hold(desc)
            }
            None => self.new_description(position),
        }
    }

    /// The hint for `key`, taken (it serves one call).
    fn take_hint(&mut self, key: (pid_t, i32)) -> Option<Hint> {
        self.hint.take().filter(|h| h.key == key)
    }

    /// The file behind `fd` of process `tgid`, resolving it on first use
    /// through thread `tid` (the caller, stopped). `None` when the fd is not
    /// open (the call failed, or raced a close).
    #[inline]
    pub fn lookup(&mut self, agg: &mut Aggregator, tgid: pid_t, tid: pid_t, fd: i32) -> Option<FileId> {
        if let Some(e) = self.cache.get(&(tgid, fd)) {
            return Some(e.file);
        }
        let (name, kind, task) = self.name_of(tgid, tid, fd)?;
        let file = agg.file(&name, kind);
        // A failed call moved nothing: the position is where fdinfo says.
        let info = kind.is_storage().then(|| fdinfo_flags(tgid, task, fd)).flatten();
        let desc = match info {
            Some((pos, flags)) => self.describe(tgid, task, fd, file, FdPosition::new(pos, flags & libc::O_APPEND as u64 != 0)),
            None => NO_POSITION,
        };
        self.put((tgid, fd), FdEntry { file, desc, cloexec: cloexec_of(info) });
        Some(file)
    }

    /// At the exit of a data call that moved `bytes` on `fd`: the file, and
    /// the offset the call started at when it is known. Advances the fd's
    /// position (its description's, shared with the fds that share it); on
    /// an fd's first call, and at each append when stopped at its exit,
    /// reads it from fdinfo (where the call left it) instead, through
    /// thread `tid` (the caller, stopped).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn data_call(
        &mut self,
        agg: &mut Aggregator,
        tgid: pid_t,
        tid: pid_t,
        fd: i32,
        direction: Direction,
        call: CallOffset,
        bytes: u64,
    ) -> Option<(FileId, Option<u64>)> {
        let hint = if self.hint.is_some() { self.take_hint((tgid, fd)) } else { None };
        if let Some(e) = self.cache.get(&(tgid, fd)).copied() {
            let Some(d) = self.descriptions.get_mut(e.desc as usize) else {
                let offset = match call {
                    CallOffset::At(o) => Some(o),
                    _ => None,
                };
                return Some((e.file, offset));
            };
            let p = &mut d.position;
            if let Some(h) = hint {
                if let Some((pos, append)) = h.pos {
                    *p = FdPosition::new(pos, append);
                }
                if let Some(end) = h.end {
                    p.set_end(end);
                }
            }
            let call = appending(call, p.is_append(), direction);
            let offset = match call {
                // An append lands at the end of the file, which another fd
                // (or process) may have moved since this fd's last append:
                // read where this one left the position, at each append when
                // stopped at its exit, else once, when not known yet (an fd
                // first seen through a failed call).
                _ if p.append_end_unknown(direction, call) || (!self.after_the_fact && p.appends(direction, call)) => match fdinfo(tgid, tid, fd) {
                    Some((pos, append)) => {
                        let (fresh, offset) = FdPosition::after_first_call(pos, append, direction, call, bytes);
                        *p = fresh;
                        offset
                    }
                    None => None,
                },
                // Stopped at its exit: the end it left, from the file's size
                // (the position did not move) or the position (it did).
                CallOffset::End { moves: false } if !self.after_the_fact => file_size(tgid, tid, fd).map(|size| {
                    p.set_end(size);
                    size.saturating_sub(bytes)
                }),
                CallOffset::End { moves: true } if !self.after_the_fact => fdinfo(tgid, tid, fd).map(|(pos, append)| {
                    *p = FdPosition::new(pos, append);
                    p.set_end(pos);
                    pos.saturating_sub(bytes)
                }),
                _ => p.advance(direction, call, bytes),
            };
            return Some((e.file, offset));
        }
        let (name, kind, task) = self.name_of(tgid, tid, fd)?;
        let file = agg.file(&name, kind);
        let info = kind.is_storage().then(|| fdinfo_flags(tgid, task, fd)).flatten();
        let (desc, offset) = match (info, hint.and_then(|h| h.pos.map(|pos| (pos, h.end)))) {
            // The kernel said where it started (eBPF): /proc, read after the
            // fact, shows where later calls left it.
            (_, Some(((pos, append), end))) if kind.is_storage() => {
                let mut p = FdPosition::new(pos, append);
                if let Some(end) = end {
                    p.set_end(end);
                }
                let offset = p.advance(direction, call, bytes);
                (self.describe(tgid, task, fd, file, p), offset)
            }
            (Some((pos, flags)), _) => {
                let append = flags & libc::O_APPEND as u64 != 0;
                let call = appending(call, append, direction);
                let (mut p, offset) = FdPosition::after_first_call(pos, append, direction, call, bytes);
                // An append at an explicit offset: stopped at its exit, the
                // end it left is the file's size (or the position it moved).
                let offset = match call {
                    CallOffset::End { moves: false } if !self.after_the_fact => file_size(tgid, tid, fd).map(|size| {
                        p.set_end(size);
                        size.saturating_sub(bytes)
                    }),
                    CallOffset::End { moves: true } if !self.after_the_fact => {
                        p.set_end(pos);
                        Some(pos.saturating_sub(bytes))
                    }
                    _ => offset,
                };
                (self.describe(tgid, task, fd, file, p), offset)
            }
            _ => (NO_POSITION, None),
        };
        self.put((tgid, fd), FdEntry { file, desc, cloexec: cloexec_of(info) });
        Some((file, offset))
    }

    /// Calls on `fd` of `tgid` are not counted until it is closed or replaced.
    pub fn ignore(&mut self, tgid: pid_t, fd: i32) {
        self.ignored.insert((tgid, fd));
    }

    /// Whether calls on `fd` of `tgid` are left out (one probe, none when nothing is ignored).
    #[inline]
    pub fn is_ignored(&self, tgid: pid_t, fd: i32) -> bool {
        !self.ignored.is_empty() && self.ignored.contains(&(tgid, fd))
    }

    /// `fd` of `tgid` was just opened on `file` (position 0): see
    /// `Calls::opened`.
    pub fn opened(&mut self, tgid: pid_t, fd: i32, file: FileId, kind: FdKind, append: bool, cloexec: bool) {
        self.ignored.remove(&(tgid, fd));
        let desc = if kind.is_storage() { self.new_description(FdPosition::new(0, append)) } else { NO_POSITION };
        self.put((tgid, fd), FdEntry { file, desc, cloexec });
    }

    /// `to` of `tgid` became a copy of `from` (dup, dup2, dup3, fcntl
    /// F_DUPFD): the same file and open file description, whose position
    /// both move. `from` unknown: `to` is forgotten, to be resolved through
    /// /proc on first use.
    pub fn duplicated(&mut self, tgid: pid_t, from: i32, to: i32, cloexec: bool) {
        self.ignored.remove(&(tgid, to));
        match self.cache.get(&(tgid, from)).copied() {
            Some(e) if from != to => {
                let desc = self.hold(e.desc);
                self.put((tgid, to), FdEntry { desc, cloexec, ..e });
            }
            Some(_) => {}
            None => self.remove((tgid, to)),
        }
    }

    /// A known fd's position is `pos` just before its next data call, and
    /// with `append` the end of its file is there too (the eBPF source reads
    /// them in the kernel at that call's end, so they are exact whatever
    /// the fd's flags became or another fd or process sharing its position
    /// did). `append`: the fd is O_APPEND; `appended`: that call appends
    /// (O_APPEND, or RWF_APPEND), so the file ended at `pos`.
    pub fn position_before(&mut self, tgid: pid_t, fd: i32, pos: u64, append: bool, appended: bool) {
        self.hint = Some(Hint { key: (tgid, fd), pos: Some((pos, append)), end: appended.then_some(pos) });
    }

    /// The file of `fd` ended at `end` just before its next data call, an
    /// append at an explicit offset (which the kernel ignored).
    pub fn end_before(&mut self, tgid: pid_t, fd: i32, end: u64) {
        self.hint = Some(Hint { key: (tgid, fd), pos: None, end: Some(end) });
    }

    /// Drops a hint no call took.
    pub fn no_hint(&mut self) {
        self.hint = None;
    }

    /// fcntl(F_SETFD) on a known fd.
    pub fn set_cloexec(&mut self, tgid: pid_t, fd: i32, cloexec: bool) {
        if let Some(e) = self.cache.get_mut(&(tgid, fd)) {
            e.cloexec = cloexec;
        }
    }

    /// `child` was forked from `parent` with a table of its own (no
    /// CLONE_FILES): it starts with a copy of every fd known of the parent,
    /// each sharing the parent's open file description.
    pub fn forked(&mut self, parent: pid_t, child: pid_t) {
        self.forget_process(child);
        let copies: Vec<((pid_t, i32), FdEntry)> =
            self.cache.iter().filter(|((p, _), _)| *p == parent).map(|(&(_, fd), &e)| ((child, fd), e)).collect();
        for (key, e) in copies {
            let desc = self.hold(e.desc);
            self.put(key, FdEntry { desc, ..e });
        }
    }

    /// `tgid` exec'd: its close-on-exec fds are gone; the others stay,
    /// including those whose flag is unknown (resolved from /proc, never
    /// seen opened): a number reused later is renamed by the call that
    /// reuses it.
    pub fn exec(&mut self, tgid: pid_t) {
        self.retain(|(p, _), e| *p != tgid || !e.cloexec);
    }

    /// Every fd open in process `pid` now, named through /proc while it
    /// lives (a source that reads its records after the fact: a program
    /// may be gone before its first call on an inherited fd is read).
    /// `at_exec`: the process is about to exec, unseen: only the fds that
    /// survive it are kept (0, 1 and 2, which the launcher made so, and
    /// those without FD_CLOEXEC).
    pub fn snapshot(&mut self, agg: &mut Aggregator, pid: pid_t, at_exec: bool) {
        let Some((task, fds)) = open_fds(pid) else { return };
        for fd in fds {
            let Some((name, kind, task)) = resolve_through(pid, task, fd) else { continue };
            let Some((pos, flags)) = fdinfo_flags(pid, task, fd) else { continue };
            let cloexec = flags & libc::O_CLOEXEC as u64 != 0;
            if at_exec && cloexec && fd > 2 {
                continue;
            }
            let file = agg.file(&name, kind);
            let desc = if kind.is_storage() {
                self.describe(pid, task, fd, file, FdPosition::new(pos, flags & libc::O_APPEND as u64 != 0))
            } else {
                NO_POSITION
            };
            self.put((pid, fd), FdEntry { file, desc, cloexec: cloexec && !at_exec });
        }
    }

    /// lseek on `fd` returned `pos`.
    pub fn seek(&mut self, tgid: pid_t, fd: i32, pos: u64) {
        if let Some(e) = self.cache.get(&(tgid, fd)) {
            if let Some(d) = self.descriptions.get_mut(e.desc as usize) {
                d.position.seek(pos);
            }
        }
    }

    /// `fd` was closed, or its number given to a new open.
    pub fn forget(&mut self, tgid: pid_t, fd: i32) {
        self.remove((tgid, fd));
        self.ignored.remove(&(tgid, fd));
    }

    pub fn forget_range(&mut self, tgid: pid_t, first: u32, last: u32) {
        let outside = |p: &pid_t, fd: &i32| *p != tgid || (*fd as u32) < first || (*fd as u32) > last;
        self.retain(|(p, fd), _| outside(p, fd));
        self.ignored.retain(|(p, fd)| outside(p, fd));
    }

    /// After exec (close-on-exec fds are gone) or when a process ends.
    pub fn forget_process(&mut self, tgid: pid_t) {
        self.retain(|(p, _), _| *p != tgid);
        self.ignored.retain(|(p, _)| *p != tgid);
    }
}

/// pwrite(2) BUGS: a write at an explicit offset on an O_APPEND fd lands
/// at the end of the file all the same.
fn appending(call: CallOffset, append: bool, direction: Direction) -> CallOffset {
    match call {
        CallOffset::At(_) if append && direction == Direction::Write => CallOffset::End { moves: false },
        c => c,
    }
}

/// One fd less holds description `desc`; its slot is free once none does.
fn release(descriptions: &mut [Description], free: &mut Vec<u32>, desc: u32) {
    if let Some(d) = descriptions.get_mut(desc as usize) {
        d.refs -= 1;
        if d.refs == 0 {
            free.push(desc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ignored_fd_counts_again_once_closed_replaced_or_reused() {
        let mut t = FdTable::default();
        assert!(!t.is_ignored(7, 5));
        t.ignore(7, 5);
        t.ignore(7, 6);
        t.ignore(7, 9);
        t.ignore(7, 12);
        assert!(t.is_ignored(7, 5) && !t.is_ignored(8, 5), "per process");
        t.forget(7, 5); // closed, or its number returned by an open
        assert!(!t.is_ignored(7, 5));
        t.duplicated(7, 3, 6, false); // dup2 onto it
        assert!(!t.is_ignored(7, 6));
        t.forget_range(7, 8, 10);
        assert!(!t.is_ignored(7, 9) && t.is_ignored(7, 12));
        t.forget_process(7);
        assert!(!t.is_ignored(7, 12));
    }

    /// No such process: any lookup the cache cannot answer fails.
    const GONE: pid_t = i32::MAX;

    #[test]
    fn dups_forks_and_execs_follow_the_file_without_proc() {
        let mut agg = Aggregator::new();
        let archive = agg.file("/tmp/archive", FdKind::File);
        let log = agg.file("/tmp/log", FdKind::File);
        let mut t = FdTable::default();
        let (parent, child) = (GONE - 1, GONE - 2);
        t.opened(parent, 3, archive, FdKind::File, false, false);
        t.opened(parent, 4, log, FdKind::File, false, true);
        t.forked(parent, child);
        t.forget(child, 1);
        t.duplicated(child, 3, 1, false);
        t.forget(child, 3);
        t.exec(child);
        assert_eq!(t.lookup(&mut agg, child, child, 1), Some(archive), "the dup survives exec");
        assert_eq!(t.lookup(&mut agg, child, child, 3), None, "closed");
        assert_eq!(t.lookup(&mut agg, child, child, 4), None, "close-on-exec");
        assert_eq!(t.lookup(&mut agg, parent, parent, 3), Some(archive), "the parent's own table");
        assert_eq!(t.lookup(&mut agg, parent, parent, 4), Some(log));
        // A dup of an unknown fd forgets the target rather than keep a stale name.
        t.duplicated(parent, 9, 3, false);
        assert_eq!(t.lookup(&mut agg, parent, parent, 3), None);
        // F_SETFD, and dup3(O_CLOEXEC).
        t.set_cloexec(parent, 4, false);
        t.duplicated(parent, 4, 5, true);
        t.exec(parent);
        assert_eq!(t.lookup(&mut agg, parent, parent, 4), Some(log));
        assert_eq!(t.lookup(&mut agg, parent, parent, 5), None);
    }

    #[test]
    fn fds_that_share_a_description_share_its_position() {
        let mut agg = Aggregator::new();
        let data = agg.file("/tmp/data", FdKind::File);
        let mut t = FdTable::default();
        let (parent, child) = (GONE - 1, GONE - 2);
        let mut read = |t: &mut FdTable, pid: pid_t, fd: i32| t.data_call(&mut agg, pid, pid, fd, Direction::Read, CallOffset::Current, 100).and_then(|(_, o)| o);
        t.opened(parent, 3, data, FdKind::File, false, false);
        t.duplicated(parent, 3, 4, false);
        assert_eq!(read(&mut t, parent, 3), Some(0));
        assert_eq!(read(&mut t, parent, 4), Some(100), "dup: one position");
        t.forked(parent, child);
        assert_eq!(read(&mut t, child, 3), Some(200), "fork: one position");
        t.exec(child);
        assert_eq!(read(&mut t, child, 4), Some(300), "kept across exec");
        t.seek(parent, 4, 0);
        assert_eq!(read(&mut t, child, 3), Some(0), "an lseek through any of them");
        // Closing some keeps the position for the others.
        t.forget(parent, 3);
        t.forget_process(child);
        assert_eq!(read(&mut t, parent, 4), Some(100));
        // A new open gets a position of its own (the freed slot reused).
        t.forget(parent, 4);
        t.opened(parent, 5, data, FdKind::File, false, false);
        assert_eq!(read(&mut t, parent, 5), Some(0));
    }

    #[test]
    fn an_fd_first_seen_through_proc_joins_the_description_it_shares() {
        use std::io::{Read, Write};
        use std::os::fd::{AsRawFd, FromRawFd};
        // create_new (O_EXCL): never through a file or symlink someone put at the name first.
        let path = std::env::temp_dir().join(format!("iops-shared-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        std::fs::OpenOptions::new().create_new(true).write(true).open(&path).unwrap().write_all(&[7u8; 300]).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        // A dup the table never saw made (as a received or inherited fd).
        let mut g = unsafe { std::fs::File::from_raw_fd(libc::dup(f.as_raw_fd())) };
        let (mut agg, mut t, pid) = (Aggregator::new(), FdTable::default(), std::process::id() as pid_t);
        let mut buf = [0u8; 100];
        let mut read = |t: &mut FdTable, file: &mut std::fs::File| {
            file.read_exact(&mut buf).unwrap();
            t.data_call(&mut agg, pid, pid, file.as_raw_fd(), Direction::Read, CallOffset::Current, 100).and_then(|(_, o)| o)
        };
        assert_eq!(read(&mut t, &mut f), Some(0));
        assert_eq!(read(&mut t, &mut g), Some(100));
        assert_eq!(read(&mut t, &mut f), Some(200), "the first fd's position moved by the other's read");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn an_fd_whose_caller_has_exited_is_named_through_another_thread() {
        use std::os::fd::AsRawFd;
        // create_new (O_EXCL): never through a file or symlink someone put at the name first.
        let path = std::env::temp_dir().join(format!("iops-gone-caller-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let f = std::fs::OpenOptions::new().create_new(true).append(true).open(&path).unwrap();
        let me = std::process::id() as pid_t;
        // The thread that "made the call" has exited by the time it is looked up.
        let gone = crate::tasks::exited_thread();
        let name = path.to_str().unwrap().to_owned();
        assert_eq!(resolve(me, gone, f.as_raw_fd()), Some((name.clone(), FdKind::File)));
        assert_eq!(fdinfo(me, gone, f.as_raw_fd()), Some((0, true)));
        let (mut agg, mut t) = (Aggregator::new(), FdTable::after_the_fact());
        let (file, _) = t.data_call(&mut agg, me, gone, f.as_raw_fd(), Direction::Write, CallOffset::Current, 10).unwrap();
        assert_eq!((agg.file_stats(file).path.as_str(), agg.file_stats(file).kind), (name.as_str(), FdKind::File));
        t.snapshot(&mut agg, me, false);
        assert_eq!(t.lookup(&mut agg, me, gone, f.as_raw_fd()), Some(file));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn fdinfo_fields() {
        let text = b"pos:\t8192\nflags:\t0102001\nmnt_id:\t25\nino:\t1234\n";
        assert_eq!(parse_fdinfo(text), Some((8192, true)));
        assert_eq!(parse_fdinfo(b"pos:\t0\nflags:\t0100000\n"), Some((0, false)));
        assert_eq!(parse_fdinfo(b"garbage"), None);
    }

    #[test]
    fn fdinfo_of_our_own_file() {
        use std::io::{Seek, SeekFrom, Write};
        use std::os::fd::AsRawFd;
        // create_new (O_EXCL): never through a file or symlink someone put at the name first.
        let path = std::env::temp_dir().join(format!("iops-fdinfo-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let mut f = std::fs::OpenOptions::new().create_new(true).append(true).open(&path).unwrap();
        f.write_all(&[0u8; 300]).unwrap();
        let pid = std::process::id() as pid_t;
        assert_eq!(fdinfo(pid, pid, f.as_raw_fd()), Some((300, true)));
        let mut g = std::fs::File::open(&path).unwrap();
        g.seek(SeekFrom::Start(123)).unwrap();
        assert_eq!(fdinfo(pid, pid, g.as_raw_fd()), Some((123, false)));
        std::fs::remove_file(&path).unwrap();
    }
}
