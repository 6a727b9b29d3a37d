//! What the binding offers JavaScript of this platform's sources, in one
//! place: the capture session's factories, started by the row of the live
//! source registry (`crate::live`) that `method` names; window markers, CPU
//! keeping and the counters fallback, each handed to `crate::platform`
//! (linux.rs, macos.rs, windows.rs or unsupported.rs, which offer the same
//! functions).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::counters::CounterSnapshot;
use crate::live::binding_start;
use crate::options::TraceOptions;
use crate::platform;
use crate::session::TraceSession;

#[napi]
impl TraceSession {
    /// Runs `argv` to its end under the live source `options.method`
    /// (default: this platform's first, see `liveSources()`; Linux: our
    /// tracer, seccomp-filtered so that only counted syscalls stop). Each
    /// argument is a string (passed as UTF-8) or a Buffer (its bytes passed
    /// as they are, for arguments that are not UTF-8: Linux's execve takes
    /// any bytes but NUL). Throws (InvalidArg) for a method this build does
    /// not run.
    #[napi(factory)]
    pub fn launch(argv: Vec<Either<String, Buffer>>, options: Option<TraceOptions>) -> Result<TraceSession> {
        let options = options.unwrap_or_default();
        let (launch, _) = binding_start(options.method.as_deref())?;
        launch(argv.into_iter().map(os_arg).collect(), options)
    }

    /// Measures a running process (every thread) until `stop()` or its
    /// exit, with the live source `options.method` (as `launch`).
    #[napi(factory)]
    pub fn attach(pid: i32, options: Option<TraceOptions>) -> Result<TraceSession> {
        let options = options.unwrap_or_default();
        let (_, attach) = binding_start(options.method.as_deref())?;
        attach(pid, options)
    }
}

/// One argument of a command as the platform's exec takes it: a Buffer's
/// bytes as they are on Unix; on Windows (UTF-16 command lines) as text.
fn os_arg(arg: Either<String, Buffer>) -> std::ffi::OsString {
    match arg {
        Either::A(text) => text.into(),
        #[cfg(unix)]
        Either::B(bytes) => std::os::unix::ffi::OsStringExt::from_vec(bytes.to_vec()),
        #[cfg(not(unix))]
        Either::B(bytes) => String::from_utf8_lossy(&bytes).into_owned().into(),
    }
}

/// Marks the start of the measured window of this process, for a session
/// attached with this cookie (Linux: our tracer; Windows: the ETW session;
/// elsewhere nothing).
#[napi]
pub fn window_begin(cookie: u32) {
    platform::window_begin(cookie);
}

#[napi]
pub fn window_end(cookie: u32) {
    platform::window_end(cookie);
}

/// The CPUs this process may run on, kept before a window (Linux: the
/// tracer pins the traced threads; elsewhere empty).
#[napi]
pub fn own_cpus() -> Vec<u32> {
    platform::own_cpus()
}

/// Gives every thread of this process the affinity `cpus` again, when the
/// helper that pinned them died before it could.
#[napi]
pub fn restore_own_cpus(cpus: Vec<u32>) {
    platform::restore_own_cpus(&cpus);
}

/// Lets `pid` ptrace this process where Yama's ptrace_scope is 1 (Linux;
/// elsewhere nothing to do).
#[napi]
pub fn allow_tracer(pid: i32) -> Result<()> {
    platform::allow_tracer(pid)
}

/// Reads the counters of `pid`, or of this process.
#[napi]
pub fn counters_snapshot(pid: Option<i32>) -> Result<CounterSnapshot> {
    platform::counters_snapshot(pid)
}

/// The report (JSON) of a window measured with two counter snapshots,
/// `reason` saying first why counters were used.
#[napi]
pub fn counters_report(before: CounterSnapshot, after: CounterSnapshot, reason: String) -> String {
    platform::counters_report(&before, &after, &reason)
}
