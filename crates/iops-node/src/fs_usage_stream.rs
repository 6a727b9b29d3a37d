//! fs_usage output, pushed in chunks as it arrives, parsed by the core's
//! line parser into a report. Platform-free: the macOS source
//! (src/sources/fs_usage.ts) feeds it live; tests feed it fixtures.

use iops_core::lines::LineFeeder;
use iops_core::parse::fs_usage::FsUsageParser;
use iops_core::parse::LineParser;
use iops_core::report::{ExitInfo, ReportContext};
use iops_core::Aggregator;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// What the capture knows beside the lines.
#[napi(object)]
#[derive(Default)]
pub struct FsUsageContext {
    pub command: Option<Vec<String>>,
    pub pid: Option<i32>,
    /// Length of the measured span, when known better than from the lines.
    pub elapsed_ns: Option<f64>,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<String>,
    pub exit_signal_number: Option<i32>,
    /// Said first (the capture's own notes, e.g. fs_usage's "buffer overrun").
    pub warnings: Option<Vec<crate::options::WarningNote>>,
}

#[napi]
pub struct FsUsageStream {
    parser: FsUsageParser,
    agg: Aggregator,
    /// Cuts the output into lines (an over-long one cut, its rest skipped).
    lines: LineFeeder,
}

#[napi]
impl FsUsageStream {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        FsUsageStream { parser: FsUsageParser::new(), agg: Aggregator::new(), lines: LineFeeder::new() }
    }

    /// Counts only calls completed between these local times of day, in
    /// microseconds since midnight. Call before pushing.
    #[napi]
    pub fn set_window(&mut self, begin_tod_us: f64, end_tod_us: f64) {
        self.parser.set_window(begin_tod_us.max(0.0) as u64, end_tod_us.max(0.0) as u64);
    }

    /// Lines containing `marker` are the capture's own probes: skipped, counted.
    #[napi]
    pub fn set_marker(&mut self, marker: String) {
        self.parser.set_marker(marker.as_bytes());
    }

    #[napi]
    pub fn marker_seen(&self) -> f64 {
        self.parser.marker_seen() as f64
    }

    #[napi]
    pub fn push(&mut self, chunk: Buffer) {
        let (parser, agg) = (&mut self.parser, &mut self.agg);
        self.lines.feed(&chunk, memchr::memchr_iter(b'\n', &chunk), |line, _| parser.line(line, agg));
    }

    /// The report as JSON. Throws on a warning with an unknown code.
    #[napi]
    pub fn finish(&mut self, context: Option<FsUsageContext>) -> Result<String> {
        let (parser, agg) = (&mut self.parser, &mut self.agg);
        self.lines.finish(|line| parser.line(line, agg));
        self.parser.finish(&mut self.agg);
        let c = context.unwrap_or_default();
        let exit = (c.exit_code.is_some() || c.exit_signal_number.is_some()).then_some(ExitInfo {
            code: c.exit_code,
            signal: c.exit_signal,
            signal_number: c.exit_signal_number,
        });
        let ctx = ReportContext {
            command: c.command,
            pid: c.pid,
            elapsed_ns: c.elapsed_ns.map_or(0, |n| n.max(0.0) as u64),
            exit,
            warnings: crate::options::warnings_of(c.warnings)?,
            ..Default::default()
        };
        Ok(self.parser.fs_usage_report(&self.agg, ctx).to_json())
    }
}
