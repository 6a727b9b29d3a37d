//! What a pid given to attach mode names, read from /proc before any
//! source starts: a process, one of its threads (reports are per process,
//! so its whole process is traced, and the report says so), a kernel thread
//! (it makes no system calls of a program: nothing to trace), or a process
//! whose every thread has exited (a zombie). A process whose main thread
//! called pthread_exit while its other threads run on is live.

use iops_core::{Warning, WarningCode};
use libc::pid_t;

use crate::error::TraceError;

/// `PF_KTHREAD` in the flags of /proc/<pid>/stat (include/linux/sched.h).
const PF_KTHREAD: u64 = 0x0020_0000;

/// The process attach mode traces for `pid`.
#[derive(Debug, PartialEq, Eq)]
pub struct Attachable {
    /// The process (its thread group id).
    pub pid: pid_t,
    /// The report's note when `pid` named a thread of `pid`'s process.
    pub thread_of: Option<pid_t>,
}

impl Attachable {
    /// The one-line warning a report of this attach carries, if any.
    pub fn warning(&self, asked: pid_t) -> Option<Warning> {
        self.thread_of.map(|process| {
            WarningCode::PidIsThread.with(format!(
                "{asked} is a thread of process {process}: the whole process {process} was traced, all its threads and children (reports are per process)"
            ))
        })
    }
}

/// Resolves `pid` for attach mode. Errors: `NoSuchProcess`, `Zombie`,
/// `KernelThread`.
pub fn attachable(pid: pid_t) -> Result<Attachable, TraceError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|_| TraceError::NoSuchProcess(pid))?;
    let tgid = field(&status, "Tgid:").and_then(|t| t.parse::<pid_t>().ok()).ok_or(TraceError::NoSuchProcess(pid))?;
    if is_kernel_thread(pid) {
        return Err(TraceError::KernelThread(pid));
    }
    if !has_live_thread(tgid) {
        return Err(TraceError::Zombie(tgid));
    }
    Ok(Attachable { pid: tgid, thread_of: (tgid != pid).then_some(tgid) })
}

fn field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(name)).map(str::trim)
}

/// The state letter and the flags of /proc/<path>/stat.
fn stat(path: &str) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{path}/stat")).ok()?;
    // After the command's closing parenthesis: state, ppid, pgrp, session, tty_nr, tpgid, flags.
    let mut rest = text.rsplit_once(") ")?.1.split_ascii_whitespace();
    let state = rest.next()?.chars().next()?;
    let flags = rest.nth(5)?.parse().ok()?;
    Some((state, flags))
}

/// `pid` is a kernel thread (kthreadd, a worker): it runs no program.
pub fn is_kernel_thread(pid: pid_t) -> bool {
    stat(&pid.to_string()).is_some_and(|(_, flags)| flags & PF_KTHREAD != 0)
}

/// Process `tgid` has a thread that has not exited: its main thread may
/// have (pthread_exit, a zombie leader) while others run on.
pub fn has_live_thread(tgid: pid_t) -> bool {
    let live = |state: char| !matches!(state, 'Z' | 'X' | 'x');
    if stat(&tgid.to_string()).is_some_and(|(s, _)| live(s)) {
        return true;
    }
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{tgid}/task")) else { return false };
    tasks
        .filter_map(|t| t.ok()?.file_name().to_str()?.parse::<pid_t>().ok())
        .any(|tid| stat(&format!("{tgid}/task/{tid}")).is_some_and(|(s, _)| live(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_itself_and_its_threads_name_it() {
        let me = std::process::id() as pid_t;
        assert_eq!(attachable(me).unwrap(), Attachable { pid: me, thread_of: None });
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            tx.send(unsafe { libc::gettid() }).unwrap();
            let _ = done_rx.recv();
        });
        let tid = rx.recv().unwrap();
        let a = attachable(tid).unwrap();
        assert_eq!(a, Attachable { pid: me, thread_of: Some(me) });
        assert!(a.warning(tid).unwrap().text.starts_with(&format!("{tid} is a thread of process {me}")));
        done_tx.send(()).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn a_kernel_thread_is_refused() {
        // kthreadd is pid 2 where this process sees the host's pids (not in a pid namespace of its own).
        if std::fs::read_to_string("/proc/2/comm").is_ok_and(|c| c.trim() == "kthreadd") {
            assert!(matches!(attachable(2), Err(TraceError::KernelThread(2))));
        }
        assert!(!is_kernel_thread(std::process::id() as pid_t));
    }

    #[test]
    fn no_such_pid() {
        assert!(matches!(attachable(4_194_305), Err(TraceError::NoSuchProcess(4_194_305))));
    }
}
