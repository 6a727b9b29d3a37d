/**
 * The sections of the HTML report, each laid out from the view model (or
 * its findings). The page assembles them; a notebook output can show any
 * of them on its own. Every value goes through `html`, which escapes it.
 */
import type { Finding } from "../../view/findings";
import { humanBytes, humanDuration, thousands } from "../../view/units";
import { accessDetail, accessPattern, mappingMark, percent, sourceLabel, unknownTime, type ReportView, type SummaryId, type SummaryRow } from "../../view/view";
import { html, type SafeHtml } from "./escape";

/** Files listed at most in the page's table (the busiest first, as the report orders them). */
export const MAX_FILE_ROWS = 2000;

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : "–");

/** The page's labels for the results table (sentence case; the terminal keeps the reference tool's). */
const SUMMARY_LABEL: Record<SummaryId, string> = {
  elapsed: "Execution time",
  readOps: "Read operations",
  writeOps: "Write operations",
  totalOps: "Total operations",
  readBytes: "Bytes read",
  writeBytes: "Bytes written",
  totalBytes: "Total bytes",
  iops: "IOPS",
  throughput: "Throughput",
};

/** A row's label on the page: "Traced execution time", "Traced IOPS". */
function pageLabel(r: SummaryRow): string {
  const label = SUMMARY_LABEL[r.id];
  return r.qualifier === "traced" ? `Traced ${label.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}` : label;
}

/** The reference tool's results table, plus the lines of what it did not count. */
export function summaryHtml(view: ReportView): SafeHtml {
  return html`<section id="summary"><h2>Summary</h2>
<table class="summary">${view.summary.map((r) => html`<tr><th scope="row">${pageLabel(r)}</th><td>${r.value}</td></tr>`)}</table>
${view.notes.map((n) => html`<p class="note">${n.full ?? n.text}.</p>`)}</section>`;
}

/** The findings as a list, or a line saying none of the known problems showed (for any host page). */
export function findingsListHtml(list: Finding[]): SafeHtml {
  return list.length === 0
    ? html`<p class="none">None of the known problems (small random I/O, many small files, tiny writes, fsync per write) showed in this run.</p>`
    : html`<ul class="iops-findings">${list.map((f) => html`<li data-kind="${f.code}"><strong>${f.text}</strong> <span class="advice">${f.advice}</span></li>`)}</ul>`;
}

/** The page's findings section. */
export function findingsHtml(list: Finding[]): SafeHtml {
  return html`<section id="findings"><h2>Findings</h2>${findingsListHtml(list)}</section>`;
}

/**
 * Where the time goes: one row per kind of call (calls, failed, total,
 * mean, p99, share of the run), sortable; empty markup without durations.
 */
export function timeHtml(view: ReportView): SafeHtml {
  const time = view.time;
  if (!time || time.rows.length === 0) return html``;
  const num = (v: number, text: string) => html`<td class="num" data-value="${v}">${text}</td>`;
  const dur = (s: number | null) => (s === null ? num(-1, "–") : num(s, humanDuration(s)));
  const th = (label: string, type: "number" | "text", title: string) => html`<th data-type="${type}" title="${title}" tabindex="0">${label}</th>`;
  const rows = time.rows.map(
    (r) =>
      html`<tr data-kind="${r.kind}"><td data-value="${r.label}">${r.label}</td>${num(r.calls, thousands(r.calls))}${num(r.failed, thousands(r.failed))}${dur(r.totalSeconds)}${dur(r.meanSeconds)}${dur(r.p99Seconds)}${r.shareOfElapsed === null ? num(-1, "–") : num(r.shareOfElapsed, percent(r.shareOfElapsed))}</tr>`,
  );
  return html`<section id="time"><h2>Where the time goes</h2><p class="note">${time.heading.replace(/^Where the time goes: /, "")}. Time from each call's entry to its exit, as the source saw it; a share can pass 100% when threads wait at once.</p>
<table class="time sortable"><thead><tr>${th("kind", "text", "the kind of call")}${th("calls", "number", "calls that succeeded")}${th("failed", "number", "calls that failed, besides those")}${th("total", "number", "time in these calls")}${th("mean", "number", "time per call")}${th("p99", "number", "99th percentile of one call")}${th("share", "number", "total time / elapsed time")}</tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

/** Files mapped with mmap (data ones listed, code counted), with what is not counted. */
export function mappingsHtml(view: ReportView): SafeHtml {
  const maps = view.mappings;
  if (!maps || maps.data.length === 0) return html``;
  const rows = maps.data.map(
    (m) =>
      html`<tr><td class="path">${m.path}${mappingMark(m)}</td><td class="num" data-value="${m.maps}">${thousands(m.maps)}</td><td class="num" data-value="${m.bytes}">${humanBytes(m.bytes)}</td><td>${m.prot || "none"}</td><td>${m.shared ? "shared" : "private"}</td></tr>`,
  );
  const codeFiles = new Set(maps.code.map((m) => m.path)).size;
  const code = codeFiles ? html` ${codeFiles === 1 ? "1 file" : `${thousands(codeFiles)} files`} of code mapped executable (the program, shared libraries) not listed.` : "";
  return html`<section id="mappings"><h2>Mapped files</h2><p class="note">${maps.note}.${code}</p>
<table class="mappings"><thead><tr><th>path</th><th>maps</th><th>mapped</th><th>prot</th><th>sharing</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** One row per file, sortable by any column (click a header). */
export function filesHtml(view: ReportView): SafeHtml {
  const files = view.files;
  if (!files) return html`<section id="files"><h2>Files</h2><p class="none">Not available from this source (${sourceLabel(view.report.method)}).</p></section>`;
  if (files.length === 0) return html`<section id="files"><h2>Files</h2><p class="none">No file was read or written.</p></section>`;
  const shown = files.slice(0, MAX_FILE_ROWS);
  const timed = view.fileTimes;
  const flagged = shown.some((f) => (f.openFlags ?? []).length > 0);
  const num = (v: number, text: string) => html`<td class="num" data-value="${v}">${text}</td>`;
  const rows = shown.map((f) => {
    const ops = f.readOps + f.writeOps;
    const bytes = f.readBytes + f.writeBytes;
    const mean = ops > 0 ? bytes / ops : 0;
    const time = timed ? (typeof f.seconds === "number" ? num(f.seconds, humanDuration(f.seconds)) : num(-1, "–")) : "";
    const flags = flagged ? html`<td class="flags" data-value="${(f.openFlags ?? []).join(" ")}">${(f.openFlags ?? []).join(" ")}</td>` : "";
    return html`<tr><td class="path" data-value="${f.path}">${f.path}</td><td data-value="${f.kind}">${f.kind}</td>${num(f.readOps, thousands(f.readOps))}${num(f.writeOps, thousands(f.writeOps))}${num(f.readBytes, humanBytes(f.readBytes))}${num(f.writeBytes, humanBytes(f.writeBytes))}${num(mean, humanBytes(Math.round(mean)))}<td class="pattern" data-value="${accessPattern(f)}" title="${accessDetail(f)}">${accessPattern(f)}</td>${num(ops > 0 ? (f.smallOps ?? 0) / ops : 0, f.smallOps === undefined ? "–" : pct(f.smallOps, ops))}${time}${flags}</tr>`;
  });
  const th = (label: string, type: "number" | "text", title: string) => html`<th data-type="${type}" title="${title}" tabindex="0">${label}</th>`;
  const more = files.length > shown.length ? html`<p class="note">The ${thousands(shown.length)} busiest of ${thousands(files.length)} files are listed; the JSON report has them all.</p>` : "";
  return html`<section id="files"><h2>Files</h2><p class="note">${files.length === 1 ? "1 file" : `${thousands(files.length)} files`}. Click a column to sort. Access: sequential (each operation starts where the previous ended), strided (fixed gaps), random; hover for the counts.</p>
<table class="files sortable"><thead><tr>${th("path", "text", "the file as /proc showed it")}${th("kind", "text", "file, blockDevice, ...")}${th("reads", "number", "read operations")}${th("writes", "number", "write operations")}${th("read", "number", "bytes read")}${th("written", "number", "bytes written")}${th("mean size", "number", "bytes per operation")}${th("access", "text", "the pattern of most operations")}${th("small", "number", "share of operations under 4 KiB")}${timed ? th("time", "number", "time in read, write and sync calls on it") : ""}${flagged ? th("flags", "text", "notable flags an open of it carried: O_DIRECT bypasses the page cache, O_SYNC and O_DSYNC make each write wait for the device") : ""}</tr></thead>
<tbody>${rows}</tbody></table>${more}</section>`;
}

/** Opens, closes, stats, syncs, ...: the calls behind "too many small files". */
export function metadataHtml(view: ReportView): SafeHtml {
  const m = view.metadata;
  if (!m) return html`<section id="metadata"><h2>Metadata calls</h2><p class="none">Not available from this source.</p></section>`;
  const cells: [string, number][] = [
    ["opens", m.opens],
    ["closes", m.closes],
    ["stats", m.stats],
    ["syncs", m.fsyncs],
    ["unlinks", m.unlinks],
    ["renames", m.renames],
    ["getdents", m.getdents],
    ["total", m.total],
    ["failed", m.failed],
  ];
  return html`<section id="metadata"><h2>Metadata calls</h2><table class="metadata"><tr>${cells.map(([k]) => html`<th>${k}</th>`)}</tr><tr>${cells.map(([, v]) => html`<td class="num">${thousands(v)}</td>`)}</tr></table></section>`;
}

export function warningsHtml(view: ReportView): SafeHtml {
  const warnings = view.warnings;
  if (warnings.length === 0) return html``;
  return html`<section id="warnings"><h2>Warnings</h2><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></section>`;
}

/** How the figures were measured: method, command, window, host, exit. */
export function methodHtml(view: ReportView): SafeHtml {
  const report = view.report;
  const rows: [string, string][] = [["Method", `${sourceLabel(report.method)} (${report.method})`]];
  if (report.command) rows.push(["Command", report.command.map(shellWord).join(" ")]);
  if (report.pid !== null) rows.push(["Process id", String(report.pid)]);
  rows.push(["Duration", report.elapsedSeconds == null ? unknownTime(report) : humanDuration(report.elapsedSeconds) + (report.tracerTime ? " (traced)" : "")]);
  const t = report.tracerTime;
  if (t) {
    const share = t.estimatedSeconds === null ? "unknown" : `≈ ${humanDuration(t.estimatedSeconds)}`;
    rows.push(["Tracer's share", `${share}: ${thousands(t.stops)} stops; ${t.calibration}`]);
  }
  if (report.host) rows.push(["Host", `${report.host.name} (${report.host.platform} ${report.host.release}, ${report.host.arch})`]);
  rows.push(["Scope", report.allFds ? "all fds (sockets, pipes, ttys, character devices and the like included)" : "regular files and block devices"]);
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
