//! The napi-rs binding: the capture session (`session`), what it offers of
//! this platform's sources (`sources`, handing each call to `platform`) and
//! the log importers, the same JavaScript shape on every platform. Reports
//! cross the boundary as JSON text, so there is one report shape, defined in
//! `iops-core`.
#![deny(clippy::all)]

mod counters;
mod live;
mod merge;
mod options;
mod session;
mod session_tasks;
mod sources;
pub use counters::*;
pub use live::{live_sources, LiveSourceInfo};
pub use merge::merge_reports;
pub use options::*;
pub use session::*;
pub use sources::*;

mod fs_usage_stream;
pub use fs_usage_stream::*;
mod line_import;
pub use line_import::*;

// The platform's functions: window markers, CPU keeping, counter readings
// and reports (see linux.rs for the list), and its sources' start functions
// (named by their rows in `live`).
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

/// Version of the report format this addon produces.
#[napi_derive::napi]
pub fn report_version() -> u32 {
    iops_core::report::REPORT_VERSION
}

/// The findings of a saved report, for one written before reports carried
/// them: `reportJson` is the report as `iops --json` wrote it (any
/// release); returns the JSON of its `findings` list, computed from its
/// figures as the core computes them for a new report (the same code, on
/// the report read back: the fields its release lacked are empty). Throws
/// when the text is not the JSON of a report, in one line ("not an iops
/// report: missing field `summary` at line 1 column 2").
#[napi_derive::napi]
pub fn report_findings(report_json: String) -> napi::Result<String> {
    let found = iops_core::findings::of_json(&report_json).map_err(|e| napi::Error::from_reason(format!("not an iops report: {e}")))?;
    Ok(serde_json::to_string(&found).expect("findings serialize"))
}
