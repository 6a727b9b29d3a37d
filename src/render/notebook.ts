/**
 * What a profiled cell shows: one Jupyter display with `text/plain` (the
 * terminal's report) and `text/html` (the same view as tables, with the
 * findings on top and, with --histogram, the text histogram), then with
 * --histogram one display per chart (the HTML page's figures, from
 * charts.ts). The one place the notebook output is laid out; what it shows
 * comes from the view model (src/view/view.ts).
 *
 * A chart display is Plotly's own Jupyter shape: the figure as
 * `application/vnd.plotly.v1+json` (drawn natively where the frontend has a
 * Plotly renderer: JupyterLab with jupyterlab-plotly, VS Code) beside
 * `text/html` that draws it with the Plotly bundle. The bundle (1.2 MB) is
 * in one chart output per notebook (`embedPlotly`); the others wait for it
 * on the page. Where no script runs (an untrusted notebook, a code-hosting
 * site's viewer, an export read with JavaScript off) each chart shows as
 * text (its `Figure.text`, from chart-text.ts) and the report's text
 * histogram stays visible; the report's text/plain carries every chart's
 * text too (the one chart displays' text/plain is their title).
 */
import { randomBytes } from "node:crypto";

import type { Report } from "../report";
import { printable, printablePath } from "../view/printable";
import { humanBytes, humanDuration, thousands } from "../view/units";
import { accessLabel, buildView, flagsMark, mappingMark, percent, type ReportView } from "../view/view";
import { viewFigures, type Figure } from "./charts";
import { escapeHtml } from "./html/escape";
import { findingsListHtml } from "./html/sections";
import { drawnData, notebookFigureHtml, PLOTLY_CONFIG, plotlyLoaderHtml } from "./plotly";
import { sizeHistogramLines } from "./chart-text";
import { noteLine, renderText } from "./text";

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
  /**
   * Whether these charts carry the Plotly bundle: asked once, only when
   * there are charts. Default: yes (a display that stands alone). The
   * magics answer yes for one output per kernel (src/tslab/plotly-carrier.ts).
   */
  embedPlotly?: () => boolean;
}

/**
 * A Jupyter MIME bundle: text types as strings, JSON types
 * (`application/vnd.plotly.v1+json`) as objects.
 */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

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
        `<tr><td class="num">${thousands(m.maps)}</td><td class="num">${humanBytes(m.bytes)}</td><td>${escapeHtml(m.prot || "none")}</td><td>${m.shared ? "shared" : "private"}</td><td>${escapeHtml(printablePath(m.path) + mappingMark(m))}</td></tr>`,
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
 * The text histogram: visible where no script runs, hidden by the first
 * chart drawn.
 */
function textHistogram(view: ReportView, uid: string): string {
  return `<pre id="iops-${uid}-text-histogram" class="iops-text-histogram">${escapeHtml(sizeHistogramLines(view).join("\n"))}</pre>`;
}

/** The charts a cell shows: with --histogram all of them, with --heatmap alone only the heatmaps. */
function cellFigures(view: ReportView, options: { histogram: boolean; heatmap: boolean }): Figure[] {
  if (!options.histogram && !options.heatmap) return [];
  const all = viewFigures(view, { heatmap: options.heatmap });
  return options.histogram ? all : all.filter((f) => f.id.startsWith("heatmap-"));
}

/** One display per chart; the first carries Plotly when `embed` says so. */
function chartDisplays(figures: Figure[], uid: string, embed: () => boolean): MimeBundle[] {
  if (figures.length === 0) return [];
  const loader = embed() ? plotlyLoaderHtml() + "\n" : "";
  const hideText = `var t = document.getElementById("iops-${uid}-text-histogram"); if (t) t.style.display = "none";`;
  return figures.map((f, i) => ({
    "application/vnd.plotly.v1+json": { data: drawnData(f.data), layout: f.layout, config: PLOTLY_CONFIG },
    "text/html": `${i === 0 ? loader : ""}${notebookFigureHtml(f, `iops-${uid}-${f.id}`, hideText)}`,
    "text/plain": `[chart: ${f.title}]`,
  }));
}

/**
 * What one profiled cell or line shows: the report's display, then with
 * --histogram one display per chart (none for a counters-only report).
 */
export function notebookDisplays(report: Report, options: DisplayOptions): MimeBundle[] {
  const view = buildView(report);
  const uid = randomBytes(6).toString("hex");
  const figures = cellFigures(view, { histogram: options.histogram, heatmap: options.heatmap ?? false });
  return [reportDisplay(view, uid, options, figures), ...chartDisplays(figures, uid, options.embedPlotly ?? (() => true))];
}

/** The report's display alone (tables, findings, text histogram; no charts). */
export function notebookDisplay(report: Report, options: DisplayOptions): MimeBundle {
  return reportDisplay(buildView(report), randomBytes(6).toString("hex"), options);
}

/**
 * The report's display; `figures`, the charts shown after it, also as text
 * in its text/plain (but the size histogram's, which the text has already).
 */
function reportDisplay(view: ReportView, uid: string, options: DisplayOptions, figures: Figure[] = []): { "text/plain": string; "text/html": string } {
  const notice = options.notice ? `iops: ${options.notice}` : null;
  const pictures = figures.filter((f) => f.text && !(options.histogram && f.id === "size-count")).map((f) => f.text!);
  const plain = (notice ? printable(notice) + "\n" : "") + renderText(view, { histogram: options.histogram, topFiles: options.top, pictures });

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
    options.histogram ? textHistogram(view, uid) : "",
    list(view.warnings.map((w) => `Warning: ${w}`)),
    `</div>`,
  ]
    .filter(Boolean)
    .join("\n");
  return { "text/plain": plain, "text/html": html };
}
