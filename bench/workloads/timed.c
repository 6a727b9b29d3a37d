/*
 * timed <result file> <command> [args...]: runs the command untraced and
 * stores its elapsed time, from before fork to after its end is reaped
 * (CLOCK_MONOTONIC), as "elapsed_ns=<n>" into <result file> (64 zero
 * bytes), followed by " cpu_ns=<n>": the command's CPU time (user + system,
 * its children's included, as wait4 reports it). That is the span the tracer's elapsedSeconds covers under
 * `iops --`, so the two compare like for like. Exits with the command's
 * status (126 when it could not run).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <result file> <command> [args...]\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) {
    perror(argv[1]);
    return 2;
  }
  char *map = mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  long long start = now_ns();
  pid_t pid = fork();
  if (pid == 0) {
    close(fd);
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(126);
  }
  int status;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
    perror("fork/wait");
    return 2;
  }
  long long elapsed = now_ns() - start;
  long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  snprintf(map, 64, "elapsed_ns=%lld cpu_ns=%lld\n", elapsed, cpu);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
