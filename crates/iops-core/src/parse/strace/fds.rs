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
use crate::positions::{CallOffset, FdPosition};

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

/// An open file description the log showed made (an open): its position,
/// moved by every fd that holds it, in any process, as the kernel moves
/// one `f_pos` (the ptrace source follows descriptions the same way).
struct Description {
    position: FdPosition,
    /// False once a call moved it by an amount the log does not show
    /// (`_llseek`, whose result is behind a pointer).
    known: bool,
    /// Fds (of any table) that hold it.
    refs: u32,
}

/// One fd of a table: its description and whether exec closes it.
#[derive(Clone, Copy)]
struct Entry {
    desc: u32,
    cloexec: bool,
}

/// An fd table, shared by the pids that use it (threads: `CLONE_FILES`).
struct Table {
    users: u32,
    /// Not born in the log (the first process, or one attached to): it may
    /// share its fds with another such pid (a thread the log never showed
    /// made), so a use of an fd it did not open speaks for theirs too.
    unborn: bool,
}

/// A pid's fd table.
#[derive(Clone, Copy)]
struct Pid {
    table: u32,
    /// Made by a clone, fork or vfork the log showed: its table is known.
    born: bool,
}

/// File positions of the fds whose open the log showed, followed the
/// kernel's way: fds (per fd table) hold open file descriptions, which
/// hold the position; `dup` and fork share a description, `CLONE_FILES`
/// (threads) shares the table itself. A fork or clone the log shows gives
/// the child its parent's table (or a copy); a pid the log never showed
/// born may share fds with another such pid, so a use of an fd it did not
/// open makes every such pid's entry of that fd number unknown.
pub struct Positions {
    pids: HashMap<u32, Pid>,
    /// The last pid looked up and its table: a log's calls come in runs of one thread.
    last: Option<(u32, u32)>,
    tables: HashMap<u32, Table>,
    next_table: u32,
    fds: HashMap<(u32, i64), Entry>,
    descriptions: Vec<Description>,
    free: Vec<u32>,
    /// Entries per fd number in unborn tables (see `Table::unborn`): most
    /// uses of an fd never opened in the log then cost one probe.
    unborn_fds: HashMap<i64, u32>,
}

impl Positions {
    pub fn new() -> Self {
        Positions {
            pids: HashMap::new(),
            last: None,
            tables: HashMap::new(),
            next_table: 0,
            fds: HashMap::new(),
            descriptions: Vec::new(),
            free: Vec::new(),
            unborn_fds: HashMap::new(),
        }
    }

    /// Whether `pid` has been seen using fds, or born (and if so, it is
    /// the one the next lookup finds at once).
    #[inline]
    pub fn knows(&mut self, pid: u32) -> bool {
        if self.last.is_some_and(|(p, _)| p == pid) {
            return true;
        }
        match self.pids.get(&pid) {
            Some(p) => {
                self.last = Some((pid, p.table));
                true
            }
            None => false,
        }
    }

    /// The table of `pid`; a pid first seen here gets a table of its own,
    /// unborn (see `Table::unborn`).
    #[inline]
    fn table(&mut self, pid: u32) -> u32 {
        if let Some((p, t)) = self.last {
            if p == pid {
                return t;
            }
        }
        let t = match self.pids.get(&pid) {
            Some(p) => p.table,
            None => {
                let t = self.new_table(true);
                self.pids.insert(pid, Pid { table: t, born: false });
                t
            }
        };
        self.last = Some((pid, t));
        t
    }

    fn new_table(&mut self, unborn: bool) -> u32 {
        let t = self.next_table;
        self.next_table = self.next_table.wrapping_add(1);
        self.tables.insert(t, Table { users: 1, unborn });
        t
    }

    fn unborn(&self, table: u32) -> bool {
        self.tables.get(&table).is_some_and(|t| t.unborn)
    }

    /// `parent` made `child` (clone, clone3, fork, vfork): with
    /// `shares_files` (CLONE_FILES) the child uses the parent's table, else
    /// a copy of it, each fd holding the parent's description. A child seen
    /// before (its lines came before the parent's call returned) keeps the
    /// fds it opened meanwhile.
    pub fn cloned(&mut self, parent: u32, child: u32, shares_files: bool) {
        if parent == child || self.pids.get(&child).is_some_and(|p| p.born) {
            return;
        }
        let from = self.table(parent);
        // What the child did before the log said whose it is.
        let old = self.pids.get(&child).copied();
        let own: Vec<(i64, Entry)> = old.map(|p| self.entries(p.table).collect()).unwrap_or_default();
        let table = if shares_files {
            if let Some(t) = self.tables.get_mut(&from) {
                t.users += 1;
            }
            from
        } else {
            let t = self.new_table(false);
            let copies: Vec<(i64, Entry)> = self.entries(from).collect();
            for (fd, e) in copies {
                self.put(t, fd, e);
            }
            t
        };
        for (fd, e) in own {
            self.put(table, fd, e);
        }
        // Left after its fds moved: their descriptions stay held throughout.
        if old.is_some() {
            self.leave(child);
        }
        self.pids.insert(child, Pid { table, born: true });
        self.last = None;
    }

    /// The entries of table `t` (rare: at a fork, an exec or a clone).
    fn entries(&self, t: u32) -> impl Iterator<Item = (i64, Entry)> + '_ {
        self.fds.iter().filter(move |((tab, _), _)| *tab == t).map(|(&(_, fd), &e)| (fd, e))
    }

    /// `fd` of table `t` holds `e` (its description held once more), in
    /// place of what it held.
    fn put(&mut self, t: u32, fd: i64, e: Entry) {
        if let Some(d) = self.descriptions.get_mut(e.desc as usize) {
            d.refs += 1;
        }
        self.remove(t, fd);
        self.fds.insert((t, fd), e);
        if self.unborn(t) {
            *self.unborn_fds.entry(fd).or_insert(0) += 1;
        }
    }

    /// `fd` of table `t` is closed or replaced.
    fn remove(&mut self, t: u32, fd: i64) {
        if let Some(e) = self.fds.remove(&(t, fd)) {
            self.release(e.desc);
            if self.unborn(t) {
                if let Some(n) = self.unborn_fds.get_mut(&fd) {
                    *n -= 1;
                    if *n == 0 {
                        self.unborn_fds.remove(&fd);
                    }
                }
            }
        }
    }

    fn release(&mut self, desc: u32) {
        if let Some(d) = self.descriptions.get_mut(desc as usize) {
            d.refs -= 1;
            if d.refs == 0 {
                self.free.push(desc);
            }
        }
    }

    /// A new description at `pos`, held by no fd yet (`put` holds it).
    fn describe(&mut self, pos: u64, append: bool) -> u32 {
        let d = Description { position: FdPosition::new(pos, append), known: true, refs: 0 };
        match self.free.pop() {
            Some(i) => {
                self.descriptions[i as usize] = d;
                i
            }
            None => {
                self.descriptions.push(d);
                (self.descriptions.len() - 1) as u32
            }
        }
    }

    /// The description `fd` of `pid` holds, when the log showed it made.
    fn description(&mut self, pid: u32, fd: i64) -> Option<&mut Description> {
        let t = self.table(pid);
        let e = self.fds.get(&(t, fd))?;
        self.descriptions.get_mut(e.desc as usize)
    }

    /// `pid` closed, replaced or moved `fd` unseen: its entry goes; if it
    /// had none, the fd may be another unborn pid's, whose goes.
    fn forget(&mut self, pid: u32, fd: i64) {
        let t = self.table(pid);
        if self.fds.contains_key(&(t, fd)) {
            self.remove(t, fd);
        } else {
            self.forget_others(t, fd);
        }
    }

    /// Other unborn tables' entries of fd number `fd`, when table `t` (of a
    /// pid that may share theirs) uses it without having it.
    fn forget_others(&mut self, t: u32, fd: i64) {
        if !self.unborn(t) || !self.unborn_fds.contains_key(&fd) {
            return;
        }
        let others: Vec<u32> = self.fds.keys().filter(|&&(tab, f)| f == fd && tab != t).map(|&(tab, _)| tab).collect();
        for tab in others {
            if self.unborn(tab) {
                self.remove(tab, fd);
            }
        }
    }

    /// Follows fd positions through a completed call other than a data
    /// call (`value`: its result when it succeeded).
    pub fn follow(&mut self, pid: u32, call: Call, args: &Args, value: Option<i64>) {
        let fd = args.get(0).num();
        match call {
            Call::Meta(MetaKind::Open) => match value {
                // `args.n == 0`: only the resumed half was in the log, the flags are unknown.
                Some(new) if args.n > 0 => {
                    let t = self.table(pid);
                    let desc = self.describe(0, args.append);
                    self.put(t, new, Entry { desc, cloexec: args.cloexec() });
                }
                Some(new) => self.forget(pid, new),
                None => {}
            },
            Call::Meta(MetaKind::Close) | Call::SeekUnread | Call::Seek if fd.is_none() => {
                // Only the resumed half was in the log: which fd is unknown.
                self.clear(pid);
            }
            Call::Meta(MetaKind::Close) => {
                if let Some(fd) = fd {
                    self.forget(pid, fd);
                }
            }
            Call::SeekUnread => {
                if let Some(fd) = fd {
                    match self.description(pid, fd) {
                        Some(d) => d.known = false,
                        None => self.forget(pid, fd),
                    }
                }
            }
            Call::Seek => match (fd, value) {
                // Only an fd whose open the log showed: one opened before it may be O_APPEND.
                (Some(fd), Some(pos)) => match self.description(pid, fd) {
                    Some(d) => {
                        d.position.seek(pos as u64);
                        d.known = true;
                    }
                    None => self.forget(pid, fd),
                },
                (Some(fd), None) => self.forget(pid, fd),
                _ => {}
            },
            Call::Dup | Call::Fcntl if call == Call::Dup || args.dupfd() => {
                if let Some(new) = value.filter(|&new| fd != Some(new)) {
                    // dup2/dup3 close what `new` was, whoever opened it.
                    self.forget(pid, new);
                    let t = self.table(pid);
                    self.forget_others(t, new);
                    if let Some(e) = fd.and_then(|old| self.fds.get(&(t, old)).copied()) {
                        self.put(t, new, Entry { desc: e.desc, cloexec: args.cloexec() });
                    }
                }
            }
            Call::Fcntl if args.setfl() => {
                if let (Some(fd), Some(_)) = (fd, value) {
                    match self.description(pid, fd) {
                        // O_APPEND is the description's: the end of the file is unknown again.
                        Some(d) => d.position = FdPosition::new(d.position.pos(), args.append),
                        None => self.forget(pid, fd),
                    }
                }
            }
            Call::Fcntl => {
                if let (Some(fd), Some(cloexec), Some(_)) = (fd, args.setfd(), value) {
                    let t = self.table(pid);
                    if let Some(e) = self.fds.get_mut(&(t, fd)) {
                        e.cloexec = cloexec;
                    }
                }
            }
            Call::Exec if value.is_some() => self.exec(pid),
            Call::CloseRange if value.is_some() => {
                let first = fd.unwrap_or(0);
                // `~0U` (no number): to the last fd.
                let last = args.get(1).num().unwrap_or(i64::MAX);
                let t = self.table(pid);
                let gone: Vec<i64> = self.entries(t).map(|(fd, _)| fd).filter(|fd| (first..=last).contains(fd)).collect();
                for fd in gone {
                    self.remove(t, fd);
                }
            }
            Call::Clone => {
                if let Some(child) = value.filter(|&c| c > 0) {
                    self.cloned(pid, child as u32, args.shares_files());
                }
            }
            Call::Unshare if value.is_some() && args.shares_files() => {
                self.unshare(pid);
            }
            _ => {}
        }
    }

    /// `pid` no longer shares its table (exec, `unshare(CLONE_FILES)`): a
    /// table shared with others becomes its own copy. Returns the table.
    fn unshare(&mut self, pid: u32) -> Option<u32> {
        let p = self.pids.get(&pid).copied()?;
        if self.tables.get(&p.table).is_none_or(|tab| tab.users == 1) {
            return Some(p.table);
        }
        let unborn = self.unborn(p.table);
        let copies: Vec<(i64, Entry)> = self.entries(p.table).collect();
        // The shared table keeps its other users: leaving it frees nothing.
        self.leave(pid);
        let t = self.new_table(unborn);
        for (fd, e) in copies {
            self.put(t, fd, e);
        }
        self.pids.insert(pid, Pid { table: t, born: p.born });
        self.last = None;
        Some(t)
    }

    /// `pid` exec'd: its table becomes its own (exec unshares it), then its
    /// close-on-exec fds close.
    fn exec(&mut self, pid: u32) {
        let Some(t) = self.unshare(pid) else { return };
        let gone: Vec<i64> = self.entries(t).filter(|(_, e)| e.cloexec).map(|(fd, _)| fd).collect();
        for fd in gone {
            self.remove(t, fd);
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
        let t = self.table(pid);
        let Some(e) = self.fds.get(&(t, fd)) else {
            if call == CallOffset::Current {
                self.forget_others(t, fd);
            }
            return (explicit, false);
        };
        let d = &mut self.descriptions[e.desc as usize];
        if !d.known {
            return (explicit, false);
        }
        let start = d.position.advance(direction, call, bytes);
        if call != CallOffset::Current || trusted {
            // Tracked and trusted, yet unknown: an append to an end never seen.
            (start, start.is_none())
        } else {
            (None, false)
        }
    }

    /// `pid` closed an fd the log does not say (a resumed half alone): its
    /// table's entries go.
    fn clear(&mut self, pid: u32) {
        let t = self.table(pid);
        let gone: Vec<i64> = self.entries(t).map(|(fd, _)| fd).collect();
        for fd in gone {
            self.remove(t, fd);
        }
    }

    /// `pid` stops using its table (it exited, or is given another); the
    /// table's entries go with its last user.
    fn leave(&mut self, pid: u32) {
        self.last = None;
        let Some(p) = self.pids.remove(&pid) else { return };
        let last = match self.tables.get_mut(&p.table) {
            Some(t) => {
                t.users -= 1;
                t.users == 0
            }
            None => false,
        };
        if last {
            let gone: Vec<i64> = self.entries(p.table).map(|(fd, _)| fd).collect();
            for fd in gone {
                self.remove(p.table, fd);
            }
            self.tables.remove(&p.table);
        }
    }

    /// `pid` exited.
    pub fn drop_pid(&mut self, pid: u32) {
        self.leave(pid);
    }
}
