//! Live counters of Windows processes: run a command and read its counters
//! when it exits, or open a running process and read them at both ends of
//! the window. Untested on a real Windows machine (type-checked, and run
//! under wine by the packaging tests).

use std::io;
use std::os::windows::io::AsRawHandle;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use iops_core::etw::EtwDecoder;
use iops_core::report::{ExitInfo, ReportContext};
use iops_core::{Report, WarningCode};
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, WAIT_OBJECT_0};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetProcessIoCounters, OpenProcess, WaitForSingleObject, IO_COUNTERS,
    PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE,
};

use crate::counters::{counters_report, IoCounters};
use crate::etw_session::{explain, Session};

/// A failed capture: an errno-style code for scripts, and a message.
#[derive(Debug)]
pub struct CaptureError {
    pub code: &'static str,
    pub message: String,
}

fn error(code: &'static str, message: String) -> CaptureError {
    CaptureError { code, message }
}

/// The counters of the process behind `handle` (open with query rights).
fn read(handle: HANDLE) -> io::Result<IoCounters> {
    let mut c = IO_COUNTERS {
        ReadOperationCount: 0,
        WriteOperationCount: 0,
        OtherOperationCount: 0,
        ReadTransferCount: 0,
        WriteTransferCount: 0,
        OtherTransferCount: 0,
    };
    // SAFETY: `c` is a valid, writable IO_COUNTERS; the handle is the caller's.
    if unsafe { GetProcessIoCounters(handle, &mut c) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(IoCounters {
        read_ops: c.ReadOperationCount,
        write_ops: c.WriteOperationCount,
        other_ops: c.OtherOperationCount,
        read_bytes: c.ReadTransferCount,
        write_bytes: c.WriteTransferCount,
        other_bytes: c.OtherTransferCount,
    })
}

/// Wine's ntdll exports `wine_get_version`; Windows' does not. Wine keeps
/// the I/O counters at zero, so its readings are no measurement.
pub fn under_wine() -> bool {
    // SAFETY: plain lookups in an always-loaded module, NUL-terminated names.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr() as *const u8);
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr() as *const u8).is_some()
    }
}

/// Warns, under wine, that the zero counters are not a measurement.
pub fn mark_wine(report: &mut Report) {
    if under_wine() {
        // After the fallback line, before what counters cannot see.
        report.insert_warning(1, WarningCode::WineCounters.with("running under wine, which does not keep I/O counters: these zeros are not measurements"));
    }
}

/// The counters of this process.
pub fn read_self() -> io::Result<IoCounters> {
    // SAFETY: the pseudo-handle of the current process needs no closing.
    read(unsafe { GetCurrentProcess() })
}

/// A handle on another process, closed on drop.
struct Opened(HANDLE);

impl Drop for Opened {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { CloseHandle(self.0) };
    }
}

impl Opened {
    fn open(pid: u32) -> io::Result<Opened> {
        // SAFETY: plain FFI call; a null handle is the failure.
        let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_SYNCHRONIZE, 0, pid) };
        if h.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(Opened(h))
    }

    /// True once the process has exited (waits at most `ms`).
    fn exited_within(&self, ms: u32) -> bool {
        // SAFETY: our handle has SYNCHRONIZE rights.
        unsafe { WaitForSingleObject(self.0, ms) == WAIT_OBJECT_0 }
    }
}

fn spawn(argv: &[String]) -> Result<std::process::Child, CaptureError> {
    let (program, args) = argv.split_first().ok_or_else(|| error("EINVAL", "no command given".into()))?;
    std::process::Command::new(program).args(args).spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => error("ENOENT", format!("command not found: {program}")),
        _ => error("EIO", format!("cannot run {program}: {e}")),
    })
}

/// Runs `argv` to its end under the ETW session (the command and its
/// children), or, when no session can start, reports its I/O counters with
/// the reason in one line.
pub fn launch(argv: &[String], on_started: &mut dyn FnMut(u32)) -> Result<Report, CaptureError> {
    let session = match Session::start(EtwDecoder::children_of(std::process::id())) {
        Ok(s) => s,
        Err(e) => return launch_by_counters(argv, &explain(&e), on_started),
    };
    let started = Instant::now();
    let mut child = spawn(argv)?;
    on_started(child.id());
    let status = child.wait().map_err(|e| error("EIO", format!("waiting for {}: {e}", argv[0])))?;
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    let state = session.stop();
    let st = state.lock().map_err(|_| error("EIO", "the ETW callback panicked".into()))?;
    Ok(st.decoder.report(
        &st.agg,
        ReportContext {
            command: Some(argv.to_vec()),
            pid: Some(child.id() as i32),
            elapsed_ns,
            exit: Some(ExitInfo { code: status.code(), signal: None, signal_number: None }),
            ..Default::default()
        },
    ))
}

/// Runs `argv` to its end and reports its counters. `on_started` gets the
/// command's pid. Children of the command are not in its counters.
pub fn launch_by_counters(argv: &[String], reason: &str, on_started: &mut dyn FnMut(u32)) -> Result<Report, CaptureError> {
    let started = Instant::now();
    let mut child = spawn(argv)?;
    let program = &argv[0];
    on_started(child.id());
    let status = child.wait().map_err(|e| error("EIO", format!("waiting for {program}: {e}")))?;
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    // The handle stays open until `child` drops, so an exited process's
    // counters are still readable here.
    let counters = read(child.as_raw_handle() as HANDLE)
        .map_err(|e| error("EIO", format!("GetProcessIoCounters failed: {e}")))?;
    let exit = ExitInfo { code: status.code(), signal: None, signal_number: None };
    let mut report = counters_report(
        &counters,
        elapsed_ns,
        child.id() as i32,
        reason,
        "the launched process itself, not its child processes",
        Some(exit),
        Some(argv.to_vec()),
    );
    mark_wine(&mut report);
    Ok(report)
}

/// Traces a running process (and the children it starts) with the ETW
/// session until `stop` is set or it exits; without a session, reads its
/// counters at both ends.
pub fn attach(pid: u32, stop: Arc<AtomicBool>, on_ready: &mut dyn FnMut()) -> Result<Report, CaptureError> {
    let p = Opened::open(pid).map_err(|e| match e.raw_os_error() {
        Some(5) => error("EPERM", format!("not permitted to open process {pid}: {e}")),
        _ => error("ESRCH", format!("cannot open process {pid}: {e}")),
    })?;
    let session = match Session::start(EtwDecoder::new(pid, true)) {
        Ok(s) => s,
        Err(e) => return attach_by_counters(pid, &explain(&e), stop, on_ready),
    };
    let started = Instant::now();
    on_ready();
    while !stop.load(Ordering::Relaxed) && !p.exited_within(50) {}
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    let state = session.stop();
    let st = state.lock().map_err(|_| error("EIO", "the ETW callback panicked".into()))?;
    Ok(st.decoder.report(&st.agg, ReportContext { pid: Some(pid as i32), elapsed_ns, ..Default::default() }))
}

/// Reads the counters of a running process now and again when `stop` is
/// set or the process exits.
pub fn attach_by_counters(pid: u32, reason: &str, stop: Arc<AtomicBool>, on_ready: &mut dyn FnMut()) -> Result<Report, CaptureError> {
    let p = Opened::open(pid).map_err(|e| match e.raw_os_error() {
        Some(5) => error("EPERM", format!("not permitted to open process {pid}: {e}")),
        _ => error("ESRCH", format!("cannot open process {pid}: {e}")),
    })?;
    let before = read(p.0).map_err(|e| error("EIO", format!("GetProcessIoCounters failed: {e}")))?;
    let started = Instant::now();
    on_ready();
    while !stop.load(Ordering::Relaxed) && !p.exited_within(50) {}
    let after = read(p.0).map_err(|e| error("EIO", format!("GetProcessIoCounters failed: {e}")))?;
    let mut report = counters_report(
        &after.since(&before),
        started.elapsed().as_nanos() as u64,
        pid as i32,
        reason,
        "that process itself, not its child processes",
        None,
        None,
    );
    mark_wine(&mut report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run on Windows (or under wine, as scripts/check-targets.sh does):
    /// a launched command is reported with its exit code and the counters label.
    #[test]
    fn launch_reports_exit_code_and_method() {
        let argv: Vec<String> = ["cmd", "/c", "exit 3"].iter().map(|s| s.to_string()).collect();
        let mut pid = 0;
        let r = launch_by_counters(&argv, "no ETW", &mut |p| pid = p).unwrap();
        assert!(pid > 0);
        assert_eq!(r.method, "io-counters");
        assert_eq!(r.exit.unwrap().code, Some(3));
        assert!(r.warnings[0].starts_with("no ETW; figures come from GetProcessIoCounters"));
        assert_eq!(under_wine(), r.warnings[1].starts_with("running under wine"));
    }

    #[test]
    fn no_command_is_einval() {
        assert_eq!(launch_by_counters(&[], "x", &mut |_| {}).unwrap_err().code, "EINVAL");
    }

    #[test]
    fn a_missing_command_is_enoent() {
        let argv = vec!["iops-no-such-command-xyz".to_string()];
        let e = launch_by_counters(&argv, "x", &mut |_| {}).unwrap_err();
        assert_eq!(e.code, "ENOENT");
    }

    #[test]
    fn own_counters_see_own_writes() {
        if under_wine() {
            eprintln!("skipped under wine: it keeps no I/O counters");
            return;
        }
        let before = read_self().unwrap();
        // create_new (CREATE_NEW): never through a file someone put at the name first.
        let path = std::env::temp_dir().join(format!("iops-wincount-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let mut f = std::fs::File::create_new(&path).unwrap();
        for _ in 0..10 {
            std::io::Write::write_all(&mut f, &[0u8; 100]).unwrap();
        }
        drop(f);
        let _ = std::fs::remove_file(&path);
        let d = read_self().unwrap().since(&before);
        println!("own counters delta: {d:?}");
        assert!(d.write_ops >= 10 && d.write_bytes >= 1000, "{d:?}");
    }
}
