//! Which syscalls we stop on, and what each one means to the aggregator.
//! The numbers come from `libc` for the build's architecture.

use iops_core::report::CallKind;
use iops_core::{MetaKind, Syscall};
use libc::c_long;

/// What a syscall number means to the tracer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Not ours: in attach mode every syscall stops, most are simply resumed.
    Ignored,
    Data(Syscall),
    Meta(MetaKind),
    /// Calls only timed, for where the time goes (`Report::callTime`):
    /// sync_file_range, syncfs, sync, msync, mkdir, truncate, tee...
    Timed(CallKind),
    /// mmap: a mapping of a file is listed (`Report::mappings`). Its
    /// arguments are kept as `map_args` packs them. Not in `traced()`: the
    /// seccomp filter stops only the mmaps of an fd (see `seccomp`).
    Map,
    /// Creates or replaces fds without being a metadata call we count
    /// (dup2, dup3, close_range): keeps the fd cache true.
    FdChange,
    /// io_uring does its I/O without syscalls we can see.
    IoUring,
    /// The end of a signal handler: tells whether a call the signal
    /// interrupted failed with EINTR or is restarted.
    SigReturn,
    /// lseek: its result is the fd's new position (access patterns).
    Seek,
    /// seccomp, prctl: the program may install a filter of its own, whose
    /// SECCOMP_RET_TRACE stops then come to us too.
    FilterInstall,
    /// ptrace: the program's own tracing (a debugger, strace, a sanitizer's
    /// leak check), refused while we trace it: said in the report.
    Ptrace,
}

use Class::*;
use MetaKind as M;
use Syscall as S;

/// The syscalls every architecture has.
const COMMON: &[(c_long, Class)] = &[
    (libc::SYS_read, Data(S::Read)),
    (libc::SYS_write, Data(S::Write)),
    (libc::SYS_pread64, Data(S::Pread64)),
    (libc::SYS_pwrite64, Data(S::Pwrite64)),
    (libc::SYS_readv, Data(S::Readv)),
    (libc::SYS_writev, Data(S::Writev)),
    (libc::SYS_preadv, Data(S::Preadv)),
    (libc::SYS_pwritev, Data(S::Pwritev)),
    (libc::SYS_preadv2, Data(S::Preadv2)),
    (libc::SYS_pwritev2, Data(S::Pwritev2)),
    (libc::SYS_sendfile, Data(S::Sendfile)),
    (libc::SYS_copy_file_range, Data(S::CopyFileRange)),
    (libc::SYS_splice, Data(S::Splice)),
    (libc::SYS_openat, Meta(M::Open)),
    (libc::SYS_openat2, Meta(M::Open)),
    (libc::SYS_close, Meta(M::Close)),
    (libc::SYS_fstat, Meta(M::Stat)),
    (libc::SYS_newfstatat, Meta(M::Stat)),
    (libc::SYS_statx, Meta(M::Stat)),
    (libc::SYS_fsync, Meta(M::Fsync)),
    (libc::SYS_fdatasync, Meta(M::Fsync)),
    (libc::SYS_unlinkat, Meta(M::Unlink)),
    (libc::SYS_renameat, Meta(M::Rename)),
    (libc::SYS_renameat2, Meta(M::Rename)),
    (libc::SYS_getdents64, Meta(M::Getdents)),
    (libc::SYS_sync_file_range, Timed(CallKind::Sync)),
    (libc::SYS_syncfs, Timed(CallKind::Sync)),
    (libc::SYS_sync, Timed(CallKind::Sync)),
    (libc::SYS_msync, Timed(CallKind::Sync)),
    (libc::SYS_tee, Timed(CallKind::Transfer)),
    (libc::SYS_mkdirat, Timed(CallKind::OtherMetadata)),
    (libc::SYS_truncate, Timed(CallKind::OtherMetadata)),
    (libc::SYS_ftruncate, Timed(CallKind::OtherMetadata)),
    (libc::SYS_fallocate, Timed(CallKind::OtherMetadata)),
    (libc::SYS_linkat, Timed(CallKind::OtherMetadata)),
    (libc::SYS_symlinkat, Timed(CallKind::OtherMetadata)),
    (libc::SYS_dup3, FdChange),
    (libc::SYS_close_range, FdChange),
    (libc::SYS_io_uring_setup, IoUring),
    (libc::SYS_io_uring_enter, IoUring),
    (libc::SYS_rt_sigreturn, SigReturn),
    (libc::SYS_lseek, Seek),
    (libc::SYS_seccomp, FilterInstall),
    (libc::SYS_prctl, FilterInstall),
    (libc::SYS_ptrace, Ptrace),
];

/// The older calls that x86-64 keeps and newer ports (arm64) dropped.
#[cfg(target_arch = "x86_64")]
const LEGACY: &[(c_long, Class)] = &[
    (libc::SYS_open, Meta(M::Open)),
    (libc::SYS_creat, Meta(M::Open)),
    (libc::SYS_stat, Meta(M::Stat)),
    (libc::SYS_lstat, Meta(M::Stat)),
    (libc::SYS_unlink, Meta(M::Unlink)),
    (libc::SYS_rmdir, Meta(M::Unlink)),
    (libc::SYS_rename, Meta(M::Rename)),
    (libc::SYS_getdents, Meta(M::Getdents)),
    (libc::SYS_mkdir, Timed(CallKind::OtherMetadata)),
    (libc::SYS_link, Timed(CallKind::OtherMetadata)),
    (libc::SYS_symlink, Timed(CallKind::OtherMetadata)),
    (libc::SYS_dup2, FdChange),
];
#[cfg(not(target_arch = "x86_64"))]
const LEGACY: &[(c_long, Class)] = &[];

/// Every syscall we trace, with its class (mmap apart: `Class::Map`).
pub fn traced() -> impl Iterator<Item = (c_long, Class)> {
    COMMON.iter().chain(LEGACY.iter()).copied()
}

/// mmap's number (traced by the seccomp filter only when it maps an fd).
pub const MMAP: c_long = libc::SYS_mmap;

/// The arguments a call keeps (`Pending::args`) from its six, `arg(i)`:
/// the first four, but for mmap(addr, length, prot, flags, fd, offset)
/// [fd, length, prot, flags], and for preadv2/pwritev2(fd, iov, vlen,
/// pos_l, pos_h, flags) [fd, iov, flags, pos_l] (RWF_APPEND moves a write).
#[inline]
pub fn kept_args(class: Class, arg: impl Fn(usize) -> u64) -> [u64; 4] {
    match class {
        Class::Map => [arg(4), arg(1), arg(2), arg(3)],
        Class::Data(Syscall::Preadv2 | Syscall::Pwritev2) => [arg(0), arg(1), arg(5), arg(3)],
        _ => [arg(0), arg(1), arg(2), arg(3)],
    }
}

/// The syscall used as a window marker by a process that is being traced in
/// attach mode: `fcntl(MARKER_FD, cookie, phase)` fails with EBADF and has no
/// other effect, and the tracer recognises it by its arguments.
pub const MARKER_SYSCALL: c_long = libc::SYS_fcntl;
pub const MARKER_FD: i32 = iops_core::window::MARKER_FD as i32;
pub use iops_core::window::{MARKER_BEGIN, MARKER_END};

const TABLE_SIZE: usize = 512;

/// O(1) syscall-number → class lookup for the event loop.
pub struct ClassTable([Class; TABLE_SIZE]);

impl ClassTable {
    pub fn new() -> Self {
        let mut t = [Class::Ignored; TABLE_SIZE];
        for (nr, class) in traced() {
            t[nr as usize] = class;
        }
        t[MMAP as usize] = Class::Map;
        ClassTable(t)
    }

    #[inline]
    pub fn get(&self, nr: u64) -> Class {
        self.0.get(nr as usize).copied().unwrap_or(Class::Ignored)
    }
}

impl Default for ClassTable {
    fn default() -> Self {
        Self::new()
    }
}

/// What a kernel-internal "restart" code seen at a syscall's exit stop means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    /// A real result.
    No,
    /// ERESTARTNOINTR, ERESTART_RESTARTBLOCK: the call runs again, always.
    Always,
    /// ERESTARTSYS, ERESTARTNOHAND: a signal handler may turn it into EINTR
    /// (the handler's rt_sigreturn then returns -EINTR), or it runs again.
    UnlessHandled,
}

pub fn restart(rval: i64) -> Restart {
    match -rval {
        512 | 514 => Restart::UnlessHandled,
        513 | 516 => Restart::Always,
        _ => Restart::No,
    }
}
