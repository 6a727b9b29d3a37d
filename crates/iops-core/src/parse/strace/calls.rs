//! What each syscall strace names does, as far as counting goes: which
//! calls move data (and between which of their fd arguments, at which
//! offsets), which are metadata calls, and which change fds (dup, fcntl,
//! lseek, exec).

use crate::aggregate::{Aggregator, FileId};
use crate::event::{CallKind, DataOp, Direction, MapMode, MetaKind, OpenFlags, Syscall};
use crate::positions::CallOffset;

/// Arguments kept per call: the calls we follow read no further than the
/// fifth (mmap's fd); fewer kept is less to copy for every split call.
pub const MAX_ARGS: usize = 5;

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Value(i64),
    Error(&'static str),
    /// `? ERESTARTSYS`/`ERESTARTNOHAND`: restarted or EINTR, the handler decides.
    RestartUnlessHandled,
    /// `? ERESTARTNOINTR`/`ERESTART_RESTARTBLOCK`, `= ?` (the process ended
    /// in the call): no result.
    NoResult,
}

/// What a syscall name means to us.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Call {
    Data(Syscall),
    Meta(MetaKind),
    /// Calls only timed, for where the time goes (sync, msync, mkdir, tee...).
    Timed(CallKind),
    /// sync_file_range: timed, and a sync of its fd's file.
    SyncRange,
    /// mmap, mmap2: a file mapped when its fd is one.
    Map,
    SigReturn,
    IoUring,
    /// Calls that move or copy fd positions (see `Fds::follow`).
    Seek,
    /// `_llseek`/`llseek`: the new position is behind a pointer; the fd's becomes unknown.
    SeekUnread,
    Dup,
    Fcntl,
    /// `execve`, `execveat`: the close-on-exec fds close without a `close` line.
    Exec,
    /// `close_range(first, last, flags)`: fds close without a `close` line.
    CloseRange,
    /// `clone`, `clone3`, `fork`, `vfork`: a new thread or process, whose fd
    /// table is the caller's (`CLONE_FILES`) or a copy of it.
    Clone,
    /// `unshare`: with `CLONE_FILES`, the caller's fd table becomes its own copy.
    Unshare,
    /// Calls every process makes at start that no storage filter names:
    /// their presence says the trace set is not filtered.
    Routine,
    Other,
}

pub fn classify(name: &[u8]) -> Call {
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
        b"sync_file_range" | b"sync_file_range2" => Call::SyncRange,
        b"sync" | b"syncfs" | b"msync" => Call::Timed(CallKind::Sync),
        b"tee" => Call::Timed(CallKind::Transfer),
        b"mkdir" | b"mkdirat" | b"truncate" | b"ftruncate" | b"fallocate" | b"link" | b"linkat" | b"symlink" | b"symlinkat" => {
            Call::Timed(CallKind::OtherMetadata)
        }
        b"mmap" | b"mmap2" => Call::Map,
        b"rt_sigreturn" => Call::SigReturn,
        b"io_uring_setup" | b"io_uring_enter" => Call::IoUring,
        b"lseek" => Call::Seek,
        b"_llseek" | b"llseek" => Call::SeekUnread,
        b"dup" | b"dup2" | b"dup3" => Call::Dup,
        b"fcntl" | b"fcntl64" => Call::Fcntl,
        b"execve" | b"execveat" => Call::Exec,
        b"close_range" => Call::CloseRange,
        b"clone" | b"clone3" | b"fork" | b"vfork" => Call::Clone,
        b"unshare" => Call::Unshare,
        b"brk" | b"mprotect" | b"munmap" | b"arch_prctl" | b"set_tid_address" | b"set_robust_list" | b"rseq" | b"prlimit64" => {
            Call::Routine
        }
        _ => Call::Other,
    }
}

/// One top-level argument, as far as we need it: an integer (fds, counts,
/// offsets) and, for an fd printed with `-y`, where its target is and
/// (once resolved) the file it names. Packed (presence in `has`, not in
/// `Option`s): lexed records cross threads line after line, and pending
/// calls are copied; 32 bytes, not 40.
#[derive(Clone, Copy, Default, Debug)]
pub struct Arg {
    /// The integer, when `has & NUM`.
    num: i64,
    /// The fd's `-y` target, without its `<` `>`, when `has & TARGET`.
    target: Span,
    /// The file `target` names, once resolved (see `fds::Targets`).
    pub file: Option<FileId>,
    /// What a word argument (not a number) starts with, as far as it matters.
    pub word: Word,
    has: u8,
}

/// An argument past those a call has.
static NO_ARG: Arg = Arg { num: 0, target: Span { start: 0, end: 0 }, file: None, word: Word::Other, has: 0 };

const NUM: u8 = 1;
const TARGET: u8 = 2;

/// Words an argument may start with that change what a call does.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub enum Word {
    #[default]
    Other,
    /// `NULL` (an offset pointer that says "use the fd's position").
    Null,
    /// `F_DUPFD` (fcntl's command).
    DupFd,
    /// `F_DUPFD_CLOEXEC` (fcntl's command).
    DupFdCloexec,
    /// `F_SETFD` (fcntl's command: sets or clears `FD_CLOEXEC`).
    SetFd,
    /// `F_SETFL` (fcntl; may set or clear `O_APPEND`).
    SetFl,
}

/// Bytes `start..end` of a line.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        // Lines are cut to far less than 4 GiB (`lines::MAX_LINE`).
        Span { start: start as u32, end: end as u32 }
    }

    pub fn of<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start as usize..self.end as usize]
    }
}

/// A call's arguments, as far as counting reads them.
#[derive(Clone, Copy, Default, Debug)]
pub struct Args {
    /// The first arguments (of the text scanned: a resumed half's are
    /// numbered from its own start until joined to its first half's).
    pub v: [Arg; MAX_ARGS],
    /// Arguments seen (may be more than `MAX_ARGS`).
    pub n: usize,
    /// An `O_APPEND` flag appears among them (open flags).
    pub append: bool,
    /// The flag words among them that matter (`Marks`).
    pub marks: u16,
    /// Some of them may carry a `-y` target (set when one is seen): without,
    /// there is nothing to resolve (a log without `-y`, most halves of split calls).
    pub targets: bool,
}

/// Flag words a call's arguments may hold, as `Args::marks` bits.
pub struct Marks;

impl Marks {
    pub const O_DIRECT: u16 = 1;
    pub const O_SYNC: u16 = 2;
    pub const O_DSYNC: u16 = 4;
    pub const PROT_READ: u16 = 8;
    pub const PROT_WRITE: u16 = 16;
    pub const PROT_EXEC: u16 = 32;
    pub const MAP_SHARED: u16 = 64;
    pub const MAP_ANONYMOUS: u16 = 128;
    pub const O_CLOEXEC: u16 = 256;
    pub const CLONE_FILES: u16 = 512;

    /// The bit of a flag word (`O_DIRECT`, `MAP_SHARED`...); 0 for others.
    pub fn of(word: &[u8]) -> u16 {
        match word {
            b"O_DIRECT" => Self::O_DIRECT,
            b"O_SYNC" => Self::O_SYNC,
            b"O_DSYNC" => Self::O_DSYNC,
            b"PROT_READ" => Self::PROT_READ,
            b"PROT_WRITE" => Self::PROT_WRITE,
            b"PROT_EXEC" => Self::PROT_EXEC,
            b"MAP_SHARED" | b"MAP_SHARED_VALIDATE" => Self::MAP_SHARED,
            b"MAP_ANONYMOUS" | b"MAP_ANON" => Self::MAP_ANONYMOUS,
            b"O_CLOEXEC" => Self::O_CLOEXEC,
            b"CLONE_FILES" => Self::CLONE_FILES,
            _ => 0,
        }
    }
}

impl Args {
    /// The notable open flags among the arguments.
    pub fn open_flags(&self) -> OpenFlags {
        let has = |m: u16| self.marks & m != 0;
        let mut f = OpenFlags::default();
        for (m, flag) in [(Marks::O_DIRECT, OpenFlags::DIRECT), (Marks::O_SYNC, OpenFlags::SYNC), (Marks::O_DSYNC, OpenFlags::DSYNC)] {
            if has(m) {
                f = f.union(flag);
            }
        }
        f
    }

    /// mmap's protection and sharing.
    pub fn map_mode(&self) -> MapMode {
        let has = |m: u16| self.marks & m != 0;
        MapMode { read: has(Marks::PROT_READ), write: has(Marks::PROT_WRITE), exec: has(Marks::PROT_EXEC), shared: has(Marks::MAP_SHARED) }
    }

    /// mmap of no file (MAP_ANONYMOUS).
    pub fn anonymous(&self) -> bool {
        self.marks & Marks::MAP_ANONYMOUS != 0
    }

    /// The fd a call makes is closed by exec: `O_CLOEXEC` (open, dup3) or
    /// `F_DUPFD_CLOEXEC`.
    pub fn cloexec(&self) -> bool {
        self.marks & Marks::O_CLOEXEC != 0 || self.get(1).word == Word::DupFdCloexec
    }

    /// A clone that shares the caller's fd table (`CLONE_FILES`: a thread);
    /// for `unshare`, a table no longer shared.
    pub fn shares_files(&self) -> bool {
        self.marks & Marks::CLONE_FILES != 0
    }
}

impl Arg {
    /// An integer argument.
    pub fn number(v: i64) -> Arg {
        Arg { num: v, has: NUM, ..Arg::default() }
    }

    /// A word argument (not a number).
    pub fn word(word: Word) -> Arg {
        Arg { word, ..Arg::default() }
    }

    /// The integer, for a number argument.
    #[inline]
    pub fn num(&self) -> Option<i64> {
        (self.has & NUM != 0).then_some(self.num)
    }

    /// The fd's `-y` target: a span of the line.
    #[inline]
    pub fn target(&self) -> Option<Span> {
        (self.has & TARGET != 0).then_some(self.target)
    }

    pub fn set_target(&mut self, span: Span) {
        self.target = span;
        self.has |= TARGET;
    }

    /// `NULL` (an offset pointer that says "use the fd's position").
    pub fn null(&self) -> bool {
        self.word == Word::Null
    }
}

impl Args {
    /// The `i`th argument; an empty one past those seen. A reference: a
    /// copy of the packed argument, read back in wider pieces, stalls.
    pub fn get(&self, i: usize) -> &Arg {
        if i < self.n.min(MAX_ARGS) {
            &self.v[i]
        } else {
            &NO_ARG
        }
    }

    /// fcntl's command is `F_DUPFD`/`F_DUPFD_CLOEXEC`.
    pub fn dupfd(&self) -> bool {
        matches!(self.get(1).word, Word::DupFd | Word::DupFdCloexec)
    }

    /// fcntl's command is `F_SETFD`; `Some(cloexec)`, what it sets.
    pub fn setfd(&self) -> Option<bool> {
        // `FD_CLOEXEC` is a word, a cleared flag the number 0.
        (self.get(1).word == Word::SetFd).then(|| self.get(2).num() != Some(0))
    }

    /// fcntl's command is `F_SETFL` (may set or clear `O_APPEND`).
    pub fn setfl(&self) -> bool {
        self.get(1).word == Word::SetFl
    }
}

/// A call printed `<unfinished ...>`, waiting for its `resumed` half.
#[derive(Clone, Copy, Debug)]
pub struct Pending {
    pub call: Call,
    pub args: Args,
    pub start_ns: Option<u64>,
}

/// A data call that stopped with `? ERESTARTSYS`: a signal handler's
/// `rt_sigreturn` then says `-1 EINTR` (a failure) or the call runs again.
#[derive(Clone, Copy, Debug)]
pub struct Interrupted {
    pub syscall: Syscall,
    pub fd: Option<i64>,
    pub storage: bool,
}

/// The fds a data call moves bytes between and where on each: its source
/// (the only one of a read or write) and, for a copy between two fds
/// (sendfile, copy_file_range, splice), its destination.
pub fn operands(syscall: Syscall, args: &Args) -> ((&Arg, CallOffset), Option<(&Arg, CallOffset)>) {
    use CallOffset::{At, Current, Unknown};
    use Syscall as S;
    let at = |a: &Arg| a.num().and_then(|o| u64::try_from(o).ok()).map_or(Unknown, At);
    let pointer = |a: &Arg| if a.null() { Current } else { Unknown };
    match syscall {
        S::Read | S::Write | S::Readv | S::Writev => ((args.get(0), Current), None),
        S::Pread64 | S::Pwrite64 | S::Preadv | S::Pwritev => ((args.get(0), at(args.get(3))), None),
        // Offset -1: at the fd's position, like readv/writev.
        S::Preadv2 | S::Pwritev2 if args.get(3).num() == Some(-1) => ((args.get(0), Current), None),
        S::Preadv2 | S::Pwritev2 => ((args.get(0), at(args.get(3))), None),
        S::Sendfile => ((args.get(1), pointer(args.get(2))), Some((args.get(0), Current))),
        S::CopyFileRange | S::Splice => ((args.get(0), pointer(args.get(1))), Some((args.get(2), pointer(args.get(3))))),
    }
}

/// The direction of a call's source: a copy reads it.
pub fn direction_of(s: Syscall) -> Direction {
    s.direction().unwrap_or(Direction::Read)
}

/// The successful result of a call, if it has one.
pub fn value(outcome: Outcome) -> Option<i64> {
    match outcome {
        Outcome::Value(v) if v >= 0 => Some(v),
        _ => None,
    }
}

/// One successful call: an operation on each (file, direction).
pub fn record_op(
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
