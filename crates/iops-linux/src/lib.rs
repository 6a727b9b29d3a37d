//! Linux capture backend: our own ptrace tracer (seccomp-filtered launch,
//! attach with exact window markers) and the /proc/<pid>/io counters.
#![cfg(target_os = "linux")]

mod affinity;
pub mod fds;
pub mod markers;
pub mod procio;
mod ptrace;
mod seccomp;
pub mod session;
pub mod stop;
mod syscalls;
mod tracer;

pub use session::{trace, Options, Target, TraceError};
pub use stop::{stop_pair, StopWaiter, Stopper};
