//! Windows: captures by the ETW kernel file I/O session (method "etw"), or,
//! without the rights, by the process's I/O counters (`GetProcessIoCounters`,
//! method "io-counters"). Untested on real Windows: type-checked for
//! x86_64-pc-windows-msvc, built for x86_64-pc-windows-gnu and run under
//! wine (where the session is refused and the counters path runs).

use iops_core::etw::EtwDecoder;
use iops_core::report::ReportContext;
use iops_windows::counters::{counters_report as io_report, IoCounters};
use iops_windows::etw_session::{self, explain, Session};
use iops_windows::process;
use napi::bindgen_prelude::*;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::counters::{now_ns, CounterSnapshot};
use crate::session::{Control, TraceSession};
use crate::options::TraceOptions;

fn failed(e: process::CaptureError) -> (String, String) {
    (e.code.to_string(), e.message)
}

/// The ETW row's start functions (live.rs). Launch mode has nothing to
/// stop: the command runs to its end.
pub fn launch(argv: Vec<std::ffi::OsString>, _options: TraceOptions) -> Result<TraceSession> {
    // Not yet as bytes here: arguments that are not UTF-8 go as U+FFFD.
    let argv: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    TraceSession::spawn(
        || {},
        move |c: Control| process::launch(&argv, &mut |pid| c.started(pid as i32)).map(|r| r.to_json()).map_err(failed),
    )
}

/// A stop flag for a capture body, and what `stop()` does to it.
fn stop_flag() -> (Arc<AtomicBool>, impl Fn() + Send + Sync + 'static) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    (stop, move || flag.store(true, Ordering::Relaxed))
}

pub fn attach(pid: i32, options: TraceOptions) -> Result<TraceSession> {
    if pid <= 0 {
        return Err(Error::from_reason(format!("no such process: {pid}")));
    }
    if let Some(cookie) = options.marker_cookie {
        return attach_window(pid, cookie);
    }
    let (stop, on_stop) = stop_flag();
    TraceSession::spawn(on_stop, move |c: Control| {
        process::attach(pid as u32, stop, &mut || c.started(pid)).map(|r| r.to_json()).map_err(failed)
    })
}

pub fn counters_snapshot(pid: Option<i32>) -> Result<CounterSnapshot> {
    if pid.is_some_and(|p| p as u32 != std::process::id()) {
        return Err(Error::from_reason("counters of another process: use TraceSession.attach"));
    }
    let c = process::read_self().map_err(|e| Error::from_reason(format!("GetProcessIoCounters failed: {e}")))?;
    Ok(CounterSnapshot {
        rchar: c.read_bytes as f64,
        wchar: c.write_bytes as f64,
        syscr: c.read_ops as f64,
        syscw: c.write_ops as f64,
        read_bytes: 0.0,
        write_bytes: 0.0,
        self_read: 0.0,
        time_ns: now_ns(),
        pid: std::process::id() as i32,
    })
}

fn io_counters(s: &CounterSnapshot) -> IoCounters {
    IoCounters {
        read_ops: s.syscr as u64,
        write_ops: s.syscw as u64,
        read_bytes: s.rchar as u64,
        write_bytes: s.wchar as u64,
        ..Default::default()
    }
}

pub fn counters_report(before: &CounterSnapshot, after: &CounterSnapshot, reason: &str) -> String {
    let delta = io_counters(after).since(&io_counters(before));
    let elapsed_ns = (after.time_ns - before.time_ns).max(0.0) as u64;
    let mut report = io_report(&delta, elapsed_ns, after.pid, reason, "this process, every thread", None, None);
    process::mark_wine(&mut report);
    report.to_json()
}

/// profile(): an ETW session on this process, counting only between
/// `windowBegin(cookie)` and `windowEnd(cookie)`. Throws, saying why, when
/// no session can start (the caller then reads the counters).
fn attach_window(pid: i32, cookie: u32) -> Result<TraceSession> {
    let mut decoder = EtwDecoder::new(pid as u32, true);
    decoder.await_window();
    let session = Session::start(decoder).map_err(|e| Error::from_reason(explain(&e)))?;
    etw_session::register_window(cookie, session.state());
    let (stop, on_stop) = stop_flag();
    TraceSession::spawn(on_stop, move |c: Control| {
        c.started(pid);
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let state = session.stop();
        etw_session::forget_window(cookie);
        let st = state.lock().map_err(|_| ("EIO".to_string(), "the ETW callback panicked".to_string()))?;
        Ok(st.decoder.report(&st.agg, ReportContext { pid: Some(pid), ..Default::default() }).to_json())
    })
}

pub fn window_begin(cookie: u32) {
    etw_session::window_begin(cookie);
}

pub fn window_end(cookie: u32) {
    etw_session::window_end(cookie);
}

pub use crate::no_tracer::{allow_tracer, own_cpus, restore_own_cpus};
