//! Linux eBPF capture backend: the raw_syscalls tracepoints, filtered in the
//! kernel by traced process and by syscall number, one record per finished
//! call through a ring buffer, into the same core as the ptrace tracer
//! (iops-linux's syscall table, fd cache and `Calls`). The traced program
//! is never stopped: it pays a byte read and one map lookup per syscall and
//! a record per counted call; another process, a byte read.
//!
//! Modules, each using only those below it:
//! - `capture`: a capture from start to report (launch or attach, the
//!   polling loop, the end of the process tree);
//! - `events`: what each record means (calls, exec, process ends, markers);
//! - `paths`: an opened file's name as the kernel gives it (resolved
//!   through the file system, not the text);
//! - `program`: the kernel side, embedded at build time, loaded and
//!   attached (links owned by this process: gone with it);
//! - `record`: the record layout shared with bpf/iops.bpf.c;
//! - `btf`: where an fd's file position is in kernel memory, from the
//!   kernel's BTF (for `program`);
//! - `ring`: the ring buffer's reader (records read in place).
//!
//! Built without clang, the crate has no BPF program and `trace` says so.
#![cfg(target_os = "linux")]

#[cfg(iops_ebpf)]
mod btf;
mod capture;
#[cfg(iops_ebpf)]
mod events;
#[cfg(any(iops_ebpf, test))]
mod paths;
#[cfg(iops_ebpf)]
mod program;
#[cfg(iops_ebpf)]
mod record;
#[cfg(iops_ebpf)]
mod ring;

pub use capture::{trace, unavailable, BUILT};
