/**
 * Profiling code inside this very process: `profile(fn)` and the lower-level
 * `openWindow()` that the notebook magics use. The window's source (the
 * tracer helper on Linux, fs_usage on macOS, ETW on Windows, or this
 * process's counters, labelled, where they are refused) is picked by
 * sources/select.ts.
 */
import { IopsError, type Report } from "./report";
import { openWindow, type IopsWindow, type ProfileOptions } from "./sources/select";

export { openWindow, type IopsWindow, type ProfileOptions };

/**
 * Runs `fn` and returns what it did to storage: exactly the calls made
 * between its start and the settling of its promise, on every thread of
 * this process (libuv's thread pool included) and of the processes started
 * meanwhile (children, and theirs). If `fn` throws, the error is
 * rethrown with the report attached as `error.iopsReport`.
 */
export async function profile(fn: () => unknown, options: ProfileOptions = {}): Promise<Report> {
  if (typeof fn !== "function") throw new IopsError(`profile(fn, options): fn must be a function (() => work(), say); got ${fn === null ? "null" : typeof fn}`, "EINVAL");
  if (options === null || typeof options !== "object") {
    throw new IopsError(`profile(fn, options): options must be an object ({ method: "ptrace" }, say) or left out; got ${options === null ? "null" : typeof options}`, "EINVAL");
  }
  const window = await openWindow(options);
  let failed = false;
  let error: unknown;
  window.begin();
  try {
    await fn();
  } catch (e) {
    failed = true;
    error = e;
  }
  const report = await window.end();
  if (failed) {
    if (error !== null && typeof error === "object") (error as { iopsReport?: Report }).iopsReport = report;
    throw error;
  }
  return report;
}
