/**
 * Two reports compared (view/compare.ts), laid out: a text table for the
 * terminal, and a page (or notebook output) with the table and the two
 * size histograms overlaid.
 */
import { randomBytes } from "node:crypto";

import type { Report } from "../report";
import { compareReports, factor, type Comparison } from "../view/compare";
import { printable } from "../view/printable";
import { humanBytes, sizeLabel, thousands } from "../view/units";
import { everyOctave, octaves, type Octave } from "../view/view";
import { baseLayout, binRange, COLORS, type Figure } from "./charts";
import { html, trusted, type SafeHtml } from "./html/escape";
import { notebookFigureHtml, plotlyLoaderHtml } from "./plotly";

/** B/A as people read it: "3.2×" from 1 up, "1/1,000" below (0.001× reads badly). */
const ratioText = (r: number | null) => (r === null ? "–" : r === 0 ? "0" : r >= 1 ? factor(r) : `1/${factor(1 / r).replace("×", "")}`);

/** The comparison as text lines: the verdict, then a row per figure with B/A. */
export function compareTextLines(c: Comparison): string[] {
  const a = printable(c.a.name);
  const b = printable(c.b.name);
  const w = Math.max(14, a.length, b.length);
  const out = [printable(c.verdict) + ".", ""];
  out.push(`${"".padEnd(18)} ${a.padStart(w)} ${b.padStart(w)} ${"B/A".padStart(9)}`);
  for (const r of c.rows) out.push(`${(r.label + ":").padEnd(18)} ${r.aText.padStart(w)} ${r.bText.padStart(w)} ${ratioText(r.ratio).padStart(9)}`);
  if (c.a.method !== c.b.method) out.push(`Note: A is from ${c.a.method}, B from ${c.b.method}; what one source cannot see is – above.`);
  return out;
}

/**
 * Operations and bytes by size, A's and B's reads and writes side by side:
 * bars over the fixed power-of-two bins [size, 2×size), every bin from the
 * smallest to the largest operation of either report present (an empty bin
 * is no bar, never a line drawn across it); B's bars hatched. A log y axis:
 * the two may differ by orders of magnitude.
 */
export function compareFigures(c: Comparison, a: Report, b: Report): Figure[] {
  if (!a.histogram || !b.histogram) return [];
  const lists = [octaves(a.histogram.read), octaves(a.histogram.write), octaves(b.histogram.read), octaves(b.histogram.write)];
  const { los, filled } = everyOctave(lists);
  if (los.length === 0) return [];
  const ranges = los.map((lo) => binRange(lo, sizeLabel));
  const series = [
    { name: `${c.a.name} reads`, bins: filled[0], color: COLORS.read, hatch: "" },
    { name: `${c.a.name} writes`, bins: filled[1], color: COLORS.write, hatch: "" },
    { name: `${c.b.name} reads`, bins: filled[2], color: COLORS.read, hatch: "/" },
    { name: `${c.b.name} writes`, bins: filled[3], color: COLORS.write, hatch: "/" },
  ].filter((s) => s.bins.some((o) => o.count > 0));
  const xaxis = { title: { text: "bytes per operation (bins of [size, 2×size))" }, type: "category", tickvals: los, ticktext: los.map(sizeLabel) };
  const figure = (id: string, title: string, y: (o: Octave) => number, unit: string, cell: (v: number) => string): Figure => ({
    id,
    title,
    data: series.map((s) => ({
      type: "bar",
      name: s.name,
      x: los,
      // A bin without operations has no bar (a log axis has no 0).
      y: s.bins.map((o) => (o.count > 0 ? y(o) : null)),
      customdata: ranges,
      marker: { color: s.color, pattern: { shape: s.hatch } },
      hovertemplate: `%{customdata}: %{y:,} ${unit}<extra>${s.name}</extra>`,
    })),
    layout: baseLayout(title, xaxis, { title: { text: unit }, type: "log", rangemode: "normal" }, { barmode: "group", bargap: 0.15 }),
    text: compareTable(`${title} (each row is [size, 2×size)):`, series, y, cell),
  });
  return [
    figure("compare-ops", "Operations by size", (o) => o.count, "operations", thousands),
    figure("compare-bytes", "Bytes moved by size", (o) => o.sum, "bytes", humanBytes),
  ];
}

/** A comparison chart as text (where no script runs): a row per size bin, a column per series. */
function compareTable(heading: string, series: { name: string; bins: Octave[] }[], y: (o: Octave) => number, cell: (v: number) => string): string[] {
  const { los, filled } = everyOctave(series.map((s) => s.bins));
  const columns = series.map((s, i) => ({ name: printable(s.name), cells: filled[i].map((o) => cell(y(o))) }));
  const widths = columns.map((c) => Math.max(c.name.length, ...c.cells.map((v) => v.length)));
  return [
    heading,
    `${"".padStart(8)}  ${columns.map((c, i) => c.name.padStart(widths[i])).join("  ")}`,
    ...los.map((lo, r) => `${sizeLabel(lo).padStart(8)}  ${columns.map((c, i) => c.cells[r].padStart(widths[i])).join("  ")}`),
  ];
}

/** The comparison's section: verdict, table, overlaid histograms. */
export function compareHtml(c: Comparison, a: Report, b: Report, figureHtml: (f: Figure, id: string) => string, idPrefix = "iops-compare"): SafeHtml {
  const rows = c.rows.map((r) => html`<tr><th scope="row">${r.label}</th><td class="num">${r.aText}</td><td class="num">${r.bText}</td><td class="num">${ratioText(r.ratio)}</td></tr>`);
  const figures = compareFigures(c, a, b).map((f) => trusted(figureHtml(f, `${idPrefix}-${f.id}`)));
  return html`<section id="compare"><p class="verdict"><strong>${c.verdict}.</strong></p>
<table class="compare"><thead><tr><th></th><th>${c.a.name}</th><th>${c.b.name}</th><th>B/A</th></tr></thead><tbody>${rows}</tbody></table>
${figures.length > 0 ? html`<div class="charts">${figures}</div>` : html`<p class="none">No size histograms from ${c.a.method === c.b.method ? "this source" : "these sources"}, so no charts.</p>`}</section>`;
}

/** Operations compared, for the subtitle: "A 10,000 ops, B 1 op". */
export function compareSubtitle(c: Comparison): string {
  const ops = c.rows.find((r) => r.id === "totalOps")!;
  return `${c.a.name}: ${ops.a === null ? "–" : thousands(ops.a)} operations; ${c.b.name}: ${ops.b === null ? "–" : thousands(ops.b)}`;
}

/**
 * The notebook's display of two kept reports compared: `text/plain` (the
 * terminal's lines, then the charts as text) and `text/html` (verdict,
 * table, overlaid histograms, each with its text shown where no script
 * runs). Its charts wait for Plotly on the page as the profiled cells'
 * charts do; `embedPlotly`: this output carries the bundle (see
 * tslab/plotly-carrier.ts).
 */
export function compareDisplay(aName: string, a: Report, bName: string, b: Report, embedPlotly: boolean): Record<string, string> {
  const c = compareReports(a, b, aName, bName);
  const uid = randomBytes(6).toString("hex");
  const loader = embedPlotly ? plotlyLoaderHtml() : "";
  const section = compareHtml(c, a, b, (f, id) => notebookFigureHtml(f, id), `iops-${uid}`).markup;
  // No height for the charts here: a chart takes it as it is drawn (notebookFigureHtml).
  const style = `<style>.iops-compare table { border-collapse: collapse; } .iops-compare th, .iops-compare td { border: 1px solid rgba(128,128,128,0.35); padding: 2px 8px; } .iops-compare td.num { text-align: right; }</style>`;
  const plain = [...compareTextLines(c), ...compareFigures(c, a, b).flatMap((f) => ["", ...(f.text ?? [])])];
  return { "text/plain": plain.join("\n"), "text/html": `<div class="iops-compare">${style}${loader}\n${section}</div>` };
}
