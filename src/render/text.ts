/**
 * The plain-text report, laid out from the view model: the reference
 * tool's labels, numbers with thousands separators, bytes as
 * "3.91 MB (4,096,000 bytes)". Every text from the report goes through
 * printable(): nothing in it acts on the terminal.
 */
import type { Report } from "../report";
import { printable } from "../view/printable";
import { humanBytes, thousands } from "../view/units";
import { ranksTextLines } from "./ranks";
import { buildView, octaves, accessLabel, type Octave, type ReportView, type SummaryNote } from "../view/view";

export interface TextOptions {
  /** How many files to list (default 10). */
  topFiles?: number;
  histogram?: boolean;
  /** Terminal width for the histogram bars. */
  width?: number;
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
  out.push(...tableLines(view));
  out.push(...view.notes.map(noteLine));

  const files = view.files ?? [];
  if (files.length > 0) {
    const top = options.topFiles ?? 10;
    out.push("");
    out.push(`Top files (${Math.min(top, files.length)} of ${files.length}):`);
    out.push(`  ${"reads".padStart(10)} ${"writes".padStart(10)} ${"read".padStart(11)} ${"written".padStart(11)}  ${"access".padEnd(10)}  path`);
    for (const f of files.slice(0, top)) {
      out.push(
        `  ${thousands(f.readOps).padStart(10)} ${thousands(f.writeOps).padStart(10)} ${humanBytes(f.readBytes).padStart(11)} ${humanBytes(f.writeBytes).padStart(11)}  ${printable(accessLabel(f)).padEnd(10)}  ${printable(f.path)}`,
      );
    }
  }

  const ranks = ranksTextLines(view.report, options.topFiles ?? 10);
  if (ranks.length > 0) out.push("", ...ranks);

  if (view.metadataLine) {
    out.push("");
    out.push(view.metadataLine);
  }
  if (options.histogram) {
    out.push("");
    out.push(...sizeHistogramLines(view, options.width ?? 50));
  }
  if (view.findings.length > 0) {
    out.push("");
    out.push("Findings:");
    for (const f of view.findings) out.push(`  - ${printable(f.text)}`);
  }
  for (const w of view.warnings) out.push(`Warning: ${printable(w)}`);
  return out.join("\n");
}

/** Sizes on a power-of-two scale, as the bars group them. */
function octaveLabel(lo: number): string {
  return lo === 0 ? "0 B" : humanBytes(lo).replace(".00 ", " ");
}

/**
 * Operation count by bytes per operation, one bar per power of two (the
 * terminal's version of the reference tool's log-x charts).
 */
export function histogramLines(report: Report, width = 50): string[] {
  const sizes = report.histogram ? { read: octaves(report.histogram.read), write: octaves(report.histogram.write) } : null;
  return sizeHistogramLines({ sizes }, width);
}

/** histogramLines, from a view (or anything with its `sizes`). */
export function sizeHistogramLines(view: Pick<ReportView, "sizes"> | { sizes: { read: Octave[]; write: Octave[] } | null }, width = 50): string[] {
  if (!view.sizes) return ["Histogram: not available from this source"];
  const groups = new Map<number, { reads: number; writes: number; bytes: number }>();
  const add = (list: Octave[], key: "reads" | "writes") => {
    for (const o of list) {
      const g = groups.get(o.lo) ?? { reads: 0, writes: 0, bytes: 0 };
      g[key] += o.count;
      g.bytes += o.sum;
      groups.set(o.lo, g);
    }
  };
  add(view.sizes.read, "reads");
  add(view.sizes.write, "writes");
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
