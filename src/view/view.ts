/**
 * The view model: everything a front end shows of a report, worked out
 * once. The text table, the HTML page and the notebook output each take a
 * `ReportView` and only lay it out; none of them reads the report to decide
 * what to show. Pure: the same report gives the same view.
 */
import { SOURCE_LABELS, type AccessSummary, type Bin, type CallKind, type CallKindTime, type FileReport, type LatencySummary, type Mapping, type Report, type Source } from "../report";
import { findings, type Finding } from "./findings";
import { printable } from "./printable";
import { bytesWithExact, count, humanDuration, humanNs, humanRate, localeFixed, thousands } from "./units";

/** The source's name for people ("ptrace syscall tracer"); an unknown one as it is, printable. */
export function sourceLabel(method: string): string {
  return Object.hasOwn(SOURCE_LABELS, method) ? SOURCE_LABELS[method as Source] : printable(method);
}

/** Shown for figures that need a clock the source does not have. */
export const UNKNOWN_TIME = "unknown (no timestamps)";
/** Shown for a merged report's clocked figures when its processes' windows cannot be lined up. */
export const UNKNOWN_JOB_TIME = "unknown (not every merged report has a wall-clock start)";

/** What an unknown elapsed time is called in `report`: a merged report's reason differs from a log's. */
export function unknownTime(report: Report): string {
  return report.ranks ? UNKNOWN_JOB_TIME : UNKNOWN_TIME;
}
/** Shown for rates over a window of no measurable length (strace -t in a run under a second). */
export const NO_TIME_PASSED = "unknown (no time passed on the trace's clock)";
/** Shown for figures the source cannot count (macOS rusage has no operation counts). */
export const NOT_MEASURED = "not measured";

export type SummaryId = "elapsed" | "readOps" | "writeOps" | "totalOps" | "readBytes" | "writeBytes" | "totalBytes" | "iops" | "throughput";

/** One row of the results table: the reference tool's label, and the value as shown. */
export interface SummaryRow {
  id: SummaryId;
  /**
   * "Execution Time", "Read Operations", ... (the reference tool's labels,
   * without the colon), led by the qualifier when there is one: "Traced IOPS".
   */
  label: string;
  /** "traced" for a time or rate of a run a tracer stopped (`tracerTime`). */
  qualifier?: "traced";
  value: string;
}

/**
 * A line under the results table: what the table does not count (other
 * fds, failed calls) or adds to it (storage level, latency).
 */
export interface SummaryNote {
  kind: "exit" | "otherFds" | "storage" | "failed" | "latency" | "tracer";
  /** The sentence, without a final full stop; text from the report is as it came (not escaped). */
  text: string;
  /** What a command line can do about it ("--all-fds adds them"), for front ends that take options. */
  hint?: string;
  /** The sentence with more detail (latency maxima), for front ends with room. */
  full?: string;
}

/** Operations of sizes (or latencies) in [lo, 2·lo); lo 0 holds the zero-byte ones. */
export interface Octave {
  lo: number;
  count: number;
  /** Sum of the values: bytes for sizes, nanoseconds for latencies. */
  sum: number;
}

export interface ReportView {
  report: Report;
  /** "IOPS Profile Results (ptrace syscall tracer; files)". */
  heading: string;
  summary: SummaryRow[];
  notes: SummaryNote[];
  /**
   * The files the table lists: regular files and block devices (every fd
   * with `allFds`), busiest first; empty when there are none, null when the
   * source does not see files.
   */
  files: FileReport[] | null;
  /** "Metadata calls: 19 opens, ..." or null when the source cannot count them. */
  metadataLine: string | null;
  metadata: Report["metadataOps"];
  /** Operations by size, per power of two, or null when the source has no sizes. */
  sizes: { read: Octave[]; write: Octave[]; all: Octave[] } | null;
  findings: Finding[];
  warnings: string[];
  /** Where the time goes, per kind of call; null when the source has no call durations. */
  time: TimeView | null;
  /** Whether any listed file has a time (`FileReport.seconds`): the files table then has a time column. */
  fileTimes: boolean;
  /** Files mapped with mmap, data first; null when the source does not see mmap. */
  mappings: MappingsView | null;
}

/** One kind of call in "where the time goes": the report's row (`Report.callTime`), named for people. */
export interface CallTimeRow extends CallKindTime {
  /** "reads", "syncs (fsync, fdatasync, ...)", "directory reads". */
  label: string;
}

export interface TimeView {
  /** Busiest first, as the report orders them. */
  rows: CallTimeRow[];
  /** Seconds in all of them. */
  totalSeconds: number;
  /** totalSeconds / elapsed; null without a clock. */
  shareOfElapsed: number | null;
  /** I/O calls took a large share of the run (LEAD_SHARE): front ends show this first. */
  leads: boolean;
  /** "Where the time goes: I/O calls took 0.785 s, 62% of the run". */
  heading: string;
}

export interface MappingsView {
  /** Mappings of files never mapped executable (data), most bytes first. */
  data: Mapping[];
  /** Mappings of files mapped executable somewhere (code: shared libraries, the program): counted, not listed. */
  code: Mapping[];
  /** The sentence under the list: what is not counted and where it shows. */
  note: string;
}

/** I/O calls that take this share of the elapsed time or more lead the report. */
export const LEAD_SHARE = 0.25;

/** What each kind of call is, for people. */
export const CALL_KIND_LABELS: Record<CallKind, string> = {
  read: "reads",
  write: "writes",
  sync: "syncs (fsync, fdatasync, ...)",
  open: "opens",
  stat: "stats",
  getdents: "directory reads",
  close: "closes",
  transfer: "transfers (sendfile, splice, ...)",
  "other-metadata": "other metadata (unlink, rename, ...)",
};

/** The view of `report`. */
export function buildView(report: Report): ReportView {
  return {
    report,
    heading: `IOPS Profile Results (${sourceLabel(report.method)}; ${report.allFds ? "all fds" : "files"})`,
    summary: summaryRows(report),
    notes: summaryNotes(report),
    files: visibleFiles(report),
    metadataLine: metadataLine(report),
    metadata: report.metadataOps ?? null,
    sizes: report.histogram
      ? {
          read: octaves(report.histogram.read),
          write: octaves(report.histogram.write),
          all: octaves([...report.histogram.read, ...report.histogram.write]),
        }
      : null,
    findings: findings(report),
    warnings: report.warnings,
    time: timeView(report),
    fileTimes: (visibleFiles(report) ?? []).some((f) => typeof f.seconds === "number"),
    mappings: mappingsView(report),
  };
}

/** Where the time goes (see TimeView); null without call durations. */
export function timeView(report: Report): TimeView | null {
  const list = report.callTime;
  if (!list) return null;
  const rows = list.map((c) => ({ ...c, label: CALL_KIND_LABELS[c.kind] ?? printable(String(c.kind)) }));
  const totalSeconds = rows.reduce((n, r) => n + r.totalSeconds, 0);
  const elapsed = report.elapsedSeconds;
  const shareOfElapsed = elapsed && elapsed > 0 ? totalSeconds / elapsed : null;
  const run = report.tracerTime ? "the traced run" : "the run";
  const heading =
    `Where the time goes: I/O calls took ${humanDuration(totalSeconds)}` + (shareOfElapsed === null ? "" : `, ${percent(shareOfElapsed)} of ${run}`);
  return { rows, totalSeconds, shareOfElapsed, leads: shareOfElapsed !== null && shareOfElapsed >= LEAD_SHARE && rows.length > 0, heading };
}

/** 0.62 → "62%"; under 1 % → "<1%" (never "0%" for time that was spent). */
export function percent(share: number): string {
  if (share > 0 && share < 0.005) return "<1%";
  return `${Math.round(share * 100)}%`;
}

/** The mapped files (see MappingsView); null when the source does not see mmap. */
export function mappingsView(report: Report): MappingsView | null {
  const list = report.mappings;
  if (!list) return null;
  // A file mapped executable anywhere is code (the loader maps a library's
  // read-only segments too, without PROT_EXEC): all its mappings are code.
  const codePaths = new Set(list.filter((m) => m.exec).map((m) => m.path));
  const data = list.filter((m) => !codePaths.has(m.path));
  const code = list.filter((m) => codePaths.has(m.path));
  const note =
    "Reads and writes of mapped memory happen by page faults, which no syscall shows: they are not counted above" +
    (report.storage ? "; the storage-level bytes include them" : "") +
    (data.some((m) => m.beforeWindow) ? `; a file marked${BEFORE_WINDOW} was mapped when the window opened (its maps: its regions in /proc/PID/maps then)` : "");
  return { data, code, note };
}

const BEFORE_WINDOW = " (mapped before the window)";

/** A mapping's mark after its path: " (mapped before the window)" for one found in /proc/PID/maps as the window opened; "" otherwise. */
export function mappingMark(m: Mapping): string {
  return m.beforeWindow ? BEFORE_WINDOW : "";
}

/** A file's notable open flags, as a mark after its name: " [O_DIRECT]"; "" when none. */
export function flagsMark(f: FileReport): string {
  const flags = f.openFlags ?? [];
  return flags.length ? ` [${flags.join(", ")}]` : "";
}

/**
 * The results table, with the reference README's labels. Under a tracer
 * that stops the program (`tracerTime`), the elapsed time and the rates are
 * of the traced run and their labels say so ("Traced IOPS"). The estimated
 * untraced time is not shown beside them: it subtracts a large share from a
 * larger whole, and the bench found it off by 20 % to 750 % where stops
 * dominate (docs/how-it-works.md). The tracer's share, whose error is far
 * smaller relative to itself, is said in a note instead.
 */
export function summaryRows(report: Report): SummaryRow[] {
  const s = report.summary;
  // A source that cannot count operations (macOS rusage) leaves them null.
  const shown = (v: number | null, f: (n: number) => string) => (v === null ? NOT_MEASURED : f(v));
  // No clock (a log without timestamps) leaves the elapsed time and rates null too.
  const rate = (v: number | null, f: (n: number) => string) =>
    v === null ? (report.elapsedSeconds === null ? unknownTime(report) : report.elapsedSeconds === 0 ? NO_TIME_PASSED : NOT_MEASURED) : f(v);
  const tracer = report.tracerTime ?? null;
  const row = (id: SummaryId, label: string, value: string, traced = false): SummaryRow =>
    traced && tracer ? { id, label: `Traced ${label}`, qualifier: "traced", value } : { id, label, value };
  const elapsed = report.elapsedSeconds;
  const elapsedValue = elapsed === null ? unknownTime(report) : `${elapsed.toFixed(4)} seconds`;
  return [
    row("elapsed", "Execution Time", elapsedValue, true),
    row("readOps", "Read Operations", shown(s.readOps, thousands)),
    row("writeOps", "Write Operations", shown(s.writeOps, thousands)),
    row("totalOps", "Total Operations", shown(s.totalOps, thousands)),
    row("readBytes", "Bytes Read", shown(s.readBytes, bytesWithExact)),
    row("writeBytes", "Bytes Written", shown(s.writeBytes, bytesWithExact)),
    row("totalBytes", "Total Bytes", shown(s.totalBytes, bytesWithExact)),
    row("iops", "IOPS", rate(s.iops, (n) => localeFixed(n, 2)), true),
    row("throughput", "Throughput", rate(s.throughputBytesPerSecond, humanRate), true),
  ];
}

/** Nanoseconds per stop as µs with two decimals (a product a reader can check to three digits). */
function perStop(ns: number): string {
  return ns >= 1e6 ? humanNs(ns) : `${(ns / 1e3).toFixed(2)} µs`;
}

/**
 * The tracer's share in one short line whose arithmetic holds: stops × the
 * mean cost of a stop (the estimate over the stops) ≈ the estimate; and,
 * where the estimate is the sum of its parts (none clamped at 0), what a
 * stop's cost is made of, adding up to it. How a stop's cost was measured
 * (`calibration`) is in the JSON and on the page.
 */
function tracerNote(t: NonNullable<Report["tracerTime"]>): string {
  if (t.nsPerStop === null || t.estimatedSeconds === null || t.stops === 0) return `Tracer's share: ${thousands(t.stops)} stops of the program; ${t.calibration}`;
  const meanNs = (t.estimatedSeconds * 1e9) / t.stops;
  const line = `Tracer's share: ${thousands(t.stops)} stops of the program × ${perStop(meanNs)} per stop ≈ ${humanDuration(t.estimatedSeconds)} of the elapsed time, a rough estimate`;
  if (t.cpuNsPerStop == null || t.programCpuSeconds == null) return line;
  const parts: [number, string][] = [
    [t.cpuNsPerStop, "of its CPU time"],
    [((t.heldSeconds ?? 0) * 1e9) / t.stops, "held by the tracer"],
    [t.wakeNsPerStop ?? 0, "waking up"],
    [t.waitNsPerStop ?? 0, "waiting for a CPU"],
  ];
  const sum = parts.reduce((a, [ns]) => a + ns, 0);
  // A part clamped at 0 (see estimatedUntracedSeconds) breaks the sum: then the mean alone.
  if (Math.abs(sum - meanNs) > 0.005 * meanNs) return line;
  const shown = parts.filter(([ns]) => ns > 0).map(([ns, what]) => `${perStop(ns)} ${what}`);
  return `${line} (a stop: ${shown.join(" + ")})`;
}

/** The lines under the table: a death by a signal, other fds, storage level, failed calls, latency. */
export function summaryNotes(report: Report): SummaryNote[] {
  const notes: SummaryNote[] = [];
  // A command that did not end of itself: its figures stop where it was killed.
  const exit = report.exit;
  if (exit?.signal) {
    notes.push({ kind: "exit", text: `Killed by ${exit.signal}${exit.signalNumber === null ? "" : ` (signal ${exit.signalNumber})`}: the figures are what it did until then` });
  }
  const o = report.otherFds;
  // otherFds is null, never a row of nulls, for a source that cannot count operations.
  if (o && !report.allFds && o.totalOps !== null && o.totalOps > 0) {
    notes.push({
      kind: "otherFds",
      text: `Not counted above (${otherFdsWhat(report)}): ${count(o.readOps ?? 0, "read")}, ${count(o.writeOps ?? 0, "write")}, ${bytesWithExact(o.totalBytes ?? 0)}`,
      hint: "--all-fds adds them",
    });
  }
  if (report.storage) {
    const st = report.storage;
    notes.push({ kind: "storage", text: `Storage level: ${bytesWithExact(st.readBytes)} read, ${bytesWithExact(st.writeBytes)} written (${st.source})` });
  }
  if (report.failedOps && report.failedOps.total > 0) {
    const by = Object.entries(report.failedOps.byErrno).map(([e, n]) => `${e} ${thousands(n)}`);
    notes.push({ kind: "failed", text: `Failed calls (not counted as operations): ${thousands(report.failedOps.total)} (${by.join(", ")})` });
  }
  if (report.tracerTime) notes.push({ kind: "tracer", text: tracerNote(report.tracerTime) });
  const l = report.latency;
  if (l?.read || l?.write) {
    const line = (withMax: boolean) => {
      const one = (name: string, x: LatencySummary | null) =>
        x ? `${name} mean ${humanNs(x.meanNs)}, p50 ${humanNs(x.p50Ns)}, p99 ${humanNs(x.p99Ns)}${withMax ? `, max ${humanNs(x.maxNs)}` : ""}` : null;
      const parts = [one("read", l.read), one("write", l.write)].filter((x) => x !== null);
      return `Latency per operation (as traced): ${parts.join("; ")}`;
    };
    notes.push({ kind: "latency", text: line(false), full: line(true) });
  }
  return notes;
}

/** The files the table lists (see ReportView.files). */
export function visibleFiles(report: Report): FileReport[] | null {
  if (!report.files) return null;
  return report.files.filter((f) => report.allFds || f.kind === "file" || f.kind === "blockDevice");
}

/**
 * "Metadata calls: 4,016 opens, 1 close, ... (and 4,020 failed)": the
 * counts are of calls that succeeded, the failed ones come on top.
 */
function metadataLine(report: Report): string | null {
  const m = report.metadataOps;
  if (!m) return null;
  return (
    `Metadata calls: ${count(m.opens, "open")}, ${count(m.closes, "close")}, ${count(m.stats, "stat")}, ${count(m.fsyncs, "sync")}, ${count(m.unlinks, "unlink")}, ${count(m.renames, "rename")}, ${count(m.getdents, "getdents", "getdents")}` +
    (m.failed ? ` (and ${thousands(m.failed)} failed)` : "")
  );
}

/** The kinds of fd the "not counted above" line holds, in this order, as people name them. */
const OTHER_KIND_ORDER = ["sockets", "pipes", "ttys", "character devices"];

/**
 * What the fds left out of the table are, from the kinds actually present:
 * "sockets, pipes and eventfds". Character devices (/dev/zero, /dev/urandom)
 * and anonymous inodes (anon_inode:[eventfd]) share the kind "other"; their
 * paths tell them apart. Without the files list, the generic words.
 */
export function otherFdsWhat(report: Report): string {
  if (!report.files) return "sockets, pipes, ttys and other fds that are not files";
  const names = new Set<string>();
  for (const f of report.files) {
    if (f.kind === "file" || f.kind === "blockDevice") continue;
    names.add(otherKindName(f));
  }
  if (names.size === 0) return "fds that are not files";
  const rank = (n: string) => (OTHER_KIND_ORDER.includes(n) ? OTHER_KIND_ORDER.indexOf(n) : OTHER_KIND_ORDER.length);
  const list = [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return list.length === 1 ? list[0] : `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

/** One non-file fd's kind as a plural noun: "sockets", "character devices", "eventfds". */
function otherKindName(f: FileReport): string {
  switch (f.kind) {
    case "socket":
      return "sockets";
    case "pipe":
      return "pipes";
    case "tty":
      return "ttys";
    case "unknown":
      return "fds of unknown kind";
  }
  // "anon_inode:[eventfd]", "anon_inode:inotify": the kernel's name of the inode.
  const anon = /^anon_inode:\[?([A-Za-z0-9_-]+)\]?$/.exec(f.path);
  if (anon) return /fd$/.test(anon[1]) ? `${anon[1]}s` : `${anon[1]} fds`;
  if (f.path.startsWith("/dev/")) return "character devices";
  return "other fds";
}

/** A file's access pattern as the report gives it ("unknown" when it has none, as older reports do). */
export function accessPattern(f: FileReport): string {
  return f.pattern ?? "unknown";
}

/** A file's access pattern for a table cell: "-" when unknown. */
export function accessLabel(f: FileReport): string {
  return f.pattern && f.pattern !== "unknown" ? f.pattern : "-";
}

/** The counts behind a file's access pattern, in one line ("reads: 10 sequential, 0 strided, 2 random; writes: none"). */
export function accessDetail(f: FileReport): string {
  const one = (name: string, a: AccessSummary | null) =>
    a
      ? `${name}: ${a.sequentialOps} sequential, ${a.stridedOps} strided, ${a.randomOps} random` +
        (a.unknownOps ? `, ${a.unknownOps} of unknown offset` : "") +
        (a.strideBytes !== null ? ` (stride ${a.strideBytes} B)` : "")
      : `${name}: none`;
  return `${one("reads", f.readAccess ?? null)}; ${one("writes", f.writeAccess ?? null)}`;
}

/**
 * Regroups the core's fine log bins by powers of two: [2^k, 2^(k+1));
 * the bin of zero (zero-byte operations) stays in an octave of its own, lo 0.
 * Sorted by lo.
 */
export function octaves(bins: Bin[]): Octave[] {
  const byLo = new Map<number, Octave>();
  for (const b of bins) {
    const lo = b.lo === 0 ? 0 : 2 ** Math.floor(Math.log2(b.lo));
    const o = byLo.get(lo) ?? { lo, count: 0, sum: 0 };
    o.count += b.count;
    o.sum += b.sum;
    byLo.set(lo, o);
  }
  return [...byLo.values()].sort((a, b) => a.lo - b.lo);
}

/**
 * Every power-of-two bin from the smallest to the largest non-empty one in
 * any of `lists` (the zero bin first when any list has it), each list's
 * count and sum in each (0 where it has none). Empty when all lists are.
 */
export function everyOctave(lists: Octave[][]): { los: number[]; filled: Octave[][] } {
  const present = lists.flat().filter((o) => o.count > 0);
  if (present.length === 0) return { los: [], filled: lists.map(() => []) };
  const positive = present.filter((o) => o.lo > 0).map((o) => o.lo);
  const los: number[] = present.some((o) => o.lo === 0) ? [0] : [];
  if (positive.length > 0) {
    for (let lo = Math.min(...positive); lo <= Math.max(...positive); lo *= 2) los.push(lo);
  }
  const filled = lists.map((list) => {
    const by = new Map(list.map((o) => [o.lo, o]));
    return los.map((lo) => by.get(lo) ?? { lo, count: 0, sum: 0 });
  });
  return { los, filled };
}
