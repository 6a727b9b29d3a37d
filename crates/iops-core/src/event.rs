//! What a capture backend tells the aggregator: one successful data call,
//! one failed call, or one metadata call.

use serde::{Deserialize, Serialize};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// What a call does, for where the time goes (`callTime`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[repr(u8)]
pub enum CallKind {
    /// read, pread64, readv, preadv, preadv2.
    Read,
    /// write, pwrite64, writev, pwritev, pwritev2.
    Write,
    /// fsync, fdatasync, sync_file_range, sync, syncfs, msync.
    Sync,
    /// open, openat, openat2, creat.
    Open,
    /// stat, fstat, lstat, newfstatat, statx, access and the like.
    Stat,
    /// Directory reads: getdents, getdents64.
    Getdents,
    /// close.
    Close,
    /// Calls that move data from one fd to another: sendfile, splice,
    /// copy_file_range, tee.
    Transfer,
    /// Other metadata calls: unlink, rename, mkdir, rmdir, truncate...
    OtherMetadata,
}

impl CallKind {
    pub const ALL: [CallKind; 9] = [
        CallKind::Read,
        CallKind::Write,
        CallKind::Sync,
        CallKind::Open,
        CallKind::Stat,
        CallKind::Getdents,
        CallKind::Close,
        CallKind::Transfer,
        CallKind::OtherMetadata,
    ];
    pub const COUNT: usize = Self::ALL.len();
}

impl From<MetaKind> for CallKind {
    fn from(k: MetaKind) -> CallKind {
        match k {
            MetaKind::Open => CallKind::Open,
            MetaKind::Close => CallKind::Close,
            MetaKind::Stat => CallKind::Stat,
            MetaKind::Fsync => CallKind::Sync,
            MetaKind::Getdents => CallKind::Getdents,
            MetaKind::Unlink | MetaKind::Rename => CallKind::OtherMetadata,
        }
    }
}

impl Syscall {
    /// The kind of call, for where the time goes.
    pub fn kind(self) -> CallKind {
        match self.direction() {
            Some(Direction::Read) => CallKind::Read,
            Some(Direction::Write) => CallKind::Write,
            None => CallKind::Transfer,
        }
    }
}

/// The open flags a file's row shows (`FileReport::openFlags`): the ones
/// that change how its writes reach the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags(u8);

impl OpenFlags {
    /// O_DIRECT: around the page cache.
    pub const DIRECT: OpenFlags = OpenFlags(1);
    /// O_SYNC: every write waits for data and metadata on the device.
    pub const SYNC: OpenFlags = OpenFlags(2);
    /// O_DSYNC: every write waits for its data on the device.
    pub const DSYNC: OpenFlags = OpenFlags(4);
    const NAMES: [(OpenFlags, &'static str); 3] = [(Self::DIRECT, "O_DIRECT"), (Self::SYNC, "O_SYNC"), (Self::DSYNC, "O_DSYNC")];

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, o: OpenFlags) -> bool {
        self.0 & o.0 == o.0
    }

    pub fn union(self, o: OpenFlags) -> OpenFlags {
        OpenFlags(self.0 | o.0)
    }

    /// The notable flags of Linux open flags `flags` (`<fcntl.h>`'s values
    /// for the build's architecture: O_DIRECT differs between x86-64 and
    /// arm64). O_SYNC includes the O_DSYNC bit; it is named O_SYNC alone,
    /// as strace names it.
    pub fn linux(flags: u64, o_direct: u64, o_sync: u64, o_dsync: u64) -> OpenFlags {
        let mut f = OpenFlags::default();
        if flags & o_direct != 0 {
            f = f.union(Self::DIRECT);
        }
        if flags & o_sync == o_sync {
            f = f.union(Self::SYNC);
        } else if flags & o_dsync != 0 {
            f = f.union(Self::DSYNC);
        }
        f
    }

    /// The notable flags named in strace's text of open flags
    /// ("O_WRONLY|O_CREAT|O_DIRECT").
    pub fn named(text: &str) -> OpenFlags {
        text.split('|').fold(OpenFlags::default(), |f, name| match Self::NAMES.iter().find(|(_, n)| *n == name.trim()) {
            Some((flag, _)) => f.union(*flag),
            None => f,
        })
    }

    /// strace's names of the flags, in `NAMES` order.
    pub fn names(self) -> Vec<String> {
        Self::NAMES.iter().filter(|(f, _)| self.contains(*f)).map(|(_, n)| n.to_string()).collect()
    }
}

/// Protection and sharing of a file mapping (mmap's `prot` and `flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MapMode {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// MAP_SHARED (writes reach the file), not MAP_PRIVATE.
    pub shared: bool,
}

impl MapMode {
    /// "r", "w", "x" in that order; "" for PROT_NONE.
    pub fn prot(self) -> String {
        [(self.read, 'r'), (self.write, 'w'), (self.exec, 'x')].iter().filter(|(on, _)| *on).map(|(_, c)| *c).collect()
    }

    /// From strace's text: prot "PROT_READ|PROT_EXEC", flags "MAP_SHARED|...".
    pub fn named(prot: &str, flags: &str) -> MapMode {
        let has = |text: &str, name: &str| text.split('|').any(|n| n.trim() == name);
        MapMode {
            read: has(prot, "PROT_READ"),
            write: has(prot, "PROT_WRITE"),
            exec: has(prot, "PROT_EXEC"),
            shared: has(flags, "MAP_SHARED") || has(flags, "MAP_SHARED_VALIDATE"),
        }
    }
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
