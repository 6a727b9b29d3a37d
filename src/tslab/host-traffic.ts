/**
 * The kernel's own traffic, left out of every cell's figures: its
 * messaging threads (ZeroMQ's I/O threads, named "ZMQbg/…") and the
 * sockets, pipes and eventfds it holds when the magics are loaded (ZeroMQ's
 * mailboxes, libuv's wake-ups, Jupyter's connections). A cell's code runs on
 * none of those threads, and an fd of those that the code closes and opens
 * again is the code's (the tracer counts it again; here, its link changed).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

import type { HostTraffic } from "../sources/capture";

/** Threads of the kernel that only carry its messaging, by their names (/proc/<tid>/comm). */
const MESSAGING_THREAD = /^ZMQbg\//;
/** fds of the kernel that are its messaging's, by their links in /proc/self/fd. */
const MESSAGING_FD = /^(socket|pipe|anon_inode):/;

export class KernelTraffic {
  private constructor(
    private readonly threads: number[],
    /** fd → its link in /proc/self/fd at load. */
    private readonly fds: Map<number, string>,
  ) {}

  /** What the kernel holds now (at load): nothing where /proc cannot tell (not Linux). */
  static atLoad(): KernelTraffic {
    const threads: number[] = [];
    const fds = new Map<number, string>();
    try {
      for (const tid of readdirSync("/proc/self/task")) if (isMessaging(Number(tid))) threads.push(Number(tid));
      for (const name of readdirSync("/proc/self/fd")) {
        const fd = Number(name);
        if (fd <= 2) continue; // stdio: what the code writes there is its own
        const link = linkOf(fd);
        if (link !== null && MESSAGING_FD.test(link)) fds.set(fd, link);
      }
    } catch {
      // No /proc: nothing is left out (other platforms' sources count differently anyway).
    }
    return new KernelTraffic(threads, fds);
  }

  /** The traffic to leave out of a window opened now: those threads and fds still the same (a tid or fd number may be reused). */
  now(): HostTraffic {
    const fds: number[] = [];
    for (const [fd, link] of this.fds) if (linkOf(fd) === link) fds.push(fd);
    return { threads: this.threads.filter(isMessaging), fds };
  }
}

function isMessaging(tid: number): boolean {
  try {
    return MESSAGING_THREAD.test(readFileSync(`/proc/self/task/${tid}/comm`, "latin1"));
  } catch {
    return false; // ended
  }
}

function linkOf(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}
