//! The napi-rs binding: the capture session (`session`), the counters
//! fallback (`counters`) and the log importers, the same JavaScript shape on
//! every platform, with the platform's sources behind `platform`. Reports
//! cross the boundary as JSON text, so there is one report shape, defined in
//! `iops-core`.
#![deny(clippy::all)]

mod counters;
mod session;
mod session_tasks;
pub use counters::*;
pub use session::*;

mod fs_usage_stream;
pub use fs_usage_stream::*;
mod line_import;
pub use line_import::*;

// The platform's sources: each module offers launch/attach, window markers,
// CPU keeping, and counter readings and reports (see linux.rs for the list).
#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod platform;
#[cfg(windows)]
#[path = "windows.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
#[path = "unsupported.rs"]
mod platform;
#[cfg(not(target_os = "linux"))]
mod no_tracer;

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

/// A warning the caller adds to a report: its stable code (a `WarningCode`
/// of the report, kebab-case: "events-lost") and its one-line text.
#[napi_derive::napi(object)]
pub struct WarningNote {
    pub code: String,
    pub text: String,
}

/// The core's warnings of `notes`; an unknown code is the caller's error.
fn warnings_of(notes: Option<Vec<WarningNote>>) -> napi::Result<Vec<iops_core::Warning>> {
    notes
        .unwrap_or_default()
        .into_iter()
        .map(|n| match iops_core::WarningCode::from_name(&n.code) {
            Some(code) => Ok(code.with(n.text)),
            None => Err(napi::Error::from_reason(format!("unknown warning code: {:?}", n.code))),
        })
        .collect()
}

/// Version of the report format this addon produces.
#[napi_derive::napi]
pub fn report_version() -> u32 {
    iops_core::report::REPORT_VERSION
}
