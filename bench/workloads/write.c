/*
 * <calls> × 512 B write() appending to a new file: the data only goes to
 * the page cache (run.mjs deletes the file right after, before writeback).
 */
#include "common.h"

#define SIZE 512

int main(int argc, char **argv) {
  struct args a = parse_args(argc, argv);
  static char buf[SIZE];
  memset(buf, 'x', sizeof buf);
  int fd = open(a.data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(a.data);
  wait_for_go(&a);

  long long start = now_ns(), cpu_start = cpu_ns();
  for (long i = 0; i < a.calls; i++) {
    if (write(fd, buf, SIZE) != SIZE) die("write");
  }
  long long loop_ns = now_ns() - start, loop_cpu_ns = cpu_ns() - cpu_start;

  close(fd);
  store_result(&a, loop_ns, loop_cpu_ns);
  finish(&a);
  return 0;
}
