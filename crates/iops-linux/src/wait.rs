//! waitpid() for tracees, and what it reported, decoded once into `Status`
//! (the kinds of stop are ptrace(2)'s: syscall-stop, signal-delivery-stop,
//! group-stop, PTRACE_EVENT stops).

use std::io;

use libc::pid_t;

use crate::ptrace::PTRACE_EVENT_STOP;

/// How a thread ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// exit(code) (WIFEXITED).
    Exited(i32),
    /// Killed by this signal (WIFSIGNALED).
    Killed(i32),
}

/// One waitpid() report about a tracee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The thread is gone (reaped).
    Ended(Ended),
    /// Syscall-enter or syscall-exit stop (SIGTRAP | 0x80, TRACESYSGOOD).
    Syscall,
    /// PTRACE_EVENT_SECCOMP: a filter returned SECCOMP_RET_TRACE.
    Seccomp,
    /// PTRACE_EVENT_FORK / VFORK / CLONE: the new child's id is the event
    /// message. `thread` for a clone: the child shares its creator's process.
    Birth { thread: bool },
    /// PTRACE_EVENT_EXEC: the event message is the thread's former id.
    Exec,
    /// PTRACE_EVENT_EXIT: about to exit, its registers still readable.
    Exit,
    /// PTRACE_EVENT_STOP with a stop signal: group-stop of a seized thread.
    GroupStop,
    /// PTRACE_EVENT_STOP otherwise: PTRACE_INTERRUPT's stop or a new
    /// child's first stop; and any event we did not ask for. Resumed
    /// without a signal.
    EventStop,
    /// Signal-delivery-stop: this signal is about to be delivered.
    Signal(i32),
    /// Neither stopped nor ended (WIFCONTINUED): nothing to do.
    Other,
}

impl Status {
    /// Decodes a waitpid() status word.
    pub fn decode(status: i32) -> Status {
        if libc::WIFEXITED(status) {
            return Status::Ended(Ended::Exited(libc::WEXITSTATUS(status)));
        }
        if libc::WIFSIGNALED(status) {
            return Status::Ended(Ended::Killed(libc::WTERMSIG(status)));
        }
        if !libc::WIFSTOPPED(status) {
            return Status::Other;
        }
        let sig = libc::WSTOPSIG(status);
        if sig == libc::SIGTRAP | 0x80 {
            return Status::Syscall;
        }
        match status >> 16 {
            0 => Status::Signal(sig),
            libc::PTRACE_EVENT_SECCOMP => Status::Seccomp,
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK => Status::Birth { thread: false },
            libc::PTRACE_EVENT_CLONE => Status::Birth { thread: true },
            libc::PTRACE_EVENT_EXEC => Status::Exec,
            libc::PTRACE_EVENT_EXIT => Status::Exit,
            PTRACE_EVENT_STOP if is_stop_signal(sig) => Status::GroupStop,
            _ => Status::EventStop,
        }
    }
}

fn is_stop_signal(sig: i32) -> bool {
    matches!(sig, libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU)
}

/// Waits for any tracee (or child) of the calling thread, retrying on
/// EINTR. An error (ECHILD) means there is nothing left to wait for.
pub fn any() -> io::Result<(pid_t, Status)> {
    wait(-1, libc::__WALL | libc::__WNOTHREAD)
}

/// Waits for `pid` to end, retrying on EINTR.
pub fn ended(pid: pid_t) -> io::Result<Status> {
    wait(pid, 0).map(|(_, status)| status)
}

fn wait(pid: pid_t, flags: i32) -> io::Result<(pid_t, Status)> {
    let mut status = 0;
    loop {
        let got = unsafe { libc::waitpid(pid, &mut status, flags) };
        if got >= 0 {
            return Ok((got, Status::decode(status)));
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status words as the kernel builds them: exit code or stop signal in
    /// bits 8-15, the ptrace event in bits 16-23, 0x7f for "stopped".
    fn stopped(sig: i32, event: i32) -> i32 {
        event << 16 | sig << 8 | 0x7f
    }

    #[test]
    fn decodes_every_kind_of_report() {
        assert_eq!(Status::decode(3 << 8), Status::Ended(Ended::Exited(3)));
        assert_eq!(Status::decode(libc::SIGKILL), Status::Ended(Ended::Killed(libc::SIGKILL)));
        assert_eq!(Status::decode(stopped(libc::SIGTRAP | 0x80, 0)), Status::Syscall);
        assert_eq!(Status::decode(stopped(libc::SIGUSR1, 0)), Status::Signal(libc::SIGUSR1));
        let event = |e| Status::decode(stopped(libc::SIGTRAP, e));
        assert_eq!(event(libc::PTRACE_EVENT_SECCOMP), Status::Seccomp);
        assert_eq!(event(libc::PTRACE_EVENT_FORK), Status::Birth { thread: false });
        assert_eq!(event(libc::PTRACE_EVENT_VFORK), Status::Birth { thread: false });
        assert_eq!(event(libc::PTRACE_EVENT_CLONE), Status::Birth { thread: true });
        assert_eq!(event(libc::PTRACE_EVENT_EXEC), Status::Exec);
        assert_eq!(event(libc::PTRACE_EVENT_EXIT), Status::Exit);
        assert_eq!(event(PTRACE_EVENT_STOP), Status::EventStop, "PTRACE_INTERRUPT");
        for sig in [libc::SIGSTOP, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
            assert_eq!(Status::decode(stopped(sig, PTRACE_EVENT_STOP)), Status::GroupStop);
        }
        assert_eq!(Status::decode(0xffff), Status::Other, "continued");
    }

    #[test]
    fn a_child_that_exits_is_reported_with_its_code() {
        let pid = crate::stop::raw_fork();
        if pid == 0 {
            unsafe { libc::_exit(7) };
        }
        assert_eq!(ended(pid).unwrap(), Status::Ended(Ended::Exited(7)));
    }
}
