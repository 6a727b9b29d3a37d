/* closeloop <calls>: <calls> x close(-1) (EBADF: a traced call whose number, 3, is also i386 read's, so the eBPF source checks its ABI), 30 times; prints the least thread CPU ns per call. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static long long cpu_ns(void) { struct timespec ts; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return ts.tv_sec * 1000000000LL + ts.tv_nsec; }
int main(int argc, char **argv) {
  long calls = atol(argv[1]); long long best = -1;
  for (int r = 0; r < 30; r++) { long long s = cpu_ns(); for (long i = 0; i < calls; i++) close(-1); long long t = cpu_ns() - s; if (best < 0 || t < best) best = t; }
  printf("%.0f\n", (double)best / calls); return 0;
}
