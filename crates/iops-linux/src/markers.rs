//! Window markers, made by the traced process itself: a syscall that has no
//! effect but that the tracer (in attach mode) recognises by its arguments.
//! The window is exact to the syscall: what a thread enters after the begin
//! marker's stop and before the end marker's stop is counted.

use crate::syscalls::{MARKER_BEGIN, MARKER_END, MARKER_FD, MARKER_SYSCALL};

fn mark(cookie: u32, phase: u64) {
    // Fails with EBADF, by design; the result is of no interest.
    unsafe { libc::syscall(MARKER_SYSCALL, MARKER_FD as libc::c_long, cookie as libc::c_long, phase as libc::c_long) };
}

pub fn begin(cookie: u32) {
    mark(cookie, MARKER_BEGIN);
}

pub fn end(cookie: u32) {
    mark(cookie, MARKER_END);
}

/// Lets `pid` trace us where Yama's ptrace_scope is 1 (no-op elsewhere).
pub fn allow_tracer(pid: i32) -> std::io::Result<()> {
    if unsafe { libc::prctl(libc::PR_SET_PTRACER, pid as libc::c_ulong, 0, 0, 0) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    // EINVAL: Yama is not built in, nothing to allow.
    if e.raw_os_error() == Some(libc::EINVAL) {
        Ok(())
    } else {
        Err(e)
    }
}

/// The CPUs this process may run on (its main thread's affinity), to keep
/// before a capture that may pin our threads.
pub fn own_cpus() -> Vec<u32> {
    crate::affinity::get(0).map(|s| crate::affinity::to_list(&s)).unwrap_or_default()
}

/// Gives the threads of this process that a tracer pinned (to one CPU,
/// other than `cpus`) the affinity `cpus`: for when the tracer died before
/// it could undo its pin. A thread's own choice of several CPUs stays.
pub fn restore_own_cpus(cpus: &[u32]) {
    if cpus.is_empty() {
        return;
    }
    let set = crate::affinity::from_list(cpus);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for tid in tasks.flatten().filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok())) {
            let pinned = crate::affinity::get(tid)
                .is_some_and(|now| unsafe { libc::CPU_COUNT(&now) == 1 && !libc::CPU_EQUAL(&now, &set) });
            if pinned {
                crate::affinity::set(tid, &set);
            }
        }
    }
}
