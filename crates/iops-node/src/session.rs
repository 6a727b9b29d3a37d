//! The capture session JavaScript sees, the same on every platform
//! (progress, pid, stop, waitReady, wait; its factories launch/attach are in
//! `sources`): a platform's source runs as one blocking call on a worker
//! thread and publishes its pid, readiness and progress through `Control`.

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
