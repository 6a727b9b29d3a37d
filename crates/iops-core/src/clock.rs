//! A log's wall clock, the time of day (`strace -t`/`-tt`, fs_usage), made
//! one increasing scale across midnight.

/// Follows a time of day across midnight: a reading more than half a day
/// before the previous one is taken as the next day's.
#[derive(Clone, Copy, Debug)]
pub struct TimeOfDay {
    /// The length of a day in the readings' unit.
    day: u64,
    /// Whole days crossed so far, in that unit.
    offset: u64,
    previous: Option<u64>,
}

impl TimeOfDay {
    /// Nanoseconds in a day.
    pub const DAY_NS: u64 = 86_400 * 1_000_000_000;
    /// Microseconds in a day.
    pub const DAY_US: u64 = 86_400 * 1_000_000;

    /// A clock whose readings count `day` units a day (`DAY_NS`, `DAY_US`).
    pub fn new(day: u64) -> Self {
        TimeOfDay { day, offset: 0, previous: None }
    }

    /// Before any reading: the first one is compared with `tod` (a window's
    /// begin, known before the log), so a log that starts past midnight
    /// after a window begun before it is on the next day.
    pub fn expect(&mut self, tod: u64) {
        self.previous.get_or_insert(tod);
    }

    /// `tod` (a time of day) on the clock's increasing scale: itself plus
    /// the days crossed.
    #[inline]
    pub fn read(&mut self, tod: u64) -> u64 {
        if self.previous.is_some_and(|p| tod.saturating_add(self.day / 2) < p) {
            self.offset = self.offset.saturating_add(self.day);
        }
        self.previous = Some(tod);
        tod.saturating_add(self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::TimeOfDay;

    #[test]
    fn crosses_midnight_once_per_day() {
        let day = TimeOfDay::DAY_US;
        let mut c = TimeOfDay::new(day);
        assert_eq!(c.read(day - 10), day - 10);
        assert_eq!(c.read(5), day + 5);
        // A small step back (lines out of order) is no new day.
        assert_eq!(c.read(3), day + 3);
        assert_eq!(c.read(day - 1), day + day - 1);
        assert_eq!(c.read(0), 2 * day);
    }

    #[test]
    fn expected_start() {
        let day = TimeOfDay::DAY_NS;
        let mut c = TimeOfDay::new(day);
        c.expect(day - 100);
        assert_eq!(c.read(50), day + 50);
        let mut c = TimeOfDay::new(day);
        c.read(10);
        c.expect(day - 100); // readings came first: ignored
        assert_eq!(c.read(20), 20);
    }
}
