/*
 * loader <probe.o> <command...>: loads and attaches the probe, runs the
 * command as the traced process (its pid in `tg` before it execs), drains
 * the ring buffer every 10 ms meanwhile, as iops does. Needs libbpf.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ring_buffer *ring;
static volatile int done;

static int on_record(void *ctx, void *data, size_t len) { return 0; }

static void *drain(void *arg) {
  while (!done) ring_buffer__poll(ring, 10);
  ring_buffer__consume(ring);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s probe.o command...\n", argv[0]); return 2; }
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj || bpf_object__load(obj)) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) if (!bpf_program__attach(prog)) { fprintf(stderr, "cannot attach\n"); return 1; }
  ring = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "rb")), on_record, NULL, NULL);
  pthread_t reader;
  pthread_create(&reader, NULL, drain, NULL);
  int gate[2];
  if (pipe(gate)) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(gate[1]);
    if (read(gate[0], &c, 1) != 1) _exit(126);
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  unsigned key = pid;
  unsigned long long one = 1;
  bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "tg")), &key, &one, BPF_ANY);
  if (write(gate[1], "x", 1) != 1) return 1;
  int status;
  waitpid(pid, &status, 0);
  done = 1;
  pthread_join(reader, NULL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
