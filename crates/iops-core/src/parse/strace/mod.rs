//! strace output, a line at a time: whatever subset of `-f`, `-y`/`-yy`,
//! `-T`, `-t`/`-tt`/`-ttt`/`-r` the log was written with.
//!
//! The work is split by job: `lexer` reads a line alone (no state);
//! `calls` says what each syscall does; `fds` names an fd's file from its
//! `-y` target (`3</tmp/x>`, `5<TCP:[...]>`, `1</dev/pts/0<char 136:0>>`,
//! which tells files from sockets, pipes and ttys; without `-y` every fd is
//! counted and the report says so) and follows fd positions; `warnings`
//! holds what the report says about the log. This module puts them
//! together: the calls of each thread across `<unfinished ...>` and
//! `resumed`, the log's clock, the measurement window, and calls the traced
//! program's own output cut in two.
//!
//! Per line: no allocation (a file's target is looked up through a per-fd
//! cache that compares the annotation's bytes), one pass over the line.

mod calls;
mod fds;
pub(crate) mod lexer;
mod warnings;

use super::line_parser::{Lexer, LineParser};
use super::score::Score;
use crate::aggregate::{Aggregator, FileId};
use crate::clock::TimeOfDay;
use crate::event::{CallKind, Direction, FdKind, MetaKind, Syscall};
use crate::positions::CallOffset;
use crate::report::{ExitInfo, Report, ReportContext};
use crate::source::Sees;
use crate::warning::Warning;
use crate::window::{Window, MARKER_BEGIN};
use calls::{direction_of, operands, record_op, Arg, Args, Call, Interrupted, Pending};
use fds::{Positions, Targets};
use calls::{Outcome, MAX_ARGS};
use lexer::{Body, Clock, End, ExitNotice, Lexed, Scan, Stamp};
use warnings::Notes;
pub use lexer::{lex_line, LexedLine};

pub use crate::window::MARKER_FD;

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

/// The log's clock: its timestamps on one increasing scale, in nanoseconds.
struct LogTime {
    /// Set by the first timestamp.
    clock: Option<Clock>,
    time_of_day: TimeOfDay,
    first_ns: Option<u64>,
    last_ns: u64,
    /// A timestamp had a fraction of a second (`-t` has none: whole seconds).
    sub_second: bool,
}

impl LogTime {
    fn new() -> Self {
        LogTime { clock: None, time_of_day: TimeOfDay::new(TimeOfDay::DAY_NS), first_ns: None, last_ns: 0, sub_second: false }
    }

    #[inline]
    fn at(&mut self, stamp: Stamp) -> u64 {
        self.sub_second |= stamp.sub_second;
        let ns = match *self.clock.get_or_insert(stamp.clock) {
            Clock::Unix => stamp.ns,
            Clock::Relative => self.last_ns.saturating_add(stamp.ns),
            Clock::TimeOfDay => self.time_of_day.read(stamp.ns),
        };
        self.first_ns.get_or_insert(ns);
        self.last_ns = self.last_ns.max(ns);
        ns
    }
}

#[derive(Default)]
struct Exit {
    code: Option<i32>,
    signal: Option<String>,
}

/// Counting only between a process's window markers with `cookie` (see
/// `crate::window`), on the log's clock (`None`: a log without timestamps).
#[derive(Clone, Copy, Debug)]
struct Marked {
    cookie: i64,
    window: Window<Option<u64>>,
}

/// Parses strace output into the aggregator. See the module docs.
pub struct StraceParser {
    line_number: u64,
    notes: Notes,
    /// A line that opened a call and stopped before its `)`: maybe the first
    /// half of a call the traced program's own output cut in two (strace
    /// and the program writing to one stream, `strace ./app 2>&1`): strace
    /// prints a call's entry, the program writes, strace prints `) = result`.
    /// Held until that second half comes (see `rejoin`).
    split_start: Option<(u64, Vec<u8>)>,
    pending: PidMap<Pending>,
    interrupted: PidMap<Interrupted>,
    targets: Targets,
    positions: Positions,
    unannotated: Option<FileId>,
    orphan_file: Option<FileId>,
    time: LogTime,
    root_pid: Option<u32>,
    exit: Option<Exit>,
    window: Option<Marked>,
    /// The record each line is lexed into (reused and boxed: no copy per line).
    lexed: Option<Box<Lexed>>,
}

impl Default for StraceParser {
    fn default() -> Self {
        Self::new()
    }
}

impl StraceParser {
    pub fn new() -> Self {
        StraceParser {
            line_number: 0,
            notes: Notes::default(),
            split_start: None,
            pending: PidMap::default(),
            interrupted: PidMap::default(),
            targets: Targets::new(),
            positions: Positions::new(),
            unannotated: None,
            orphan_file: None,
            time: LogTime::new(),
            root_pid: None,
            exit: None,
            window: None,
            lexed: Some(Box::default()),
        }
    }

    /// A parser that counts only between the window markers with `cookie`
    /// (see `crate::window`); the window's length is the time between them.
    pub fn windowed(cookie: u32) -> Self {
        StraceParser { window: Some(Marked { cookie: cookie as i64, window: Window::waiting() }), ..Self::new() }
    }

    /// For a log whose writer traced lseek (our own `--method strace`): fd
    /// positions are trusted before any lseek line appears.
    pub fn tracing_lseek(mut self) -> Self {
        self.notes.lseek_traced = true;
        self
    }

    /// For a log whose writer traced the metadata calls (our own `--method
    /// strace`): a log without any shows zero of them, not an unknown.
    pub fn tracing_metadata(mut self) -> Self {
        self.notes.metadata_traced = true;
        self
    }

    /// Whether what completes now is counted: always, or inside the window.
    #[inline]
    fn counting(&self) -> bool {
        self.window.is_none_or(|m| m.window.is_open())
    }

    /// Nanoseconds from the first timestamp to the last; `None` without timestamps.
    pub fn elapsed_ns(&self) -> Option<u64> {
        if let Some(m) = self.window {
            return Some(m.window.end().flatten()?.saturating_sub(m.window.begin().flatten()?));
        }
        self.time.first_ns.map(|f| self.time.last_ns.saturating_sub(f))
    }

    /// The wall-clock start of what `elapsed_ns` spans, milliseconds since
    /// the Unix epoch: known only for `-ttt` logs (`-t`/`-tt` give a time of
    /// day without its date, `-r` no clock at all); `None` otherwise.
    pub fn started_at_ms(&self) -> Option<f64> {
        if self.time.clock != Some(Clock::Unix) {
            return None;
        }
        let start = match self.window {
            Some(m) => m.window.begin().flatten()?,
            None => self.time.first_ns?,
        };
        Some(start as f64 / 1e6)
    }

    /// Whether the log gives per-call durations (`-T`).
    pub fn has_durations(&self) -> bool {
        self.notes.durations > 0
    }

    /// Whether the log shows calls other than the data calls, so that
    /// metadata calls (opens, stats...) would have been seen.
    pub fn sees_metadata(&self) -> bool {
        self.notes.saw_other_calls || self.notes.metadata_traced
    }

    /// Whether fds carry their targets (`-y`); false when no operation's did.
    pub fn sees_files(&self) -> bool {
        !self.notes.without_targets()
    }

    /// Operations on fds without a target: all of them are counted, with
    /// sockets and pipes, in the summary.
    pub fn unannotated_ops(&self) -> u64 {
        self.notes.unannotated_ops
    }

    /// How the first process of the log ended, when the log says.
    pub fn exit(&self) -> Option<ExitInfo> {
        let e = self.exit.as_ref()?;
        Some(ExitInfo {
            code: e.code,
            signal_number: e.signal.as_deref().and_then(super::strace_names::signal_number),
            signal: e.signal.clone(),
        })
    }

    /// The first process of the log.
    pub fn root_pid(&self) -> Option<u32> {
        self.root_pid.filter(|p| *p != 0)
    }

    fn fail(&mut self, line: &[u8]) {
        if let Some((n, text)) = self.notes.last_failed.take() {
            self.notes.unparsed.note(n, text.as_bytes());
        }
        if lexer::opens_a_call(line) {
            if let Some((n, old)) = self.split_start.replace((self.line_number, line.to_vec())) {
                self.notes.unparsed.note(n, &old);
            }
            return;
        }
        self.notes.last_failed = Some((self.line_number, String::from_utf8_lossy(line).into_owned()));
    }

    /// `line` as the second half of a call the program's output cut in
    /// two: `) = result` (or ` <unfinished ...>`, when another thread's
    /// line came first), after whatever the program wrote. The first half is
    /// the held `split_start`, or the start of this same line when the
    /// output had no line end (and held quotes or brackets that spoil the
    /// line as it is). See `join`.
    fn rejoin(&mut self, line: &[u8], agg: &mut Aggregator) -> bool {
        let Some(second) = lexer::second_half(line) else { return false };
        let (head, tail) = line.split_at(second);
        // A line that opens a call of its own is more likely whole than the end of a held one.
        if lexer::opens_a_call(head) && self.join(head, tail, true, agg) {
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
        for cut in lexer::cuts(first).skip(tried as usize) {
            joined.clear();
            joined.extend_from_slice(&first[..cut]);
            joined.extend_from_slice(second);
            if self.parse(&joined, agg).is_some() {
                self.notes.rejoined += 1;
                return true;
            }
        }
        false
    }

    /// One line: `None` when it is not one strace writes.
    #[inline]
    fn parse(&mut self, line: &[u8], agg: &mut Aggregator) -> Option<()> {
        // Taken out while `apply` changes the parser (a rejoin parses anew: a fresh record).
        let mut lexed = self.lexed.take().unwrap_or_default();
        let done = if lexer::lex(line, &mut lexed) { self.apply(line, &mut lexed, agg) } else { None };
        self.lexed = Some(lexed);
        done
    }

    /// What a lexed `line` does.
    fn apply(&mut self, line: &[u8], lexed: &mut Lexed, agg: &mut Aggregator) -> Option<()> {
        // `line` may end in the `\r` the lexer left out: every offset it
        // gave lies before it (not stripped here: the parser would read the
        // line's last byte, far from its start, for nothing).
        let now = lexed.time.map(|t| self.time.at(t));
        let pid = lexed.pid;
        match lexed.body {
            Body::Nothing => return Some(()),
            Body::Unreadable => return None,
            _ => {}
        }
        if self.root_pid.is_none() {
            self.root_pid = Some(pid);
        }
        let (call, scanned) = (lexed.call, lexed.scanned);
        match lexed.body {
            Body::Exit => self.exit_line(pid, lexed.exit, line),
            Body::Resumed => self.resumed(pid, now, call, scanned.then_some(&lexed.scan), line, agg),
            Body::Call => self.call(pid, now, call, &line[lexed.args_at as usize..], scanned.then_some(&mut lexed.scan), line, agg),
            Body::Nothing | Body::Unreadable | Body::Malformed => None,
        }
    }

    fn exit_line(&mut self, pid: u32, notice: ExitNotice, line: &[u8]) -> Option<()> {
        self.pending.remove(&pid);
        match notice {
            // A thread other than the leader execed: its execve, pending
            // (`<unfinished ...>` or `<pid changed to N ...>`), returns as
            // the leader's (`<... execve resumed>` under this pid).
            ExitNotice::Superseded(Some(by)) if by != pid => {
                if let Some(exec) = self.pending.remove(&by) {
                    self.pending.insert(pid, exec);
                }
                self.interrupted.remove(&by);
            }
            ExitNotice::Superseded(_) => {}
            _ => self.positions.drop_pid(pid),
        }
        self.interrupted.remove(&pid);
        let exit = match notice {
            ExitNotice::Exited(code) => Exit { code: Some(code), signal: None },
            ExitNotice::Killed(name) => Exit { code: None, signal: Some(String::from_utf8_lossy(name.of(line)).into_owned()) },
            // `+++ superseded by execve in pid N +++` and the like.
            ExitNotice::Superseded(_) | ExitNotice::Other => return Some(()),
            ExitNotice::Malformed => return None,
        };
        if Some(pid) == self.root_pid {
            self.exit = Some(exit);
        }
        Some(())
    }

    /// Resolves the fd targets of `args.v[from..]` to files.
    fn resolve(&mut self, args: &mut Args, from: usize, line: &[u8], agg: &mut Aggregator) {
        if !args.targets {
            return;
        }
        for a in args.v.iter_mut().take(args.n.min(MAX_ARGS)).skip(from) {
            if let (Some(fd), Some(t)) = (a.num(), a.target()) {
                a.file = Some(self.targets.file(fd, t.of(line), agg));
            }
        }
    }

    /// An open that returned an fd with notable flags (O_DIRECT, O_SYNC,
    /// O_DSYNC): they go on the file its `-y` result names (`= 3</path>`).
    fn opened_with(&mut self, call: Call, args: &Args, outcome: Outcome, line: &[u8], agg: &mut Aggregator) {
        let flags = args.open_flags();
        if flags.is_empty() || call != Call::Meta(MetaKind::Open) || !self.counting() {
            return;
        }
        if let (Outcome::Value(fd), Some(target)) = (outcome, lexer::result_target(line)) {
            let file = self.targets.file(fd, target, agg);
            agg.record_open_flags(file, flags);
        }
    }

    /// `name(args...` to the end of the line (`args` is after the `(`).
    #[allow(clippy::too_many_arguments)]
    fn call(&mut self, pid: u32, now: Option<u64>, call: Call, args: &[u8], scan: Option<&mut Scan>, line: &[u8], agg: &mut Aggregator) -> Option<()> {
        let n = &mut self.notes;
        match call {
            Call::Other => {
                n.saw_other_calls = true;
                return Some(());
            }
            Call::Meta(kind) => {
                n.saw_other_calls = true;
                n.saw_open |= kind == MetaKind::Open;
            }
            Call::SigReturn => n.saw_other_calls = true,
            Call::IoUring => {
                n.saw_other_calls = true;
                n.saw_io_uring = true;
                return Some(());
            }
            Call::Routine => {
                n.saw_other_calls = true;
                n.saw_routine = true;
                return Some(());
            }
            Call::Seek | Call::SeekUnread => {
                n.saw_other_calls = true;
                n.saw_seek = true;
            }
            Call::Fcntl => {
                n.saw_other_calls = true;
                if self.window.is_some() {
                    self.marker(now, args);
                }
            }
            Call::Dup | Call::DropsFds | Call::Timed(_) | Call::SyncRange => n.saw_other_calls = true,
            Call::Map => {
                n.saw_other_calls = true;
                n.saw_mmap = true;
            }
            Call::Data(_) => {}
        }
        // A new call on this thread: whatever was pending never returned.
        if self.pending.remove(&pid).is_some() {
            self.notes.never_finished += 1;
        }
        let scan = scan?;
        if names_files(call) {
            self.resolve(&mut scan.args, 0, line, agg);
        }
        match scan.end? {
            End::Unfinished { dropped: true } => Some(()),
            End::Unfinished { dropped: false } => {
                self.pending.insert(pid, Pending { call, args: scan.args, start_ns: now });
                Some(())
            }
            End::Returned { outcome, duration_ns } => {
                self.opened_with(call, &scan.args, outcome, line, agg);
                self.complete(pid, call, &scan.args, outcome, now, duration_ns, agg);
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
        let Some(m) = self.window.as_mut() else { return };
        if num(fd) != Some(MARKER_FD) || num(cookie) != Some(m.cookie) {
            return;
        }
        let Some(phase) = num(phase).and_then(|p| u64::try_from(p).ok()) else { return };
        if m.window.marker(phase, now) && phase == MARKER_BEGIN {
            // The log's time starts with the window.
            self.time.first_ns = now;
        }
    }

    /// `name resumed>args) = result`.
    #[allow(clippy::too_many_arguments)]
    fn resumed(&mut self, pid: u32, now: Option<u64>, call: Call, scan: Option<&Scan>, line: &[u8], agg: &mut Aggregator) -> Option<()> {
        if matches!(call, Call::IoUring | Call::Routine | Call::Other) {
            return Some(());
        }
        let (mut args, start_ns, started) = match self.pending.remove(&pid) {
            Some(p) if p.call == call => (p.args, p.start_ns, true),
            other => {
                // A different call was pending: it never returned.
                self.notes.never_finished += other.is_some() as u64;
                (Args::default(), now, false)
            }
        };
        let scan = scan?;
        // The resumed half's arguments follow the first half's.
        let from = args.n;
        for (j, a) in scan.args.v.iter().take(scan.args.n.min(MAX_ARGS)).enumerate() {
            if from + j < MAX_ARGS {
                args.v[from + j] = *a;
            }
        }
        args.n += scan.args.n;
        args.append |= scan.args.append;
        args.marks |= scan.args.marks;
        args.targets |= scan.args.targets;
        if started && names_files(call) {
            self.resolve(&mut args, from, line, agg);
        }
        match scan.end? {
            End::Unfinished { dropped: true } => Some(()),
            End::Unfinished { dropped: false } => {
                // Interrupted again (strace prints this for long calls).
                self.pending.insert(pid, Pending { call, args, start_ns });
                Some(())
            }
            End::Returned { outcome, duration_ns } => {
                if !started {
                    if let Call::Data(syscall) = call {
                        // The call began before the log did: its fd is unknown.
                        if let (Outcome::Value(v), true) = (outcome, self.counting()) {
                            self.notes.orphan_resumed += 1;
                            let file = *self.orphan_file.get_or_insert_with(|| {
                                agg.file("(call started before the log began)", FdKind::Unknown)
                            });
                            record_op(agg, syscall, &[(file, direction_of(syscall), None)], v as u64, self.rel(start_ns), duration_ns);
                            self.count_duration(duration_ns);
                        }
                        return Some(());
                    }
                }
                self.opened_with(call, &args, outcome, line, agg);
                self.complete(pid, call, &args, outcome, start_ns, duration_ns, agg);
                Some(())
            }
        }
    }

    fn rel(&self, at: Option<u64>) -> u64 {
        match (at, self.time.first_ns) {
            (Some(t), Some(f)) => t.saturating_sub(f),
            _ => 0,
        }
    }

    fn count_duration(&mut self, d: Option<u64>) {
        if d.is_some() {
            self.notes.durations += 1;
        }
    }

    /// The file of an fd argument: its annotation's target, or the one
    /// "unannotated fd" entry (a log without `-y`, or an fd strace could not name).
    fn file_of(&mut self, arg: &Arg, agg: &mut Aggregator) -> FileId {
        match arg.file {
            Some(f) => {
                self.notes.annotated_ops += 1;
                f
            }
            None => {
                self.notes.unannotated_ops += 1;
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
                self.interrupted.insert(pid, Interrupted { syscall, fd: args.get(0).num(), storage: false });
            } else if call == Call::SigReturn {
                self.interrupted.remove(&pid);
            }
            return;
        }
        match call {
            Call::Data(syscall) => {
                let fd = args.get(0).num();
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
                        agg.record_failure(syscall, e, storage, duration);
                    }
                    Outcome::RestartUnlessHandled => {
                        let storage = args.get(0).file.is_some_and(|f| agg.file_stats(f).kind.is_storage());
                        self.interrupted.insert(pid, Interrupted { syscall, fd, storage });
                    }
                    Outcome::NoResult => {}
                }
            }
            Call::Meta(kind) => {
                let ok = match outcome {
                    Outcome::Value(_) => true,
                    Outcome::Error(_) => false,
                    _ => return,
                };
                agg.record_meta(kind, ok, duration);
                if let (MetaKind::Fsync, Some(file)) = (kind, args.get(0).file) {
                    agg.record_sync(file, duration);
                }
            }
            Call::Timed(_) | Call::SyncRange => {
                let ok = match outcome {
                    Outcome::Value(_) => true,
                    Outcome::Error(_) => false,
                    _ => return,
                };
                let kind = if let Call::Timed(kind) = call { kind } else { CallKind::Sync };
                agg.record_call(kind, ok, duration);
                if let (Call::SyncRange, Some(file)) = (call, args.get(0).file) {
                    agg.record_sync(file, duration);
                }
            }
            // mmap(addr, length, prot, flags, fd, offset) = address
            Call::Map => {
                if let (Outcome::Value(_), Some(file), Some(length), false) = (outcome, args.get(4).file, args.get(1).num(), args.anonymous()) {
                    agg.record_mmap(file, args.map_mode(), length as u64);
                }
            }
            Call::SigReturn => {
                // -1 EINTR: the call the signal interrupted failed; anything
                // else: it is restarted (and appears again).
                if let Some(i) = self.interrupted.remove(&pid) {
                    if outcome == Outcome::Error("EINTR") {
                        agg.record_failure(i.syscall, "EINTR", i.storage, None);
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
        let value = calls::value(outcome);
        if let Call::Data(syscall) = call {
            let Some(bytes) = value else { return [None, None] };
            let ((src, src_at), dst) = operands(syscall, args);
            let first = self.offset_of(pid, src, direction_of(syscall), src_at, bytes as u64, agg);
            let second = dst.and_then(|(arg, at)| self.offset_of(pid, arg, Direction::Write, at, bytes as u64, agg));
            return [first, second];
        }
        self.positions.follow(pid, call, args, value);
        [None, None]
    }

    /// One fd's part of a data call: its start offset, `None` when unknown.
    fn offset_of(&mut self, pid: u32, arg: &Arg, direction: Direction, call: CallOffset, bytes: u64, agg: &Aggregator) -> Option<u64> {
        let Some(fd) = arg.num() else {
            return match call {
                CallOffset::At(o) => Some(o),
                _ => None,
            };
        };
        let trusted = self.notes.positions_trusted();
        let (start, unknown_end) = self.positions.advance(pid, fd, direction, call, bytes, trusted);
        if start.is_none() && call == CallOffset::Current && self.counting() && arg.file.is_some_and(|f| agg.file_stats(f).kind.is_storage()) {
            if unknown_end {
                self.notes.unknown_appends += 1;
            } else {
                self.notes.unknown_positions += 1;
            }
        }
        start
    }
}

/// Whether the first lines of an input read as strace output (see `score`).
/// Calls whose fd arguments' `-y` targets name files we count on: data
/// calls, and the syncs and mmaps of a file.
fn names_files(call: Call) -> bool {
    matches!(call, Call::Data(_) | Call::Meta(MetaKind::Fsync) | Call::SyncRange | Call::Map)
}

pub fn looks_like(lines: &[&[u8]]) -> bool {
    score(lines).accepts()
}

/// A fresh parser of strace logs (the format's entry in `FORMATS`).
pub fn parser() -> Box<dyn LineParser + Send> {
    Box::new(StraceParser::new())
}

/// Lines are lexed ahead of the parser, on the reading thread.
pub const LEX: Option<Lexer> = Some(lex_line);

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
            match lexer::call_name(line) {
                // The calls only timed or mapped are not the I/O calls that
                // mark a strace log (their names are common words elsewhere too).
                Some(name) if !matches!(calls::classify(name), Call::Other | Call::Timed(_) | Call::SyncRange | Call::Map) => s.signature += 1,
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

impl StraceParser {
    /// One line of the log, lexed ahead into `pre` when given.
    #[inline]
    fn next_line(&mut self, line: &[u8], pre: Option<&mut LexedLine>, agg: &mut Aggregator) {
        self.line_number += 1;
        if let Some((n, text)) = self.notes.last_failed.take() {
            self.notes.unparsed.note(n, text.as_bytes());
        }
        let parsed = match pre {
            Some(p) if p.ok => self.apply(line, &mut p.lexed, agg),
            Some(_) => None,
            None => self.parse(line, agg),
        };
        if parsed.is_none() {
            if !self.rejoin(line, agg) {
                self.fail(line);
            }
        } else if self.split_start.is_some() && !line.iter().all(u8::is_ascii_whitespace) {
            // strace went on: the held line was no call's first half.
            if let Some((n, first)) = self.split_start.take() {
                self.notes.unparsed.note(n, &first);
            }
        }
    }
}

impl LineParser for StraceParser {
    fn line(&mut self, line: &[u8], agg: &mut Aggregator) {
        self.next_line(line, None, agg);
    }

    fn lexed_line(&mut self, line: &[u8], lexed: &mut LexedLine, agg: &mut Aggregator) {
        self.next_line(line, Some(lexed), agg);
    }

    fn finish(&mut self, _agg: &mut Aggregator) {
        // A held first half: the log's last line, cut short; or a line not understood.
        if let Some((n, first)) = self.split_start.take() {
            if n == self.line_number {
                self.notes.last_failed = Some((n, String::from_utf8_lossy(&first).into_owned()));
            } else {
                self.notes.unparsed.note(n, &first);
            }
        }
        // Calls still waiting for their result never returned in this log.
        self.notes.never_finished += self.pending.len() as u64;
        self.pending.clear();
        self.interrupted.clear();
    }

    /// `ctx.elapsed_ns`, when not 0, is the caller's own measure of the
    /// capture: it stands only for a log without a line (a live capture in
    /// which nothing was traced), which has no clock or durations to miss.
    fn report(&self, agg: &Aggregator, mut ctx: ReportContext) -> Report {
        let quiet = self.line_number == 0 && ctx.elapsed_ns > 0;
        if !quiet {
            ctx.elapsed_ns = self.elapsed_ns().unwrap_or(0);
        }
        // What this log shows (strace's flags decide); the builder makes the
        // rest null and says so.
        ctx.sees = Some(Sees {
            latency: self.has_durations() || quiet,
            // Without -y, sockets and pipes cannot be told from files: count all.
            fd_kinds: !self.notes.without_targets(),
            files: self.sees_files(),
            metadata_calls: self.sees_metadata(),
            // A live strace traces mmap; a log, when it shows mmap or calls
            // no filter names (an unfiltered trace).
            mmaps: ctx.method == crate::source::Source::Strace || self.notes.saw_mmap || self.notes.saw_routine,
            timestamps: self.time.first_ns.is_some() || quiet,
            ..ctx.method.sees()
        });
        if ctx.exit.is_none() {
            ctx.exit = self.exit();
        }
        if ctx.pid.is_none() {
            ctx.pid = self.root_pid().map(|p| p as i32);
        }
        ctx.warnings.extend(self.warnings());
        let mut report = Report::from_aggregator(agg, ctx);
        // A quiet live capture's caller knows its own start; a log knows it from -ttt.
        if !quiet {
            report.started_at = self.started_at_ms();
        }
        report
    }

    fn warnings(&self) -> Vec<Warning> {
        let window = self.window.map(|m| m.window.begin().flatten().is_none() || m.window.end().flatten().is_none());
        let timestamps = self.time.first_ns.is_some();
        self.notes.warnings(&warnings::Context { window, timestamps, sub_second: self.time.sub_second })
    }
}

#[cfg(test)]
mod tests;
