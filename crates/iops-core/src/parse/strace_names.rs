//! Signal names strace prints, to numbers (for exit statuses). errno
//! names are `crate::errno`'s.

const SIGNALS: [&str; 31] = [
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
    "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];

/// The number of a signal name (`SIGKILL` → 9), on Linux.
pub fn signal_number(name: &str) -> Option<i32> {
    SIGNALS.iter().position(|s| *s == name).map(|i| i as i32 + 1)
}
