//! A file's identity follows its open, not the path strace prints on each
//! later call: with `-y`, strace prints an fd's path as it is *now*, so a
//! file renamed while open (`4</d/a>` then `4</d/b>`), or a path spelled
//! otherwise later, would become a second file. The live sources key a
//! file by its open; so does this: the target an open returned
//! (`= 4</d/a>`) names the fd's file until that process closes, replaces or
//! execs over the fd, or exits.
//!
//! Keyed by (pid, fd): the log does not say which pids share an fd table,
//! so a thread or child using an fd it did not open keeps the path strace
//! printed.

use std::collections::HashMap;

use super::calls::{Args, Call};
use crate::event::MetaKind;

#[derive(Default)]
pub struct Opened {
    /// The target each open returned, without its `<` `>`.
    by_fd: HashMap<(u32, i64), Vec<u8>>,
}

impl Opened {
    /// `pid`'s open returned `fd`, whose target is `target`.
    pub fn open(&mut self, pid: u32, fd: i64, target: &[u8]) {
        let t = self.by_fd.entry((pid, fd)).or_default();
        t.clear();
        t.extend_from_slice(target);
    }

    /// The target `pid`'s open of `fd` returned, when it differs from
    /// `now` (what strace prints for the fd on this call) and both name
    /// paths; `None` when the path is the same, or the open was not seen.
    #[inline]
    pub fn renamed(&self, pid: u32, fd: i64, now: &[u8]) -> Option<&[u8]> {
        if self.by_fd.is_empty() {
            return None;
        }
        let t = self.by_fd.get(&(pid, fd))?;
        (t.as_slice() != now && names_path(t) && names_path(now)).then_some(t.as_slice())
    }

    /// Follows a completed call that ends an fd's open (`value`: its result
    /// when it succeeded).
    pub fn follow(&mut self, pid: u32, call: Call, args: &Args, value: Option<i64>) {
        if self.by_fd.is_empty() {
            return;
        }
        match call {
            Call::Meta(MetaKind::Close) => match args.get(0).num() {
                Some(fd) => {
                    self.by_fd.remove(&(pid, fd));
                }
                // Only the resumed half was in the log: which fd is unknown.
                None => self.drop_pid(pid),
            },
            // dup2/dup3 (and F_DUPFD) replace what the new fd was.
            Call::Dup | Call::Fcntl if call == Call::Dup || args.dupfd() => {
                if let Some(new) = value {
                    self.by_fd.remove(&(pid, new));
                }
            }
            // execve and close_range close fds the log does not name.
            Call::Exec | Call::CloseRange if value.is_some() => self.drop_pid(pid),
            _ => {}
        }
    }

    /// `pid` exited or exec'd: its opens are gone.
    pub fn drop_pid(&mut self, pid: u32) {
        if !self.by_fd.is_empty() {
            self.by_fd.retain(|&(p, _), _| p != pid);
        }
    }
}

/// Whether an fd's target is a path (`/d/a`; with -xx `\x2f\x64...`), not
/// a socket, pipe or anonymous inode.
fn names_path(target: &[u8]) -> bool {
    target.starts_with(b"/") || target.starts_with(b"\\x2f") || target.starts_with(b"\\57")
}
