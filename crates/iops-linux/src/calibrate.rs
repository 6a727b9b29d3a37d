//! What one ptrace stop costs the traced program, measured on this machine,
//! now: a throwaway child of the tracer thread times a loop of cheap data
//! calls untraced, then traced by a `Tracer` exactly as a capture traces
//! (same mode, same stops, same work per stop, same CPU placement: the child
//! inherits the tracer thread's affinity). The difference per stop is the
//! cost a capture's stops are multiplied by to estimate the tracer's share
//! of the elapsed time. The child also times its own CPU time (its thread's
//! clock) over both loops: the CPU time a stop adds to the program's, which
//! the program's measured CPU time is reduced by.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use iops_core::Aggregator;
use libc::pid_t;

use crate::affinity;
use crate::ptrace;
use crate::seccomp::Filter;
use crate::syscalls::traced;
use crate::tracer::{Mode, Tracer, OPTIONS};
use crate::wait::Status;

/// Calls of the untraced reference loop (each well under a microsecond).
const UNTRACED_CALLS: usize = 256;
/// Traced calls per batch, and batches: the median batch is kept, so that
/// a preemption by another process spoils one batch, not the figure.
const BATCH_CALLS: usize = 16;
const BATCHES: usize = 9;
/// Stops per traced call: entry (or our filter's seccomp stop) and exit.
const STOPS_PER_CALL: f64 = 2.0;

/// How long a measurement serves the next captures of this process (the
/// windows of profile() in a loop, each of which would otherwise wait for
/// its own): a few seconds, as the load of the machine moves.
const REUSE_FOR: Duration = Duration::from_secs(10);

/// What one stop cost, in nanoseconds of the program's time, with the
/// program on the tracer's CPU and on another; `None` where it could not
/// be measured (one CPU allowed: there is no other).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Calibration {
    pub same_cpu_ns: Option<f64>,
    pub cross_cpu_ns: Option<f64>,
    /// The CPU time a stop added to the program's own (its thread's clock),
    /// nanoseconds, on the tracer's CPU and on another.
    pub same_cpu_cpu_ns: Option<f64>,
    pub cross_cpu_cpu_ns: Option<f64>,
    /// Seconds since it was measured: 0 when measured for this capture, more
    /// when an earlier capture's of this process is reused (`REUSE_FOR`).
    pub age_s: f64,
}

/// The last measurement of this process: when, for which mode, sharing and
/// CPUs of the tracer's thread.
type Last = (Instant, Mode, bool, Vec<u32>, Calibration);
static LAST: Mutex<Option<Last>> = Mutex::new(None);

/// The cost of a stop in `mode`, measured on this thread (the tracer's),
/// or the measurement of an earlier capture of this process made under the
/// same conditions less than `REUSE_FOR` ago. `shared_cpu`: this thread is
/// pinned with the program (`--share-cpu`), so only the same-CPU cost
/// applies.
pub fn calibrate(mode: Mode, shared_cpu: bool) -> Calibration {
    let cpus = affinity::get(0).map(|s| affinity::to_list(&s)).unwrap_or_default();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((at, m, shared, c, calibration)) = last.as_ref() {
        if at.elapsed() < REUSE_FOR && *m == mode && *shared == shared_cpu && *c == cpus {
            return Calibration { age_s: at.elapsed().as_secs_f64(), ..*calibration };
        }
    }
    let calibration = measure(mode, shared_cpu);
    if calibration.same_cpu_ns.is_some() {
        *last = Some((Instant::now(), mode, shared_cpu, cpus, calibration));
    }
    calibration
}

/// Measures now. Unless `shared_cpu`, this thread is pinned for the
/// measurement and given its own affinity back after it.
fn measure(mode: Mode, shared_cpu: bool) -> Calibration {
    if shared_cpu {
        let same = stop_cost(mode, None);
        return Calibration { same_cpu_ns: same.map(|c| c.0), same_cpu_cpu_ns: same.map(|c| c.1), ..Default::default() };
    }
    let Some(own) = affinity::get(0) else { return Calibration::default() };
    let Some(here) = affinity::choose(&own) else { return Calibration::default() };
    let other = affinity::to_list(&own).into_iter().map(|c| c as usize).find(|&c| c != here);
    affinity::set(0, &affinity::only(here));
    let same = stop_cost(mode, Some(here));
    let cross = other.and_then(|cpu| stop_cost(mode, Some(cpu)));
    let c = Calibration {
        same_cpu_ns: same.map(|c| c.0),
        cross_cpu_ns: cross.map(|c| c.0),
        same_cpu_cpu_ns: same.map(|c| c.1),
        cross_cpu_cpu_ns: cross.map(|c| c.1),
        age_s: 0.0,
    };
    affinity::set(0, &own);
    c
}

/// The cost of one stop in `mode`, the throwaway child on `cpu` (else
/// where this thread may run): (elapsed, CPU time) of the program per stop,
/// nanoseconds. `None` when the child could not be traced or timed;
/// nothing is left behind either way.
fn stop_cost(mode: Mode, cpu: Option<usize>) -> Option<(f64, f64)> {
    let filter = (mode == Mode::Seccomp).then(|| Filter::new(traced().map(|(nr, _)| nr)));
    let pin = cpu.map(affinity::only);
    let times = SharedTimes::new()?;
    let (ready_r, ready_w) = pipe().ok()?;
    let (gate_r, gate_w) = pipe().ok()?;
    let child = crate::stop::raw_fork();
    if child < 0 {
        return None;
    }
    if child == 0 {
        // Only raw syscalls and memory from here: see raw_fork.
        unsafe { run_child(&times, ready_w.as_raw_fd(), gate_r.as_raw_fd(), filter.as_ref(), pin.as_ref()) }
    }
    drop(ready_w);
    drop(gate_r);
    let ok = trace_child(child, mode, &ready_r, &gate_w);
    drop(gate_w);
    if !ok {
        unsafe { libc::kill(child, libc::SIGKILL) };
    }
    // Reaped whatever happened (the tracer's loop reaps it when all went well).
    unsafe { libc::waitpid(child, std::ptr::null_mut(), libc::__WALL) };
    if ok {
        times.cost()
    } else {
        None
    }
}

/// Seizes the child once it is ready, lets it go, and handles its stops
/// with a tracer until it ends. False when it could not be traced.
fn trace_child(child: pid_t, mode: Mode, ready: &OwnedFd, gate: &OwnedFd) -> bool {
    let mut byte = 0u8;
    if unsafe { libc::read(ready.as_raw_fd(), &mut byte as *mut u8 as *mut _, 1) } != 1 {
        return false; // it died
    }
    let seccomp = if mode == Mode::Seccomp { libc::PTRACE_O_TRACESECCOMP } else { 0 };
    if ptrace::seize(child, OPTIONS | seccomp | libc::PTRACE_O_EXITKILL).is_err() {
        return false;
    }
    let mut tracer = Tracer::new(mode, child, Aggregator::new(), None);
    tracer.add_thread(child, child);
    let go = || unsafe { libc::write(gate.as_raw_fd(), b"g".as_ptr() as *const _, 1) == 1 };
    match mode {
        // Our filter's stops come by themselves once it is installed.
        Mode::Seccomp => {
            if !go() {
                return false;
            }
        }
        // Every syscall stops once the child has been resumed from a stop.
        Mode::AllSyscalls => {
            if ptrace::interrupt(child).is_err() {
                return false;
            }
        }
    }
    let mut gone = false;
    let mut first = true;
    while !gone {
        let mut status = 0;
        let got = unsafe { libc::waitpid(child, &mut status, libc::__WALL) };
        if got < 0 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return false;
        }
        let status = Status::decode(status);
        gone = matches!(status, Status::Ended(_));
        tracer.handle(child, status);
        if first && mode == Mode::AllSyscalls && !gone {
            first = false;
            if !go() {
                return false;
            }
        }
    }
    true
}

/// The child: an untraced loop, then (once traced) the timed batches.
unsafe fn run_child(times: &SharedTimes, ready: i32, gate: i32, filter: Option<&Filter>, pin: Option<&libc::cpu_set_t>) -> ! {
    if let Some(set) = pin {
        affinity::set(0, set);
    }
    let (t, c) = (now_ns(), cpu_ns());
    for _ in 0..UNTRACED_CALLS {
        call();
    }
    times.set(0, now_ns() - t);
    times.set(CPU_UNTRACED, cpu_ns() - c);
    let mut byte = 0u8;
    libc::write(ready, b"r".as_ptr() as *const _, 1);
    if libc::read(gate, &mut byte as *mut u8 as *mut _, 1) != 1 {
        libc::_exit(1);
    }
    if let Some(f) = filter {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if f.install().is_err() {
            libc::_exit(1);
        }
    }
    let c = cpu_ns();
    for b in 0..BATCHES {
        let t = now_ns();
        for _ in 0..BATCH_CALLS {
            call();
        }
        times.set(1 + b, now_ns() - t);
    }
    times.set(CPU_TRACED, cpu_ns() - c);
    times.set(1 + BATCHES, if filter.is_some() { 1 } else { DONE_EVERY_CALL_STOPS });
    libc::_exit(0)
}

/// One cheap data call that every mode stops at: a pread64 of fd -1 (EBADF).
unsafe fn call() {
    let mut buf = 0u8;
    libc::syscall(libc::SYS_pread64, -1, &mut buf as *mut u8, 1, 0);
}

/// CLOCK_MONOTONIC through the vDSO: no syscall, so no stop.
fn now_ns() -> u64 {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// This thread's CPU time. Only our filter's calls stop under it; with every
/// syscall stopping, the two reads around the batches add two stops to
/// them (the first's exit, the last's entry): see `DONE_EVERY_CALL_STOPS`.
fn cpu_ns() -> u64 {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The child's timings, in a shared anonymous page: slot 0 the untraced
/// loop, then one slot per batch, then a done flag (ns each), then the
/// CPU time of the untraced loop and of all batches.
struct SharedTimes(*mut u64);

const CPU_UNTRACED: usize = BATCHES + 2;
const CPU_TRACED: usize = BATCHES + 3;
const SLOTS: usize = BATCHES + 4;
/// The done flag of a child all of whose syscalls stopped: 1 + the stops
/// its CPU-time reads added to the batches (see `cpu_ns`).
const DONE_EVERY_CALL_STOPS: u64 = 1 + 2;

impl SharedTimes {
    fn new() -> Option<SharedTimes> {
        let len = SLOTS * std::mem::size_of::<u64>();
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0)
        };
        (p != libc::MAP_FAILED).then_some(SharedTimes(p as *mut u64))
    }

    fn set(&self, slot: usize, v: u64) {
        unsafe { std::ptr::write_volatile(self.0.add(slot), v) }
    }

    fn get(&self, slot: usize) -> u64 {
        unsafe { std::ptr::read_volatile(self.0.add(slot)) }
    }

    /// The median batch's cost per stop over the untraced loop's per call,
    /// and the CPU time all batches took per stop over the untraced loop's.
    fn cost(&self) -> Option<(f64, f64)> {
        let done = self.get(1 + BATCHES);
        if done == 0 {
            return None;
        }
        let untraced = self.get(0) as f64 / UNTRACED_CALLS as f64;
        let mut batches: Vec<f64> = (0..BATCHES).map(|b| self.get(1 + b) as f64 / BATCH_CALLS as f64).collect();
        batches.sort_by(f64::total_cmp);
        let traced = batches[BATCHES / 2];
        let calls = (BATCHES * BATCH_CALLS) as f64;
        let extra_stops = (done - 1) as f64;
        let cpu_untraced = self.get(CPU_UNTRACED) as f64 / UNTRACED_CALLS as f64;
        let cpu = (self.get(CPU_TRACED) as f64 - calls * cpu_untraced) / (calls * STOPS_PER_CALL + extra_stops);
        Some((((traced - untraced) / STOPS_PER_CALL).max(0.0), cpu.max(0.0)))
    }
}

impl Drop for SharedTimes {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.0 as *mut _, SLOTS * std::mem::size_of::<u64>()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_measure_a_cost_per_stop_and_the_thread_keeps_its_cpus() {
        let before = affinity::get(0).unwrap();
        let several = unsafe { libc::CPU_COUNT(&before) } > 1;
        for mode in [Mode::Seccomp, Mode::AllSyscalls] {
            let c = measure(mode, false);
            assert!(c.same_cpu_ns.is_some_and(|ns| ns > 0.0), "{mode:?}: {c:?}");
            assert!(c.same_cpu_cpu_ns.is_some_and(|ns| ns > 0.0), "the CPU time a stop adds, {mode:?}: {c:?}");
            assert_eq!(c.cross_cpu_ns.is_some(), several, "{mode:?}: {c:?}");
            assert!(unsafe { libc::CPU_EQUAL(&affinity::get(0).unwrap(), &before) }, "the thread's own CPUs again");
        }
        // Shared: this thread's CPU only, no pin of ours.
        let c = measure(Mode::Seccomp, true);
        assert!(c.same_cpu_ns.is_some() && c.cross_cpu_ns.is_none(), "{c:?}");
    }

    #[test]
    fn a_measurement_serves_the_next_captures_of_the_process_for_a_while_under_the_same_conditions() {
        // The one test of the cache (it is process-wide): AllSyscalls, not shared.
        let first = calibrate(Mode::AllSyscalls, false);
        assert_eq!(first.age_s, 0.0);
        let again = calibrate(Mode::AllSyscalls, false);
        assert!(again.age_s > 0.0 && again.age_s < REUSE_FOR.as_secs_f64(), "{again:?}");
        assert_eq!((again.same_cpu_ns, again.cross_cpu_ns), (first.same_cpu_ns, first.cross_cpu_ns));
        let other_mode = calibrate(Mode::Seccomp, false);
        assert_eq!(other_mode.age_s, 0.0, "another mode is measured afresh");
    }

    #[test]
    #[ignore = "prints figures: cargo test -p iops-linux calibrate -- --ignored --nocapture"]
    fn print_costs() {
        for mode in [Mode::Seccomp, Mode::AllSyscalls] {
            for _ in 0..4 {
                let t = std::time::Instant::now();
                let c = measure(mode, false);
                eprintln!("{mode:?}: {c:?} in {:?}", t.elapsed());
            }
        }
    }
}
