/*
 * loop <file> <calls> [read]: <calls> x 4 KiB pread64 of a page-cached file
 * (with `read`: read() at the fd's position, back to 0 by an lseek every
 * 256 reads: the calls whose position the eBPF source reads in the kernel),
 * 30 times; prints the least thread CPU time per call in ns (user +
 * kernel, probes included; the least of 30 is the one least disturbed by
 * the other work of a shared machine).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s file calls [read]\n", argv[0]); return 2; }
  int by_read = argc > 3 && argv[3][0] == 'r';
  int fd = open(argv[1], O_RDONLY);
  long calls = atol(argv[2]);
  static char buf[4096];
  if (fd < 0 || calls <= 0) return 2;
  long long best = -1;
  for (int r = 0; r < 30; r++) {
    long long start = cpu_ns();
    for (long i = 0; i < calls; i++)
      if (by_read) {
        if (i % 256 == 0 && lseek(fd, 0, SEEK_SET) != 0) return 1;
        if (read(fd, buf, sizeof buf) != sizeof buf) return 1;
      } else if (pread(fd, buf, sizeof buf, (i % 256) * 4096) != sizeof buf) return 1;
    long long t = cpu_ns() - start;
    if (best < 0 || t < best) best = t;
  }
  printf("%.0f\n", (double)best / calls);
  return 0;
}
