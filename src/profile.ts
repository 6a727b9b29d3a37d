/**
 * Profiling code inside this very process: `profile(fn)` and the lower-level
 * `openWindow()` that the notebook magics use. The window's source (the
 * tracer helper on Linux, fs_usage on macOS, ETW on Windows, or this
 * process's counters, labelled, where they are refused) is picked by
 * sources/select.ts.
 */
import { writeSync } from "node:fs";

import { IopsError, type Report } from "./report";
import { openWindow, type IopsWindow, type ProfileOptions } from "./sources/select";

export { openWindow, type IopsWindow, type ProfileOptions };

/** profile()'s options: a window's, and where its report goes besides. */
export interface ProfileCallOptions extends ProfileOptions {
  /**
   * Called with the report once the window has ended, before `profile()`
   * settles, whether `fn` returned or threw: the one route to the report
   * when `fn` throws a value that cannot carry it (a primitive, `null`,
   * `undefined`, a frozen or non-extensible object). Also called, in the
   * process's "exit" event, when the process exits with the window open
   * (see profile()). Not a function: IopsError "EINVAL" before `fn` runs.
   * If it throws, that error is profile()'s rejection, unless `fn` threw:
   * `fn`'s error wins.
   */
  onReport?: (report: Report) => void;
}

/**
 * Runs `fn` and returns what it did to storage: exactly the calls made
 * between its start and the settling of its promise, on every thread of
 * this process (libuv's thread pool included) and of the processes started
 * meanwhile (children, and theirs).
 *
 * If `fn` throws (or its promise rejects), that very value is rethrown,
 * unchanged, after the window ends. The report is attached to it as
 * `error.iopsReport` where it can be (an extensible object); where it
 * cannot (a primitive, `null`, `undefined`, a frozen, sealed or
 * non-extensible object) it reaches `options.onReport`, and without
 * `onReport` a process warning says it was not kept. If the measurement
 * itself fails while `fn` throws, `fn`'s error is still what is rethrown
 * (a process warning says why there is no report).
 *
 * The window never keeps this process alive by itself: if `fn`'s promise
 * never settles and nothing else is left to run, or `fn` calls
 * `process.exit()`, the process exits as it would without profile(). Then
 * the window's report (up to the exit) goes to `onReport`, called
 * synchronously in the process's "exit" event, where the source can end
 * the window there (Linux's eBPF and ptrace sources, through the tracer
 * helper); one line on stderr says whether it went there or was lost.
 */
export async function profile(fn: () => unknown, options: ProfileCallOptions = {}): Promise<Report> {
  if (typeof fn !== "function") throw new IopsError(`profile(fn, options): fn must be a function (() => work(), say); got ${fn === null ? "null" : typeof fn}`, "EINVAL");
  if (options === null || typeof options !== "object") {
    throw new IopsError(`profile(fn, options): options must be an object ({ method: "ptrace" }, say) or left out; got ${options === null ? "null" : typeof options}`, "EINVAL");
  }
  const onReport = options.onReport;
  if (onReport !== undefined && typeof onReport !== "function") {
    throw new IopsError(`onReport must be a function, not ${onReport === null ? "null" : typeof onReport}`, "EINVAL");
  }
  const window = await openWindow(options);
  let failed = false;
  let error: unknown;
  const entry = { window, onReport };
  measuring(entry);
  window.begin();
  try {
    await fn();
  } catch (e) {
    failed = true;
    error = e;
  }
  let report: Report;
  try {
    report = await window.end();
  } catch (e) {
    if (!failed) throw e;
    process.emitWarning(`profile(): no report (${(e as Error).message}); fn's own error is rethrown`, "IopsWarning");
    throw error;
  } finally {
    open.delete(entry);
  }
  if (!failed) {
    onReport?.(report);
    return report;
  }
  const attached = attach(error, report);
  if (onReport) {
    try {
      onReport(report);
    } catch {
      // fn's error wins: it is the one rethrown.
    }
  } else if (!attached) {
    process.emitWarning(
      `profile(): fn threw ${describe(error)}, which cannot carry the report as .iopsReport; pass options.onReport to receive it`,
      "IopsWarning",
    );
  }
  throw error;
}

/** Attaches `report` to a thrown object as `iopsReport`; false where it cannot be (a primitive, a frozen or non-extensible object, a proxy that refuses). */
function attach(error: unknown, report: Report): boolean {
  if ((typeof error !== "object" && typeof error !== "function") || error === null) return false;
  try {
    return Reflect.defineProperty(error, "iopsReport", { value: report, writable: true, configurable: true, enumerable: true });
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return "an object that takes no new property";
  if (typeof value === "function") return "a function that takes no new property";
  return `a ${typeof value}`;
}

/** profile() windows open now (between fn's start and the window's end), with where their report goes. */
const open = new Set<{ window: IopsWindow; onReport?: (report: Report) => void }>();
let exitHooked = false;

/** How long an exit with a window open waits for the window's report (the helper's answer comes in milliseconds). */
const EXIT_REPORT_WAIT_MS = 5000;

/**
 * Adds an open window; the first one hooks this process's exit, so that an
 * exit with a window open (fn never settled and nothing else was left to
 * run, or fn called process.exit()) gives the report to onReport where the
 * window can end there, and says on stderr where it went, never nothing.
 */
function measuring(entry: { window: IopsWindow; onReport?: (report: Report) => void }): void {
  open.add(entry);
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const { window, onReport } of open) {
      let where = "that window's report is lost";
      if (onReport && window.endSync) {
        const report = window.endSync(EXIT_REPORT_WAIT_MS);
        if (report) {
          where = "that window's report, up to the exit, went to onReport";
          try {
            onReport(report);
          } catch (e) {
            where = `onReport failed with that window's report (${(e as Error)?.message ?? String(e)})`;
          }
        }
      }
      say(`iops-profiler: this process exited while profile() was measuring (fn had not settled, or it called process.exit()): ${where}\n`);
    }
    open.clear();
  });
}

function say(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // stderr is closed: nothing to tell.
  }
}
