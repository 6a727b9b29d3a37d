//! One strace line into its parts, with no parser state: the line alone
//! decides what it says. A line is `[pid] [timestamp] name(args) = result
//! [<duration>]`, one half of a call another thread interrupted
//! (`name(args <unfinished ...>`, later `<... name resumed>args) = result`),
//! a signal (`--- SIG... ---`) or an exit (`+++ exited with 0 +++`) notice.
//! Arguments are scanned with quotes, escapes and brackets respected, so a
//! data preview holding `)`, `"`, `=` or `<unfinished ...>` never ends a
//! call early.
//!
//! What the lexer finds is kept as numbers and offsets into the line (no
//! borrow, no allocation), so a `Lexed` can wait for the line's semantics
//! on another thread beside the buffer that holds the line.

use memchr::memchr;

use super::calls::{classify, Arg, Args, Call, Marks, Outcome, Span, Word, MAX_ARGS};
use crate::errno;

/// Where a call's text ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// `) = result [<duration>]`.
    Returned { outcome: Outcome, duration_ns: Option<u64> },
    /// At `<unfinished ...>`; `dropped` when the same line says the call
    /// never returned (`<unfinished ...>) = ?`, `<detached ...>`).
    Unfinished { dropped: bool },
}

/// A call's arguments and how its text ends; `end` is `None` when the
/// text stops before either (a cut line): the arguments are those before.
#[derive(Clone, Copy, Debug)]
pub struct Scan {
    pub args: Args,
    pub end: Option<End>,
}

/// What the clock of the log looks like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Clock {
    /// `-t`/`-tt`: time of day; wraps at midnight.
    TimeOfDay,
    /// `-ttt`: seconds since the epoch.
    Unix,
    /// `-r`: seconds since the previous line.
    Relative,
}

/// A line's timestamp as printed, in nanoseconds of its clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub ns: u64,
    pub clock: Clock,
    /// It has a fraction of a second (`-t` has none: whole seconds).
    pub sub_second: bool,
}

/// `+++ ... +++`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitNotice {
    Exited(i32),
    /// The signal's name.
    Killed(Span),
    /// `+++ superseded by execve in pid N +++`: thread N exec'd, and goes on
    /// as this pid (the leader's), its execve's result to come under it;
    /// `None` when the notice names no pid.
    Superseded(Option<u32>),
    /// Any other notice, or one cut short (`Malformed` says which).
    Other,
    Malformed,
}

/// What the rest of a line after its pid and time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Blank, a continuation of a `-e read=` dump or `-k` stack, a signal
    /// or strace's own message: nothing to count.
    Nothing,
    /// `+++ ... +++`: `Lexed::exit` says which.
    Exit,
    /// `name(args...`: `Lexed::call`, `args_at` (just after the `(`) and
    /// `scanned` (false for calls whose arguments nothing reads; `scan` is
    /// then stale) say more.
    Call,
    /// `<... name resumed>args...`: `call` and `scanned` as for `Call`.
    Resumed,
    /// The head of strace's call summary table (`-c`, `-C`): its column
    /// header (`% time     seconds  usecs/call ...`, or the columns `-U`
    /// chose) or its title (`System call usage summary for 32 bit mode:`).
    SummaryHead,
    /// A row of that table (`  0.00    0.000000   0   4   read`, `100.00
    /// ... total`) or a rule of dashes: counts of calls, not calls, and
    /// its first number is no timestamp (see `summary_line`).
    SummaryRow,
    /// Not a line strace writes.
    Malformed,
    /// Not a line strace writes, and not even its process can be told.
    Unreadable,
}

/// A line, lexed. Filled in place (`lex`): a record is reused line after
/// line, never moved.
#[derive(Clone, Copy, Debug)]
pub struct Lexed {
    pub pid: u32,
    pub time: Option<Stamp>,
    pub body: Body,
    pub call: Call,
    pub args_at: u32,
    pub scanned: bool,
    pub exit: ExitNotice,
    /// A call's arguments and end, when `scanned`.
    pub scan: Scan,
}

impl Default for Lexed {
    fn default() -> Self {
        Lexed {
            pid: 0,
            time: None,
            body: Body::Nothing,
            call: Call::Other,
            args_at: 0,
            scanned: false,
            exit: ExitNotice::Other,
            scan: Scan { args: Args::default(), end: None },
        }
    }
}

/// A strace line lexed ahead of its parse (`lex_line`), on another thread
/// perhaps: numbers and offsets into the line, no borrow of it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LexedLine {
    pub(super) lexed: Lexed,
    /// The lexer read it as strace's.
    pub(super) ok: bool,
}

/// Lexes `line` into `out`, for `StraceParser`'s `lexed_line` (given the
/// same bytes). Returns whether it reads as strace's.
pub fn lex_line(line: &[u8], out: &mut LexedLine) -> bool {
    out.ok = lex(line, &mut out.lexed);
    out.ok
}

const UNFINISHED: &[u8] = b"<unfinished ...>";
/// `execve(... <pid changed to N ...>`: a thread other than the leader
/// execs; the call returns as the leader's (`<... execve resumed>` under N,
/// after its `+++ superseded by execve in pid <thread> +++`).
const PID_CHANGED: &[u8] = b"<pid changed to ";
const DETACHED: &[u8] = b"<detached ...>";

/// Lexes one line (without its line end) into `out`. False when even its
/// pid or timestamp is not strace's; otherwise `out.body` says whether the
/// rest is.
#[inline]
pub fn lex(line: &[u8], out: &mut Lexed) -> bool {
    // Each field written once, whole (a small enum built in place and
    // read back wider stalls the store buffer).
    let (pid, time, body) = match lex_into(line, out) {
        Some((_, _, Body::Malformed)) | None if summary_line(line).is_some() => {
            // Read from the line's start: a row's first number is no pid or `-r` time.
            (0, None, summary_line(line).unwrap_or(Body::Malformed))
        }
        Some(parts) => parts,
        None => return false,
    };
    out.pid = pid;
    out.time = time;
    out.body = body;
    true
}

// Inlined: its result stays in registers (returned through memory, its
// pieces read back wider stall store forwarding on every line).
#[inline(always)]
fn lex_into(line: &[u8], out: &mut Lexed) -> Option<(u32, Option<Stamp>, Body)> {
    let mut s = line;
    if let [rest @ .., b'\r'] = s {
        s = rest;
    }
    let nothing = Some((0, None, Body::Nothing));
    let mut i = skip_spaces(s, 0);
    if i == s.len() {
        return nothing;
    }
    // Continuation lines of -e read=/write= dumps and -k stack traces.
    if s[i..].starts_with(b"| ") || s[i..].starts_with(b"> ") {
        return nothing;
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
    let mut time = None;
    let mut unreadable = false;
    if i < s.len() && s[i].is_ascii_digit() {
        let (stamp, k) = timestamp(s, i)?;
        time = Some(stamp);
        i = skip_spaces(s, k);
        // `-r` with `-t`/`-tt`/`-ttt` follows the time with the time since
        // the previous line, `(+     0.000432)`: the absolute time is enough.
        if s[i..].starts_with(b"(+") {
            match memchr(b')', &s[i..]) {
                Some(k) => i = skip_spaces(s, i + k + 1),
                None => unreadable = true,
            }
        }
    }
    // `-i` instruction pointer and `-n` syscall number, in brackets.
    while !unreadable && i < s.len() && s[i] == b'[' {
        match memchr(b']', &s[i..]) {
            Some(k) => i = skip_spaces(s, i + k + 1),
            None => unreadable = true,
        }
    }
    let body = &s[i..];
    let body = if unreadable {
        Body::Unreadable
    } else if body.starts_with(b"--- ") || body.starts_with(b"strace: ") {
        Body::Nothing
    } else if body.starts_with(b"+++ ") {
        out.exit = exit_notice(s, i);
        Body::Exit
    } else if body.starts_with(b"<... ") {
        resumed(s, i + 5, out)
    } else {
        call(s, i, out)
    };
    Some((pid, time, body))
}

/// The column names strace's summary table can have (`-U` picks and orders them).
const SUMMARY_COLUMNS: [&[u8]; 10] =
    [b"%", b"time", b"seconds", b"usecs/call", b"shortest", b"longest", b"calls", b"errors", b"syscall", b"total"];

/// Whether `s` (a whole line) is a part of strace's call summary table
/// (`strace -c`, or `-C` after the calls): the title, the column header,
/// a rule of dashes, or a row (numbers, and the syscall's name, or
/// `total`, first or last). A row or rule alone could be anyone's text:
/// the parser takes them as the table's only after its head.
pub fn summary_line(s: &[u8]) -> Option<Body> {
    let t = s.trim_ascii();
    if t.starts_with(b"System call usage summary for ") || t.starts_with(b"% time ") {
        return Some(Body::SummaryHead);
    }
    let mut words = t.split(|&c| c == b' ' || c == b'\t').filter(|w| !w.is_empty());
    if t.contains(&b'-') && t.iter().all(|&c| c == b'-' || c == b' ') {
        return Some(Body::SummaryRow);
    }
    if words.clone().any(|w| w == b"syscall") && words.clone().all(|w| SUMMARY_COLUMNS.contains(&w)) {
        return Some(Body::SummaryHead);
    }
    // A row: numbers (a locale may print `66,75`), and one name, first or last.
    let number = |w: &[u8]| w[0].is_ascii_digit() && w.iter().all(|&c| c.is_ascii_digit() || c == b'.' || c == b',');
    let name = |w: &[u8]| w.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_') && !number(w);
    let (first, last) = (words.next()?, words.next_back()?);
    let numbers_between = words.all(number);
    let row = numbers_between && ((name(first) && number(last)) || (number(first) && name(last)));
    row.then_some(Body::SummaryRow)
}

/// A timestamp at `s[i..]`, and where it ends.
fn timestamp(s: &[u8], i: usize) -> Option<(Stamp, usize)> {
    let (first, mut k) = parse_u64(s, i)?;
    let stamp = if s.get(k) == Some(&b':') {
        let (m, k2) = parse_u64(s, k + 1)?;
        if s.get(k2) != Some(&b':') {
            return None;
        }
        let (sec, k3) = parse_u64(s, k2 + 1)?;
        let (frac, k4) = fraction_ns(s, k3);
        let sub_second = k4 > k3;
        k = k4;
        // Checked: a garbled line may carry any digits.
        let ns = first
            .checked_mul(60)
            .and_then(|v| v.checked_add(m))
            .and_then(|v| v.checked_mul(60))
            .and_then(|v| v.checked_add(sec))
            .and_then(|v| v.checked_mul(1_000_000_000))
            .and_then(|v| v.checked_add(frac))?;
        Stamp { ns, clock: Clock::TimeOfDay, sub_second }
    } else {
        let (frac, k2) = fraction_ns(s, k);
        let sub_second = k2 > k;
        k = k2;
        let ns = first.checked_mul(1_000_000_000)?.checked_add(frac)?;
        // -r prints small deltas; -ttt prints seconds since 1970.
        Stamp { ns, clock: if first < 100_000_000 { Clock::Relative } else { Clock::Unix }, sub_second }
    };
    if s.get(k) != Some(&b' ') {
        return None;
    }
    Some((stamp, k))
}

/// `+++ exited with 0 +++` and the like, at `s[i..]`.
fn exit_notice(s: &[u8], i: usize) -> ExitNotice {
    let body = &s[i..];
    if let Some(rest) = body.strip_prefix(b"+++ exited with ") {
        match parse_u64(rest, 0) {
            Some((code, _)) => ExitNotice::Exited(code as i32),
            None => ExitNotice::Malformed,
        }
    } else if let Some(rest) = body.strip_prefix(b"+++ killed by ") {
        match rest.iter().position(|&c| c == b' ') {
            Some(end) => {
                let at = i + b"+++ killed by ".len();
                ExitNotice::Killed(Span::new(at, at + end))
            }
            None => ExitNotice::Malformed,
        }
    } else if let Some(rest) = body.strip_prefix(b"+++ superseded") {
        let by = memchr::memmem::find(rest, b" pid ").and_then(|p| parse_u64(rest, p + 5)).and_then(|(n, _)| u32::try_from(n).ok());
        ExitNotice::Superseded(by)
    } else {
        ExitNotice::Other
    }
}

/// Calls whose arguments nothing reads: their name says all.
fn skips_args(call: Call) -> bool {
    matches!(call, Call::Other | Call::IoUring | Call::Routine)
}

/// `name(args...` at `s[i..]`, to the end of the line.
#[inline]
fn call(s: &[u8], i: usize, out: &mut Lexed) -> Body {
    let body = &s[i..];
    let Some(open) = body.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_')) else { return Body::Malformed };
    if open == 0 || body[open] != b'(' {
        return Body::Malformed;
    }
    let call = classify(&body[..open]);
    let args_at = i + open + 1;
    let scanned = !skips_args(call);
    if scanned {
        scan(s, args_at, &mut out.scan);
    }
    out.call = call;
    out.args_at = args_at as u32;
    out.scanned = scanned;
    Body::Call
}

/// `name resumed>args) = result` at `s[i..]`, after the `<... `.
fn resumed(s: &[u8], i: usize, out: &mut Lexed) -> Body {
    let rest = &s[i..];
    let Some(name_end) = rest.iter().position(|&c| c == b' ') else { return Body::Malformed };
    if !rest[name_end..].starts_with(b" resumed>") {
        return Body::Malformed;
    }
    let call = classify(&rest[..name_end]);
    let scanned = !skips_args(call);
    if scanned {
        scan(s, i + name_end + b" resumed>".len(), &mut out.scan);
    }
    out.call = call;
    out.scanned = scanned;
    Body::Resumed
}

/// A call's arguments from `s[i..]` (just after `(`, or after `resumed>`)
/// to the closing `)` and its result, or to `<unfinished ...>`.
pub fn scan(s: &[u8], i: usize, out: &mut Scan) {
    out.args.n = 0;
    out.args.append = false;
    out.args.marks = 0;
    out.args.targets = false;
    out.end = scan_args(s, i, &mut out.args).and_then(|end| match end {
        ArgsEnd::Closed(k) => parse_result(s, k).map(|(outcome, duration_ns)| End::Returned { outcome, duration_ns }),
        ArgsEnd::Unfinished { dropped } => Some(End::Unfinished { dropped }),
    });
}

/// Where the argument scan stopped.
enum ArgsEnd {
    /// After the closing `)`.
    Closed(usize),
    Unfinished { dropped: bool },
}

/// Scans arguments from `s[i..]`, filling `args`.
fn scan_args(s: &[u8], mut i: usize, args: &mut Args) -> Option<ArgsEnd> {
    let mut at_arg_start = true;
    let mut depth = 0u32;
    while i < s.len() {
        let c = s[i];
        if at_arg_start && depth == 0 {
            at_arg_start = false;
            if c.is_ascii_digit() || (c == b'-' && s.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                let (v, k) = parse_i64(s, i)?;
                let mut arg = Arg::number(v);
                i = k;
                if s.get(i) == Some(&b'<') {
                    let end = annotation_end(s, i)?;
                    arg.set_target(Span::new(i + 1, end - 1));
                    args.targets = true;
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
                    let w = &s[i..];
                    args.v[args.n] = Arg::word(if w.starts_with(b"NULL") {
                        Word::Null
                    } else if w.starts_with(b"F_DUPFD_CLOEXEC") {
                        Word::DupFdCloexec
                    } else if w.starts_with(b"F_DUPFD") {
                        Word::DupFd
                    } else if w.starts_with(b"F_SETFD") {
                        Word::SetFd
                    } else if w.starts_with(b"F_SETFL") {
                        Word::SetFl
                    } else {
                        Word::Other
                    });
                }
                args.n += 1;
            }
        }
        match c {
            b'"' => i = string_end(s, i)?,
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' if depth == 0 => return Some(ArgsEnd::Closed(i + 1)),
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            b',' if depth == 0 => {
                at_arg_start = true;
                i = skip_spaces(s, i + 1);
            }
            b'O' | b'P' | b'M' | b'C' if i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_') => {
                // A flag word: O_APPEND, or one of `Marks` (CLONE_FILES among clone's flags).
                let end = s[i..].iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_')).map_or(s.len(), |p| i + p);
                let word = &s[i..end];
                if word == b"O_APPEND" {
                    args.append = true;
                } else {
                    args.marks |= Marks::of(word);
                }
                i = end;
            }
            b'<' => {
                let rest = &s[i..];
                if rest.starts_with(UNFINISHED) {
                    let after = &rest[UNFINISHED.len()..];
                    // `<unfinished ...>) = ?`: the process ended in the call.
                    return Some(ArgsEnd::Unfinished { dropped: after.starts_with(b")") });
                }
                if rest.starts_with(PID_CHANGED) {
                    // Resumed under the leader's pid (see `ExitNotice::Superseded`).
                    return Some(ArgsEnd::Unfinished { dropped: false });
                }
                if rest.starts_with(DETACHED) {
                    return Some(ArgsEnd::Unfinished { dropped: true });
                }
                i = annotation_end(s, i)?;
            }
            _ => i += 1,
        }
    }
    None
}

/// The name of the call a line holds: the word just before its first `(`.
pub fn call_name(line: &[u8]) -> Option<&[u8]> {
    let open = memchr(b'(', line)?;
    let start = line[..open].iter().rposition(|&c| !(c.is_ascii_alphanumeric() || c == b'_')).map_or(0, |p| p + 1);
    let name = &line[start..open];
    let before = line[..start].last();
    (!name.is_empty() && before.is_none_or(|&c| c == b' ' || c == b']')).then_some(name)
}

/// Where strace's own notice that it attached to a new process
/// (`strace: Process N attached`) starts, when it ends `line` after other
/// text: strace -f writing to a terminal or a pipe (no -o) prints it while a
/// call's line is open (clone's entry), whose rest comes on the next line.
pub fn attach_notice_cut(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let at = memchr::memmem::rfind(line, b"strace: Process ")?;
    let rest = &line[at + b"strace: Process ".len()..];
    let (_, end) = parse_u64(rest, 0)?;
    (at > 0 && &rest[end..] == b" attached").then_some(at)
}

/// Whether a line opens a call: `[pid] [time] name(`.
pub fn opens_a_call(line: &[u8]) -> bool {
    call_name(line).is_some()
}

/// Where a call's second half starts in `line`: the last `)` followed by a
/// result (an errno's `(text)` has none after it), or `<unfinished ...>`.
pub fn second_half(line: &[u8]) -> Option<usize> {
    if let Some(p) = memchr::memmem::rfind(line, UNFINISHED) {
        return Some(p);
    }
    memchr::memrchr_iter(b')', line).find(|&p| parse_result(line, p + 1).is_some())
}

/// Where to cut the first half of a split call: all of it; then just after
/// each of its last few number arguments (`, 15` of `write(1, "..", 15`),
/// right to left, leaving out what the program glued after them.
pub fn cuts(first: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let numbers = memchr::memmem::rfind_iter(first, b", ").filter_map(move |p| parse_i64(first, p + 2).map(|(_, end)| end));
    std::iter::once(first.len()).chain(numbers.filter(move |&end| end < first.len()).take(4))
}

pub fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i] == b' ' {
        i += 1;
    }
    i
}

pub fn parse_u64(s: &[u8], i: usize) -> Option<(u64, usize)> {
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
/// Inlined for the reason `lex_into` is.
#[inline(always)]
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
                    Outcome::Error(errno::linux_named(&s[from..end]))
                } else {
                    Outcome::Value(v)
                }
            }
        }
        _ => return None,
    };
    Some((outcome, duration))
}

/// The `-y` target of a call's result, `= 3</tmp/f>` (an open's): the
/// text between `<` and `>` after the last ` = ` and its number.
pub fn result_target(line: &[u8]) -> Option<&[u8]> {
    let eq = line.windows(3).rposition(|w| w == b" = ")?;
    let after = &line[eq + 3..];
    let digits = after.iter().position(|c| !c.is_ascii_digit())?;
    let rest = after[digits..].strip_prefix(b"<")?;
    // The target ends at the last `>` before the ` <duration>` (-T), if any.
    let end = match rest.iter().rposition(|&c| c == b'<') {
        Some(d) if d > 0 && rest[d - 1] == b' ' => rest[..d - 1].iter().rposition(|&c| c == b'>')?,
        _ => rest.iter().rposition(|&c| c == b'>')?,
    };
    (digits > 0).then_some(&rest[..end])
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
