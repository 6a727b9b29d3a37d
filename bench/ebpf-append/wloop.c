/*
 * wloop <file> <calls> plain|append: <calls> x 64-byte write() to <file>
 * (opened O_WRONLY|O_CREAT, with O_APPEND for "append"), 30 times, the file
 * emptied before each (untimed); prints the least thread CPU time per call
 * in ns (user + kernel, probes included).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s file calls plain|append\n", argv[0]); return 2; }
  int append = !strcmp(argv[3], "append");
  int fd = open(argv[1], O_WRONLY | O_CREAT | (append ? O_APPEND : 0), 0644);
  long calls = atol(argv[2]);
  static char buf[64];
  if (fd < 0 || calls <= 0) return 2;
  long long best = -1;
  for (int r = 0; r < 30; r++) {
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) return 1;
    long long start = cpu_ns();
    for (long i = 0; i < calls; i++)
      if (write(fd, buf, sizeof buf) != sizeof buf) return 1;
    long long t = cpu_ns() - start;
    if (best < 0 || t < best) best = t;
  }
  printf("%.0f\n", (double)best / calls);
  return 0;
}
