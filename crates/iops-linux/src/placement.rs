//! How many times a capture stopped the program, and where. A stop costs
//! the program a round trip to the tracer, and what that costs depends on
//! where the two meet: on one CPU it is a context switch, across two it is
//! a wake-up of the other CPU (more than twice as dear on a VM). The
//! scheduler does either and changes its mind during a run, so every
//! `SAMPLE_EVERY`th stop (and the first) is sampled: the tracer's CPU now
//! against the CPU the stopped thread last ran on.

use libc::pid_t;

use crate::schedstat::read_tid_file;

/// One stop in this many is sampled: a /proc read, a few microseconds.
const SAMPLE_EVERY: u64 = 64;

/// The stops of a capture's window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stops {
    /// Stops of traced threads in the window: syscall, seccomp, event and
    /// signal-delivery stops (not group-stops: the program would be
    /// stopped untraced too).
    pub total: u64,
    /// Sampled stops where the thread had last run on the tracer's CPU.
    pub same_cpu: u64,
    /// Sampled stops where it had not.
    pub cross_cpu: u64,
}

impl Stops {
    /// Counts a stop of `tid`, which is stopped now.
    #[inline]
    pub fn count(&mut self, tid: pid_t) {
        self.total += 1;
        if self.total % SAMPLE_EVERY == 1 {
            self.sample(tid);
        }
    }

    #[cold]
    fn sample(&mut self, tid: pid_t) {
        let here = unsafe { libc::sched_getcpu() };
        match last_cpu(tid) {
            Some(cpu) if here >= 0 && cpu == here as u32 => self.same_cpu += 1,
            Some(_) => self.cross_cpu += 1,
            None => {}
        }
    }

    /// The share of sampled stops made across CPUs; `None` before any sample.
    pub fn cross_cpu_share(&self) -> Option<f64> {
        let sampled = self.same_cpu + self.cross_cpu;
        (sampled > 0).then(|| self.cross_cpu as f64 / sampled as f64)
    }
}

/// The CPU `tid` last ran on: field 39 ("processor") of /proc/<tid>/stat,
/// read into the stack (no allocation).
pub fn last_cpu(tid: pid_t) -> Option<u32> {
    let mut buf = [0u8; 1024];
    let n = read_tid_file(tid, b"/stat", &mut buf)?;
    processor_field(&buf[..n])
}

/// Field 39 of a /proc/<tid>/stat line. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from its last ')'.
fn processor_field(stat: &[u8]) -> Option<u32> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    // After ") " comes field 3; field 39 is 36 fields further.
    let field = stat[close + 1..].split(|&b| b == b' ').filter(|f| !f.is_empty()).nth(36)?;
    std::str::from_utf8(field).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processor_is_field_39_counted_past_the_name() {
        // A real line of /proc/<tid>/stat (kernel 6.x), with a name that has ") (" in it.
        let line = b"4242 (a) (b c) S 1 4242 4242 0 -1 4194560 186 0 0 0 0 0 0 0 20 0 1 0 12345 2506752 243 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        assert_eq!(processor_field(line), Some(1));
        assert_eq!(processor_field(b"garbage"), None);
    }

    #[test]
    fn our_own_thread_last_ran_where_it_runs_now() {
        let tid = unsafe { libc::gettid() };
        let here = unsafe { libc::sched_getcpu() } as u32;
        // The thread may migrate between the two reads: retry a few times.
        assert!((0..20).any(|_| last_cpu(tid) == Some(here) || last_cpu(tid) == Some(unsafe { libc::sched_getcpu() } as u32)));
        assert_eq!(last_cpu(4_194_305), None, "above the largest pid_max");
    }

    #[test]
    fn every_64th_stop_and_the_first_are_sampled() {
        let mut s = Stops::default();
        let me = unsafe { libc::gettid() };
        for _ in 0..129 {
            s.count(me);
        }
        assert_eq!(s.total, 129);
        assert_eq!(s.same_cpu + s.cross_cpu, 3, "stops 1, 65 and 129");
        assert!(s.cross_cpu_share().is_some());
        assert_eq!(Stops::default().cross_cpu_share(), None);
    }
}
