//! Where threads' time went, from the scheduler's own books: the CPU time
//! a thread ran and the time it waited on a run queue, as
//! /proc/<tid>/schedstat gives them (nanoseconds, kept by the kernel at
//! every switch; nothing for us to do per event). A capture reads them for
//! the program's threads when the window opens, when a thread exits and
//! when the window closes, and for the tracer's own thread at the window's
//! two ends: what `report` splits the elapsed time with.

use libc::pid_t;
use rustc_hash::FxHashMap as HashMap;

/// A thread's time so far, or over a span: nanoseconds it ran on a CPU
/// (`sum_exec_runtime`) and waited on a run queue for one (`run_delay`),
/// and how many times it was put on a CPU (`pcount`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sched {
    pub run_ns: u64,
    pub wait_ns: u64,
    pub slices: u64,
}

impl Sched {
    /// Thread `tid`'s time so far; `None` when it is gone (or the kernel
    /// keeps no schedstat).
    pub fn of(tid: pid_t) -> Option<Sched> {
        let mut buf = [0u8; 96];
        let n = read_tid_file(tid, b"/schedstat", &mut buf)?;
        Sched::parse(&buf[..n])
    }

    /// The calling thread's time so far.
    pub fn of_this_thread() -> Option<Sched> {
        Sched::of(unsafe { libc::gettid() })
    }

    /// "<run ns> <run-queue wait ns> <timeslices>\n".
    fn parse(text: &[u8]) -> Option<Sched> {
        let mut fields = text.split(|&b| b == b' ' || b == b'\n').filter(|f| !f.is_empty());
        let mut next = || std::str::from_utf8(fields.next()?).ok()?.parse::<u64>().ok();
        Some(Sched { run_ns: next()?, wait_ns: next()?, slices: next()? })
    }

    pub fn since(self, base: Sched) -> Sched {
        Sched {
            run_ns: self.run_ns.saturating_sub(base.run_ns),
            wait_ns: self.wait_ns.saturating_sub(base.wait_ns),
            slices: self.slices.saturating_sub(base.slices),
        }
    }

    fn add(&mut self, d: Sched) {
        self.run_ns += d.run_ns;
        self.wait_ns += d.wait_ns;
        self.slices += d.slices;
    }
}

/// The window's scheduler time of the program's threads (summed) and of
/// the tracer's thread.
#[derive(Default)]
pub struct WindowTimes {
    /// Each traced thread's time when the window opened on it (zero for a
    /// thread born in it), until it exits or the window closes.
    bases: HashMap<pid_t, Sched>,
    program: Sched,
    tracer_begin: Option<Sched>,
    tracer: Option<Sched>,
}

/// What `WindowTimes` found once the window closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    /// The program's threads, summed: CPU time and run-queue wait.
    pub program: Sched,
    /// The tracer's thread; `None` if its schedstat could not be read.
    pub tracer: Option<Sched>,
}

impl WindowTimes {
    /// The window opens on the threads `tids` (on the tracer's thread).
    pub fn open(&mut self, tids: impl IntoIterator<Item = pid_t>) {
        self.tracer_begin = Sched::of_this_thread();
        for tid in tids {
            self.joined(tid);
        }
    }

    /// Thread `tid`, already running, joins the open window.
    pub fn joined(&mut self, tid: pid_t) {
        if let Some(now) = Sched::of(tid) {
            self.bases.insert(tid, now);
        }
    }

    /// Thread `tid` was born inside the open window: its books start at zero.
    pub fn born(&mut self, tid: pid_t) {
        self.bases.entry(tid).or_default();
    }

    /// Thread `tid` is at its exit stop: its last chance to be read.
    pub fn exiting(&mut self, tid: pid_t) {
        if let Some(base) = self.bases.remove(&tid) {
            if let Some(now) = Sched::of(tid) {
                self.program.add(now.since(base));
            }
        }
    }

    /// The window closes (on the tracer's thread); once.
    pub fn close(&mut self) -> Spent {
        if self.tracer.is_none() {
            for (tid, base) in std::mem::take(&mut self.bases) {
                if let Some(now) = Sched::of(tid) {
                    self.program.add(now.since(base));
                }
            }
            self.tracer = self.tracer_begin.zip(Sched::of_this_thread()).map(|(begin, now)| now.since(begin));
        }
        Spent { program: self.program, tracer: self.tracer }
    }
}

/// How many times thread `tid` gave up its CPU of its own accord (blocked,
/// slept, stopped): `voluntary_ctxt_switches` of /proc/<tid>/status, read
/// into the stack (no allocation); `None` when it is gone.
pub fn voluntary_switches(tid: pid_t) -> Option<u64> {
    let mut buf = [0u8; 4096];
    let n = read_tid_file(tid, b"/status", &mut buf)?;
    voluntary_field(&buf[..n])
}

fn voluntary_field(status: &[u8]) -> Option<u64> {
    // "nonvoluntary_ctxt_switches" ends with the same name: match at a line's start.
    let key = b"\nvoluntary_ctxt_switches:";
    let at = status.windows(key.len()).position(|w| w == key)? + key.len();
    let value = status[at..].split(|&b| b == b'\n').next()?;
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

/// Reads /proc/<tid><file> into `buf` with no allocation; the bytes read.
pub fn read_tid_file(tid: pid_t, file: &[u8], buf: &mut [u8]) -> Option<usize> {
    if !crate::tasks::proc_is_ours() {
        return None; // another namespace's pids (see `proc_is_ours`)
    }
    let mut path = [0u8; 48];
    let prefix = b"/proc/";
    path[..prefix.len()].copy_from_slice(prefix);
    let mut at = prefix.len();
    let mut digits = [0u8; 10];
    let mut n = tid as u32;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        path[at] = digits[i];
        at += 1;
    }
    if at + file.len() >= path.len() {
        return None;
    }
    path[at..at + file.len()].copy_from_slice(file);
    let fd = unsafe { libc::open(path.as_ptr() as *const libc::c_char, libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut _, buf.len()) };
    unsafe { libc::close(fd) };
    (n > 0).then_some(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_is_run_then_wait_in_ns() {
        assert_eq!(Sched::parse(b"123456 7890 12\n"), Some(Sched { run_ns: 123456, wait_ns: 7890, slices: 12 }));
        assert_eq!(Sched::parse(b"garbage"), None);
    }

    #[test]
    fn voluntary_switches_are_told_from_nonvoluntary_ones() {
        let status = b"Name:\tx\nvoluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t7\n";
        assert_eq!(voluntary_field(status), Some(150));
        assert_eq!(voluntary_field(b"Name:\tx\nnonvoluntary_ctxt_switches:\t7\n"), None);
        let me = unsafe { libc::gettid() };
        let before = voluntary_switches(me).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert!(voluntary_switches(me).unwrap() > before, "a sleep gives up the CPU");
    }

    #[test]
    fn a_spinning_thread_is_charged_its_cpu_time() {
        // This thread spins for 20 ms of its own CPU time (CLOCK_THREAD_CPUTIME_ID)
        // inside the window: the window's program time holds at least that.
        let me = unsafe { libc::gettid() };
        let cpu = || {
            let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
            ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
        };
        let mut w = WindowTimes::default();
        w.open([me]);
        let start = cpu();
        while cpu() - start < 20_000_000 {}
        let spun = cpu() - start;
        let spent = w.close();
        assert!(spent.program.run_ns >= spun, "{spent:?} < {spun}");
        assert!(spent.tracer.is_some_and(|t| t.run_ns >= spun), "the tracer's thread is this one too: {spent:?}");
        assert_eq!(w.close(), spent, "closed once");
        assert_eq!(Sched::of(4_194_305), None, "above the largest pid_max");
    }
}
