/**
 * The shape of a saved report (report.ts's `Report`), checked before
 * `iops report` renders a file it is given: a report edited by hand or
 * crafted is refused with the first field that is wrong, instead of a
 * renderer crashing on a string where a number belongs. The fields added
 * after the first reports (a file's access pattern, `host`, `warningCodes`,
 * `tracerTime`, and issue 14's `callTime`, `mappings`, `heatmap`,
 * `findings`, a file's `seconds`, `syncs`, `openFlags`, `repeatedReads`;
 * issue 16's `rank`, `jobId`, `startedAt`, `ranks`, a file's `processes`)
 * may be absent. Each shape is typed by the generated report types
 * (report.ts): a field added to or removed from the Rust report fails to
 * compile here until this check follows.
 */
import type { AccessSummary, Bin, CallKindTime, ExitInfo, FailedOps, FileReport, Finding, Heatmap, HostInfo, Latency, LatencySummary, Mapping, RankRow, SizeHistogram, MetadataOps, Report, StorageBytes, SyscallReport, TimelinePoint, TimelineReport, Totals, TracerTime } from "./report";
import { CALL_KIND_VALUES, SEVERITY_VALUES } from "./report";

/** Null when `v` has the shape; else where and what is wrong ("files[3].readOps is not a number"). */
type Check = (v: unknown, at: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const number: Check = (v, at) => (typeof v === "number" && Number.isFinite(v) ? null : `${at} is not a number`);
/** A whole number from 0 that a double holds exactly (a larger one is not what iops wrote, and would print rounded). */
const count: Check = (v, at) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? null : `${at} is not a count`);
/** A time, rate or mean: finite and not negative. */
const amount: Check = (v, at) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? null : `${at} is not a number from 0`);
const string: Check = (v, at) => (typeof v === "string" ? null : `${at} is not a string`);
const boolean: Check = (v, at) => (typeof v === "boolean" ? null : `${at} is not true or false`);

const nullable =
  (c: Check): Check =>
  (v, at) =>
    v === null ? null : c(v, at);

/** May be absent (older reports); when present, null or `c`. */
const optional =
  (c: Check): Check =>
  (v, at) =>
    v === undefined || v === null ? null : c(v, at);

const oneOf =
  (...values: string[]): Check =>
  (v, at) =>
    typeof v === "string" && values.includes(v) ? null : `${at} is not one of ${values.join(", ")}`;

const arrayOf =
  (c: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) return `${at} is not a list`;
    for (let i = 0; i < v.length; i++) {
      const wrong = c(v[i], `${at}[${i}]`);
      if (wrong) return wrong;
    }
    return null;
  };

/** An object whose every value passes `c` (failedOps.byErrno). */
const mapOf =
  (c: Check): Check =>
  (v, at) => {
    if (!isObject(v)) return `${at} is not an object`;
    for (const [k, x] of Object.entries(v)) {
      const wrong = c(x, `${at}.${k}`);
      if (wrong) return wrong;
    }
    return null;
  };

/**
 * An object with the fields of `T`, each checked by its own check (others
 * are ignored: a newer report may add some).
 */
const shape =
  <T>(fields: { [K in keyof Required<T>]: Check }): Check =>
  (v, at) => {
    if (!isObject(v)) return `${at} is not an object`;
    for (const [name, c] of Object.entries<Check>(fields)) {
      const wrong = c(v[name], at ? `${at}.${name}` : name);
      if (wrong) return wrong;
    }
    return null;
  };

/** rusage reports (macOS counters) leave the operation figures null. */
const measured = nullable(count);

const totals = shape<Totals>({
  readOps: measured,
  writeOps: measured,
  readBytes: measured,
  writeBytes: measured,
  totalOps: measured,
  totalBytes: measured,
  iops: nullable(amount),
  throughputBytesPerSecond: nullable(amount),
});

const pattern = oneOf("sequential", "strided", "random", "unknown");

const access = shape<AccessSummary>({
  pattern,
  sequentialOps: count,
  stridedOps: count,
  randomOps: count,
  unknownOps: count,
  smallOps: count,
  strideBytes: nullable(number),
});

const file = shape<FileReport>({
  path: string,
  kind: oneOf("file", "blockDevice", "socket", "pipe", "tty", "other", "unknown"),
  readOps: count,
  writeOps: count,
  readBytes: count,
  writeBytes: count,
  pattern: optional(pattern),
  smallOps: optional(count),
  readAccess: optional(access),
  writeAccess: optional(access),
  processes: optional(count),
  seconds: optional(amount),
  syncs: optional(count),
  openFlags: optional(arrayOf(string)),
  repeatedReads: optional(count),
});

const bins = arrayOf(shape<Bin>({ lo: number, hi: number, count, sum: number }));

const callTime = shape<CallKindTime>({
  kind: oneOf(...CALL_KIND_VALUES),
  calls: count,
  failed: count,
  totalSeconds: amount,
  meanSeconds: nullable(amount),
  p99Seconds: nullable(amount),
  shareOfElapsed: nullable(amount),
});

const mapping = shape<Mapping>({ path: string, kind: string, maps: count, bytes: count, prot: string, shared: boolean, exec: boolean, beforeWindow: optional(boolean) });

const heatmap = shape<Heatmap>({ binSeconds: amount, sizeBins: bins, ops: arrayOf(arrayOf(count)), bytes: arrayOf(arrayOf(count)) });

const finding = shape<Finding>({
  code: string,
  severity: oneOf(...SEVERITY_VALUES),
  text: string,
  advice: string,
  file: nullable(string),
  numbers: mapOf(number),
});

const latencySummary = shape<LatencySummary>({ count, meanNs: amount, p50Ns: amount, p99Ns: amount, maxNs: amount, bins });

const report = shape<Report>({
  version: number,
  method: string,
  command: optional(arrayOf(string)),
  pid: optional(number),
  elapsedSeconds: nullable(amount),
  /** Absent in reports made before it was added. */
  tracerTime: optional(
    shape<TracerTime>({
      stops: count,
      sameCpuNsPerStop: nullable(amount),
      crossCpuNsPerStop: nullable(amount),
      crossCpuShare: nullable(amount),
      nsPerStop: nullable(amount),
      estimatedSeconds: nullable(amount),
      estimatedUntracedSeconds: nullable(amount),
      /** These five: absent in reports made before they were added. */
      programCpuSeconds: optional(amount),
      programWaitSeconds: optional(amount),
      tracerCpuSeconds: optional(amount),
      tracerWaitSeconds: optional(amount),
      cpuNsPerStop: optional(amount),
      /** These five: absent in reports made before they were added. */
      heldSeconds: optional(amount),
      sampledIntervals: optional(count),
      barePairs: optional(count),
      wakeNsPerStop: optional(amount),
      waitNsPerStop: optional(amount),
      sharedCpu: boolean,
      calibration: string,
    }),
  ),
  allFds: boolean,
  summary: totals,
  otherFds: optional(totals),
  storage: optional(shape<StorageBytes>({ readBytes: count, writeBytes: count, source: string })),
  failedOps: optional(shape<FailedOps>({ total: count, byErrno: mapOf(count) })),
  metadataOps: optional(
    shape<MetadataOps>({ opens: count, closes: count, stats: count, fsyncs: count, unlinks: count, renames: count, getdents: count, total: count, failed: count }),
  ),
  files: optional(arrayOf(file)),
  syscalls: optional(arrayOf(shape<SyscallReport>({ name: string, calls: count, bytes: count, failed: count }))),
  histogram: optional(shape<SizeHistogram>({ read: bins, write: bins })),
  latency: optional(shape<Latency>({ read: nullable(latencySummary), write: nullable(latencySummary) })),
  timeline: optional(
    shape<TimelineReport>({
      intervalSeconds: amount,
      points: arrayOf(shape<TimelinePoint>({ t: amount, readOps: count, writeOps: count, readBytes: count, writeBytes: count })),
    }),
  ),
  /** Absent in reports made before issue 14's figures. */
  callTime: optional(arrayOf(callTime)),
  mappings: optional(arrayOf(mapping)),
  heatmap: optional(heatmap),
  findings: optional(arrayOf(finding)),
  exit: optional(shape<ExitInfo>({ code: nullable(number), signal: nullable(string), signalNumber: nullable(number) })),
  warnings: arrayOf(string),
  /** Absent in reports made before warnings had codes; a newer version may add codes. */
  warningCodes: optional(arrayOf(string)),
  host: optional(shape<HostInfo>({ name: string, platform: string, release: string, arch: string })),
  rank: optional(count),
  jobId: optional(string),
  startedAt: optional(amount),
  ranks: optional(
    arrayOf(
      shape<RankRow>({
        rank: nullable(count),
        host: nullable(string),
        pid: nullable(number),
        file: string,
        startedAt: nullable(amount),
        elapsedSeconds: nullable(amount),
        readOps: count,
        writeOps: count,
        readBytes: count,
        writeBytes: count,
        ioSeconds: nullable(amount),
      }),
    ),
  ),
});

/**
 * Checks that `value` (parsed JSON) has the shape of a Report; returns null
 * when it has, else the first wrong field and why, in a few words.
 */
export function reportShapeError(value: unknown): string | null {
  return report(value, "");
}
