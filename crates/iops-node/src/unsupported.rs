//! Platforms with no capture source at all (neither Linux, macOS nor
//! Windows: no row in the live source registry, live.rs): every capture says so in one line.

use napi::bindgen_prelude::*;

use crate::counters::CounterSnapshot;

fn unsupported() -> Error {
    Error::from_reason(format!("iops-profiler has no capture source on {}", std::env::consts::OS))
}

pub fn counters_snapshot(_pid: Option<i32>) -> Result<CounterSnapshot> {
    Err(unsupported())
}

pub fn counters_report(_before: &CounterSnapshot, _after: &CounterSnapshot, _reason: &str) -> String {
    crate::session_tasks::error_json("ENOTSUP", &unsupported().reason)
}

/// Windows are fs_usage's (in TypeScript) or counters': nothing to mark here.
pub fn window_begin(_cookie: u32) {}

pub fn window_end(_cookie: u32) {}

pub use crate::no_tracer::{allow_tracer, own_cpus, restore_own_cpus};
