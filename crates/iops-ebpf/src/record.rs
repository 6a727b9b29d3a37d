//! The records of bpf/iops.bpf.c (`struct event`, and an open's path after
//! it), read in place from the ring buffer without copying the path.

/// A finished call.
pub const EV_CALL: u8 = 1;
/// A process exec'd (its close-on-exec fds are gone).
pub const EV_EXEC: u8 = 2;
/// A process's last thread exited; `args[2]` non-zero: its parent is not
/// traced, and `args[0]`, `args[1]` are its read_bytes and write_bytes (as
/// /proc/PID/io sums them, at its end).
pub const EV_GONE: u8 = 3;
/// The begin marker opened the window.
pub const EV_BEGIN: u8 = 4;
/// The end marker closed it.
pub const EV_END: u8 = 5;
/// A call of the 32-bit ABI (a 32-bit program's, or x86-64's int 0x80)
/// whose number (`nr`, the 32-bit ABI's) is one we count there, entered in
/// the window: not counted, said in a warning.
pub const EV_COMPAT: u8 = 6;
/// A traced thread made a task (sched_process_fork, before the child
/// runs): `peek[1]` is the child's id; `nr` and `args` the parent's call
/// (`u32::MAX`: none seen); `peek[0]` the u64 at `args[0]` (clone3's flags).
pub const EV_FORK: u8 = 7;
/// The launched command's exec: its span begins (bpf/iops.bpf.c's EV_STARTED).
pub const EV_STARTED: u8 = 8;
/// iops runs in a PID namespace: a traced thread's ids there (`tid`,
/// `tgid`, which its records carry) and its kernel tid (`peek[1]`), at its
/// first call.
pub const EV_NAMED: u8 = 9;

/// `struct event`; times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Event {
    /// Entry of the call (for notices: when it happened).
    pub start: u64,
    pub end: u64,
    pub ret: i64,
    pub args: [u64; 4],
    /// sendfile: `*args[2]` after the call; copy_file_range, splice:
    /// `*args[1]`, `*args[3]` after the call (0 when the pointer is null);
    /// a read or write at its fd's position with `POS_READ` in `peek[1]`:
    /// the fd's position after it, and its file's f_flags in `peek[1]`'s
    /// low bits; a write at an explicit offset that appended (O_APPEND,
    /// RWF_APPEND) with `SIZE_READ`: the file's size after it. preadv2,
    /// pwritev2: `args[2]` is their RWF flags (not vlen).
    pub peek: [u64; 2],
    pub tid: u32,
    pub tgid: u32,
    pub nr: u32,
    pub kind: u8,
    /// Entered while the window was open.
    pub counted: u8,
    /// An open's path follows (`PATH_LEN` bytes, NUL-terminated).
    pub has_path: u16,
}

/// In `peek[1]` of a read or write: the kernel read its fd's position (`peek[0]`).
pub const POS_READ: u64 = 1 << 63;
/// In `peek[1]` of a write at an explicit offset: it appended, and the
/// kernel read its file's size after it (`peek[0]`).
pub const SIZE_READ: u64 = 1 << 62;

pub const EVENT_LEN: usize = std::mem::size_of::<Event>();
pub const PATH_LEN: usize = 4096;

impl Event {
    /// The record at the start of `bytes`, and the path after it when it has
    /// one (up to its NUL).
    #[inline]
    pub fn read(bytes: &[u8]) -> Option<(Event, Option<&[u8]>)> {
        if bytes.len() < EVENT_LEN {
            return None;
        }
        // SAFETY: length checked; read_unaligned copies plain integers.
        let e = unsafe { std::ptr::read_unaligned(bytes.as_ptr() as *const Event) };
        let path = (e.has_path != 0 && bytes.len() > EVENT_LEN).then(|| {
            let rest = &bytes[EVENT_LEN..bytes.len().min(EVENT_LEN + PATH_LEN)];
            &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())]
        });
        Some((e, path))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_layout_is_the_c_one() {
        // 3 u64 + 4 args + 2 peeks, then tid, tgid, nr, kind, counted, has_path.
        assert_eq!(super::EVENT_LEN, 88);
    }
}
