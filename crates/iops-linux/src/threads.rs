//! Per-thread state of the traced threads: the call each is inside, and the
//! bookkeeping of births and deaths that the kernel reports in any order.

use rustc_hash::FxHashMap as HashMap;
use std::time::Instant;

use libc::pid_t;

use crate::syscalls::Class;

/// A call a thread entered and has not left yet.
#[derive(Clone, Copy)]
pub struct Pending {
    /// The syscall number, or `DEFERRED`.
    pub nr: u64,
    pub class: Class,
    pub args: [u64; 4],
    pub start: Instant,
    /// Entered inside the measurement window.
    pub counted: bool,
}

/// `Pending::nr` of a call whose number and arguments are read at its exit.
const DEFERRED: u64 = u64::MAX;

impl Pending {
    /// A call entered at `start` whose number and arguments are read at its
    /// exit (see `regs`).
    #[cfg(target_arch = "x86_64")]
    pub fn deferred(start: Instant, counted: bool) -> Pending {
        Pending { nr: DEFERRED, class: Class::Ignored, args: [0; 4], start, counted }
    }

    pub fn is_deferred(&self) -> bool {
        self.nr == DEFERRED
    }
}

pub struct Thread {
    pub tgid: pid_t,
    pub pending: Option<Pending>,
    /// A call a signal interrupted, until we know whether it failed with
    /// EINTR or was restarted.
    pub interrupted: Option<Pending>,
    /// Resumed at least once by us (attach mode: ready when every thread
    /// the attach found is).
    armed: bool,
    /// Made by a traced thread (auto-attached at its birth): traced from
    /// its first instruction, so not one the attach must wait for.
    born_traced: bool,
    /// Its creator's clone/fork event has been seen (or it was there when
    /// tracing began). Its own first stop can come before that event.
    announced: bool,
    /// Past its PTRACE_EVENT_EXIT stop: it only has its death left to report
    /// (a thread-group leader: not before every other thread of its group).
    exiting: bool,
}

/// Every traced thread, by tid.
#[derive(Default)]
pub struct Threads {
    by_tid: HashMap<pid_t, Thread>,
    /// Threads that ended before their creator's clone/fork event was seen,
    /// by tid (a count, in case the tid is reused meanwhile): that event
    /// must not bring them back, or the loop would wait for them forever.
    ended_unannounced: HashMap<pid_t, u32>,
}

impl Threads {
    /// A thread that is there when tracing begins (`announced`, not
    /// `born_traced`), or one a traced thread made (`born_traced`), whose
    /// creator's clone/fork event may still be to come (not `announced`).
    pub fn insert(&mut self, tid: pid_t, tgid: pid_t, announced: bool, born_traced: bool) {
        self.by_tid.entry(tid).or_insert(Thread {
            tgid,
            pending: None,
            interrupted: None,
            armed: false,
            born_traced,
            announced,
            exiting: false,
        });
    }

    /// A clone/fork event of a creator announced `child`. Its first stop may
    /// have come already, and it may even have ended since.
    pub fn on_birth(&mut self, child: pid_t, tgid: impl FnOnce() -> pid_t) {
        if let Some(t) = self.by_tid.get_mut(&child) {
            t.announced = true;
            return;
        }
        if let Some(n) = self.ended_unannounced.get_mut(&child) {
            *n -= 1;
            if *n == 0 {
                self.ended_unannounced.remove(&child);
            }
            return;
        }
        let tgid = tgid();
        self.insert(child, tgid, true, true);
    }

    /// A thread's death was reaped. Returns the thread, if it was known;
    /// `root` is the traced process, which no event announces.
    pub fn on_death(&mut self, tid: pid_t, root: pid_t) -> Option<Thread> {
        match self.by_tid.remove(&tid) {
            Some(t) => {
                if !t.announced {
                    *self.ended_unannounced.entry(tid).or_insert(0) += 1;
                }
                Some(t)
            }
            // Never seen stopped, never announced: killed before its first
            // stop, while its creator's event is still to come.
            None => {
                if tid != root {
                    *self.ended_unannounced.entry(tid).or_insert(0) += 1;
                }
                None
            }
        }
    }

    /// A thread that exec'd in another's place: `former` took over the
    /// leader's tid and is gone under its own.
    pub fn replaced(&mut self, former: pid_t) {
        self.by_tid.remove(&former);
    }

    pub fn get(&self, tid: pid_t) -> Option<&Thread> {
        self.by_tid.get(&tid)
    }

    pub fn get_mut(&mut self, tid: pid_t) -> Option<&mut Thread> {
        self.by_tid.get_mut(&tid)
    }

    pub fn contains(&self, tid: pid_t) -> bool {
        self.by_tid.contains_key(&tid)
    }

    pub fn ids(&self) -> Vec<pid_t> {
        self.by_tid.keys().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_tid.is_empty()
    }

    /// We resumed (or group-stopped) `tid` under tracing.
    pub fn arm(&mut self, tid: pid_t) {
        if let Some(t) = self.by_tid.get_mut(&tid) {
            t.armed = true;
        }
    }

    /// Every thread the attach found has been resumed under tracing. Those
    /// born since are traced from birth: a process that keeps making threads
    /// would otherwise never be "all armed".
    pub fn all_armed(&self) -> bool {
        self.by_tid.values().all(|t| t.armed || t.born_traced)
    }

    /// `tid` passed its PTRACE_EVENT_EXIT stop. Returns its process.
    pub fn exiting(&mut self, tid: pid_t) -> pid_t {
        match self.by_tid.get_mut(&tid) {
            Some(t) => {
                t.exiting = true;
                t.tgid
            }
            None => tid,
        }
    }

    /// Every known thread of process `tgid` is past its exit stop: the
    /// process is ending (O(threads): called at exit stops only).
    pub fn group_exiting(&self, tgid: pid_t) -> bool {
        self.by_tid.values().all(|t| t.tgid != tgid || t.exiting)
    }

    /// A thread-group leader past its exit stop while other threads of its
    /// group live on: its death is reported only after theirs, so a detach
    /// must not wait for it.
    pub fn is_exited_leader(&self, tid: pid_t) -> bool {
        self.by_tid.get(&tid).is_some_and(|t| t.exiting && t.tgid == tid)
    }

    /// Every thread of process `tgid` is gone (a source that hears of a
    /// process's end as one event).
    pub fn forget_process(&mut self, tgid: pid_t) {
        self.by_tid.retain(|_, t| t.tgid != tgid);
    }

    /// The process of `tid`: its own id when unknown.
    pub fn tgid(&self, tid: pid_t) -> pid_t {
        self.by_tid.get(&tid).map_or(tid, |t| t.tgid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: pid_t = 100;

    fn threads() -> Threads {
        let mut t = Threads::default();
        t.insert(ROOT, ROOT, true, false);
        t
    }

    /// A creator's clone event, the new thread's first stop and its death,
    /// in every order the kernel may report them (the death always follows
    /// the first stop): the thread is never left behind in the table.
    #[test]
    fn a_thread_born_and_dead_in_any_order_leaves_no_phantom() {
        #[derive(Clone, Copy, Debug)]
        enum Ev {
            Birth,
            FirstStop,
            Death,
        }
        use Ev::*;
        for order in [[Birth, FirstStop, Death], [FirstStop, Birth, Death], [FirstStop, Death, Birth]] {
            let mut t = threads();
            for ev in order {
                match ev {
                    Birth => t.on_birth(101, || ROOT),
                    FirstStop if !t.contains(101) => t.insert(101, ROOT, false, true),
                    FirstStop => {}
                    Death => drop(t.on_death(101, ROOT)),
                }
            }
            assert_eq!(t.ids(), vec![ROOT], "{order:?}");
            assert!(t.ended_unannounced.is_empty(), "{order:?}");
        }
    }

    #[test]
    fn a_thread_killed_before_its_first_stop_is_not_brought_back() {
        let mut t = threads();
        t.on_death(101, ROOT);
        t.on_birth(101, || ROOT);
        assert_eq!(t.ids(), vec![ROOT]);
        assert!(t.ended_unannounced.is_empty());
    }

    /// A tid reused while its first holder's clone event is still queued:
    /// each late event cancels one early death, no more.
    #[test]
    fn a_reused_tid_is_counted_per_life() {
        let mut t = threads();
        for _ in 0..2 {
            t.insert(101, ROOT, false, true);
            t.on_death(101, ROOT);
        }
        t.on_birth(101, || ROOT);
        t.on_birth(101, || ROOT);
        assert_eq!(t.ids(), vec![ROOT]);
        // A third life, announced before it stops, is traced.
        t.on_birth(101, || ROOT);
        assert!(t.contains(101));
    }

    #[test]
    fn the_root_ending_is_not_an_unannounced_death() {
        let mut t = threads();
        t.on_death(ROOT, ROOT);
        assert!(t.is_empty());
        assert!(t.ended_unannounced.is_empty());
    }

    #[test]
    fn only_an_exited_leader_is_left_out_of_a_detach() {
        let mut t = threads();
        t.on_birth(101, || ROOT);
        t.exiting(101);
        assert!(!t.is_exited_leader(101), "a non-leader reports its death at once");
        t.exiting(ROOT);
        assert!(t.is_exited_leader(ROOT));
    }

    #[test]
    fn an_attach_is_ready_when_the_threads_it_found_are_armed_whatever_is_born_since() {
        let mut t = Threads::default();
        t.insert(ROOT, ROOT, true, false);
        t.insert(102, ROOT, true, false);
        t.on_birth(103, || ROOT);
        assert!(!t.all_armed(), "two threads the attach found are not resumed yet");
        t.arm(ROOT);
        t.arm(102);
        assert!(t.all_armed(), "103 was born traced: nothing to wait for");
    }
}
