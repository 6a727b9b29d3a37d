//! strace output, a line at a time: whatever subset of `-f`, `-y`/`-yy`,
//! `-T`, `-t`/`-tt`/`-ttt`/`-r` the log was written with.
//!
//! A line is `[pid] [timestamp] name(args) = result [<duration>]`, or one half
//! of a call that another thread interrupted (`name(args <unfinished ...>`,
//! later `<... name resumed>args) = result`), or a signal (`--- SIG... ---`)
//! or exit (`+++ exited with 0 +++`) notice. Arguments are scanned with quotes,
//! escapes and brackets respected, so a data preview holding `)`, `"`, `=` or
//! `<unfinished ...>` never ends a call early. A data call's fd carries its
//! target with `-y` (`3</tmp/x>`, `5<TCP:[...]>`, `1</dev/pts/0<char 136:0>>`),
//! which tells files from sockets, pipes and ttys; without `-y` every fd is
//! counted and the report says so.
//!
//! Per line: no allocation (a file's target is looked up through a per-fd
//! cache that compares the annotation's bytes), one pass over the line.

use std::borrow::Cow;
use std::collections::HashMap;

use memchr::memchr;

use super::strace_names::{errno_name, signal_number};
use super::{LineParser, Score, Unparsed};
use crate::aggregate::{Aggregator, FileId};
use crate::event::{DataOp, Direction, FdKind, MetaKind, Syscall};
use crate::fd_kind;
use crate::path_name::name_text;
use crate::positions::{CallOffset, PositionTable};
use crate::report::{ExitInfo, Report, ReportContext};
use crate::warning::{Warning, WarningCode};

/// What a syscall name means to us.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Call {
    Data(Syscall),
    Meta(MetaKind),
    SigReturn,
    IoUring,
    /// Calls that move or copy fd positions (see `track`).
    Seek,
    /// `_llseek`/`llseek`: the new position is behind a pointer; the fd's becomes unknown.
    SeekUnread,
    Dup,
    Fcntl,
    /// `execve`, `close_range`: fds close without a `close` line.
    DropsFds,
    /// Calls every process makes at start that no storage filter names:
    /// their presence says the trace set is not filtered.
    Routine,
    Other,
}

fn classify(name: &[u8]) -> Call {
    use Syscall as S;
    match name {
        b"read" => Call::Data(S::Read),
        b"write" => Call::Data(S::Write),
        b"pread64" => Call::Data(S::Pread64),
        b"pwrite64" => Call::Data(S::Pwrite64),
        b"readv" => Call::Data(S::Readv),
        b"writev" => Call::Data(S::Writev),
        b"preadv" => Call::Data(S::Preadv),
        b"pwritev" => Call::Data(S::Pwritev),
        b"preadv2" => Call::Data(S::Preadv2),
        b"pwritev2" => Call::Data(S::Pwritev2),
        b"sendfile" | b"sendfile64" => Call::Data(S::Sendfile),
        b"copy_file_range" => Call::Data(S::CopyFileRange),
        b"splice" => Call::Data(S::Splice),
        b"open" | b"openat" | b"openat2" | b"creat" => Call::Meta(MetaKind::Open),
        b"close" => Call::Meta(MetaKind::Close),
        b"stat" | b"fstat" | b"lstat" | b"newfstatat" | b"statx" | b"stat64" | b"fstat64" | b"lstat64" | b"fstatat64" => {
            Call::Meta(MetaKind::Stat)
        }
        b"fsync" | b"fdatasync" => Call::Meta(MetaKind::Fsync),
        b"unlink" | b"unlinkat" | b"rmdir" => Call::Meta(MetaKind::Unlink),
        b"rename" | b"renameat" | b"renameat2" => Call::Meta(MetaKind::Rename),
        b"getdents" | b"getdents64" => Call::Meta(MetaKind::Getdents),
        b"rt_sigreturn" => Call::SigReturn,
        b"io_uring_setup" | b"io_uring_enter" => Call::IoUring,
        b"lseek" => Call::Seek,
        b"_llseek" | b"llseek" => Call::SeekUnread,
        b"dup" | b"dup2" | b"dup3" => Call::Dup,
        b"fcntl" | b"fcntl64" => Call::Fcntl,
        b"execve" | b"execveat" | b"close_range" => Call::DropsFds,
        b"brk" | b"mprotect" | b"munmap" | b"arch_prctl" | b"set_tid_address" | b"set_robust_list" | b"rseq" | b"prlimit64" => {
            Call::Routine
        }
        _ => Call::Other,
    }
}

/// One top-level argument, as far as we need it: an integer (fds, counts,
/// offsets) and, for an fd printed with `-y`, the file it refers to.
#[derive(Clone, Copy, Default, Debug)]
struct Arg {
    num: Option<i64>,
    file: Option<FileId>,
    /// `NULL` (an offset pointer that says "use the fd's position").
    null: bool,
}

/// Arguments kept per call: the calls we follow read no further than the
/// fourth (an offset); fewer kept is less to copy for every split call.
const MAX_ARGS: usize = 4;

#[derive(Clone, Copy, Default, Debug)]
struct Args {
    v: [Arg; MAX_ARGS],
    n: usize,
    /// An `O_APPEND` flag appears among them (open flags).
    append: bool,
    /// The second argument is `F_DUPFD`/`F_DUPFD_CLOEXEC` (fcntl).
    dupfd: bool,
    /// The second argument is `F_SETFL` (fcntl; may set or clear `O_APPEND`).
    setfl: bool,
}

impl Args {
    fn get(&self, i: usize) -> Arg {
        if i < self.n.min(MAX_ARGS) {
            self.v[i]
        } else {
            Arg::default()
        }
    }
}

/// A call printed `<unfinished ...>`, waiting for its `resumed` half.
#[derive(Clone, Copy, Debug)]
struct Pending {
    call: Call,
    args: Args,
    start_ns: Option<u64>,
}

/// A data call that stopped with `? ERESTARTSYS`: a signal handler's
/// `rt_sigreturn` then says `-1 EINTR` (a failure) or the call runs again.
#[derive(Clone, Copy, Debug)]
struct Interrupted {
    syscall: Syscall,
    fd: Option<i64>,
    storage: bool,
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Value(i64),
    Error(&'static str),
    /// `? ERESTARTSYS`/`ERESTARTNOHAND`: restarted or EINTR, the handler decides.
    RestartUnlessHandled,
    /// `? ERESTARTNOINTR`/`ERESTART_RESTARTBLOCK`, `= ?` (the process ended
    /// in the call): no result.
    NoResult,
}

/// Where the argument scan stopped.
enum End {
    /// After the closing `)`.
    Closed(usize),
    /// At `<unfinished ...>`; `dropped` when the same line says the call
    /// never returned (`<unfinished ...>) = ?`, `<detached ...>`).
    Unfinished { dropped: bool },
}

const UNFINISHED: &[u8] = b"<unfinished ...>";
const DETACHED: &[u8] = b"<detached ...>";

/// Targets of annotated fds, by fd number, keyed by the annotation's bytes:
/// a hit costs one comparison, a miss one aggregator lookup.
struct FileCache {
    slots: Vec<(Vec<u8>, Option<FileId>)>,
}

impl FileCache {
    const SLOTS: usize = 256;

    fn new() -> Self {
        FileCache { slots: (0..Self::SLOTS).map(|_| (Vec::new(), None)).collect() }
    }
}

/// Per-thread state for the few threads that have some: a short list,
/// searched linearly (cheaper than hashing on every line; it holds at most
/// one entry per thread in a call, usually none).
struct PidMap<T> {
    entries: Vec<(u32, T)>,
}

impl<T> Default for PidMap<T> {
    fn default() -> Self {
        PidMap { entries: Vec::new() }
    }
}

impl<T> PidMap<T> {
    #[inline]
    fn remove(&mut self, pid: &u32) -> Option<T> {
        if self.entries.is_empty() {
            return None;
        }
        let i = self.entries.iter().position(|(p, _)| p == pid)?;
        Some(self.entries.swap_remove(i).1)
    }

    #[inline]
    fn get(&self, pid: &u32) -> Option<&T> {
        self.entries.iter().find(|(p, _)| p == pid).map(|(_, v)| v)
    }

    fn insert(&mut self, pid: u32, v: T) {
        self.remove(&pid);
        self.entries.push((pid, v));
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn clear(&mut self) {
        self.entries.clear();
    }
}

/// What the clock of the log looks like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Clock {
    /// `-t`/`-tt`: time of day; wraps at midnight.
    TimeOfDay,
    /// `-ttt`: seconds since the epoch.
    Unix,
    /// `-r`: seconds since the previous line.
    Relative,
}

#[derive(Default)]
struct Exit {
    code: Option<i32>,
    signal: Option<String>,
}

/// Parses strace output into the aggregator. See the module docs.
pub struct StraceParser {
    line_number: u64,
    unparsed: Unparsed,
    /// The last line was not understood: if it is also the last of the
    /// input, it is reported as a truncated last line instead.
    last_failed: Option<(u64, String)>,
    /// A line that opened a call and stopped before its `)`: maybe the first
    /// half of a call the traced program's own output cut in two (strace
    /// and the program writing to one stream, `strace ./app 2>&1`): strace
    /// prints a call's entry, the program writes, strace prints `) = result`.
    /// Held until that second half comes (see `rejoin`).
    split_start: Option<(u64, Vec<u8>)>,
    /// Calls put back together from their two halves.
    rejoined: u64,
    pending: PidMap<Pending>,
    interrupted: PidMap<Interrupted>,
    cache: FileCache,
    unannotated: Option<FileId>,
    orphan_file: Option<FileId>,
    /// Counts behind the warnings and the report's shape.
    annotated_ops: u64,
    unannotated_ops: u64,
    orphan_resumed: u64,
    never_finished: u64,
    durations: u64,
    saw_other_calls: bool,
    saw_io_uring: bool,
    clock: Option<Clock>,
    first_ns: Option<u64>,
    last_ns: u64,
    /// A timestamp had a fraction of a second (`-t` has none: whole seconds).
    sub_second: bool,
    /// Time-of-day clock: nanoseconds added for each midnight crossed.
    day_offset: u64,
    prev_raw_ns: u64,
    root_pid: Option<u32>,
    exit: Option<Exit>,
    /// Counting only between a process's window markers (see `windowed`).
    window: Option<Window>,
    /// File positions of the fds whose open the log showed, by (pid, fd).
    /// Threads share fds (and forked children inherit them) and the log does
    /// not say which pids share: a pid that moves, closes or replaces an fd
    /// it did not open itself makes every other pid's entry of that fd
    /// number unknown. `tracked` counts the entries per fd number.
    positions: PositionTable<(u32, i64)>,
    tracked: HashMap<i64, u32>,
    /// Tracked fds that share one position (a `dup` and its original): once
    /// one of them moves it, the other's entry is wrong and is forgotten.
    shared: Vec<((u32, i64), (u32, i64))>,
    /// An lseek line appeared, or calls that only an unfiltered trace shows:
    /// the log would show lseeks, so tracked positions are right.
    saw_seek: bool,
    saw_routine: bool,
    /// The caller ran strace with lseek in its trace set (`tracing_lseek`).
    lseek_traced: bool,
    saw_open: bool,
    /// Positionless data calls on files whose start offset is unknown:
    /// the fd's position, or (appends) the file's end.
    unknown_positions: u64,
    unknown_appends: u64,
}

/// A measured window inside a traced process, marked by
/// `fcntl(MARKER_FD, cookie, 1)` before and `fcntl(MARKER_FD, cookie, 2)`
/// after (calls that fail with EBADF and do nothing else).
#[derive(Clone, Copy, Debug)]
struct Window {
    cookie: i64,
    inside: bool,
    begin_ns: Option<u64>,
    end_ns: Option<u64>,
    seen: bool,
}

/// The fd of window markers: no real fd is ever this.
pub const MARKER_FD: i64 = -7_771;

impl Default for StraceParser {
    fn default() -> Self {
        Self::new()
    }
}

const NS_PER_DAY: u64 = 86_400 * 1_000_000_000;

impl StraceParser {
    pub fn new() -> Self {
        StraceParser {
            line_number: 0,
            unparsed: Unparsed::default(),
            last_failed: None,
            split_start: None,
            rejoined: 0,
            pending: PidMap::default(),
            interrupted: PidMap::default(),
            cache: FileCache::new(),
            unannotated: None,
            orphan_file: None,
            annotated_ops: 0,
            unannotated_ops: 0,
            orphan_resumed: 0,
            never_finished: 0,
            durations: 0,
            saw_other_calls: false,
            saw_io_uring: false,
            clock: None,
            first_ns: None,
            sub_second: false,
            last_ns: 0,
            day_offset: 0,
            prev_raw_ns: 0,
            root_pid: None,
            exit: None,
            window: None,
            positions: PositionTable::new(),
            tracked: HashMap::new(),
            shared: Vec::new(),
            saw_seek: false,
            saw_routine: false,
            lseek_traced: false,
            saw_open: false,
            unknown_positions: 0,
            unknown_appends: 0,
        }
    }

    /// A parser that counts only between the window markers with `cookie`
    /// (see `Window`); the window's length is the time between them.
    pub fn windowed(cookie: u32) -> Self {
        StraceParser {
            window: Some(Window { cookie: cookie as i64, inside: false, begin_ns: None, end_ns: None, seen: false }),
            ..Self::new()
        }
    }

    /// For a log whose writer traced lseek (our own `--method strace`): fd
    /// positions are trusted before any lseek line appears.
    pub fn tracing_lseek(self) -> Self {
        StraceParser { lseek_traced: true, ..self }
    }

    /// Whether what completes now is counted: always, or inside the window.
    #[inline]
    fn counting(&self) -> bool {
        self.window.is_none_or(|w| w.inside)
    }

    /// Nanoseconds from the first timestamp to the last; `None` without timestamps.
    pub fn elapsed_ns(&self) -> Option<u64> {
        if let Some(w) = self.window {
            return Some(w.end_ns?.saturating_sub(w.begin_ns?));
        }
        self.first_ns.map(|f| self.last_ns.saturating_sub(f))
    }

    /// Whether the log gives per-call durations (`-T`).
    pub fn has_durations(&self) -> bool {
        self.durations > 0
    }

    /// Whether the log shows calls other than the data calls, so that
    /// metadata calls (opens, stats...) would have been seen.
    pub fn sees_metadata(&self) -> bool {
        self.saw_other_calls
    }

    /// Whether fds carry their targets (`-y`); false when no operation's did.
    pub fn sees_files(&self) -> bool {
        !self.without_targets()
    }

    /// A log written without `-y`: no operation's fd had a target.
    fn without_targets(&self) -> bool {
        self.annotated_ops == 0 && self.unannotated_ops > 0
    }

    /// Operations on fds without a target: all of them are counted, with
    /// sockets and pipes, in the summary.
    pub fn unannotated_ops(&self) -> u64 {
        self.unannotated_ops
    }

    /// How the first process of the log ended, when the log says.
    pub fn exit(&self) -> Option<ExitInfo> {
        let e = self.exit.as_ref()?;
        Some(ExitInfo {
            code: e.code,
            signal_number: e.signal.as_deref().and_then(signal_number),
            signal: e.signal.clone(),
        })
    }

    /// The first process of the log.
    pub fn root_pid(&self) -> Option<u32> {
        self.root_pid.filter(|p| *p != 0)
    }

    fn fail(&mut self, line: &[u8]) {
        if let Some((n, text)) = self.last_failed.take() {
            self.unparsed.note(n, text.as_bytes());
        }
        if opens_a_call(line) {
            if let Some((n, old)) = self.split_start.replace((self.line_number, line.to_vec())) {
                self.unparsed.note(n, &old);
            }
            return;
        }
        self.last_failed = Some((self.line_number, String::from_utf8_lossy(line).into_owned()));
    }

    /// `line` as the second half of a call the program's output cut in
    /// two: `) = result` (or ` <unfinished ...>`, when another thread's
    /// line came first), after whatever the program wrote. The first half is
    /// the held `split_start`, or the start of this same line when the
    /// output had no line end (and held quotes or brackets that spoil the
    /// line as it is). See `join`.
    fn rejoin(&mut self, line: &[u8], agg: &mut Aggregator) -> bool {
        let Some(second) = second_half(line) else { return false };
        let (head, tail) = line.split_at(second);
        // A line that opens a call of its own is more likely whole than the end of a held one.
        if opens_a_call(head) && self.join(head, tail, true, agg) {
            return true;
        }
        if let Some((n, first)) = self.split_start.take() {
            if self.join(&first, tail, false, agg) {
                return true;
            }
            self.split_start = Some((n, first));
        }
        false
    }

    /// Parses `first` and `second` as one line: the whole first half
    /// (unless `tried`), or, when the program's output glued to it spoils
    /// that, the first half cut just after one of its last number arguments.
    fn join(&mut self, first: &[u8], second: &[u8], tried: bool, agg: &mut Aggregator) -> bool {
        let mut joined = Vec::with_capacity(first.len() + second.len());
        for cut in cuts(first).skip(tried as usize) {
            joined.clear();
            joined.extend_from_slice(&first[..cut]);
            joined.extend_from_slice(second);
            if self.parse(&joined, agg).is_some() {
                self.rejoined += 1;
                return true;
            }
        }
        false
    }

    fn parse(&mut self, line: &[u8], agg: &mut Aggregator) -> Option<()> {
        let mut s = line;
        if let [rest @ .., b'\r'] = s {
            s = rest;
        }
        let mut i = skip_spaces(s, 0);
        if i == s.len() {
            return Some(());
        }
        // Continuation lines of -e read=/write= dumps and -k stack traces.
        if s[i..].starts_with(b"| ") || s[i..].starts_with(b"> ") {
            return Some(());
        }
        // `[pid  123] ` (strace writing to stderr) or `123  ` (with -o).
        let mut pid = 0u32;
        if s[i..].starts_with(b"[pid ") {
            let j = skip_spaces(s, i + 5);
            let (n, k) = parse_u64(s, j)?;
            if s.get(k) != Some(&b']') {
                return None;
            }
            pid = n as u32;
            i = skip_spaces(s, k + 1);
        } else if s[i].is_ascii_digit() {
            let (n, mut k) = parse_u64(s, i)?;
            // `-Y` follows the pid with its command name: `123<python3>`.
            if s.get(k) == Some(&b'<') {
                k = annotation_end(s, k)?;
            }
            if s.get(k) == Some(&b' ') {
                pid = n as u32;
                i = skip_spaces(s, k);
            }
        }
        // Timestamp.
        let mut now = None;
        if i < s.len() && s[i].is_ascii_digit() {
            let (ns, k) = self.timestamp(s, i)?;
            now = Some(ns);
            i = skip_spaces(s, k);
            // `-r` with `-t`/`-tt`/`-ttt` follows the time with the time since
            // the previous line, `(+     0.000432)`: the absolute time is enough.
            if s[i..].starts_with(b"(+") {
                let k = memchr(b')', &s[i..])? + i;
                i = skip_spaces(s, k + 1);
            }
        }
        // `-i` instruction pointer and `-n` syscall number, in brackets.
        while i < s.len() && s[i] == b'[' {
            let k = memchr(b']', &s[i..])? + i;
            i = skip_spaces(s, k + 1);
        }
        let body = &s[i..];
        if body.starts_with(b"--- ") || body.starts_with(b"strace: ") {
            return Some(());
        }
        if self.root_pid.is_none() {
            self.root_pid = Some(pid);
        }
        if body.starts_with(b"+++ ") {
            return self.exit_line(pid, body);
        }
        if let Some(rest) = body.strip_prefix(b"<... ") {
            return self.resumed(pid, now, rest, agg);
        }
        self.call(pid, now, body, agg)
    }

    /// A timestamp at `s[i..]`, in nanoseconds on one monotonic scale.
    fn timestamp(&mut self, s: &[u8], i: usize) -> Option<(u64, usize)> {
        let (first, mut k) = parse_u64(s, i)?;
        let (raw, clock) = if s.get(k) == Some(&b':') {
            let (m, k2) = parse_u64(s, k + 1)?;
            if s.get(k2) != Some(&b':') {
                return None;
            }
            let (sec, k3) = parse_u64(s, k2 + 1)?;
            k = k3;
            let (frac, k4) = fraction_ns(s, k);
            self.sub_second |= k4 > k;
            k = k4;
            // Checked: a garbled line may carry any digits.
            let ns = first
                .checked_mul(60)
                .and_then(|v| v.checked_add(m))
                .and_then(|v| v.checked_mul(60))
                .and_then(|v| v.checked_add(sec))
                .and_then(|v| v.checked_mul(1_000_000_000))
                .and_then(|v| v.checked_add(frac))?;
            (ns, Clock::TimeOfDay)
        } else {
            let (frac, k2) = fraction_ns(s, k);
            self.sub_second |= k2 > k;
            k = k2;
            let ns = first.checked_mul(1_000_000_000)?.checked_add(frac)?;
            // -r prints small deltas; -ttt prints seconds since 1970.
            (ns, if first < 100_000_000 { Clock::Relative } else { Clock::Unix })
        };
        if s.get(k) != Some(&b' ') {
            return None;
        }
        let clock = *self.clock.get_or_insert(clock);
        let ns = match clock {
            Clock::Unix => raw,
            Clock::Relative => self.last_ns.saturating_add(raw),
            Clock::TimeOfDay => {
                // Past midnight the time of day starts again from 0.
                if raw.saturating_add(NS_PER_DAY / 2) < self.prev_raw_ns {
                    self.day_offset = self.day_offset.saturating_add(NS_PER_DAY);
                }
                self.prev_raw_ns = raw;
                raw.saturating_add(self.day_offset)
            }
        };
        self.first_ns.get_or_insert(ns);
        self.last_ns = self.last_ns.max(ns);
        Some((ns, k))
    }

    fn exit_line(&mut self, pid: u32, body: &[u8]) -> Option<()> {
        self.pending.remove(&pid);
        if !body.starts_with(b"+++ superseded") {
            self.drop_pid(pid);
        }
        self.interrupted.remove(&pid);
        let exit = if let Some(rest) = body.strip_prefix(b"+++ exited with ") {
            let (code, _) = parse_u64(rest, 0)?;
            Exit { code: Some(code as i32), signal: None }
        } else if let Some(rest) = body.strip_prefix(b"+++ killed by ") {
            let end = rest.iter().position(|&c| c == b' ')?;
            Exit { code: None, signal: Some(String::from_utf8_lossy(&rest[..end]).into_owned()) }
        } else {
            // `+++ superseded by execve in pid N +++` and the like.
            return Some(());
        };
        if Some(pid) == self.root_pid {
            self.exit = Some(exit);
        }
        Some(())
    }

    /// `name(args...` to the end of the line.
    fn call(&mut self, pid: u32, now: Option<u64>, body: &[u8], agg: &mut Aggregator) -> Option<()> {
        let open = body.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))?;
        if open == 0 || body[open] != b'(' {
            return None;
        }
        let call = classify(&body[..open]);
        match call {
            Call::Other => {
                self.saw_other_calls = true;
                return Some(());
            }
            Call::Meta(kind) => {
                self.saw_other_calls = true;
                self.saw_open |= kind == MetaKind::Open;
            }
            Call::SigReturn => self.saw_other_calls = true,
            Call::IoUring => {
                self.saw_other_calls = true;
                self.saw_io_uring = true;
                return Some(());
            }
            Call::Routine => {
                self.saw_other_calls = true;
                self.saw_routine = true;
                return Some(());
            }
            Call::Seek | Call::SeekUnread => {
                self.saw_other_calls = true;
                self.saw_seek = true;
            }
            Call::Fcntl => {
                self.saw_other_calls = true;
                if self.window.is_some() {
                    self.marker(now, &body[open + 1..]);
                }
            }
            Call::Dup | Call::DropsFds => self.saw_other_calls = true,
            Call::Data(_) => {}
        }
        // A new call on this thread: whatever was pending never returned.
        if self.pending.remove(&pid).is_some() {
            self.never_finished += 1;
        }
        let mut args = Args::default();
        let want_files = matches!(call, Call::Data(_));
        match self.scan_args(body, open + 1, &mut args, want_files, agg)? {
            End::Unfinished { dropped: true } => Some(()),
            End::Unfinished { dropped: false } => {
                self.pending.insert(pid, Pending { call, args, start_ns: now });
                Some(())
            }
            End::Closed(k) => {
                let (outcome, duration) = parse_result(body, k)?;
                self.complete(pid, call, &args, outcome, now, duration, agg);
                Some(())
            }
        }
    }

    /// `fcntl(-7771, 0x1a2b3c /* F_??? */, 0x1)`: the window opens (1) or closes (2).
    fn marker(&mut self, now: Option<u64>, args: &[u8]) {
        let mut it = args.split(|&c| c == b',').map(|a| a.trim_ascii());
        let (Some(fd), Some(cookie), Some(phase)) = (it.next(), it.next(), it.next()) else { return };
        let num = |a: &[u8]| -> Option<i64> {
            let a = a.split(|&c| c == b' ' || c == b')').next()?;
            match a.strip_prefix(b"0x") {
                Some(hex) => i64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok(),
                None => std::str::from_utf8(a).ok()?.parse().ok(),
            }
        };
        let Some(w) = self.window.as_mut() else { return };
        if num(fd) != Some(MARKER_FD) || num(cookie) != Some(w.cookie) {
            return;
        }
        match num(phase) {
            Some(1) if !w.seen => {
                w.inside = true;
                w.seen = true;
                w.begin_ns = now;
                self.first_ns = now;
            }
            Some(2) if w.inside => {
                w.inside = false;
                w.end_ns = now;
            }
            _ => {}
        }
    }

    /// `name resumed>args) = result`, after the `<... `.
    fn resumed(&mut self, pid: u32, now: Option<u64>, rest: &[u8], agg: &mut Aggregator) -> Option<()> {
        let name_end = rest.iter().position(|&c| c == b' ')?;
        let name = &rest[..name_end];
        let tail = rest[name_end..].strip_prefix(b" resumed>")?;
        let call = classify(name);
        if matches!(call, Call::IoUring | Call::Routine | Call::Other) {
            return Some(());
        }
        let (mut args, start_ns, started) = match self.pending.remove(&pid) {
            Some(p) if p.call == call => (p.args, p.start_ns, true),
            other => {
                // A different call was pending: it never returned.
                self.never_finished += other.is_some() as u64;
                (Args::default(), now, false)
            }
        };
        let want_files = started && matches!(call, Call::Data(_));
        match self.scan_args(tail, 0, &mut args, want_files, agg)? {
            End::Unfinished { dropped: true } => Some(()),
            End::Unfinished { dropped: false } => {
                // Interrupted again (strace prints this for long calls).
                self.pending.insert(pid, Pending { call, args, start_ns });
                Some(())
            }
            End::Closed(k) => {
                let (outcome, duration) = parse_result(tail, k)?;
                if !started {
                    if let Call::Data(syscall) = call {
                        // The call began before the log did: its fd is unknown.
                        if let (Outcome::Value(v), true) = (outcome, self.counting()) {
                            self.orphan_resumed += 1;
                            let file = *self.orphan_file.get_or_insert_with(|| {
                                agg.file("(call started before the log began)", FdKind::Unknown)
                            });
                            record_op(agg, syscall, &[(file, direction_of(syscall), None)], v as u64, self.rel(start_ns), duration);
                            self.count_duration(duration);
                        }
                        return Some(());
                    }
                }
                self.complete(pid, call, &args, outcome, start_ns, duration, agg);
                Some(())
            }
        }
    }

    fn rel(&self, at: Option<u64>) -> u64 {
        match (at, self.first_ns) {
            (Some(t), Some(f)) => t.saturating_sub(f),
            _ => 0,
        }
    }

    fn count_duration(&mut self, d: Option<u64>) {
        if d.is_some() {
            self.durations += 1;
        }
    }

    /// The file of an fd argument: its annotation's target, or the one
    /// "unannotated fd" entry (a log without `-y`, or an fd strace could not name).
    fn file_of(&mut self, arg: Arg, agg: &mut Aggregator) -> FileId {
        match arg.file {
            Some(f) => {
                self.annotated_ops += 1;
                f
            }
            None => {
                self.unannotated_ops += 1;
                *self.unannotated.get_or_insert_with(|| agg.file("(fds without a target in the log)", FdKind::Unknown))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn complete(
        &mut self,
        pid: u32,
        call: Call,
        args: &Args,
        outcome: Outcome,
        start: Option<u64>,
        duration: Option<u64>,
        agg: &mut Aggregator,
    ) {
        let offsets = self.track(pid, call, args, outcome, agg);
        if !self.counting() {
            // Outside the window: only keep the EINTR bookkeeping true.
            if let (Call::Data(syscall), Outcome::RestartUnlessHandled) = (call, outcome) {
                self.interrupted.insert(pid, Interrupted { syscall, fd: args.get(0).num, storage: false });
            } else if call == Call::SigReturn {
                self.interrupted.remove(&pid);
            }
            return;
        }
        match call {
            Call::Data(syscall) => {
                let fd = args.get(0).num;
                if let Some(i) = self.interrupted.get(&pid) {
                    if i.syscall == syscall && i.fd == fd {
                        self.interrupted.remove(&pid);
                    }
                }
                match outcome {
                    Outcome::Value(v) if v >= 0 => {
                        let (src, dst) = match syscall {
                            Syscall::Sendfile => (args.get(1), args.get(0)),
                            Syscall::CopyFileRange | Syscall::Splice => (args.get(0), args.get(2)),
                            _ => (args.get(0), args.get(0)),
                        };
                        let start_ns = self.rel(start);
                        match syscall.direction() {
                            Some(d) => {
                                let f = self.file_of(src, agg);
                                record_op(agg, syscall, &[(f, d, offsets[0])], v as u64, start_ns, duration);
                            }
                            None => {
                                let (a, b) = (self.file_of(src, agg), self.file_of(dst, agg));
                                let parts = [(a, Direction::Read, offsets[0]), (b, Direction::Write, offsets[1])];
                                record_op(agg, syscall, &parts, v as u64, start_ns, duration);
                            }
                        }
                        self.count_duration(duration);
                    }
                    Outcome::Value(_) => {}
                    Outcome::Error(e) => {
                        let storage = args.get(0).file.is_some_and(|f| agg.file_stats(f).kind.is_storage());
                        agg.record_failure(syscall, e, storage);
                    }
                    Outcome::RestartUnlessHandled => {
                        let storage = args.get(0).file.is_some_and(|f| agg.file_stats(f).kind.is_storage());
                        self.interrupted.insert(pid, Interrupted { syscall, fd, storage });
                    }
                    Outcome::NoResult => {}
                }
            }
            Call::Meta(kind) => match outcome {
                Outcome::Value(_) => agg.record_meta(kind, true),
                Outcome::Error(_) => agg.record_meta(kind, false),
                _ => {}
            },
            Call::SigReturn => {
                // -1 EINTR: the call the signal interrupted failed; anything
                // else: it is restarted (and appears again).
                if let Some(i) = self.interrupted.remove(&pid) {
                    if outcome == Outcome::Error("EINTR") {
                        agg.record_failure(i.syscall, "EINTR", i.storage);
                    }
                }
            }
            _ => {}
        }
    }

    /// Follows fd positions through a completed call (in or outside the
    /// window); for a successful data call, returns the start offsets of its
    /// source and (for two-fd calls) destination.
    fn track(&mut self, pid: u32, call: Call, args: &Args, outcome: Outcome, agg: &Aggregator) -> [Option<u64>; 2] {
        let value = match outcome {
            Outcome::Value(v) if v >= 0 => Some(v),
            _ => None,
        };
        let fd = args.get(0).num;
        match call {
            Call::Data(syscall) => {
                if let Some(bytes) = value {
                    return self.data_offsets(pid, syscall, args, bytes as u64, agg);
                }
            }
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
                    self.positions.seek((pid, fd), pos as u64);
                }
                (Some(fd), _) => self.forget(pid, fd),
                _ => {}
            },
            Call::Dup | Call::Fcntl if call == Call::Dup || args.dupfd => {
                if let Some(new) = value.filter(|&new| fd != Some(new)) {
                    // dup2/dup3 close what `new` was, whoever opened it.
                    self.forget(pid, new);
                    self.forget_others(pid, new);
                    if let Some(old) = fd.filter(|&old| self.has(pid, old)) {
                        // `insert` counts the entry; `dup` copies it whole (an append's known end too).
                        let p = *self.positions.get(&(pid, old)).expect("has");
                        self.insert(pid, new, p.pos(), p.is_append());
                        self.positions.dup(&(pid, old), (pid, new));
                        self.shared.push(((pid, old), (pid, new)));
                    }
                }
            }
            Call::Fcntl if args.setfl => {
                if let (Some(fd), Some(_)) = (fd, value) {
                    match self.positions.get(&(pid, fd)).map(|p| p.pos()) {
                        Some(pos) => self.insert(pid, fd, pos, args.append),
                        None => self.forget(pid, fd),
                    }
                }
            }
            Call::DropsFds if value.is_some() => self.drop_pid(pid),
            _ => {}
        }
        [None, None]
    }

    /// Start offsets of a data call that moved `bytes`, advancing positions.
    fn data_offsets(&mut self, pid: u32, syscall: Syscall, args: &Args, bytes: u64, agg: &Aggregator) -> [Option<u64>; 2] {
        use CallOffset::{At, Current, Unknown};
        use Syscall as S;
        let at = |a: Arg| a.num.and_then(|o| u64::try_from(o).ok()).map_or(Unknown, At);
        let pointer = |a: Arg| if a.null { Current } else { Unknown };
        let src_dir = syscall.direction().unwrap_or(Direction::Read);
        let (src, dst) = match syscall {
            S::Read | S::Write | S::Readv | S::Writev => ((args.get(0), Current), None),
            S::Pread64 | S::Pwrite64 | S::Preadv | S::Pwritev => ((args.get(0), at(args.get(3))), None),
            // Offset -1: at the fd's position, like readv/writev.
            S::Preadv2 | S::Pwritev2 if args.get(3).num == Some(-1) => ((args.get(0), Current), None),
            S::Preadv2 | S::Pwritev2 => ((args.get(0), at(args.get(3))), None),
            S::Sendfile => ((args.get(1), pointer(args.get(2))), Some((args.get(0), Current))),
            S::CopyFileRange | S::Splice => ((args.get(0), pointer(args.get(1))), Some((args.get(2), pointer(args.get(3))))),
        };
        let first = self.offset_of(pid, src.0, src_dir, src.1, bytes, agg);
        let second = dst.and_then(|(arg, call)| self.offset_of(pid, arg, Direction::Write, call, bytes, agg));
        [first, second]
    }

    /// One fd's part of a data call: its start offset, `None` when unknown.
    fn offset_of(&mut self, pid: u32, arg: Arg, direction: Direction, call: CallOffset, bytes: u64, agg: &Aggregator) -> Option<u64> {
        let explicit = match call {
            CallOffset::At(o) => Some(o),
            _ => None,
        };
        let Some(fd) = arg.num else { return explicit };
        let (start, unknown_end) = if self.has(pid, fd) {
            if call == CallOffset::Current {
                self.moved(pid, fd);
            }
            let start = self.positions.advance(&(pid, fd), direction, call, bytes);
            if call != CallOffset::Current || self.positions_trusted() {
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
        };
        if start.is_none() && call == CallOffset::Current && self.counting() && arg.file.is_some_and(|f| agg.file_stats(f).kind.is_storage()) {
            if unknown_end {
                self.unknown_appends += 1;
            } else {
                self.unknown_positions += 1;
            }
        }
        start
    }

    /// Whether `pid` tracks `fd` (it opened or dup'ed it in the log).
    #[inline]
    fn has(&self, pid: u32, fd: i64) -> bool {
        self.positions.get(&(pid, fd)).is_some()
    }

    fn insert(&mut self, pid: u32, fd: i64, pos: u64, append: bool) {
        if !self.has(pid, fd) {
            *self.tracked.entry(fd).or_insert(0) += 1;
        }
        self.positions.open((pid, fd), pos, append);
    }

    fn remove(&mut self, pid: u32, fd: i64) {
        if self.has(pid, fd) {
            self.positions.close(&(pid, fd));
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
            self.positions.retain(|&(p, f)| f != fd || p == pid);
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
    fn drop_pid(&mut self, pid: u32) {
        let mut gone = Vec::new();
        self.positions.retain(|&(p, f)| {
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
        let positions = &self.positions;
        self.shared.retain(|(a, b)| positions.get(a).is_some() && positions.get(b).is_some());
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

    /// Whether the log would show every lseek: it shows one, or calls only an
    /// unfiltered trace shows. io_uring reads can move positions unseen.
    fn positions_trusted(&self) -> bool {
        (self.saw_seek || self.saw_routine || self.lseek_traced) && !self.saw_io_uring
    }

    /// Scans arguments from `s[i..]` (just after `(`, or after `resumed>`)
    /// to the closing `)` or to `<unfinished ...>`, filling `args`.
    fn scan_args(&mut self, s: &[u8], mut i: usize, args: &mut Args, want_files: bool, agg: &mut Aggregator) -> Option<End> {
        let mut at_arg_start = true;
        let mut depth = 0u32;
        while i < s.len() {
            let c = s[i];
            if at_arg_start && depth == 0 {
                at_arg_start = false;
                if c.is_ascii_digit() || (c == b'-' && s.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                    let (v, k) = parse_i64(s, i)?;
                    let mut arg = Arg { num: Some(v), file: None, null: false };
                    i = k;
                    if s.get(i) == Some(&b'<') {
                        let end = annotation_end(s, i)?;
                        if want_files {
                            arg.file = Some(self.annotated_file(v, &s[i + 1..end - 1], agg));
                        }
                        i = end;
                    }
                    if args.n < MAX_ARGS {
                        args.v[args.n] = arg;
                    }
                    args.n += 1;
                    continue;
                }
                if c != b')' && c != b' ' && c != b'<' {
                    if args.n < MAX_ARGS {
                        args.v[args.n].null = s[i..].starts_with(b"NULL");
                    }
                    args.dupfd |= args.n == 1 && s[i..].starts_with(b"F_DUPFD");
                    args.setfl |= args.n == 1 && s[i..].starts_with(b"F_SETFL");
                    args.n += 1;
                }
            }
            match c {
                b'"' => i = string_end(s, i)?,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    i += 1;
                }
                b')' if depth == 0 => return Some(End::Closed(i + 1)),
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    i += 1;
                }
                b',' if depth == 0 => {
                    at_arg_start = true;
                    i = skip_spaces(s, i + 1);
                }
                b'O' if s[i..].starts_with(b"O_APPEND") && (i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_')) => {
                    args.append = true;
                    i += b"O_APPEND".len();
                }
                b'<' => {
                    let rest = &s[i..];
                    if rest.starts_with(UNFINISHED) {
                        let after = &rest[UNFINISHED.len()..];
                        // `<unfinished ...>) = ?`: the process ended in the call.
                        return Some(End::Unfinished { dropped: after.starts_with(b")") });
                    }
                    if rest.starts_with(DETACHED) {
                        return Some(End::Unfinished { dropped: true });
                    }
                    i = annotation_end(s, i)?;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// The file an annotated fd refers to, through the per-fd cache.
    fn annotated_file(&mut self, fd: i64, annotation: &[u8], agg: &mut Aggregator) -> FileId {
        let slot = &mut self.cache.slots[(fd as usize) % FileCache::SLOTS];
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

/// Whether the first lines of an input read as strace output (see `score`).
pub fn looks_like(lines: &[&[u8]]) -> bool {
    score(lines).accepts()
}

/// How these first lines of an input read as strace output: calls of
/// syscalls the parser knows and strace's own notices are signature lines,
/// calls of other names are understood, lines it cannot parse are foreign
/// (a call the program's output cut in two counts once, as a signature).
pub fn score(lines: &[&[u8]]) -> Score {
    let mut p = StraceParser::new();
    let mut agg = Aggregator::new();
    let mut s = Score::default();
    for line in lines.iter().filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
        p.line_number += 1;
        if p.parse(line, &mut agg).is_some() {
            let notice = [&b"+++ "[..], b"--- ", b"<... "].iter().any(|n| memchr::memmem::find(line, n).is_some());
            match call_name(line) {
                Some(name) if classify(name) != Call::Other => s.signature += 1,
                Some(_) => s.understood += 1,
                None if notice => s.signature += 1,
                None => {}
            }
        } else if p.rejoin(line, &mut agg) {
            // Its first half was counted foreign when it came.
            s.foreign = s.foreign.saturating_sub(1);
            s.signature += 1;
        } else {
            p.fail(line);
            s.foreign += 1;
        }
    }
    s
}

/// The name of the call a line holds: the word just before its first `(`.
fn call_name(line: &[u8]) -> Option<&[u8]> {
    let open = memchr(b'(', line)?;
    let start = line[..open].iter().rposition(|&c| !(c.is_ascii_alphanumeric() || c == b'_')).map_or(0, |p| p + 1);
    let name = &line[start..open];
    let before = line[..start].last();
    (!name.is_empty() && before.is_none_or(|&c| c == b' ' || c == b']')).then_some(name)
}

/// Whether a line opens a call: `[pid] [time] name(`.
fn opens_a_call(line: &[u8]) -> bool {
    call_name(line).is_some()
}

/// Where a call's second half starts in `line`: the last `)` followed by a
/// result (an errno's `(text)` has none after it), or `<unfinished ...>`.
fn second_half(line: &[u8]) -> Option<usize> {
    if let Some(p) = memchr::memmem::rfind(line, UNFINISHED) {
        return Some(p);
    }
    memchr::memrchr_iter(b')', line).find(|&p| parse_result(line, p + 1).is_some())
}

/// Where to cut the first half of a split call: all of it; then just after
/// each of its last few number arguments (`, 15` of `write(1, "..", 15`),
/// right to left, leaving out what the program glued after them.
fn cuts(first: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let numbers = memchr::memmem::rfind_iter(first, b", ").filter_map(move |p| parse_i64(first, p + 2).map(|(_, end)| end));
    std::iter::once(first.len()).chain(numbers.filter(move |&end| end < first.len()).take(4))
}

fn direction_of(s: Syscall) -> Direction {
    s.direction().unwrap_or(Direction::Read)
}

/// One successful call: an operation on each (file, direction).
fn record_op(
    agg: &mut Aggregator,
    syscall: Syscall,
    parts: &[(FileId, Direction, Option<u64>)],
    bytes: u64,
    start_ns: u64,
    latency_ns: Option<u64>,
) {
    for &(file, direction, offset) in parts {
        agg.record_op(file, &DataOp { syscall, direction, bytes, start_ns, latency_ns, offset });
    }
}

impl LineParser for StraceParser {
    fn line(&mut self, line: &[u8], agg: &mut Aggregator) {
        self.line_number += 1;
        if let Some((n, text)) = self.last_failed.take() {
            self.unparsed.note(n, text.as_bytes());
        }
        if self.parse(line, agg).is_none() {
            if !self.rejoin(line, agg) {
                self.fail(line);
            }
        } else if self.split_start.is_some() && !line.iter().all(u8::is_ascii_whitespace) {
            // strace went on: the held line was no call's first half.
            if let Some((n, first)) = self.split_start.take() {
                self.unparsed.note(n, &first);
            }
        }
    }

    fn finish(&mut self, _agg: &mut Aggregator) {
        // A held first half: the log's last line, cut short; or a line not understood.
        if let Some((n, first)) = self.split_start.take() {
            if n == self.line_number {
                self.last_failed = Some((n, String::from_utf8_lossy(&first).into_owned()));
            } else {
                self.unparsed.note(n, &first);
            }
        }
        // Calls still waiting for their result never returned in this log.
        self.never_finished += self.pending.len() as u64;
        self.pending.clear();
        self.interrupted.clear();
    }

    fn report(&self, agg: &Aggregator, mut ctx: ReportContext) -> Report {
        let unannotated = self.without_targets();
        ctx.elapsed_ns = self.elapsed_ns().unwrap_or(0);
        ctx.latency_measured = self.has_durations();
        // Without -y, sockets and pipes cannot be told from files: count all.
        ctx.all_fds |= unannotated;
        if ctx.exit.is_none() {
            ctx.exit = self.exit();
        }
        if ctx.pid.is_none() {
            ctx.pid = self.root_pid().map(|p| p as i32);
        }
        ctx.warnings.extend(self.warnings());
        let mut report = Report::from_aggregator(agg, ctx);
        if unannotated {
            report.other_fds = None;
        }
        if !self.sees_files() {
            report.files = None;
        }
        if !self.sees_metadata() {
            report.metadata_ops = None;
        }
        if self.first_ns.is_none() {
            report = report.without_clock();
        }
        report
    }

    fn warnings(&self) -> Vec<Warning> {
        let mut w = Vec::new();
        if let Some(u) = self.unparsed.warning() {
            w.push(WarningCode::LinesNotUnderstood.with(format!("strace log: {u}")));
        }
        if let Some((n, text)) = &self.last_failed {
            let cut: String = text.chars().take(Unparsed::EXAMPLE_CHARS).collect();
            w.push(WarningCode::LastLineCut.with(format!("strace log: the last line (line {n}) is cut short and was skipped: {cut:?}")));
        }
        if let Some(win) = self.window {
            if win.begin_ns.is_none() || win.end_ns.is_none() {
                w.push(WarningCode::WindowMarkersMissing.with("strace: the window's start or end marker was not in the trace: nothing is counted"));
            }
        }
        if self.rejoined > 0 {
            w.push(WarningCode::CallsRejoined.with(format!(
                "strace log: {} call(s) were cut in two by the traced program's own output (strace and the program wrote to one stream, as with 2>&1): each was put back together and counted",
                self.rejoined
            )));
        }
        if self.never_finished > 0 && self.window.is_none() {
            w.push(WarningCode::CallsNeverReturned.with(format!(
                "strace log: {} call(s) started but never returned in the log (the process ended or the log stops mid-call); not counted",
                self.never_finished
            )));
        }
        if self.orphan_resumed > 0 && self.window.is_none() {
            w.push(WarningCode::CallsBegunBeforeLog.with(format!(
                "strace log: {} operation(s) had begun before the log starts: counted, but their fd is unknown",
                self.orphan_resumed
            )));
        }
        if self.without_targets() {
            w.push(WarningCode::FdsWithoutTarget.with(format!(
                "strace log: {} operation(s) on fds without a target (strace ran without -y): files cannot be told from sockets, pipes and ttys, so the summary counts every fd",
                self.unannotated_ops
            )));
        } else if self.unannotated_ops > 0 {
            // With -y, an fd closed by another thread before strace looked has no target.
            w.push(WarningCode::FdsUnnamed.with(format!(
                "strace log: {} operation(s) on fds strace could not name: counted apart from files, with sockets and pipes",
                self.unannotated_ops
            )));
        }
        if self.first_ns.is_none() {
            w.push(WarningCode::NoTimestamps.with("strace log: no timestamps (strace -t, -tt or -ttt): elapsed time, IOPS, throughput and the timeline are unknown"));
        }
        if self.first_ns.is_some() && !self.sub_second {
            w.push(WarningCode::WholeSecondTimestamps.with("strace log: timestamps in whole seconds (strace -t): elapsed time, IOPS and throughput are only as exact as a second; record with -tt or -ttt"));
        }
        if self.durations == 0 {
            w.push(WarningCode::NoDurations.with("strace log: no call durations (strace -T): latency is unknown"));
        }
        if !self.saw_other_calls {
            w.push(WarningCode::NoMetadataCalls.with("strace log: only data calls were traced (strace -e trace=...): opens, stats and other metadata calls are unknown"));
        }
        if self.unknown_positions > 0 {
            let why = if self.saw_open && !self.positions_trusted() {
                "the log shows opens but no lseek (strace -e trace= without lseek?), so fd positions cannot be followed"
            } else {
                "the log does not show their fd opened (before the log began, by another process or thread, or opens not traced)"
            };
            w.push(WarningCode::OffsetsUnknown.with(format!(
                "strace log: the access pattern of {} read/write call(s) that name no offset is unknown: {why}",
                self.unknown_positions
            )));
        }
        if self.unknown_appends > 0 {
            w.push(WarningCode::AppendsUnknown.with(format!(
                "strace log: the access pattern of {} O_APPEND write(s) is unknown: they land at the file's end, which the log does not show",
                self.unknown_appends
            )));
        }
        if self.saw_io_uring {
            w.push(WarningCode::IoUringUncounted.with("the program uses io_uring: I/O submitted through io_uring does not pass through read/write syscalls and is not counted here"));
        }
        w
    }
}

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i] == b' ' {
        i += 1;
    }
    i
}

fn parse_u64(s: &[u8], i: usize) -> Option<(u64, usize)> {
    let mut k = i;
    let mut v: u64 = 0;
    while k < s.len() && s[k].is_ascii_digit() {
        v = v.checked_mul(10)?.checked_add((s[k] - b'0') as u64)?;
        k += 1;
    }
    (k > i).then_some((v, k))
}

fn parse_i64(s: &[u8], i: usize) -> Option<(i64, usize)> {
    let neg = s.get(i) == Some(&b'-');
    let (v, k) = parse_u64(s, i + neg as usize)?;
    let v = i64::try_from(v).ok()?;
    Some((if neg { -v } else { v }, k))
}

/// `.123456` → nanoseconds (any number of digits; none → 0).
fn fraction_ns(s: &[u8], i: usize) -> (u64, usize) {
    if s.get(i) != Some(&b'.') {
        return (0, i);
    }
    let mut k = i + 1;
    let mut ns = 0u64;
    let mut scale = 100_000_000u64;
    while k < s.len() && s[k].is_ascii_digit() {
        ns += (s[k] - b'0') as u64 * scale;
        scale /= 10;
        k += 1;
    }
    (ns, k)
}

/// Index just after the string literal starting at `s[i] == '"'` (and its
/// `...`). One search for the closing quote: a quote preceded by an odd
/// number of backslashes is escaped (data previews are full of escapes, so
/// stopping at each backslash would cost more).
fn string_end(s: &[u8], i: usize) -> Option<usize> {
    let mut k = i + 1;
    loop {
        let q = k + memchr(b'"', s.get(k..)?)?;
        let backslashes = s[i + 1..q].iter().rev().take_while(|&&c| c == b'\\').count();
        k = q + 1;
        if backslashes % 2 == 0 {
            break;
        }
    }
    if s[k..].starts_with(b"...") {
        k += 3;
    }
    Some(k)
}

/// Index just after the `<...>` starting at `s[i] == '<'`: fd targets
/// (`</path>`, `</dev/null<char 1:3>>`, `<TCP:[1.2.3.4:5->6.7.8.9:10]>`,
/// `<UNIX:[1,"/sock"]>`). strace escapes `<` and `>` in paths.
fn annotation_end(s: &[u8], i: usize) -> Option<usize> {
    let (mut square, mut angle) = (0u32, 0u32);
    let mut k = i + 1;
    while k < s.len() {
        match s[k] {
            b'\\' => k += 1,
            b'"' => {
                k = string_end(s, k)?;
                continue;
            }
            b'[' => square += 1,
            b']' => square = square.saturating_sub(1),
            // Inside brackets `->` is an arrow (TCP:[a->b]), not a closing `>`.
            b'<' if square == 0 => angle += 1,
            b'>' if square == 0 => {
                if angle == 0 {
                    return Some(k + 1);
                }
                angle -= 1;
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// After the closing `)`: ` = result [ERRNO (text)] [<duration>]`.
fn parse_result(s: &[u8], i: usize) -> Option<(Outcome, Option<u64>)> {
    let mut k = skip_spaces(s, i);
    if s.get(k) != Some(&b'=') {
        return None;
    }
    k = skip_spaces(s, k + 1);
    let duration = duration_at_end(s);
    let outcome = match s.get(k)? {
        b'?' => {
            let rest = &s[skip_spaces(s, k + 1)..];
            if rest.starts_with(b"ERESTARTSYS") || rest.starts_with(b"ERESTARTNOHAND") {
                Outcome::RestartUnlessHandled
            } else {
                Outcome::NoResult
            }
        }
        b'-' | b'0'..=b'9' => {
            if s[k..].starts_with(b"0x") {
                Outcome::Value(0)
            } else {
                let (v, k2) = parse_i64(s, k)?;
                if v < 0 && s.get(k2) == Some(&b' ') && s.get(k2 + 1) == Some(&b'E') {
                    let from = k2 + 1;
                    let end = s[from..].iter().position(|&c| c == b' ').map_or(s.len(), |p| from + p);
                    Outcome::Error(errno_name(&s[from..end]).unwrap_or("EUNKNOWN"))
                } else {
                    Outcome::Value(v)
                }
            }
        }
        _ => return None,
    };
    Some((outcome, duration))
}

/// The `-T` duration `<0.000123>` that ends a line, in nanoseconds.
fn duration_at_end(s: &[u8]) -> Option<u64> {
    let [head @ .., b'>'] = s else { return None };
    let open = head.iter().rposition(|&c| c == b'<')?;
    let inner = &head[open + 1..];
    if open == 0 || head[open - 1] != b' ' {
        return None;
    }
    let (secs, k) = parse_u64(inner, 0)?;
    let (frac, k) = fraction_ns(inner, k);
    (k == inner.len()).then(|| secs * 1_000_000_000 + frac)
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
            Some(d) if d.starts_with(b"char ") => fd_kind::char_device(parse_u64(d, 5).map_or(0, |(m, _)| m)),
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

#[cfg(test)]
#[path = "strace_tests.rs"]
mod tests;
