/**
 * iops-profiler: what code does to storage, measured exactly.
 *
 *   import { profile } from "iops-profiler";
 *   const report = await profile(async () => { ... });
 */
export { profile, openWindow, type IopsWindow, type ProfileCallOptions, type ProfileOptions } from "./profile";
export { traceCommand, tracePid, type Capture, type CaptureOptions } from "./trace";
export { formatText, histogramLines, summaryLines } from "./render/text";
export { humanBytes, bytesWithExact } from "./view/units";
export { IopsError, type Report, type Totals, type TracerTime, type FileReport, type Bin, type FdKind, type LatencySummary, type TimelinePoint, type AccessPattern, type AccessSummary, type Source, type WarningCode } from "./report";
export { findings, type Finding, type FindingKind } from "./view/findings";
export { reportFigures, sizeHistogramFigures, latencyFigures, timelineFigures, heatmapFigures, type Figure, type FigureOptions } from "./render/charts";
export { reportPage } from "./render/html/page";
export { importTrace } from "./commands/import";
export { straceCommand, stracePid } from "./sources/strace";
