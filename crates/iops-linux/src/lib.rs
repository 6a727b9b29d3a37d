//! Linux capture backend: our own ptrace tracer (seccomp-filtered launch,
//! attach with exact window markers) and the /proc/<pid>/io counters.
//!
//! Data flows one way, each module using only those below it:
//! - `session`: a capture from start to report, and the capture loop
//!   (wait for a tracee's report, hand it to the tracer);
//! - `process`: what a pid given to attach names (its process, a kernel
//!   thread, a zombie);
//! - `launch`, `attach`: starting (and, for attach, ending) the tracing of
//!   a command or of a running process; `error`: why one cannot start;
//! - `leftover`: what a launched command left running (daemons), and the
//!   privileges an exec under ptrace did not get;
//! - `report`: the tracer's `Outcome` as a report, with every warning the
//!   tracer gives and its share of the elapsed time;
//! - `calibrate`: what one stop costs the program, measured after a capture
//!   by a throwaway child traced by a `Tracer`;
//! - `tracer`: what each report of a tracee means (syscall entry/exit,
//!   births, exec, exit, signals), the window; `placement`: its stops
//!   counted, some sampled for where tracer and tracee met; `schedstat`:
//!   the CPU time and run-queue wait of its threads and of the tracer;
//!   `stoptime`: how long it held each stop, and sampled intervals between
//!   a thread's stops (what a stop costs beyond that);
//! - `calls`: what a finished call counts as; `threads`: per-thread state;
//!   `fds`: fd → file and position; `tasks`: a process's /proc entries
//!   through a live thread of it (its leader or the caller may have exited);
//! - `wait`: waitpid statuses decoded once; `regs`: the syscall register
//!   ABI; `ptrace`: the requests; `syscalls`, `seccomp`: which calls stop.
#![cfg(target_os = "linux")]

mod affinity;
mod attach;
mod calibrate;
pub mod calls;
pub mod error;
pub mod fds;
pub mod launch;
pub mod leftover;
pub mod maps;
pub mod markers;
mod placement;
pub mod process;
pub mod procio;
mod ptrace;
mod regs;
mod schedstat;
pub mod report;
pub mod seccomp;
pub mod session;
pub mod stop;
mod stoptime;
pub mod syscalls;
pub mod tasks;
pub mod threads;
mod tracer;
pub mod wait;

pub use attach::HostTraffic;
pub use session::{trace, Options, Target, TraceError};
pub use stop::{stop_pair, StopWaiter, Stopper};
