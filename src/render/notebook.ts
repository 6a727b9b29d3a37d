/**
 * What a profiled cell shows: one Jupyter display with `text/plain` (the
 * terminal's report) and `text/html` (the same view as tables, plus the
 * interactive charts with --histogram: the HTML page's figures, from
 * charts.ts), with the findings on top. The one place the notebook output
 * is laid out; what it shows comes from the view model (src/view/view.ts).
 */
import { randomBytes } from "node:crypto";

import type { Report } from "../report";
import { printable, printablePath } from "../view/printable";
import { humanBytes, humanDuration, thousands } from "../view/units";
import { accessLabel, buildView, flagsMark, percent, type ReportView } from "../view/view";
import { viewFigures } from "./charts";
import { escapeHtml } from "./html/escape";
import { findingsListHtml } from "./html/sections";
import { figureHtml, plotlySource } from "./plotly";
import { noteLine, renderText, sizeHistogramLines } from "./text";

/** The one escaping function of every HTML output (src/render/html/escape.ts). */
export { escapeHtml };

export interface DisplayOptions {
  histogram: boolean;
  /** Add the size-over-time heatmaps (operations and bytes); `%%iops --heatmap`. */
  heatmap?: boolean;
  /** How many files to list. */
  top: number;
  /** A one-line notice shown above the results (why counters replaced tracing, ...). */
  notice?: string | null;
}

/** A Jupyter MIME bundle. */
export type MimeBundle = Record<string, string>;

/**
 * Theme-neutral styles: text takes the notebook's colour, lines and shading
 * are translucent grey, so the table reads in light and dark themes alike.
 */
const STYLE = `<style>
.iops-report { font-size: 13px; color: inherit; }
.iops-report table { border-collapse: collapse; margin: 4px 0 8px; color: inherit; background: transparent; }
.iops-report caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
.iops-report th, .iops-report td { border: 1px solid rgba(128,128,128,0.35); padding: 2px 8px; background: transparent; color: inherit; }
.iops-report th { text-align: left; font-weight: normal; background: rgba(128,128,128,0.12); }
.iops-report td.num { text-align: right; font-variant-numeric: tabular-nums; }
.iops-report .iops-notice { border-left: 3px solid rgba(230,160,0,0.8); padding: 2px 8px; margin: 4px 0; }
.iops-report ul { margin: 4px 0; padding-left: 20px; }
.iops-report pre { margin: 4px 0; background: transparent; color: inherit; }
.iops-report .iops-chart { width: 100%; max-width: 760px; height: 360px; }
.iops-report .iops-findings strong { font-weight: 600; }
.iops-report .iops-findings .advice { opacity: 0.75; }
</style>`;

function summaryTable(view: ReportView): string {
  const rows = view.summary
    .map(({ label, value }) => `<tr><th>${escapeHtml(label)}</th><td class="num">${escapeHtml(value)}</td></tr>`)
    .join("");
  return `<table class="iops-summary"><caption>${escapeHtml(view.heading)}</caption><tbody>${rows}</tbody></table>`;
}

function filesTable(view: ReportView, top: number): string {
  const files = view.files ?? [];
  if (files.length === 0) return "";
  const timed = view.fileTimes;
  const rows = files
    .slice(0, top)
    .map(
      (f) =>
        `<tr><td class="num">${thousands(f.readOps)}</td><td class="num">${thousands(f.writeOps)}</td>` +
        `<td class="num">${humanBytes(f.readBytes)}</td><td class="num">${humanBytes(f.writeBytes)}</td>` +
        (timed ? `<td class="num">${typeof f.seconds === "number" ? humanDuration(f.seconds) : "–"}</td>` : "") +
        `<td>${escapeHtml(accessLabel(f))}</td><td>${escapeHtml(printablePath(f.path) + flagsMark(f))}</td></tr>`,
    )
    .join("");
  return (
    `<table class="iops-files"><caption>Top files (${Math.min(top, files.length)} of ${files.length})</caption>` +
    `<thead><tr><th>reads</th><th>writes</th><th>read</th><th>written</th>${timed ? "<th>time</th>" : ""}<th>access</th><th>path</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

/** Where the time goes, per kind of call. */
function timeTable(view: ReportView): string {
  const time = view.time;
  if (!time || time.rows.length === 0) return "";
  const dur = (s: number | null) => (s === null ? "–" : humanDuration(s));
  const rows = time.rows
    .map(
      (r) =>
        `<tr data-kind="${escapeHtml(r.kind)}"><td>${escapeHtml(r.label)}</td><td class="num">${thousands(r.calls)}</td><td class="num">${thousands(r.failed)}</td>` +
        `<td class="num">${dur(r.totalSeconds)}</td><td class="num">${dur(r.meanSeconds)}</td><td class="num">${dur(r.p99Seconds)}</td><td class="num">${r.shareOfElapsed === null ? "–" : percent(r.shareOfElapsed)}</td></tr>`,
    )
    .join("");
  return (
    `<table class="iops-time"><caption>${escapeHtml(time.heading)}</caption>` +
    `<thead><tr><th>kind</th><th>calls</th><th>failed</th><th>total</th><th>mean</th><th>p99</th><th>share</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

/** Files mapped with mmap, with the note that their page-fault I/O is not counted. */
function mappingsTable(view: ReportView, top: number): string {
  const maps = view.mappings;
  if (!maps || maps.data.length === 0) return "";
  const rows = maps.data
    .slice(0, top)
    .map(
      (m) =>
        `<tr><td class="num">${thousands(m.maps)}</td><td class="num">${humanBytes(m.bytes)}</td><td>${escapeHtml(m.prot || "none")}</td><td>${m.shared ? "shared" : "private"}</td><td>${escapeHtml(printablePath(m.path))}</td></tr>`,
    )
    .join("");
  return (
    `<table class="iops-mappings"><caption>Mapped files (mmap)</caption>` +
    `<thead><tr><th>maps</th><th>mapped</th><th>prot</th><th>sharing</th><th>path</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p>${escapeHtml(maps.note)}.</p>`
  );
}

/** The findings (many small random reads, tiny writes, ...), when there are any. */
function findingsBlock(view: ReportView): string {
  const found = view.findings;
  return found.length ? `<div class="iops-findings"><strong>Findings</strong>${findingsListHtml(found).markup}</div>` : "";
}

function list(lines: string[]): string {
  return lines.length ? `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>` : "";
}

/**
 * The charts, drawn by the embedded Plotly (no network). Plotly is defined
 * once per page; the text histogram stays visible where scripts do not run
 * (a saved notebook on a code-hosting site, an untrusted notebook) and is
 * hidden once the charts are drawn.
 */
function chartsHtml(view: ReportView, uid: string, options: { histogram: boolean; heatmap: boolean }): string {
  const text = options.histogram
    ? `<pre id="iops-${uid}-text-histogram" class="iops-text-histogram">${escapeHtml(sizeHistogramLines(view).join("\n"))}</pre>`
    : "";
  const all = viewFigures(view, { heatmap: options.heatmap });
  const figures = options.histogram ? all : all.filter((f) => f.id.startsWith("heatmap-"));
  if (figures.length === 0) return text;
  const loader = `<script>if (!window.Plotly) {\n${plotlySource()}\n}</script>`;
  const charts = figures.map((f) => figureHtml(f, `iops-${uid}-${f.id}`)).join("\n");
  const hideText = `<script>(function () { var t = document.getElementById("iops-${uid}-text-histogram"); if (t && window.Plotly) t.style.display = "none"; })();</script>`;
  return `${text}\n${loader}\n${charts}\n${hideText}`;
}

/** The display of one profiled cell or line. */
export function notebookDisplay(report: Report, options: DisplayOptions): MimeBundle {
  const view = buildView(report);
  const notice = options.notice ? `iops: ${options.notice}` : null;
  const plain = (notice ? printable(notice) + "\n" : "") + renderText(view, { histogram: options.histogram, topFiles: options.top });

  const uid = randomBytes(6).toString("hex");
  const metadata = view.metadataLine;
  const html = [
    `<div class="iops-report" id="iops-${uid}">`,
    STYLE,
    notice ? `<div class="iops-notice">${escapeHtml(notice)}</div>` : "",
    findingsBlock(view),
    view.time?.leads ? timeTable(view) : "",
    summaryTable(view),
    list(view.notes.map(noteLine)),
    filesTable(view, options.top),
    mappingsTable(view, options.top),
    view.time?.leads ? "" : timeTable(view),
    metadata ? `<p>${escapeHtml(metadata)}</p>` : "",
    options.histogram || options.heatmap ? chartsHtml(view, uid, { histogram: options.histogram, heatmap: options.heatmap ?? false }) : "",
    list(view.warnings.map((w) => `Warning: ${w}`)),
    `</div>`,
  ]
    .filter(Boolean)
    .join("\n");
  return { "text/plain": plain, "text/html": html };
}
