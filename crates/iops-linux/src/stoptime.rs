//! What the stops cost in time, measured in the run itself. Per stop the
//! tracer knows two instants: `t1`, when waitpid gave it the stop, and
//! `t2`, when it resumes the thread; `held` sums t2 − t1. What it cannot
//! see is the rest of a stop's cost: the stopped thread waking the tracer
//! and the resumed thread coming back (remote wake-ups, mostly before
//! either thread is on a run queue, so no schedstat counts them), and the
//! CPU time the stop's mechanics add to the program's thread. Those are
//! learned from sampled intervals: at every `SAMPLE_EVERY`th stop the
//! thread's schedstat is read, and again at that thread's next stop; the
//! interval from its resume to that next stop, by our clock, less the CPU
//! time and run-queue wait the thread's schedstat gained in it, is the
//! wake-up time of one stop. Intervals in which the thread gave up its CPU
//! of its own accord more than once (at the stop that ends them) are left
//! out: it blocked on its own account in them, which is no stop's cost.
//! Preempted ones are kept: the wait is the run-queue wait's, so dropping
//! them would keep only the luckier stops on a loaded machine.
//! Nothing is allocated or formatted per stop: a few additions, and a
//! /proc read one stop in `SAMPLE_EVERY`.

use std::time::Instant;

use libc::pid_t;

use crate::schedstat::{voluntary_switches, Sched};

/// One stop in this many opens a sampled interval. Its four /proc reads
/// (schedstat, status, at each end) take about 23 µs here, so about 0.1 µs
/// a stop, against the 4 to 15 µs a stop costs.
const SAMPLE_EVERY: u64 = 256;

/// A sampled interval under way: its thread, its schedstat and voluntary
/// switches at the stop that opened it, and when that stop was resumed.
#[derive(Clone, Copy)]
struct Open {
    tid: pid_t,
    at_stop: Sched,
    voluntary: u64,
    resumed: Option<Instant>,
}

/// A bare pair under way (see `StopTimes::ask_bare`).
#[derive(Clone, Copy, Default)]
enum Bare {
    #[default]
    Idle,
    /// This thread was resumed from an exit stop to its next call's entry.
    Asked(pid_t),
    /// It is past that entry stop, resumed with this schedstat.
    Entered(pid_t, Sched),
}

/// The stops' time in a window.
#[derive(Default)]
pub struct StopTimes {
    /// A bare pair is due at the next exit stop that can make one.
    bare_due: bool,
    bare: Bare,
    bare_pairs: BarePairs,
    stops: u64,
    /// When waitpid gave us the stop being handled (t1).
    stopped_at: Option<Instant>,
    held_ns: u64,
    open: Option<Open>,
    intervals: Intervals,
}

/// The sampled intervals in which the thread did not block, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Intervals {
    /// How many.
    pub count: u64,
    /// Their length by the tracer's clock, resume to the next stop, ns.
    pub span_ns: u64,
    /// The thread's CPU time in them (its own work and one stop's
    /// mechanics), ns.
    pub run_ns: u64,
    /// Its run-queue wait in them, ns.
    pub wait_ns: u64,
}

impl Intervals {
    /// What a stop costs beside the CPU time and run-queue wait the
    /// scheduler books: the mean of span − run − wait, ns; `None` without
    /// intervals.
    pub fn wake_ns(&self) -> Option<f64> {
        (self.count > 0).then(|| self.span_ns.saturating_sub(self.run_ns + self.wait_ns) as f64 / self.count as f64)
    }

    /// The run-queue wait a resumed thread had before it ran again: the
    /// mean of their wait, ns; `None` without intervals.
    pub fn wait_ns_per_stop(&self) -> Option<f64> {
        (self.count > 0).then(|| self.wait_ns as f64 / self.count as f64)
    }
}

/// The bare pairs measured: a syscall-entry stop and, with none of the
/// program's work between, our filter's seccomp stop of the same call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BarePairs {
    pub count: u64,
    /// The thread's CPU time from the resume of the entry stop to the
    /// seccomp stop, summed: one stop's mechanics each, ns.
    pub run_ns: u64,
}

impl BarePairs {
    /// The CPU time one stop adds to the program in this run, ns; `None`
    /// without pairs.
    pub fn cpu_ns_per_stop(&self) -> Option<f64> {
        (self.count > 0).then(|| self.run_ns as f64 / self.count as f64)
    }
}

/// What `StopTimes` found once the window closed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Held {
    /// Stops whose resume was timed.
    pub stops: u64,
    /// The time the tracer held them (t1 to t2), summed, ns.
    pub held_ns: u64,
    pub intervals: Intervals,
    pub bare_pairs: BarePairs,
}

impl StopTimes {
    /// A counted stop of `tid` reached us at `now` (t1).
    #[inline]
    pub fn stopped(&mut self, tid: pid_t, now: Instant) {
        self.stopped_at = Some(now);
        self.stops += 1;
        if self.stops % SAMPLE_EVERY == SAMPLE_EVERY / 4 {
            self.bare_due = true;
        }
        match self.open {
            Some(o) if o.tid == tid && o.resumed.is_some() => self.close_interval(o, now),
            // Not at a placement sample (see `placement`: every 64th stop from
            // the first), whose /proc read would lengthen the opening stop.
            _ if self.stops % SAMPLE_EVERY == SAMPLE_EVERY / 2 => self.open_interval(tid),
            _ => {}
        }
    }

    /// The stop being handled is resumed now (t2).
    #[inline]
    pub fn resumed(&mut self, tid: pid_t) {
        let Some(t1) = self.stopped_at.take() else { return };
        let now = Instant::now();
        self.held_ns += now.saturating_duration_since(t1).as_nanos() as u64;
        if let Some(o) = self.open.as_mut() {
            if o.tid == tid && o.resumed.is_none() {
                o.resumed = Some(now);
            }
        }
    }

    /// The stop being handled is not resumed by us (left held, or listened).
    pub fn not_resumed(&mut self) {
        self.stopped_at = None;
    }

    /// At an exit stop of `tid` with no call pending (launch mode, under our
    /// filter): true once in `SAMPLE_EVERY` stops (at the first such stop
    /// after every `SAMPLE_EVERY`th), when it is to be resumed
    /// with PTRACE_SYSCALL, so that its next call makes a syscall-entry
    /// stop; the kernel reports that before it runs seccomp, so our
    /// filter's stop of the same call follows with none of the program's
    /// work between: the thread's CPU time across the pair is what one
    /// stop's mechanics cost it, in this run.
    #[inline]
    pub fn ask_bare(&mut self, tid: pid_t) -> bool {
        if !self.bare_due {
            return false;
        }
        self.bare_due = false;
        self.bare = Bare::Asked(tid);
        true
    }

    /// A bare pair of `tid` is under way: its stops go to `bare_step`.
    #[inline]
    pub fn in_bare_pair(&self, tid: pid_t) -> bool {
        matches!(self.bare, Bare::Asked(t) | Bare::Entered(t, _) if t == tid)
    }

    /// A stop of `tid` while a bare pair may be under way. `entry`: the
    /// stop is a syscall stop with no call pending, and `filtered` says
    /// whether our filter stops that call (read only then); `seccomp`: our
    /// filter's stop. True when it is the entry stop asked for: to be
    /// resumed at once with PTRACE_CONT, nothing else done.
    #[inline]
    pub fn bare_step(&mut self, tid: pid_t, entry: bool, seccomp: bool, filtered: impl FnOnce() -> bool) -> bool {
        match self.bare {
            Bare::Asked(t) if t == tid => {
                self.bare = Bare::Idle;
                if !entry {
                    return false;
                }
                if filtered() {
                    if let Some(at) = Sched::of(tid) {
                        self.bare = Bare::Entered(tid, at);
                    }
                }
                true
            }
            Bare::Entered(t, at) if t == tid => {
                self.bare = Bare::Idle;
                if let (true, Some(now)) = (seccomp, Sched::of(tid)) {
                    self.bare_pairs.count += 1;
                    self.bare_pairs.run_ns += now.since(at).run_ns;
                }
                false
            }
            _ => false,
        }
    }

    #[cold]
    fn open_interval(&mut self, tid: pid_t) {
        self.open = Sched::of(tid).zip(voluntary_switches(tid)).map(|(at_stop, voluntary)| Open { tid, at_stop, voluntary, resumed: None });
    }

    #[cold]
    fn close_interval(&mut self, o: Open, now: Instant) {
        self.open = None;
        let (Some(resumed), Some(sched), Some(voluntary)) = (o.resumed, Sched::of(o.tid), voluntary_switches(o.tid)) else { return };
        // More than this stop's switch: it blocked in between.
        if voluntary.saturating_sub(o.voluntary) != 1 {
            return;
        }
        let d = sched.since(o.at_stop);
        let i = &mut self.intervals;
        i.count += 1;
        i.span_ns += now.saturating_duration_since(resumed).as_nanos() as u64;
        i.run_ns += d.run_ns;
        i.wait_ns += d.wait_ns;
    }

    pub fn held(&self) -> Held {
        Held { stops: self.stops, held_ns: self.held_ns, intervals: self.intervals, bare_pairs: self.bare_pairs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    /// A thread that sleeps in a read until woken, like a stopped thread
    /// until resumed: each byte wakes it once.
    fn sleeper() -> (UnixStream, pid_t) {
        let (mut ours, mut theirs) = UnixStream::pair().unwrap();
        std::thread::spawn(move || {
            theirs.write_all(&unsafe { libc::gettid() }.to_ne_bytes()).unwrap();
            let mut b = [0u8; 1];
            while theirs.read(&mut b).is_ok_and(|n| n == 1) {}
        });
        let mut tid = [0u8; 4];
        ours.read_exact(&mut tid).unwrap();
        let tid = pid_t::from_ne_bytes(tid);
        asleep(tid, 0);
        (ours, tid)
    }

    /// Wakes `tid` once and waits until it sleeps again.
    fn wake(ours: &mut UnixStream, tid: pid_t) {
        let slices = Sched::of(tid).unwrap().slices;
        ours.write_all(b"x").unwrap();
        asleep(tid, slices + 1);
    }

    /// Waits until `tid` has been on a CPU `slices` times and sleeps (state S).
    fn asleep(tid: pid_t, slices: u64) {
        for _ in 0..10_000 {
            let stat = std::fs::read_to_string(format!("/proc/{tid}/stat")).unwrap();
            if Sched::of(tid).unwrap().slices >= slices && stat[stat.rfind(')').unwrap() + 2..].starts_with('S') {
                return;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    #[test]
    fn held_sums_each_stop_from_its_arrival_to_its_resume_and_a_stop_not_resumed_adds_nothing() {
        let mut t = StopTimes::default();
        let me = unsafe { libc::gettid() };
        let before = Instant::now();
        t.stopped(me, Instant::now());
        std::thread::sleep(Duration::from_millis(2));
        t.resumed(me);
        t.stopped(me, Instant::now());
        t.not_resumed();
        t.resumed(me); // no stop being handled: nothing
        let h = t.held();
        assert_eq!(h.stops, 2);
        assert!(h.held_ns >= 2_000_000 && h.held_ns <= before.elapsed().as_nanos() as u64, "{h:?}");
    }

    #[test]
    fn a_sampled_interval_is_the_threads_time_from_its_resume_to_its_next_stop_less_its_cpu_and_wait() {
        let (mut ours, tid) = sleeper();
        let mut t = StopTimes::default();
        // Stops of another thread up to the one that opens an interval on `tid`.
        for _ in 1..SAMPLE_EVERY / 2 {
            t.stopped(1, Instant::now());
            t.resumed(1);
        }
        t.stopped(tid, Instant::now());
        t.resumed(tid);
        let resumed = Instant::now();
        wake(&mut ours, tid); // it runs once and sleeps again
        let span = resumed.elapsed().as_nanos() as u64;
        t.stopped(tid, Instant::now());
        let i = t.held().intervals;
        assert_eq!(i.count, 1, "{i:?}");
        assert!(i.run_ns > 0 && i.span_ns >= i.run_ns + i.wait_ns && i.span_ns <= span + 1_000_000, "{i:?}, span {span}");
        assert_eq!(i.wake_ns(), Some((i.span_ns - i.run_ns - i.wait_ns) as f64));
        assert_eq!(i.wait_ns_per_stop(), Some(i.wait_ns as f64));
        // An interval in which it ran twice (it blocked on its own) is left out.
        for _ in 0..SAMPLE_EVERY - 2 {
            t.stopped(1, Instant::now());
            t.resumed(1);
        }
        assert_eq!(t.held().stops % SAMPLE_EVERY, SAMPLE_EVERY / 2 - 1);
        t.stopped(tid, Instant::now());
        t.resumed(tid);
        wake(&mut ours, tid);
        wake(&mut ours, tid);
        t.stopped(tid, Instant::now());
        assert_eq!(t.held().intervals.count, 1, "{:?}", t.held().intervals);
        assert_eq!(Intervals::default().wake_ns(), None);
    }

    #[test]
    fn a_bare_pair_is_an_entry_stop_then_a_seccomp_stop_of_the_same_thread_and_anything_else_drops_it() {
        let (mut ours, tid) = sleeper();
        let mut t = StopTimes::default();
        let stop = |t: &mut StopTimes, who: pid_t| {
            t.stopped(who, Instant::now());
            t.resumed(who);
        };
        assert!(!t.ask_bare(tid), "not due before the 64th stop of 256");
        for _ in 0..SAMPLE_EVERY / 4 {
            stop(&mut t, 1);
        }
        assert!(t.ask_bare(tid) && t.in_bare_pair(tid) && !t.in_bare_pair(1));
        assert!(!t.ask_bare(tid), "once per due");
        // The entry stop asked for: resumed at once; then the seccomp stop.
        assert!(t.bare_step(tid, true, false, || true));
        wake(&mut ours, tid);
        assert!(!t.bare_step(tid, false, true, || unreachable!()));
        let pairs = t.held().bare_pairs;
        assert_eq!(pairs.count, 1, "{pairs:?}");
        assert!(pairs.run_ns > 0 && pairs.cpu_ns_per_stop() == Some(pairs.run_ns as f64), "{pairs:?}");
        assert!(!t.in_bare_pair(tid));
        // Asked, but the next stop is not an entry (a signal, say): dropped.
        for _ in 0..SAMPLE_EVERY {
            stop(&mut t, 1);
        }
        assert!(t.ask_bare(tid));
        assert!(!t.bare_step(tid, false, false, || unreachable!()));
        assert!(!t.in_bare_pair(tid));
        // An entry stop of a call our filter does not stop: resumed, no pair.
        for _ in 0..SAMPLE_EVERY {
            stop(&mut t, 1);
        }
        assert!(t.ask_bare(tid) && t.bare_step(tid, true, false, || false) && !t.in_bare_pair(tid));
        // Entered, then another kind of stop (an exit event): no pair.
        for _ in 0..SAMPLE_EVERY {
            stop(&mut t, 1);
        }
        assert!(t.ask_bare(tid) && t.bare_step(tid, true, false, || true));
        assert!(!t.bare_step(tid, false, false, || unreachable!()));
        assert_eq!(t.held().bare_pairs.count, 1);
    }
}
