//! File positions of open fds, so that every data call gets the offset it
//! started at, including the calls that name no offset (`read`, `write`,
//! `readv`, `writev`, `sendfile` without an offset pointer): those start at
//! the fd's position and advance it by the bytes they moved.
//!
//! Any capture source can use it:
//!
//! - [`FdPosition`] is the state of one fd (a few words, no allocation). A
//!   source that already keeps a per-fd table (the ptrace tracer's fd cache)
//!   stores one in each entry, so a data call costs no extra lookup.
//! - [`PositionTable`] is that table for a source that has none (a log
//!   parser): fds keyed by anything hashable, e.g. `(pid, fd)`.
//!
//! The calls a source reports:
//!
//! | what happened | call |
//! | --- | --- |
//! | an fd was opened (position 0), or first seen with a known position | [`FdPosition::new`] / [`PositionTable::open`] |
//! | first seen *after* a data call, with the position it left (e.g. read from `/proc/<pid>/fdinfo` at the call's exit) | [`FdPosition::after_first_call`] |
//! | `lseek` returned a new position | [`FdPosition::seek`] / [`PositionTable::seek`] |
//! | a data call moved `bytes` | [`FdPosition::advance`] / [`PositionTable::advance`], which return the call's start offset |
//! | the fd was closed, or replaced (`dup2`, `dup3`, exec) | [`PositionTable::close`] (or drop the entry) |
//!
//! Limits, by design: a position is tracked per fd here, so two fds sharing
//! one open file description (after `dup` or `fork`) that both move it are
//! each followed on their own; a source that knows which fds share one
//! (the Linux tracer's fd table: one `FdPosition` per description, shared
//! by its fds) or reads the position from the kernel (eBPF) is exact.

use std::collections::HashMap;
use std::hash::Hash;

use crate::event::Direction;

/// Where a data call said it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOffset {
    /// At the fd's position, which it advances (`read`, `write`, `readv`,
    /// `writev`, `preadv2`/`pwritev2` with offset -1, `sendfile` with a null
    /// offset pointer, ...).
    Current,
    /// At an explicit offset; the fd's position does not move (`pread64`,
    /// `pwrite64`, `preadv`, `pwritev`, ...).
    At(u64),
    /// At an explicit offset the source could not read (an offset pointer of
    /// `sendfile`, `copy_file_range`, `splice`); the position does not move.
    Unknown,
    /// A write that lands at the end of the file whatever offset it names
    /// (pwrite(2) BUGS: `pwrite64`/`pwritev` on an `O_APPEND` fd;
    /// `pwritev2` with `RWF_APPEND`). `moves`: it was at the fd's position
    /// (`pwritev2` at offset -1), which it leaves at the new end; else the
    /// position does not move.
    End { moves: bool },
}

/// The position state of one fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdPosition {
    /// The fd's file position: where the next positionless read starts.
    pos: u64,
    /// Opened with `O_APPEND`: positionless writes land at the end of the file.
    append: bool,
    /// For an `O_APPEND` fd: the end of the file as of its last write here,
    /// where the next append lands if no other writer appends meanwhile (a
    /// source that can read the position at each append's end sets it then:
    /// `at`, `after_first_call`).
    end: Option<u64>,
}

impl FdPosition {
    /// An fd whose position is `pos` before its next call (0 right after `open`).
    /// For an `O_APPEND` fd, the end of the file is unknown until its first write
    /// seen through [`FdPosition::after_first_call`].
    pub fn new(pos: u64, append: bool) -> FdPosition {
        FdPosition { pos, append, end: None }
    }

    /// An fd whose position is `pos` just before its next call, and, for an
    /// `O_APPEND` fd, whose file ends there (a source that read the position
    /// at that call's end: `pos` = the position then - the bytes moved).
    pub fn at(pos: u64, append: bool) -> FdPosition {
        FdPosition { pos, append, end: append.then_some(pos) }
    }

    /// An fd first seen right after a data call that moved `bytes`, when its
    /// position is `pos_after`. Returns the state and the offset that call
    /// started at (for an `O_APPEND` write, the end of the file before it).
    pub fn after_first_call(pos_after: u64, append: bool, direction: Direction, call: CallOffset, bytes: u64) -> (FdPosition, Option<u64>) {
        let mut p = FdPosition { pos: pos_after, append, end: None };
        let start = match call {
            CallOffset::Current => {
                if append && direction == Direction::Write {
                    p.end = Some(pos_after);
                }
                Some(pos_after.saturating_sub(bytes))
            }
            CallOffset::At(offset) => Some(offset),
            CallOffset::Unknown | CallOffset::End { .. } => None,
        };
        (p, start)
    }

    /// The end of the file is `end` before the next call (a source that read
    /// it where an append left it).
    pub fn set_end(&mut self, end: u64) {
        self.end = Some(end);
    }

    /// The position `lseek` returned.
    #[inline]
    pub fn seek(&mut self, pos: u64) {
        self.pos = pos;
    }

    /// A data call of `bytes` on this fd: returns the offset it started at
    /// (`None` when unknown) and advances the position if the call used it.
    #[inline]
    pub fn advance(&mut self, direction: Direction, call: CallOffset, bytes: u64) -> Option<u64> {
        match call {
            CallOffset::At(offset) => Some(offset),
            CallOffset::Unknown => None,
            CallOffset::End { moves } => {
                // Where the last append seen here left the end, when known.
                let start = self.end?;
                let end = start.saturating_add(bytes);
                self.end = Some(end);
                if moves {
                    self.pos = end;
                }
                Some(start)
            }
            CallOffset::Current if self.append && direction == Direction::Write => {
                // An append lands at the end and leaves the position there.
                let start = self.end?;
                // Saturating: a garbled log may carry any numbers.
                let end = start.saturating_add(bytes);
                self.end = Some(end);
                self.pos = end;
                Some(start)
            }
            CallOffset::Current => {
                let start = self.pos;
                self.pos = self.pos.saturating_add(bytes);
                Some(start)
            }
        }
    }

    /// True when this call is an append whose start [`FdPosition::advance`]
    /// cannot know (the end of the file was never seen). A source that can
    /// read the position after the call replaces the state with
    /// [`FdPosition::after_first_call`] instead.
    pub fn append_end_unknown(&self, direction: Direction, call: CallOffset) -> bool {
        self.appends(direction, call) && self.end.is_none()
    }

    /// True when this call is an append: a positionless write on an
    /// `O_APPEND` fd, which lands at the end of the file.
    pub fn appends(&self, direction: Direction, call: CallOffset) -> bool {
        self.append && direction == Direction::Write && call == CallOffset::Current
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    pub fn is_append(&self) -> bool {
        self.append
    }
}

/// Positions of the fds a source has seen open, by key (e.g. `(pid, fd)`).
/// Memory grows with the number of open fds, not with operations.
#[derive(Debug)]
pub struct PositionTable<K> {
    fds: HashMap<K, FdPosition>,
}

impl<K> Default for PositionTable<K> {
    fn default() -> Self {
        PositionTable { fds: HashMap::new() }
    }
}

impl<K: Hash + Eq> PositionTable<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// An fd opened now (`open`, `openat`, `creat`: position 0), or
    /// one whose position is otherwise known. Replaces what `key` had.
    pub fn open(&mut self, key: K, pos: u64, append: bool) {
        self.fds.insert(key, FdPosition::new(pos, append));
    }

    /// `lseek` on `key` returned `pos`. An fd opened before the source could
    /// see it becomes known from here on.
    pub fn seek(&mut self, key: K, pos: u64) {
        self.fds.entry(key).and_modify(|p| p.seek(pos)).or_insert(FdPosition::new(pos, false));
    }

    /// A data call on `key`: its start offset, `None` when unknown (an fd the
    /// source never saw opened or seeked, and the call named no offset).
    pub fn advance(&mut self, key: &K, direction: Direction, call: CallOffset, bytes: u64) -> Option<u64> {
        match self.fds.get_mut(key) {
            Some(p) => p.advance(direction, call, bytes),
            None => match call {
                CallOffset::At(offset) => Some(offset),
                _ => None,
            },
        }
    }

    /// `key` was closed or replaced.
    pub fn close(&mut self, key: &K) {
        self.fds.remove(key);
    }

    /// `dup(from) = to` and friends: `to` starts where `from` is.
    pub fn dup(&mut self, from: &K, to: K) {
        match self.fds.get(from).copied() {
            Some(p) => {
                self.fds.insert(to, p);
            }
            None => {
                self.fds.remove(&to);
            }
        }
    }

    /// Drops every fd for which `keep` is false (a process exited or exec'd).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.fds.retain(|k, _| keep(k));
    }

    pub fn get(&self, key: &K) -> Option<&FdPosition> {
        self.fds.get(key)
    }

    pub fn len(&self) -> usize {
        self.fds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CallOffset::*;
    use Direction::{Read as R, Write as W};

    #[test]
    fn reads_advance_the_position_preads_do_not() {
        let mut p = FdPosition::new(0, false);
        assert_eq!(p.advance(R, Current, 100), Some(0));
        assert_eq!(p.advance(R, Current, 100), Some(100));
        assert_eq!(p.advance(R, At(5000), 100), Some(5000));
        assert_eq!(p.advance(W, Current, 10), Some(200));
        assert_eq!(p.advance(R, Unknown, 10), None);
        assert_eq!(p.pos(), 210);
        p.seek(4096);
        assert_eq!(p.advance(R, Current, 0), Some(4096));
        assert_eq!(p.pos(), 4096);
    }

    #[test]
    fn first_seen_after_a_call_starts_where_that_call_started() {
        let (mut p, start) = FdPosition::after_first_call(300, false, R, Current, 100);
        assert_eq!(start, Some(200));
        assert_eq!(p.advance(R, Current, 50), Some(300));
        let (p, start) = FdPosition::after_first_call(0, false, R, At(8192), 4096);
        assert_eq!(start, Some(8192));
        assert_eq!(p.pos(), 0);
    }

    #[test]
    fn appends_land_at_the_end_whatever_the_position() {
        // First seen after a 10-byte append that left the file 1010 bytes long.
        let (mut p, start) = FdPosition::after_first_call(1010, true, W, Current, 10);
        assert_eq!(start, Some(1000));
        p.seek(0);
        assert_eq!(p.advance(R, Current, 5), Some(0));
        assert_eq!(p.advance(W, Current, 10), Some(1010));
        assert_eq!(p.advance(W, Current, 10), Some(1020));
        assert_eq!(p.pos(), 1030);
        // Opened with O_APPEND and never seen writing: the end is unknown.
        let mut q = FdPosition::new(0, true);
        assert!(q.append_end_unknown(W, Current));
        assert!(!q.append_end_unknown(R, Current) && !q.append_end_unknown(W, At(0)));
        assert_eq!(q.advance(W, Current, 10), None);
        assert_eq!(q.advance(R, Current, 10), Some(0));
    }

    #[test]
    fn explicit_offset_appends_land_at_the_end() {
        // pwrite(2) BUGS: the end as last seen here, not the offset named.
        let (mut p, _) = FdPosition::after_first_call(500, true, W, Current, 100);
        assert_eq!(p.advance(W, End { moves: false }, 100), Some(500));
        assert_eq!(p.pos(), 500, "a pwrite leaves the position");
        assert_eq!(p.advance(W, End { moves: true }, 100), Some(600));
        assert_eq!(p.pos(), 700, "RWF_APPEND at the position moves it to the end");
        p.set_end(1000);
        assert_eq!(p.advance(W, End { moves: false }, 10), Some(1000));
        assert_eq!(FdPosition::new(0, false).advance(W, End { moves: false }, 10), None, "end never seen");
    }

    #[test]
    fn table_follows_open_seek_dup_close() {
        let mut t: PositionTable<(i32, i32)> = PositionTable::new();
        assert_eq!(t.advance(&(1, 3), R, Current, 10), None, "never seen opened");
        assert_eq!(t.advance(&(1, 3), R, At(7), 10), Some(7));
        t.open((1, 3), 0, false);
        assert_eq!(t.advance(&(1, 3), R, Current, 10), Some(0));
        t.dup(&(1, 3), (1, 4));
        assert_eq!(t.advance(&(1, 4), R, Current, 10), Some(10));
        t.seek((1, 3), 100);
        assert_eq!(t.advance(&(1, 3), W, Current, 1), Some(100));
        t.close(&(1, 3));
        assert_eq!(t.advance(&(1, 3), R, Current, 1), None);
        t.seek((1, 5), 42);
        assert_eq!(t.advance(&(1, 5), R, Current, 1), Some(42));
        t.retain(|(pid, _)| *pid != 1);
        assert!(t.is_empty());
    }
}
