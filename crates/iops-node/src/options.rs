//! What JavaScript passes with a capture or an import: session options,
//! and the warnings it adds to a report (with their codes).

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Options of a capture session.
#[napi(object)]
#[derive(Default)]
pub struct TraceOptions {
    /// The live source, by its report `method` (see `liveSources()`);
    /// default: this platform's first.
    pub method: Option<String>,
    /// Count sockets, pipes and ttys in the summary too.
    pub all_fds: Option<bool>,
    /// Attach mode: count only between `windowBegin(cookie)` and
    /// `windowEnd(cookie)` made by the traced process.
    pub marker_cookie: Option<u32>,
    /// Share one CPU between tracer and tracee (default false: the program
    /// then sees the CPUs it would see untraced).
    pub share_cpu: Option<bool>,
    /// Attach mode, Linux's ptrace tracer: threads of the traced process
    /// that are its host's (a notebook kernel's messaging threads), left
    /// untraced.
    pub host_threads: Option<Vec<i32>>,
    /// Attach mode, Linux's ptrace tracer: fds of the traced process that
    /// are its host's (a notebook kernel's sockets, pipes, eventfds): their
    /// calls are not counted until the process closes or replaces them.
    pub host_fds: Option<Vec<i32>>,
    /// Launch mode, Linux's ptrace tracer: where ptrace is refused, run the
    /// command untraced and report its I/O counters, labelled (default
    /// true). False when the method was asked for by name: the refusal is
    /// then the capture's error (EPERM) and the command does not run.
    pub counters_fallback: Option<bool>,
    /// macOS: why the event source (fs_usage) is not used, said first in
    /// the counters report.
    pub fallback_reason: Option<String>,
}

/// A warning the caller adds to a report: its stable code (a `WarningCode`
/// of the report, kebab-case: "events-lost") and its one-line text.
#[napi(object)]
pub struct WarningNote {
    pub code: String,
    pub text: String,
}

/// The core's warnings of `notes`; an unknown code is the caller's error.
pub(crate) fn warnings_of(notes: Option<Vec<WarningNote>>) -> Result<Vec<iops_core::Warning>> {
    notes
        .unwrap_or_default()
        .into_iter()
        .map(|n| match iops_core::WarningCode::from_name(&n.code) {
            Some(code) => Ok(code.with(n.text)),
            None => Err(Error::from_reason(format!("unknown warning code: {:?}", n.code))),
        })
        .collect()
}
