//! macOS `fs_usage -w` output, a line at a time.
//!
//! A line is (see `format_print` in Apple's fs_usage.c):
//!
//! ```text
//! 09:13:59.799924  write             F=3  B=0x4          0.000029  blockfile_workload.9941451
//! 14:29:19.027868    RdData[A]       D=0x0490f371  B=0x4000   /dev/disk3s1s1  /usr/lib/dyld   0.000164 W bash.17664308
//! <time of day>    <call>            <arguments ...>  <path>  <seconds in the call> [W] <command>.<thread id>
//! ```
//!
//! The time is the wall-clock time of day at which the call completed, in
//! microseconds; the duration is rounded up to whole microseconds. Arguments
//! are `F=<fd>`, `B=0x<bytes>` (the bytes a read or write moved, from its
//! return value), `O=0x<offset>`, `D=0x<block>`, `[ 2]` for a failure's
//! errno, `(R_____)` for an open's mode, `<FULLFSYNC>` for flags. Read and
//! write lines carry no path: the file is known from the `open` that
//! returned the fd, so ops on an fd opened before the trace began are
//! counted apart (kind `unknown`) and the report says how many.
//! `RdData`/`WrData` lines are disk I/O issued by the kernel (page-cache
//! misses, write-back): they are counted as the storage level, never as
//! operations. fs_usage prints them for every process even when given a pid
//! (its disk events ignore the process filter), so they are kept per
//! command and only the commands whose calls the trace shows are counted;
//! a trace of disk I/O alone (`-f diskio`) counts them all.
//!
//! Per line: no allocation except the first sight of a file or of an fd
//! opened before the trace; one pass over the line.

use std::collections::HashMap;

use super::line_parser::{Lexer, LineParser, Unparsed};
use super::score::Score;
use crate::aggregate::{Aggregator, FileId};
use crate::clock::TimeOfDay;
use crate::errno;
use crate::event::{DataOp, Direction, FdKind, MetaKind, Syscall};
use crate::report::{Report, ReportContext, StorageBytes};
use crate::window::Window;
use crate::source::Source;
use crate::warning::{Warning, WarningCode};

const DAY_US: u64 = TimeOfDay::DAY_US;

/// What a call name means to us.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Call {
    Data(Syscall),
    Open,
    Close,
    Dup,
    Meta(MetaKind),
    /// `fcntl`: an fsync when its flag is `<FULLFSYNC>`, a dup for `<DUPFD>`.
    Fcntl,
    DiskRead,
    DiskWrite,
    Other,
}

fn classify(name: &[u8]) -> Call {
    use Syscall as S;
    // Disk I/O names carry their flags: RdData[AT2], WrData[S], ...
    if name.starts_with(b"RdData[") {
        return Call::DiskRead;
    }
    if name.starts_with(b"WrData[") {
        return Call::DiskWrite;
    }
    // A call's `_nocancel` twin (what libc calls where a thread must not be
    // cancelled: stdio, for one) does the same work. fs_usage printed the
    // twin's own name until macOS 10.12 (`open_nocancel` as `open_nocanel`),
    // the plain name since.
    let name = name.strip_suffix(b"_nocancel").or_else(|| name.strip_suffix(b"_nocanel")).unwrap_or(name);
    match name {
        b"read" => Call::Data(S::Read),
        b"write" | b"guarded_write_np" => Call::Data(S::Write),
        b"pread" => Call::Data(S::Pread64),
        b"pwrite" | b"guarded_pwrite_np" => Call::Data(S::Pwrite64),
        b"readv" => Call::Data(S::Readv),
        b"writev" | b"guarded_writev_np" => Call::Data(S::Writev),
        b"preadv" => Call::Data(S::Preadv),
        b"pwritev" => Call::Data(S::Pwritev),
        b"open" | b"openat" | b"open_extended" | b"guarded_open_np" | b"open_dprotected" | b"open_dprotected_np"
        | b"guarded_open_dprotected_np" | b"openat_dprotected_np" => Call::Open,
        b"close" | b"guarded_close_np" => Call::Close,
        b"dup" | b"dup2" => Call::Dup,
        b"fcntl" => Call::Fcntl,
        b"stat" | b"stat64" | b"lstat" | b"lstat64" | b"fstat" | b"fstat64" | b"fstatat" | b"fstatat64"
        | b"stat_extended" | b"stat_extended64" | b"lstat_extended" | b"lstat_extended64" | b"fstat_extended"
        | b"fstat64_extended" => Call::Meta(MetaKind::Stat),
        b"fsync" | b"fdatasync" => Call::Meta(MetaKind::Fsync),
        b"unlink" | b"unlinkat" | b"rmdir" => Call::Meta(MetaKind::Unlink),
        b"rename" | b"renameat" | b"renameatx_np" => Call::Meta(MetaKind::Rename),
        b"getdirentries" | b"getdirentries64" | b"getdirentriesattr" | b"getattrlistbulk" => Call::Meta(MetaKind::Getdents),
        _ => Call::Other,
    }
}

/// Whether a call this parser does not count looks like it moves data
/// (`aio_read`, `sendfile`, disk I/O other than RdData/WrData such as
/// `RdMeta[...]` or `PgIn[...]`, a variant of read/write fs_usage may print
/// one day): such calls are counted in a warning, never dropped unsaid.
/// Network calls (send*, recv*) are not storage, as with strace.
fn looks_like_io(name: &[u8]) -> bool {
    const DATA_WORDS: [&[u8]; 8] = [b"read", b"pread", b"readv", b"preadv", b"write", b"pwrite", b"writev", b"pwritev"];
    const OTHERS: [&[u8]; 6] = [b"Rd", b"Wr", b"PgIn", b"PgOut", b"sendfile", b"lio_listio"];
    name.split(|&b| b == b'_').any(|word| DATA_WORDS.contains(&word)) || OTHERS.iter().any(|p| name.starts_with(p))
}

/// `HH:MM:SS` with an optional fraction (`.ffffff` in wide mode), as
/// microseconds since midnight, and the bytes it took.
fn time_of_day_us(line: &[u8]) -> Option<(u64, usize)> {
    let two = |i: usize| -> Option<u64> {
        let (a, b) = (*line.get(i)?, *line.get(i + 1)?);
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| ((a - b'0') * 10 + (b - b'0')) as u64)
    };
    let (h, m, s) = (two(0)?, two(3)?, two(6)?);
    if line.get(2) != Some(&b':') || line.get(5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut us = ((h * 60 + m) * 60 + s) * 1_000_000;
    let mut end = 8;
    if line.get(8) == Some(&b'.') {
        let mut scale = 100_000;
        end = 9;
        while let Some(d) = line.get(end).filter(|d| d.is_ascii_digit()) {
            us += (d - b'0') as u64 * scale;
            scale /= 10;
            end += 1;
        }
        if end == 9 {
            return None;
        }
    }
    Some((us, end))
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Eight spaces: fs_usage pads its columns with long runs of them.
const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while i + 8 <= s.len() && u64::from_ne_bytes(s[i..i + 8].try_into().unwrap()) == SPACES {
        i += 8;
    }
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

/// The end of `s[from..end]` without its trailing spaces.
fn back_over_spaces(s: &[u8], from: usize, mut end: usize) -> usize {
    while end >= from + 8 && u64::from_ne_bytes(s[end - 8..end].try_into().unwrap()) == SPACES {
        end -= 8;
    }
    while end > from && is_space(s[end - 1]) {
        end -= 1;
    }
    end
}

fn token_end(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && !is_space(s[i]) {
        i += 1;
    }
    i
}

fn hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut v = 0u64;
    for &c in s {
        v = v * 16 + (c as char).to_digit(16)? as u64;
    }
    Some(v)
}

fn decimal(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0i64, |v, d| v * 10 + (d - b'0') as i64);
    Some(if neg { -v } else { v })
}

/// `<seconds>.<6 digits>`: a call's duration, in microseconds.
fn duration_us(tok: &[u8]) -> Option<u64> {
    let dot = tok.iter().position(|&b| b == b'.')?;
    let (secs, frac) = (&tok[..dot], &tok[dot + 1..]);
    if secs.is_empty() || secs.len() > 9 || frac.len() != 6 {
        return None;
    }
    if !secs.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    Some(decimal(secs)? as u64 * 1_000_000 + decimal(frac)? as u64)
}

/// The end of a line: the call's duration, the optional `W` (the thread
/// was scheduled out during the call), and `command.thread`. Found from the
/// right, so paths and command names with spaces stay whole: the rightmost
/// duration-shaped token followed by at least one more token.
struct Tail<'a> {
    /// Where the duration token starts: the arguments and path end there.
    at: usize,
    duration_us: u64,
    command: &'a [u8],
}

fn tail(s: &[u8], from: usize) -> Option<Tail<'_>> {
    let end = back_over_spaces(s, from, s.len());
    // Walk the tokens right to left; the command is at least one token.
    let mut tok_end = end;
    let mut tokens_after = 0;
    while tok_end > from {
        let mut tok_start = tok_end;
        while tok_start > from && !is_space(s[tok_start - 1]) {
            tok_start -= 1;
        }
        if tokens_after > 0 {
            if let Some(duration_us) = duration_us(&s[tok_start..tok_end]) {
                let mut cmd = skip_spaces(s, tok_end);
                // "W": the thread was scheduled out during the call.
                if tokens_after > 1 && s[cmd] == b'W' && is_space(s[cmd + 1]) {
                    cmd = skip_spaces(s, cmd + 1);
                }
                return Some(Tail { at: tok_start, duration_us, command: &s[cmd..end] });
            }
        }
        tokens_after += 1;
        tok_end = back_over_spaces(s, from, tok_start);
    }
    None
}

/// What the arguments between the call name and the duration say.
#[derive(Default, Debug, PartialEq, Eq)]
struct Args<'a> {
    fd: Option<i32>,
    /// A second fd (`dup F=3  F=4`: the new one).
    fd2: Option<i32>,
    bytes: Option<u64>,
    offset: Option<u64>,
    errno: Option<u32>,
    /// `<FULLFSYNC>`, `<SEEK_SET>`, ...
    flag: Option<&'a [u8]>,
    /// Disk I/O: the device (`/dev/disk3s5`).
    device: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
}

fn args(s: &[u8], disk: bool) -> Args<'_> {
    let mut a = Args::default();
    let mut i = skip_spaces(s, 0);
    while i < s.len() {
        let end = token_end(s, i);
        let tok = &s[i..end];
        if let Some(v) = tok.strip_prefix(b"F=") {
            // `F=3[  9]`: the fd, then (maybe glued) the errno.
            let digits = v.iter().position(|&b| b == b'[').unwrap_or(v.len());
            let fd = decimal(&v[..digits]).and_then(|n| i32::try_from(n).ok());
            if a.fd.is_none() {
                a.fd = fd;
            } else {
                a.fd2 = fd;
            }
            if digits < v.len() {
                i += 2 + digits;
                continue;
            }
        } else if let Some(v) = tok.strip_prefix(b"B=0x") {
            a.bytes = hex(v);
        } else if let Some(v) = tok.strip_prefix(b"O=0x") {
            a.offset = hex(v);
        } else if tok.starts_with(b"D=0x") || tok.starts_with(b"A=0x") || tok.starts_with(b"S=") || tok.starts_with(b"P=0x") {
            // disk block, address, select count, aio block: not ours
        } else if tok.first() == Some(&b'[') && !tok.windows(2).any(|w| w == b"]/") {
            // `[  2]` (spaces inside): the errno of a failed call.
            let close = s[i..].iter().position(|&b| b == b']').map(|p| i + p);
            if let Some(close) = close {
                let inner = &s[i + 1..close];
                let start = skip_spaces(inner, 0);
                if let Some(n) = decimal(&inner[start..]).and_then(|n| u32::try_from(n).ok()) {
                    a.errno = Some(n);
                    i = close + 1;
                    i = skip_spaces(s, i);
                    continue;
                }
            }
            a.path = Some(trim(&s[i..]));
            break;
        } else if tok.first() == Some(&b'(') && tok.last() == Some(&b')') {
            // an open's mode, (R_____)
        } else if tok.first() == Some(&b'<') {
            let close = s[i..].iter().position(|&b| b == b'>').map_or(end, |p| i + p + 1);
            a.flag = Some(&s[i..close]);
            i = skip_spaces(s, close);
            continue;
        } else if disk && a.device.is_none() && tok.starts_with(b"/dev/") {
            a.device = Some(tok);
        } else {
            a.path = Some(trim(&s[i..]));
            break;
        }
        i = skip_spaces(s, end);
    }
    a.path = a.path.filter(|p| !p.is_empty()).map(strip_dirfd);
    a
}

fn trim(s: &[u8]) -> &[u8] {
    &s[..back_over_spaces(s, 0, s.len())]
}

/// `openat` and friends print `[<dirfd>]/<path>`; the path is what matters.
fn strip_dirfd(p: &[u8]) -> &[u8] {
    if p.first() == Some(&b'[') {
        if let Some(close) = p.iter().position(|&b| b == b']') {
            if decimal(&p[1..close]).is_some() && p.get(close + 1) == Some(&b'/') {
                let rest = &p[close + 1..];
                return if rest.starts_with(b"//") { &rest[1..] } else { rest };
            }
        }
    }
    p
}

/// A cheap hash of a command name, to key fds per process without storing names.
fn command_key(cmd: &[u8]) -> u64 {
    // `name.thread`: fds belong to the process, so the thread id is left out.
    let name = match cmd.iter().rposition(|&b| b == b'.') {
        Some(dot) if cmd[dot + 1..].iter().all(u8::is_ascii_digit) && dot + 1 < cmd.len() => &cmd[..dot],
        _ => cmd,
    };
    name.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// Bytes and requests that reached the disk (RdData/WrData lines).
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskIo {
    pub read_ops: u64,
    pub read_bytes: u64,
    pub write_ops: u64,
    pub write_bytes: u64,
    pub failed: u64,
}

pub struct FsUsageParser {
    /// The measured window, as microseconds on the parser's clock (time of
    /// day plus whole days since the first line); calls that completed
    /// outside it are not counted.
    window: Option<Window<u64>>,
    /// Lines whose text contains this (our own readiness probes) are skipped.
    marker: Option<Vec<u8>>,
    marker_seen: u64,
    /// Time of day → the parser's clock, following midnight crossings.
    clock: TimeOfDay,
    first_start: Option<u64>,
    last_end: Option<u64>,
    fds: HashMap<(u64, i32), FileId>,
    /// Files standing for fds opened before the trace, by fd number.
    unknown_fds: HashMap<i32, FileId>,
    unknown_fd_ops: u64,
    /// Disk I/O per issuing command (its key), settled at the report.
    disk: HashMap<u64, DiskIo>,
    /// Commands whose calls the trace shows: the traced processes.
    callers: std::collections::HashSet<u64>,
    lines: u64,
    unparsed: Unparsed,
    /// Calls not counted whose names look like I/O, by name (few names: a short list).
    uncounted_io: Vec<(Vec<u8>, u64)>,
}

impl Default for FsUsageParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FsUsageParser {
    pub fn new() -> Self {
        FsUsageParser {
            window: None,
            marker: None,
            marker_seen: 0,
            clock: TimeOfDay::new(DAY_US),
            first_start: None,
            last_end: None,
            fds: HashMap::new(),
            unknown_fds: HashMap::new(),
            unknown_fd_ops: 0,
            disk: HashMap::new(),
            callers: std::collections::HashSet::new(),
            lines: 0,
            unparsed: Unparsed::default(),
            uncounted_io: Vec::new(),
        }
    }

    /// Counts only calls that completed between `begin` and `end`, given as
    /// microseconds since local midnight (the clock fs_usage prints). An
    /// `end` before `begin` means the window crossed midnight.
    pub fn set_window(&mut self, begin_tod_us: u64, end_tod_us: u64) {
        let begin = begin_tod_us % DAY_US;
        let mut end = end_tod_us % DAY_US;
        if end < begin {
            end += DAY_US;
        }
        self.window = Some(Window::between(begin, end));
        // A first line before `begin` by more than half a day is on the next day.
        self.clock.expect(begin);
    }

    /// Lines containing `marker` are ours (readiness probes): not counted.
    pub fn set_marker(&mut self, marker: &[u8]) {
        self.marker = (!marker.is_empty()).then(|| marker.to_vec());
    }

    /// How many marker lines went by.
    pub fn marker_seen(&self) -> u64 {
        self.marker_seen
    }

    /// Disk I/O of the traced processes (of every process in a trace of
    /// disk I/O alone).
    pub fn disk(&self) -> DiskIo {
        let mut total = DiskIo::default();
        for (key, d) in &self.disk {
            if self.callers.is_empty() || self.callers.contains(key) {
                total.read_ops += d.read_ops;
                total.read_bytes += d.read_bytes;
                total.write_ops += d.write_ops;
                total.write_bytes += d.write_bytes;
                total.failed += d.failed;
            }
        }
        total
    }

    /// Reads and writes on fds the trace never saw opened.
    pub fn unknown_fd_ops(&self) -> u64 {
        self.unknown_fd_ops
    }

    /// The window's length, or the span from the first call's start to the
    /// last call's end.
    pub fn elapsed_ns(&self) -> Option<u64> {
        match self.window {
            Some(w) => Some(w.length(0) * 1000),
            None => Some(self.last_end?.saturating_sub(self.first_start?) * 1000),
        }
    }

    fn origin(&self) -> u64 {
        match self.window {
            Some(w) => w.begin().unwrap_or(0),
            None => self.first_start.unwrap_or(0),
        }
    }

    fn file_of(&mut self, agg: &mut Aggregator, key: u64, fd: i32) -> (FileId, bool) {
        if let Some(&f) = self.fds.get(&(key, fd)) {
            return (f, true);
        }
        if let Some(&f) = self.unknown_fds.get(&fd) {
            return (f, false);
        }
        let f = agg.file(&format!("fd {fd} (opened before the trace)"), FdKind::Unknown);
        self.unknown_fds.insert(fd, f);
        (f, false)
    }

    /// A sync call on `fd` of the process keyed `key`: its file's syncs
    /// and time (an fd opened before the trace has no file to show it).
    fn synced(&mut self, agg: &mut Aggregator, key: u64, fd: Option<i32>, latency: Option<u64>) {
        if let Some(&f) = fd.and_then(|fd| self.fds.get(&(key, fd))) {
            agg.record_sync(f, latency);
        }
    }

    /// fs_usage prints a path's bytes as they are: kept apart byte for byte.
    fn path_file(agg: &mut Aggregator, path: &[u8]) -> FileId {
        agg.file_named(path, FdKind::File)
    }

    fn parse(&mut self, line: &[u8], agg: &mut Aggregator) -> Option<()> {
        let (tod, mut i) = time_of_day_us(line)?;
        i = skip_spaces(line, i);
        let name_end = token_end(line, i);
        let name = &line[i..name_end];
        if name.is_empty() {
            return None;
        }
        let tail = tail(line, name_end)?;
        let end_us = self.clock.read(tod);
        let start_us = end_us.saturating_sub(tail.duration_us);
        if let Some(m) = &self.marker {
            if line.windows(m.len()).any(|w| w == m.as_slice()) {
                self.marker_seen += 1;
                return Some(());
            }
        }
        let call = classify(name);
        let disk = matches!(call, Call::DiskRead | Call::DiskWrite);
        let a = args(&line[name_end..tail.at], disk);
        let key = command_key(tail.command);
        if !disk {
            self.callers.insert(key);
        }

        // fd bookkeeping happens whatever the window: an open before it
        // names the file of a read inside it.
        let ok = a.errno.is_none();
        match call {
            Call::Open if ok => {
                if let (Some(fd), Some(path)) = (a.fd, a.path) {
                    let f = Self::path_file(agg, path);
                    self.fds.insert((key, fd), f);
                }
            }
            Call::Close if ok => {
                if let Some(fd) = a.fd {
                    self.fds.remove(&(key, fd));
                }
            }
            Call::Dup if ok => {
                if let (Some(old), Some(new)) = (a.fd, a.fd2) {
                    match self.fds.get(&(key, old)).copied() {
                        Some(f) => self.fds.insert((key, new), f),
                        None => self.fds.remove(&(key, new)),
                    };
                }
            }
            _ => {}
        }

        if self.window.is_some_and(|w| !w.contains(end_us)) {
            return Some(());
        }
        self.first_start = Some(self.first_start.map_or(start_us, |s| s.min(start_us)));
        self.last_end = Some(self.last_end.map_or(end_us, |e| e.max(end_us)));

        let latency = Some(tail.duration_us * 1000);
        match call {
            Call::Data(syscall) => {
                let fd = a.fd?;
                if a.errno.is_none() && a.bytes.is_none() {
                    return None; // a data line without its byte count (not -w output)
                }
                let (file, known) = match a.path {
                    // Some lines name the file themselves: it also names the fd from now on.
                    Some(path) if !self.fds.contains_key(&(key, fd)) => {
                        let f = Self::path_file(agg, path);
                        self.fds.insert((key, fd), f);
                        (f, true)
                    }
                    _ => self.file_of(agg, key, fd),
                };
                if let Some(errno) = a.errno {
                    agg.record_failure(syscall, errno::macos_name(errno), known, Some(tail.duration_us * 1000));
                    return Some(());
                }
                let bytes = a.bytes.unwrap_or(0);
                if !known {
                    self.unknown_fd_ops += 1;
                }
                let op = DataOp {
                    syscall,
                    direction: syscall.direction().unwrap_or(Direction::Read),
                    bytes,
                    start_ns: start_us.saturating_sub(self.origin()) * 1000,
                    latency_ns: Some(tail.duration_us * 1000),
                    offset: a.offset,
                };
                agg.record_op(file, &op);
            }
            Call::Open => agg.record_meta(MetaKind::Open, ok, latency),
            Call::Close => agg.record_meta(MetaKind::Close, ok, latency),
            Call::Meta(kind) => {
                agg.record_meta(kind, ok, latency);
                if kind == MetaKind::Fsync {
                    self.synced(agg, key, a.fd, latency);
                }
            }
            Call::Fcntl => {
                if a.flag == Some(b"<FULLFSYNC>") {
                    agg.record_meta(MetaKind::Fsync, ok, latency);
                    self.synced(agg, key, a.fd, latency);
                }
            }
            Call::DiskRead | Call::DiskWrite => {
                let d = self.disk.entry(key).or_default();
                if !ok {
                    d.failed += 1;
                } else if let Some(bytes) = a.bytes {
                    if call == Call::DiskRead {
                        d.read_ops += 1;
                        d.read_bytes += bytes;
                    } else {
                        d.write_ops += 1;
                        d.write_bytes += bytes;
                    }
                }
            }
            Call::Other if looks_like_io(name) => {
                // The name with its flags cut (`RdMeta[S]` → `RdMeta`): one entry per call.
                let name = &name[..name.iter().position(|&b| b == b'[').unwrap_or(name.len())];
                match self.uncounted_io.iter_mut().find(|(n, _)| n.as_slice() == name) {
                    Some((_, count)) => *count += 1,
                    None => self.uncounted_io.push((name.to_vec(), 1)),
                }
            }
            Call::Dup | Call::Other => {}
        }
        Some(())
    }

    /// Calls not counted whose names look like I/O: (name, calls), in order of first sight.
    pub fn uncounted_io(&self) -> &[(Vec<u8>, u64)] {
        &self.uncounted_io
    }

    /// The report: the aggregator's figures, disk I/O as the storage level,
    /// and what this source could not see.
    pub fn fs_usage_report(&self, agg: &Aggregator, mut ctx: ReportContext) -> Report {
        ctx.method = Source::FsUsage;
        if ctx.elapsed_ns == 0 {
            ctx.elapsed_ns = self.elapsed_ns().unwrap_or(0);
        }
        let d = self.disk();
        ctx.storage = Some(StorageBytes {
            read_bytes: d.read_bytes,
            write_bytes: d.write_bytes,
            source: format!("fs_usage disk I/O: {} RdData, {} WrData", d.read_ops, d.write_ops),
        });
        ctx.warnings.extend(self.warnings());
        Report::from_aggregator(agg, ctx)
    }
}

/// Whether these first lines of an input are `fs_usage -w` output (see `score`).
pub fn looks_like(lines: &[&[u8]]) -> bool {
    score(lines).accepts()
}

/// A fresh parser of fs_usage output (the format's entry in `FORMATS`).
pub fn parser() -> Box<dyn LineParser + Send> {
    Box::new(FsUsageParser::new())
}

/// No lexer of its own: each line goes to the parser whole.
pub const LEX: Option<Lexer> = None;

/// How these first lines of an input read as `fs_usage -w` output: every
/// line it parses has fs_usage's own shape (time of day, call, duration,
/// command), so each is a signature line.
pub fn score(lines: &[&[u8]]) -> Score {
    let mut p = FsUsageParser::new();
    let mut agg = Aggregator::new();
    let mut s = Score::default();
    for line in lines.iter().filter(|l| !l.iter().all(|&b| is_space(b) || b == b'\r')) {
        match p.parse(line, &mut agg) {
            Some(()) => s.signature += 1,
            None => s.foreign += 1,
        }
    }
    s
}

impl LineParser for FsUsageParser {
    fn report(&self, agg: &Aggregator, ctx: ReportContext) -> Report {
        self.fs_usage_report(agg, ctx)
    }

    fn line(&mut self, line: &[u8], agg: &mut Aggregator) {
        self.lines += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|&b| is_space(b)) {
            return;
        }
        if self.parse(line, agg).is_none() {
            self.unparsed.note(self.lines, line);
        }
    }

    fn finish(&mut self, _agg: &mut Aggregator) {
        // Every fs_usage line is complete in itself: nothing is pending.
    }

    fn warnings(&self) -> Vec<Warning> {
        let mut w = Vec::new();
        if self.unknown_fd_ops > 0 {
            w.push(WarningCode::FdsOpenedBeforeTrace.with(format!(
                "{} reads/writes were on fds opened before the trace began: fs_usage does not name their files, so they are counted apart as \"unknown\" (--all-fds adds them)",
                self.unknown_fd_ops
            )));
        }
        let disk = self.disk();
        if disk.failed > 0 {
            w.push(WarningCode::DiskRequestsFailed.with(format!("{} disk I/O requests failed", disk.failed)));
        }
        if !self.uncounted_io.is_empty() {
            let total: u64 = self.uncounted_io.iter().map(|(_, n)| n).sum();
            let names: Vec<String> =
                self.uncounted_io.iter().take(6).map(|(name, n)| format!("{} \u{d7}{n}", String::from_utf8_lossy(name))).collect();
            let more = if self.uncounted_io.len() > 6 { ", ..." } else { "" };
            w.push(WarningCode::IoCallsUncounted.with(format!(
                "{total} call(s) that look like I/O were not counted: this parser does not read them ({}{more})",
                names.join(", ")
            )));
        }
        w.push(WarningCode::SourceLimits.with("fs_usage rounds each call's duration up to whole microseconds, and traces only the given process, not its children"));
        w.extend(self.unparsed.warning().map(|u| WarningCode::LinesNotUnderstood.with(u)));
        w
    }
}

#[cfg(test)]
#[path = "fs_usage_tests.rs"]
mod tests;
