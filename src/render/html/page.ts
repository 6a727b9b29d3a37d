/**
 * The HTML report: one self-contained page (Plotly inlined, no request to
 * anywhere) that can be opened offline, kept and sent, laid out from the
 * view model. A pure function of the report: the same report renders the
 * same bytes.
 */
import { writeOutputFile } from "../../output";
import type { Report } from "../../report";
import { buildView, type ReportView } from "../../view/view";
import { viewFigures } from "../charts";
import { figureHtml, plotlySource } from "../plotly";
import { html, trusted, type SafeHtml } from "./escape";
import { ranksHtml } from "../ranks";
import { filesHtml, findingsHtml, mappingsHtml, metadataHtml, methodHtml, summaryHtml, timeHtml, warningsHtml } from "./sections";

/** Nothing may be fetched: scripts and styles are inline, images only data: URLs (Plotly's own). */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:";

const STYLE = `
:root { color-scheme: light dark; --fg: #222; --bg: #fff; --muted: #777; --line: #ddd; --accent: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --fg: #ddd; --bg: #1b1b1b; --muted: #999; --line: #444; --accent: #f2b8b5; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1200px; padding: 1em 2em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid var(--line); }
.subtitle, .note, .none { color: var(--muted); }
table { border-collapse: collapse; } th, td { padding: 2px 10px; text-align: left; border-bottom: 1px solid var(--line); }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.path { word-break: break-all; font-family: ui-monospace, monospace; }
table.summary th { font-weight: normal; color: var(--muted); } table.summary th, table.method th { white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap; }
table.sortable th[aria-sort=ascending]::after { content: " ▲"; } table.sortable th[aria-sort=descending]::after { content: " ▼"; }
#findings li { margin: 0.3em 0; } #findings strong { color: var(--accent); font-weight: 600; } .advice { color: var(--muted); }
/* auto-fill, not auto-fit: each chart is drawn as soon as it is parsed and must get its final width then. */
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1em; } .iops-chart { min-height: 360px; }
`;

/** Sorts a table.sortable by the clicked column: numbers by data-value, text alphabetically. */
export const SORT_SCRIPT = `
for (const table of document.querySelectorAll("table.sortable")) {
  const heads = [...table.tHead.rows[0].cells];
  const sortBy = (th) => {
    const col = heads.indexOf(th);
    const numeric = th.dataset.type === "number";
    const current = th.getAttribute("aria-sort");
    const dir = current ? (current === "ascending" ? -1 : 1) : (numeric ? -1 : 1);
    const key = (row) => row.cells[col].dataset.value ?? row.cells[col].textContent;
    const body = table.tBodies[0];
    const rows = [...body.rows].sort((a, b) =>
      dir * (numeric ? Number(key(a)) - Number(key(b)) : key(a).localeCompare(key(b))));
    body.append(...rows);
    for (const h of heads) h.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  };
  for (const th of heads) {
    th.addEventListener("click", () => sortBy(th));
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); } });
  }
}
`;

/** The charts of a report, each in its own element (`<prefix>-<figure id>`). */
export function chartsHtml(view: ReportView, idPrefix = "iops-fig"): SafeHtml {
  const all = viewFigures(view, { heatmap: true });
  if (all.length === 0) return html`<section id="charts"><h2>Charts</h2><p class="none">No per-operation data from this source, so no charts.</p></section>`;
  // A figure with nothing to draw (no operation in the window) is left out.
  // (A trace's points are its y values: a timeline gives x as x0 and dx.)
  const figures = all.filter((f) => f.data.some((trace) => ((trace as { y?: unknown[] }).y ?? []).length > 0));
  if (figures.length === 0) return html`<section id="charts"><h2>Charts</h2><p class="none">No operations in the window, so no charts.</p></section>`;
  return html`<section id="charts"><h2>Charts</h2><div class="charts">${figures.map((f) => trusted(figureHtml(f, `${idPrefix}-${f.id}`)))}</div></section>`;
}

/** The Plotly bundle in a <script>, safe against a "</script" in it. */
export function plotlyScript(): SafeHtml {
  return trusted(`<script>${plotlySource().replace(/<\/script/gi, "<\\/script")}</script>`);
}

/**
 * The whole page: findings first, then where the time goes when I/O calls
 * took a large share of the run, summary, charts (the size-over-time
 * heatmaps included), files, mapped files, where the time goes otherwise,
 * metadata, warnings, method.
 */
export function reportPage(report: Report): string {
  const view = buildView(report);
  const title = report.command
    ? `iops: ${report.command.join(" ")}`
    : report.pid !== null
      ? `iops: pid ${report.pid}`
      : report.ranks
        ? `iops: ${report.ranks.length} processes merged${report.jobId ? `, job ${report.jobId}` : ""}`
        : "iops report";
  const body = html`${findingsHtml(view.findings)}
${view.time?.leads ? timeHtml(view) : ""}
${summaryHtml(view)}
${chartsHtml(view)}
${ranksHtml(report, figureHtml)}
${filesHtml(view)}
${mappingsHtml(view)}
${view.time?.leads ? "" : timeHtml(view)}
${metadataHtml(view)}
${warningsHtml(view)}
${methodHtml(view)}
<script>${trusted(SORT_SCRIPT)}</script>`;
  return pageShell(title, "IOPS profile", title.replace(/^iops: /, ""), body);
}

/**
 * A whole self-contained page around `body`: the CSP that fetches
 * nothing, the style, Plotly inlined, a heading and its subtitle.
 */
export function pageShell(title: string, heading: string, subtitle: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="iops-profiler">
<title>${title}</title>
<style>${trusted(STYLE)}</style>
${plotlyScript()}
</head>
<body>
<h1>${heading}</h1>
<p class="subtitle">${subtitle}</p>
${body}
</body>
</html>
`.markup;
}

/** Writes the page to `path` (`-`: stdout), atomically (see output.ts); throws OutputPathError. */
export function writeReportPage(report: Report, path: string): void {
  writeOutputFile("--html", path, reportPage(report));
}
