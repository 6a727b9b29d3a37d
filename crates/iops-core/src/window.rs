//! The measurement window: the span of a run that is counted, for every
//! source. A live source (our tracer, a strace of a process that marks its
//! own window) sees events in order and counts while the window is open;
//! a source that reads timestamps (ETW, fs_usage) counts what falls between
//! the window's ends.
//!
//! A process marks its window with `fcntl(MARKER_FD, cookie, MARKER_BEGIN)`
//! before the measured code and `fcntl(MARKER_FD, cookie, MARKER_END)` after:
//! calls that fail with EBADF and do nothing else, which a tracer tells
//! apart by their arguments.

/// The fd of window markers: no real fd is ever this.
pub const MARKER_FD: i64 = -7_771;
/// The third argument of the marker that opens the window.
pub const MARKER_BEGIN: u64 = 1;
/// The third argument of the marker that closes it.
pub const MARKER_END: u64 = 2;

/// Where a window is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Not opened yet: nothing counts.
    Waiting,
    Open,
    /// Closed (its end marker, or a stop): nothing more counts.
    Closed,
}

/// A window on a clock whose instants are `T` (nanoseconds as `u64`, an
/// `Instant`, ...): its phase and the instants it opened and closed at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Window<T> {
    phase: Phase,
    begin: Option<T>,
    end: Option<T>,
}

impl<T: Copy + PartialOrd> Window<T> {
    /// A window that opens later (`open`, or a begin marker).
    pub fn waiting() -> Self {
        Window { phase: Phase::Waiting, begin: None, end: None }
    }

    /// A window open since `begin`.
    pub fn open_at(begin: T) -> Self {
        Window { phase: Phase::Open, begin: Some(begin), end: None }
    }

    /// A window whose ends are both known (a source that reads timestamps).
    pub fn between(begin: T, end: T) -> Self {
        let end = if end < begin { begin } else { end };
        Window { phase: Phase::Closed, begin: Some(begin), end: Some(end) }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    #[inline]
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    pub fn is_waiting(&self) -> bool {
        self.phase == Phase::Waiting
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The instant it opened at; `None` before (or when it closed unopened).
    pub fn begin(&self) -> Option<T> {
        self.begin
    }

    /// The instant it closed at; `None` while waiting or open.
    pub fn end(&self) -> Option<T> {
        self.end
    }

    /// Opens the window at `at`, whatever it was (a launch: counting
    /// starts with the command).
    pub fn open(&mut self, at: T) {
        *self = Self::open_at(at);
    }

    /// Closes it at `at` (a stop request): an open window ends there, a
    /// waiting one never opens.
    pub fn close(&mut self, at: T) {
        self.phase = Phase::Closed;
        self.end = Some(at);
    }

    /// A marker of the window's process with phase `phase` (`MARKER_BEGIN`,
    /// `MARKER_END`) made at `at`: a begin opens a waiting window, an end
    /// closes an open one, anything else changes nothing. Returns whether
    /// the window changed.
    pub fn marker(&mut self, phase: u64, at: T) -> bool {
        match (phase, self.phase) {
            (MARKER_BEGIN, Phase::Waiting) => {
                self.open(at);
                true
            }
            (MARKER_END, Phase::Open) => {
                self.close(at);
                true
            }
            _ => false,
        }
    }

    /// Whether instant `t` is inside: after an open window's begin, or
    /// between a closed one's ends (both included).
    #[inline]
    pub fn contains(&self, t: T) -> bool {
        match (self.begin, self.end) {
            (Some(b), None) => self.phase == Phase::Open && t >= b,
            (Some(b), Some(e)) => t >= b && t <= e,
            _ => false,
        }
    }
}

impl Window<u64> {
    /// Its length in the clock's unit: from begin to end, or to `last`
    /// (the latest instant seen) while open; 0 when it never opened.
    pub fn length(&self, last: u64) -> u64 {
        match self.begin {
            Some(b) => self.end.unwrap_or(last).saturating_sub(b),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_open_once_and_close_once() {
        let mut w = Window::<u64>::waiting();
        assert!(!w.contains(5));
        assert!(!w.marker(MARKER_END, 1));
        assert!(w.marker(MARKER_BEGIN, 10));
        assert!(w.is_open() && w.contains(10) && !w.contains(9));
        assert!(!w.marker(MARKER_BEGIN, 20), "a second begin does not move it");
        assert_eq!(w.length(25), 15);
        assert!(w.marker(MARKER_END, 30));
        assert!(!w.marker(MARKER_BEGIN, 40), "a closed window stays closed");
        assert_eq!((w.begin(), w.end(), w.length(99)), (Some(10), Some(30), 20));
        assert!(w.contains(30) && !w.contains(31));
    }

    #[test]
    fn fixed_and_stopped_windows() {
        let w = Window::between(5u64, 3);
        assert_eq!((w.begin(), w.end()), (Some(5), Some(5)));
        let mut w = Window::<u64>::waiting();
        w.close(7);
        assert!(w.is_closed() && !w.contains(7));
        assert_eq!(w.length(100), 0);
        let mut w = Window::open_at(1u64);
        w.close(4);
        assert_eq!(w.length(100), 3);
    }
}
