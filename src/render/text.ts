/**
 * The plain-text report, laid out from the view model: the reference
 * tool's labels, numbers with thousands separators, bytes as
 * "3.91 MiB (4,096,000 bytes)". Every text from the report goes through
 * printable(): nothing in it acts on the terminal.
 */
import type { Report } from "../report";
import { printable } from "../view/printable";
import { count, humanBytes, humanDuration, thousands } from "../view/units";
import { buildView, octaves, accessLabel, flagsMark, mappingMark, percent, type ReportView, type SummaryNote, type TimeView } from "../view/view";
import { sizeHistogramLines } from "./chart-text";
import { ranksTextLines } from "./ranks";

export interface TextOptions {
  /** How many files to list (default 10). */
  topFiles?: number;
  histogram?: boolean;
  /** Terminal width for the histogram bars. */
  width?: number;
  /**
   * More charts as text, each a list of lines, after the histogram: the
   * notebook's other charts, for frontends that show only text/plain.
   */
  pictures?: string[][];
}

function rows(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${k.padEnd(width)}${v}`);
}

/** The results table with the reference README's labels. */
export function summaryLines(report: Report): string[] {
  return tableLines(buildView(report));
}

function tableLines(view: ReportView): string[] {
  return rows(view.summary.map((r) => [`${r.label}:`, r.value]));
}

/** A note under the table as one line, with its command-line hint. */
export function noteLine(note: SummaryNote): string {
  return printable(note.hint ? `${note.text} (${note.hint})` : note.text);
}

/** The whole plain-text report: table, other fds, files, metadata, findings, warnings. */
export function formatText(report: Report, options: TextOptions = {}): string {
  return renderText(buildView(report), options);
}

/** formatText, from a view. */
export function renderText(view: ReportView, options: TextOptions = {}): string {
  const out: string[] = [];
  out.push(view.heading);
  out.push("=".repeat(60));
  // When I/O calls take a large share of the run, where the time goes comes first.
  const time = view.time && view.time.rows.length > 0 ? timeLines(view.time) : [];
  if (view.time?.leads) out.push(...time, "");
  out.push(...tableLines(view));
  out.push(...view.notes.map(noteLine));

  const files = view.files ?? [];
  if (files.length > 0) {
    const top = options.topFiles ?? 10;
    const timed = view.fileTimes;
    out.push("");
    out.push(`Top files (${Math.min(top, files.length)} of ${files.length}):`);
    out.push(
      `  ${"reads".padStart(10)} ${"writes".padStart(10)} ${"read".padStart(11)} ${"written".padStart(11)}${timed ? ` ${"time".padStart(11)}` : ""}  ${"access".padEnd(10)}  path`,
    );
    for (const f of files.slice(0, top)) {
      const seconds = timed ? ` ${(typeof f.seconds === "number" ? humanDuration(f.seconds) : "-").padStart(11)}` : "";
      out.push(
        `  ${thousands(f.readOps).padStart(10)} ${thousands(f.writeOps).padStart(10)} ${humanBytes(f.readBytes).padStart(11)} ${humanBytes(f.writeBytes).padStart(11)}${seconds}  ${printable(accessLabel(f)).padEnd(10)}  ${printable(f.path)}${flagsMark(f)}`,
      );
    }
  }

  const maps = view.mappings;
  if (maps && maps.data.length > 0) {
    out.push("");
    out.push(`Mapped files (mmap; ${count(maps.data.length, "file")}):`);
    out.push(`  ${"maps".padStart(10)} ${"mapped".padStart(11)}  ${"prot".padEnd(4)}  ${"sharing".padEnd(7)}  path`);
    for (const m of maps.data.slice(0, options.topFiles ?? 10)) {
      out.push(`  ${thousands(m.maps).padStart(10)} ${humanBytes(m.bytes).padStart(11)}  ${(m.prot || "none").padEnd(4)}  ${(m.shared ? "shared" : "private").padEnd(7)}  ${printable(m.path)}${mappingMark(m)}`);
    }
    out.push(`  ${maps.note}.`);
  }
  const ranks = ranksTextLines(view.report, options.topFiles ?? 10);
  if (ranks.length > 0) out.push("", ...ranks);

  if (view.metadataLine) {
    out.push("");
    out.push(view.metadataLine);
  }
  if (view.time && !view.time.leads && time.length > 0) {
    out.push("");
    out.push(...time);
  }
  if (options.histogram) {
    out.push("");
    out.push(...sizeHistogramLines(view, options.width ?? 50));
  }
  for (const picture of options.pictures ?? []) out.push("", ...picture);
  if (view.findings.length > 0) {
    out.push("");
    out.push("Findings:");
    for (const f of view.findings) out.push(`  - ${printable(f.text)}`);
  }
  for (const w of view.warnings) out.push(`Warning: ${printable(w)}`);
  return out.join("\n");
}

/**
 * Where the time goes, as a table: one row per kind of call, with its
 * calls (and failed ones), total, mean and p99 time and share of the run.
 */
export function timeLines(time: TimeView): string[] {
  const failed = time.rows.some((r) => r.failed > 0);
  const width = Math.max(4, ...time.rows.map((r) => r.label.length));
  const dur = (s: number | null) => (s === null ? "-" : humanDuration(s));
  const lines = [
    `${time.heading}:`,
    `  ${"kind".padEnd(width)} ${"calls".padStart(10)}${failed ? ` ${"failed".padStart(8)}` : ""} ${"total".padStart(11)} ${"mean".padStart(11)} ${"p99".padStart(11)} ${"share".padStart(6)}`,
  ];
  for (const r of time.rows) {
    lines.push(
      `  ${r.label.padEnd(width)} ${thousands(r.calls).padStart(10)}${failed ? ` ${thousands(r.failed).padStart(8)}` : ""} ${dur(r.totalSeconds).padStart(11)} ${dur(r.meanSeconds).padStart(11)} ${dur(r.p99Seconds).padStart(11)} ${(r.shareOfElapsed === null ? "-" : percent(r.shareOfElapsed)).padStart(6)}`,
    );
  }
  return lines;
}

/**
 * Operation count by bytes per operation, one bar per power of two (the
 * terminal's version of the reference tool's log-x charts).
 */
export function histogramLines(report: Report, width = 50): string[] {
  const sizes = report.histogram ? { read: octaves(report.histogram.read), write: octaves(report.histogram.write) } : null;
  return sizeHistogramLines({ sizes }, width);
}
