//! The capture session JavaScript sees, the same on every platform
//! (launch/attach, progress, pid, stop, waitReady, wait): the platform's
//! source (`crate::platform`) runs as one blocking call on a worker thread
//! and publishes its pid, readiness and progress through `Control`.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use iops_core::ProgressCounters;
use napi::bindgen_prelude::*;
use napi_derive::napi;

pub use crate::session_tasks::Outcome;
use crate::session_tasks::{WaitReady, WaitReport};

/// What a capture body gets: where to publish the pid and the progress,
/// and how to say it is ready.
pub struct Control {
    pid: Arc<AtomicI32>,
    ready: Sender<()>,
    /// Storage operations and bytes counted so far (counter sources leave
    /// it at zero: they see totals only at the end).
    pub progress: Arc<ProgressCounters>,
}

impl Control {
    /// Every thread of `pid` is being captured.
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
    progress: Arc<ProgressCounters>,
    pid: Arc<AtomicI32>,
    stop: Box<dyn Fn() + Send + Sync>,
    ready: Arc<Mutex<Option<Receiver<()>>>>,
    worker: Arc<Mutex<Option<JoinHandle<Outcome>>>>,
}

impl TraceSession {
    /// Runs `body` on its own thread; its outcome is what `wait()` resolves
    /// with. `stop` is what `stop()` does (attach mode: end the window).
    pub fn spawn(
        stop: impl Fn() + Send + Sync + 'static,
        body: impl FnOnce(Control) -> Outcome + Send + 'static,
    ) -> Result<TraceSession> {
        let pid = Arc::new(AtomicI32::new(0));
        let progress = Arc::new(ProgressCounters::default());
        let (ready_tx, ready_rx) = channel();
        let control = Control { pid: pid.clone(), ready: ready_tx, progress: progress.clone() };
        let worker = std::thread::Builder::new()
            .name("iops-capture".into())
            .spawn(move || body(control))
            .map_err(|e| Error::from_reason(e.to_string()))?;
        Ok(TraceSession {
            progress,
            pid,
            stop: Box::new(stop),
            ready: Arc::new(Mutex::new(Some(ready_rx))),
            worker: Arc::new(Mutex::new(Some(worker))),
        })
    }
}

#[napi]
impl TraceSession {
    /// Runs `argv` to its end under this platform's source (Linux: our
    /// tracer, seccomp-filtered so that only counted syscalls stop).
    #[napi(factory)]
    pub fn launch(argv: Vec<String>, options: Option<crate::TraceOptions>) -> Result<TraceSession> {
        crate::platform::launch(argv, options.unwrap_or_default())
    }

    /// Measures a running process (every thread) until `stop()` or its exit.
    #[napi(factory)]
    pub fn attach(pid: i32, options: Option<crate::TraceOptions>) -> Result<TraceSession> {
        crate::platform::attach(pid, options.unwrap_or_default())
    }

    /// Storage operations and bytes counted so far (always zero for
    /// counter sources, which see totals only at the end).
    #[napi]
    pub fn progress(&self) -> Progress {
        Progress {
            ops: self.progress.ops.load(Ordering::Relaxed) as f64,
            bytes: self.progress.bytes.load(Ordering::Relaxed) as f64,
        }
    }

    /// The measured process (launch: the command), once ready; 0 before.
    #[napi]
    pub fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// Attach mode: stop counting, detach, report. Launch mode: no effect
    /// (the command runs to its end).
    #[napi]
    pub fn stop(&self) {
        (self.stop)();
    }

    /// Resolves true once every thread is captured, false if the capture
    /// ended (or failed) first.
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

/// Marks the start of the measured window of this process, for a session
/// attached with this cookie (Linux: our tracer; Windows: the ETW session;
/// elsewhere nothing).
#[napi]
pub fn window_begin(cookie: u32) {
    crate::platform::window_begin(cookie);
}

#[napi]
pub fn window_end(cookie: u32) {
    crate::platform::window_end(cookie);
}

/// The CPUs this process may run on, kept before a window (Linux: the
/// tracer pins the traced threads; elsewhere empty).
#[napi]
pub fn own_cpus() -> Vec<u32> {
    crate::platform::own_cpus()
}

/// Gives every thread of this process the affinity `cpus` again, when the
/// helper that pinned them died before it could.
#[napi]
pub fn restore_own_cpus(cpus: Vec<u32>) {
    crate::platform::restore_own_cpus(&cpus);
}

/// Lets `pid` ptrace this process where Yama's ptrace_scope is 1 (Linux;
/// elsewhere nothing to do).
#[napi]
pub fn allow_tracer(pid: i32) -> Result<()> {
    crate::platform::allow_tracer(pid)
}
