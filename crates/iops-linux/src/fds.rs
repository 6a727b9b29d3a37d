//! fd → file resolution through /proc, cached per process. The cache is
//! filled on an fd's first data call and dropped when the tracer sees the fd
//! closed or replaced, so lookups on the hot path are one hash probe.

use rustc_hash::FxHashMap as HashMap;
use std::ffi::CStr;
use std::io::Write;

use iops_core::{Aggregator, FdKind, FileId};
use libc::pid_t;

#[derive(Default)]
pub struct FdTable {
    cache: HashMap<(pid_t, i32), FileId>,
}

/// Builds "/proc/<pid>/fd/<fd>\0" in a stack buffer.
struct ProcPath {
    buf: [u8; 64],
}

impl ProcPath {
    fn new(pid: pid_t, fd: i32) -> ProcPath {
        let mut buf = [0u8; 64];
        let mut w = &mut buf[..];
        // Cannot fail: the longest such path is well under 64 bytes.
        let _ = write!(w, "/proc/{pid}/fd/{fd}\0");
        ProcPath { buf }
    }

    fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).expect("nul-terminated")
    }
}

fn is_tty(rdev: libc::dev_t) -> bool {
    let major = libc::major(rdev);
    // 4: virtual consoles and serial ttys, 5: /dev/tty and ptmx, 136-143: ptys.
    major == 4 || major == 5 || (136..=143).contains(&major)
}

/// What fd `fd` of process `pid` is, and its name, read from /proc.
pub fn resolve(pid: pid_t, fd: i32) -> Option<(String, FdKind)> {
    let path = ProcPath::new(pid, fd);
    let mut target = [0u8; libc::PATH_MAX as usize];
    let n = unsafe { libc::readlink(path.as_cstr().as_ptr(), target.as_mut_ptr() as *mut _, target.len()) };
    if n < 0 {
        return None;
    }
    let name = String::from_utf8_lossy(&target[..n as usize]).into_owned();
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let kind = if unsafe { libc::stat(path.as_cstr().as_ptr(), &mut st) } == 0 {
        match st.st_mode & libc::S_IFMT {
            libc::S_IFREG => FdKind::File,
            libc::S_IFBLK => FdKind::BlockDevice,
            libc::S_IFSOCK => FdKind::Socket,
            libc::S_IFIFO => FdKind::Pipe,
            libc::S_IFCHR if is_tty(st.st_rdev) => FdKind::Tty,
            _ => FdKind::Other,
        }
    } else {
        FdKind::Other
    };
    Some((name, kind))
}

impl FdTable {
    /// The file behind `fd` of process `tgid`, resolving it on first use.
    /// `None` when the fd is not open (the call failed, or raced a close).
    #[inline]
    pub fn lookup(&mut self, agg: &mut Aggregator, tgid: pid_t, fd: i32) -> Option<FileId> {
        if let Some(id) = self.cache.get(&(tgid, fd)) {
            return Some(*id);
        }
        let (name, kind) = resolve(tgid, fd)?;
        let id = agg.file(&name, kind);
        self.cache.insert((tgid, fd), id);
        Some(id)
    }

    pub fn forget(&mut self, tgid: pid_t, fd: i32) {
        self.cache.remove(&(tgid, fd));
    }

    pub fn forget_range(&mut self, tgid: pid_t, first: u32, last: u32) {
        self.cache.retain(|(p, fd), _| *p != tgid || (*fd as u32) < first || (*fd as u32) > last);
    }

    /// After exec (close-on-exec fds are gone) or when a process ends.
    pub fn forget_process(&mut self, tgid: pid_t) {
        self.cache.retain(|(p, _), _| *p != tgid);
    }
}
