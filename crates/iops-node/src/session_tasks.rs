//! What every platform's session hands to JavaScript as promises: "ready"
//! (every thread is being captured) and the report, each awaited on libuv's
//! thread pool so that the event loop never blocks on a capture.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use napi::bindgen_prelude::*;

/// The report as JSON, or (code, message).
pub type Outcome = std::result::Result<String, (String, String)>;

/// `{"error":{"code","message"}}`: how a failed capture crosses to TypeScript.
pub fn error_json(code: &str, message: &str) -> String {
    serde_json::json!({ "error": { "code": code, "message": message } }).to_string()
}

/// Resolves true once the capture is ready, false if it ended (or failed) first.
pub struct WaitReady(pub Arc<Mutex<Option<Receiver<()>>>>);

impl Task for WaitReady {
    type Output = bool;
    type JsValue = bool;
    fn compute(&mut self) -> Result<bool> {
        let rx = self.0.lock().unwrap().take();
        Ok(rx.is_some_and(|rx| rx.recv().is_ok()))
    }
    fn resolve(&mut self, _env: Env, output: bool) -> Result<bool> {
        Ok(output)
    }
}

/// Resolves with the capture thread's report (or error) as JSON; once.
pub struct WaitReport(pub Arc<Mutex<Option<JoinHandle<Outcome>>>>);

impl Task for WaitReport {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> Result<String> {
        let handle = self.0.lock().unwrap().take();
        Ok(match handle.map(|h| h.join()) {
            Some(Ok(Ok(json))) => json,
            Some(Ok(Err((code, message)))) => error_json(&code, &message),
            Some(Err(_)) => error_json("EIO", "the capture thread panicked"),
            None => error_json("EINVAL", "wait() was already called on this session"),
        })
    }
    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}
