/*
 * Shared by the benchmark workloads (see ../run.mjs).
 *
 * Usage:  <workload> <data file> <calls> <result file> [attach]
 *
 * Each workload times its own loop with CLOCK_MONOTONIC, so that process
 * start-up and tracer set-up stay out of the figures, and with its thread's
 * CPU clock (what the loop cost its own thread, user and kernel, the
 * probes of an eBPF tracer included: a figure that time spent waiting for
 * a CPU on a loaded machine leaves out). The loop time is
 * stored into <result file> (64 zero bytes made by run.mjs) through a shared
 * mapping rather than with write(): reporting it must not add a read or
 * write call to what the tracer counts, or the exactness check would see
 * N + 1 operations.
 *
 * With "attach", the workload waits for a byte on stdin before its loop
 * (so the tracer can attach first), says "done" on stdout after it, and
 * stays alive until stdin closes (so the tracer can detach from a live
 * process). stdin and stdout are pipes then: not counted as file I/O.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RESULT_SIZE 64

struct args {
  const char *data;
  long calls;
  const char *result;
  int attach;
};

static void die(const char *what) {
  perror(what);
  exit(1);
}

static struct args parse_args(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <data file> <calls> <result file> [attach]\n", argv[0]);
    exit(2);
  }
  struct args a = {argv[1], atol(argv[2]), argv[3], argc > 4 && strcmp(argv[4], "attach") == 0};
  return a;
}

static long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* CPU time of the calling thread (user + kernel). */
static long long cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

/* Attach mode: block until run.mjs says go (any byte, or EOF). */
static void wait_for_go(const struct args *a) {
  char c;
  if (a->attach && read(0, &c, 1) < 0) die("read stdin");
}

static void store_result(const struct args *a, long long loop_ns, long long loop_cpu_ns) {
  int fd = open(a->result, O_RDWR);
  if (fd < 0) die(a->result);
  char *map = mmap(NULL, RESULT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("mmap result");
  snprintf(map, RESULT_SIZE, "loop_ns=%lld cpu_ns=%lld\n", loop_ns, loop_cpu_ns);
  munmap(map, RESULT_SIZE);
  close(fd);
}

/* Attach mode: tell run.mjs the loop is over, then live until stdin closes. */
static void finish(const struct args *a) {
  if (!a->attach) return;
  char c;
  if (write(1, "done\n", 5) != 5) die("write stdout");
  while (read(0, &c, 1) > 0) {
  }
}
