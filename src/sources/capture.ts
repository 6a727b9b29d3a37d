/**
 * What every live source gives back, whichever one runs: a `Capture` of a
 * command or a pid (the CLI, traceCommand/tracePid), or an `IopsWindow` on
 * this very process (profile(), the notebook magics). The sources implement
 * these; sources/select.ts picks which one runs.
 */
import { IopsError, type Report } from "../report";
import type { RequestedSource } from "./names";

export interface CaptureOptions {
  /** Count sockets, pipes and ttys in the summary too. */
  allFds?: boolean;
  /**
   * Share one CPU between the tracer and the traced threads while tracing
   * (default false): each traced syscall then costs a few µs instead of
   * tens, but the program sees (and runs on) one CPU: nproc,
   * sched_getaffinity and os.availableParallelism() say 1, and threads that
   * compute at once lose their parallelism. Attached threads get their own
   * CPU set back at detach (a guard process does it if the tracer is killed).
   */
  shareCpu?: boolean;
  /** Called about every `progressIntervalMs` with the storage totals so far. */
  onProgress?: (p: { ops: number; bytes: number; elapsedSeconds: number }) => void;
  /** Milliseconds, from 1 to 2^31 - 1 (default 250); outside that, IopsError "EINVAL". */
  progressIntervalMs?: number;
  /** traceCommand()/tracePid(): the source, as `ProfileOptions.method` (default: this platform's first that may run here). */
  method?: RequestedSource;
}

/** A capture under way: stop it early (attach mode), or wait for its report. */
export interface Capture {
  readonly report: Promise<Report>;
  /**
   * Attach: ends the capture now. Launch: once the command has ended, ends
   * the wait for the processes it left running (named in the report).
   */
  stop(): void;
  /** The traced process (a launched command's pid once it runs; 0 before). */
  pid(): number;
  /**
   * Resolves true once the capture is in place (every thread traced, the
   * counting begun), false when it ended or failed first: a `--duration`
   * counts from then, not from the start, which may take a load of the
   * eBPF program or a tracer's start. Absent: in place from the start.
   */
  ready?(): Promise<boolean>;
}

/**
 * The readiness of a capture that may hand over to another one (a default
 * source refused as it starts, a refused attach's counters): true once the
 * one running is in place, false once the whole capture has ended first.
 */
export class Readiness {
  private settled: Promise<boolean> | null = null;
  private resolve: (ok: boolean) => void = () => {};

  constructor(
    private current: Capture,
    ended: Promise<unknown>,
  ) {
    void ended.then(
      () => this.resolve(false),
      () => this.resolve(false),
    );
  }

  /** `next` runs from now on. */
  handOver(next: Capture): void {
    this.current = next;
    if (this.settled) this.watch(next);
  }

  ready(): Promise<boolean> {
    this.settled ??= new Promise<boolean>((resolve) => {
      this.resolve = resolve;
      this.watch(this.current);
    });
    return this.settled;
  }

  private watch(c: Capture): void {
    void (c.ready?.() ?? Promise.resolve(true)).then((ok) => ok && this.resolve(true));
  }
}

export interface ProfileOptions {
  /** Count sockets, pipes and ttys in the summary too. */
  allFds?: boolean;
  /**
   * Share one CPU between the helper's tracer and our threads while the
   * window is open (default false): faster per traced call, but our threads
   * run on one CPU meanwhile; their CPU sets are given back at the end.
   */
  shareCpu?: boolean;
  /**
   * The source, by its report `method` (default: this platform's first that
   * may run here; on Linux "ebpf" where this process may load it, root or
   * CAP_BPF + CAP_PERFMON and a kernel with BTF, else "ptrace", our own
   * tracer, with a `default-source-unavailable` warning saying why; "strace",
   * the installed strace, attached to this process). One this platform does
   * not run: IopsError "EINVAL"; one it runs but that cannot run here (eBPF
   * without the rights): IopsError "ENOTSUP".
   */
  method?: RequestedSource;
}

/**
 * What of this process is its host's rather than the measured code's (a
 * notebook kernel's messaging: src/tslab/host-traffic.ts): left out of a
 * window's figures where the source can tell (Linux's ptrace tracer).
 */
export interface HostTraffic {
  /** Threads (tids) none of the measured code runs on: not traced. */
  threads: number[];
  /** fds whose calls are not counted, until closed or replaced. */
  fds: number[];
}

/** A window's options: profile()'s, and for the notebook magics the host's traffic to leave out. */
export interface WindowOptions extends ProfileOptions {
  host?: HostTraffic;
}

/** A measured window: call `begin()` right before and `end()` right after the code. */
export interface IopsWindow {
  /** The source: "ebpf" or "ptrace" when traced; "proc-io", "io-counters" or "rusage" when counters are the fallback. */
  readonly method: string;
  /** Why the window fell back to counters, in one line; null when traced. */
  readonly notice: string | null;
  begin(): void;
  end(): Promise<Report>;
  /**
   * Where the source can: ends the window synchronously, for an exit of
   * this process with the window open; the report, or null when it did not
   * come within `ms` milliseconds.
   */
  endSync?(ms: number): Report | null;
}

/**
 * This process has one window slot: windows on it cannot nest or overlap
 * (each source's markers and the tracer helper serve one at a time).
 */
let windowOpen = false;

/** Takes the window slot; IopsError "EBUSY" when a window is open. */
export function claimWindow(): void {
  if (windowOpen) throw new IopsError("an iops window is already open: windows cannot nest or overlap", "EBUSY");
  windowOpen = true;
}

/** Gives the window slot back (its window has ended, or did not open). */
export function releaseWindow(): void {
  windowOpen = false;
}
