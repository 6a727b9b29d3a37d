//! Stopping a capture from another thread. The tracer blocks in waitpid,
//! which no flag can interrupt, so the stop is a process: a tiny child of
//! the tracer thread that exits when the stop pipe is written to or closed,
//! and whose exit wakes the tracer's waitpid.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The side kept by whoever may ask for a stop.
pub struct Stopper {
    write: OwnedFd,
}

/// The side handed to the tracer.
pub struct StopWaiter {
    read: OwnedFd,
}

pub fn stop_pair() -> io::Result<(Stopper, StopWaiter)> {
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((Stopper { write }, StopWaiter { read }))
}

impl Stopper {
    pub fn stop(&self) {
        let _ = unsafe { libc::write(self.write.as_raw_fd(), b"x".as_ptr() as *const _, 1) };
    }
}

/// The waker child, owned by the tracer thread that forked it.
pub struct Waker {
    pub pid: libc::pid_t,
    reaped: bool,
}

impl Waker {
    /// The tracer's waitpid() returned the waker's exit: a stop was asked.
    pub fn exited(&mut self) {
        self.reaped = true;
    }

    /// Ends and reaps the waker, unless waitpid() already did (its pid may
    /// then belong to another process).
    pub fn reap(self) {
        if !self.reaped {
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), libc::__WALL);
            }
        }
    }
}

impl StopWaiter {
    /// The pipe's read end: readable (or at its end) once a stop is asked,
    /// for a source that polls instead of forking a waker.
    pub fn fd(&self) -> std::os::fd::RawFd {
        self.read.as_raw_fd()
    }

    /// Forks the waker child on the calling (tracer) thread; again after
    /// one exited, for the next stop asked.
    pub fn spawn_waker(&self) -> io::Result<Waker> {
        let read_fd = self.read.as_raw_fd();
        let pid = raw_fork();
        match pid {
            -1 => Err(io::Error::last_os_error()),
            0 => unsafe {
                // Only raw syscalls here. Every other copy of the write end
                // is close-on-exec or owned by the parent; ours must go, or
                // read() would never see the end of the pipe.
                let mut buf = 0u8;
                for fd in 3..1024 {
                    if fd != read_fd {
                        libc::close(fd);
                    }
                }
                libc::read(read_fd, &mut buf as *mut u8 as *mut _, 1);
                libc::_exit(0)
            },
            child => Ok(Waker { pid: child, reaped: false }),
        }
    }
}

/// fork(2) without the C library's atfork handlers: in a Node process,
/// libuv's handler would write to its signal pipe in the child, an I/O the
/// child's counters would then show as the command's own.
pub(crate) fn raw_fork() -> libc::pid_t {
    unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0, 0, 0, 0) as libc::pid_t }
}
