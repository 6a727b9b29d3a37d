//! CPU sharing between tracer and tracee. Every traced syscall is a round
//! trip tracee → tracer → tracee; on different CPUs each leg is a cross-CPU
//! wake-up (tens of µs on a VM), on one CPU it is a plain context switch
//! (a few µs). So the tracer and the traced threads may share one CPU
//! while tracing, when asked to (`Options::share_cpu`: the program then sees
//! one CPU); attached threads get their own affinity back on detach, or
//! from a guard process if the tracer is killed.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use libc::{cpu_set_t, pid_t};

pub fn get(tid: pid_t) -> Option<cpu_set_t> {
    let mut set: cpu_set_t = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::sched_getaffinity(tid, std::mem::size_of::<cpu_set_t>(), &mut set) };
    (r == 0).then_some(set)
}

pub fn set(tid: pid_t, set: &cpu_set_t) -> bool {
    unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<cpu_set_t>(), set) == 0 }
}

/// The calling thread may run on one CPU only (so its tracees, pinned
/// with it or confined likewise, share that CPU).
pub fn on_one_cpu() -> bool {
    get(0).is_some_and(|s| unsafe { libc::CPU_COUNT(&s) } == 1)
}

pub fn only(cpu: usize) -> cpu_set_t {
    let mut set: cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    set
}

/// The CPU to share: the tracer's current one if the target may run there,
/// else the first the target may use.
pub fn choose(target_allowed: &cpu_set_t) -> Option<usize> {
    let here = unsafe { libc::sched_getcpu() };
    if here >= 0 && unsafe { libc::CPU_ISSET(here as usize, target_allowed) } {
        return Some(here as usize);
    }
    (0..libc::CPU_SETSIZE as usize).find(|&c| unsafe { libc::CPU_ISSET(c, target_allowed) })
}

/// The CPUs a mask allows, as numbers.
pub fn to_list(set: &cpu_set_t) -> Vec<u32> {
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, set) }).map(|c| c as u32).collect()
}

pub fn from_list(cpus: &[u32]) -> cpu_set_t {
    let mut set: cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus {
        unsafe { libc::CPU_SET(c as usize, &mut set) };
    }
    set
}

/// Undoes our pin when the tracer cannot (it was killed with SIGKILL): a
/// child process that waits on a pipe for the tracer's end. A normal end
/// (this handle dropped) writes a byte and the guard just exits; a killed
/// tracer's end only closes the pipe, and the guard then gives every thread
/// of the process still on our pin its saved mask, or the default one.
pub struct Guard {
    write: OwnedFd,
    pid: pid_t,
}

impl Drop for Guard {
    fn drop(&mut self) {
        unsafe {
            libc::write(self.write.as_raw_fd(), b"x".as_ptr() as *const _, 1);
            libc::waitpid(self.pid, std::ptr::null_mut(), libc::__WALL);
        }
    }
}

/// Starts the guard of `pid`'s threads pinned to `pin` (see `Guard`).
pub fn guard(
    pid: pid_t,
    pin: &cpu_set_t,
    saved: &std::collections::HashMap<pid_t, cpu_set_t>,
    default: &cpu_set_t,
) -> Option<Guard> {
    let tasks = std::ffi::CString::new(format!("/proc/{pid}/task")).ok()?;
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return None;
    }
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let child = crate::stop::raw_fork();
    if child < 0 {
        return None;
    }
    if child == 0 {
        // Only raw syscalls and reads of memory from here: see raw_fork.
        unsafe {
            // Every other fd goes, the pipe's write end above all, or the
            // tracer's death would never show as the end of the pipe.
            let read_fd = read.as_raw_fd() as libc::c_uint;
            let closed = (read_fd == 3 || libc::syscall(libc::SYS_close_range, 3, read_fd - 1, 0) == 0)
                && libc::syscall(libc::SYS_close_range, read_fd + 1, libc::c_uint::MAX, 0) == 0;
            if !closed {
                for fd in 3..65536 {
                    if fd != read_fd as i32 {
                        libc::close(fd);
                    }
                }
            }
            let read_fd = read_fd as i32;
            let mut byte = 0u8;
            let n = loop {
                let n = libc::read(read_fd, &mut byte as *mut u8 as *mut _, 1);
                if n >= 0 || *libc::__errno_location() != libc::EINTR {
                    break n;
                }
            };
            if n == 0 {
                for_each_task(&tasks, |tid| {
                    if get(tid).is_some_and(|now| libc::CPU_EQUAL(&now, pin)) {
                        set(tid, saved.get(&tid).unwrap_or(default));
                    }
                });
            }
            libc::_exit(0);
        }
    }
    Some(Guard { write, pid: child })
}

/// Calls `f` with each thread id listed in a /proc/<pid>/task directory,
/// with raw syscalls only (usable in a forked child).
unsafe fn for_each_task(dir: &std::ffi::CStr, mut f: impl FnMut(pid_t)) {
    let fd = libc::open(dir.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC);
    if fd < 0 {
        return;
    }
    let mut buf = [0u8; 4096];
    loop {
        let n = libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len());
        if n <= 0 {
            break;
        }
        // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
        let mut at = 0usize;
        while at + 19 < n as usize {
            let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let name = &buf[at + 19..at + reclen];
            let digits = name.iter().take_while(|b| b.is_ascii_digit());
            let tid = digits.fold(0i64, |v, d| v * 10 + (d - b'0') as i64);
            if tid > 0 {
                f(tid as pid_t);
            }
            at += reclen;
        }
    }
    libc::close(fd);
}
