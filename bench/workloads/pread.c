/*
 * <calls> × 4 KiB pread64 from a page-cached file, at offsets
 * (i % 256) * 4096: a 1 MiB window that stays in the page cache.
 */
#include "common.h"

#define BLOCK 4096
#define BLOCKS 256

int main(int argc, char **argv) {
  struct args a = parse_args(argc, argv);
  static char buf[BLOCK] __attribute__((aligned(BLOCK)));
  int fd = open(a.data, O_RDONLY);
  if (fd < 0) die(a.data);
  wait_for_go(&a);

  long long start = now_ns(), cpu_start = cpu_ns();
  for (long i = 0; i < a.calls; i++) {
    if (pread(fd, buf, BLOCK, (off_t)(i % BLOCKS) * BLOCK) != BLOCK) die("pread");
  }
  long long loop_ns = now_ns() - start, loop_cpu_ns = cpu_ns() - cpu_start;

  close(fd);
  store_result(&a, loop_ns, loop_cpu_ns);
  finish(&a);
  return 0;
}
