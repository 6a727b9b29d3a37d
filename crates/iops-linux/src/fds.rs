//! fd → file resolution through /proc, cached per process. The cache is
//! filled on an fd's first data call and dropped when the tracer sees the fd
//! closed or replaced, so lookups on the hot path are one hash probe. Each
//! entry of a regular file or block device also follows the fd's position
//! (read once from /proc/<pid>/fdinfo on first sight, then advanced by each
//! call and set by lseek), which gives every data call its start offset.
//!
//! The cache is per process (tgid), but /proc is read through the thread
//! that made the call: once the thread-group leader has exited (a zombie
//! while other threads run on), /proc/<tgid>/fd is empty, while
//! /proc/<tid>/fd of a live thread shows the fds all threads share.

use rustc_hash::FxHashMap as HashMap;
use rustc_hash::FxHashSet as HashSet;
use std::ffi::CStr;
use std::io::Write;

use iops_core::fd_kind;
use iops_core::path_name::name_text;
use iops_core::{Aggregator, CallOffset, Direction, FdKind, FdPosition, FileId};
use libc::pid_t;

#[derive(Clone, Copy)]
struct FdEntry {
    file: FileId,
    /// `None` for fds without a position (sockets, pipes, ...) or whose
    /// fdinfo could not be read.
    position: Option<FdPosition>,
    /// Closed by exec (FD_CLOEXEC), where a source that sees exec without
    /// stopping the program (eBPF) knows it; false when unknown.
    cloexec: bool,
}

#[derive(Default)]
pub struct FdTable {
    cache: HashMap<(pid_t, i32), FdEntry>,
    /// fds whose calls are not counted (the host's own traffic), until closed or replaced.
    ignored: HashSet<(pid_t, i32)>,
    /// Calls are completed after the fact (eBPF's records), not at their
    /// exit stop: /proc no longer shows the position a call left.
    after_the_fact: bool,
}

/// Builds "/proc/<pid>/fd/<fd>\0" (or fdinfo) in a stack buffer.
struct ProcPath {
    buf: [u8; 64],
}

impl ProcPath {
    fn new(pid: pid_t, fd: i32) -> ProcPath {
        Self::of(pid, "fd", fd)
    }

    fn of(pid: pid_t, dir: &str, fd: i32) -> ProcPath {
        let mut buf = [0u8; 64];
        let mut w = &mut buf[..];
        // Cannot fail: the longest such path is well under 64 bytes.
        let _ = write!(w, "/proc/{pid}/{dir}/{fd}\0");
        ProcPath { buf }
    }

    fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).expect("nul-terminated")
    }
}

/// What fd `fd` of process `pid` is, and its name (a path in its text form,
/// see `iops_core::path_name`), read from /proc.
pub fn resolve(pid: pid_t, fd: i32) -> Option<(String, FdKind)> {
    let path = ProcPath::new(pid, fd);
    let mut target = [0u8; libc::PATH_MAX as usize];
    let n = unsafe { libc::readlink(path.as_cstr().as_ptr(), target.as_mut_ptr() as *mut _, target.len()) };
    if n < 0 {
        return None;
    }
    // The link's bytes, kept whole: names that differ in a byte that is not
    // UTF-8 are different files.
    let name = name_text(&target[..n as usize]).into_owned();
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let kind = if unsafe { libc::stat(path.as_cstr().as_ptr(), &mut st) } == 0 {
        kind_of_mode(st.st_mode, st.st_rdev)
    } else {
        FdKind::Other
    };
    Some((name, kind))
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

/// The position and `O_APPEND` flag of fd `fd` of process `pid`, from
/// /proc/<pid>/fdinfo/<fd> ("pos:\t<decimal>" and "flags:\t<octal>" lines).
pub fn fdinfo(pid: pid_t, fd: i32) -> Option<(u64, bool)> {
    fdinfo_flags(pid, fd).map(|(pos, flags)| (pos, flags & libc::O_APPEND as u64 != 0))
}

/// The position and open flags (with O_CLOEXEC for FD_CLOEXEC) of fd `fd`
/// of process `pid`, from /proc/<pid>/fdinfo/<fd>.
pub fn fdinfo_flags(pid: pid_t, fd: i32) -> Option<(u64, u64)> {
    let path = ProcPath::of(pid, "fdinfo", fd);
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

    /// The file behind `fd` of process `tgid`, resolving it on first use
    /// through thread `tid` (the caller, stopped). `None` when the fd is not
    /// open (the call failed, or raced a close).
    #[inline]
    pub fn lookup(&mut self, agg: &mut Aggregator, tgid: pid_t, tid: pid_t, fd: i32) -> Option<FileId> {
        if let Some(e) = self.cache.get(&(tgid, fd)) {
            return Some(e.file);
        }
        let (name, kind) = resolve(tid, fd)?;
        let file = agg.file(&name, kind);
        // A failed call moved nothing: the position is where fdinfo says.
        let info = kind.is_storage().then(|| fdinfo_flags(tid, fd)).flatten();
        let position = info.map(|(pos, flags)| FdPosition::new(pos, flags & libc::O_APPEND as u64 != 0));
        self.cache.insert((tgid, fd), FdEntry { file, position, cloexec: cloexec_of(info) });
        Some(file)
    }

    /// At the exit of a data call that moved `bytes` on `fd`: the file, and
    /// the offset the call started at when it is known. Advances the fd's
    /// position; on an fd's first call, and at each append when stopped at
    /// its exit, reads it from fdinfo (where the call left it) instead,
    /// through thread `tid` (the caller, stopped).
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
        if let Some(e) = self.cache.get_mut(&(tgid, fd)) {
            let offset = match (e.position.as_mut(), call) {
                // An append lands at the end of the file, which another fd
                // (or process) may have moved since this fd's last append:
                // read where this one left the position, at each append when
                // stopped at its exit, else once, when not known yet (an fd
                // first seen through a failed call).
                (Some(p), _) if p.append_end_unknown(direction, call) || (!self.after_the_fact && p.appends(direction, call)) => match fdinfo(tid, fd) {
                    Some((pos, append)) => {
                        let (fresh, offset) = FdPosition::after_first_call(pos, append, direction, call, bytes);
                        *p = fresh;
                        offset
                    }
                    None => None,
                },
                (Some(p), _) => p.advance(direction, call, bytes),
                (None, CallOffset::At(o)) => Some(o),
                (None, _) => None,
            };
            return Some((e.file, offset));
        }
        let (name, kind) = resolve(tid, fd)?;
        let file = agg.file(&name, kind);
        let info = kind.is_storage().then(|| fdinfo_flags(tid, fd)).flatten();
        let (position, offset) = match info {
            Some((pos, flags)) => {
                let append = flags & libc::O_APPEND as u64 != 0;
                let (p, offset) = FdPosition::after_first_call(pos, append, direction, call, bytes);
                (Some(p), offset)
            }
            None => (None, None),
        };
        self.cache.insert((tgid, fd), FdEntry { file, position, cloexec: cloexec_of(info) });
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
        let position = kind.is_storage().then(|| FdPosition::new(0, append));
        self.cache.insert((tgid, fd), FdEntry { file, position, cloexec });
    }

    /// `to` of `tgid` became a copy of `from` (dup, dup2, dup3, fcntl
    /// F_DUPFD): the same file. Its position is copied as it is now and
    /// then followed apart (the kernel shares it; calls alternating on both
    /// fds get wrong offsets). `from` unknown: `to` is forgotten, to be
    /// resolved through /proc on first use.
    pub fn duplicated(&mut self, tgid: pid_t, from: i32, to: i32, cloexec: bool) {
        self.ignored.remove(&(tgid, to));
        match self.cache.get(&(tgid, from)).copied() {
            Some(e) if from != to => {
                self.cache.insert((tgid, to), FdEntry { cloexec, ..e });
            }
            Some(_) => {}
            None => {
                self.cache.remove(&(tgid, to));
            }
        }
    }

    /// A known fd's position is `pos` just before its next data call, and
    /// with `append` the end of its file is there too (the eBPF source reads
    /// them in the kernel at that call's end, so they are exact whatever
    /// the fd's flags became or another fd sharing its position did).
    pub fn position_before(&mut self, tgid: pid_t, fd: i32, pos: u64, append: bool) {
        if let Some(p) = self.cache.get_mut(&(tgid, fd)).and_then(|e| e.position.as_mut()) {
            *p = FdPosition::at(pos, append);
        }
    }

    /// fcntl(F_SETFD) on a known fd.
    pub fn set_cloexec(&mut self, tgid: pid_t, fd: i32, cloexec: bool) {
        if let Some(e) = self.cache.get_mut(&(tgid, fd)) {
            e.cloexec = cloexec;
        }
    }

    /// `child` was forked from `parent` with a table of its own (no
    /// CLONE_FILES): it starts with a copy of every fd known of the parent.
    pub fn forked(&mut self, parent: pid_t, child: pid_t) {
        self.forget_process(child);
        let copies: Vec<((pid_t, i32), FdEntry)> =
            self.cache.iter().filter(|((p, _), _)| *p == parent).map(|(&(_, fd), &e)| ((child, fd), e)).collect();
        self.cache.extend(copies);
    }

    /// `tgid` exec'd: its close-on-exec fds are gone; the others stay,
    /// including those whose flag is unknown (resolved from /proc, never
    /// seen opened): a number reused later is renamed by the call that
    /// reuses it.
    pub fn exec(&mut self, tgid: pid_t) {
        self.cache.retain(|(p, _), e| *p != tgid || !e.cloexec);
    }

    /// Every fd open in process `pid` now, named through /proc while it
    /// lives (a source that reads its records after the fact: a program
    /// may be gone before its first call on an inherited fd is read).
    /// `at_exec`: the process is about to exec, unseen: only the fds that
    /// survive it are kept (0, 1 and 2, which the launcher made so, and
    /// those without FD_CLOEXEC).
    pub fn snapshot(&mut self, agg: &mut Aggregator, pid: pid_t, at_exec: bool) {
        let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return };
        for fd in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
            let Some((name, kind)) = resolve(pid, fd) else { continue };
            let Some((pos, flags)) = fdinfo_flags(pid, fd) else { continue };
            let cloexec = flags & libc::O_CLOEXEC as u64 != 0;
            if at_exec && cloexec && fd > 2 {
                continue;
            }
            let file = agg.file(&name, kind);
            let position = kind.is_storage().then(|| FdPosition::new(pos, flags & libc::O_APPEND as u64 != 0));
            self.cache.insert((pid, fd), FdEntry { file, position, cloexec: cloexec && !at_exec });
        }
    }

    /// lseek on `fd` returned `pos`.
    pub fn seek(&mut self, tgid: pid_t, fd: i32, pos: u64) {
        if let Some(p) = self.cache.get_mut(&(tgid, fd)).and_then(|e| e.position.as_mut()) {
            p.seek(pos);
        }
    }

    /// `fd` was closed, or its number given to a new open.
    pub fn forget(&mut self, tgid: pid_t, fd: i32) {
        self.cache.remove(&(tgid, fd));
        self.ignored.remove(&(tgid, fd));
    }

    pub fn forget_range(&mut self, tgid: pid_t, first: u32, last: u32) {
        let outside = |p: &pid_t, fd: &i32| *p != tgid || (*fd as u32) < first || (*fd as u32) > last;
        self.cache.retain(|(p, fd), _| outside(p, fd));
        self.ignored.retain(|(p, fd)| outside(p, fd));
    }

    /// After exec (close-on-exec fds are gone) or when a process ends.
    pub fn forget_process(&mut self, tgid: pid_t) {
        self.cache.retain(|(p, _), _| *p != tgid);
        self.ignored.retain(|(p, _)| *p != tgid);
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
        assert_eq!(fdinfo(pid, f.as_raw_fd()), Some((300, true)));
        let mut g = std::fs::File::open(&path).unwrap();
        g.seek(SeekFrom::Start(123)).unwrap();
        assert_eq!(fdinfo(pid, g.as_raw_fd()), Some((123, false)));
        std::fs::remove_file(&path).unwrap();
    }
}
