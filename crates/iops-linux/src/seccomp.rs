//! The BPF filter installed in a launched child before exec: the syscalls we
//! count return SECCOMP_RET_TRACE (a stop for the tracer); everything else
//! runs at full speed without waking the tracer.

use libc::{c_long, sock_filter, sock_fprog};

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter { code, jt: 0, jf: 0, k }
}

fn jeq(k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code: BPF_JEQ_K, jt, jf, k }
}

/// A filter that traces exactly `syscalls` of the native architecture.
pub struct Filter {
    program: Vec<sock_filter>,
}

impl Filter {
    pub fn new(syscalls: impl IntoIterator<Item = c_long>) -> Filter {
        let nrs: Vec<u32> = syscalls.into_iter().map(|n| n as u32).collect();
        let n = nrs.len();
        assert!(n < 250, "jump offsets are 8 bits");
        let mut p = Vec::with_capacity(n + 5);
        p.push(stmt(BPF_LD_W_ABS, OFFSET_ARCH));
        // Other ABIs (i386 compat) are not ours to interpret: let them run.
        p.push(jeq(AUDIT_ARCH, 0, n as u8 + 1));
        p.push(stmt(BPF_LD_W_ABS, OFFSET_NR));
        for (i, nr) in nrs.iter().enumerate() {
            // On match jump to the TRACE return, just past the ALLOW one.
            p.push(jeq(*nr, (n - i) as u8, 0));
        }
        p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
        p.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE));
        Filter { program: p }
    }

    /// Installs the filter on the calling thread. Async-signal-safe (it only
    /// makes a syscall), so a forked child may call it before exec.
    pub fn install(&self) -> std::io::Result<()> {
        let prog = sock_fprog { len: self.program.len() as u16, filter: self.program.as_ptr() as *mut _ };
        let r = unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const sock_fprog) };
        if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }
}
