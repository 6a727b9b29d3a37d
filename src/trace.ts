/**
 * Captures of other processes: run a command under the tracer, or attach to
 * a running pid. Both return the report when the capture ends.
 */
import { readFileSync } from "node:fs";

import { apiIntervalMs, apiPid } from "./args";
import { native } from "./native";
import { captureFromHelper } from "./profile";
import { IopsError, parseOutcome, type Report } from "./report";
import { attachWithFsUsage, fsUsageCommand, launchWithFsUsage } from "./sources/fs_usage";
import { eventSource } from "./sources/select";

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
}

/** A capture under way: stop it early (attach mode), or wait for its report. */
export interface Capture {
  readonly report: Promise<Report>;
  stop(): void;
  /** The traced process (a launched command's pid once it runs; 0 before). */
  pid(): number;
}

function run(session: InstanceType<typeof native.TraceSession>, options: CaptureOptions): Capture {
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  if (options.onProgress) {
    const cb = options.onProgress;
    timer = setInterval(() => {
      const p = session.progress();
      cb({ ...p, elapsedSeconds: Number(process.hrtime.bigint() - started) / 1e9 });
    }, options.progressIntervalMs);
  }
  const report = session.wait().then(parseOutcome).finally(() => clearInterval(timer));
  return { report, stop: () => session.stop(), pid: () => session.pid() };
}

/** Checks what would otherwise be converted silently (an interval past 2^31 ms fires every 1 ms). */
function checkOptions(options: CaptureOptions): CaptureOptions {
  return { ...options, progressIntervalMs: apiIntervalMs("progressIntervalMs", options.progressIntervalMs ?? 250) };
}

function nativeOptions(options: CaptureOptions) {
  return { allFds: options.allFds ?? false, shareCpu: options.shareCpu ?? false };
}

/** Runs `argv` with every thread and child process traced, until it exits. */
export function traceCommand(argv: string[], options: CaptureOptions = {}): Capture {
  options = checkOptions(options);
  if (eventSource() === "fs_usage") return launchOnMac(argv, options);
  return run(native.TraceSession.launch(argv, nativeOptions(options)), options);
}

/** macOS: fs_usage when it can run, else the rusage counters, saying why. */
function launchOnMac(argv: string[], options: CaptureOptions): Capture {
  const how = fsUsageCommand();
  const byCounters = (reason: string) =>
    run(native.TraceSession.launch(argv, { ...nativeOptions(options), fallbackReason: reason }), options);
  if ("reason" in how) return byCounters(how.reason);
  let pid = 0;
  let fallback: Capture | null = null;
  const report = launchWithFsUsage(how.argv, argv, (p) => (pid = p)).catch((e: unknown) => {
    // fs_usage would not trace (ktrace busy, refused): the command has not run yet.
    if (e instanceof IopsError && (e.code === "EIO" || e.code === "ETIMEDOUT")) {
      fallback = byCounters(`fs_usage could not trace (${e.message})`);
      return fallback.report;
    }
    throw e;
  });
  return { report, stop: () => {}, pid: () => fallback?.pid() ?? pid };
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/**
 * Attaches to every thread of `pid` (following new threads and children)
 * until `stop()`; then detaches, leaving the process running as before.
 * A child of this process is traced from the helper process (libuv would
 * otherwise reap its stops); `onProgress` is not called in that case.
 * Throws IopsError "EINVAL" when `pid` is not a whole number from 1 to
 * 2^31 - 1 (it is never wrapped to 32 bits); a pid no process has gives
 * IopsError "ESRCH" from the report.
 */
export function tracePid(pid: number, options: CaptureOptions = {}): Capture {
  apiPid(pid);
  options = checkOptions(options);
  if (process.platform === "linux" && parentOf(pid) === process.pid) return captureFromHelper(pid, options);
  if (eventSource() === "fs_usage") {
    const how = fsUsageCommand();
    if ("argv" in how) return { ...attachWithFsUsage(how.argv, pid), pid: () => pid };
    return run(native.TraceSession.attach(pid, { ...nativeOptions(options), fallbackReason: how.reason }), options);
  }
  return run(native.TraceSession.attach(pid, nativeOptions(options)), options);
}
