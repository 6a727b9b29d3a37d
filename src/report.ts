/**
 * The report, as produced by the Rust core (`crates/iops-core/src/report.rs`)
 * for every source and front end. A figure the source could not measure is
 * `null`, never a zero pretending to be measured.
 */
import { hostname, release } from "node:os";

/** Read and write totals of one class of fds over the window. */
export interface Totals {
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
  totalOps: number;
  totalBytes: number;
  /**
   * Operations per second of the window; null when the source has no clock (a log without timestamps),
   * or when operations happened in a window of no measurable length (elapsedSeconds 0: strace -t in a run under a second).
   */
  iops: number | null;
  throughputBytesPerSecond: number | null;
}

export type FdKind = "file" | "blockDevice" | "socket" | "pipe" | "tty" | "other" | "unknown";

/**
 * How a file was walked: each operation is compared with the end of the
 * previous one (gap 0: sequential; the same non-zero gap again: strided;
 * anything else: random). "unknown": no operation with a known offset.
 */
export type AccessPattern = "sequential" | "strided" | "random" | "unknown";

/** The access pattern of a file's reads, or of its writes. */
export interface AccessSummary {
  /** The class of most of the operations. */
  pattern: AccessPattern;
  sequentialOps: number;
  stridedOps: number;
  randomOps: number;
  /** Operations whose start offset the source could not know. */
  unknownOps: number;
  /** Operations of fewer than 4096 bytes. */
  smallOps: number;
  /** Start-to-start distance of the latest stride (negative: backwards), or null. */
  strideBytes: number | null;
}

export interface FileReport {
  /** The fd's target as /proc shows it: a path, or `socket:[inode]`, `pipe:[inode]`... */
  path: string;
  kind: FdKind;
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
  /** The pattern of most of its reads and writes together. */
  pattern: AccessPattern;
  /** Reads and writes of fewer than 4096 bytes. */
  smallOps: number;
  /** null when the file had no reads. */
  readAccess: AccessSummary | null;
  /** null when the file had no writes. */
  writeAccess: AccessSummary | null;
}

/** Values in `[lo, hi)`: `count` operations that moved `sum` bytes (or took `sum` ns). */
export interface Bin {
  lo: number;
  hi: number;
  count: number;
  sum: number;
}

export interface LatencySummary {
  count: number;
  meanNs: number;
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  bins: Bin[];
}

export interface TimelinePoint {
  /** Seconds since the window began. */
  t: number;
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
}

export interface Report {
  version: number;
  /**
   * The source of the figures: "ptrace" (our tracer), "strace" (a live strace run), "strace-log"
   * (`iops import` of a saved strace log), "fs_usage" (macOS, live or an imported log), "etw"
   * (Windows), or a counters fallback: "proc-io" (Linux), "io-counters" (Windows), "rusage" (macOS).
   */
  method: string;
  command: string[] | null;
  pid: number | null;
  /** Null when the source has no clock (a log without timestamps). */
  elapsedSeconds: number | null;
  /** True when `summary` includes sockets, pipes and ttys. */
  allFds: boolean;
  /**
   * File I/O: regular files and block devices (plus everything else with `allFds`).
   * In a `rusage` report (macOS counters) every figure here is null: those
   * counters see only disk bytes, which are in `storage`.
   */
  summary: Totals;
  /** I/O on sockets, pipes, ttys and other fds, kept out of `summary`. */
  otherFds: Totals | null;
  /** Bytes that reached the storage layer (page-cache misses, dirtied pages). */
  storage: { readBytes: number; writeBytes: number; source: string } | null;
  /** Data calls that failed: not operations, counted by errno. */
  failedOps: { total: number; byErrno: Record<string, number> } | null;
  metadataOps: {
    opens: number;
    closes: number;
    stats: number;
    fsyncs: number;
    unlinks: number;
    renames: number;
    getdents: number;
    total: number;
    failed: number;
  } | null;
  /** Every fd target with at least one operation, busiest first. */
  files: FileReport[] | null;
  syscalls: { name: string; calls: number; bytes: number; failed: number }[] | null;
  /** Operation sizes in bytes, for the summary's fds. */
  histogram: { read: Bin[]; write: Bin[] } | null;
  /** Per-operation latency in nanoseconds, for the summary's fds. */
  latency: { read: LatencySummary | null; write: LatencySummary | null } | null;
  /** Operations and bytes over time, for the summary's fds. */
  timeline: { intervalSeconds: number; points: TimelinePoint[] } | null;
  /** Launch mode: how the command ended. */
  exit: { code: number | null; signal: string | null; signalNumber: number | null } | null;
  warnings: string[];
  /** The machine the report was made on (added by the Node layer). */
  host?: HostInfo | null;
}

export interface HostInfo {
  name: string;
  /** `process.platform`: linux, darwin, win32. */
  platform: string;
  /** Kernel release (`os.release()`). */
  release: string;
  arch: string;
}

/** This machine, as a report's `host`. */
export function thisHost(): HostInfo {
  return { name: hostname(), platform: process.platform, release: release(), arch: process.arch };
}

/** A capture that could not run, with a code a script can test. */
export class IopsError extends Error {
  constructor(
    message: string,
    /** "EPERM" (ptrace not permitted), "ESRCH" (no such process), "ENOENT" (command not found), ... */
    readonly code: string,
  ) {
    super(message);
    this.name = "IopsError";
  }
}

/** Parses what the native session returns: a report, or an error. */
export function parseOutcome(json: string): Report {
  const value = JSON.parse(json);
  if (value.error) throw new IopsError(value.error.message, value.error.code);
  value.host ??= thisHost();
  return value as Report;
}
