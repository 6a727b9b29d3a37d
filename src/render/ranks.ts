/**
 * The per-process table of a merged report, laid out from `ranksView`: as
 * text lines for the terminal, as a sortable table and two charts for the
 * page (bytes per process, and time in I/O against elapsed per process).
 */
import type { Report } from "../report";
import { printable } from "../view/printable";
import { ranksView, type RanksView } from "../view/ranks";
import { humanBytes, humanDuration, thousands } from "../view/units";
import type { Figure } from "./charts";
import { html, trusted, type SafeHtml } from "./html/escape";

const ratio = (x: number | null) => (x === null ? "–" : `${x.toFixed(2)}×`);
const seconds = (s: number | null) => (s === null ? "–" : humanDuration(s));

/** The headline of the table: how many processes and hosts, how uneven. */
function headline(v: RanksView): string {
  const hosts = v.hosts.length === 1 ? "1 host" : `${v.hosts.length} hosts`;
  return `${thousands(v.lines.length)} processes on ${hosts}; bytes busiest/mean ${ratio(v.bytesMaxOverMean)}, elapsed longest/median ${ratio(v.elapsedMaxOverMedian)}`;
}

/** The terminal's per-process lines (at most `top` rows: the busiest by bytes, in rank order); empty for one process's report. */
export function ranksTextLines(report: Report, top = 10): string[] {
  const v = ranksView(report);
  if (!v) return [];
  const shown = v.lines.length <= top ? v.lines : [...v.lines].sort((a, b) => b.bytes - a.bytes).slice(0, top).sort((a, b) => (a.row.rank ?? Infinity) - (b.row.rank ?? Infinity));
  const out = [`Per process (${headline(v)}):`];
  out.push(`  ${"process".padEnd(12)} ${"host".padEnd(12)} ${"ops".padStart(10)} ${"bytes".padStart(11)} ${"share".padStart(6)} ${"I/O time".padStart(10)} ${"elapsed".padStart(10)}`);
  for (const l of shown) {
    out.push(
      `  ${printable(l.label).padEnd(12)} ${printable(l.row.host ?? "–").padEnd(12)} ${thousands(l.ops).padStart(10)} ${humanBytes(l.bytes).padStart(11)} ${`${Math.round(100 * l.shareOfBytes)}%`.padStart(6)} ${seconds(l.row.ioSeconds).padStart(10)} ${seconds(l.row.elapsedSeconds).padStart(10)}`,
    );
  }
  if (shown.length < v.lines.length) out.push(`  (the ${shown.length} busiest of ${thousands(v.lines.length)} processes; --json and --html have them all)`);
  if (v.hosts.length > 1) {
    out.push("Per host:");
    for (const h of v.hosts) out.push(`  ${printable(h.host).padEnd(24)} ${String(h.processes).padStart(5)} processes ${thousands(h.ops).padStart(10)} ops ${humanBytes(h.bytes).padStart(11)}`);
  }
  return out;
}

/** Processes listed at most in the page's table. */
const MAX_ROWS = 2000;

/** The page's per-process section: table (sortable) and its charts; empty for one process's report. */
export function ranksHtml(report: Report, figureHtml: (f: Figure, id: string) => string): SafeHtml {
  const v = ranksView(report);
  if (!v) return html``;
  const num = (value: number, text: string) => html`<td class="num" data-value="${value}">${text}</td>`;
  const rows = v.lines.slice(0, MAX_ROWS).map(
    (l) =>
      html`<tr><td data-value="${l.row.rank ?? -1}">${l.label}</td><td>${l.row.host ?? "–"}</td>${num(l.row.pid ?? 0, l.row.pid === null ? "–" : String(l.row.pid))}${num(l.row.readOps, thousands(l.row.readOps))}${num(l.row.writeOps, thousands(l.row.writeOps))}${num(l.bytes, humanBytes(l.bytes))}${num(l.shareOfBytes, `${Math.round(100 * l.shareOfBytes)}%`)}${num(l.row.ioSeconds ?? -1, seconds(l.row.ioSeconds))}${num(l.row.elapsedSeconds ?? -1, seconds(l.row.elapsedSeconds))}${num(l.elapsedOverMedian ?? -1, ratio(l.elapsedOverMedian))}</tr>`,
  );
  const th = (label: string, type: "number" | "text") => html`<th data-type="${type}" tabindex="0">${label}</th>`;
  const figures = ranksFigures(v).map((f) => trusted(figureHtml(f, `iops-ranks-${f.id}`)));
  return html`<section id="ranks"><h2>Per process</h2><p class="note">${headline(v)}. Click a column to sort.</p>
<table class="ranks sortable"><thead><tr>${th("process", "number")}${th("host", "text")}${th("pid", "number")}${th("reads", "number")}${th("writes", "number")}${th("bytes", "number")}${th("share", "number")}${th("I/O time", "number")}${th("elapsed", "number")}${th("vs median", "number")}</tr></thead>
<tbody>${rows}</tbody></table><div class="charts">${figures}</div></section>`;
}

/** Bytes per process (read and written, stacked), and time in I/O against elapsed per process. */
export function ranksFigures(v: RanksView): Figure[] {
  const x = v.lines.map((l) => l.label);
  const layout = (title: string, y: string) => ({
    title: { text: title },
    barmode: "stack",
    xaxis: { title: { text: "process" }, type: "category" },
    yaxis: { title: { text: y } },
    legend: { orientation: "h", y: -0.28 },
    margin: { t: 50, r: 20, b: 90, l: 70 },
  });
  const figures: Figure[] = [
    {
      id: "bytes",
      title: "Bytes per process",
      data: [
        { type: "bar", name: "read", x, y: v.lines.map((l) => l.row.readBytes), marker: { color: "#1f77b4" } },
        { type: "bar", name: "written", x, y: v.lines.map((l) => l.row.writeBytes), marker: { color: "#d62728" } },
      ],
      layout: layout("Bytes per process", "bytes"),
    },
  ];
  if (v.lines.some((l) => l.row.elapsedSeconds !== null)) {
    figures.push({
      id: "time",
      title: "Time per process",
      data: [
        { type: "bar", name: "in reads and writes", x, y: v.lines.map((l) => l.row.ioSeconds ?? 0), marker: { color: "#ff7f0e" } },
        { type: "bar", name: "elapsed", x, y: v.lines.map((l) => l.row.elapsedSeconds ?? 0), marker: { color: "#7f7f7f" } },
      ],
      layout: { ...layout("Time per process", "seconds"), barmode: "group" },
    });
  }
  return figures;
}
