/**
 * The report, as produced by the Rust core for every source and front end.
 * Its types are generated from the Rust ones (`crates/iops-core/src/report.rs`)
 * into `./generated/report.ts`; the field reference is docs/report.md. A
 * figure the source could not measure is `null`, never a zero pretending to
 * be measured.
 */
import { hostname, release } from "node:os";
import type { Report as CoreReport, WarningCode } from "./generated/report";

export type {
  AccessSummary,
  Bin,
  CallKind,
  CallKindTime,
  ExitInfo,
  FailedOps,
  FdKind,
  FileReport,
  Finding,
  Heatmap,
  Latency,
  LatencySummary,
  Mapping,
  MetadataOps,
  SizeHistogram,
  Severity,
  Source,
  StorageBytes,
  SyscallReport,
  TimelinePoint,
  TimelineReport,
  Totals,
  TracerTime,
  WarningCode,
} from "./generated/report";
export { CALL_KIND_VALUES, COUNTER_SOURCES, SEVERITY_VALUES, SOURCE_LABELS, SOURCE_VALUES, WARNING_CODE_VALUES } from "./generated/report";
/** How a file was walked (`Pattern` in the core). */
export type { Pattern as AccessPattern } from "./generated/report";

/** The report with what the Node layer adds. */
export interface Report extends CoreReport {
  /** The machine the report was made on (added by the Node layer). */
  host?: HostInfo | null;
}

/** `report`'s warnings without those of `codes` (their codes go with them). */
export function withoutWarnings(report: Report, ...codes: WarningCode[]): Pick<Report, "warnings" | "warningCodes"> {
  const keep = report.warningCodes.map((c) => !codes.includes(c));
  return { warnings: report.warnings.filter((_, i) => keep[i]), warningCodes: report.warningCodes.filter((_, i) => keep[i]) };
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
