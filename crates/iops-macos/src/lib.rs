//! macOS capture backend. The platform-free part (the rusage report)
//! compiles and is tested everywhere; the live part (launching a command,
//! reading `proc_pid_rusage`, libSystem only) is behind
//! `cfg(target_os = "macos")`, type-checked here, untested on a real Mac.
//! The event source on macOS is `fs_usage`, spawned from TypeScript and
//! parsed by `iops_core::parse::fs_usage`.

pub mod rusage;

#[cfg(target_os = "macos")]
pub mod process;
