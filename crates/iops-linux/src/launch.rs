//! Launch mode: fork the command, take it under ptrace while it waits on a
//! pipe, let it install our seccomp filter and exec; or, where ptrace is
//! refused, let it run untraced and measure it by its counters.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use iops_core::{Aggregator, Report};
use libc::pid_t;

use crate::affinity;
use crate::error::{refusal, TraceError};
use crate::procio::{counters_report, ProcIo};
use crate::ptrace;
use crate::report::exit_info;
use crate::seccomp::Filter;
use crate::syscalls::traced;
use crate::tracer::{Mode, Tracer, OPTIONS};
use crate::wait::{self, Status};

/// Finds `cmd` the way a shell would, so that "not found" is reported by us
/// in words rather than by a child that exits 127.
pub fn find_program(cmd: &OsStr) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| {
            use std::os::unix::fs::PermissionsExt;
            m.is_file() && m.permissions().mode() & 0o111 != 0
        })
    };
    if cmd.as_bytes().contains(&b'/') {
        // A path is not searched: a shell execs whatever is there and says
        // execve's error (a directory, a file without x: EACCES, 126); only
        // nothing there at all is "not found".
        let p = PathBuf::from(cmd);
        let absent = std::fs::metadata(&p).is_err_and(|e| e.kind() == io::ErrorKind::NotFound);
        return (!absent).then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).map(|dir| dir.join(cmd)).find(|p| is_exec(p))
}

fn cstring(s: &[u8]) -> Result<CString, TraceError> {
    CString::new(s).map_err(|_| TraceError::Other("an argument contains a NUL byte".into()))
}

/// A command's arguments as text, for reports and messages (bytes that are
/// not UTF-8 shown as U+FFFD; execve gets them as they are).
pub fn argv_text(argv: &[OsString]) -> Vec<String> {
    argv.iter().map(|a| a.to_string_lossy().into_owned()).collect()
}

/// The shell execvp(3) runs a file with when execve says ENOEXEC (a script
/// without a `#!` line): `/bin/sh file args...`.
const SHELL: &[u8] = b"/bin/sh";

extern "C" {
    static environ: *const *const libc::c_char;
}

/// Forks the command, takes it under ptrace while it waits on a pipe, then
/// lets it install our seccomp filter and exec. Where ptrace is refused,
/// `untraced_if_refused` runs the command untraced (the labelled counters
/// fallback); without it the command never runs (ended at its gate and
/// reaped) and the refusal is the error.
pub fn launch(argv: &[OsString], agg: Aggregator, share_cpu: bool, untraced_if_refused: bool) -> Result<Launched, TraceError> {
    let filter = Filter::new(traced().map(|(nr, _)| nr));
    let Gated { pid: child, gate, news } = fork_gated(argv, Some(filter), share_cpu)?;
    let tell = |verdict: u8| unsafe {
        libc::write(gate.as_raw_fd(), &verdict as *const u8 as *const _, 1);
    };
    // EXITKILL: under our filter, a command whose tracer vanished would see
    // every counted syscall fail with ENOSYS; ending it is the lesser harm.
    let options = OPTIONS | libc::PTRACE_O_TRACESECCOMP | libc::PTRACE_O_EXITKILL;
    if let Err(e) = ptrace::seize(child, options) {
        if !untraced_if_refused {
            // Closing the gate unsent ends the child before its exec.
            drop(gate);
            let _ = wait::ended(child);
            return Err(TraceError::NotPermitted(refusal(&e)));
        }
        tell(VERDICT_PLAIN);
        return Ok(Launched::Untraced { pid: child, reason: format!("ptrace is not permitted here: {}", refusal(&e)), news });
    }
    tell(VERDICT_FILTER);
    drop(gate);
    let mut tracer = Tracer::new(Mode::Seccomp, child, agg, None);
    tracer.add_thread(child, child);
    tracer.open_window();
    Ok(Launched::Traced(Box::new(tracer), news))
}

/// What the gated child does once told: install `filter` and exec, or exec as it is.
const VERDICT_FILTER: u8 = b'T';
const VERDICT_PLAIN: u8 = b'U';

/// A forked command that waits on its gate (a pipe) before exec, so that a
/// tracer can take it first.
pub struct Gated {
    pub pid: pid_t,
    gate: OwnedFd,
    /// What the child tells before its exec (close-on-exec).
    pub news: ChildNewsPipe,
}

impl Gated {
    /// Lets the child exec, as it is (no filter). A `Gated` dropped without
    /// this ends the child before its exec (status 126).
    pub fn release(self) -> (pid_t, ChildNewsPipe) {
        unsafe { libc::write(self.gate.as_raw_fd(), &VERDICT_PLAIN as *const u8 as *const _, 1) };
        (self.pid, self.news)
    }
}

/// Forks the command stopped at its gate (see `Gated`). `filter`: what to
/// install when told VERDICT_FILTER; `share_cpu`: see `Options::share_cpu`.
pub fn fork_gated(argv: &[OsString], filter: Option<Filter>, share_cpu: bool) -> Result<Gated, TraceError> {
    let cmd = argv.first().ok_or_else(|| TraceError::Other("no command given".into()))?;
    let program = find_program(cmd).ok_or_else(|| TraceError::CommandNotFound(cmd.to_string_lossy().into_owned()))?;
    // Everything the child touches is prepared before fork: after it, the
    // child of a multi-threaded process may only make raw syscalls.
    let path = cstring(program.as_os_str().as_bytes())?;
    let args = argv.iter().map(|a| cstring(a.as_bytes())).collect::<Result<Vec<_>, _>>()?;
    let mut arg_ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());
    // As execvp(3): a file the kernel will not run (ENOEXEC: no `#!`, no
    // known format) runs as `/bin/sh path args...`.
    let shell = cstring(SHELL)?;
    let mut shell_ptrs: Vec<*const libc::c_char> = vec![shell.as_ptr(), path.as_ptr()];
    shell_ptrs.extend_from_slice(&arg_ptrs[1..]);
    // Without CAP_SYS_ADMIN the kernel accepts a filter only under
    // no_new_privs. For a user that costs nothing (setuid and file caps do
    // not apply under a non-root tracer anyway); root keeps setuid programs
    // working, and where the install is refused we trace every syscall.
    let unprivileged = unsafe { libc::geteuid() } != 0;
    if share_cpu {
        // The child inherits the forking thread's affinity, its children theirs.
        if let Some(cpu) = affinity::get(0).as_ref().and_then(affinity::choose) {
            affinity::set(0, &affinity::only(cpu));
        }
    }

    // The child waits on this pipe for our verdict: 'T' (traced: install the
    // filter) or 'U' (ptrace refused: run untraced, measured by counters).
    let mut gate = [0; 2];
    if unsafe { libc::pipe2(gate.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(TraceError::Other(format!("pipe failed: {}", io::Error::last_os_error())));
    }
    // The child's news to us (see `ChildNews`); close-on-exec, so that a
    // successful exec closes it.
    let mut news = [0; 2];
    if unsafe { libc::pipe2(news.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        let e = io::Error::last_os_error();
        unsafe { libc::close(gate[0]) };
        unsafe { libc::close(gate[1]) };
        return Err(TraceError::Other(format!("pipe failed: {e}")));
    }
    let child = crate::stop::raw_fork();
    if child < 0 {
        return Err(TraceError::Other(format!("fork failed: {}", io::Error::last_os_error())));
    }
    if child == 0 {
        unsafe {
            // Start from default signal handling, as any spawned command would
            // (Node ignores SIGPIPE, and ignored signals survive exec).
            // Handlers first, so no inherited handler runs once unblocked.
            for sig in 1..32 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    libc::signal(sig, libc::SIG_DFL);
                }
            }
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            // Node marks its stdio close-on-exec; the command needs them.
            for fd in 0..3 {
                libc::fcntl(fd, libc::F_SETFD, 0);
            }
            libc::close(gate[1]);
            libc::close(news[0]);
            // Blocking writes: the pipe holds far more than our two records.
            libc::fcntl(news[1], libc::F_SETFL, 0);
            let tell = |news_kind: i32, errno: i32| {
                let record = [news_kind, errno];
                libc::write(news[1], record.as_ptr() as *const _, 8);
            };
            let mut verdict = 0u8;
            while libc::read(gate[0], &mut verdict as *mut u8 as *mut _, 1) < 0 {}
            if let (VERDICT_FILTER, Some(filter)) = (verdict, filter.as_ref()) {
                if unprivileged {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                }
                if let Err(errno) = filter.install() {
                    // The command runs all the same; the tracer adapts at its exec.
                    tell(NEWS_FILTER_REFUSED, errno);
                }
            } else if verdict != VERDICT_PLAIN {
                libc::_exit(126); // our parent is gone
            }
            libc::execve(path.as_ptr(), arg_ptrs.as_ptr(), environ);
            let mut errno = *libc::__errno_location();
            if errno == libc::ENOEXEC {
                libc::execve(shell.as_ptr(), shell_ptrs.as_ptr(), environ);
                // The shell's own failure is not the command's: say ENOEXEC.
                errno = libc::ENOEXEC;
            }
            tell(NEWS_EXEC_FAILED, errno);
            // A shell's statuses: 127 when a file is missing, else 126.
            libc::_exit(if errno == libc::ENOENT { 127 } else { 126 });
        }
    }
    unsafe { libc::close(gate[0]) };
    unsafe { libc::close(news[1]) };
    let news = ChildNewsPipe(unsafe { OwnedFd::from_raw_fd(news[0]) });
    Ok(Gated { pid: child, gate: unsafe { OwnedFd::from_raw_fd(gate[1]) }, news })
}

pub enum Launched {
    /// Traced, with the child's news pipe.
    Traced(Box<Tracer>, ChildNewsPipe),
    /// ptrace was refused: the command runs untraced.
    Untraced { pid: pid_t, reason: String, news: ChildNewsPipe },
}

const NEWS_FILTER_REFUSED: i32 = b'F' as i32;
const NEWS_EXEC_FAILED: i32 = b'E' as i32;

/// What a launched child tells us before it execs, each as (kind, errno).
pub enum ChildNews {
    /// Installing our seccomp filter failed: the command runs without it.
    FilterRefused(i32),
    /// execve failed: the child exits 126 (127 for ENOENT).
    ExecFailed(i32),
}

/// The read end of the child's news pipe (non-blocking).
pub struct ChildNewsPipe(OwnedFd);

impl ChildNewsPipe {
    /// The records written so far: all of them once the child has exec'd
    /// or exited.
    pub fn read(&self) -> Vec<ChildNews> {
        let mut out = Vec::new();
        let mut record = [0i32; 2];
        while unsafe { libc::read(self.0.as_raw_fd(), record.as_mut_ptr() as *mut _, 8) } == 8 {
            match record[0] {
                NEWS_FILTER_REFUSED => out.push(ChildNews::FilterRefused(record[1])),
                NEWS_EXEC_FAILED => out.push(ChildNews::ExecFailed(record[1])),
                _ => {}
            }
        }
        out
    }
}

/// Waits for an untraced command and reads its counters while it is a
/// zombie (WNOWAIT), when they cover its whole life, before reaping it.
pub fn finish_untraced(pid: pid_t, reason: &str, argv: &[OsString], news: &ChildNewsPipe) -> Result<Report, TraceError> {
    let started = std::time::Instant::now();
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    while unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) } < 0
        && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
    {}
    let mut io = ProcIo::read(pid).unwrap_or_default();
    // Take off the one-byte read of our verdict pipe, made before exec.
    io.syscr = io.syscr.saturating_sub(1);
    io.rchar = io.rchar.saturating_sub(1);
    let ended = match wait::ended(pid) {
        Ok(Status::Ended(ended)) => Some(exit_info(ended)),
        _ => None,
    };
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    for n in news.read() {
        if let ChildNews::ExecFailed(errno) = n {
            return Err(TraceError::CannotExecute(argv[0].to_string_lossy().into_owned(), errno));
        }
    }
    Ok(counters_report(&io, elapsed_ns, pid, reason, ended, Some(argv_text(argv))))
}
