//! A capture from start to report: launch a command under our seccomp
//! filter, or attach to a running process; run the event loop; detach
//! cleanly; build the report.

use std::collections::HashMap;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use iops_core::report::{ExitInfo, StorageBytes};
use iops_core::{Aggregator, ProgressCounters, Report, ReportContext, Source, Warning, WarningCode};
use libc::pid_t;

use crate::affinity;
use crate::procio::{counters_report, ProcIo};
use crate::ptrace;
use crate::seccomp::Filter;
use crate::stop::StopWaiter;
use crate::syscalls::traced;
use crate::tracer::{Mode, Tracer, Window};

pub enum Target {
    Launch(Vec<String>),
    Attach(pid_t),
}

impl Target {
    fn command(&self) -> Option<Vec<String>> {
        match self {
            Target::Launch(argv) => Some(argv.clone()),
            Target::Attach(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Count sockets, pipes and ttys in the summary too.
    pub all_fds: bool,
    /// Attach mode: count only between the begin and end markers made with
    /// this cookie (see `markers`).
    pub marker_cookie: Option<u32>,
    /// Run the tracer and the traced threads on one CPU while tracing
    /// (see `affinity`): much faster per syscall, but a program that
    /// computes on several threads at once loses that parallelism.
    pub share_cpu: bool,
}

impl Default for Options {
    /// No pinning: a traced program sees the CPUs it would see untraced.
    fn default() -> Self {
        Options { all_fds: false, marker_cookie: None, share_cpu: false }
    }
}

/// Affinity given to attached threads, and what to restore on detach.
pub struct Pinning {
    cpu: libc::cpu_set_t,
    saved: HashMap<pid_t, libc::cpu_set_t>,
    /// For threads born while traced.
    default: libc::cpu_set_t,
    /// Undoes the pin if we are killed before detach_all can.
    guard: Option<affinity::Guard>,
}

#[derive(Debug)]
pub enum TraceError {
    /// ptrace refused (permissions, Yama, a container's seccomp policy...).
    NotPermitted(String),
    NoSuchProcess(pid_t),
    /// Every thread has exited; the parent has not reaped the process yet.
    Zombie(pid_t),
    CommandNotFound(String),
    /// The command was found but execve failed (program, errno).
    CannotExecute(String, i32),
    Other(String),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::NotPermitted(why) => write!(f, "ptrace is not permitted here: {why}"),
            TraceError::NoSuchProcess(pid) => write!(f, "no process with pid {pid}"),
            TraceError::Zombie(pid) => {
                write!(f, "process {pid} is a zombie (exited, not yet reaped by its parent): nothing to trace")
            }
            TraceError::CommandNotFound(cmd) => write!(f, "command not found: {cmd}"),
            TraceError::CannotExecute(cmd, errno) => {
                write!(f, "cannot execute {cmd}: {} ({})", strerror(*errno), crate::errno::name(*errno as i64))?;
                if *errno == libc::ENOENT {
                    f.write_str(": its interpreter or loader is missing")?;
                }
                Ok(())
            }
            TraceError::Other(why) => f.write_str(why),
        }
    }
}

impl TraceError {
    pub fn code(&self) -> &'static str {
        match self {
            TraceError::NotPermitted(_) => "EPERM",
            TraceError::NoSuchProcess(_) | TraceError::Zombie(_) => "ESRCH",
            TraceError::CommandNotFound(_) => "ENOENT",
            TraceError::CannotExecute(_, errno) => crate::errno::name(*errno as i64),
            TraceError::Other(_) => "EIO",
        }
    }
}

/// The C library's words for an errno, without Rust's "(os error N)".
fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    text.split(" (os error").next().unwrap_or_default().to_string()
}

/// Why the kernel refused ptrace, in words a user can act on.
fn refusal(e: &io::Error) -> String {
    format!(
        "{e}; the process may already be traced or debugged, or a security policy (Yama ptrace_scope, a container's seccomp profile, missing CAP_SYS_PTRACE) forbids it"
    )
}

const BASE_OPTIONS: i32 = libc::PTRACE_O_TRACESYSGOOD
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACEEXIT;

/// Runs a whole capture on the calling thread, which becomes the tracer.
/// `on_ready` is called once every thread of the target is traced (or, when
/// ptrace is refused, the command runs), with the pid of the process.
pub fn trace(
    target: Target,
    options: &Options,
    progress: Arc<ProgressCounters>,
    stop: StopWaiter,
    on_ready: &mut dyn FnMut(pid_t),
) -> Result<Report, TraceError> {
    let mut waker = stop.spawn_waker().map_err(|e| TraceError::Other(format!("cannot start: {e}")))?;
    let agg = Aggregator::with_progress(progress);
    let started = match &target {
        Target::Launch(argv) => launch(argv, agg, options.share_cpu),
        Target::Attach(pid) => attach(*pid, agg, options).map(|t| Launched::Traced(Box::new(t), None)),
    };
    let attach = matches!(target, Target::Attach(_));
    let (mut tracer, mut child_news) = match started {
        Ok(Launched::Traced(tracer, news)) => (*tracer, news),
        Ok(Launched::Untraced { pid, reason, news }) => {
            on_ready(pid);
            let argv = target.command().unwrap_or_default();
            let report = finish_untraced(pid, &reason, &argv, &news);
            waker.reap();
            return report;
        }
        Err(e) => {
            waker.reap();
            return Err(e);
        }
    };
    if !attach {
        on_ready(tracer.root);
    }
    let mut notes = Vec::new();
    let mut exec_failed = None;
    loop {
        if tracer.is_empty() {
            break;
        }
        if tracer.window == Window::Closed {
            detach_all(&mut tracer);
            break;
        }
        let mut status = 0;
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL | libc::__WNOTHREAD) };
        if pid < 0 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                _ => break,
            }
        }
        if pid == waker.pid {
            waker.exited();
            // A launched command runs to its end: only attach mode stops early.
            if attach {
                tracer.request_close();
            }
            continue;
        }
        if pid == tracer.root && child_news.is_some() {
            // The launched child's exec (or its end before one): what it had
            // to tell us was written before, and must be acted on before the
            // stop is resumed.
            let exec = libc::WIFSTOPPED(status) && status >> 16 == libc::PTRACE_EVENT_EXEC;
            if exec || libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                for news in child_news.take().map(|n| n.read()).unwrap_or_default() {
                    match news {
                        ChildNews::FilterRefused(errno) => {
                            trace_every_syscall(&mut tracer);
                            notes.push(WarningCode::SeccompFilterRefused.with(format!(
                                "the seccomp filter that stops only I/O calls could not be installed ({}, {}); every syscall was traced instead: the same counts, more slowly",
                                strerror(errno),
                                crate::errno::name(errno as i64)
                            )));
                        }
                        ChildNews::ExecFailed(errno) => exec_failed = Some(errno),
                    }
                }
            }
        }
        tracer.handle(pid, status);
        if attach && tracer.take_ready() {
            on_ready(tracer.root);
        }
    }
    waker.reap();
    if let (Some(errno), Target::Launch(argv)) = (exec_failed, &target) {
        return Err(TraceError::CannotExecute(argv[0].clone(), errno));
    }
    Ok(build_report(&tracer, &target, options, notes))
}

/// The filter was refused in the launched child (stopped at its exec):
/// trace it with syscall stops instead, from now on. Without our filter
/// a vanished tracer harms nothing, so EXITKILL goes; so does TRACESECCOMP,
/// so that a program's own SECCOMP_RET_TRACE fails with ENOSYS as untraced.
fn trace_every_syscall(tracer: &mut Tracer) {
    tracer.mode = Mode::AllSyscalls;
    let _ = ptrace::set_options(tracer.root, BASE_OPTIONS);
}

fn build_report(tracer: &Tracer, target: &Target, options: &Options, notes: Vec<Warning>) -> Report {
    let mut warnings = notes;
    let pid = match target {
        Target::Attach(pid) => Some(*pid),
        Target::Launch(_) => Some(tracer.root),
    };
    if tracer.window == Window::Waiting {
        warnings.push(WarningCode::WindowNeverOpened.with("the measurement window never opened: nothing was counted"));
    }
    if matches!(target, Target::Attach(_)) && tracer.root_status.is_some() {
        warnings.push(WarningCode::ExitedBeforeEnd.with("the traced process exited before the capture ended"));
    }
    if tracer.compat_calls > 0 {
        warnings.push(WarningCode::CompatSyscallsUncounted.with(format!(
            "{} read/write-family calls were made through the 32-bit syscall ABI (int 0x80) and are not counted: the figures miss their I/O",
            tracer.compat_calls
        )));
    }
    if tracer.io_uring_seen {
        warnings.push(WarningCode::IoUringUncounted.with(
            "the program uses io_uring: I/O submitted through io_uring does not pass through read/write syscalls and is not counted here",
        ));
    }
    let storage = tracer.storage_last.map(|last| {
        let base = match (target, tracer.storage_begin) {
            (Target::Attach(_), Some(begin)) => begin,
            _ => Default::default(),
        };
        let d = last.since(&base);
        StorageBytes {
            read_bytes: d.read_bytes,
            write_bytes: d.write_bytes,
            source: format!("/proc/{}/io (read_bytes, write_bytes)", tracer.root),
        }
    });
    let exit = match target {
        Target::Launch(_) => tracer.root_status.map(exit_info),
        Target::Attach(_) => None,
    };
    let end = tracer.end.unwrap_or_else(std::time::Instant::now);
    let elapsed_ns = match tracer.window {
        Window::Waiting => 0,
        _ => end.saturating_duration_since(tracer.begin).as_nanos() as u64,
    };
    Report::from_aggregator(
        &tracer.agg,
        ReportContext {
            method: Source::Ptrace,
            command: target.command(),
            pid,
            elapsed_ns,
            all_fds: options.all_fds,
            storage,
            exit,
            warnings,
            sees: None,
            latency_measured: true,
        },
    )
}

pub fn exit_info(status: i32) -> ExitInfo {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        ExitInfo { code: None, signal: Some(signal_name(sig)), signal_number: Some(sig) }
    } else {
        ExitInfo { code: Some(libc::WEXITSTATUS(status)), signal: None, signal_number: None }
    }
}

pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Finds `cmd` the way a shell would, so that "not found" is reported by us
/// in words rather than by a child that exits 127.
fn find_program(cmd: &str) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| {
            use std::os::unix::fs::PermissionsExt;
            m.is_file() && m.permissions().mode() & 0o111 != 0
        })
    };
    if cmd.contains('/') {
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

extern "C" {
    static environ: *const *const libc::c_char;
}

/// Forks the command, takes it under ptrace while it waits on a pipe, then
/// lets it install our seccomp filter and exec.
fn launch(argv: &[String], agg: Aggregator, share_cpu: bool) -> Result<Launched, TraceError> {
    let cmd = argv.first().ok_or_else(|| TraceError::Other("no command given".into()))?;
    let program = find_program(cmd).ok_or_else(|| TraceError::CommandNotFound(cmd.clone()))?;
    // Everything the child touches is prepared before fork: after it, the
    // child of a multi-threaded process may only make raw syscalls.
    let path = cstring(program.as_os_str().as_bytes())?;
    let args = argv.iter().map(|a| cstring(a.as_bytes())).collect::<Result<Vec<_>, _>>()?;
    let mut arg_ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());
    let filter = Filter::new(traced().map(|(nr, _)| nr));
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
            if verdict == b'T' {
                if unprivileged {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                }
                if let Err(errno) = filter.install() {
                    // The command runs all the same; the tracer adapts at its exec.
                    tell(NEWS_FILTER_REFUSED, errno);
                }
            } else if verdict != b'U' {
                libc::_exit(126); // our parent is gone
            }
            libc::execve(path.as_ptr(), arg_ptrs.as_ptr(), environ);
            let errno = *libc::__errno_location();
            tell(NEWS_EXEC_FAILED, errno);
            // A shell's statuses: 127 when a file is missing, else 126.
            libc::_exit(if errno == libc::ENOENT { 127 } else { 126 });
        }
    }
    unsafe { libc::close(gate[0]) };
    unsafe { libc::close(news[1]) };
    let news = ChildNewsPipe(unsafe { OwnedFd::from_raw_fd(news[0]) });
    let tell = |verdict: u8| unsafe {
        libc::write(gate[1], &verdict as *const u8 as *const _, 1);
        libc::close(gate[1]);
    };
    // EXITKILL: under our filter, a command whose tracer vanished would see
    // every counted syscall fail with ENOSYS; ending it is the lesser harm.
    let options = BASE_OPTIONS | libc::PTRACE_O_TRACESECCOMP | libc::PTRACE_O_EXITKILL;
    if let Err(e) = ptrace::seize(child, options) {
        tell(b'U');
        return Ok(Launched::Untraced { pid: child, reason: format!("ptrace is not permitted here: {}", refusal(&e)), news });
    }
    tell(b'T');
    let mut tracer = Tracer::new(Mode::Seccomp, child, agg, None);
    tracer.add_thread(child, child);
    tracer.open_window();
    Ok(Launched::Traced(Box::new(tracer), Some(news)))
}

enum Launched {
    /// With the launched child's news pipe (none in attach mode).
    Traced(Box<Tracer>, Option<ChildNewsPipe>),
    /// ptrace was refused: the command runs untraced.
    Untraced { pid: pid_t, reason: String, news: ChildNewsPipe },
}

const NEWS_FILTER_REFUSED: i32 = b'F' as i32;
const NEWS_EXEC_FAILED: i32 = b'E' as i32;

/// What a launched child tells us before it execs, each as (kind, errno).
enum ChildNews {
    /// Installing our seccomp filter failed: the command runs without it.
    FilterRefused(i32),
    /// execve failed: the child exits 126 (127 for ENOENT).
    ExecFailed(i32),
}

/// The read end of the child's news pipe (non-blocking).
struct ChildNewsPipe(OwnedFd);

impl ChildNewsPipe {
    /// The records written so far: all of them once the child has exec'd
    /// or exited.
    fn read(&self) -> Vec<ChildNews> {
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
fn finish_untraced(pid: pid_t, reason: &str, argv: &[String], news: &ChildNewsPipe) -> Result<Report, TraceError> {
    let started = std::time::Instant::now();
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    while unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) } < 0
        && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
    {}
    let mut io = ProcIo::read(pid).unwrap_or_default();
    // Take off the one-byte read of our verdict pipe, made before exec.
    io.syscr = io.syscr.saturating_sub(1);
    io.rchar = io.rchar.saturating_sub(1);
    let mut status = 0;
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    for n in news.read() {
        if let ChildNews::ExecFailed(errno) = n {
            return Err(TraceError::CannotExecute(argv[0].clone(), errno));
        }
    }
    Ok(counters_report(&io, elapsed_ns, pid, reason, Some(exit_info(status)), Some(argv.to_vec())))
}

/// What /proc/<pid>/task/<tid>/status says of a thread that could not be
/// seized.
#[derive(Debug, PartialEq, Eq)]
struct TaskStatus {
    /// R, S, D, T, t, Z, X...
    state: u8,
    /// The thread tracing it; 0 when none.
    tracer: pid_t,
}

impl TaskStatus {
    /// `None` when the thread is gone.
    fn read(pid: pid_t, tid: pid_t) -> Option<TaskStatus> {
        TaskStatus::parse(&std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?)
    }

    /// From the "State:\tZ (zombie)" and "TracerPid:\t123" lines.
    fn parse(text: &str) -> Option<TaskStatus> {
        let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
        Some(TaskStatus {
            state: *field("State:")?.as_bytes().first()?,
            tracer: field("TracerPid:")?.parse().ok()?,
        })
    }

    fn has_exited(&self) -> bool {
        matches!(self.state, b'Z' | b'X' | b'x')
    }
}

/// Why seizing `tid` failed with EPERM, which the kernel also answers for
/// a thread that has already exited or that is traced already.
enum Busy {
    /// Exited (a zombie, or being reaped) or gone by now: nothing to trace.
    Exited,
    /// Born of a thread we seized a moment ago, so traced by us already.
    Ours,
    /// A real refusal.
    Refused,
}

fn why_busy(pid: pid_t, tid: pid_t) -> Busy {
    let me = unsafe { libc::gettid() };
    match TaskStatus::read(pid, tid) {
        None => Busy::Exited,
        Some(s) if s.has_exited() => Busy::Exited,
        Some(s) if s.tracer == me => Busy::Ours,
        Some(_) => Busy::Refused,
    }
}

fn task_ids(pid: pid_t) -> io::Result<Vec<pid_t>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(tid) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
            ids.push(tid);
        }
    }
    Ok(ids)
}

/// Seizes every thread of `pid` (again and again until no new thread
/// appears), then interrupts each so the loop can start tracing syscalls.
fn attach(pid: pid_t, agg: Aggregator, options: &Options) -> Result<Tracer, TraceError> {
    if pid == unsafe { libc::getpid() } {
        return Err(TraceError::Other("a process cannot trace itself; use a helper process".into()));
    }
    let mut tracer = Tracer::new(Mode::AllSyscalls, pid, agg, options.marker_cookie);
    if options.share_cpu {
        if let Some(default) = affinity::get(pid) {
            if let Some(cpu) = affinity::choose(&default) {
                affinity::set(0, &affinity::only(cpu));
                tracer.pinning = Some(Pinning { cpu: affinity::only(cpu), saved: HashMap::new(), default, guard: None });
            }
        }
    }
    loop {
        let tids = task_ids(pid).map_err(|_| TraceError::NoSuchProcess(pid))?;
        let mut added = false;
        for tid in tids {
            if tracer.has_thread(tid) {
                continue;
            }
            match ptrace::seize(tid, BASE_OPTIONS) {
                Ok(()) => {
                    tracer.add_thread(tid, pid);
                    if let Some(p) = tracer.pinning.as_mut() {
                        if let Some(mask) = affinity::get(tid) {
                            p.saved.insert(tid, mask);
                            affinity::set(tid, &p.cpu);
                        }
                    }
                    added = true;
                }
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {} // thread just ended
                Err(e) => {
                    let busy = if e.raw_os_error() == Some(libc::EPERM) { why_busy(pid, tid) } else { Busy::Refused };
                    match busy {
                        // Ending as we look, or a leader that has called
                        // pthread_exit while its threads run on.
                        Busy::Exited => {}
                        Busy::Ours => {
                            tracer.add_auto_attached(tid, pid);
                            if let Some(p) = tracer.pinning.as_ref() {
                                // Given the default mask on detach, like any thread born while traced.
                                affinity::set(tid, &p.cpu);
                            }
                            added = true;
                        }
                        Busy::Refused => {
                            detach_all(&mut tracer);
                            return Err(match e.raw_os_error() {
                                Some(libc::EPERM) | Some(libc::EACCES) => TraceError::NotPermitted(refusal(&e)),
                                _ => TraceError::Other(format!("cannot attach to {pid}: {e}")),
                            });
                        }
                    }
                }
            }
        }
        if !added {
            break;
        }
    }
    if tracer.is_empty() {
        return Err(match TaskStatus::read(pid, pid) {
            Some(s) if s.state == b'Z' => TraceError::Zombie(pid),
            _ => TraceError::NoSuchProcess(pid),
        });
    }
    if let Some(p) = tracer.pinning.as_mut() {
        p.guard = affinity::guard(pid, &p.cpu, &p.saved, &p.default);
    }
    for tid in tracer.thread_ids() {
        let _ = ptrace::interrupt(tid);
    }
    Ok(tracer)
}

/// Lets every thread go, each exactly as it was: a pending signal is
/// delivered, a group-stopped thread stays stopped, and a thread that
/// forks while we let go has its child released too.
fn detach_all(tracer: &mut Tracer) {
    let held = tracer.held.take();
    let mut remaining = tracer.thread_ids();
    let traced = remaining.clone();
    remaining.retain(|&tid| {
        let not_ours = || ptrace::interrupt(tid).is_err_and(|e| e.raw_os_error() == Some(libc::ESRCH));
        // ESRCH: not (any longer) our tracee, so nothing of it will be reported.
        Some(tid) == held || !not_ours()
    });
    // A leader that has exited while its threads live on reports nothing
    // until they are gone; the kernel releases it when our thread ends.
    remaining.retain(|&tid| !tracer.is_exited_leader(tid));
    if let Some(tid) = held {
        let _ = ptrace::detach(tid, 0);
        remaining.retain(|t| *t != tid);
    }
    // New auto-attached children released (or dead) before their creator's
    // event named them: that event must not make us wait for them, nor for
    // a thread the table knew already (its first stop beat that event).
    let mut released_early: Vec<pid_t> = Vec::new();
    while !remaining.is_empty() {
        let mut status = 0;
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL | libc::__WNOTHREAD) };
        if pid < 0 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break;
        }
        if !remaining.contains(&pid) && !tracer.has_thread(pid) {
            if libc::WIFSTOPPED(status) {
                // A new auto-attached child of a thread we are releasing.
                let _ = ptrace::detach(pid, 0);
            }
            released_early.push(pid);
            continue;
        }
        if libc::WIFSTOPPED(status) {
            let sig = libc::WSTOPSIG(status);
            let event = status >> 16;
            if matches!(event, libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE) {
                if let Ok(child) = ptrace::event_msg(pid) {
                    let child = child as pid_t;
                    match released_early.iter().position(|&p| p == child) {
                        Some(i) => {
                            released_early.swap_remove(i);
                        }
                        None if traced.contains(&child) => {}
                        None => remaining.push(child),
                    }
                }
            }
            let deliver = if event == 0 && sig != (libc::SIGTRAP | 0x80) { sig } else { 0 };
            let _ = ptrace::detach(pid, deliver);
        } else if pid == tracer.root {
            tracer.root_status = Some(status);
        }
        remaining.retain(|t| *t != pid);
    }
    if let Some(p) = tracer.pinning.take() {
        for tid in traced {
            // Only our pin is undone: a mask the program set meanwhile stays.
            if affinity::get(tid).is_some_and(|now| unsafe { libc::CPU_EQUAL(&now, &p.cpu) }) {
                affinity::set(tid, p.saved.get(&tid).unwrap_or(&p.default));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_status_fields() {
        let text = "Name:\tchurn\nUmask:\t0022\nState:\tZ (zombie)\nTgid:\t42\nTracerPid:\t7\n";
        assert_eq!(TaskStatus::parse(text), Some(TaskStatus { state: b'Z', tracer: 7 }));
        assert!(TaskStatus::parse(text).unwrap().has_exited());
        let live = "State:\tt (tracing stop)\nTracerPid:\t0\n";
        assert!(!TaskStatus::parse(live).unwrap().has_exited());
        assert_eq!(TaskStatus::parse("State:\tS (sleeping)\n"), None);
    }

    #[test]
    fn a_live_thread_not_traced_by_us_is_a_refusal_and_a_missing_one_has_exited() {
        let me = std::process::id() as pid_t;
        let s = TaskStatus::read(me, me).unwrap();
        assert!(!s.has_exited());
        assert!(matches!(why_busy(me, me), Busy::Refused));
        assert!(matches!(why_busy(me, 4_194_305), Busy::Exited), "above the largest pid_max");
    }

    #[test]
    fn a_zombie_says_so() {
        let msg = TraceError::Zombie(7).to_string();
        assert_eq!(msg, "process 7 is a zombie (exited, not yet reaped by its parent): nothing to trace");
        assert_eq!(TraceError::Zombie(7).code(), "ESRCH");
    }
}
