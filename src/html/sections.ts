/**
 * The sections of the HTML report, each a function from a report (or its
 * findings) to HTML. The page assembles them; a notebook output can show
 * any of them on its own. Every value goes through `html`, which escapes it.
 */
import type { Finding } from "../findings";
import { NO_TIME_PASSED, bytesWithExact, humanBytes, humanDuration, humanNs, methodLabel, thousands } from "../format";
import type { AccessSummary, FileReport, LatencySummary, Report } from "../report";
import { html, type SafeHtml } from "./escape";

/** Files listed at most in the page's table (the busiest first, as the report orders them). */
export const MAX_FILE_ROWS = 2000;

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : "–");

/** Figures that need a clock are null from a source without one (a log without timestamps). */
const NO_CLOCK = "unknown (no timestamps)";
const timed = (v: number | null | undefined, show: (v: number) => string) => (v === null || v === undefined ? NO_CLOCK : show(v));
/** A rate: unknown without a clock, or over a window of no measurable length. */
const rate = (report: Report, v: number | null, show: (v: number) => string) =>
  v === null && report.elapsedSeconds === 0 ? NO_TIME_PASSED : timed(v, show);

/** The reference tool's results table, plus the lines of what it did not count. */
export function summaryHtml(report: Report): SafeHtml {
  const s = report.summary;
  const rows: [string, string][] = [
    ["Execution time", timed(report.elapsedSeconds, (v) => `${v.toFixed(4)} seconds`)],
    ["Read operations", thousands(s.readOps)],
    ["Write operations", thousands(s.writeOps)],
    ["Total operations", thousands(s.totalOps)],
    ["Bytes read", bytesWithExact(s.readBytes)],
    ["Bytes written", bytesWithExact(s.writeBytes)],
    ["Total bytes", bytesWithExact(s.totalBytes)],
    ["IOPS", rate(report, s.iops, (v) => v.toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 }))],
    ["Throughput", rate(report, s.throughputBytesPerSecond, (v) => `${humanBytes(v)}/s`)],
  ];
  const notes: string[] = [];
  const o = report.otherFds;
  if (o && !report.allFds && o.totalOps > 0) {
    notes.push(`Not counted above (sockets, pipes, ttys): ${thousands(o.readOps)} reads, ${thousands(o.writeOps)} writes, ${bytesWithExact(o.totalBytes)}.`);
  }
  if (report.storage) {
    notes.push(`Storage level: ${bytesWithExact(report.storage.readBytes)} read, ${bytesWithExact(report.storage.writeBytes)} written (${report.storage.source}).`);
  }
  if (report.failedOps && report.failedOps.total > 0) {
    const by = Object.entries(report.failedOps.byErrno).map(([e, n]) => `${e} ${thousands(n)}`);
    notes.push(`Failed calls (not counted as operations): ${thousands(report.failedOps.total)} (${by.join(", ")}).`);
  }
  const lat = (name: string, l: LatencySummary | null) =>
    l ? `${name} mean ${humanNs(l.meanNs)}, p50 ${humanNs(l.p50Ns)}, p99 ${humanNs(l.p99Ns)}, max ${humanNs(l.maxNs)}` : null;
  if (report.latency) {
    const parts = [lat("read", report.latency.read), lat("write", report.latency.write)].filter((x) => x !== null);
    if (parts.length > 0) notes.push(`Latency per operation (as traced): ${parts.join("; ")}.`);
  }
  return html`<section id="summary"><h2>Summary</h2>
<table class="summary">${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</table>
${notes.map((n) => html`<p class="note">${n}</p>`)}</section>`;
}

/** The findings as a list, or a line saying none of the known problems showed (for any host page). */
export function findingsListHtml(list: Finding[]): SafeHtml {
  return list.length === 0
    ? html`<p class="none">None of the known problems (small random I/O, many small files, tiny writes, fsync per write) showed in this run.</p>`
    : html`<ul class="iops-findings">${list.map((f) => html`<li data-kind="${f.kind}"><strong>${f.text}</strong> <span class="advice">${f.advice}</span></li>`)}</ul>`;
}

/** The page's findings section. */
export function findingsHtml(list: Finding[]): SafeHtml {
  return html`<section id="findings"><h2>Findings</h2>${findingsListHtml(list)}</section>`;
}

function accessTitle(f: FileReport): string {
  const one = (name: string, a: AccessSummary | null) =>
    a
      ? `${name}: ${a.sequentialOps} sequential, ${a.stridedOps} strided, ${a.randomOps} random` +
        (a.unknownOps ? `, ${a.unknownOps} of unknown offset` : "") +
        (a.strideBytes !== null ? ` (stride ${a.strideBytes} B)` : "")
      : `${name}: none`;
  return `${one("reads", f.readAccess ?? null)}; ${one("writes", f.writeAccess ?? null)}`;
}

/** One row per file, sortable by any column (click a header). */
export function filesHtml(report: Report): SafeHtml {
  if (!report.files) return html`<section id="files"><h2>Files</h2><p class="none">Not available from this source (${methodLabel(report.method)}).</p></section>`;
  const files = report.files.filter((f) => report.allFds || f.kind === "file" || f.kind === "blockDevice");
  if (files.length === 0) return html`<section id="files"><h2>Files</h2><p class="none">No file was read or written.</p></section>`;
  const shown = files.slice(0, MAX_FILE_ROWS);
  const num = (v: number, text: string) => html`<td class="num" data-value="${v}">${text}</td>`;
  const rows = shown.map((f) => {
    const ops = f.readOps + f.writeOps;
    const bytes = f.readBytes + f.writeBytes;
    const mean = ops > 0 ? bytes / ops : 0;
    return html`<tr><td class="path" data-value="${f.path}">${f.path}</td><td data-value="${f.kind}">${f.kind}</td>${num(f.readOps, thousands(f.readOps))}${num(f.writeOps, thousands(f.writeOps))}${num(f.readBytes, humanBytes(f.readBytes))}${num(f.writeBytes, humanBytes(f.writeBytes))}${num(mean, humanBytes(Math.round(mean)))}<td class="pattern" data-value="${f.pattern ?? "unknown"}" title="${accessTitle(f)}">${f.pattern ?? "unknown"}</td>${num(ops > 0 ? (f.smallOps ?? 0) / ops : 0, f.smallOps === undefined ? "–" : pct(f.smallOps, ops))}</tr>`;
  });
  const th = (label: string, type: "number" | "text", title: string) => html`<th data-type="${type}" title="${title}" tabindex="0">${label}</th>`;
  const more = files.length > shown.length ? html`<p class="note">The ${thousands(shown.length)} busiest of ${thousands(files.length)} files are listed; the JSON report has them all.</p>` : "";
  return html`<section id="files"><h2>Files</h2><p class="note">${thousands(files.length)} files. Click a column to sort. Access: sequential (each operation starts where the previous ended), strided (fixed gaps), random; hover for the counts.</p>
<table class="files sortable"><thead><tr>${th("path", "text", "the file as /proc showed it")}${th("kind", "text", "file, blockDevice, ...")}${th("reads", "number", "read operations")}${th("writes", "number", "write operations")}${th("read", "number", "bytes read")}${th("written", "number", "bytes written")}${th("mean size", "number", "bytes per operation")}${th("access", "text", "the pattern of most operations")}${th("small", "number", "share of operations under 4 KiB")}</tr></thead>
<tbody>${rows}</tbody></table>${more}</section>`;
}

/** Opens, closes, stats, fsyncs, ...: the calls behind "too many small files". */
export function metadataHtml(report: Report): SafeHtml {
  const m = report.metadataOps;
  if (!m) return html`<section id="metadata"><h2>Metadata calls</h2><p class="none">Not available from this source.</p></section>`;
  const cells: [string, number][] = [
    ["opens", m.opens],
    ["closes", m.closes],
    ["stats", m.stats],
    ["fsyncs", m.fsyncs],
    ["unlinks", m.unlinks],
    ["renames", m.renames],
    ["getdents", m.getdents],
    ["total", m.total],
    ["failed", m.failed],
  ];
  return html`<section id="metadata"><h2>Metadata calls</h2><table class="metadata"><tr>${cells.map(([k]) => html`<th>${k}</th>`)}</tr><tr>${cells.map(([, v]) => html`<td class="num">${thousands(v)}</td>`)}</tr></table></section>`;
}

export function warningsHtml(report: Report): SafeHtml {
  if (report.warnings.length === 0) return html``;
  return html`<section id="warnings"><h2>Warnings</h2><ul>${report.warnings.map((w) => html`<li>${w}</li>`)}</ul></section>`;
}

/** How the figures were measured: method, command, window, host, exit. */
export function methodHtml(report: Report): SafeHtml {
  const rows: [string, string][] = [["Method", `${methodLabel(report.method)} (${report.method})`]];
  if (report.command) rows.push(["Command", report.command.map(shellWord).join(" ")]);
  if (report.pid !== null) rows.push(["Process id", String(report.pid)]);
  rows.push(["Duration", timed(report.elapsedSeconds, humanDuration)]);
  if (report.host) rows.push(["Host", `${report.host.name} (${report.host.platform} ${report.host.release}, ${report.host.arch})`]);
  rows.push(["Scope", report.allFds ? "all fds (sockets, pipes and ttys included)" : "regular files and block devices"]);
  if (report.exit) {
    const e = report.exit;
    rows.push(["Exit", e.signal ? `killed by ${e.signal} (${e.signalNumber})` : `status ${e.code}`]);
  }
  return html`<section id="method"><h2>How it was measured</h2><table class="method">${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</table></section>`;
}

/** A word as a shell would need it quoted, for showing a command line. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
