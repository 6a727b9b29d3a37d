//! What a capture backend tells the aggregator: one successful data call,
//! one failed call, or one metadata call.

use serde::Serialize;

/// The data calls we count. One successful call is one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Syscall {
    Read,
    Write,
    Pread64,
    Pwrite64,
    Readv,
    Writev,
    Preadv,
    Pwritev,
    Preadv2,
    Pwritev2,
    Sendfile,
    CopyFileRange,
    Splice,
}

impl Syscall {
    pub const ALL: [Syscall; 13] = [
        Syscall::Read,
        Syscall::Write,
        Syscall::Pread64,
        Syscall::Pwrite64,
        Syscall::Readv,
        Syscall::Writev,
        Syscall::Preadv,
        Syscall::Pwritev,
        Syscall::Preadv2,
        Syscall::Pwritev2,
        Syscall::Sendfile,
        Syscall::CopyFileRange,
        Syscall::Splice,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            Syscall::Read => "read",
            Syscall::Write => "write",
            Syscall::Pread64 => "pread64",
            Syscall::Pwrite64 => "pwrite64",
            Syscall::Readv => "readv",
            Syscall::Writev => "writev",
            Syscall::Preadv => "preadv",
            Syscall::Pwritev => "pwritev",
            Syscall::Preadv2 => "preadv2",
            Syscall::Pwritev2 => "pwritev2",
            Syscall::Sendfile => "sendfile",
            Syscall::CopyFileRange => "copy_file_range",
            Syscall::Splice => "splice",
        }
    }

    pub fn from_name(name: &str) -> Option<Syscall> {
        Self::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// The direction of a plain data call; `None` for the transfer calls
    /// (sendfile, copy_file_range, splice), which read one fd and write another.
    pub fn direction(self) -> Option<Direction> {
        use Syscall::*;
        match self {
            Read | Pread64 | Readv | Preadv | Preadv2 => Some(Direction::Read),
            Write | Pwrite64 | Writev | Pwritev | Pwritev2 => Some(Direction::Write),
            Sendfile | CopyFileRange | Splice => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Read,
    Write,
}

/// What an fd refers to. Only `File` and `BlockDevice` count as storage I/O
/// in the summary; the rest is reported apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum FdKind {
    File,
    BlockDevice,
    Socket,
    Pipe,
    Tty,
    Other,
    /// The source could not tell (e.g. a log without fd annotations).
    Unknown,
}

impl FdKind {
    pub fn is_storage(self) -> bool {
        matches!(self, FdKind::File | FdKind::BlockDevice)
    }
}

/// Metadata calls, counted apart from data operations: many opens and stats
/// with few bytes each is the signature of "too many small files".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MetaKind {
    Open,
    Close,
    Stat,
    Fsync,
    Unlink,
    Rename,
    Getdents,
}

impl MetaKind {
    pub const ALL: [MetaKind; 7] = [
        MetaKind::Open,
        MetaKind::Close,
        MetaKind::Stat,
        MetaKind::Fsync,
        MetaKind::Unlink,
        MetaKind::Rename,
        MetaKind::Getdents,
    ];
    pub const COUNT: usize = Self::ALL.len();
}

/// One successful data transfer on one fd.
#[derive(Clone, Copy, Debug)]
pub struct DataOp {
    pub syscall: Syscall,
    pub direction: Direction,
    pub bytes: u64,
    /// Start of the call, in nanoseconds since the window began.
    pub start_ns: u64,
    /// Duration of the call as seen by the capture source; `None` when the
    /// source cannot measure it.
    pub latency_ns: Option<u64>,
    /// File offset the call started at, when the source knows it (explicit
    /// for pread/pwrite, tracked for read/write); feeds access patterns.
    pub offset: Option<u64>,
}
