/**
 * %%iops and %iops in a real tslab kernel driven by real Jupyter (nbclient):
 * the package installed from `npm pack` next to tslab in a scratch folder.
 * One kernel runs all the cells below; each test asserts on their outputs.
 */
import fs from "node:fs";

import test from "ava";

import { displays, mime, notebookWork, plottedFigures, renderedDom, row, runSession, stream } from "./_support/notebook.mjs";
import { SOURCE_LABELS, defaultMethod, fileCounts, liveMethods } from "./_support/util.mjs";

const work = notebookWork(test);
const cells = {};

/** The session: named cells, run in this order in one kernel. */
function plan() {
  const p = work.quoted;
  return [
    ["load", `import "iops-profiler/tslab";`],
    ["loadAgain", `import "iops-profiler/tslab";`],
    ["empty", `%%iops`],
    ["emptyJson", `%%iops --json ${p("empty.json")}\n`],
    [
      "writes",
      `%%iops --json ${p("writes.json")}
import * as fs from "fs";
const fd = fs.openSync(${p("writes.bin")}, "w");
const block = Buffer.alloc(4096, 1);
for (let i = 0; i < 1000; i++) fs.writeSync(fd, block);
fs.closeSync(fd);
let declaredInProfiledCell = "visible";`,
    ],
    ["laterCell", `console.log(declaredInProfiledCell, block.length);`],
    [
      "asyncCell",
      `%%iops --json ${p("async.json")}
const fh = await fs.promises.open(${p("async.bin")}, "w");
for (let i = 0; i < 100; i++) await fh.write(Buffer.alloc(1000, 2));
await fh.close();
const readBack = await fs.promises.readFile(${p("async.bin")});`,
    ],
    ["afterAsync", `console.log(readBack.length);`],
    [
      "lineMagic",
      `fs.writeFileSync(${p("before.txt")}, "x".repeat(100));
%iops --json ${p("line.json")} const copied = fs.readFileSync(${p("async.bin")});
fs.writeFileSync(${p("after.txt")}, copied);
console.log("after the line", copied.length);`,
    ],
    ["afterLine", `console.log(copied.length);`],
    [
      "twoLines",
      `%iops --json ${p("line1.json")} fs.writeFileSync(${p("one.txt")}, "1");
%iops --json ${p("line2.json")} fs.writeFileSync(${p("two.txt")}, "22");`,
    ],
    [
      "throws",
      `%%iops --json ${p("throws.json")}
console.log("before the throw");
fs.writeFileSync(${p("thrown.txt")}, "abc");
let declaredBeforeThrow = 1;
throw new Error("boom from the cell");
fs.writeFileSync(${p("never.txt")}, "never");`,
    ],
    [
      "throwsAsync",
      `%%iops --json ${p("throws-async.json")}
fs.writeFileSync(${p("thrown-async.txt")}, "abcd");
await Promise.reject(new Error("async boom"));`,
    ],
    ["afterThrow", `%%iops\nconsole.log("still working");`],
    ["lineThrows", `fs.writeFileSync(${p("line-before.txt")}, "1");\n%iops --json ${p("line-throws.json")} fs.readFileSync(${p("missing.txt")});\nfs.writeFileSync(${p("line-after.txt")}, "never");`],
    ["help", `%iops --help`],
    ["cellHelp", `%%iops -h\nfs.writeFileSync(${p("help-ran.txt")}, "no");`],
    ["nested", `%%iops\nfs.writeFileSync(${p("nested-a.txt")}, "a");\n%iops fs.writeFileSync(${p("nested-b.txt")}, "b");`],
    ["nestedProfile", `%%iops\nimport { profile } from "iops-profiler";\nawait profile(() => {});`],
    ["profileRunning", `import { profile as startProfile } from "iops-profiler";\nconst pending = startProfile(() => new Promise((resolve) => setTimeout(resolve, 1500)));`],
    ["busy", `%%iops\nfs.writeFileSync(${p("busy.txt")}, "no");`],
    ["afterBusy", `await pending;\nconsole.log("profile() done");`],
    ["badOption", `%%iops --histgram\nconsole.log("ran");`],
    ["noStatement", `%iops`],
    ["stray", `console.log(1);\n%%iops`],
    ["histogram", `%%iops --histogram --json ${p("hist.json")}
const hfd = fs.openSync(${p("hist.bin")}, "w");
for (let i = 0; i < 300; i++) fs.writeSync(hfd, Buffer.alloc(100));
for (let i = 0; i < 20; i++) fs.writeSync(hfd, Buffer.alloc(65536));
fs.closeSync(hfd);
const hin = fs.openSync(${p("hist.bin")}, "r");
const small = Buffer.alloc(512);
for (let i = 0; i < 50; i++) fs.readSync(hin, small, 0, 512, i * 512);
fs.closeSync(hin);`],
    ["heatmap", `%%iops --heatmap --json ${p("heat.json")}
const mfd = fs.openSync(${p("heat.bin")}, "w");
for (let i = 0; i < 200; i++) fs.writeSync(mfd, Buffer.alloc(100));
for (let i = 0; i < 10; i++) fs.writeSync(mfd, Buffer.alloc(65536));
fs.closeSync(mfd);`],
    ["htmlName", `%%iops --top 1\nfs.writeFileSync(${p("<i>x&y<i>.txt")}, "z");\nfs.appendFileSync(${p("<i>x&y<i>.txt")}, "z");\nfs.writeFileSync(${p("second.txt")}, "zz");`],
    ["allFds", `%%iops --all-fds --json ${p("allfds.json")}\nimport * as os from "os";\nconst [r, w] = [fs.openSync("/dev/null", "r"), fs.openSync("/dev/null", "w")];\nfor (let i = 0; i < 5; i++) fs.writeSync(w, "12345678");\nfs.closeSync(r); fs.closeSync(w);`],
    ["compileError", `%%iops\nconst wrong: number = "text";`],
    ["afterCompileError", `%%iops\n`],
    ["completeCell", { complete: `%%iops --histogram\nfs.writeFileS` }],
    ["completeLine", { complete: `%iops --top 3 fs.readFileS` }],
    ["methodPtrace", `%%iops --method ptrace --json ${p("method-ptrace.json")}\nfs.writeFileSync(${p("method-ptrace.txt")}, "x".repeat(300));`],
    ["methodEbpf", `%iops --method=ebpf --json ${p("method-ebpf.json")} fs.writeFileSync(${p("method-ebpf.txt")}, "y".repeat(200));`],
    ["methodBad", `%%iops --method bpf\nfs.writeFileSync(${p("method-bad.txt")}, "no");`],
    ["inspect", null],
  ];
}

test.before(() => {
  const named = plan();
  const steps = named.map(([, src]) => (src === null ? { inspect: true } : typeof src === "object" ? src : { cell: src }));
  const results = runSession(work.scratch, steps);
  named.forEach(([name], i) => (cells[name] = results[i]));
});

const report = work.report;
const only = (t, cell) => {
  const d = displays(cell);
  t.is(d.length, 1, JSON.stringify(cell.outputs).slice(0, 2000));
  return { plain: mime(d[0], "text/plain"), html: mime(d[0], "text/html") };
};
/**
 * A --histogram cell's outputs: the report's display, then one display per
 * chart (Plotly's mime type beside HTML). `page` is all their HTML, in order,
 * as the notebook shows it.
 */
const CHARTS = ["size-count", "size-bytes", "latency", "iops-over-time", "throughput-over-time"];
const charted = (t, cell) => {
  const d = displays(cell);
  t.is(d.length, 1 + CHARTS.length, JSON.stringify(cell.outputs).slice(0, 2000));
  const page = d.map((o) => mime(o, "text/html")).join("\n");
  return { plain: mime(d[0], "text/plain"), html: mime(d[0], "text/html"), page, charts: d.slice(1) };
};

test("loading turns the magics on; loading twice is harmless", (t) => {
  t.is(cells.load.status, "ok", JSON.stringify(cells.load));
  t.is(cells.loadAgain.status, "ok", JSON.stringify(cells.loadAgain));
  t.deepEqual(cells.loadAgain.outputs, []);
  // Loaded twice, the cells are still rewritten once: one display each.
  t.is(displays(cells.empty).length, 1);
});

test("an empty %%iops cell reports 0 operations", (t) => {
  t.is(cells.empty.status, "ok");
  const { plain } = only(t, cells.empty);
  t.is(row(plain, "Total Operations"), "0");
  t.is(row(plain, "Total Bytes"), "0 bytes");
  const r = report("empty.json");
  t.is(r.method, defaultMethod(), "the platform's default source (eBPF where permitted)");
  t.is(r.summary.totalOps, 0);
  t.is(r.otherFds.totalOps, 0, "not even the kernel's messaging");
  t.is(r.metadataOps.total, 0);
  t.is(r.failedOps.total, 0);
});

test("1000 fs.writeSync calls of 4096 bytes: exactly 1000 writes and 4,096,000 bytes", (t) => {
  t.is(cells.writes.status, "ok", stream(cells.writes, "stderr"));
  const { plain, html } = only(t, cells.writes);
  t.is(row(plain, "Write Operations"), "1,000");
  t.is(row(plain, "Read Operations"), "0");
  t.is(row(plain, "Bytes Written"), "3.91 MiB (4,096,000 bytes)");
  t.true(plain.startsWith(`IOPS Profile Results (${SOURCE_LABELS[defaultMethod()]}; files)`), plain);
  t.regex(html, /<th>Write Operations<\/th><td class="num">1,000<\/td>/);
  t.regex(html, /<th>Bytes Written<\/th><td class="num">3\.91 MiB \(4,096,000 bytes\)<\/td>/);
  const r = report("writes.json");
  const file = r.files.find((f) => f.path === work.path("writes.bin"));
  t.deepEqual(fileCounts(file), { path: work.path("writes.bin"), kind: "file", readOps: 0, writeOps: 1000, readBytes: 0, writeBytes: 4_096_000 });
  t.is(file.writeAccess.sequentialOps, 1000, "fs.writeSync appends: sequential");
  t.is(r.summary.readOps, 0);
  t.is(r.summary.writeOps, 1000);
  t.is(r.metadataOps.opens, 1, "the cell's one open; not tslab's compile (module lookups, reads of .d.ts files)");
  t.is(r.metadataOps.closes, 1);
});

test("names declared in a profiled cell are visible to later cells", (t) => {
  t.is(cells.laterCell.status, "ok", stream(cells.laterCell, "stderr"));
  t.is(stream(cells.laterCell, "stdout"), "visible 4096\n");
});

test("top-level await works and awaited asynchronous I/O (libuv's thread pool) is inside the window", (t) => {
  t.is(cells.asyncCell.status, "ok", stream(cells.asyncCell, "stderr"));
  const r = report("async.json");
  const file = r.files.find((f) => f.path === work.path("async.bin"));
  t.is(file.writeOps, 100);
  t.is(file.writeBytes, 100_000);
  t.is(file.readBytes, 100_000);
  t.is(r.metadataOps.opens, 2);
  t.is(stream(cells.afterAsync, "stdout"), "100000\n");
});

test("%iops profiles its own line only; the cell's other lines run unmeasured", (t) => {
  t.is(cells.lineMagic.status, "ok", stream(cells.lineMagic, "stderr"));
  const { plain } = only(t, cells.lineMagic);
  t.is(row(plain, "Bytes Read"), "97.66 KiB (100,000 bytes)");
  t.is(row(plain, "Write Operations"), "0", "the writes before and after the line are not counted");
  const r = report("line.json");
  t.deepEqual(
    r.files.map((f) => f.path),
    [work.path("async.bin")],
  );
  t.is(r.summary.readBytes, 100_000);
  t.is(r.metadataOps.opens, 1);
  // The lines after it ran, and its declaration is visible later.
  t.is(stream(cells.lineMagic, "stdout"), "after the line 100000\n");
  t.is(fs.readFileSync(work.path("after.txt")).length, 100_000);
  t.is(stream(cells.afterLine, "stdout"), "100000\n");
});

test("two %iops lines in one cell: two windows, each exact, shown in order", (t) => {
  t.is(cells.twoLines.status, "ok", stream(cells.twoLines, "stderr"));
  t.is(displays(cells.twoLines).length, 2);
  const [a, b] = [report("line1.json"), report("line2.json")];
  t.deepEqual([a.summary.writeOps, a.summary.writeBytes, a.files[0].path], [1, 1, work.path("one.txt")]);
  t.deepEqual([b.summary.writeOps, b.summary.writeBytes, b.files[0].path], [1, 2, work.path("two.txt")]);
});

test("an exception is the cell's error, shown after the results of what ran before it", (t) => {
  const c = cells.throws;
  t.is(c.status, "error");
  const kinds = c.outputs.map((o) => (o.output_type === "stream" ? o.name : o.output_type));
  const displayAt = kinds.indexOf("display_data");
  t.true(displayAt >= 0, JSON.stringify(kinds));
  t.true(kinds.indexOf("stdout") < displayAt, "the cell's own print first");
  t.true(kinds.lastIndexOf("stderr") > displayAt, "the error after the results");
  t.regex(stream(c, "stderr"), /boom from the cell/);
  const { plain } = only(t, c);
  t.regex(plain, /^iops: the code threw an exception: the figures cover the code up to there/);
  const r = report("throws.json");
  t.is(r.summary.writeOps, 1);
  t.is(r.summary.writeBytes, 3);
  // The window ended at the throw, inside the script: not after Node's
  // teardown of the script's SIGINT watch (libuv's signal-lock pipe).
  t.deepEqual(r.files.filter((f) => f.kind === "pipe"), []);
  t.false(fs.existsSync(work.path("never.txt")));

  const a = cells.throwsAsync;
  t.is(a.status, "error");
  t.regex(stream(a, "stderr"), /async boom/);
  const ra = report("throws-async.json");
  t.is(ra.summary.writeOps, 1);
  t.is(ra.summary.writeBytes, 4);
  // Printing the error goes through ZMQ (an eventfd wake-up of its I/O
  // thread): none of it is in the window, which ended at the rejection.
  t.is(ra.otherFds.totalOps, 0);

  t.is(cells.afterThrow.status, "ok");
  t.is(stream(cells.afterThrow, "stdout"), "still working\n");
});

test("an exception in a %iops line: the line's results, then the error; the rest of the cell does not run", (t) => {
  const c = cells.lineThrows;
  t.is(c.status, "error");
  const kinds = c.outputs.map((o) => (o.output_type === "stream" ? o.name : o.output_type));
  t.deepEqual(kinds.slice(0, 2), ["display_data", "stderr"], JSON.stringify(kinds));
  t.regex(stream(c, "stderr"), /ENOENT/);
  const r = report("line-throws.json");
  t.is(r.summary.totalOps, 0);
  t.is(r.metadataOps.opens, 0);
  t.is(r.metadataOps.failed, 1, "the failed open of the missing file");
  t.true(fs.existsSync(work.path("line-before.txt")));
  t.false(fs.existsSync(work.path("line-after.txt")));
});

test("%iops --help explains the options", (t) => {
  t.is(cells.help.status, "ok");
  const help = stream(cells.help, "stdout");
  for (const option of ["--histogram", "--heatmap", "--all-fds", "--top <n>", "--json <path>", "--no-share-cpu"]) t.true(help.includes(option), option);
  t.regex(help, /%%iops \[options\]/);
  t.is(cells.cellHelp.status, "ok");
  t.is(stream(cells.cellHelp, "stdout"), help);
  t.false(fs.existsSync(work.path("help-ran.txt")), "--help shows the help and runs nothing");
});

test("windows never nest: %iops inside %%iops and profile() inside %%iops get a clear message", (t) => {
  t.is(cells.nested.status, "error");
  t.regex(stream(cells.nested, "stderr"), /^%iops: %iops on line 3 is inside a %%iops cell: windows cannot nest, so the cell did not run/);
  t.false(fs.existsSync(work.path("nested-a.txt")));

  t.is(cells.nestedProfile.status, "error");
  t.regex(stream(cells.nestedProfile, "stderr"), /EBUSY|cannot nest/);
  t.is(displays(cells.nestedProfile).length, 1, "the cell's own window is still shown");
});

test("a %%iops cell while a profile() window is open: a clear message, and the code does not run", (t) => {
  t.is(cells.profileRunning.status, "ok", stream(cells.profileRunning, "stderr"));
  t.is(cells.busy.status, "error");
  t.regex(stream(cells.busy, "stderr"), /^IopsError: an iops window is already open: windows cannot nest or overlap \(is a profile\(\) still running\?\); the code did not run/);
  t.is(displays(cells.busy).length, 0);
  t.false(fs.existsSync(work.path("busy.txt")));
  t.is(stream(cells.afterBusy, "stdout"), "profile() done\n");
});

test("usage errors are one line that says what to do, and nothing runs", (t) => {
  t.is(cells.badOption.status, "error");
  t.is(stream(cells.badOption, "stderr"), "%iops: unknown option --histgram (%iops --help lists the options)\n");
  t.is(stream(cells.badOption, "stdout"), "");
  t.is(cells.noStatement.status, "error");
  t.regex(stream(cells.noStatement, "stderr"), /has no statement/);
  t.is(cells.stray.status, "error");
  t.regex(stream(cells.stray, "stderr"), /%%iops must be the first line of the cell/);
});

test("--histogram: the HTML page's charts (the reference's two, latency, IOPS and throughput over time) drawn by embedded Plotly, a text histogram, and the findings", (t) => {
  t.is(cells.histogram.status, "ok", stream(cells.histogram, "stderr"));
  const { plain, html, page } = charted(t, cells.histogram);
  t.regex(plain, /Operations by size/);
  t.regex(plain, /64 KiB \| W+ 20 ops, 1\.25 MiB/);
  t.regex(html, /<pre id="iops-[0-9a-f]+-text-histogram"[^>]*>Operations by size/);
  // No network: Plotly is inlined, no <script src>, no CDN.
  t.false(/<script[^>]+src=/i.test(page));
  t.true(page.includes("plotly.js (basic - minified)"));
  const figures = plottedFigures(page);
  t.deepEqual(
    figures.map((f) => f.id.replace(/^iops-[0-9a-f]+-/, "")),
    ["size-count", "size-bytes", "latency", "iops-over-time", "throughput-over-time"],
  );
  const [count, bytes] = figures;
  // Bars over every power of two from the smallest operation (100 B: [64, 128)) to the largest
  // (64 KiB), the empty bins included, reads and writes stacked; units on both axes.
  const bins = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
  t.is(count.layout.xaxis.type, "category");
  t.deepEqual(count.layout.xaxis.ticktext, ["64 B", "128 B", "256 B", "512 B", "1 KiB", "2 KiB", "4 KiB", "8 KiB", "16 KiB", "32 KiB", "64 KiB"]);
  t.is(count.layout.barmode, "stack");
  // Reads and writes as stacked bars, and "all" (the Python tool's third series) as a line of points on their tops.
  t.deepEqual(count.data.map((s) => [s.type, s.name]), [["bar", "reads"], ["bar", "writes"], ["scatter", "all"]]);
  t.deepEqual(count.data[2].y, [300, 0, 0, 50, 0, 0, 0, 0, 0, 0, 20]);
  t.deepEqual(bytes.data[2].customdata.map(([b]) => b), [30_000, 0, 0, 50 * 512, 0, 0, 0, 0, 0, 0, 20 * 65536]);
  const writes = count.data[1];
  t.deepEqual(writes.x, bins);
  t.deepEqual(writes.y, [300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20]);
  t.deepEqual(count.data[0].x, bins);
  t.deepEqual(count.data[0].y, [0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0]);
  // Bytes in one binary unit (the axis says which), the exact bytes beside them.
  t.is(bytes.layout.yaxis.title.text, "bytes moved (MiB)");
  t.deepEqual(bytes.data[1].customdata.map(([b]) => b), [30_000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20 * 65536]);
  t.deepEqual(bytes.data[1].y, bytes.data[1].customdata.map(([b]) => b / 2 ** 20));
  for (const f of figures) {
    t.true(f.layout.xaxis.title.text.length > 0 && f.layout.yaxis.title.text.length > 0, `${f.id}: both axes titled`);
    t.is(f.layout.title.xanchor, "left", `${f.id}: title on the left, clear of the mode bar`);
  }
  t.false(figures.some((f) => f.id.startsWith("heatmap")), "no heatmap without --heatmap");
  const r = report("hist.json");
  t.is(r.summary.writeOps, 320);
  t.is(r.summary.readOps, 50);
  const latency = figures[2];
  t.deepEqual(latency.data.map((s) => s.y.reduce((a, b) => a + b, 0)), [r.latency.read.count, r.latency.write.count]);
  // 300 of the 320 writes are 100 B: the finding, with its numbers, on top of the HTML and in the text.
  // A window on a live process: the text says how long it watched.
  const tiny = `${`Many small writes to ${work.path("hist.bin")}: 320 writes, 94% under 4 KiB (mean 4.09 KiB)`.replace(/[.()]/g, "\\$&")} \\(in the [\\d.]+ [µm]?s watched\\)\\.`;
  t.regex(html, new RegExp(`<div class="iops-findings"><strong>Findings</strong><ul class="iops-findings"><li data-kind="tiny-writes"><strong>${tiny}</strong>`));
  t.regex(plain, new RegExp(`\\nFindings:\\n  - ${tiny}(\\n|$)`));
  t.true(html.indexOf("iops-findings") < html.indexOf("iops-summary"), "findings first");
});

test("--heatmap: the size-over-time heatmaps (operations and bytes) holding every operation and byte, without the other charts", (t) => {
  t.is(cells.heatmap.status, "ok", stream(cells.heatmap, "stderr"));
  // The report's display, then one display per heatmap.
  const d = displays(cells.heatmap);
  t.is(d.length, 3, JSON.stringify(cells.heatmap.outputs).slice(0, 2000));
  const figures = plottedFigures(d.map((o) => mime(o, "text/html")).join("\n"));
  t.deepEqual(figures.map((f) => f.id.replace(/^iops-[0-9a-f]+-/, "")), ["heatmap-ops", "heatmap-bytes"]);
  const r = report("heat.json");
  t.is(r.summary.writeOps, 210);
  const sum = (f) => f.data[0].customdata.reduce((n, [v]) => n + v, 0);
  t.is(sum(figures[0]), r.summary.totalOps);
  t.is(sum(figures[1]), r.summary.totalBytes);
  for (const f of figures) {
    t.is(f.data[0].type, "bar");
    t.is(f.layout.yaxis.title.text, "bytes per operation");
    t.regex(f.layout.xaxis.title.text, /^seconds since start \(bins of [\d.e-]+ s\)$/);
  }
  // The 100 B writes are in [64 B, 128 B), the 64 KiB ones in [64 KiB, 128 KiB).
  const rows = new Set(figures[0].data[0].customdata.map((c) => c[2]));
  t.true(rows.has("[64 B, 128 B)") && rows.has("[64 KiB, 128 KiB)"), [...rows].join());
});

/**
 * The HTML output as a browser renders it: real headless Chromium, with
 * every network request sent to a dead proxy. Returns the DOM after scripts.
 */
function render(html, { scripts, theme = "" }) {
  const csp = scripts ? "" : `<meta http-equiv="Content-Security-Policy" content="script-src 'none'">`;
  const page = work.path(`render-${scripts ? "js" : "nojs"}.html`);
  fs.writeFileSync(page, `<!doctype html><html><head>${csp}</head><body style="${theme}">${html}</body></html>`);
  return renderedDom(page);
}

test("--histogram in a browser: Plotly draws every chart offline; without scripts the table and the text histogram show", (t) => {
  const { page: html } = charted(t, cells.histogram);
  const drawn = render(html, { scripts: true });
  for (const id of ["size-count", "size-bytes", "latency", "iops-over-time", "throughput-over-time"]) {
    const chart = new RegExp(`<div id="iops-[0-9a-f]+-${id}" class="iops-chart js-plotly-plot"`);
    t.regex(drawn, chart, `${id} drawn by Plotly`);
  }
  t.is((drawn.match(/class="main-svg"/g) ?? []).length, 15, "five charts, three SVG layers each");
  t.is((drawn.match(/class="trace bars/g) ?? []).length, 6, "reads and writes as bars in the two size charts and latency");
  t.is((drawn.match(/class="trace scatter/g) ?? []).length, 8, "reads, writes and all over time, in two charts; all by size, in two");
  t.regex(drawn, /<pre id="iops-[0-9a-f]+-text-histogram" class="iops-text-histogram" style="display: none;">/);

  const still = render(html, { scripts: false });
  t.is((still.match(/class="main-svg"/g) ?? []).length, 0);
  t.regex(still, /<pre id="iops-[0-9a-f]+-text-histogram" class="iops-text-histogram">Operations by size/);
  t.regex(still, /<th>Write Operations<\/th><td class="num">320<\/td>/);
});

/** Each chart's text picture in a rendered DOM: chart id → { text, hidden }. */
function chartTexts(dom) {
  const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  return Object.fromEntries(
    [...dom.matchAll(/<pre id="iops-[0-9a-f]+-([a-z-]+)-text" class="iops-chart-text"( style="display: none;")?>([^<]*)<\/pre>/g)].map((m) => [m[1], { text: unescape(m[3]), hidden: Boolean(m[2]) }]),
  );
}

/** The line of a text picture for the bin labelled `label`. */
const binRow = (text, label) => text.split("\n").find((l) => l.trimStart().startsWith(`${label} |`));

test("--histogram and --heatmap where no script runs: each chart shows as text, bin by bin what the cell did; once drawn, hidden", (t) => {
  const { page: html, plain } = charted(t, cells.histogram);
  const still = chartTexts(render(html, { scripts: false }));
  t.deepEqual(Object.keys(still), CHARTS);
  t.true(Object.values(still).every((c) => !c.hidden));
  // The cell: 300 writes of 100 B, 20 writes of 64 KiB, 50 reads of 512 B; nothing else.
  const count = still["size-count"].text;
  t.regex(count, /^Operations by size \(R = reads, W = writes; each row is \[size, 2×size\)\):\n/);
  t.regex(binRow(count, "64 B"), /\| W{50} 300 ops, 29\.30 KiB$/);
  t.regex(binRow(count, "512 B"), /\| R+ 50 ops, 25\.00 KiB$/);
  t.regex(binRow(count, "64 KiB"), /\| W+ 20 ops, 1\.25 MiB$/);
  for (const empty of ["128 B", "256 B", "1 KiB", "2 KiB", "4 KiB", "8 KiB", "16 KiB", "32 KiB"]) t.regex(binRow(count, empty), /\| 0 ops, 0 B$/, empty);
  const bytes = still["size-bytes"].text;
  t.regex(binRow(bytes, "64 KiB"), /\| W{50} 1\.25 MiB in 20 ops$/);
  t.regex(binRow(bytes, "64 B"), /\| W+ 29\.30 KiB in 300 ops$/);
  t.regex(binRow(bytes, "512 B"), /\| R+ 25\.00 KiB in 50 ops$/);
  // Latency: every operation in one of its rows.
  const latency = still.latency.text.split("\n");
  t.regex(latency[0], /^Latency per operation \(R = reads: p50 .+; W = writes: p50 .+\)\):$/);
  t.is(latency.slice(1).reduce((n, l) => n + Number(l.match(/ ([\d,]+) ops?$/)[1].replace(/,/g, "")), 0), 370);
  for (const id of ["iops-over-time", "throughput-over-time"]) {
    const lines = still[id].text.split("\n");
    t.regex(lines[0], /over time \(R = reads, W = writes; each row is [\d.e-]+ s from its start\):$/);
    t.true(lines.length >= 2 && lines.length <= 17, `${lines.length - 1} rows`);
    t.true(lines.some((l) => /\| [RW]/.test(l)), lines.join("\n"));
  }
  // The report's text/plain has them all (the size histogram once).
  t.is(plain.split("Operations by size (").length - 1, 1);
  for (const id of CHARTS.slice(1)) t.true(plain.includes(still[id].text), id);

  const drawn = chartTexts(render(html, { scripts: true }));
  t.deepEqual(Object.keys(drawn), CHARTS);
  t.true(Object.values(drawn).every((c) => c.hidden), "Plotly drew each chart and hid its text");

  // --heatmap: 200 writes of 100 B, then 10 of 64 KiB; rows from 64 B to 64 KiB, marks on those two only.
  const heat = chartTexts(render(displays(cells.heatmap).map((o) => mime(o, "text/html")).join("\n"), { scripts: false }));
  t.deepEqual(Object.keys(heat), ["heatmap-ops", "heatmap-bytes"]);
  for (const { text, hidden } of Object.values(heat)) {
    t.false(hidden);
    const rows = text.split("\n").filter((l) => / \|/.test(l));
    t.deepEqual(rows.map((l) => l.split(" |")[0].trim()), ["64 KiB", "32 KiB", "16 KiB", "8 KiB", "4 KiB", "2 KiB", "1 KiB", "512 B", "256 B", "128 B", "64 B"]);
    const marked = rows.filter((l) => /\|.*\S/.test(l)).map((l) => l.split(" |")[0].trim());
    t.deepEqual(marked, ["64 KiB", "64 B"], text);
  }
});

test("the HTML table takes the notebook's text colour: readable in light and dark themes", (t) => {
  const { html } = only(t, cells.writes);
  // A probe script writes the computed colours of the table's cells into the DOM.
  const probe = `<script>document.body.dataset.colors = JSON.stringify([...document.querySelectorAll(".iops-report caption, .iops-report th, .iops-report td")].map((e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]));</script>`;
  for (const [theme, text] of [
    ["color: rgb(20, 20, 20); background: rgb(255, 255, 255)", "rgb(20, 20, 20)"],
    ["color: rgb(230, 230, 230); background: rgb(17, 17, 17)", "rgb(230, 230, 230)"],
  ]) {
    const dom = render(html + probe, { scripts: true, theme });
    const colors = JSON.parse(/data-colors="([^"]*)"/.exec(dom)[1].replace(/&quot;/g, '"'));
    t.true(colors.length >= 10);
    for (const [color, background] of colors) {
      t.is(color, text, theme);
      // Shading is translucent grey (or none): it lies over the theme's own background.
      t.regex(background, /^rgba\(\d+, \d+, \d+, 0(\.\d+)?\)$/, theme);
    }
  }
});

test("file names are escaped in the HTML table, and --top limits the files listed", (t) => {
  const { plain, html } = only(t, cells.htmlName);
  t.is(cells.htmlName.status, "ok", stream(cells.htmlName, "stderr"));
  t.false(html.includes("<i>x&y<i>"));
  t.true(html.includes("&#60;i&#62;x&#38;y&#60;i&#62;.txt"));
  t.regex(plain, /Top files \(1 of 2\):/);
  t.regex(html, /Top files \(1 of 2\)/);
});

test("--all-fds counts the character devices in the table", (t) => {
  t.is(cells.allFds.status, "ok", stream(cells.allFds, "stderr"));
  const { plain } = only(t, cells.allFds);
  t.true(plain.startsWith(`IOPS Profile Results (${SOURCE_LABELS[defaultMethod()]}; all fds)`), plain);
  const r = report("allfds.json");
  t.true(r.allFds);
  const devnull = r.files.find((f) => f.path === "/dev/null");
  t.is(devnull.writeOps, 5);
  t.is(devnull.writeBytes, 40);
});

test("a cell that does not compile: tslab's error at the user's line, no results, the next cell measured", (t) => {
  t.is(cells.compileError.status, "error");
  t.regex(stream(cells.compileError, "stderr"), /^2:7 - Type 'string' is not assignable to type 'number'/);
  t.is(displays(cells.compileError).length, 0);
  t.is(cells.afterCompileError.status, "ok");
  t.is(row(only(t, cells.afterCompileError).plain, "Total Operations"), "0");
});

test("code completion works in %%iops cells and %iops lines", (t) => {
  t.is(cells.completeCell.status, "ok");
  t.true(cells.completeCell.matches.includes("writeFileSync"), JSON.stringify(cells.completeCell.matches));
  t.is(cells.completeCell.cursor_end - cells.completeCell.cursor_start, "writeFileS".length);
  t.true(cells.completeLine.matches.includes("readFileSync"), JSON.stringify(cells.completeLine.matches));
});

test("the kernel is left untraced and running between cells", (t) => {
  const k = cells.inspect;
  for (const task of k.tasks) {
    t.is(task.tracerPid, 0, `thread ${task.tid} still traced`);
    t.not(task.state, "t", `thread ${task.tid} stopped`);
    t.not(task.state, "T", `thread ${task.tid} stopped`);
  }
  t.is(k.children.filter((c) => c.argv.some((a) => a.endsWith("helper.js"))).length, 1, "one helper, kept for the next cell");
});

test("--method: %%iops --method ptrace and %iops --method=ebpf measure with the source asked for, exactly; an unknown one is a usage error and the code does not run", (t) => {
  t.is(cells.methodPtrace.status, "ok", stream(cells.methodPtrace, "stderr"));
  const viaPtrace = report("method-ptrace.json");
  t.is(viaPtrace.method, "ptrace");
  t.deepEqual(fileCounts(viaPtrace.files.find((f) => f.path.endsWith("method-ptrace.txt"))), {
    path: work.path("method-ptrace.txt"),
    kind: "file",
    readOps: 0,
    writeOps: 1,
    readBytes: 0,
    writeBytes: 300,
  });
  const ebpf = liveMethods().find((m) => m.name === "ebpf");
  t.is(cells.methodEbpf.status, "ok", stream(cells.methodEbpf, "stderr"));
  if (ebpf.unavailable === null) {
    const viaEbpf = report("method-ebpf.json");
    t.is(viaEbpf.method, "ebpf");
    t.deepEqual([viaEbpf.summary.writeOps, viaEbpf.summary.writeBytes], [1, 200]);
  } else {
    // Asked for where it cannot run: the line runs unmeasured, saying why in one line.
    t.regex(stream(cells.methodEbpf, "stderr"), /^iops: tracing could not start \(--method ebpf: [^\n]*\); the code runs unmeasured\n$/);
  }
  t.is(cells.methodBad.status, "error");
  t.is(stream(cells.methodBad, "stderr"), '%iops: unknown method "bpf": one of ebpf, ptrace, strace\n');
  t.false(fs.existsSync(work.path("method-bad.txt")), "the code did not run");
});
