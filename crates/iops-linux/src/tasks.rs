//! A process's /proc entries read through one of its live threads. What
//! the threads of a process share (its fd table, working directory and
//! memory) /proc shows under each of them, but not once that thread has
//! exited: a leader that called pthread_exit is a zombie whose
//! /proc/<tgid>/fd is empty and /proc/<tgid>/cwd unreadable while its other
//! threads run on, and a short-lived thread is gone by the time a record
//! of its call is read after the fact (eBPF). Paths go through
//! /proc/<tgid>/task/<tid>/..., never /proc/<tid>/...: a tid that has
//! exited may have been given to a thread of another process since.

use std::io::Write;

use libc::pid_t;

/// Whether /proc is the procfs of the PID namespace we run in: its `self`
/// names our own pid. Not so in a namespace made without a /proc of its
/// own (`unshare -p -f` without `--mount-proc`): there /proc lists another
/// namespace's processes, and /proc/<pid> of one of ours is another
/// process, or none. Asked once.
pub fn proc_is_ours() -> bool {
    static OURS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OURS.get_or_init(|| {
        let own = std::fs::read_link("/proc/self").ok().and_then(|p| p.to_str()?.parse::<u32>().ok());
        own == Some(std::process::id())
    })
}

/// What a capture says when /proc is not ours (see `proc_is_ours`).
pub fn foreign_proc_warning() -> iops_core::Warning {
    iops_core::WarningCode::ProcOfAnotherNamespace.with(
        "iops runs in a PID namespace whose /proc is another namespace's (made without a /proc of its own, as `unshare -p -f` without --mount-proc does): its pids would name other processes, so nothing is read from it: no storage level, and fds no record names are counted apart, unnamed; mount this namespace's own /proc (unshare -p -f --mount-proc) to have them",
    )
}

/// The first value `read` gives for a task of process `tgid`, trying
/// `first` (the thread that made the call), then the leader, then each
/// thread /proc lists for it; `None` when no task gives one (the process
/// has no thread left, or none shows the entry). `read` is given the tid of
/// the task to read through (see `TaskPath`).
pub fn through_live_task<T>(tgid: pid_t, first: pid_t, mut read: impl FnMut(pid_t) -> Option<T>) -> Option<T> {
    if !proc_is_ours() {
        return None; // its pids are another namespace's: they would name other processes
    }
    if let Some(v) = read(first) {
        return Some(v);
    }
    if first != tgid {
        if let Some(v) = read(tgid) {
            return Some(v);
        }
    }
    // Rare (the thread and the leader both gone): the listing allocates.
    let tasks = std::fs::read_dir(format!("/proc/{tgid}/task")).ok()?;
    tasks
        .filter_map(|t| t.ok()?.file_name().to_str()?.parse::<pid_t>().ok())
        .filter(|&tid| tid != first && tid != tgid)
        .find_map(read)
}

/// "/proc/<tgid>/task/<tid>/<entry>[/<fd>]\0" in a stack buffer (no
/// allocation: it is built on an fd's first sight).
pub struct TaskPath {
    buf: [u8; 80],
}

impl TaskPath {
    /// An entry of the task: "fd", "cwd", "maps".
    pub fn entry(tgid: pid_t, tid: pid_t, entry: &str) -> TaskPath {
        Self::build(tgid, tid, format_args!("{entry}"))
    }

    /// A file under one of its directories: "fd" or "fdinfo", and `fd`.
    pub fn fd(tgid: pid_t, tid: pid_t, dir: &str, fd: i32) -> TaskPath {
        Self::build(tgid, tid, format_args!("{dir}/{fd}"))
    }

    /// "/proc/thread-self/fd/<fd>": an fd of the calling thread's own.
    pub fn own_fd(fd: i32) -> TaskPath {
        let mut buf = [0u8; 80];
        let mut w = &mut buf[..];
        let _ = write!(w, "/proc/thread-self/fd/{fd}\0");
        TaskPath { buf }
    }

    fn build(tgid: pid_t, tid: pid_t, rest: std::fmt::Arguments) -> TaskPath {
        let mut buf = [0u8; 80];
        let mut w = &mut buf[..];
        // Cannot fail: the longest such path ("fdinfo" and three 10-digit
        // numbers) is well under 80 bytes.
        let _ = write!(w, "/proc/{tgid}/task/{tid}/{rest}\0");
        TaskPath { buf }
    }

    pub fn as_cstr(&self) -> &std::ffi::CStr {
        std::ffi::CStr::from_bytes_until_nul(&self.buf).expect("nul-terminated")
    }

    pub fn as_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(self.as_cstr().to_bytes()))
    }
}

/// The tid of a thread of this process that has exited, and whose /proc
/// entry is gone (a join returns before the kernel has released it).
#[cfg(test)]
pub fn exited_thread() -> pid_t {
    let me = std::process::id() as pid_t;
    let gone = std::thread::spawn(|| unsafe { libc::gettid() }).join().unwrap();
    for _ in 0..10_000 {
        if !TaskPath::entry(me, gone, "fd").as_path().exists() {
            return gone;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("thread {gone} still listed under /proc/{me}/task");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_has_exited_is_read_through_another() {
        let me = std::process::id() as pid_t;
        let gone = exited_thread();
        let mut tried = Vec::new();
        let read = |tid: pid_t| {
            tried.push(tid);
            std::fs::read_dir(TaskPath::entry(me, tid, "fd").as_path()).ok().map(|_| tid)
        };
        assert_eq!(through_live_task(me, gone, read), Some(me), "then the leader");
        assert_eq!(tried, [gone, me]);
        // Nothing readable through any task.
        assert_eq!(through_live_task(me, gone, |_| None::<()>), None);
        assert_eq!(TaskPath::fd(1, 2, "fdinfo", 3).as_cstr().to_str().unwrap(), "/proc/1/task/2/fdinfo/3");
    }
}
