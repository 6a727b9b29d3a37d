//! CPU sharing between tracer and tracee. Every traced syscall is a round
//! trip tracee → tracer → tracee; on different CPUs each leg is a cross-CPU
//! wake-up (tens of µs on a VM), on one CPU it is a plain context switch
//! (a few µs). So by default the tracer and the traced threads share one CPU
//! while tracing; attached threads get their own affinity back on detach.

use libc::{cpu_set_t, pid_t};

pub fn get(tid: pid_t) -> Option<cpu_set_t> {
    let mut set: cpu_set_t = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::sched_getaffinity(tid, std::mem::size_of::<cpu_set_t>(), &mut set) };
    (r == 0).then_some(set)
}

pub fn set(tid: pid_t, set: &cpu_set_t) -> bool {
    unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<cpu_set_t>(), set) == 0 }
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
