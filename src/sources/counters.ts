/**
 * The counters sources: the kernel's per-process I/O counters
 * (/proc/<pid>/io, GetProcessIoCounters, proc_pid_rusage), read before and
 * after. They see bytes, not calls; select.ts falls back to them, labelled,
 * when no event source can run, and says why in the report's first warning.
 */
import { native } from "../native";
import { IopsError, parseOutcome, type Report } from "../report";
import { releaseWindow, type Capture, type IopsWindow } from "./capture";
import { countersSource } from "./names";

type Snapshot = ReturnType<typeof native.countersSnapshot>;

/** A window on this process read from its counters (the caller holds the window slot). */
export class CountersWindow implements IopsWindow {
  readonly method = countersSource();
  private before: Snapshot | null = null;
  /** `notice`: why counters replace the event source, in one line. */
  constructor(readonly notice: string) {}
  begin(): void {
    this.before = native.countersSnapshot();
  }
  async end(): Promise<Report> {
    const after = native.countersSnapshot();
    releaseWindow();
    return parseOutcome(native.countersReport(this.before!, after, this.notice));
  }
}

/**
 * The counters of process `pid` from now until `stop()`, for an attach whose
 * event source was refused (`reason`, the refusal). Fails with an
 * IopsError that gives both reasons when the counters cannot be read either.
 */
export function countersCapture(pid: number, reason: string): Capture {
  let before: Snapshot;
  try {
    before = native.countersSnapshot(pid);
  } catch (e) {
    // Both refusals, in one line: neither source can measure this process.
    return failed(pid, new IopsError(`${reason}; and the counters fallback failed: ${(e as Error).message}`, "EPERM"));
  }
  let stopped!: () => void;
  const stopping = new Promise<void>((resolve) => (stopped = resolve));
  const report = stopping.then(() => {
    let after: Snapshot;
    try {
      after = native.countersSnapshot(pid);
    } catch (e) {
      throw new IopsError(`${reason}; the counters fallback lost process ${pid} before the end: ${(e as Error).message}`, "ESRCH");
    }
    return parseOutcome(native.countersReport(before, after, reason));
  });
  return { report, stop: () => stopped(), pid: () => pid };
}

function failed(pid: number, error: IopsError): Capture {
  return { report: Promise.reject(error), stop: () => {}, pid: () => pid };
}
