//! errno names, for the failed-calls table (which keys them as
//! `&'static str`): Linux's by number (our tracer) and as strace prints them
//! (its logs), macOS's by number (fs_usage). One rule for a number or a name
//! no table knows: `UNKNOWN`.

/// The name of an errno no table here knows.
pub const UNKNOWN: &str = "EUNKNOWN";

/// Linux errno names by number (asm-generic numbering: x86-64 and arm64),
/// as strace prints them; "" where no errno has the number.
const LINUX: [&str; 134] = [
    "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD", "EAGAIN",
    "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL",
    "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM",
    "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "", "ENOMSG", "EIDRM",
    "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR",
    "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT", "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENONET",
    "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG",
    "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC",
    "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE",
    "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT",
    "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET",
    "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN",
    "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO",
    "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED",
    "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
];

/// Names strace may print that are not in `LINUX`: the kernel-internal
/// ones (a call interrupted by a signal, from 512 on) and the aliases some
/// strace versions print for a number (`EWOULDBLOCK` for `EAGAIN`).
const LINUX_OTHER: [&str; 22] = [
    "ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK", "EPROBE_DEFER",
    "EOPENSTALE", "ENOPARAM", "EBADHANDLE", "ENOTSYNC", "EBADCOOKIE", "ENOTSUPP", "ETOOSMALL", "ESERVERFAULT",
    "EBADTYPE", "EJUKEBOX", "EIOCBQUEUED", "ERECALLCONFLICT", "ENOGRACE", "EWOULDBLOCK", "EDEADLOCK", "ENOTSUP",
];

/// The name of Linux errno `n` (positive); `UNKNOWN` when it has none.
pub fn linux_name(n: i64) -> &'static str {
    usize::try_from(n).ok().and_then(|i| LINUX.get(i)).copied().filter(|s| !s.is_empty()).unwrap_or(UNKNOWN)
}

/// The static copy of an errno name strace printed (`b"ENOENT"`); `UNKNOWN`
/// for a name no Linux errno has.
pub fn linux_named(name: &[u8]) -> &'static str {
    LINUX.iter().chain(LINUX_OTHER.iter()).copied().find(|n| !n.is_empty() && n.as_bytes() == name).unwrap_or(UNKNOWN)
}

/// macOS errno names by number (sys/errno.h, which numbers differently from
/// Linux above 34); index 0 is no errno.
const MACOS: [&str; 107] = [
    "E0", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD", "EDEADLK",
    "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL",
    "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM",
    "ERANGE", "EAGAIN", "EINPROGRESS", "EALREADY", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE",
    "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "ENOTSUP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE",
    "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN",
    "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "ELOOP", "ENAMETOOLONG", "EHOSTDOWN",
    "EHOSTUNREACH", "ENOTEMPTY", "EPROCLIM", "EUSERS", "EDQUOT", "ESTALE", "EREMOTE", "EBADRPC", "ERPCMISMATCH",
    "EPROGUNAVAIL", "EPROGMISMATCH", "EPROCUNAVAIL", "ENOLCK", "ENOSYS", "EFTYPE", "EAUTH", "ENEEDAUTH",
    "EPWROFF", "EDEVERR", "EOVERFLOW", "EBADEXEC", "EBADARCH", "ESHLIBVERS", "EBADMACHO", "ECANCELED", "EIDRM",
    "ENOMSG", "EILSEQ", "ENOATTR", "EBADMSG", "EMULTIHOP", "ENODATA", "ENOLINK", "ENOSR", "ENOSTR", "EPROTO",
    "ETIME", "EOPNOTSUPP", "ENOPOLICY", "ENOTRECOVERABLE", "EOWNERDEAD", "EQFULL",
];

/// The name of macOS errno `n`; `UNKNOWN` when it has none.
pub fn macos_name(n: u32) -> &'static str {
    MACOS.get(n as usize).copied().unwrap_or(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_numbers_and_names() {
        assert_eq!(linux_name(2), "ENOENT");
        assert_eq!(linux_name(11), "EAGAIN");
        assert_eq!(linux_name(35), "EDEADLK");
        assert_eq!(linux_name(95), "EOPNOTSUPP");
        assert_eq!(linux_name(122), "EDQUOT");
        // No errno has 41; none is 0, negative or past the table.
        for n in [0, 41, 58, -1, 134, 512, i64::MAX] {
            assert_eq!(linux_name(n), UNKNOWN, "{n}");
        }
        assert_eq!(linux_named(b"ENOENT"), "ENOENT");
        assert_eq!(linux_named(b"EWOULDBLOCK"), "EWOULDBLOCK");
        assert_eq!(linux_named(b"ERESTARTSYS"), "ERESTARTSYS");
        assert_eq!(linux_named(b"ENOSUCH"), UNKNOWN);
        assert_eq!(linux_named(b""), UNKNOWN);
    }

    #[test]
    fn macos_numbers() {
        assert_eq!(macos_name(2), "ENOENT");
        assert_eq!(macos_name(35), "EAGAIN");
        assert_eq!(macos_name(106), "EQFULL");
        assert_eq!(macos_name(107), UNKNOWN);
    }
}
