//! The kernel side: bpf/iops.bpf.c as compiled by build.rs, embedded here,
//! loaded with aya (pure Rust: no libbpf, libelf or zlib to link, so the
//! musl and arm64 cross-builds need nothing more). Every program is attached
//! through a perf-event fd or link fd this process owns: when the process
//! ends, however it ends, the kernel drops them and the maps.

use std::os::fd::{AsFd, AsRawFd, RawFd};

use aya::maps::{Array, HashMap, Map, MapData};
use aya::programs::raw_trace_point::RawTracePointLinkId;
use aya::programs::tp_btf::BtfTracePointLinkId;
use aya::programs::{BtfTracePoint, RawTracePoint, TracePoint};
use aya::{Ebpf, EbpfLoader};
use iops_linux::seccomp::{COMPAT_DATA_CALLS, COMPAT_META_CALLS};
use iops_linux::syscalls::{traced, Class, MARKER_SYSCALL, MMAP};

use crate::ring::Ring;

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/iops.bpf.o"));

/// The ring buffer's size. At 88 bytes a call (4 KiB more for an open),
/// 64 MiB hold about 700,000 calls: far beyond what the bench's bursts
/// make between two reads of the reader (every `POLL_MS`, or sooner when
/// `WAKEUP_BYTES` are waiting).
pub const RING_BYTES: u32 = 64 << 20;
/// The traced set's size (bpf/iops.bpf.c's `tgids`): processes, and the
/// threads born while traced. A fork past it is not traced; the kernel side
/// counts such children and the report says how many (`traced-set-full`).
pub const MAX_TRACED: u32 = 65_536;
/// Wake the reader early once this much is waiting.
const WAKEUP_BYTES: u64 = 8 << 20;

// Indices of the `CONFIG` array (see bpf/iops.bpf.c).
const CFG_FORK_CHILD_PID: u32 = 0;
const CFG_EXIT_GROUP_DEAD: u32 = 1;
const CFG_MARKER_NR: u32 = 2;
/// bpf/iops.bpf.c's `state[3]`: the capture's cookie (above 0xffffffff: no
/// markers), in a map rather than CONFIG so that a kept program takes the
/// next window's (`reuse`).
const STATE_COOKIE: u32 = 3;
/// bpf/iops.bpf.c's `state[4]`: forks the full traced set could not take.
const STATE_UNTRACED_FORKS: u32 = 4;
const CFG_WAKEUP_BYTES: u32 = 4;
const CFG_REGS_BASE: u32 = 5;
const CFG_ARG0: u32 = 6;
const CFG_COMPAT_STATUS: u32 = 10;
const CFG_ARG4: u32 = 12;
const CFG_TASK_FILES: u32 = 13;
const CFG_FILE_INODE: u32 = 19;
const CFG_TASK_IOAC: u32 = 21;
const CFG_ARG5: u32 = 29;
const CFG_INODE_SIZE: u32 = 30;
const CFG_PIDNS_DEV: u32 = 31;
const CFG_PIDNS_INO: u32 = 32;
const CFG_PID_TASK: u32 = 33;
/// Slots of bpf/iops.bpf.c's CONFIG array.
const CFG_LEN: usize = 37;
/// bpf/iops.bpf.c's `state[5]`: threads in `wanted` are being looked for at
/// every syscall entry.
const STATE_FINDING: u32 = 5;
/// bpf/iops.bpf.c's `state[6]`: calls of traced threads that have no ids in
/// iops's PID namespace, not counted.
const STATE_UNNAMED: u32 = 6;

/// 1 + the offset of `thread_info.status` in `task_struct` (x86-64: the
/// thread_info is the task's first member, `{ flags, syscall_work, status }`
/// since Linux 5.11); 0 where no 32-bit ABI check is made.
#[cfg(target_arch = "x86_64")]
const COMPAT_STATUS: u64 = 1 + 16;
#[cfg(not(target_arch = "x86_64"))]
const COMPAT_STATUS: u64 = 0;

/// Where the first four syscall arguments are in `struct pt_regs` (the
/// kernel's saved user registers, a stable layout per architecture): the
/// start of a 64-byte span, and each argument's offset in it.
#[cfg(target_arch = "x86_64")]
const REGS: Option<(u64, [u64; 4])> = Some((56, [56, 48, 40, 0])); // span r10..di: di, si, dx, r10
#[cfg(target_arch = "aarch64")]
const REGS: Option<(u64, [u64; 4])> = Some((0, [0, 8, 16, 24])); // regs[0..3]
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const REGS: Option<(u64, [u64; 4])> = None;
/// Where the fifth argument (mmap's fd) is in `struct pt_regs`.
#[cfg(target_arch = "x86_64")]
const ARG4: u64 = 72; // r8
#[cfg(not(target_arch = "x86_64"))]
const ARG4: u64 = 32; // regs[4]
/// Where the sixth argument (preadv2's and pwritev2's RWF flags) is.
#[cfg(target_arch = "x86_64")]
const ARG5: u64 = 64; // r9
#[cfg(not(target_arch = "x86_64"))]
const ARG5: u64 = 40; // regs[5]

// `calls` flags (see bpf/iops.bpf.c).
const CALL_TRACED: u16 = 1;
const CALL_PATH_ARG0: u16 = 2;
const CALL_PATH_ARG1: u16 = 4;
const CALL_PEEK_ARG2: u16 = 8;
const CALL_PEEK_ARG1_3: u16 = 16;
const CALL_FDS_ARG0: u16 = 32;
const CALL_FDS_ARG3: u16 = 64;
const CALL_COMPAT: u16 = 128;
const CALL_MMAP_FD: u16 = 256;
const CALL_AT_POS: u16 = 512;
const CALL_INODE_RET: u16 = 1024;
const CALL_RECV_FDS: u16 = 2048;
const CALL_APPEND_AT: u16 = 4096;
const CALL_RWF: u16 = 8192;

/// Calls that make fds without a path (pipes, sockets): recorded so that
/// their fds are named while they are still open (see `events`).
pub const FD_MAKERS: &[(libc::c_long, u16)] = &[
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_pipe, CALL_TRACED | CALL_FDS_ARG0),
    (libc::SYS_pipe2, CALL_TRACED | CALL_FDS_ARG0),
    (libc::SYS_socketpair, CALL_TRACED | CALL_FDS_ARG3),
    (libc::SYS_socket, CALL_TRACED | CALL_INODE_RET),
    (libc::SYS_accept, CALL_TRACED | CALL_INODE_RET),
    (libc::SYS_accept4, CALL_TRACED | CALL_INODE_RET),
    // The fds it receives (SCM_RIGHTS) are named at its exit (see `events`).
    (libc::SYS_recvmsg, CALL_TRACED | CALL_RECV_FDS),
];

/// Calls that make fds of other kinds (memfd, eventfd, epoll, ...):
/// recorded so that their fds are named while open, or at least never
/// taken for another file (see `events`). memfd_create's name is read as
/// an open's path.
pub const ANON_FD_MAKERS: &[(libc::c_long, u16)] = &[
    (libc::SYS_memfd_create, CALL_TRACED | CALL_PATH_ARG0),
    (libc::SYS_eventfd2, CALL_TRACED),
    (libc::SYS_timerfd_create, CALL_TRACED),
    (libc::SYS_epoll_create1, CALL_TRACED),
    (libc::SYS_inotify_init1, CALL_TRACED),
    (libc::SYS_signalfd4, CALL_TRACED),
    (libc::SYS_userfaultfd, CALL_TRACED),
    (libc::SYS_pidfd_open, CALL_TRACED),
    (libc::SYS_fanotify_init, CALL_TRACED),
    (libc::SYS_perf_event_open, CALL_TRACED),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_eventfd, CALL_TRACED),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_signalfd, CALL_TRACED),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_epoll_create, CALL_TRACED),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_inotify_init, CALL_TRACED),
];

/// Calls recorded so that an fd's identity follows it without /proc (see
/// `events`): fd copies, forks (whether the child shares the fd table),
/// working-directory and root changes (relative opens are named against
/// the first, absolute ones against the second).
pub const FD_FOLLOWERS: &[(libc::c_long, u16)] = &[
    (libc::SYS_dup, CALL_TRACED),
    (libc::SYS_fcntl, CALL_TRACED), // F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD only (bpf side)
    (libc::SYS_clone, CALL_TRACED),
    (libc::SYS_clone3, CALL_TRACED),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_fork, CALL_TRACED),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_vfork, CALL_TRACED),
    (libc::SYS_chdir, CALL_TRACED | CALL_PATH_ARG0),
    (libc::SYS_fchdir, CALL_TRACED),
    (libc::SYS_chroot, CALL_TRACED | CALL_PATH_ARG0),
];

// Values of the `tgids` map (bits).
const TRACED: u8 = 1;
const AT_EXEC: u8 = 2;
/// May have an O_APPEND fd: its writes read their fd's position in the kernel.
const APPENDS: u8 = 4;

/// `struct pending` of bpf/iops.bpf.c: a traced thread's call in progress.
/// Userspace only makes idle ones (`nr` = `NO_CALL`), for the threads of
/// an attached process.
#[repr(C)]
#[derive(Clone, Copy)]
struct Pending {
    start: u64,
    args: [u64; 4],
    nr: u32,
    counted: u32,
    held_end: u64,
    held_ret: i64,
    held_nr: u32,
    held: u32,
    ns_tid: u32,
    ns_tgid: u32,
}

// SAFETY: plain integers, no padding (80 bytes, as the C struct).
unsafe impl aya::Pod for Pending {}

const NO_CALL: u32 = u32::MAX;
/// bpf_map_update_elem's flag: only where the key is not there yet.
const BPF_NOEXIST: u64 = 1;

/// The window's phases in `state[0]`.
pub const WINDOW_WAITING: u64 = 0;
pub const WINDOW_OPEN: u64 = 1;

/// The raw tracepoints that see calls, execs and exits: (program, event).
/// Attached for a capture; a program kept between windows (`idle`) has them
/// detached, which is quick for raw tracepoints (no grace period waited).
/// The typed sys_enter (`TYPED_ENTER`) replaces the first where it loads.
const CALL_PROBES: [(&str, &str); 4] =
    [("sys_enter", "sys_enter"), ("sys_exit", "sys_exit"), ("on_exec", "sched_process_exec"), ("on_exit", "sched_process_exit")];
/// bpf/iops.bpf.c's tp_btf program on sys_enter: it reads the call's
/// arguments in place, where the raw one copies them out with a helper.
const TYPED_ENTER: &str = "sys_enter_typed";

/// An attached call probe's link.
enum Link {
    Raw(RawTracePointLinkId),
    Typed(BtfTracePointLinkId),
}

/// Loaded and attached; dropping it detaches everything.
pub struct Program {
    ebpf: Ebpf,
    /// The `CALL_PROBES`' links while they are attached.
    links: Vec<(&'static str, Link)>,
    /// Why the typed sys_enter program did not load (the raw one runs), or
    /// `None`: it runs.
    pub untyped: Option<String>,
    pub ring: Ring,
    /// The ring buffer map (its fd, which `ring` maps).
    events: MapData,
    tgids: HashMap<MapData, u32, u8>,
    pending: HashMap<MapData, u32, Pending>,
    /// bpf/iops.bpf.c's `threads`: a byte per tid, set while it has an entry in `pending`.
    threads: ThreadBytes,
    state: Array<MapData, u64>,
    /// The kernel side knows where an fd's position is (`btf`).
    reads_positions: bool,
    /// iops runs in a PID namespace of its own: the threads it traces are
    /// found by the kernel side from their ids here (`wanted`), and the
    /// records carry those ids (see bpf/iops.bpf.c, "PID namespaces").
    pub in_pidns: bool,
    /// bpf/iops.bpf.c's `wanted`: thread id here → its tgid here | flags << 32.
    wanted: HashMap<MapData, u32, u64>,
}

/// The inode number of the initial PID namespace (the kernel's
/// PROC_PID_INIT_INO, fixed).
const INIT_PIDNS_INO: u64 = 0xEFFF_FFFC;

/// This process's PID namespace where it is not the initial one: the
/// device of nsfs as the kernel keeps it (`MKDEV`: major << 20 | minor) and
/// the namespace's inode, as bpf_get_ns_current_pid_tgid takes them.
pub fn pid_namespace() -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let ns = std::fs::metadata("/proc/self/ns/pid").ok()?;
    if ns.ino() == INIT_PIDNS_INO {
        return None;
    }
    let dev = ns.dev();
    Some((u64::from(libc::major(dev)) << 20 | u64::from(libc::minor(dev)), ns.ino()))
}

/// The `threads` map, mapped into this process: one byte per tid, written
/// in place (a byte store leaves the kernel side's stores to the other
/// bytes of the same element alone, which a map update would overwrite).
struct ThreadBytes {
    _map: MapData,
    at: *mut u8,
    len: usize,
}

// SAFETY: the mapping is owned by this value and only read and written by byte.
unsafe impl Send for ThreadBytes {}

impl ThreadBytes {
    fn new(map: MapData, tids: usize) -> std::io::Result<ThreadBytes> {
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let len = tids.div_ceil(page) * page;
        let fd = map.fd().as_fd().as_raw_fd();
        let at = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0) };
        if at == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(ThreadBytes { _map: map, at: at.cast(), len: tids })
    }

    fn mark(&mut self, tid: u32, on: bool) {
        if (tid as usize) < self.len {
            // SAFETY: within the mapping; volatile: the kernel side reads it.
            unsafe { std::ptr::write_volatile(self.at.add(tid as usize), on as u8) };
        }
    }
}

impl Drop for ThreadBytes {
    fn drop(&mut self) {
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        unsafe { libc::munmap(self.at.cast(), self.len.div_ceil(page) * page) };
    }
}

/// How many tids the `threads` map covers: pid_max (a tid past it, were
/// pid_max raised during a capture, is looked up in the hash as before).
fn tid_limit() -> usize {
    std::fs::read_to_string("/proc/sys/kernel/pid_max").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1 << 22)
}

/// Why loading failed, in words (the kernel's refusal first).
pub enum LoadError {
    /// EPERM or EACCES: not root, nor CAP_BPF + CAP_PERFMON.
    NotPermitted(String),
    Other(String),
}

fn why(e: impl std::error::Error) -> LoadError {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut denied = false;
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            denied |= matches!(io.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES));
        }
        source = s.source();
    }
    if denied {
        LoadError::NotPermitted(text)
    } else {
        LoadError::Other(text)
    }
}

/// The offset of `field` in a tracepoint's record, from its tracefs format
/// file ("field:pid_t child_pid;\toffset:20;\tsize:4;...").
fn field_offset(event: &str, field: &str) -> Option<u64> {
    for root in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        let Ok(text) = std::fs::read_to_string(format!("{root}/events/{event}/format")) else { continue };
        let needle = format!(" {field};");
        let line = text.lines().find(|l| l.contains(&needle))?;
        let off = line.split("offset:").nth(1)?.split(';').next()?;
        return off.trim().parse().ok();
    }
    None
}

impl Program {
    /// Loads the program, sets what it counts, attaches it. `cookie`: the
    /// window markers' cookie (none: no markers); `ring_bytes`: see
    /// `RING_BYTES` (a power of two, a multiple of the page size);
    /// `max_traced`: see `MAX_TRACED`.
    pub fn load(cookie: Option<u32>, ring_bytes: u32, max_traced: u32) -> Result<Program, LoadError> {
        let regs = REGS.ok_or_else(|| LoadError::Other(format!("the eBPF source does not know the syscall registers of {}", std::env::consts::ARCH)))?;
        let child_pid = field_offset("sched/sched_process_fork", "child_pid")
            .ok_or_else(|| LoadError::Other("cannot read the sched_process_fork format from tracefs".into()))?;
        let group_dead = field_offset("sched/sched_process_exit", "group_dead").is_some() as u64;
        let kernel = crate::btf::kernel();
        let file_offsets = kernel.files;
        // No kernel BTF: the program has no CO-RE relocations, and parsing
        // /sys/kernel/btf/vmlinux would cost a third of a second.
        let tids = tid_limit().div_ceil(8) * 8;
        let pidns = pid_namespace();
        let mut config = [0u64; CFG_LEN];
        if let Some((dev, ino)) = pidns {
            config[CFG_PIDNS_DEV as usize] = dev;
            config[CFG_PIDNS_INO as usize] = ino;
            // Unknown (0): tasks in a namespace nested in ours are not counted, and said.
            if let Some(o) = kernel.pids {
                for (i, v) in [o.task_thread_pid, o.task_group_leader, o.pid_level, o.pid_numbers].into_iter().enumerate() {
                    config[CFG_PID_TASK as usize + i] = v;
                }
            }
        }
        for (i, v) in [
            (CFG_FORK_CHILD_PID, child_pid),
            (CFG_EXIT_GROUP_DEAD, group_dead),
            (CFG_MARKER_NR, MARKER_SYSCALL as u64),
            (CFG_WAKEUP_BYTES, WAKEUP_BYTES.min(ring_bytes as u64 / 2)),
            (CFG_REGS_BASE, regs.0),
            (CFG_ARG0, regs.1[0]),
            (CFG_ARG0 + 1, regs.1[1]),
            (CFG_ARG0 + 2, regs.1[2]),
            (CFG_ARG0 + 3, regs.1[3]),
            (CFG_COMPAT_STATUS, COMPAT_STATUS),
            (CFG_ARG4, ARG4),
            (CFG_ARG5, ARG5),
        ] {
            config[i as usize] = v;
        }
        // Unknown (0, the kernel side then reads no position): appends'
        // offsets come from /proc after the fact, as before.
        if let Some(o) = crate::btf::io_offsets() {
            let offsets = [
                o.task_ioac,
                o.task_signal,
                o.signal_ioac,
                o.task_group_leader,
                o.task_real_parent,
                o.task_tgid,
                o.ioac_read_bytes,
                o.ioac_write_bytes,
            ];
            for (i, v) in offsets.into_iter().enumerate() {
                config[CFG_TASK_IOAC as usize + i] = v;
            }
        }
        if let Some(o) = &file_offsets {
            for (i, v) in [o.task_files, o.files_fdt, o.fdt_max_fds, o.fdt_fd, o.file_pos, o.file_flags].into_iter().enumerate() {
                config[CFG_TASK_FILES as usize + i] = v;
            }
            config[CFG_FILE_INODE as usize] = o.file_inode;
            config[CFG_FILE_INODE as usize + 1] = o.inode_ino;
            config[CFG_INODE_SIZE as usize] = o.inode_size;
        }
        let mut ebpf = EbpfLoader::new()
            .btf(None)
            .override_global("CONFIG", &config, true)
            .map_max_entries("events", ring_bytes)
            .map_max_entries("tgids", max_traced)
            .map_max_entries("threads", (tids / 8) as u32)
            .load(OBJECT)
            .map_err(why)?;
        {
            let mut calls: Array<&mut MapData, u16> = Array::try_from(ebpf.map_mut("calls").expect("calls")).map_err(why)?;
            for (nr, class) in traced() {
                if matches!(class, Class::FilterInstall | Class::Ptrace) {
                    continue; // a program's own seccomp filter or tracing does not concern us
                }
                calls.set(nr as u32, flags(nr), 0).map_err(why)?;
            }
            // The mmaps of an fd (the kernel side drops anonymous ones), as `Class::Map`.
            calls.set(MMAP as u32, CALL_TRACED | CALL_MMAP_FD, 0).map_err(why)?;
            for &(nr, f) in FD_MAKERS.iter().chain(ANON_FD_MAKERS).chain(FD_FOLLOWERS) {
                calls.set(nr as u32, f, 0).map_err(why)?;
            }
            if COMPAT_STATUS != 0 {
                for &nr in COMPAT_DATA_CALLS.iter().chain(COMPAT_META_CALLS) {
                    let f = calls.get(&nr, 0).unwrap_or(0);
                    calls.set(nr, f | CALL_COMPAT, 0).map_err(why)?;
                }
            }
        }
        // Raw tracepoints where the arguments serve (no perf record built
        // per event, and detached without waiting for a grace period);
        // sched_process_fork's child is a task_struct there, so it stays a
        // classic tracepoint, read at its format's offset.
        let untyped = load_typed_enter(&mut ebpf, kernel.sys_enter).err();
        for (name, _) in CALL_PROBES {
            if name == "sys_enter" && untyped.is_none() {
                continue;
            }
            let program: &mut RawTracePoint = ebpf.program_mut(name).expect("program").try_into().map_err(why)?;
            program.load().map_err(why)?;
        }
        let program: &mut TracePoint = ebpf.program_mut("on_fork").expect("program").try_into().map_err(why)?;
        program.load().map_err(why)?;
        program.attach("sched", "sched_process_fork").map_err(why)?;
        let Some(Map::RingBuf(events)) = ebpf.take_map("events") else { return Err(LoadError::Other("the events map is not a ring buffer".into())) };
        let ring = Ring::new(events.fd().as_fd().as_raw_fd(), ring_bytes as usize).map_err(why)?;
        let tgids = HashMap::try_from(ebpf.take_map("tgids").expect("tgids")).map_err(why)?;
        let pending = HashMap::try_from(ebpf.take_map("pending").expect("pending")).map_err(why)?;
        let Some(Map::Array(threads)) = ebpf.take_map("threads") else { return Err(LoadError::Other("the threads map is not an array".into())) };
        let threads = ThreadBytes::new(threads, tids).map_err(why)?;
        let mut state: Array<MapData, u64> = Array::try_from(ebpf.take_map("state").expect("state")).map_err(why)?;
        state.set(STATE_COOKIE, cookie.map_or(u64::MAX, u64::from), 0).map_err(why)?;
        let wanted = HashMap::try_from(ebpf.take_map("wanted").expect("wanted")).map_err(why)?;
        let mut program = Program {
            ebpf,
            links: Vec::new(),
            untyped,
            ring,
            events,
            tgids,
            pending,
            threads,
            state,
            reads_positions: file_offsets.is_some(),
            in_pidns: pidns.is_some(),
            wanted,
        };
        program.attach_calls()?;
        Ok(program)
    }

    fn attach_calls(&mut self) -> Result<(), LoadError> {
        for (name, event) in CALL_PROBES {
            if self.links.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let link = if name == "sys_enter" && self.untyped.is_none() {
                let program: &mut BtfTracePoint = self.ebpf.program_mut(TYPED_ENTER).expect("program").try_into().map_err(why)?;
                Link::Typed(program.attach().map_err(why)?)
            } else {
                let program: &mut RawTracePoint = self.ebpf.program_mut(name).expect("program").try_into().map_err(why)?;
                Link::Raw(program.attach(event).map_err(why)?)
            };
            self.links.push((name, link));
        }
        Ok(())
    }

    /// After a capture, to keep the program loaded for the next one (the
    /// windows of profile() and the notebook magics): the call probes
    /// detached, the traced set emptied, the window waiting, the ring read
    /// to its end. Only the fork probe stays attached, and it finds no
    /// traced parent. Errors leave a program to drop, not to keep.
    pub fn idle(&mut self) -> Result<(), String> {
        for (name, link) in self.links.drain(..) {
            match link {
                Link::Raw(link) => {
                    let program: &mut RawTracePoint = self.ebpf.program_mut(name).expect("program").try_into().map_err(|e| format!("{e}"))?;
                    program.detach(link).map_err(|e| e.to_string())?;
                }
                Link::Typed(link) => {
                    let program: &mut BtfTracePoint = self.ebpf.program_mut(TYPED_ENTER).expect("program").try_into().map_err(|e| format!("{e}"))?;
                    program.detach(link).map_err(|e| e.to_string())?;
                }
            }
        }
        let ids: Vec<u32> = self.tgids.keys().filter_map(Result::ok).collect();
        for id in ids {
            let _ = self.tgids.remove(&id);
        }
        let tids: Vec<u32> = self.pending.keys().filter_map(Result::ok).collect();
        for tid in tids {
            let _ = self.pending.remove(&tid);
            self.threads.mark(tid, false);
        }
        let wanted: Vec<u32> = self.wanted.keys().filter_map(Result::ok).collect();
        for tid in wanted {
            let _ = self.wanted.remove(&tid);
        }
        let _ = self.state.set(STATE_FINDING, 0, 0);
        self.ring.drain(|_| {});
        Ok(())
    }

    /// Readies an idle program for a new capture with window markers of
    /// `cookie`: what a call that was ending as the probes were detached
    /// left in the ring is dropped, the window waits, nothing is counted as
    /// lost, and the call probes are attached again.
    pub fn reuse(&mut self, cookie: u32) -> Result<(), LoadError> {
        self.ring.drain(|_| {});
        self.state.set(STATE_COOKIE, u64::from(cookie), 0).map_err(why)?;
        self.state.set(0, WINDOW_WAITING, 0).map_err(why)?;
        self.state.set(1, 0, 0).map_err(why)?;
        self.state.set(STATE_UNTRACED_FORKS, 0, 0).map_err(why)?;
        self.state.set(STATE_UNNAMED, 0, 0).map_err(why)?;
        self.attach_calls()
    }

    pub fn ring_fd(&self) -> RawFd {
        self.events.fd().as_fd().as_raw_fd()
    }

    /// Traces process `tgid` (and what it forks from now on); `at_exec`:
    /// from its next exec on (a launched command still in our fork; the
    /// kernel side adds its thread at the exec).
    ///
    /// A running process's threads are added here, after its tgid: one
    /// born meanwhile is added by the kernel side at its fork, one listed
    /// is added here, and one that exits between its listing and its
    /// insertion has its entry taken back (else its tid, reused by another
    /// process, would be traced). `host_threads` are left out: the host's
    /// own threads (a notebook kernel's messaging, see `HostTraffic`).
    ///
    /// In a PID namespace (`in_pidns`) the ids are this namespace's, which
    /// the kernel side keys nothing by: the threads go in `wanted`, and the
    /// kernel side finds each at its exec (`at_exec`) or its next syscall
    /// (see `settle`); `appends`: the process may have an O_APPEND fd now.
    pub fn trace_process(&mut self, tgid: u32, at_exec: bool, appends: bool, host_threads: &[i32]) -> Result<(), String> {
        if self.in_pidns {
            return self.want_process(tgid, at_exec, appends, host_threads);
        }
        self.tgids.insert(tgid, if at_exec { AT_EXEC } else { TRACED }, 0).map_err(|e| e.to_string())?;
        if at_exec {
            return Ok(());
        }
        let idle = Pending { start: 0, args: [0; 4], nr: NO_CALL, counted: 0, held_end: 0, held_ret: 0, held_nr: 0, held: 0, ns_tid: 0, ns_tgid: 0 };
        let tasks = std::fs::read_dir(format!("/proc/{tgid}/task")).map_err(|e| format!("cannot list its threads: {e}"))?;
        for tid in tasks.filter_map(|t| t.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
            if host_threads.contains(&(tid as i32)) {
                continue;
            }
            // BPF_NOEXIST: a thread the kernel side added is mid-call maybe.
            match self.pending.insert(tid, idle, BPF_NOEXIST) {
                Ok(()) => {
                    self.threads.mark(tid, true);
                    if !std::path::Path::new(&format!("/proc/{tgid}/task/{tid}")).exists() {
                        let _ = self.pending.remove(&tid);
                        self.threads.mark(tid, false);
                    }
                }
                Err(aya::maps::MapError::SyscallError(e)) if e.io_error.raw_os_error() == Some(libc::EEXIST) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }


    /// `trace_process` in a PID namespace: its threads (the command at its
    /// exec) put in `wanted`, by their ids here.
    fn want_process(&mut self, tgid: u32, at_exec: bool, appends: bool, host_threads: &[i32]) -> Result<(), String> {
        let reads_appends = appends && self.reads_positions;
        let flags = u64::from(if at_exec { AT_EXEC } else { TRACED } | if reads_appends { APPENDS } else { 0 });
        let value = u64::from(tgid) | flags << 32;
        if at_exec {
            return self.wanted.insert(tgid, value, 0).map_err(|e| e.to_string());
        }
        let tasks = std::fs::read_dir(format!("/proc/{tgid}/task")).map_err(|e| format!("cannot list its threads: {e}"))?;
        // (The leader's entry also finds the process at a fork by a thread not found yet.)
        for tid in tasks.filter_map(|t| t.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
            if host_threads.contains(&(tid as i32)) {
                continue;
            }
            self.wanted.insert(tid, value, 0).map_err(|e| format!("cannot trace its thread {tid}: {e}"))?;
        }
        self.state.set(STATE_FINDING, 1, 0).map_err(|e| e.to_string())
    }

    /// In a PID namespace, between drains: threads wanted that have exited
    /// since are no longer looked for (their ids could be another's), and
    /// once none is left, syscalls stop paying the search.
    pub fn settle(&mut self) {
        if !self.in_pidns || self.state.get(&STATE_FINDING, 0).unwrap_or(0) == 0 {
            return;
        }
        let wanted: Vec<(u32, u64)> = self.wanted.iter().filter_map(Result::ok).collect();
        let mut left = 0;
        for (tid, v) in wanted {
            let tgid = v as u32;
            let at_exec = (v >> 32) as u8 & AT_EXEC != 0;
            if !std::path::Path::new(&format!("/proc/{tgid}/task/{tid}")).exists() {
                let _ = self.wanted.remove(&tid);
            } else if !at_exec {
                left += 1;
            }
        }
        if left == 0 {
            let _ = self.state.set(STATE_FINDING, 0, 0);
        }
    }

    /// Calls made by traced threads that have no ids in iops's PID
    /// namespace (one nested in it): not counted.
    pub fn unnamed_calls(&self) -> u64 {
        self.state.get(&STATE_UNNAMED, 0).unwrap_or(0)
    }

    /// Process `tgid` (in the set) may have O_APPEND fds the kernel side
    /// did not see opened (inherited from us, or there before the attach):
    /// its writes carry their fd's position from now on.
    pub fn mark_appends(&mut self, tgid: u32) -> Result<(), String> {
        if !self.reads_positions {
            return Ok(());
        }
        if self.in_pidns {
            // Its threads not found yet carry the mark to its process when they are.
            let wanted: Vec<(u32, u64)> = self.wanted.iter().filter_map(Result::ok).filter(|(_, v)| *v as u32 == tgid).collect();
            for (tid, v) in wanted {
                let _ = self.wanted.insert(tid, v | u64::from(APPENDS) << 32, 0);
            }
            return self.state.set(2, 1, 0).map_err(|e| e.to_string());
        }
        let v = self.tgids.get(&tgid, 0).map_err(|e| e.to_string())?;
        self.tgids.insert(tgid, v | APPENDS, 0).map_err(|e| e.to_string())?;
        self.state.set(2, 1, 0).map_err(|e| e.to_string())
    }

    pub fn set_window(&mut self, phase: u64) {
        let _ = self.state.set(0, phase, 0);
    }

    /// Records the ring buffer had no room for.
    pub fn lost(&self) -> u64 {
        self.state.get(&1, 0).unwrap_or(0)
    }

    /// Tasks forked by traced ones that the full traced set could not take
    /// (counted by the kernel side as it failed to add each).
    pub fn untraced_forks(&self) -> u64 {
        self.state.get(&STATE_UNTRACED_FORKS, 0).unwrap_or(0)
    }

    /// The ids in the traced set: processes, and threads born while traced.
    pub fn traced_ids(&self) -> Vec<u32> {
        self.tgids.keys().filter_map(Result::ok).collect()
    }
}

/// Loads the typed sys_enter program against the kernel's
/// `btf_trace_sys_enter` (`id`, from `btf::kernel`), or says why not
/// (no such type, IOPS_EBPF_RAW_TP set, the kernel's refusal: the raw
/// program then runs).
fn load_typed_enter(ebpf: &mut Ebpf, id: Option<u32>) -> Result<(), String> {
    if std::env::var_os("IOPS_EBPF_RAW_TP").is_some() {
        return Err("IOPS_EBPF_RAW_TP is set".into());
    }
    let id = id.ok_or("the kernel's BTF has no btf_trace_sys_enter")?;
    let btf = aya::Btf::parse(&crate::btf::typedefs_at(&[("btf_trace_sys_enter", id)]), aya::Endianness::default()).map_err(|e| e.to_string())?;
    let program: &mut BtfTracePoint = ebpf.program_mut(TYPED_ENTER).expect("program").try_into().map_err(|e: aya::programs::ProgramError| e.to_string())?;
    program.load("sys_enter", &btf).map_err(|e| match why(e) {
        LoadError::NotPermitted(text) | LoadError::Other(text) => text,
    })
}

/// What the kernel side records of a counted call beside its arguments.
fn flags(nr: libc::c_long) -> u16 {
    let extra = match nr {
        libc::SYS_openat | libc::SYS_openat2 => CALL_PATH_ARG1,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_open | libc::SYS_creat => CALL_PATH_ARG0,
        libc::SYS_sendfile => CALL_PEEK_ARG2,
        libc::SYS_copy_file_range | libc::SYS_splice => CALL_PEEK_ARG1_3,
        // The calls at the fd's position: the position after them, exact
        // however the open file is shared (preadv2, pwritev2 only at offset
        // -1, which the kernel side checks); the writes at an explicit
        // offset that may append all the same (O_APPEND, RWF_APPEND).
        libc::SYS_read | libc::SYS_readv | libc::SYS_write | libc::SYS_writev => CALL_AT_POS,
        libc::SYS_preadv2 => CALL_AT_POS | CALL_RWF,
        libc::SYS_pwritev2 => CALL_AT_POS | CALL_RWF | CALL_APPEND_AT,
        libc::SYS_pwrite64 | libc::SYS_pwritev => CALL_APPEND_AT,
        _ => 0,
    };
    CALL_TRACED | extra
}
