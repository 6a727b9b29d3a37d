/**
 * The live sources by the name a report gives them in `method`, and which
 * of them this platform has: Linux's ptrace tracer, macOS's fs_usage (root)
 * or rusage disk counters, Windows' ETW or I/O counters. Facts only:
 * select.ts decides which one runs.
 */

import { COUNTER_SOURCES, IopsError, type Source } from "../report";

/**
 * The sources one can ask for (`iops --method`, profile()'s `method`), each
 * with what it is: the one list the CLI's choices and help, the option types
 * and the check of a caller's value come from.
 */
export const REQUESTED_SOURCES = {
  ptrace: "our own tracer",
  ebpf: "eBPF tracepoints, filtered in the kernel (Linux; root, or CAP_BPF and CAP_PERFMON)",
  strace: "run the installed strace and parse its output",
} as const;
export type RequestedSource = keyof typeof REQUESTED_SOURCES;

/** `value` as a source one can ask for; IopsError "EINVAL" for anything else (never a silent default). */
export function requestedSource(value: unknown): RequestedSource {
  if (typeof value === "string" && Object.hasOwn(REQUESTED_SOURCES, value)) return value as RequestedSource;
  const known = Object.keys(REQUESTED_SOURCES).join(", ");
  throw new IopsError(`unknown method ${JSON.stringify(value)}: one of ${known}`, "EINVAL");
}

/** Sources that read per-process counters instead of per-call events. */
export type CountersSource = Extract<Source, "proc-io" | "io-counters" | "rusage">;
/** The per-call event source of each platform. */
export type EventSource = Extract<Source, "ptrace" | "fs_usage" | "etw">;

const COUNTERS_SOURCES = new Set<string>(COUNTER_SOURCES);

/** Whether a report's `method` is a counters source (its first warning then says why). */
export function isCountersMethod(method: string): boolean {
  return COUNTERS_SOURCES.has(method);
}

/** The counters source of this platform, used when no event source can run. */
export function countersSource(platform: NodeJS.Platform = process.platform): CountersSource {
  if (platform === "win32") return "io-counters";
  if (platform === "darwin") return "rusage";
  return "proc-io";
}

/** The per-call event source of this platform: Linux's own tracer, macOS's fs_usage, Windows' ETW; null elsewhere. */
export function eventSource(platform: NodeJS.Platform = process.platform): EventSource | null {
  if (platform === "darwin" || fsUsageStandIn !== null) return "fs_usage";
  if (platform === "win32") return "etw";
  return platform === "linux" ? "ptrace" : null;
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
