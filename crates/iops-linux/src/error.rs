//! Why a capture could not run, as the user is told it.

use std::fmt;
use std::io;

use libc::pid_t;

#[derive(Debug)]
pub enum TraceError {
    /// ptrace refused (permissions, Yama, a container's seccomp policy...).
    NotPermitted(String),
    NoSuchProcess(pid_t),
    /// Every thread has exited; the parent has not reaped the process yet.
    Zombie(pid_t),
    /// A kernel thread: it makes no system calls of a program.
    KernelThread(pid_t),
    CommandNotFound(String),
    /// The command was found but execve failed (program, errno).
    CannotExecute(String, i32),
    /// This source cannot run here (not built in, not permitted, its
    /// program refused by the kernel): said before anything was started,
    /// so another source may run instead.
    Unavailable(String),
    Other(String),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::NotPermitted(why) => write!(f, "ptrace is not permitted here: {why}"),
            TraceError::NoSuchProcess(pid) => write!(f, "no process with pid {pid}"),
            TraceError::Zombie(pid) => {
                write!(f, "process {pid} is a zombie (exited, not yet reaped by its parent): nothing to trace")
            }
            TraceError::KernelThread(pid) => write!(
                f,
                "{pid} is a kernel thread: it runs no program and makes no system calls of one, so there is nothing to trace; give the pid of a process"
            ),
            TraceError::CommandNotFound(cmd) => write!(f, "command not found: {cmd}"),
            TraceError::CannotExecute(cmd, errno) => {
                write!(f, "cannot execute {cmd}: {} ({})", strerror(*errno), iops_core::errno::linux_name(*errno as i64))?;
                if *errno == libc::ENOENT {
                    f.write_str(": its interpreter or loader is missing")?;
                }
                Ok(())
            }
            TraceError::Unavailable(why) | TraceError::Other(why) => f.write_str(why),
        }
    }
}

impl TraceError {
    /// The errno-style code the front end shows beside the message.
    pub fn code(&self) -> &'static str {
        match self {
            TraceError::NotPermitted(_) => "EPERM",
            TraceError::NoSuchProcess(_) | TraceError::Zombie(_) => "ESRCH",
            TraceError::KernelThread(_) => "EINVAL",
            TraceError::CommandNotFound(_) => "ENOENT",
            TraceError::CannotExecute(_, errno) => iops_core::errno::linux_name(*errno as i64),
            TraceError::Unavailable(_) => "ENOTSUP",
            TraceError::Other(_) => "EIO",
        }
    }
}

impl iops_core::source::CaptureFailure for TraceError {
    fn code(&self) -> &'static str {
        TraceError::code(self)
    }
}

/// The C library's words for an errno, without Rust's "(os error N)".
pub fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    text.split(" (os error").next().unwrap_or_default().to_string()
}

/// Why the kernel refused ptrace, in words a user can act on: the reason
/// this process can see (it is undumpable, Yama forbids it), else the
/// possible ones.
pub fn refusal(e: &io::Error) -> String {
    let reason = known_refusal().unwrap_or(
        "the process may already be traced or debugged, or a security policy (Yama ptrace_scope, a container's seccomp profile, missing CAP_SYS_PTRACE) forbids it",
    );
    format!("{e}; {reason}")
}

/// CAP_SYS_PTRACE (linux/capability.h).
const CAP_SYS_PTRACE: u32 = 19;

/// A cause of a ptrace refusal that this process can see for certain.
fn known_refusal() -> Option<&'static str> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let effective = status.lines().find_map(|l| l.strip_prefix("CapEff:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok()).unwrap_or(0);
    let may_ptrace = effective & (1 << CAP_SYS_PTRACE) != 0;
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok().and_then(|v| v.trim().parse::<u32>().ok());
    if yama == Some(3) {
        return Some("Yama's kernel.yama.ptrace_scope is 3: ptrace is disabled for every process until the next boot; use --method ebpf");
    }
    // Undumpable (exec'd with real and effective ids that differ: set-uid,
    // set-gid), its children are too until they exec: tracing them needs
    // CAP_SYS_PTRACE.
    if !may_ptrace && unsafe { libc::prctl(libc::PR_GET_DUMPABLE) } != 1 {
        return Some(
            "this process is undumpable (node was started with real and effective user or group ids that differ, as set-uid or set-gid does), and the kernel lets an undumpable process trace even its own children only with CAP_SYS_PTRACE: run node with one user id, or as root",
        );
    }
    if yama == Some(2) && !may_ptrace {
        return Some("Yama's kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace; run as root");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zombie_says_so() {
        let msg = TraceError::Zombie(7).to_string();
        assert_eq!(msg, "process 7 is a zombie (exited, not yet reaped by its parent): nothing to trace");
        assert_eq!(TraceError::Zombie(7).code(), "ESRCH");
    }
}
