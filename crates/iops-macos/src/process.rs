//! Live disk counters of macOS processes through libSystem's
//! `proc_pid_rusage`. Untested on a real Mac (type-checked only).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use iops_core::report::ExitInfo;

use crate::rusage::{rusage_report, DiskUsage};

#[derive(Debug)]
pub struct CaptureError {
    pub code: &'static str,
    pub message: String,
}

fn error(code: &'static str, message: String) -> CaptureError {
    CaptureError { code, message }
}

/// The disk counters of `pid` (a zombie's too: the kernel keeps them until
/// it is reaped).
pub fn read(pid: i32) -> io::Result<DiskUsage> {
    // SAFETY: zeroed plain-data struct, filled by the kernel.
    let mut ri: libc::rusage_info_v4 = unsafe { std::mem::zeroed() };
    let p = &mut ri as *mut libc::rusage_info_v4 as *mut libc::c_void;
    // SAFETY: `p` points to a rusage_info_v4, the flavor we ask for.
    if unsafe { libc::proc_pid_rusage(pid, libc::RUSAGE_INFO_V4, p as *mut libc::rusage_info_t) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(DiskUsage { read_bytes: ri.ri_diskio_bytesread, write_bytes: ri.ri_diskio_byteswritten })
}

fn exit_info(status: libc::c_int) -> ExitInfo {
    if libc::WIFSIGNALED(status) {
        ExitInfo { code: None, signal: None, signal_number: Some(libc::WTERMSIG(status)) }
    } else {
        ExitInfo { code: Some(libc::WEXITSTATUS(status)), signal: None, signal_number: None }
    }
}

/// Runs `argv` to its end and reports its disk counters, read while it is
/// a zombie (exited, not yet reaped).
pub fn launch(argv: &[String], reason: &str, on_started: &mut dyn FnMut(i32)) -> Result<String, CaptureError> {
    let (program, args) = argv.split_first().ok_or_else(|| error("EINVAL", "no command given".into()))?;
    let started = Instant::now();
    let child = std::process::Command::new(program).args(args).spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => error("ENOENT", format!("command not found: {program}")),
        _ => error("EIO", format!("cannot run {program}: {e}")),
    })?;
    let pid = child.id() as i32;
    on_started(pid);
    // SAFETY: waitid on our own child, without reaping it (WNOWAIT).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if r == 0 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(error("EIO", format!("waiting for {program}: {e}")));
        }
    }
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    let usage = read(pid).map_err(|e| error("EIO", format!("proc_pid_rusage failed: {e}")))?;
    let mut status = 0;
    // SAFETY: reaps our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    Ok(rusage_report(
        &usage,
        elapsed_ns,
        pid,
        reason,
        "the launched process itself, not its child processes",
        Some(exit_info(status)),
        Some(argv.to_vec()),
    )
    .to_json())
}

/// Reads the disk counters of a running process now and again when `stop`
/// is set or the process ends.
pub fn attach(pid: i32, reason: &str, stop: Arc<AtomicBool>, on_ready: &mut dyn FnMut()) -> Result<String, CaptureError> {
    let before = read(pid).map_err(|e| match e.raw_os_error() {
        Some(libc::ESRCH) => error("ESRCH", format!("no process {pid}")),
        Some(libc::EPERM) => error("EPERM", format!("not permitted to read the counters of process {pid}: {e}")),
        _ => error("EIO", format!("proc_pid_rusage({pid}) failed: {e}")),
    })?;
    let started = Instant::now();
    on_ready();
    let mut last = before;
    while !stop.load(Ordering::Relaxed) {
        match read(pid) {
            Ok(now) => last = now,
            Err(_) => break, // gone: the last reading is the final one
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Ok(now) = read(pid) {
        last = now;
    }
    Ok(rusage_report(&last.since(&before), started.elapsed().as_nanos() as u64, pid, reason, "that process itself, not its child processes", None, None).to_json())
}
