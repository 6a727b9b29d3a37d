//! The BPF filter installed in a launched child before exec: the syscalls we
//! count return SECCOMP_RET_TRACE (a stop for the tracer); everything else
//! runs at full speed without waking the tracer. The read/write-family calls
//! and metadata calls of the 32-bit compat ABI stop too, each with their own
//! data value, so that the report can say they happened even though it
//! cannot count them (never a silent zero). mmap stops
//! only when it maps an fd: malloc's anonymous mappings (fd -1) run free.

use libc::{c_long, sock_filter, sock_fprog};

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;
/// The low word of mmap's fd, `seccomp_data.args[4]` (little-endian).
const OFFSET_ARG4_LOW: u32 = 16 + 4 * 8;

/// SECCOMP_RET_DATA of our stops (PTRACE_GETEVENTMSG gives it back): tells
/// them from the stops of a filter the program installed itself.
pub const DATA_NATIVE: u64 = 0x10f5;
/// A read/write-family call of the compat ABI (see `COMPAT_DATA_CALLS`).
pub const DATA_COMPAT: u64 = 0x10f6;
/// A metadata call of the compat ABI (see `COMPAT_META_CALLS`).
pub const DATA_COMPAT_META: u64 = 0x10f7;

#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH_COMPAT: u32 = 0x4000_0003; // i386 (int 0x80, sysenter)
/// i386: read, write, readv, writev, pread64, pwrite64, sendfile, sendfile64,
/// splice, preadv, pwritev, copy_file_range, preadv2, pwritev2.
#[cfg(target_arch = "x86_64")]
pub const COMPAT_DATA_CALLS: &[u32] = &[3, 4, 145, 146, 180, 181, 187, 239, 313, 333, 334, 377, 378, 379];
/// i386 (asm/unistd_32.h): the metadata and timed calls of our native
/// table: open, close, creat, link, unlink, oldstat, oldfstat, sync, rename,
/// mkdir, rmdir, symlink, oldlstat, truncate, ftruncate, stat, lstat,
/// fstat, fsync, getdents, msync, fdatasync, truncate64, ftruncate64,
/// stat64, lstat64, fstat64, getdents64, openat, mkdirat, fstatat64,
/// unlinkat, renameat, linkat, symlinkat, sync_file_range, tee, fallocate,
/// syncfs, renameat2, statx, openat2.
#[cfg(target_arch = "x86_64")]
pub const COMPAT_META_CALLS: &[u32] = &[
    5, 6, 8, 9, 10, 18, 28, 36, 38, 39, 40, 83, 84, 92, 93, 106, 107, 108, 118, 141, 144, 148, 193, 194, 195, 196, 197, 220,
    295, 296, 300, 301, 302, 303, 304, 314, 315, 324, 344, 353, 383, 437,
];

#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH: u32 = 0xC000_00B7;
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH_COMPAT: u32 = 0x4000_0028; // 32-bit ARM (EABI)
/// ARM EABI: the same calls as on i386, by their ARM numbers.
#[cfg(target_arch = "aarch64")]
pub const COMPAT_DATA_CALLS: &[u32] = &[3, 4, 145, 146, 180, 181, 187, 239, 340, 361, 362, 391, 392, 393];
/// ARM EABI: open, close, creat, link, unlink, sync, rename, mkdir, rmdir,
/// symlink, truncate, ftruncate, stat, lstat, fstat, fsync, getdents, msync,
/// fdatasync, truncate64, ftruncate64, stat64, lstat64, fstat64, getdents64,
/// openat, mkdirat, fstatat64, unlinkat, renameat, linkat, symlinkat,
/// sync_file_range2, tee, fallocate, syncfs, renameat2, statx, openat2.
#[cfg(target_arch = "aarch64")]
pub const COMPAT_META_CALLS: &[u32] = &[
    5, 6, 8, 9, 10, 36, 38, 39, 40, 83, 92, 93, 106, 107, 108, 118, 141, 144, 148, 193, 194, 195, 196, 197, 217, 322, 323,
    327, 328, 329, 330, 331, 341, 342, 352, 373, 382, 397, 437,
];

/// What a compat-ABI number is among the calls we count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompatCall {
    Data,
    Meta,
}

/// `COMPAT_DATA_CALLS` and `COMPAT_META_CALLS` as bitsets: a lookup per
/// stop costs two loads.
#[derive(Clone, Copy)]
pub struct CompatCalls {
    data: [u64; 8],
    meta: [u64; 8],
}

impl CompatCalls {
    pub fn new() -> CompatCalls {
        let set = |nrs: &[u32]| {
            nrs.iter().fold([0u64; 8], |mut set, &nr| {
                set[nr as usize / 64] |= 1 << (nr % 64);
                set
            })
        };
        CompatCalls { data: set(COMPAT_DATA_CALLS), meta: set(COMPAT_META_CALLS) }
    }

    /// What compat-ABI call `nr` is to us; `None`: one we do not count.
    #[inline]
    pub fn kind(&self, nr: u64) -> Option<CompatCall> {
        let has = |set: &[u64; 8]| nr < 512 && set[nr as usize / 64] & (1 << (nr % 64)) != 0;
        if has(&self.data) {
            Some(CompatCall::Data)
        } else if has(&self.meta) {
            Some(CompatCall::Meta)
        } else {
            None
        }
    }
}

impl Default for CompatCalls {
    fn default() -> Self {
        Self::new()
    }
}

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter { code, jt: 0, jf: 0, k }
}

fn jeq(k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code: BPF_JEQ_K, jt, jf, k }
}

/// Appends "load the number; return TRACE | data if it is one of `nrs`,
/// else ALLOW".
fn trace_if_one_of(p: &mut Vec<sock_filter>, nrs: &[u32], data: u64) {
    trace_by_group(p, &[(nrs, data)]);
}

/// Appends "load the number; return TRACE | the data of the first group
/// that has it, else ALLOW".
fn trace_by_group(p: &mut Vec<sock_filter>, groups: &[(&[u32], u64)]) {
    let n: usize = groups.iter().map(|(nrs, _)| nrs.len()).sum();
    assert!(n + groups.len() < 250, "jump offsets are 8 bits");
    p.push(stmt(BPF_LD_W_ABS, OFFSET_NR));
    let mut left = n; // tests still to come
    for (g, (nrs, _)) in groups.iter().enumerate() {
        for nr in nrs.iter() {
            left -= 1;
            // On match jump past the tests left and the ALLOW to group g's TRACE return.
            p.push(jeq(*nr, (left + 1 + g) as u8, 0));
        }
    }
    p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    for (_, data) in groups {
        p.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE | *data as u32));
    }
}

/// Instructions of the mmap rule at the start of the native section.
const MAP_RULE_LEN: usize = 6;

/// A filter that traces exactly `syscalls` of the native architecture and
/// the mmaps of an fd, and the compat ABI's read/write-family and metadata calls.
pub struct Filter {
    program: Vec<sock_filter>,
}

impl Filter {
    pub fn new(syscalls: impl IntoIterator<Item = c_long>) -> Filter {
        let nrs: Vec<u32> = syscalls.into_iter().map(|n| n as u32).collect();
        let mut p = Vec::with_capacity(nrs.len() + COMPAT_DATA_CALLS.len() + COMPAT_META_CALLS.len() + 15);
        p.push(stmt(BPF_LD_W_ABS, OFFSET_ARCH));
        // Native: past the compat test, to the native section.
        p.push(jeq(AUDIT_ARCH, 1, 0));
        // Compat: to its section, past the native one and the ALLOW after
        // it, which any other ABI gets.
        let native_len = MAP_RULE_LEN + nrs.len() + 3;
        assert!(native_len + 1 < 256, "jump offsets are 8 bits");
        p.push(jeq(AUDIT_ARCH_COMPAT, native_len as u8 + 1, native_len as u8));
        // mmap of an fd stops; an anonymous one (fd -1) does not.
        p.push(stmt(BPF_LD_W_ABS, OFFSET_NR));
        p.push(jeq(crate::syscalls::MMAP as u32, 0, 4));
        p.push(stmt(BPF_LD_W_ABS, OFFSET_ARG4_LOW));
        p.push(jeq(u32::MAX, 0, 1));
        p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
        p.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE | DATA_NATIVE as u32));
        trace_if_one_of(&mut p, &nrs, DATA_NATIVE);
        p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
        trace_by_group(&mut p, &[(COMPAT_DATA_CALLS, DATA_COMPAT), (COMPAT_META_CALLS, DATA_COMPAT_META)]);
        Filter { program: p }
    }

    /// Installs the filter on the calling thread. Async-signal-safe (it only
    /// makes a syscall), so a forked child may call it before exec. Returns
    /// the errno on failure (EACCES: neither CAP_SYS_ADMIN nor no_new_privs).
    pub fn install(&self) -> Result<(), i32> {
        let prog = sock_fprog { len: self.program.len() as u16, filter: self.program.as_ptr() as *mut _ };
        let r = unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const sock_fprog) };
        if r == 0 {
            Ok(())
        } else {
            Err(unsafe { *libc::__errno_location() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the filter on (arch, nr) as the kernel would (the instructions
    /// it uses: load word, jump if equal, return).
    fn verdict(f: &Filter, arch: u32, nr: u32) -> u32 {
        verdict_with(f, arch, nr, 0)
    }

    /// As `verdict`, `arg4` the call's fifth argument (mmap's fd).
    fn verdict_with(f: &Filter, arch: u32, nr: u32, arg4: u32) -> u32 {
        let mut pc = 0;
        let mut acc = 0;
        loop {
            let i = f.program[pc];
            match i.code {
                BPF_LD_W_ABS => {
                    acc = match i.k {
                        OFFSET_ARCH => arch,
                        OFFSET_NR => nr,
                        OFFSET_ARG4_LOW => arg4,
                        k => panic!("unexpected offset {k}"),
                    }
                }
                BPF_JEQ_K => pc += if acc == i.k { i.jt } else { i.jf } as usize,
                BPF_RET_K => return i.k,
                other => panic!("unexpected instruction {other:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    fn traces_our_calls_and_the_compat_data_calls_only() {
        let ours: Vec<c_long> = crate::syscalls::traced().map(|(nr, _)| nr).collect();
        let f = Filter::new(ours.iter().copied());
        for nr in ours {
            assert_eq!(verdict(&f, AUDIT_ARCH, nr as u32), SECCOMP_RET_TRACE | DATA_NATIVE as u32);
        }
        assert_eq!(verdict(&f, AUDIT_ARCH, libc::SYS_getppid as u32), SECCOMP_RET_ALLOW);
        for &nr in COMPAT_DATA_CALLS {
            assert_eq!(verdict(&f, AUDIT_ARCH_COMPAT, nr), SECCOMP_RET_TRACE | DATA_COMPAT as u32);
        }
        assert_eq!(verdict(&f, AUDIT_ARCH_COMPAT, 20), SECCOMP_RET_ALLOW, "i386 getpid");
        assert_eq!(verdict(&f, 0x1234, 1), SECCOMP_RET_ALLOW, "another ABI");
        let mmap = crate::syscalls::MMAP as u32;
        assert_eq!(verdict_with(&f, AUDIT_ARCH, mmap, 3), SECCOMP_RET_TRACE | DATA_NATIVE as u32, "mmap of fd 3");
        assert_eq!(verdict_with(&f, AUDIT_ARCH, mmap, u32::MAX), SECCOMP_RET_ALLOW, "anonymous mmap (fd -1)");
        assert_eq!(verdict_with(&f, AUDIT_ARCH_COMPAT, 20, 3), SECCOMP_RET_ALLOW, "i386 getpid, whatever its arguments");
    }

    #[test]
    fn the_compat_metadata_calls_stop_with_their_own_data() {
        let f = Filter::new(crate::syscalls::traced().map(|(nr, _)| nr));
        let set = CompatCalls::new();
        for &nr in COMPAT_META_CALLS {
            assert_eq!(verdict(&f, AUDIT_ARCH_COMPAT, nr), SECCOMP_RET_TRACE | DATA_COMPAT_META as u32, "compat {nr}");
            assert_eq!(set.kind(nr as u64), Some(CompatCall::Meta));
        }
        for &nr in COMPAT_DATA_CALLS {
            assert_eq!(set.kind(nr as u64), Some(CompatCall::Data));
        }
        assert_eq!(set.kind(20), None, "getpid");
        assert_eq!(set.kind(19), None, "lseek");
    }
}
