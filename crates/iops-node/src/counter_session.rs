//! The session object of the platforms whose capture runs as one blocking
//! call on a worker thread (Windows, macOS): the same JavaScript shape as
//! the Linux tracer's session (launch/attach, progress, pid, stop,
//! waitReady, wait), so the TypeScript layer is the same everywhere.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use napi::bindgen_prelude::*;
use napi_derive::napi;

pub use crate::session_tasks::{error_json, Outcome};
use crate::session_tasks::{WaitReady, WaitReport};

/// What a capture body gets: where to publish the pid, how to say it is
/// ready, and the stop flag to poll.
pub struct Control {
    pub pid: Arc<AtomicI32>,
    ready: Sender<()>,
    pub stop: Arc<AtomicBool>,
}

impl Control {
    pub fn started(&self, pid: i32) {
        self.pid.store(pid, Ordering::Relaxed);
        let _ = self.ready.send(());
    }
}

#[napi(object)]
pub struct Progress {
    pub ops: f64,
    pub bytes: f64,
}

#[napi]
pub struct TraceSession {
    pid: Arc<AtomicI32>,
    stop: Arc<AtomicBool>,
    ready: Arc<Mutex<Option<Receiver<()>>>>,
    worker: Arc<Mutex<Option<JoinHandle<Outcome>>>>,
}

impl TraceSession {
    /// Runs `body` on its own thread; its outcome is what `wait()` resolves with.
    pub fn spawn(body: impl FnOnce(Control) -> Outcome + Send + 'static) -> Result<TraceSession> {
        let pid = Arc::new(AtomicI32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = channel();
        let control = Control { pid: pid.clone(), ready: ready_tx, stop: stop.clone() };
        let worker = std::thread::Builder::new()
            .name("iops-capture".into())
            .spawn(move || body(control))
            .map_err(|e| Error::from_reason(e.to_string()))?;
        Ok(TraceSession {
            pid,
            stop,
            ready: Arc::new(Mutex::new(Some(ready_rx))),
            worker: Arc::new(Mutex::new(Some(worker))),
        })
    }
}

#[napi]
impl TraceSession {
    /// Runs `argv` to its end and reports what this platform's source saw.
    #[napi(factory)]
    pub fn launch(argv: Vec<String>, options: Option<crate::TraceOptions>) -> Result<TraceSession> {
        crate::platform::launch(argv, options.unwrap_or_default())
    }

    /// Measures a running process until `stop()` or its exit.
    #[napi(factory)]
    pub fn attach(pid: i32, options: Option<crate::TraceOptions>) -> Result<TraceSession> {
        crate::platform::attach(pid, options.unwrap_or_default())
    }

    /// Counter sources see totals only at the end: always zero here.
    #[napi]
    pub fn progress(&self) -> Progress {
        Progress { ops: 0.0, bytes: 0.0 }
    }

    #[napi]
    pub fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// Attach mode: end the window and report. Launch mode: no effect.
    #[napi]
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn wait_ready(&self) -> AsyncTask<WaitReady> {
        AsyncTask::new(WaitReady(self.ready.clone()))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn wait(&self) -> AsyncTask<WaitReport> {
        AsyncTask::new(WaitReport(self.worker.clone()))
    }
}

/// Marks the start of a measured window of this process (Windows: the ETW
/// session registered under `cookie`; elsewhere nothing).
#[napi]
pub fn window_begin(cookie: u32) {
    crate::platform::window_begin(cookie);
}

#[napi]
pub fn window_end(cookie: u32) {
    crate::platform::window_end(cookie);
}

/// CPU pinning is a Linux tracer matter: nothing to keep here.
#[napi]
pub fn own_cpus() -> Vec<u32> {
    Vec::new()
}

#[napi]
pub fn restore_own_cpus(_cpus: Vec<u32>) {}

/// Yama's ptrace scope is Linux only.
#[napi]
pub fn allow_tracer(_pid: i32) -> Result<()> {
    Ok(())
}

/// A reading of a process's counters, in the Linux shape: on Windows from
/// `IO_COUNTERS` (syscr/syscw = read/write requests, rchar/wchar = their
/// bytes, readBytes/writeBytes 0), on macOS from `proc_pid_rusage`
/// (readBytes/writeBytes = disk bytes, the rest 0).
#[napi(object)]
pub struct CounterSnapshot {
    pub rchar: f64,
    pub wchar: f64,
    pub syscr: f64,
    pub syscw: f64,
    pub read_bytes: f64,
    pub write_bytes: f64,
    pub self_read: f64,
    pub time_ns: f64,
    pub pid: i32,
}

/// Monotonic nanoseconds since the first call in this process.
pub fn now_ns() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as f64
}

#[napi]
pub fn counters_snapshot(pid: Option<i32>) -> Result<CounterSnapshot> {
    crate::platform::counters_snapshot(pid)
}

#[napi]
pub fn counters_report(before: CounterSnapshot, after: CounterSnapshot, reason: String) -> String {
    crate::platform::counters_report(&before, &after, &reason)
}
