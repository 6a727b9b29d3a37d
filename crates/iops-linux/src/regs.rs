//! The syscall register ABI: where a stopped thread's registers hold the
//! call's number, arguments and result. x86-64 keeps the number in
//! orig_rax and the arguments in rdi, rsi, rdx, r10 through the call, beside
//! the result in rax, so one read at the exit stop gives the whole call.
//! Elsewhere the tracer reads calls through PTRACE_GET_SYSCALL_INFO and only
//! needs to make a call fail (`skip`).

use std::io;

use libc::pid_t;

use crate::ptrace;

/// The general registers of the thread last read.
#[cfg(target_arch = "x86_64")]
pub struct Regs(libc::user_regs_struct);

#[cfg(target_arch = "x86_64")]
impl Regs {
    pub fn new() -> Regs {
        Regs(unsafe { std::mem::zeroed() })
    }

    /// Reads the registers of stopped thread `tid`.
    pub fn read(&mut self, tid: pid_t) -> io::Result<()> {
        ptrace::get_regs(tid, &mut self.0)
    }

    /// The call's number; `u64::MAX` (-1) after rt_sigreturn, which
    /// restores the interrupted context's registers, or once `skip`ped.
    pub fn nr(&self) -> u64 {
        self.0.orig_rax
    }

    /// Argument `i` (0 to 5).
    pub fn arg(&self, i: usize) -> u64 {
        let r = &self.0;
        [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9][i]
    }

    /// The thread runs 32-bit code (its code segment is __USER32_CS): its
    /// calls come by the compat ABI. A 64-bit program's `int 0x80` has the
    /// 64-bit segment; only PTRACE_GET_SYSCALL_INFO's arch tells those.
    pub fn compat_mode(&self) -> bool {
        self.0.cs == 0x23
    }

    /// The result (`-errno` on failure); at entry, -ENOSYS.
    pub fn rval(&self) -> i64 {
        self.0.rax as i64
    }

    /// Makes the call stopped thread `tid` is entering fail with `-errno`
    /// without running it: the kernel skips a call whose number the tracer
    /// set to -1.
    pub fn skip(&mut self, tid: pid_t, errno: i32) -> io::Result<()> {
        self.read(tid)?;
        self.0.orig_rax = u64::MAX;
        self.0.rax = -(errno as i64) as u64;
        ptrace::set_regs(tid, &self.0)
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub struct Regs;

#[cfg(target_arch = "aarch64")]
impl Regs {
    pub fn new() -> Regs {
        Regs
    }

    /// As on x86-64: the number set to -1 (NT_ARM_SYSTEM_CALL) skips the
    /// call, and x0 holds its result.
    pub fn skip(&mut self, tid: pid_t, errno: i32) -> io::Result<()> {
        const NT_ARM_SYSTEM_CALL: usize = 0x404;
        let mut nr: libc::c_int = -1;
        ptrace::set_regset(tid, NT_ARM_SYSTEM_CALL, &mut nr)?;
        let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
        ptrace::get_regset(tid, libc::NT_PRSTATUS as usize, &mut regs)?;
        regs.regs[0] = -(errno as i64) as u64;
        ptrace::set_regset(tid, libc::NT_PRSTATUS as usize, &mut regs)
    }
}
