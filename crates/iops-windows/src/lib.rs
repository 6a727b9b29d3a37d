//! Windows capture backend. The platform-free parts (the counters report)
//! compile and are tested everywhere; the live parts (launching a command,
//! reading a process's counters) are behind `cfg(windows)` and are
//! type-checked here, untested on a real Windows machine.

pub mod counters;

#[cfg(windows)]
pub mod etw_session;
#[cfg(windows)]
pub mod process;
