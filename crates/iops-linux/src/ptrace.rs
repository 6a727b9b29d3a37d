//! Thin, allocation-free wrappers over the ptrace requests the tracer uses.
// The request constants are c_uint on glibc and c_int on musl: the casts are
// needed on one of them.
#![allow(clippy::unnecessary_cast)]

use libc::{c_long, c_void, pid_t};
use std::io;

pub const PTRACE_GET_SYSCALL_INFO: u32 = 0x420e;
pub const PTRACE_EVENT_STOP: i32 = 128;
pub const SYSCALL_INFO_ENTRY: u8 = 1;
pub const SYSCALL_INFO_EXIT: u8 = 2;
pub const SYSCALL_INFO_SECCOMP: u8 = 3;

/// `struct ptrace_syscall_info` from <linux/ptrace.h>. The union is laid out
/// as raw words: entry and seccomp share `nr` + `args`; exit puts `rval` in
/// the first word and `is_error` in the low byte of the second.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub struct SyscallInfo {
    pub op: u8,
    pad: [u8; 3],
    pub arch: u32,
    pub instruction_pointer: u64,
    pub stack_pointer: u64,
    words: [u64; 7],
    ret_data: u32,
    pad2: u32,
}

impl SyscallInfo {
    pub fn nr(&self) -> u64 {
        self.words[0]
    }
    pub fn arg(&self, i: usize) -> u64 {
        self.words[1 + i]
    }
    pub fn rval(&self) -> i64 {
        self.words[0] as i64
    }
    /// SECCOMP_RET_DATA of the filter that made a seccomp stop.
    pub fn ret_data(&self) -> u32 {
        self.ret_data
    }
}

fn check(r: c_long) -> io::Result<c_long> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

unsafe fn raw(req: u32, pid: pid_t, addr: usize, data: usize) -> io::Result<c_long> {
    // `ptrace` takes its request as c_uint on glibc and c_int on musl.
    check(libc::ptrace(req as _, pid, addr as *mut c_void, data as *mut c_void))
}

pub fn seize(pid: pid_t, options: i32) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_SEIZE as u32, pid, 0, options as usize).map(drop) }
}

pub fn set_options(pid: pid_t, options: i32) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_SETOPTIONS as u32, pid, 0, options as usize).map(drop) }
}

pub fn interrupt(pid: pid_t) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_INTERRUPT as u32, pid, 0, 0).map(drop) }
}

/// Resume until the next event or signal (no syscall stops but seccomp's).
pub fn cont(pid: pid_t, sig: i32) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_CONT as u32, pid, 0, sig as usize).map(drop) }
}

/// Resume until the next syscall entry or exit.
pub fn syscall(pid: pid_t, sig: i32) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_SYSCALL as u32, pid, 0, sig as usize).map(drop) }
}

pub fn listen(pid: pid_t) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_LISTEN as u32, pid, 0, 0).map(drop) }
}

pub fn detach(pid: pid_t, sig: i32) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_DETACH as u32, pid, 0, sig as usize).map(drop) }
}

pub fn event_msg(pid: pid_t) -> io::Result<u64> {
    let mut msg: libc::c_ulong = 0;
    unsafe { raw(libc::PTRACE_GETEVENTMSG as u32, pid, 0, &mut msg as *mut _ as usize)? };
    Ok(msg as u64)
}

pub fn syscall_info(pid: pid_t, info: &mut SyscallInfo) -> io::Result<u8> {
    unsafe {
        raw(
            PTRACE_GET_SYSCALL_INFO,
            pid,
            std::mem::size_of::<SyscallInfo>(),
            info as *mut SyscallInfo as usize,
        )?
    };
    Ok(info.op)
}

/// The general registers of a stopped tracee (see `regs` for what they hold).
#[cfg(target_arch = "x86_64")]
pub fn get_regs(pid: pid_t, regs: &mut libc::user_regs_struct) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_GETREGS as u32, pid, 0, regs as *mut _ as usize).map(drop) }
}

#[cfg(target_arch = "x86_64")]
pub fn set_regs(pid: pid_t, regs: &libc::user_regs_struct) -> io::Result<()> {
    unsafe { raw(libc::PTRACE_SETREGS as u32, pid, 0, regs as *const _ as usize).map(drop) }
}

/// Register set `note` (an NT_* value) of a stopped tracee, into `value`.
#[cfg(target_arch = "aarch64")]
pub fn get_regset<T>(pid: pid_t, note: usize, value: &mut T) -> io::Result<()> {
    let iov = libc::iovec { iov_base: value as *mut T as *mut c_void, iov_len: std::mem::size_of::<T>() };
    unsafe { raw(libc::PTRACE_GETREGSET as u32, pid, note, &iov as *const _ as usize).map(drop) }
}

#[cfg(target_arch = "aarch64")]
pub fn set_regset<T>(pid: pid_t, note: usize, value: &mut T) -> io::Result<()> {
    let iov = libc::iovec { iov_base: value as *mut T as *mut c_void, iov_len: std::mem::size_of::<T>() };
    unsafe { raw(libc::PTRACE_SETREGSET as u32, pid, note, &iov as *const _ as usize).map(drop) }
}

/// A 64-bit word of a stopped tracee's memory: the offset a call wrote back
/// through its offset pointer (sendfile, copy_file_range, splice).
pub fn read_u64(pid: pid_t, addr: u64) -> Option<u64> {
    let mut value = 0u64;
    let local = libc::iovec { iov_base: &mut value as *mut u64 as *mut c_void, iov_len: 8 };
    let remote = libc::iovec { iov_base: addr as *mut c_void, iov_len: 8 };
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    (n == 8).then_some(value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout_matches_the_kernel() {
        // 8 header bytes + 2 pointers + the seccomp arm of the union (nr,
        // 6 args, u32 ret_data, padded to 8).
        assert_eq!(std::mem::size_of::<super::SyscallInfo>(), 88);
    }

    #[test]
    fn reads_a_word_of_a_process() {
        let word: u64 = 0x0123_4567_89ab_cdef;
        let me = std::process::id() as libc::pid_t;
        assert_eq!(super::read_u64(me, &word as *const u64 as u64), Some(word));
        assert_eq!(super::read_u64(me, 8), None, "unmapped address");
    }
}
