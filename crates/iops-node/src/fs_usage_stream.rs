//! fs_usage output, pushed in chunks as it arrives, parsed by the core's
//! line parser into a report. Platform-free: the macOS source
//! (src/sources/fs_usage.ts) feeds it live; tests feed it fixtures.

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
    /// The unfinished last line of the previous chunk.
    carry: Vec<u8>,
}

#[napi]
impl FsUsageStream {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        FsUsageStream { parser: FsUsageParser::new(), agg: Aggregator::new(), carry: Vec::new() }
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
        let mut data: &[u8] = &chunk;
        while let Some(nl) = data.iter().position(|&b| b == b'\n') {
            if self.carry.is_empty() {
                self.parser.line(&data[..nl], &mut self.agg);
            } else {
                self.carry.extend_from_slice(&data[..nl]);
                self.parser.line(&self.carry, &mut self.agg);
                self.carry.clear();
            }
            data = &data[nl + 1..];
        }
        self.carry.extend_from_slice(data);
        // No fs_usage line is this long: cut it, so memory stays bounded.
        if self.carry.len() > 1 << 20 {
            self.parser.line(&self.carry[..1 << 20], &mut self.agg);
            self.carry.clear();
        }
    }

    /// The report as JSON. Throws on a warning with an unknown code.
    #[napi]
    pub fn finish(&mut self, context: Option<FsUsageContext>) -> Result<String> {
        if !self.carry.is_empty() {
            let line = std::mem::take(&mut self.carry);
            self.parser.line(&line, &mut self.agg);
        }
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
