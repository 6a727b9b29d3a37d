//! Linux: its tracers on the session's worker thread (the thread that
//! attaches must be the one that waits), window markers and CPU keeping for
//! `profile()`, and /proc/<pid>/io for the counters fallback.
//!
//! Every platform module offers the same functions: `window_begin`,
//! `window_end`, `own_cpus`, `restore_own_cpus`, `allow_tracer`,
//! `counters_snapshot`, `counters_report`; and the start functions its rows
//! in the live source registry (live.rs) name: `run_tracer`.

use std::sync::Arc;

use iops_core::source::CaptureFailure;
use iops_core::{ProgressCounters, Report};
use iops_linux::procio::ProcIo;
use iops_linux::{HostTraffic, Options, StopWaiter, Target};
use napi::bindgen_prelude::*;

use crate::counters::{now_ns, CounterSnapshot};
use crate::session::{Control, TraceSession};
use crate::options::TraceOptions;

/// A Linux tracer's entry point, shaped as `iops_linux::trace` is: runs a
/// whole capture on the calling thread, calling `on_ready` with the pid once
/// every thread is captured; its error says why (`CaptureFailure`).
pub type TracerEntry<E> = fn(Target, &Options, Arc<ProgressCounters>, StopWaiter, &mut dyn FnMut(i32)) -> std::result::Result<Report, E>;

/// Runs the tracer `entry` on `target` on the session's worker thread.
pub fn run_tracer<E: CaptureFailure + 'static>(target: Target, o: TraceOptions, entry: TracerEntry<E>) -> Result<TraceSession> {
    let options = Options {
        all_fds: o.all_fds.unwrap_or(false),
        marker_cookie: o.marker_cookie,
        share_cpu: o.share_cpu.unwrap_or(false),
        host: HostTraffic { threads: o.host_threads.unwrap_or_default(), fds: o.host_fds.unwrap_or_default() },
        counters_fallback: o.counters_fallback.unwrap_or(true),
    };
    let (stopper, waiter) = iops_linux::stop_pair().map_err(|e| Error::from_reason(e.to_string()))?;
    TraceSession::spawn(
        move || stopper.stop(),
        move |c: Control| {
            // A pid is checked, and a thread's is its process's, whichever tracer runs.
            let (target, note) = match target {
                Target::Attach(pid) => match iops_linux::process::attachable(pid) {
                    Ok(a) => (Target::Attach(a.pid), a.warning(pid)),
                    Err(e) => return Err((e.code().to_string(), e.to_string())),
                },
                launch => (launch, None),
            };
            entry(target, &options, c.progress.clone(), waiter, &mut |pid| c.started(pid))
                .map(|mut r| {
                    if let Some(w) = note {
                        r.insert_warning(0, w);
                    }
                    r.to_json()
                })
                .map_err(|e| (e.code().to_string(), e.to_string()))
        },
    )
}


pub fn window_begin(cookie: u32) {
    iops_linux::markers::begin(cookie);
}

pub fn window_end(cookie: u32) {
    iops_linux::markers::end(cookie);
}

pub fn own_cpus() -> Vec<u32> {
    iops_linux::markers::own_cpus()
}

pub fn restore_own_cpus(cpus: &[u32]) {
    iops_linux::markers::restore_own_cpus(cpus);
}

pub fn allow_tracer(pid: i32) -> Result<()> {
    iops_linux::markers::allow_tracer(pid).map_err(|e| Error::from_reason(e.to_string()))
}

/// Reads /proc/<pid>/io, or this process's with one read call.
pub fn counters_snapshot(pid: Option<i32>) -> Result<CounterSnapshot> {
    let (io, self_read, pid) = match pid {
        Some(pid) => (ProcIo::read(pid).map_err(|e| Error::from_reason(format!("cannot read /proc/{pid}/io: {e}")))?, 0, pid),
        None => {
            let (io, n) = ProcIo::read_self().map_err(|e| Error::from_reason(format!("cannot read /proc/self/io: {e}")))?;
            (io, n, std::process::id() as i32)
        }
    };
    Ok(CounterSnapshot {
        rchar: io.rchar as f64,
        wchar: io.wchar as f64,
        syscr: io.syscr as f64,
        syscw: io.syscw as f64,
        read_bytes: io.read_bytes as f64,
        write_bytes: io.write_bytes as f64,
        self_read: self_read as f64,
        time_ns: now_ns(),
        pid,
    })
}

fn to_procio(s: &CounterSnapshot) -> ProcIo {
    ProcIo {
        rchar: s.rchar as u64,
        wchar: s.wchar as u64,
        syscr: s.syscr as u64,
        syscw: s.syscw as u64,
        read_bytes: s.read_bytes as u64,
        write_bytes: s.write_bytes as u64,
        cancelled_write_bytes: 0,
    }
}

/// When the process read its own counters, the `after` snapshot still sees
/// the read that took `before` (one call, `selfRead` bytes): taken off.
pub fn counters_report(before: &CounterSnapshot, after: &CounterSnapshot, reason: &str) -> String {
    let mut delta = to_procio(after).since(&to_procio(before));
    if before.self_read > 0.0 {
        delta.syscr = delta.syscr.saturating_sub(1);
        delta.rchar = delta.rchar.saturating_sub(before.self_read as u64);
    }
    let elapsed_ns = (after.time_ns - before.time_ns).max(0.0) as u64;
    iops_linux::procio::counters_report(&delta, elapsed_ns, after.pid, reason, None, None).to_json()
}
