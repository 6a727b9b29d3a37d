/**
 * iops-profiler: what code does to storage, measured exactly.
 *
 *   import { profile } from "iops-profiler";
 *   const report = await profile(async () => { ... });
 */
export { profile, openWindow, type IopsWindow, type ProfileOptions } from "./profile";
export { traceCommand, tracePid, type Capture, type CaptureOptions } from "./trace";
export { formatText, histogramLines, humanBytes, bytesWithExact, summaryLines } from "./format";
export { IopsError, type Report, type Totals, type FileReport, type Bin, type FdKind, type LatencySummary, type TimelinePoint } from "./report";
export { importTrace } from "./commands/import";
export { straceCommand, stracePid } from "./sources/strace";
