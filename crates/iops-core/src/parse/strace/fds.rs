//! What the log says about fds: the file an `-y` target names (through a
//! per-fd cache, so a line costs no allocation), and the position of each
//! fd whose open the log showed, followed through reads, writes, lseeks,
//! dups, closes and execs.

use std::borrow::Cow;
use std::collections::HashMap;

use memchr::memchr;

use super::calls::{Args, Call};
use crate::aggregate::{Aggregator, FileId};
use crate::event::{Direction, FdKind, MetaKind};
use crate::fd_kind;
use crate::path_name::name_text;
use crate::positions::{CallOffset, PositionTable};

/// Targets of annotated fds, by fd number, keyed by the annotation's bytes:
/// a hit costs one comparison, a miss one aggregator lookup.
pub struct Targets {
    slots: Vec<(Vec<u8>, Option<FileId>)>,
}

impl Targets {
    const SLOTS: usize = 256;

    pub fn new() -> Self {
        Targets { slots: (0..Self::SLOTS).map(|_| (Vec::new(), None)).collect() }
    }

    /// The file fd `fd` with target `annotation` (without its `<` `>`) refers to.
    pub fn file(&mut self, fd: i64, annotation: &[u8], agg: &mut Aggregator) -> FileId {
        let slot = &mut self.slots[(fd as usize) % Self::SLOTS];
        if let (key, Some(id)) = slot {
            if key.as_slice() == annotation {
                return *id;
            }
        }
        let (path, kind) = target(annotation);
        let id = agg.file(&path, kind);
        slot.0.clear();
        slot.0.extend_from_slice(annotation);
        slot.1 = Some(id);
        id
    }
}

impl Targets {
    /// The file cached for fd `fd` printed with target `annotation`, if any.
    #[inline]
    pub fn cached(&self, fd: i64, annotation: &[u8]) -> Option<FileId> {
        match &self.slots[(fd as usize) % Self::SLOTS] {
            (key, Some(id)) if key.as_slice() == annotation => Some(*id),
            _ => None,
        }
    }

    /// The file fd `fd`, printed with target `annotation`, refers to when
    /// its open named it `opened_as` (renamed since: see `opened`); cached
    /// under `annotation`.
    pub fn file_as(&mut self, fd: i64, annotation: &[u8], opened_as: &[u8], agg: &mut Aggregator) -> FileId {
        let slot = &mut self.slots[(fd as usize) % Self::SLOTS];
        if let (key, Some(id)) = slot {
            if key.as_slice() == annotation {
                return *id;
            }
        }
        let (path, kind) = target(opened_as);
        let id = agg.file(&path, kind);
        slot.0.clear();
        slot.0.extend_from_slice(annotation);
        slot.1 = Some(id);
        id
    }
}

/// The target of an fd annotation (without its `<` `>`): name (a path in
/// its text form, see `path_name`) and kind.
fn target(a: &[u8]) -> (String, FdKind) {
    // `/path` or, with -yy, `/dev/x<char M:m>` / `/dev/y<block M:m>`. strace
    // escapes `<` in a path, so the first raw one starts the device; with
    // -xx every byte of the path is escaped (`\x2f\x74...`).
    let (raw, dev) = match memchr(b'<', a) {
        Some(p) => (&a[..p], Some(a[p + 1..].strip_suffix(b">").unwrap_or(&a[p + 1..]))),
        None => (a, None),
    };
    let name = unescape(raw);
    if name.first() == Some(&b'/') {
        let path = name_text(&name).into_owned();
        let kind = match dev {
            Some(d) if d.starts_with(b"block ") => FdKind::BlockDevice,
            Some(d) if d.starts_with(b"char ") => fd_kind::char_device(super::lexer::parse_u64(d, 5).map_or(0, |(m, _)| m)),
            Some(_) => FdKind::Other,
            None => kind_by_path(&path),
        };
        return (path, kind);
    }
    let text = String::from_utf8_lossy(a).into_owned();
    let kind = if a.starts_with(b"pipe:") {
        FdKind::Pipe
    } else if a.starts_with(b"socket:") || a.first().is_some_and(u8::is_ascii_uppercase) {
        // -yy names the protocol: TCP:[...], UDPv6:[...], UNIX-STREAM:[...], NETLINK:[...].
        FdKind::Socket
    } else {
        FdKind::Other
    };
    (text, kind)
}

/// A path's kind when strace gave no device numbers (`-y`, not `-yy`).
fn kind_by_path(path: &str) -> FdKind {
    let Some(dev) = path.strip_prefix("/dev/") else { return FdKind::File };
    const TTYS: [&str; 4] = ["pts/", "tty", "console", "ptmx"];
    const BLOCKS: [&str; 10] = ["sd", "vd", "xvd", "hd", "nvme", "loop", "dm-", "md", "mmcblk", "mapper/"];
    if dev.starts_with("shm/") || dev.starts_with("mqueue/") || dev.starts_with("hugepages/") {
        FdKind::File
    } else if TTYS.iter().any(|t| dev.starts_with(t)) {
        FdKind::Tty
    } else if BLOCKS.iter().any(|b| dev.starts_with(b)) {
        FdKind::BlockDevice
    } else {
        FdKind::Other
    }
}

/// strace's C-style escapes in a path (`\76` is `>`, `\303\251` is `é`,
/// `\351` a byte that is not UTF-8) back to the name's bytes.
fn unescape(p: &[u8]) -> Cow<'_, [u8]> {
    if memchr(b'\\', p).is_none() {
        return Cow::Borrowed(p);
    }
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        if p[i] != b'\\' || i + 1 == p.len() {
            out.push(p[i]);
            i += 1;
            continue;
        }
        let c = p[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'f' => out.push(0x0c),
            b'x' => {
                let hex = p[i..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).count();
                out.push(u8::from_str_radix(std::str::from_utf8(&p[i..i + hex]).unwrap_or("0"), 16).unwrap_or(0));
                i += hex;
            }
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut n = 1;
                while n < 3 && i < p.len() && (b'0'..=b'7').contains(&p[i]) {
                    v = v * 8 + (p[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// File positions of the fds whose open the log showed, by (pid, fd).
/// Threads share fds (and forked children inherit them) and the log does
/// not say which pids share: a pid that moves, closes or replaces an fd it
/// did not open itself makes every other pid's entry of that fd number
/// unknown.
pub struct Positions {
    table: PositionTable<(u32, i64)>,
    /// Entries per fd number.
    tracked: HashMap<i64, u32>,
    /// Tracked fds that share one position (a `dup` and its original): once
    /// one of them moves it, the other's entry is wrong and is forgotten.
    shared: Vec<((u32, i64), (u32, i64))>,
}

impl Positions {
    pub fn new() -> Self {
        Positions { table: PositionTable::new(), tracked: HashMap::new(), shared: Vec::new() }
    }

    /// Follows fd positions through a completed call other than a data
    /// call (`value`: its result when it succeeded).
    pub fn follow(&mut self, pid: u32, call: Call, args: &Args, value: Option<i64>) {
        let fd = args.get(0).num();
        match call {
            Call::Meta(MetaKind::Open) => match value {
                // `args.n == 0`: only the resumed half was in the log, the flags are unknown.
                Some(new) if args.n > 0 => self.insert(pid, new, 0, args.append),
                Some(new) => self.forget(pid, new),
                None => {}
            },
            Call::Meta(MetaKind::Close) | Call::SeekUnread | Call::Seek if fd.is_none() => {
                // Only the resumed half was in the log: which fd is unknown.
                self.drop_pid(pid);
            }
            Call::Meta(MetaKind::Close) | Call::SeekUnread => {
                if let Some(fd) = fd {
                    self.forget(pid, fd);
                }
            }
            Call::Seek => match (fd, value) {
                // Only an fd whose open the log showed: one opened before it may be O_APPEND.
                (Some(fd), Some(pos)) if self.has(pid, fd) => {
                    self.moved(pid, fd);
                    self.table.seek((pid, fd), pos as u64);
                }
                (Some(fd), _) => self.forget(pid, fd),
                _ => {}
            },
            Call::Dup | Call::Fcntl if call == Call::Dup || args.dupfd() => {
                if let Some(new) = value.filter(|&new| fd != Some(new)) {
                    // dup2/dup3 close what `new` was, whoever opened it.
                    self.forget(pid, new);
                    self.forget_others(pid, new);
                    if let Some(old) = fd.filter(|&old| self.has(pid, old)) {
                        // `insert` counts the entry; `dup` copies it whole (an append's known end too).
                        let p = *self.table.get(&(pid, old)).expect("has");
                        self.insert(pid, new, p.pos(), p.is_append());
                        self.table.dup(&(pid, old), (pid, new));
                        self.shared.push(((pid, old), (pid, new)));
                    }
                }
            }
            Call::Fcntl if args.setfl() => {
                if let (Some(fd), Some(_)) = (fd, value) {
                    match self.table.get(&(pid, fd)).map(|p| p.pos()) {
                        Some(pos) => self.insert(pid, fd, pos, args.append),
                        None => self.forget(pid, fd),
                    }
                }
            }
            Call::DropsFds if value.is_some() => self.drop_pid(pid),
            _ => {}
        }
    }

    /// One fd's part of a data call that moved `bytes`: its start offset
    /// (advancing its position), `None` when unknown; and whether it is an
    /// append to an end never seen. `trusted`: the log would show every
    /// lseek, so a tracked position is right.
    pub fn advance(&mut self, pid: u32, fd: i64, direction: Direction, call: CallOffset, bytes: u64, trusted: bool) -> (Option<u64>, bool) {
        let explicit = match call {
            CallOffset::At(o) => Some(o),
            _ => None,
        };
        if self.has(pid, fd) {
            if call == CallOffset::Current {
                self.moved(pid, fd);
            }
            let start = self.table.advance(&(pid, fd), direction, call, bytes);
            if call != CallOffset::Current || trusted {
                // Tracked and trusted, yet unknown: an append to an end never seen.
                (start, start.is_none())
            } else {
                (None, false)
            }
        } else {
            if call == CallOffset::Current {
                self.forget_others(pid, fd);
            }
            (explicit, false)
        }
    }

    /// Whether `pid` tracks `fd` (it opened or dup'ed it in the log).
    #[inline]
    fn has(&self, pid: u32, fd: i64) -> bool {
        self.table.get(&(pid, fd)).is_some()
    }

    fn insert(&mut self, pid: u32, fd: i64, pos: u64, append: bool) {
        if !self.has(pid, fd) {
            *self.tracked.entry(fd).or_insert(0) += 1;
        }
        self.table.open((pid, fd), pos, append);
    }

    fn remove(&mut self, pid: u32, fd: i64) {
        if self.has(pid, fd) {
            self.table.close(&(pid, fd));
            if let Some(n) = self.tracked.get_mut(&fd) {
                *n -= 1;
                if *n == 0 {
                    self.tracked.remove(&fd);
                }
            }
            self.shared.retain(|&(a, b)| a != (pid, fd) && b != (pid, fd));
        }
    }

    /// `pid` closed, replaced or moved `fd`: its own entry goes; if it had
    /// none, the fd may be another pid's (a thread's, a parent's), whose goes.
    fn forget(&mut self, pid: u32, fd: i64) {
        if self.has(pid, fd) {
            self.remove(pid, fd);
        } else {
            self.forget_others(pid, fd);
        }
    }

    /// Other pids' entries of fd number `fd` (rare: only when some pid tracks it).
    fn forget_others(&mut self, pid: u32, fd: i64) {
        if self.tracked.get(&fd).is_some_and(|&n| n > u32::from(self.has(pid, fd))) {
            self.table.retain(|&(p, f)| f != fd || p == pid);
            self.drop_stale_pairs();
            let own = u32::from(self.has(pid, fd));
            if own == 0 {
                self.tracked.remove(&fd);
            } else {
                self.tracked.insert(fd, own);
            }
        }
    }

    /// `pid` exec'd, closed a range of fds or exited: its entries go.
    pub fn drop_pid(&mut self, pid: u32) {
        let mut gone = Vec::new();
        self.table.retain(|&(p, f)| {
            if p == pid {
                gone.push(f);
            }
            p != pid
        });
        for fd in gone {
            if let Some(n) = self.tracked.get_mut(&fd) {
                *n -= 1;
                if *n == 0 {
                    self.tracked.remove(&fd);
                }
            }
        }
        self.drop_stale_pairs();
    }

    fn drop_stale_pairs(&mut self) {
        let table = &self.table;
        self.shared.retain(|(a, b)| table.get(a).is_some() && table.get(b).is_some());
    }

    /// `pid`'s `fd` moves its position: fds sharing it no longer know theirs.
    #[inline]
    fn moved(&mut self, pid: u32, fd: i64) {
        if self.shared.is_empty() {
            return;
        }
        let key = (pid, fd);
        while let Some(i) = self.shared.iter().position(|&(a, b)| a == key || b == key) {
            let (a, b) = self.shared.swap_remove(i);
            let other = if a == key { b } else { a };
            self.remove(other.0, other.1);
        }
    }
}
