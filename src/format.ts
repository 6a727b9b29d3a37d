/**
 * Plain-text rendering of a report: the reference tool's labels, numbers
 * with thousands separators, bytes as "3.91 MB (4,096,000 bytes)".
 */
import { findings } from "./findings";
import type { Bin, FileReport, LatencySummary, Report, Totals } from "./report";

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** 4096000 → "4,096,000" (rounded to an integer). */
export function thousands(n: number): string {
  return localeFixed(Math.round(n), 0);
}

/**
 * `n` with `digits` decimals and commas, exactly as
 * `toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })`
 * prints it (rounding the shortest decimal form, ties away from zero), but
 * by hand: the first toLocaleString of a process loads ICU's locale data,
 * a fifth of `iops import`'s start-up.
 */
export function localeFixed(n: number, digits: number): string {
  const text = String(Math.abs(n));
  if (!Number.isFinite(n) || text.includes("e")) {
    return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  const [int, frac = ""] = text.split(".");
  let all = int + frac.slice(0, digits).padEnd(digits, "0");
  if (frac.length > digits && frac.charCodeAt(digits) >= 53 /* "5" */) {
    // Add one in the last place, carrying through nines.
    let i = all.length - 1;
    while (i >= 0 && all[i] === "9") i--;
    all = (i < 0 ? "1" : all.slice(0, i) + String(Number(all[i]) + 1)) + "0".repeat(all.length - 1 - i);
  }
  const head = all.slice(0, all.length - digits);
  const sign = n < 0 || Object.is(n, -0) ? "-" : "";
  return sign + head.replace(/\B(?=(\d{3})+$)/g, ",") + (digits > 0 ? `.${all.slice(all.length - digits)}` : "");
}

/** 4096000 → "3.91 MB" (powers of 1024, as the reference tool prints them). */
export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${UNITS[u]}`;
}

/** 4096000 → "3.91 MB (4,096,000 bytes)". */
export function bytesWithExact(n: number): string {
  return n < 1024 ? `${thousands(n)} bytes` : `${humanBytes(n)} (${thousands(n)} bytes)`;
}

export function humanDuration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(3)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

export function humanNs(ns: number): string {
  return humanDuration(ns / 1e9);
}

const METHOD_LABEL: Record<string, string> = {
  ptrace: "ptrace syscall tracer",
  "proc-io": "/proc/<pid>/io counters (fallback)",
  "io-counters": "Windows I/O counters, GetProcessIoCounters (fallback)",
  rusage: "proc_pid_rusage disk counters (fallback)",
  fs_usage: "fs_usage trace",
  etw: "ETW kernel file I/O events",
  strace: "strace, live",
  "strace-log": "strace log",
};

export function methodLabel(method: string): string {
  return Object.hasOwn(METHOD_LABEL, method) ? METHOD_LABEL[method] : printable(method);
}

function rows(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${k.padEnd(width)}${v}`);
}

/** Shown for figures that need a clock the source does not have. */
const UNKNOWN_TIME = "unknown (no timestamps)";
/** Shown for rates over a window of no measurable length (strace -t in a run under a second). */
export const NO_TIME_PASSED = "unknown (no time passed on the trace's clock)";

/** The results table's rows, [label, value], with the reference README's labels. */
export function summaryPairs(report: Report): [string, string][] {
  const s: Totals = report.summary;
  // A source that cannot count operations (macOS rusage) leaves them null.
  const shown = (v: number | null, f: (n: number) => string) => (v === null ? "not measured" : f(v));
  // No clock (a log without timestamps) leaves the elapsed time and rates null too.
  const rate = (v: number | null, f: (n: number) => string) =>
    v === null ? (report.elapsedSeconds === null ? UNKNOWN_TIME : report.elapsedSeconds === 0 ? NO_TIME_PASSED : "not measured") : f(v);
  return [
    ["Execution Time:", report.elapsedSeconds === null ? UNKNOWN_TIME : `${report.elapsedSeconds.toFixed(4)} seconds`],
    ["Read Operations:", shown(s.readOps, thousands)],
    ["Write Operations:", shown(s.writeOps, thousands)],
    ["Total Operations:", shown(s.totalOps, thousands)],
    ["Bytes Read:", shown(s.readBytes, bytesWithExact)],
    ["Bytes Written:", shown(s.writeBytes, bytesWithExact)],
    ["Total Bytes:", shown(s.totalBytes, bytesWithExact)],
    ["IOPS:", rate(s.iops, (n) => localeFixed(n, 2))],
    ["Throughput:", rate(s.throughputBytesPerSecond, (n) => `${humanBytes(n)}/s`)],
  ];
}

/** The results table with the reference README's labels. */
export function summaryLines(report: Report): string[] {
  return rows(summaryPairs(report));
}

export interface TextOptions {
  /** How many files to list (default 10). */
  topFiles?: number;
  histogram?: boolean;
  /** Terminal width for the histogram bars. */
  width?: number;
}

/** The whole plain-text report: table, other fds, files, metadata, warnings. */
export function formatText(report: Report, options: TextOptions = {}): string {
  const out: string[] = [];
  const scope = report.allFds ? "all fds" : "files";
  out.push(`IOPS Profile Results (${methodLabel(report.method)}; ${scope})`);
  out.push("=".repeat(60));
  out.push(...summaryLines(report));
  out.push(...noteLines(report));

  const files = tableFiles(report);
  if (files.length > 0) {
    const top = options.topFiles ?? 10;
    out.push("");
    out.push(`Top files (${Math.min(top, files.length)} of ${files.length}):`);
    out.push(`  ${"reads".padStart(10)} ${"writes".padStart(10)} ${"read".padStart(11)} ${"written".padStart(11)}  ${"access".padEnd(10)}  path`);
    for (const f of files.slice(0, top)) {
      out.push(
        `  ${thousands(f.readOps).padStart(10)} ${thousands(f.writeOps).padStart(10)} ${humanBytes(f.readBytes).padStart(11)} ${humanBytes(f.writeBytes).padStart(11)}  ${accessLabel(f).padEnd(10)}  ${printable(f.path)}`,
      );
    }
  }

  const metadata = metadataLine(report);
  if (metadata) {
    out.push("");
    out.push(metadata);
  }
  if (options.histogram) {
    out.push("");
    out.push(...histogramLines(report, options.width ?? 50));
  }
  const found = findings(report);
  if (found.length > 0) {
    out.push("");
    out.push("Findings:");
    for (const f of found) out.push(`  - ${printable(f.text)}`);
  }
  for (const w of report.warnings) out.push(`Warning: ${printable(w)}`);
  return out.join("\n");
}

/** The files the table counts: regular files and block devices (every fd with allFds), busiest first. */
export function tableFiles(report: Report): FileReport[] {
  return (report.files ?? []).filter((f) => report.allFds || f.kind === "file" || f.kind === "blockDevice");
}

/** The lines under the table: other fds, storage level, failed calls, latency. */
export function noteLines(report: Report): string[] {
  const out: string[] = [];
  const o = report.otherFds;
  if (o && !report.allFds && o.totalOps > 0) {
    out.push(
      `Not counted above (sockets, pipes, ttys): ${thousands(o.readOps)} reads, ${thousands(o.writeOps)} writes, ${bytesWithExact(o.totalBytes)} (--all-fds adds them)`,
    );
  }
  if (report.storage) {
    out.push(
      `Storage level: ${bytesWithExact(report.storage.readBytes)} read, ${bytesWithExact(report.storage.writeBytes)} written (${printable(report.storage.source)})`,
    );
  }
  if (report.failedOps && report.failedOps.total > 0) {
    const by = Object.entries(report.failedOps.byErrno)
      .map(([e, n]) => `${printable(e)} ${thousands(n)}`)
      .join(", ");
    out.push(`Failed calls (not counted as operations): ${thousands(report.failedOps.total)} (${by})`);
  }
  if (report.latency?.read || report.latency?.write) {
    const l = (name: string, x: LatencySummary | null) =>
      x ? `${name} mean ${humanNs(x.meanNs)}, p50 ${humanNs(x.p50Ns)}, p99 ${humanNs(x.p99Ns)}` : null;
    const parts = [l("read", report.latency.read), l("write", report.latency.write)].filter(Boolean);
    out.push(`Latency per operation (as traced): ${parts.join("; ")}`);
  }
  return out;
}

/** "Metadata calls: 19 opens, ..." or null when the source cannot count them. */
export function metadataLine(report: Report): string | null {
  const m = report.metadataOps;
  if (!m) return null;
  return (
    `Metadata calls: ${thousands(m.opens)} opens, ${thousands(m.closes)} closes, ${thousands(m.stats)} stats, ${thousands(m.fsyncs)} fsyncs, ${thousands(m.unlinks)} unlinks, ${thousands(m.renames)} renames, ${thousands(m.getdents)} getdents` +
    (m.failed ? ` (${thousands(m.failed)} failed)` : "")
  );
}

/** A file's access pattern for the table ("-" when unknown, or from an older report without one). */
function accessLabel(f: FileReport): string {
  return f.pattern && f.pattern !== "unknown" ? printable(f.pattern) : "-";
}

/**
 * Characters that would act on a terminal rather than show: C0 controls
 * (ESC starts escape sequences, CR and BS overwrite), DEL, C1 controls (CSI,
 * OSC...), and the bidirectional overrides that reorder what follows.
 */
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0x7f ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/**
 * Text from a report, a log or the command line, made safe to print on a
 * terminal: every character that is not printable shows as an escape
 * (`\x1b`, `\u009b`), so a file name or a crafted report cannot move the
 * cursor, set the title or hide text. Line feeds are escaped too: the text
 * stays on its line.
 */
export function printable(text: string): string {
  return String(text).replace(NOT_PRINTABLE, escapeChar);
}

/** printable() for text of several lines: the line feeds are kept. */
export function printableLines(text: string): string {
  return String(text).split("\n").map(printable).join("\n");
}

/** A file name, printable (see printable()). */
export const printablePath = printable;

/** Sizes on a power-of-two scale, as the bars group them. */
function octaveLabel(lo: number): string {
  return lo === 0 ? "0 B" : humanBytes(lo).replace(".00 ", " ");
}

/**
 * Operation count by bytes per operation, one bar per power of two (the
 * terminal's version of the reference tool's log-x charts).
 */
export function histogramLines(report: Report, width = 50): string[] {
  if (!report.histogram) return ["Histogram: not available from this source"];
  const groups = new Map<number, { reads: number; writes: number; bytes: number }>();
  const add = (bins: Bin[], key: "reads" | "writes") => {
    for (const b of bins) {
      const lo = b.lo === 0 ? 0 : 2 ** Math.floor(Math.log2(b.lo));
      const g = groups.get(lo) ?? { reads: 0, writes: 0, bytes: 0 };
      g[key] += b.count;
      g.bytes += b.sum;
      groups.set(lo, g);
    }
  };
  add(report.histogram.read, "reads");
  add(report.histogram.write, "writes");
  if (groups.size === 0) return ["Histogram: no operations"];
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const max = Math.max(...keys.map((k) => groups.get(k)!.reads + groups.get(k)!.writes));
  const lines = [`Operations by size (R = reads, W = writes; each row is [size, 2×size)):`];
  for (const k of keys) {
    const g = groups.get(k)!;
    const total = g.reads + g.writes;
    const len = Math.max(1, Math.round((total / max) * width));
    const r = Math.round((g.reads / total) * len);
    const bar = "R".repeat(r) + "W".repeat(len - r);
    const ops = total === 1 ? "1 op" : `${thousands(total)} ops`;
    lines.push(`${octaveLabel(k).padStart(8)} | ${bar} ${ops}, ${humanBytes(g.bytes)}`);
  }
  return lines;
}
