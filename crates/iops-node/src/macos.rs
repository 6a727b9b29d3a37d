//! macOS: captures by the process's disk counters (`proc_pid_rusage`,
//! method "rusage"), the fallback when `fs_usage` cannot run (it needs
//! root). The fs_usage source itself is driven from TypeScript
//! (src/sources/fs_usage.ts) through the platform-free line parser.
//! Untested on a real Mac: type-checked for both Apple targets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use iops_macos::process;
use iops_macos::rusage::{rusage_report, DiskUsage};
use napi::bindgen_prelude::*;

use crate::counters::{now_ns, CounterSnapshot};
use crate::session::{Control, TraceSession};
use crate::options::TraceOptions;

fn reason() -> &'static str {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        "fs_usage needs root: run with sudo, or allow fs_usage alone without a password with a sudoers rule for /usr/bin/fs_usage (see the README, \"macOS\")"
    } else {
        "the fs_usage source was not used"
    }
}

fn failed(e: process::CaptureError) -> (String, String) {
    (e.code.to_string(), e.message)
}

/// The rusage row's start functions (live.rs), the fallback select.ts runs
/// with `fallback_reason`. Launch mode has nothing to stop: the command runs
/// to its end.
pub fn launch(argv: Vec<std::ffi::OsString>, options: TraceOptions) -> Result<TraceSession> {
    // Not yet as bytes here: arguments that are not UTF-8 go as U+FFFD.
    let argv: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let why = options.fallback_reason.unwrap_or_else(|| reason().into());
    TraceSession::spawn(|| {}, move |c: Control| process::launch(&argv, &why, &mut |pid| c.started(pid)).map_err(failed))
}

pub fn attach(pid: i32, options: TraceOptions) -> Result<TraceSession> {
    let why = options.fallback_reason.unwrap_or_else(|| reason().into());
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    TraceSession::spawn(
        move || flag.store(true, Ordering::Relaxed),
        move |c: Control| process::attach(pid, &why, stop, &mut || c.started(pid)).map_err(failed),
    )
}

pub fn counters_snapshot(pid: Option<i32>) -> Result<CounterSnapshot> {
    let pid = pid.unwrap_or(std::process::id() as i32);
    let d = process::read(pid).map_err(|e| Error::from_reason(format!("proc_pid_rusage({pid}) failed: {e}")))?;
    Ok(CounterSnapshot {
        rchar: 0.0,
        wchar: 0.0,
        syscr: 0.0,
        syscw: 0.0,
        read_bytes: d.read_bytes as f64,
        write_bytes: d.write_bytes as f64,
        self_read: 0.0,
        time_ns: now_ns(),
        pid,
    })
}

fn disk(s: &CounterSnapshot) -> DiskUsage {
    DiskUsage { read_bytes: s.read_bytes as u64, write_bytes: s.write_bytes as u64 }
}

pub fn counters_report(before: &CounterSnapshot, after: &CounterSnapshot, reason: &str) -> String {
    let elapsed_ns = (after.time_ns - before.time_ns).max(0.0) as u64;
    rusage_report(&disk(after).since(&disk(before)), elapsed_ns, after.pid, reason, "this process, every thread", None, None).to_json()
}

/// Windows are fs_usage's (in TypeScript) or counters': nothing to mark here.
pub fn window_begin(_cookie: u32) {}

pub fn window_end(_cookie: u32) {}

pub use crate::no_tracer::{allow_tracer, own_cpus, restore_own_cpus};
