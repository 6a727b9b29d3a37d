//! The napi-rs binding: capture sessions that run on their own thread,
//! window markers, and the counters fallback. Reports cross the boundary as
//! JSON text, so there is one report shape, defined in `iops-core`.
#![deny(clippy::all)]

mod session_tasks;

mod fs_usage_stream;
pub use fs_usage_stream::*;
mod line_import;
pub use line_import::*;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

// Elsewhere the same session shape runs one blocking capture per thread,
// with this platform's source behind it.
#[cfg(not(target_os = "linux"))]
mod counter_session;
#[cfg(not(target_os = "linux"))]
pub use counter_session::*;
#[cfg(windows)]
#[path = "windows.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
#[path = "unsupported.rs"]
mod platform;

/// Options of a capture session.
#[napi_derive::napi(object)]
#[derive(Default)]
pub struct TraceOptions {
    /// Count sockets, pipes and ttys in the summary too.
    pub all_fds: Option<bool>,
    /// Attach mode: count only between `windowBegin(cookie)` and
    /// `windowEnd(cookie)` made by the traced process.
    pub marker_cookie: Option<u32>,
    /// Share one CPU between tracer and tracee (default false: the program
    /// then sees the CPUs it would see untraced).
    pub share_cpu: Option<bool>,
    /// macOS: why the event source (fs_usage) is not used, said first in
    /// the counters report.
    pub fallback_reason: Option<String>,
}

/// Version of the report format this addon produces.
#[napi_derive::napi]
pub fn report_version() -> u32 {
    iops_core::report::REPORT_VERSION
}
