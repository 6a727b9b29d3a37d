//! The napi-rs binding: capture sessions that run on their own thread,
//! window markers, and the counters fallback. Reports cross the boundary as
//! JSON text, so there is one report shape, defined in `iops-core`.
#![deny(clippy::all)]

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
mod unsupported;
#[cfg(not(target_os = "linux"))]
pub use unsupported::*;

/// Version of the report format this addon produces.
#[napi_derive::napi]
pub fn report_version() -> u32 {
    iops_core::report::REPORT_VERSION
}
