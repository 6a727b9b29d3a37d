//! Linux: the ptrace tracer on a dedicated thread (the thread that attaches
//! must be the one that waits), with progress, stop and ready signals that
//! JavaScript can reach without blocking its event loop.

use std::sync::mpsc::{channel, Receiver};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use iops_core::ProgressCounters;
use iops_linux::procio::ProcIo;
use iops_linux::{Options, Stopper, Target};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::session_tasks::{Outcome, WaitReady, WaitReport};
use crate::TraceOptions;


#[napi(object)]
pub struct Progress {
    pub ops: f64,
    pub bytes: f64,
}


#[napi]
pub struct TraceSession {
    progress: Arc<ProgressCounters>,
    pid: Arc<AtomicI32>,
    stopper: Stopper,
    ready: Arc<Mutex<Option<Receiver<()>>>>,
    worker: Arc<Mutex<Option<JoinHandle<Outcome>>>>,
}

fn start(target: Target, options: Option<TraceOptions>) -> Result<TraceSession> {
    let o = options.unwrap_or_default();
    let options = Options {
        all_fds: o.all_fds.unwrap_or(false),
        marker_cookie: o.marker_cookie,
        share_cpu: o.share_cpu.unwrap_or(false),
    };
    let (stopper, waiter) = iops_linux::stop_pair().map_err(|e| Error::from_reason(e.to_string()))?;
    let progress = Arc::new(ProgressCounters::default());
    let (ready_tx, ready_rx) = channel();
    let thread_progress = progress.clone();
    let pid = Arc::new(AtomicI32::new(0));
    let thread_pid = pid.clone();
    let worker = std::thread::Builder::new()
        .name("iops-tracer".into())
        .spawn(move || {
            let mut on_ready = |pid| {
                thread_pid.store(pid, Ordering::Relaxed);
                let _ = ready_tx.send(());
            };
            iops_linux::trace(target, &options, thread_progress, waiter, &mut on_ready)
                .map(|r| r.to_json())
                .map_err(|e| (e.code().to_string(), e.to_string()))
        })
        .map_err(|e| Error::from_reason(e.to_string()))?;
    Ok(TraceSession {
        progress,
        pid,
        stopper,
        ready: Arc::new(Mutex::new(Some(ready_rx))),
        worker: Arc::new(Mutex::new(Some(worker))),
    })
}

#[napi]
impl TraceSession {
    /// Runs `argv` under the tracer (seccomp-filtered: only counted syscalls stop).
    #[napi(factory)]
    pub fn launch(argv: Vec<String>, options: Option<TraceOptions>) -> Result<TraceSession> {
        start(Target::Launch(argv), options)
    }

    /// Attaches to every thread of a running process.
    #[napi(factory)]
    pub fn attach(pid: i32, options: Option<TraceOptions>) -> Result<TraceSession> {
        start(Target::Attach(pid), options)
    }

    /// Storage operations and bytes counted so far.
    #[napi]
    pub fn progress(&self) -> Progress {
        Progress {
            ops: self.progress.ops.load(Ordering::Relaxed) as f64,
            bytes: self.progress.bytes.load(Ordering::Relaxed) as f64,
        }
    }

    /// The traced process (launch: the command), once ready; 0 before.
    #[napi]
    pub fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// Attach mode: stop counting, detach, report. Launch mode: no effect
    /// (the command runs to its end).
    #[napi]
    pub fn stop(&self) {
        self.stopper.stop();
    }

    /// Resolves true once every thread is traced, false if the capture ended
    /// (or failed) first.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn wait_ready(&self) -> AsyncTask<WaitReady> {
        AsyncTask::new(WaitReady(self.ready.clone()))
    }

    /// Resolves with the report as JSON, or `{"error":{"code","message"}}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn wait(&self) -> AsyncTask<WaitReport> {
        AsyncTask::new(WaitReport(self.worker.clone()))
    }
}

/// Marks the start of the measured window in a process traced in attach
/// mode with this cookie. Without a tracer, it does nothing.
#[napi]
pub fn window_begin(cookie: u32) {
    iops_linux::markers::begin(cookie);
}

#[napi]
pub fn window_end(cookie: u32) {
    iops_linux::markers::end(cookie);
}

/// The CPUs this process may run on, kept before a window.
#[napi]
pub fn own_cpus() -> Vec<u32> {
    iops_linux::markers::own_cpus()
}

/// Gives every thread of this process the affinity `cpus` again, when the
/// helper that pinned them died before it could.
#[napi]
pub fn restore_own_cpus(cpus: Vec<u32>) {
    iops_linux::markers::restore_own_cpus(&cpus);
}

/// Lets `pid` ptrace this process where Yama's ptrace_scope is 1.
#[napi]
pub fn allow_tracer(pid: i32) -> Result<()> {
    iops_linux::markers::allow_tracer(pid).map_err(|e| Error::from_reason(e.to_string()))
}

/// A reading of /proc/<pid>/io, for the counters fallback.
#[napi(object)]
pub struct CounterSnapshot {
    pub rchar: f64,
    pub wchar: f64,
    pub syscr: f64,
    pub syscw: f64,
    pub read_bytes: f64,
    pub write_bytes: f64,
    /// Bytes that taking this reading read in the measured process itself
    /// (one read call); 0 when it was another process.
    pub self_read: f64,
    pub time_ns: f64,
    pub pid: i32,
}

fn now_ns() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// Reads the counters of `pid`, or of this process with one read call.
#[napi]
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

/// The report of a window measured with two counter snapshots. When the
/// process read its own counters, the `after` snapshot still sees the read
/// that took `before` (one call, `selfRead` bytes), which is taken off.
#[napi]
pub fn counters_report(before: CounterSnapshot, after: CounterSnapshot, reason: String) -> String {
    let mut delta = to_procio(&after).since(&to_procio(&before));
    if before.self_read > 0.0 {
        delta.syscr = delta.syscr.saturating_sub(1);
        delta.rchar = delta.rchar.saturating_sub(before.self_read as u64);
    }
    let elapsed_ns = (after.time_ns - before.time_ns).max(0.0) as u64;
    iops_linux::procio::counters_report(&delta, elapsed_ns, after.pid, &reason, None, None).to_json()
}
