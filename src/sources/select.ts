/**
 * Which source measures on this platform: Linux's ptrace tracer, macOS's
 * fs_usage (root) or rusage disk counters, Windows' I/O counters. Every
 * report names its source in `method`; the counter sources lead their
 * warnings with one line saying why they were used.
 */

/** Sources that read per-process counters instead of per-call events. */
const COUNTER_METHODS = new Set(["proc-io", "io-counters", "rusage"]);

export function isCountersMethod(method: string): boolean {
  return COUNTER_METHODS.has(method);
}

/** The counters source of this platform, used when no event source can run. */
export function countersMethod(platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32") return "io-counters";
  if (platform === "darwin") return "rusage";
  return "proc-io";
}

/**
 * Why `profile()` measures with counters on this platform (Linux says why
 * when ptrace is refused; elsewhere this is the reason).
 */
export function windowCountersReason(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "profile() on macOS has no event source in this build";
  return `profile() has no event source on ${platform}`;
}

/**
 * An fs_usage stand-in to run in place of Apple's, set in-process only: the
 * tests run the fs_usage pipeline on Linux with it. Never read from the
 * environment: iops runs fs_usage as root or through sudo, so an executable
 * chosen by a variable would run with those rights.
 */
let fsUsageStandIn: string | null = null;

/**
 * @internal For tests: run the fs_usage source, with the executable at the
 * absolute path `path` in place of /usr/bin/fs_usage, on any platform
 * (`null` goes back to the platform's own source). Not part of the package's
 * API (its `exports` map hides dist/sources/).
 */
export function useFsUsageStandIn(path: string | null): void {
  fsUsageStandIn = path;
}

/** The stand-in set by `useFsUsageStandIn`, or null. */
export function fsUsageStandInPath(): string | null {
  return fsUsageStandIn;
}

/** The per-call event source of this platform: Linux's own tracer, macOS's fs_usage, Windows' ETW. */
export function eventSource(platform: NodeJS.Platform = process.platform): "ptrace" | "fs_usage" | "etw" {
  if (platform === "darwin" || fsUsageStandIn !== null) return "fs_usage";
  if (platform === "win32") return "etw";
  return "ptrace";
}
