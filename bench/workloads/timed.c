/*
 * timed <result file> <command> [args...]: runs the command untraced and
 * stores its elapsed time, from before fork to after its end is reaped
 * (CLOCK_MONOTONIC), as "elapsed_ns=<n>" into <result file> (64 zero
 * bytes). That is the span the tracer's elapsedSeconds covers under
 * `iops --`, so the two compare like for like. Also " cpu_ns=<n>": the
 * CPU time (user + system) of the command and the children it reaped, and
 * " wait_ns=<n>": the command's main thread's run-queue wait (schedstat,
 * read before it is reaped; 0 where the kernel keeps none). Exits with the command's
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
  siginfo_t info;
  if (pid < 0 || waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0) {
    perror("fork/wait");
    return 2;
  }
  long long run = 0, wait = 0;
  char path[64], text[128] = {0};
  snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
  int s = open(path, O_RDONLY);
  if (s >= 0) {
    if (read(s, text, sizeof text - 1) > 0) sscanf(text, "%lld %lld", &run, &wait);
    close(s);
  }
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) {
    perror("wait4");
    return 2;
  }
  long long elapsed = now_ns() - start;
  long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  snprintf(map, 64, "elapsed_ns=%lld cpu_ns=%lld wait_ns=%lld\n", elapsed, cpu, wait);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
