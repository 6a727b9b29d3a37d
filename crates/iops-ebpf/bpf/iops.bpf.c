// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the eBPF source: on the sys_enter/sys_exit raw
 * tracepoints, keep only the calls of the traced processes (a map of
 * tgids, grown at fork) whose numbers userspace marked, and emit one
 * fixed-size record per finished call into a ring buffer. The window
 * markers (fcntl on MARKER_FD with the capture's cookie) open and close the
 * window here, so the window is exact to the syscall as under ptrace.
 *
 * No kernel headers: syscall arguments are read from the saved user
 * registers (struct pt_regs) at offsets userspace gives for its
 * architecture; sched_process_fork's child_pid, whose place in the record
 * moved between kernels, at the offset userspace takes from tracefs. All
 * of it goes in `config`. The program is GPL because the probe_read
 * helpers are GPL-only.
 */

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;

#define INLINE static inline __attribute__((always_inline))
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_RINGBUF = 27,
};
#define BPF_ANY 0
#define BPF_F_MMAPABLE (1U << 10)
#define BPF_NOEXIST 1
#define EEXIST 17
#define BPF_RB_NO_WAKEUP 1
#define BPF_RB_FORCE_WAKEUP 2
#define BPF_RB_AVAIL_DATA 0

/* Helpers by their stable numbers (include/uapi/linux/bpf.h). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static __u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *src) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size, const void *src) = (void *)114;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;
static void *(*bpf_get_current_task_btf)(void) = (void *)158;
struct bpf_pidns_info {
	__u32 pid;
	__u32 tgid;
};
static long (*bpf_get_ns_current_pid_tgid)(__u64 dev, __u64 ino, struct bpf_pidns_info *nsdata, __u32 size) = (void *)120;

char LICENSE[] SEC("license") = "GPL";

#define PATH_LEN 4096
#define NR_LIMIT 512
/* `pending.nr` of a thread that is in no call of ours. */
#define NO_CALL 0xffffffff
#define EINTR 4

/* What a syscall number means here (set by userspace in `calls`). */
#define CALL_TRACED 1     /* pair its enter and exit */
#define CALL_PATH_ARG0 2  /* open, creat: the path is args[0] */
#define CALL_PATH_ARG1 4  /* openat, openat2: the path is args[1] */
#define CALL_PEEK_ARG2 8  /* sendfile: the offset pointer args[2] */
#define CALL_PEEK_ARG1_3 16 /* copy_file_range, splice: args[1], args[3] */
#define CALL_FDS_ARG0 32  /* pipe, pipe2: the two new fds at args[0] */
#define CALL_FDS_ARG3 64  /* socketpair: the two new fds at args[3] */
#define CALL_COMPAT 128   /* the number of a call we count in the 32-bit ABI: said when made by that ABI */
/* What a few calls need read beyond their arguments, so that the others
 * (a pread) pay nothing for it but the flag test. */
#define CALL_MMAP_FD 256     /* mmap: its fd is the fifth argument */
#define CALL_AT_POS 512      /* read, readv, write, writev; preadv2, pwritev2 at offset -1: the fd's position after it */
#define CALL_INODE_RET 1024  /* socket, accept, accept4: the new fd's inode */
#define CALL_RECV_FDS 2048   /* recvmsg: the fds it received (SCM_RIGHTS), named by their inodes */
#define CALL_APPEND_AT 4096  /* pwrite64, pwritev, pwritev2: an append all the same (O_APPEND, RWF_APPEND)? */
#define CALL_RWF 8192        /* preadv2, pwritev2: their RWF flags (the sixth argument) */
/* The flags that make sys_exit look past the record's common fields. */
#define CALL_EXIT_EXTRAS                                                                                       \
	(CALL_PEEK_ARG2 | CALL_PEEK_ARG1_3 | CALL_FDS_ARG0 | CALL_FDS_ARG3 | CALL_AT_POS | CALL_INODE_RET |    \
	 CALL_RECV_FDS | CALL_APPEND_AT | CALL_RWF)

/* Indices of `CONFIG` (written by userspace before the load). */
#define CFG_FORK_CHILD_PID 0  /* offset of child_pid in sched_process_fork */
#define CFG_EXIT_GROUP_DEAD 1 /* non-zero: sched_process_exit has group_dead */
#define CFG_MARKER_NR 2       /* the marker syscall (fcntl) */
/* 3: unused (the cookie is state[3], so that a kept program takes the next window's) */
#define CFG_WAKEUP_BYTES 4    /* wake the reader once this much is waiting */
#define CFG_REGS_BASE 5       /* where the span of syscall argument registers starts in pt_regs */
#define CFG_ARG0 6            /* 6..9: each argument's offset in that span */
#define CFG_COMPAT_STATUS 10  /* 1 + offset of thread_info.status in task_struct; 0: no 32-bit ABI check */
/* 11: unused (the calls read at their exit are told by their flags) */
#define CFG_ARG4 12           /* offset of the fifth argument (mmap's fd) in pt_regs */
/* 13..18: where an fd's file position is (from the kernel's BTF); 0 in
 * CFG_TASK_FILES: unknown, positions are not read. */
#define CFG_TASK_FILES 13     /* task_struct.files */
#define CFG_FILES_FDT 14      /* files_struct.fdt */
#define CFG_FDT_MAX_FDS 15    /* fdtable.max_fds */
#define CFG_FDT_FD 16         /* fdtable.fd */
#define CFG_FILE_POS 17       /* file.f_pos */
#define CFG_FILE_FLAGS 18     /* file.f_flags */
/* 19, 20: where an open file's inode number is (file.f_inode, inode.i_ino). */
#define CFG_FILE_INODE 19
#define CFG_INODE_INO 20
/* 21..28: a process's I/O accounting and parent (from the kernel's BTF); 0
 * in CFG_TASK_IOAC: unknown, not read. */
#define CFG_TASK_IOAC 21      /* task_struct.ioac */
#define CFG_TASK_SIGNAL 22    /* task_struct.signal */
#define CFG_SIGNAL_IOAC 23    /* signal_struct.ioac */
#define CFG_TASK_LEADER 24    /* task_struct.group_leader */
#define CFG_TASK_PARENT 25    /* task_struct.real_parent */
#define CFG_TASK_TGID 26      /* task_struct.tgid */
#define CFG_IOAC_READ 27      /* task_io_accounting.read_bytes */
#define CFG_IOAC_WRITE 28     /* task_io_accounting.write_bytes */
/* 29: where the sixth argument (preadv2's, pwritev2's RWF flags) is in
 * pt_regs; 30: inode.i_size (see position_after). */
#define CFG_ARG5 29
#define CFG_INODE_SIZE 30
/* 31, 32: iops's PID namespace (the nsfs device, as the kernel's dev_t, and
 * inode of /proc/self/ns/pid) where it is not the initial one, else 0: see
 * "PID namespaces" below. */
#define CFG_PIDNS_DEV 31
#define CFG_PIDNS_INO 32
/* 33..36: where a task's pid in a given namespace is (from the kernel's
 * BTF; 0 in CFG_PID_TASK: unknown): task_struct.thread_pid,
 * task_struct.group_leader, pid.level, pid.numbers. */
#define CFG_PID_TASK 33
#define CFG_PID_LEADER 34
#define CFG_PID_LEVEL 35
#define CFG_PID_NUMBERS 36
#define CFG_LEN 37

/* The same on every architecture this runs on. */
#define MAP_ANONYMOUS 0x20
#define O_APPEND 02000
#define F_SETFL 4
/* `peek[1]` of a data call's record: `peek[0]` is the fd's position after
 * it (POS_READ) or its file's size (SIZE_READ), the low bits its file's
 * f_flags. */
#define POS_READ (1ULL << 63)
#define SIZE_READ (1ULL << 62)
#define RWF_APPEND 0x10

/* Index 0 of `window`: its phase (as iops_core::window::Phase). */
#define WINDOW_WAITING 0
#define WINDOW_OPEN 1
#define WINDOW_CLOSED 2

#define MARKER_FD (-7771)
#define MARKER_BEGIN 1
#define MARKER_END 2

/* Record kinds. */
#define EV_CALL 1  /* a finished call */
#define EV_EXEC 2  /* a process exec'd: its close-on-exec fds are gone */
#define EV_GONE 3  /* a process's last thread exited; args[2] non-zero: its parent is not traced,
		    * args[0], args[1] its read_bytes, write_bytes (as /proc/PID/io) */
#define EV_BEGIN 4 /* the begin marker opened the window */
#define EV_END 5   /* the end marker closed it */
#define EV_COMPAT 6 /* a call we count, made by the 32-bit ABI, in the window: nr its 32-bit number; not counted */
#define EV_FORK 7  /* a traced thread made a task: peek[1] its id; nr, args: the parent's call; peek[0]: *args[0] */
#define EV_STARTED 8 /* the launched command's exec: its own span begins */
#define EV_NAMED 9 /* iops runs in a PID namespace: a thread's ids there (tid, tgid), peek[1] its kernel tid */
#define TS_COMPAT 0x0002

struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

struct pending {
	__u64 start;
	__u64 args[4];
	__u32 nr;
	__u32 counted;
	/* A call that failed with EINTR, held until the thread enters its next
	 * call (the program saw the failure) or dropped if it dies first (a
	 * kill cut the call short: the program never saw it, as under ptrace). */
	__u64 held_end;
	__s64 held_ret;
	__u32 held_nr;
	__u32 held;
	/* Its ids in iops's PID namespace (CFG_PIDNS_INO), which its records
	 * carry; 0 until its first call there (`named`). */
	__u32 ns_tid;
	__u32 ns_tgid;
};

/* One record, 88 bytes; an open's record is followed by its path. Layout
 * mirrored in src/record.rs. */
struct event {
	__u64 start;
	__u64 end;
	__s64 ret;
	__u64 args[4];
	__u64 peek[2];
	__u32 tid;
	__u32 tgid;
	__u32 nr;
	__u8 kind;
	__u8 counted;
	__u16 has_path;
};

struct open_event {
	struct event e;
	char path[PATH_LEN];
};

/* The traced processes: TRACED, or AT_EXEC for a launched command that is
 * still our forked child (its gate read and closes are ours, not its);
 * with APPENDS once it may have an O_APPEND fd (opened one, set one with
 * fcntl, inherited one, or was there before the attach): its pwrites
 * then look whether they appended (`position_after`). */
#define TRACED 1
#define AT_EXEC 2
#define APPENDS 4
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

/* One entry per thread of a traced process, keyed by tid, made when the
 * thread joins (fork, the launched command's exec, userspace for an
 * attached process's threads) and deleted at its exit (or when an exec
 * takes its tid away): its presence is what marks a thread as traced on
 * the syscall path, so each call costs one lookup, and an unrelated
 * process's one lookup that misses. Layout mirrored in src/program.rs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

/* One byte per tid (eight to an element), non-zero for a thread with an
 * entry in `pending`: read before the hash, so that a syscall of any other
 * process costs an array load (inlined by the verifier) instead of a hash
 * lookup that misses. Set after the entry is made, cleared after it is
 * deleted; a stale byte only costs that lookup. Sized by userspace from
 * pid_max and written by it through a mapping (byte stores: no
 * read-modify-write of a neighbour's byte). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} threads SEC(".maps");

/* The byte of `tid`, or 0 for a tid past the array (pid_max raised since
 * the load): the caller then asks the hash. */
INLINE volatile __u8 *thread_byte(__u32 tid)
{
	__u32 key = tid >> 3;
	volatile __u8 *v = bpf_map_lookup_elem(&threads, &key);
	return v ? v + (tid & 7) : 0;
}

/* Thread `tid` may have an entry in `pending`. */
INLINE int maybe_traced(__u32 tid)
{
	volatile __u8 *b = thread_byte(tid);
	return !b || *b;
}

INLINE void mark(__u32 tid, __u8 on)
{
	volatile __u8 *b = thread_byte(tid);
	if (b)
		*b = on;
}

/* Deletes thread `tid`'s entry. */
INLINE void leave(__u32 tid)
{
	bpf_map_delete_elem(&pending, &tid);
	mark(tid, 0);
}

/* Adds thread `tid` to the traced threads (an entry already there, live
 * or not, is kept); a full map loses its calls: counted as lost. */
INLINE void join(__u32 tid);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_LIMIT);
	__type(key, __u32);
	__type(value, __u16);
} calls SEC(".maps");

/* Set by userspace before the load, in .rodata: a frozen read-only map
 * whose values the verifier reads as constants, so the syscall path makes
 * no lookup for them and drops the branches they rule out. */
const volatile __u64 CONFIG[CFG_LEN] = {};

/* [0]: the window's phase; [1]: records the ring buffer had no room for;
 * [2]: non-zero once any traced process has APPENDS (until then no write
 * looks further); [3]: the capture's cookie (> 0xffffffff: no markers),
 * read only at a marker call; [4]: tasks forked by a traced one that the
 * full `tgids` could not take (so never traced); [5]: non-zero while
 * `wanted` holds threads of an attached process not yet found (see "PID
 * namespaces"); [6]: calls not counted, made by traced threads that have
 * no ids in iops's PID namespace (never, but where the kernel's BTF lacks
 * `struct pid`: then those in a namespace nested in it); [7]: 1 + the level
 * of iops's PID namespace, [8]: its address, both learnt from a thread
 * there (0: not yet). */
#define STATE_FINDING 5
#define STATE_UNNAMED 6
#define STATE_NS_LEVEL 7
#define STATE_NS 8
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 9);
	__type(key, __u32);
	__type(value, __u64);
} state SEC(".maps");

/* PID namespaces. Everything above is keyed by the kernel's ids (the
 * initial namespace's), which bpf_get_current_pid_tgid gives; where iops
 * runs in a PID namespace of its own (a container), it knows the traced
 * processes by that namespace's pids, which the kernel's ids never equal.
 * There (CFG_PIDNS_INO non-zero) userspace puts the threads it wants in
 * `wanted`, by their ids in its namespace: the launched command's (found
 * at its exec) or an attached process's threads (each found at its next
 * syscall entry while state[5] is set: a helper call per syscall of every
 * process until all are found, as userspace sees from `wanted` emptying).
 * Each traced thread learns its ids there at its first call (`named`), and
 * every record carries those, so userspace's pids, /proc and the report
 * agree; an EV_NAMED record gives userspace its kernel tid. A thread in a
 * namespace nested in iops's has ids there too, read from its `struct pid`
 * (`nested_ids`); one that has none it can read is not counted, and said
 * (state[6]). Value: the thread's tgid there, and its `tgids` flags << 32. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} wanted SEC(".maps");

/* Sized by userspace (EbpfLoader::set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} events SEC(".maps");

INLINE __u64 cfg(__u32 i)
{
	return i < CFG_LEN ? CONFIG[i] : 0;
}

INLINE __u64 *state_at(__u32 i)
{
	return bpf_map_lookup_elem(&state, &i);
}

INLINE void lost(void)
{
	__u64 *n = state_at(1);
	if (n)
		__sync_fetch_and_add(n, 1);
}

INLINE void join(__u32 tid)
{
	struct pending p = { .nr = NO_CALL };
	long err = bpf_map_update_elem(&pending, &tid, &p, BPF_NOEXIST);
	if (err && err != -EEXIST)
		lost();
	else
		mark(tid, 1);
}

/* iops runs in a PID namespace of its own (see "PID namespaces"): a
 * constant to the verifier, so elsewhere the branches it guards go. */
INLINE int in_pidns(void)
{
	return cfg(CFG_PIDNS_INO) != 0;
}

/* `task`'s id at namespace level `level` (the `struct upid` of its
 * thread_pid there) in `nr`, and that namespace's address (0: it has no id
 * at that level). */
INLINE __u64 upid_at(const char *task, __u32 level, __u32 *nr)
{
	const char *pid = 0;
	__u32 depth = 0;
	__u64 ns = 0;
	if (bpf_probe_read_kernel(&pid, 8, task + cfg(CFG_PID_TASK)) < 0 || !pid ||
	    bpf_probe_read_kernel(&depth, 4, pid + cfg(CFG_PID_LEVEL)) < 0 || level > depth)
		return 0;
	const char *upid = pid + cfg(CFG_PID_NUMBERS) + (__u64)(level & 63) * 16;
	if (bpf_probe_read_kernel(nr, 4, upid) < 0 || bpf_probe_read_kernel(&ns, 8, upid + 8) < 0)
		return 0;
	return ns;
}

/* The current task is in iops's PID namespace: that namespace's level and
 * address are learnt from it, once (for `nested_ids`). */
INLINE void learn_level(void)
{
	__u64 *level = state_at(STATE_NS_LEVEL), *addr = state_at(STATE_NS);
	if (!cfg(CFG_PID_TASK) || !level || *level || !addr)
		return;
	const char *task = (const char *)bpf_get_current_task(), *pid = 0;
	__u32 depth = 0, nr = 0;
	if (bpf_probe_read_kernel(&pid, 8, task + cfg(CFG_PID_TASK)) < 0 || !pid ||
	    bpf_probe_read_kernel(&depth, 4, pid + cfg(CFG_PID_LEVEL)) < 0)
		return;
	__u64 ns = upid_at(task, depth, &nr);
	if (!ns)
		return;
	*addr = ns;
	*level = depth + 1;
}

/* The ids in iops's PID namespace of the current task, whose own namespace
 * is nested in it (bpf_get_ns_current_pid_tgid takes only a task's own):
 * read from its pid's number at that namespace's level; -1 where unknown. */
INLINE int nested_ids(__u32 *tid, __u32 *tgid)
{
	__u64 *level = state_at(STATE_NS_LEVEL), *addr = state_at(STATE_NS);
	if (!cfg(CFG_PID_TASK) || !level || !*level || !addr)
		return -1;
	__u32 at = (__u32)(*level - 1);
	const char *task = (const char *)bpf_get_current_task(), *leader = 0;
	if (upid_at(task, at, tid) != *addr)
		return -1;
	if (bpf_probe_read_kernel(&leader, 8, task + cfg(CFG_PID_LEADER)) < 0 || !leader || upid_at(leader, at, tgid) != *addr)
		return -1;
	return 0;
}

/* The current task's ids in iops's PID namespace; -1 where it has none
 * there (its namespace is not iops's nor nested in it) or they cannot be
 * read. */
INLINE int ns_ids(__u32 *tid, __u32 *tgid)
{
	struct bpf_pidns_info ns = {};
	if (bpf_get_ns_current_pid_tgid(cfg(CFG_PIDNS_DEV), cfg(CFG_PIDNS_INO), &ns, sizeof(ns)) < 0)
		return nested_ids(tid, tgid);
	learn_level();
	*tid = ns.pid;
	*tgid = ns.tgid;
	return 0;
}

/* The ids a record of the current task carries: the kernel's, or in a PID
 * namespace its ids there (0 where it has none). */
INLINE void record_ids(__u32 *tid, __u32 *tgid)
{
	if (in_pidns() && ns_ids(tid, tgid) < 0)
		*tid = *tgid = 0;
}

/* The open file behind `fd` of the current task (its fdtable's entry), or
 * 0; CFG_TASK_FILES 0: where it is is not known (no BTF for it). */
INLINE const char *file_of(__u32 fd)
{
	__u64 files_at = cfg(CFG_TASK_FILES);
	const char *files = 0, *fdt = 0, *file = 0;
	const char **fds = 0;
	__u32 max_fds = 0;
	if (!files_at)
		return 0;
	const char *task = (const char *)bpf_get_current_task();
	if (bpf_probe_read_kernel(&files, 8, task + files_at) < 0 || !files)
		return 0;
	if (bpf_probe_read_kernel(&fdt, 8, files + cfg(CFG_FILES_FDT)) < 0 || !fdt)
		return 0;
	if (bpf_probe_read_kernel(&max_fds, 4, fdt + cfg(CFG_FDT_MAX_FDS)) < 0 || fd >= max_fds)
		return 0;
	if (bpf_probe_read_kernel(&fds, 8, fdt + cfg(CFG_FDT_FD)) < 0 || !fds)
		return 0;
	if (bpf_probe_read_kernel(&file, 8, fds + fd) < 0)
		return 0;
	return file;
}

/* The inode number of the file behind `fd` of the current task, 0 when
 * unknown or past 32 bits (sockets' and pipes' come from get_next_ino(),
 * an unsigned int: two fit in one record field). */
INLINE __u64 inode_of(__u32 fd)
{
	const char *file = file_of(fd), *inode = 0;
	__u64 ino = 0;
	if (!file || bpf_probe_read_kernel(&inode, 8, file + cfg(CFG_FILE_INODE)) < 0 || !inode ||
	    bpf_probe_read_kernel(&ino, 8, inode + cfg(CFG_INODE_INO)) < 0)
		return 0;
	return ino > 0xffffffffULL ? 0 : ino;
}

/* A pipe or socket was made: its inode numbers go in the record, so that
 * userspace names its fds as /proc does ("pipe:[ino]", "socket:[ino]")
 * even when they are closed, or their process gone, before it reads the
 * record. pipe, pipe2, socketpair: peek[1] = fds[0]'s | fds[1]'s << 32;
 * socket, accept, accept4: peek[0] = the new fd's. */
INLINE void made_inodes(struct event *e, __u16 flags, __s64 ret)
{
	if ((flags & (CALL_FDS_ARG0 | CALL_FDS_ARG3)) && ret == 0)
		e->peek[1] = inode_of((__u32)e->peek[0]) | inode_of((__u32)(e->peek[0] >> 32)) << 32;
	else if ((flags & CALL_INODE_RET) && ret >= 0)
		e->peek[0] = inode_of((__u32)ret);
}

/* recvmsg(fd, msg, flags) returned: where its first control message passed
 * fds (SOL_SOCKET, SCM_RIGHTS), peek[0] = the first two (-1: none), peek[1]
 * their inode numbers, so that userspace names fds whose open no record
 * showed by the files the records opened. struct msghdr: msg_control at
 * 32, msg_controllen (the length used, after the call) at 40; struct
 * cmsghdr: len, level, type, then the fds at 16 (LP64 layouts). */
INLINE void received_fds(struct event *e, __u64 msg)
{
	__u64 control = 0, controllen = 0, head[2] = {};
	__s32 fds[2] = { -1, -1 };
	if (!msg || bpf_probe_read_user(&control, 8, (const void *)(msg + 32)) < 0 || !control ||
	    bpf_probe_read_user(&controllen, 8, (const void *)(msg + 40)) < 0 || controllen < 20 ||
	    bpf_probe_read_user(head, 16, (const void *)control) < 0)
		return;
	/* head[1]: cmsg_level (low half), cmsg_type (high half); SOL_SOCKET and SCM_RIGHTS are 1. */
	if (head[1] != (1ULL | 1ULL << 32) || head[0] < 20 || head[0] > controllen)
		return;
	if (bpf_probe_read_user(&fds[0], 4, (const void *)(control + 16)) < 0)
		return;
	if (head[0] >= 24 && bpf_probe_read_user(&fds[1], 4, (const void *)(control + 20)) < 0)
		fds[1] = -1;
	e->peek[0] = (__u32)fds[0] | (__u64)(__u32)fds[1] << 32;
	e->peek[1] = inode_of((__u32)fds[0]) | (fds[1] >= 0 ? inode_of((__u32)fds[1]) << 32 : 0);
}

/* Process `tgid` may have an O_APPEND fd from now on (see APPENDS). */
INLINE void mark_appends(__u32 tgid)
{
	__u8 *v = bpf_map_lookup_elem(&tgids, &tgid);
	__u64 *any = state_at(2);
	if (!v || !any)
		return;
	*v |= APPENDS;
	*any = 1;
}

/* An open (or an fd-making call that passes a path) returned `fd`: one
 * opened O_APPEND marks its process. */
INLINE void opened(__s64 fd, __u32 tgid)
{
	__u32 flags = 0;
	const char *file = file_of((__u32)fd);
	if (file && bpf_probe_read_kernel(&flags, 4, file + cfg(CFG_FILE_FLAGS)) == 0 && (flags & O_APPEND))
		mark_appends(tgid);
}

/* After a data call on a file: where it really was. A call at its fd's
 * position (read, readv, write, writev; preadv2, pwritev2 at offset -1)
 * carries the position now and the file's flags (POS_READ), exact
 * whoever else moved it: the position is the open file description's,
 * which dup, fork, exec and SCM_RIGHTS share between fds and processes.
 * A write at an explicit offset that appended all the same (pwrite(2)
 * BUGS: O_APPEND, or pwritev2's RWF_APPEND) carries the file's size now
 * (SIZE_READ); pwrite64 and pwritev look only in a process that may have
 * an O_APPEND fd. preadv2 and pwritev2 carry their RWF flags in args[2]
 * (vlen is of no use to userspace). Calls at explicit offsets (pread64,
 * ...) read nothing. */
INLINE void position_after(struct event *e, struct pending *p, __u16 call, __s64 ret, __u32 tgid, const void *regs)
{
	__u64 v = 0, rwf = 0;
	__u32 flags = 0;
	if ((call & CALL_RWF) && bpf_probe_read_kernel(&rwf, 8, (const char *)regs + (cfg(CFG_ARG5) & 0x3ff)) == 0)
		e->args[2] = rwf;
	if (ret <= 0)
		return;
	int current = (call & CALL_AT_POS) && (!(call & CALL_RWF) || (__s64)p->args[3] == -1);
	if (!current) {
		if (!(call & CALL_APPEND_AT))
			return;
		if (!(rwf & RWF_APPEND)) {
			/* An array read while no traced process has APPENDS. */
			__u64 *any = state_at(2);
			if (!any || !*any)
				return;
			__u8 *t = bpf_map_lookup_elem(&tgids, &tgid);
			if (!t || !(*t & APPENDS))
				return;
		}
	}
	const char *file = file_of((__u32)p->args[0]);
	if (!file || bpf_probe_read_kernel(&flags, 4, file + cfg(CFG_FILE_FLAGS)) < 0)
		return;
	if (current) {
		if (bpf_probe_read_kernel(&v, 8, file + cfg(CFG_FILE_POS)) < 0)
			return;
		e->peek[0] = v;
		e->peek[1] = POS_READ | flags;
		return;
	}
	if (!(flags & O_APPEND) && !(rwf & RWF_APPEND))
		return;
	const char *inode = 0;
	if (!cfg(CFG_INODE_SIZE) || bpf_probe_read_kernel(&inode, 8, file + cfg(CFG_FILE_INODE)) < 0 || !inode ||
	    bpf_probe_read_kernel(&v, 8, inode + cfg(CFG_INODE_SIZE)) < 0)
		return;
	e->peek[0] = v;
	e->peek[1] = SIZE_READ | flags;
}

/* Let the reader sleep (it polls on a timer) unless the buffer fills up. */
INLINE __u64 wakeup(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg(CFG_WAKEUP_BYTES) ? BPF_RB_FORCE_WAKEUP
										  : BPF_RB_NO_WAKEUP;
}

/* A record of `kind` that is no finished call (its fields zeroed, stamped
 * now), reserved in the ring; NULL, counted as lost, where it is full. */
INLINE struct event *reserve_notice(__u8 kind, __u32 nr, __u32 tid, __u32 tgid)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
	if (!e) {
		lost();
		return 0;
	}
	__u64 now = bpf_ktime_get_ns();
	e->start = now;
	e->end = now;
	e->ret = 0;
	e->args[0] = e->args[1] = e->args[2] = e->args[3] = 0;
	e->peek[0] = e->peek[1] = 0;
	e->tid = tid;
	e->tgid = tgid;
	e->nr = nr;
	e->kind = kind;
	e->counted = 0;
	e->has_path = 0;
	return e;
}

INLINE void notice(__u8 kind, __u32 tid, __u32 tgid)
{
	struct event *e = reserve_notice(kind, 0, tid, tgid);
	/* Always woken: the reader acts on these at once. */
	if (e)
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/* The current call came in by the 32-bit ABI: the thread's status has
 * TS_COMPAT (`status_at`: 1 + its offset in task_struct). */
INLINE int compat_call(__u64 status_at, int typed)
{
	__u32 status = 0;
	if (typed) {
		/* A load from the task the verifier knows: no helper call. */
		status = *(const __u32 *)((const char *)bpf_get_current_task_btf() + ((status_at - 1) & 0xff));
	} else {
		const char *task = (const char *)bpf_get_current_task();
		bpf_probe_read_kernel(&status, 4, task + ((status_at - 1) & 0xff));
	}
	return status & TS_COMPAT;
}

/* An EV_COMPAT record of 32-bit call `nr`. */
INLINE void notice_compat(__u32 nr, __u32 tid, __u32 tgid)
{
	struct event *e = reserve_notice(EV_COMPAT, nr, tid, tgid);
	if (e)
		bpf_ringbuf_submit(e, wakeup());
}

INLINE void on_marker(__u64 args[4], __u32 tid, __u32 tgid)
{
	__u64 *c = state_at(3);
	__u64 cookie = c ? *c : ~0ULL;
	if (cookie > 0xffffffffULL || (__s32)args[0] != MARKER_FD || (__u32)args[1] != (__u32)cookie)
		return;
	__u64 *phase = state_at(0);
	if (!phase)
		return;
	if (args[2] == MARKER_BEGIN && *phase == WINDOW_WAITING) {
		*phase = WINDOW_OPEN;
		notice(EV_BEGIN, tid, tgid);
	} else if (args[2] == MARKER_END && *phase == WINDOW_OPEN) {
		*phase = WINDOW_CLOSED;
		notice(EV_END, tid, tgid);
	}
}

INLINE void emit_held(struct pending *slot, __u32 tid, __u32 tgid)
{
	slot->held = 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
	if (!e) {
		lost();
		return;
	}
	e->start = slot->start;
	e->end = slot->held_end;
	e->ret = slot->held_ret;
	e->args[0] = slot->args[0];
	e->args[1] = slot->args[1];
	e->args[2] = slot->args[2];
	e->args[3] = slot->args[3];
	e->peek[0] = e->peek[1] = 0;
	e->tid = tid;
	e->tgid = tgid;
	e->nr = slot->held_nr;
	e->kind = EV_CALL;
	e->counted = slot->counted;
	e->has_path = 0;
	bpf_ringbuf_submit(e, wakeup());
}

/* `ns_tid` of a thread that has no ids in iops's PID namespace. */
#define NO_NS_ID 0xffffffff

/* A traced thread's first call in iops's PID namespace: its ids there go
 * in its entry, for its records, and to userspace with its kernel tid
 * (EV_NAMED); where it has none there, NO_NS_ID (its calls are then
 * counted in state[6] only). */
INLINE void named(struct pending *slot, __u32 tid)
{
	__u32 ntid = 0, ntgid = 0;
	if (ns_ids(&ntid, &ntgid) < 0) {
		slot->ns_tid = slot->ns_tgid = NO_NS_ID;
		return;
	}
	slot->ns_tid = ntid;
	slot->ns_tgid = ntgid;
	struct event *e = reserve_notice(EV_NAMED, 0, ntid, ntgid);
	if (e) {
		e->peek[1] = tid;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
}

/* In a PID namespace, userspace wants process `ntgid` (its id there) of
 * the current task, whose kernel tgid is `tgid`: it joins the traced set
 * with the flags `want` holds. */
INLINE int take_process(__u32 tgid, __u64 want)
{
	__u8 flags = (__u8)(want >> 32);
	__u8 *v = bpf_map_lookup_elem(&tgids, &tgid);
	if (v)
		*v |= flags;
	else if (bpf_map_update_elem(&tgids, &tgid, &flags, BPF_NOEXIST) && !bpf_map_lookup_elem(&tgids, &tgid))
		return -1;
	if (flags & APPENDS) {
		__u64 *any = state_at(2);
		if (any)
			*any = 1;
	}
	return 0;
}

/* In a PID namespace, while threads of an attached process are wanted
 * (state[5]): the current thread, untraced, is one of them? Then it joins
 * (its process too), named, and its entry is returned; else 0. */
INLINE struct pending *found(__u32 tid, __u32 tgid)
{
	__u64 *finding = state_at(STATE_FINDING);
	if (!finding || !*finding)
		return 0;
	__u32 ntid = 0, ntgid = 0;
	if (ns_ids(&ntid, &ntgid) < 0)
		return 0;
	__u64 *w = bpf_map_lookup_elem(&wanted, &ntid);
	if (!w || (__u32)*w != ntgid || ((*w >> 32) & AT_EXEC))
		return 0;
	if (take_process(tgid, *w) < 0)
		return 0;
	bpf_map_delete_elem(&wanted, &ntid);
	join(tid);
	struct pending *slot = bpf_map_lookup_elem(&pending, &tid);
	if (slot)
		named(slot, tid);
	return slot;
}

/* The saved user register at byte `at` of the pt_regs the tracepoint
 * gives: read in place where the program is typed (tp_btf: the verifier
 * knows `regs` for a struct pt_regs, so this is a plain load), else with
 * bpf_probe_read_kernel (raw_tp: `regs` is a number to it). `at` is a
 * constant to the verifier (CONFIG). */
INLINE int reg_at(const void *regs, __u64 at, __u64 *v, const int typed)
{
	if (typed) {
		*v = *(const __u64 *)((const char *)regs + at);
		return 0;
	}
	return bpf_probe_read_kernel(v, 8, (const char *)regs + at) < 0 ? -1 : 0;
}

/* The first four syscall arguments, each at its offset in pt_regs (the
 * architecture's syscall ABI, from userspace): typed, four loads; raw,
 * one read of REGS_SPAN bytes from CFG_REGS_BASE, then each argument at
 * its offset in that span. */
#define REGS_SPAN 64
INLINE int read_args(const void *regs, __u64 args[4], const int typed)
{
	__u64 base = cfg(CFG_REGS_BASE) & 0x3ff;
	if (typed) {
		for (int i = 0; i < 4; i++)
			reg_at(regs, base + ((cfg(CFG_ARG0 + i) / 8) & (REGS_SPAN / 8 - 1)) * 8, &args[i], 1);
		return 0;
	}
	__u64 span[REGS_SPAN / 8];
	if (bpf_probe_read_kernel(span, REGS_SPAN, (const char *)regs + base) < 0)
		return -1;
	for (int i = 0; i < 4; i++)
		args[i] = span[(cfg(CFG_ARG0 + i) / 8) & (REGS_SPAN / 8 - 1)];
	return 0;
}

/* mmap(addr, length, prot, flags, fd, offset) keeps [fd, length, prot,
 * flags], as the ptrace source does (iops-linux's `kept_args`): its fd is
 * the fifth argument, read apart (mmap is rare). An anonymous mapping
 * (malloc's) is not a file's: -1, no record, as it makes ptrace no stop. */
INLINE int mmap_args(const void *regs, __u64 args[4], const int typed)
{
	__u64 fd = 0;
	if (args[3] & MAP_ANONYMOUS)
		return -1;
	if (reg_at(regs, cfg(CFG_ARG4) & 0x3ff, &fd, typed) < 0 || (__s32)fd < 0)
		return -1;
	args[0] = fd; /* length, prot and flags are already args[1..3] */
	return 0;
}

/* A thread entering a call. `ctx`: the tracepoint's arguments (pt_regs,
 * the syscall's number); `typed`: a tp_btf program's (see reg_at). */
INLINE int on_enter(__u64 *ctx, const int typed)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct pending *slot = 0;
	if (maybe_traced(tid))
		slot = bpf_map_lookup_elem(&pending, &tid);
	if (!slot) {
		if (!in_pidns())
			return 0; /* not a thread of a traced process */
		slot = found(tid, tgid);
		if (!slot)
			return 0;
	}
	/* The ids its records carry (`tid`, `tgid` key the maps). */
	__u32 rtid = tid, rtgid = tgid;
	int unnamed = 0;
	if (in_pidns()) {
		if (!slot->ns_tid)
			named(slot, tid);
		unnamed = slot->ns_tid == NO_NS_ID;
		rtid = unnamed ? 0 : slot->ns_tid;
		rtgid = unnamed ? 0 : slot->ns_tgid;
	}
	/* Any call, counted or not, shows the program went on past a failure. */
	if (slot->held)
		emit_held(slot, rtid, rtgid);
	__s64 nr = ctx[1];
	if (nr < 0 || nr >= NR_LIMIT)
		return 0;
	__u64 args[4] = {}; /* else clang may spill it unset on a path the verifier refuses */
	int have_args = 0;
	if ((__u64)nr == cfg(CFG_MARKER_NR)) {
		if (read_args((const void *)ctx[0], args, typed) < 0)
			return 0;
		on_marker(args, rtid, rtgid);
		if (args[1] == F_SETFL && (args[2] & O_APPEND))
			mark_appends(tgid);
		/* fcntl's fd copies and close-on-exec changes are followed
		 * (F_DUPFD, F_SETFD, F_DUPFD_CLOEXEC); its other commands not. */
		if (args[1] != 0 && args[1] != 2 && args[1] != 1030)
			return 0;
		have_args = 1;
	}
	__u32 key = nr;
	__u16 *flags = bpf_map_lookup_elem(&calls, &key);
	if (!flags || !*flags)
		return 0;
	__u64 status_at = cfg(CFG_COMPAT_STATUS);
	if (status_at && compat_call(status_at, typed)) {
		/* x86-64: a 32-bit program's calls (and a 64-bit one's int 0x80)
		 * come through the same tracepoint with i386 numbers: none is
		 * decoded by our table; those we count there are said apart. */
		if (*flags & CALL_COMPAT) {
			__u64 *phase = state_at(0);
			if (phase && *phase == WINDOW_OPEN)
				notice_compat(key, rtid, rtgid);
		}
		return 0;
	}
	if (!(*flags & CALL_TRACED))
		return 0;
	if (unnamed) {
		/* Not counted: userspace could not tell whose call it was. */
		__u64 *phase = state_at(0), *n = state_at(STATE_UNNAMED);
		if (phase && *phase == WINDOW_OPEN && n)
			__sync_fetch_and_add(n, 1);
		return 0;
	}
	if (!have_args && read_args((const void *)ctx[0], args, typed) < 0)
		return 0;
	if ((*flags & CALL_MMAP_FD) && mmap_args((const void *)ctx[0], args, typed) < 0)
		return 0;
	__u64 *phase = state_at(0);
	__u32 counted = phase && *phase == WINDOW_OPEN;
	/* A thread's entry is reused from call to call, written in place: no
	 * bucket lock nor element allocation per call. */
	slot->start = bpf_ktime_get_ns();
	slot->args[0] = args[0];
	slot->args[1] = args[1];
	slot->args[2] = args[2];
	slot->args[3] = args[3];
	slot->counted = counted;
	slot->nr = key; /* last: marks the entry live */
	return 0;
}

/* tp_btf: the arguments typed (the saved registers read in place), and
 * like raw_tp, no perf record built for each syscall of every process, as
 * the classic tracepoint does before any filter runs. Loaded against the
 * kernel's `btf_trace_sys_enter` (userspace finds its id); where that
 * fails, the raw_tp programs below run instead. */
SEC("tp_btf/sys_enter")
int sys_enter_typed(__u64 *ctx)
{
	return on_enter(ctx, 1);
}

SEC("raw_tp/sys_enter")
int sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return on_enter(ctx->args, 0);
}

INLINE void fill(struct event *e, struct pending *p, __s64 ret, __u32 tid, __u32 tgid, __u8 has_path)
{
	e->start = p->start;
	e->end = bpf_ktime_get_ns();
	e->ret = ret;
	e->args[0] = p->args[0];
	e->args[1] = p->args[1];
	e->args[2] = p->args[2];
	e->args[3] = p->args[3];
	e->peek[0] = e->peek[1] = 0;
	e->tid = in_pidns() ? p->ns_tid : tid;
	e->tgid = in_pidns() ? p->ns_tgid : tgid;
	e->nr = p->nr;
	e->kind = EV_CALL;
	e->counted = p->counted;
	e->has_path = has_path;
}

/* What a few calls' records carry beyond the common fields (the
 * CALL_EXIT_EXTRAS flags; a pread has none of them). */
INLINE void exit_extras(struct event *e, struct pending *p, __u16 flags, __s64 ret, __u32 tgid, const void *regs)
{
	/* The offsets the call advanced, as they are now. */
	if ((flags & CALL_FDS_ARG0) && ret == 0 && p->args[0])
		bpf_probe_read_user(&e->peek[0], 8, (const void *)p->args[0]);
	if ((flags & CALL_FDS_ARG3) && ret == 0 && p->args[3])
		bpf_probe_read_user(&e->peek[0], 8, (const void *)p->args[3]);
	if ((flags & CALL_PEEK_ARG2) && ret > 0 && p->args[2])
		bpf_probe_read_user(&e->peek[0], 8, (const void *)p->args[2]);
	if ((flags & CALL_PEEK_ARG1_3) && ret > 0) {
		if (p->args[1])
			bpf_probe_read_user(&e->peek[0], 8, (const void *)p->args[1]);
		if (p->args[3])
			bpf_probe_read_user(&e->peek[1], 8, (const void *)p->args[3]);
	}
	if (flags & (CALL_AT_POS | CALL_APPEND_AT | CALL_RWF))
		position_after(e, p, flags, ret, tgid, regs);
	made_inodes(e, flags, ret);
	if ((flags & CALL_RECV_FDS) && ret >= 0)
		received_fds(e, p->args[1]);
}

/* A thread leaving a call: `ctx` the tracepoint's arguments (pt_regs, the
 * call's result). */
INLINE int on_exit_call(__u64 *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!maybe_traced(tid))
		return 0;
	/* Paired by the number seen at entry: rt_sigreturn exits with id -1. */
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p || p->nr == NO_CALL)
		return 0;
	__u32 key = p->nr;
	__u16 *fp = bpf_map_lookup_elem(&calls, &key);
	__u16 flags = fp ? *fp : 0;
	__s64 ret = ctx[1];
	if (ret == -EINTR) {
		p->held_end = bpf_ktime_get_ns();
		p->held_ret = ret;
		p->held_nr = p->nr;
		p->held = 1;
		p->nr = NO_CALL;
		return 0;
	}
	if ((flags & (CALL_PATH_ARG0 | CALL_PATH_ARG1)) && ret >= 0) {
		/* The path is still where the caller put it: the call just read it. */
		struct open_event *o = bpf_ringbuf_reserve(&events, sizeof(struct open_event), 0);
		if (!o) {
			lost();
		} else {
			fill(&o->e, p, ret, tid, tgid, 1);
			const void *path = (const void *)(flags & CALL_PATH_ARG0 ? p->args[0] : p->args[1]);
			if (bpf_probe_read_user_str(o->path, PATH_LEN, path) < 0)
				o->path[0] = 0;
			/* Its file's inode number: an O_TMPFILE's name, and the name
			 * of an fd received later for the same file. */
			o->e.peek[0] = inode_of((__u32)ret);
			bpf_ringbuf_submit(o, wakeup());
		}
		opened(ret, tgid);
	} else {
		struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
		if (!e) {
			lost();
		} else {
			fill(e, p, ret, tid, tgid, 0);
			if (flags & CALL_EXIT_EXTRAS)
				exit_extras(e, p, flags, ret, tgid, (const void *)ctx[0]);
			bpf_ringbuf_submit(e, wakeup());
		}
	}
	p->nr = NO_CALL; /* consumed; the entry stays for the thread's next call */
	return 0;
}

/* Raw only: the exit reads no registers (its result is the tracepoint's
 * own argument), so a typed program would gain nothing. */
SEC("raw_tp/sys_exit")
int sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exit_call(ctx->args);
}

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *parent = bpf_map_lookup_elem(&tgids, &tgid);
	if (!parent && in_pidns()) {
		/* A wanted process whose threads are not found yet forks (from a
		 * thread left out, a host's): it is found by its leader's entry,
		 * so that the child is not missed. */
		__u64 *finding = state_at(STATE_FINDING);
		__u32 ntid = 0, ntgid = 0;
		if (finding && *finding && ns_ids(&ntid, &ntgid) == 0) {
			__u64 *w = bpf_map_lookup_elem(&wanted, &ntgid);
			if (w && (__u32)*w == ntgid && !((*w >> 32) & AT_EXEC) && take_process(tgid, *w) == 0)
				parent = bpf_map_lookup_elem(&tgids, &tgid);
		}
	}
	if (!parent || !(*parent & TRACED))
		return 0;
	__s32 child = 0;
	__u64 off = cfg(CFG_FORK_CHILD_PID);
	if (!off || bpf_probe_read_kernel(&child, 4, (char *)ctx + (off & 0xff)) < 0 || child <= 0)
		return 0;
	/* A new thread's tid lands here too: harmless, never a tgid while it
	 * lives, and deleted at its exit. */
	__u32 key = child;
	__u8 traced = TRACED | (*parent & APPENDS); /* its fds are the parent's */
	/* A full set takes no more: the child is not traced, so it must not be
	 * joined either; counted here, where it is known for certain (userspace
	 * says how many: `traced-set-full`). */
	if (bpf_map_update_elem(&tgids, &key, &traced, BPF_ANY) == 0) {
		join(key);
	} else {
		__u64 *missed = state_at(4);
		if (missed)
			__sync_fetch_and_add(missed, 1);
	}
	/* Before the child first runs: userspace copies the parent's known fds
	 * to it before any record of the child's. The parent's call (clone,
	 * clone3, fork, vfork, all traced for this) tells whether the child
	 * shares the parent's fd table; clone3's flags are behind args[0]. */
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *slot = bpf_map_lookup_elem(&pending, &tid);
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
	if (!e) {
		lost();
		return 0;
	}
	__u64 now = bpf_ktime_get_ns();
	e->start = now;
	e->end = now;
	e->ret = 0;
	e->peek[0] = 0;
	e->peek[1] = (__u32)child;
	if (slot && slot->nr != NO_CALL) {
		e->nr = slot->nr;
		e->args[0] = slot->args[0];
		e->args[1] = slot->args[1];
		e->args[2] = slot->args[2];
		e->args[3] = slot->args[3];
		if (bpf_probe_read_user(&e->peek[0], 8, (const void *)slot->args[0]) < 0)
			e->peek[0] = 0;
	} else {
		e->nr = NO_CALL;
		e->args[0] = e->args[1] = e->args[2] = e->args[3] = 0;
	}
	__u32 rtid = tid, rtgid = tgid;
	if (in_pidns()) {
		if (slot && slot->ns_tid && slot->ns_tid != NO_NS_ID) {
			rtid = slot->ns_tid;
			rtgid = slot->ns_tgid;
		} else {
			record_ids(&rtid, &rtgid);
		}
	}
	e->tid = rtid;
	e->tgid = rtgid;
	e->kind = EV_FORK;
	e->counted = 0;
	e->has_path = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Its arguments: the task, the tid the exec'ing thread had before (a
 * thread other than the leader takes the leader's tid), the binprm. */
SEC("raw_tp/sched_process_exec")
int on_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	__u8 *v = bpf_map_lookup_elem(&tgids, &tgid);
	__u32 rtid = tid, rtgid = tgid;
	if (in_pidns()) {
		if (ns_ids(&rtid, &rtgid) < 0) {
			rtid = rtgid = 0;
		} else if (!v) {
			/* The launched command, wanted by its pid here, at its exec. */
			__u64 *w = bpf_map_lookup_elem(&wanted, &rtgid);
			if (w && (__u32)*w == rtgid && ((*w >> 32) & AT_EXEC) && take_process(tgid, *w) == 0) {
				bpf_map_delete_elem(&wanted, &rtgid);
				v = bpf_map_lookup_elem(&tgids, &tgid);
			}
		}
	}
	if (!v)
		return 0;
	__u32 old = (__u32)ctx->args[1];
	if (old != tid)
		leave(old);
	if (*v & AT_EXEC) {
		/* The launched command begins: count and time from here (its fork
		 * from iops, and the unmapping of iops's memory at this exec, are
		 * ours, not its). */
		*v = TRACED | (*v & APPENDS);
		join(tid);
		notice(EV_STARTED, rtid, rtgid);
		return 0;
	}
	join(tid);
	notice(EV_EXEC, rtid, rtgid);
	return 0;
}

/* Adds the read_bytes and write_bytes of the task_io_accounting at `ioac`. */
INLINE void add_ioac(const char *ioac, __u64 io[2])
{
	__u64 v = 0;
	if (bpf_probe_read_kernel(&v, 8, ioac + cfg(CFG_IOAC_READ)) == 0)
		io[0] += v;
	v = 0;
	if (bpf_probe_read_kernel(&v, 8, ioac + cfg(CFG_IOAC_WRITE)) == 0)
		io[1] += v;
}

/* The current process's last thread exits: EV_GONE. Where its parent is not
 * traced (it outlived the one that made it), no traced process will reap
 * it into the root's counters: the record carries its whole /proc/PID/io
 * read_bytes and write_bytes, as the kernel sums them (the ended threads'
 * and reaped children's in signal->ioac, and the live ones': this thread
 * and a leader that exited first, whose own are folded in only at reaping). */
INLINE void gone(__u32 tid, __u32 tgid)
{
	__u64 io[2] = {}, orphan = 0;
	if (cfg(CFG_TASK_IOAC)) {
		const char *task = (const char *)bpf_get_current_task(), *parent = 0, *signal = 0, *leader = 0;
		__u32 ptgid = 0;
		if (bpf_probe_read_kernel(&parent, 8, task + cfg(CFG_TASK_PARENT)) == 0 && parent &&
		    bpf_probe_read_kernel(&ptgid, 4, parent + cfg(CFG_TASK_TGID)) == 0 &&
		    !bpf_map_lookup_elem(&tgids, &ptgid)) {
			orphan = 1;
			add_ioac(task + cfg(CFG_TASK_IOAC), io);
			if (bpf_probe_read_kernel(&signal, 8, task + cfg(CFG_TASK_SIGNAL)) == 0 && signal)
				add_ioac(signal + cfg(CFG_SIGNAL_IOAC), io);
			if (bpf_probe_read_kernel(&leader, 8, task + cfg(CFG_TASK_LEADER)) == 0 && leader && leader != task)
				add_ioac(leader + cfg(CFG_TASK_IOAC), io);
		}
	}
	__u32 rtid = tid, rtgid = tgid;
	record_ids(&rtid, &rtgid);
	struct event *e = reserve_notice(EV_GONE, 0, rtid, rtgid);
	if (!e)
		return;
	e->args[0] = io[0];
	e->args[1] = io[1];
	e->args[2] = orphan;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

SEC("raw_tp/sched_process_exit")
int on_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	/* Its entry goes whatever became of its process's: a tid left behind
	 * would trace whichever thread gets the number next. */
	if (bpf_map_lookup_elem(&pending, &tid))
		leave(tid);
	if (!bpf_map_lookup_elem(&tgids, &tgid))
		return 0;
	if (tid != tgid)
		bpf_map_delete_elem(&tgids, &tid);
	/* Its second argument where the kernel has it (6.16 on), else the
	 * leader's exit stands for the group's. */
	__u8 group_dead = cfg(CFG_EXIT_GROUP_DEAD) ? (__u8)ctx->args[1] : tid == tgid;
	if (group_dead) {
		bpf_map_delete_elem(&tgids, &tgid);
		gone(tid, tgid);
	}
	return 0;
}
