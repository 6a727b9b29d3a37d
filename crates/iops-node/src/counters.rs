//! A reading of a process's counters, for the counters fallback driven from
//! JavaScript (a reading before and after a window; see `sources`).

use napi_derive::napi;

/// A reading of a process's counters, in /proc/<pid>/io's terms: on Linux
/// from /proc/<pid>/io; on Windows from `IO_COUNTERS` (syscr/syscw =
/// read/write requests, rchar/wchar = their bytes, readBytes/writeBytes 0);
/// on macOS from `proc_pid_rusage` (readBytes/writeBytes = disk bytes, the
/// rest 0).
#[napi(object)]
pub struct CounterSnapshot {
    pub rchar: f64,
    pub wchar: f64,
    pub syscr: f64,
    pub syscw: f64,
    pub read_bytes: f64,
    pub write_bytes: f64,
    /// Bytes that taking this reading read in the measured process itself
    /// (one read call, Linux); 0 when it was another process.
    pub self_read: f64,
    /// Monotonic nanoseconds (`now_ns`).
    pub time_ns: f64,
    pub pid: i32,
}

/// Monotonic nanoseconds since the first call in this process.
pub fn now_ns() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as f64
}
