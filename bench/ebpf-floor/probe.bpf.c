// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of a syscall-tracepoint source, one cost at a time: a
 * sys_enter raw tracepoint program that does more with each LEVEL, for
 * the calls of the one traced process (bench/ebpf-floor.sh).
 *   0: run for every syscall, read the pid (the tracepoint and program run)
 *   1: + a hash-map lookup of the tgid (the traced-process filter)
 *   3: + bpf_ktime_get_ns (a call's timestamp)
 *   4: + a 64-byte bpf_probe_read_kernel of pt_regs (the call's arguments)
 *   5: + a 96-byte ring-buffer record (reserve, fill, submit without wake-up)
 */
typedef unsigned int __u32;
typedef unsigned long long __u64;
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)113;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, 1); __uint(max_entries, 65536); __type(key, __u32); __type(value, __u64); } tg SEC(".maps");
struct { __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } sink SEC(".maps");
struct { __uint(type, 27); __uint(max_entries, 1 << 26); } rb SEC(".maps");
struct bpf_raw_tracepoint_args { __u64 args[0]; };

SEC("raw_tp/sys_enter")
int enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
#if LEVEL >= 1
	if (!bpf_map_lookup_elem(&tg, &tgid))
		return 0;
#endif
	__u64 now = 0, span[8] = {};
#if LEVEL >= 3
	now = bpf_ktime_get_ns();
#endif
#if LEVEL >= 4
	bpf_probe_read_kernel(span, 64, (void *)ctx->args[0]);
#endif
#if LEVEL >= 5
	__u64 *e = bpf_ringbuf_reserve(&rb, 88, 0);
	if (!e)
		return 0;
	for (int i = 0; i < 8; i++)
		e[i] = span[i];
	e[8] = now;
	e[9] = e[10] = 0;
	bpf_ringbuf_submit(e, 1 /* BPF_RB_NO_WAKEUP */);
#else
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&sink, &k);
	if (c)
		*c += span[1] + now + tgid;
#endif
	return 0;
}
