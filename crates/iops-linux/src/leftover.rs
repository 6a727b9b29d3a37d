//! What a launched command leaves behind, and what the kernel did not give
//! it: shared by the ptrace and eBPF sources.
//!
//! A capture follows the command's processes while they stay in its
//! session, as a shell's `wait` and strace -f would: a background job of
//! `sh -c 'x &'` is waited for. A process that left the session (setsid:
//! a daemon, double-forked or not) is not waited for once the command and
//! what stayed in its session have ended: the report is made, and a
//! warning names what was left running. So is every process still running
//! when iops is asked to stop after the command has ended.
//!
//! A program exec'd under ptrace (by a tracer without CAP_SYS_PTRACE, or
//! under no_new_privs) runs without the set-user-ID and set-group-ID bits
//! and file capabilities of its file: the kernel ignores them, and the
//! program fails as if it lacked its privileges. `Privileges` tells that
//! such an exec happened, from the file and the credentials it got.

use std::os::unix::fs::MetadataExt;

use iops_core::{Warning, WarningCode};
use libc::pid_t;

/// The session of `pid` (its own if it leads one), `None` once it is gone.
pub fn session_of(pid: pid_t) -> Option<pid_t> {
    let sid = unsafe { libc::getsid(pid) };
    (sid >= 0).then_some(sid)
}

/// A process a command left running when the capture ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftRunning {
    pub pid: pid_t,
    /// Its command line as /proc shows it (its name if that is empty).
    pub command: String,
}

impl LeftRunning {
    /// `pid` as /proc names it now.
    pub fn of(pid: pid_t) -> LeftRunning {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let mut command = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        if command.is_empty() {
            command = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string();
        }
        LeftRunning { pid, command }
    }
}

/// How many processes a warning names; the rest are counted.
const NAMED: usize = 5;

/// Why a capture stopped waiting for processes of the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// They left the command's session (daemons) and the command had ended.
    LeftSession,
    /// The command had ended and iops was asked to stop (SIGINT, SIGTERM).
    StopAsked,
    /// The command had ended, and what it left in its session was stopped
    /// by a signal (SIGSTOP, SIGTSTP: state T), which runs again only when
    /// continued; the rest, if any, had left the session.
    Stopped,
}

/// Whether `pid` is stopped by a signal (job control, state `T` in
/// /proc/PID/stat; not a tracer's stop, `t`).
pub fn stopped_by_signal(pid: pid_t) -> bool {
    if !crate::tasks::proc_is_ours() {
        return false; // another namespace's pids (see `tasks::proc_is_ours`)
    }
    let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) else { return false };
    // "pid (comm) S ...": the state follows the last ')', as comm may hold one.
    let Some(close) = stat.iter().rposition(|&b| b == b')') else { return false };
    stat.get(close + 2) == Some(&b'T')
}

/// The warning naming the processes `left` running, `fate` saying what the
/// source did with them, its `{they}`, `{them}` and `{their}` fitting their number.
pub fn left_running_warning(left: &[LeftRunning], why: Why, fate: &str) -> Warning {
    let mut names: Vec<String> = left.iter().take(NAMED).map(|p| format!("pid {} ({})", p.pid, p.command)).collect();
    if left.len() > NAMED {
        names.push(format!("and {} more", left.len() - NAMED));
    }
    let (n, them, their, they) =
        if left.len() == 1 { ("1 process".to_string(), "it", "its", "it") } else { (format!("{} processes", left.len()), "them", "their", "they") };
    let when = match why {
        Why::LeftSession => format!("the command ended leaving {n} running outside its session (daemons: they called setsid)"),
        Why::StopAsked => format!("iops was asked to stop after the command had ended, leaving {n} running"),
        Why::Stopped => format!("the command ended leaving {n} stopped by a signal (SIGSTOP, SIGTSTP: they run again only when continued) or running outside its session"),
    };
    WarningCode::LeftRunning.with(format!(
        "{when}: {}; iops stopped waiting for {them} there and {their} I/O after that is not counted; {}",
        names.join(", "),
        fate.replace("{they}", they).replace("{them}", them).replace("{their}", their)
    ))
}

/// The privileges of a program file, as exec would give them untraced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilePrivileges {
    /// Set-user-ID: the owner's uid.
    pub setuid: Option<u32>,
    /// Set-group-ID (with group execute): the group's gid.
    pub setgid: Option<u32>,
    /// File capabilities (a security.capability attribute).
    pub caps: bool,
}

impl FilePrivileges {
    /// Of the file at `path` (`/proc/<pid>/exe` after an exec); `None`
    /// when it has none, or cannot be read.
    pub fn of(path: &str) -> Option<FilePrivileges> {
        let meta = std::fs::metadata(path).ok()?;
        let mode = meta.mode();
        let p = FilePrivileges {
            setuid: (mode & libc::S_ISUID != 0).then_some(meta.uid()),
            // Set-group-ID without group execute is mandatory locking, not a privilege.
            setgid: (mode & libc::S_ISGID != 0 && mode & libc::S_IXGRP != 0).then_some(meta.gid()),
            caps: has_file_caps(path),
        };
        (p != FilePrivileges::default()).then_some(p)
    }
}

fn has_file_caps(path: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(path) else { return false };
    let name = c"security.capability";
    unsafe { libc::getxattr(c.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) > 0 }
}

/// The credentials of process `pid` after its exec (/proc/<pid>/status):
/// effective uid and gid, and whether it holds any permitted capability.
fn credentials(pid: pid_t) -> Option<(u32, u32, bool)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
    let second = |v: &str| v.split_ascii_whitespace().nth(1)?.parse::<u32>().ok();
    let euid = second(field("Uid:")?)?;
    let egid = second(field("Gid:")?)?;
    let permitted = u64::from_str_radix(field("CapPrm:")?, 16).ok()? != 0;
    Some((euid, egid, permitted))
}

/// A program exec'd without the privileges its file gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unprivileged {
    pub program: String,
    /// What was not given: "set-user-ID root", "set-group-ID 42", "file capabilities".
    pub lost: Vec<String>,
}

/// Process `pid` has just exec'd (its exec stop): what of its file's
/// privileges it did not get, if anything. Not per call: once per exec.
pub fn exec_unprivileged(pid: pid_t) -> Option<Unprivileged> {
    let exe = format!("/proc/{pid}/exe");
    let file = FilePrivileges::of(&exe)?;
    let (euid, egid, permitted) = credentials(pid)?;
    let mut lost = Vec::new();
    if let Some(uid) = file.setuid.filter(|&uid| uid != euid) {
        lost.push(format!("set-user-ID {}", if uid == 0 { "root".to_string() } else { format!("uid {uid}") }));
    }
    if let Some(gid) = file.setgid.filter(|&gid| gid != egid) {
        lost.push(format!("set-group-ID gid {gid}"));
    }
    if file.caps && !permitted && euid != 0 {
        lost.push("file capabilities".into());
    }
    if lost.is_empty() {
        return None;
    }
    let program = std::fs::read_link(&exe).map(|p| p.to_string_lossy().into_owned()).unwrap_or(exe);
    Some(Unprivileged { program, lost })
}

/// How many programs the warning names.
const PROGRAMS_NAMED: usize = 5;

/// The warning for programs that ran without their privileges because the
/// ptrace source (or strace) traced them; `tracer` names it.
pub fn unprivileged_warning(programs: &[Unprivileged], tracer: &str) -> Warning {
    let mut names: Vec<String> =
        programs.iter().take(PROGRAMS_NAMED).map(|p| format!("{} (without its {})", p.program, p.lost.join(", "))).collect();
    if programs.len() > PROGRAMS_NAMED {
        names.push(format!("and {} more", programs.len() - PROGRAMS_NAMED));
    }
    WarningCode::PrivilegesIgnored.with(format!(
        "{} ran without the privileges of its file: the kernel ignores set-user-ID, set-group-ID and file capabilities for a program traced by {tracer} from a process without CAP_SYS_PTRACE, so it ran (and may have failed) as an unprivileged program would; as root, the default eBPF source does not trace by ptrace and keeps them",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_names_each_process_left_and_counts_past_five() {
        let left: Vec<LeftRunning> = (1..=7).map(|i| LeftRunning { pid: 100 + i, command: format!("d{i}") }).collect();
        let w = left_running_warning(&left[..1], Why::LeftSession, "it runs on, untouched");
        assert_eq!(w.code, WarningCode::LeftRunning);
        assert!(w.text.contains("leaving 1 process running outside its session") && w.text.contains("pid 101 (d1)"), "{}", w.text);
        let w = left_running_warning(&left, Why::StopAsked, "detached");
        assert!(w.text.contains("leaving 7 processes running: pid 101 (d1),") && w.text.contains("pid 105 (d5), and 2 more;"), "{}", w.text);
    }

    #[test]
    fn our_own_process_is_in_a_session_and_a_gone_one_is_not() {
        let me = std::process::id() as pid_t;
        assert_eq!(session_of(me), Some(unsafe { libc::getsid(0) }));
        assert_eq!(session_of(4_194_305), None, "above the largest pid_max");
        assert!(LeftRunning::of(me).command.len() > 0);
    }

    #[test]
    fn a_plain_program_has_no_privileges_to_lose() {
        assert_eq!(FilePrivileges::of("/proc/self/exe"), None);
        assert_eq!(exec_unprivileged(std::process::id() as pid_t), None);
    }

    #[test]
    fn a_child_stopped_by_sigstop_reads_as_stopped_and_a_running_one_not() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().expect("sleep");
        let pid = child.id() as pid_t;
        assert!(!stopped_by_signal(pid));
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        let mut seen = false;
        for _ in 0..200 {
            if stopped_by_signal(pid) {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.kill().ok();
        child.wait().ok();
        assert!(seen, "state T after SIGSTOP");
        assert!(!stopped_by_signal(pid), "reaped: no longer stopped");
    }
}
