//! An fd's kind from the facts a source sees: the rules every source that
//! sees the same fact must share.

use crate::event::FdKind;

/// The kind of a character device by its major number (Linux's
/// Documentation/admin-guide/devices.txt): 4 virtual consoles and serial
/// ttys, 5 /dev/tty, /dev/console and /dev/ptmx, 136-143 pseudo-terminals
/// (/dev/pts/N) are `Tty`; every other character device is `Other`.
pub fn char_device(major: u64) -> FdKind {
    if major == 4 || major == 5 || (136..=143).contains(&major) {
        FdKind::Tty
    } else {
        FdKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminals_by_major() {
        for major in [4, 5, 136, 143] {
            assert_eq!(char_device(major), FdKind::Tty, "{major}");
        }
        // 1: /dev/null and friends, 10: misc, 144: past the pty range.
        for major in [0, 1, 10, 135, 144] {
            assert_eq!(char_device(major), FdKind::Other, "{major}");
        }
    }
}
