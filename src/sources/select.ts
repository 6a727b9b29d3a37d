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
 * The per-call event source of this platform: Linux's own tracer, macOS's
 * fs_usage, Windows' ETW. `IOPS_EVENT_SOURCE=fs_usage` selects the fs_usage
 * path on another platform, for testing it against an fs_usage stand-in
 * (`IOPS_FS_USAGE`).
 */
export function eventSource(platform: NodeJS.Platform = process.platform): "ptrace" | "fs_usage" | "etw" {
  if (process.env.IOPS_EVENT_SOURCE === "fs_usage") return "fs_usage";
  if (platform === "darwin") return "fs_usage";
  if (platform === "win32") return "etw";
  return "ptrace";
}
