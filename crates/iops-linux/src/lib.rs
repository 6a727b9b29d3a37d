//! Linux capture backend: our own ptrace tracer (seccomp-filtered launch,
//! attach with exact window markers) and the /proc/<pid>/io counters.
#![cfg(target_os = "linux")]

mod affinity;
mod attach;
mod calls;
mod errno;
mod error;
pub mod fds;
mod launch;
pub mod markers;
pub mod procio;
mod ptrace;
mod regs;
mod report;
mod seccomp;
pub mod session;
pub mod stop;
mod syscalls;
mod threads;
mod tracer;
mod wait;

pub use session::{trace, Options, Target, TraceError};
pub use stop::{stop_pair, StopWaiter, Stopper};
