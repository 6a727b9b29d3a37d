/**
 * The HTML report in a real browser: a traced run's page (`iops --html`)
 * opened from disk in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core). No console or page error, no request beyond the file
 * itself, every chart drawn from the report's numbers, a file name made of
 * HTML shown literally (no dialog, no image, no request), the files table
 * sorting by column, and `iops report <saved.json> --html` rendering the same
 * page byte for byte.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

import test from "ava";
import { chromium } from "playwright-core";

import { ROOT, compileFixtures, iops, makeTempDir, runCli } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { notebookDisplays } = require(path.join(ROOT, "dist", "render", "notebook.js"));
const { plotlySource } = require(path.join(ROOT, "dist", "render", "plotly.js"));

const CHROMIUM = "/usr/bin/chromium";
const EVIL = "x<img src=x onerror=alert(1)>.dat";

let dir;
let bin;
let browser;
/** The traced run: its report, page path and page text. */
let run;

test.before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the HTML tests drive Debian's chromium (apt-get install chromium; scripts/setup-dev.sh does it)`);
  }
  dir = makeTempDir("iops-html-");
  bin = compileFixtures(dir, ["access", "writes"]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });

  // One traced run with small random reads, sequential writes and a file
  // whose name is HTML; the command line itself carries that name too.
  const data = path.join(dir, "records.dat");
  fs.writeFileSync(data, Buffer.alloc(1000 * 512));
  const evil = path.join(dir, EVIL);
  const script = `"$1" pread-random "$2" 300 512 1000 && "$3" "$4" 40 100 && "$3" "$5" 10 8192`;
  const argv = ["sh", "-c", script, "sh", bin.access, data, bin.writes, evil, path.join(dir, "big.dat")];
  const page = path.join(dir, "report.html");
  const json = path.join(dir, "report.json");
  const r = runCli(["--method", "ptrace", "--html", page, "--json", json, "--", ...argv]);
  if (r.status !== 0) throw new Error(`iops --html failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  run = { report, page, json, data, evil, html: fs.readFileSync(page, "utf8") };
});

test.after.always(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Console messages that are not warnings or errors. */
const QUIET_CONSOLE = new Set(["log", "info", "debug"]);

/**
 * Opens `file` in a fresh page and records everything that could go wrong:
 * console errors and warnings, page errors, dialogs, and every request (any
 * request but the page's own is also aborted).
 */
async function open(file) {
  const page = await browser.newPage();
  const seen = { console: [], errors: [], dialogs: [], requests: [] };
  const own = pathToFileURL(file).href;
  page.on("console", (m) => {
    // Plotly warns with console.trace ("trace"): a warning all the same.
    if (!QUIET_CONSOLE.has(m.type())) seen.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("dialog", (d) => {
    seen.dialogs.push(d.message());
    d.dismiss();
  });
  page.on("request", (r) => seen.requests.push(r.url()));
  await page.route("**/*", (route) => (route.request().url() === own ? route.continue() : route.abort()));
  await page.goto(own, { waitUntil: "load" });
  // Plotly draws synchronously as each chart's script runs; give any stray
  // handler (an injected onerror, say) time to fire before we look.
  await page.waitForTimeout(300);
  return { page, seen, own };
}

function assertClean(t, seen, own) {
  t.deepEqual(seen.errors, [], "no page errors");
  t.deepEqual(seen.console, [], "no console errors or warnings");
  t.deepEqual(seen.dialogs, [], "no dialog");
  t.deepEqual(seen.requests, [own], "no request but the page itself");
}

test.serial("the page is one self-contained file of sensible size", (t) => {
  const size = fs.statSync(run.page).size;
  t.true(size < 2 * 1024 * 1024, `${size} bytes`);
  t.false(/<script[^>]+src=/i.test(run.html), "no external script");
  t.false(/<link[^>]+href=/i.test(run.html), "no external stylesheet");
  t.true(run.html.includes("Content-Security-Policy"), "a CSP forbids fetching anything");
});

test.serial("in Chromium: no errors, no request, every chart drawn with the report's numbers", async (t) => {
  const { page, seen, own } = await open(run.page);
  t.teardown(() => page.close());
  assertClean(t, seen, own);

  const charts = await page.evaluate(() =>
    [...document.querySelectorAll(".iops-chart")].map((el) => ({
      id: el.dataset.figure,
      traces: (el.data ?? []).map((d) => ({ name: d.name, type: d.type, x: d.x ? [...d.x] : null, y: [...d.y], customdata: d.customdata ? [...d.customdata] : null })),
      svg: el.querySelectorAll(".main-svg").length,
      lines: [...el.querySelectorAll("path.js-line")].filter((p) => (p.getAttribute("d") ?? "").length > 1).length,
      points: el.querySelectorAll("path.point").length,
      bars: el.querySelectorAll(".trace.bars .point path").length,
    })),
  );
  t.deepEqual(charts.map((c) => c.id), ["size-count", "size-bytes", "latency", "iops-over-time", "throughput-over-time", "heatmap-ops", "heatmap-bytes"]);
  for (const c of charts) {
    t.true(c.svg > 0, `${c.id}: Plotly drew an SVG`);
    t.true(c.lines + c.points + c.bars > 0, `${c.id}: with marks on it`);
  }
  const s = run.report.summary;
  const sum = (arr) => arr.reduce((a, b) => a + b, 0);
  const trace = (id, name) => charts.find((c) => c.id === id).traces.find((tr) => tr.name.startsWith(name));
  // The size charts hold every operation (none here moved 0 bytes) and every byte.
  t.is(sum(trace("size-count", "reads").y), s.readOps);
  t.is(sum(trace("size-count", "writes").y), s.writeOps);
  // Bytes are drawn in one binary unit; each bar carries its exact bytes.
  t.is(sum(trace("size-bytes", "writes").customdata.map(([b]) => b)), s.writeBytes);
  t.is(sum(trace("latency", "reads").y), run.report.latency.read.count);
  // Rates over time times the interval give back the operations.
  const interval = run.report.timeline.intervalSeconds;
  t.is(Math.round(sum(trace("iops-over-time", "all").y) * interval), s.totalOps);
  // Throughput is drawn in one binary unit per second; each point carries its exact bytes per second.
  t.is(Math.round(sum(trace("throughput-over-time", "all").customdata) * interval), s.totalBytes);
  // The heatmaps: one bar per non-empty cell, holding every operation and every byte.
  t.is(charts.find((c) => c.id === "heatmap-ops").traces[0].type, "bar");
  t.is(sum(charts.find((c) => c.id === "heatmap-ops").traces[0].customdata.map(([v]) => v)), s.totalOps);
  t.is(sum(charts.find((c) => c.id === "heatmap-bytes").traces[0].customdata.map(([v]) => v)), s.totalBytes);
});

test.serial("in Chromium: the size charts draw reads, writes and all, whose points hold the JSON's operations and bytes bin by bin", async (t) => {
  const { page, seen, own } = await open(run.page);
  t.teardown(() => page.close());
  assertClean(t, seen, own);
  const charts = await page.evaluate(() =>
    [...document.querySelectorAll(".iops-chart")]
      .filter((el) => el.dataset.figure.startsWith("size-"))
      .map((el) => ({
        id: el.dataset.figure,
        traces: el.data.map((d) => ({ name: d.name, type: d.type, x: [...d.x], y: [...d.y], customdata: [...d.customdata] })),
        legend: [...el.querySelectorAll(".legendtext")].map((l) => l.textContent),
        // The points Plotly drew on the page for each line trace.
        points: [...el.querySelectorAll(".scatterlayer .trace")].map((tr) => tr.querySelectorAll("path.point").length),
      })),
  );
  t.deepEqual(charts.map((c) => c.id), ["size-count", "size-bytes"]);
  // The JSON's fine bins, regrouped here into the charts' power-of-two bins [lo, 2·lo).
  const octave = (lo) => (lo === 0 ? 0 : 2 ** Math.floor(Math.log2(lo)));
  const expected = new Map();
  for (const b of [...run.report.histogram.read, ...run.report.histogram.write]) {
    const e = expected.get(octave(b.lo)) ?? { count: 0, sum: 0 };
    e.count += b.count;
    e.sum += b.sum;
    expected.set(octave(b.lo), e);
  }
  const sum = (arr) => arr.reduce((a, b) => a + b, 0);
  const s = run.report.summary;
  for (const c of charts) {
    t.deepEqual(c.traces.map((tr) => [tr.type, tr.name]), [["bar", "reads"], ["bar", "writes"], ["scatter", "all"]], c.id);
    t.deepEqual(c.legend, ["reads", "writes", "all"], `${c.id}: all three in the legend`);
    const [reads, writes, all] = c.traces;
    t.deepEqual(all.x, reads.x, `${c.id}: all over the same bins`);
    t.deepEqual(c.points, [all.x.length], `${c.id}: one point drawn per bin`);
    const bins = all.x.map((lo) => expected.get(lo) ?? { count: 0, sum: 0 });
    if (c.id === "size-count") {
      t.deepEqual(all.y, bins.map((b) => b.count), "all: the JSON's operations in each bin");
      t.deepEqual(all.y, reads.y.map((r, i) => r + writes.y[i]), "all: the stacked bar's height");
      t.is(sum(all.y), s.totalOps);
    } else {
      t.deepEqual(all.customdata.map(([b]) => b), bins.map((b) => b.sum), "all: the JSON's bytes in each bin");
      t.is(sum(all.customdata.map(([b]) => b)), s.totalBytes);
    }
  }
  // Every bin the JSON has is drawn (none lost between the bins).
  t.is(sum([...expected.values()].map((e) => e.count)), s.totalOps);
  // What the workload did: 300 reads of 512 B, 40 writes of 100 B and 10 of 8 KiB, each in its bin.
  const count = charts[0].traces[2];
  const at = (lo) => count.y[count.x.indexOf(lo)];
  t.true(at(512) >= 300 && at(64) >= 40 && at(8192) >= 10, JSON.stringify(count));
});

test.serial("in Chromium: findings first, then the summary, the file table with access patterns, metadata and the method", async (t) => {
  const { page, seen, own } = await open(run.page);
  t.teardown(() => page.close());
  assertClean(t, seen, own);
  const sections = await page.evaluate(() => [...document.querySelectorAll("body > section")].map((s) => s.id));
  // Where the time goes leads when I/O calls took a large share of the run, else follows the files;
  // mapped files (the loader's, of sh) follow the files.
  const r = run.report;
  const time = r.callTime && r.callTime.length > 0;
  const leads = time && r.callTime.reduce((n, c) => n + c.totalSeconds, 0) / r.elapsedSeconds >= 0.25;
  const maps = (r.mappings ?? []).some((m) => !r.mappings.some((x) => x.exec && x.path === m.path));
  const warnings = r.warnings.length > 0;
  const expected = ["findings", leads && "time", "summary", "charts", "files", maps && "mappings", time && !leads && "time", "metadata", warnings && "warnings", "method"];
  t.deepEqual(sections, expected.filter(Boolean));
  const findings = await page.locator("#findings li").allTextContents();
  t.true(
    findings.some((f) => f.startsWith(`Many small random reads on ${run.data}: 300 reads, 100% at random offsets, 100% under 4 KiB (mean 512 B).`)),
    findings.join("\n"),
  );
  const row = await page.evaluate((p) => {
    const tr = [...document.querySelectorAll("#files tbody tr")].find((r) => r.cells[0].textContent === p);
    return tr && [...tr.cells].map((c) => c.textContent);
  }, run.data);
  t.deepEqual(row.slice(0, 9), [run.data, "file", "300", "0", "150.00 KiB", "0 B", "512 B", "random", "100%"]);
  const summary = await page.locator("#summary table").innerText();
  t.true(summary.includes(`Read operations\t${s(run.report.summary.readOps)}`), summary);
  t.is(await page.locator("#metadata td").first().innerText(), s(run.report.metadataOps.opens));
  const method = await page.locator("#method").innerText();
  t.true(method.includes("ptrace syscall tracer"), method);
  t.true(method.includes(`Host\t${run.report.host.name}`), method);
});

function s(n) {
  return n.toLocaleString("en-US");
}

test.serial("a file named x<img src=x onerror=alert(1)>.dat is shown literally and runs nothing", async (t) => {
  // In the source: only escaped, never as markup.
  t.false(run.html.includes("<img"), "no <img in the page source");
  t.true(run.html.includes("x&#60;img src=x onerror=alert(1)&#62;.dat"));
  const { page, seen, own } = await open(run.page);
  t.teardown(() => page.close());
  assertClean(t, seen, own);
  t.is(await page.evaluate(() => document.querySelectorAll("img").length), 0, "no image element");
  const cells = await page.locator("#files td.path").allTextContents();
  t.true(cells.includes(run.evil), cells.join("\n"));
  const command = await page.locator("#method").innerText();
  t.true(command.includes(EVIL), "the command line shows the name literally");
  t.true((await page.title()).includes(EVIL), "and so does the title");
});

test.serial("the files table sorts by the clicked column, numbers and text, both ways", async (t) => {
  const { page, seen, own } = await open(run.page);
  t.teardown(() => page.close());
  const paths = () => page.locator("#files tbody td.path").allTextContents();
  const files = run.report.files.filter((f) => f.kind === "file");
  t.deepEqual(await paths(), files.map((f) => f.path), "the report's order at first");
  const sortedBy = (key, dir) => [...files].sort((a, b) => dir * (key(a) - key(b))).map((f) => f.path);

  await page.locator("#files th", { hasText: "written" }).click();
  t.deepEqual(await paths(), sortedBy((f) => f.writeBytes, -1), "written, descending");
  t.is(await page.locator("#files th", { hasText: "written" }).getAttribute("aria-sort"), "descending");
  await page.locator("#files th", { hasText: "written" }).click();
  t.deepEqual(await paths(), sortedBy((f) => f.writeBytes, 1), "written, ascending");

  await page.locator("#files th", { hasText: "path" }).click();
  t.deepEqual(await paths(), [...files].map((f) => f.path).sort((a, b) => a.localeCompare(b)), "path, A to Z");
  await page.locator("#files th", { hasText: "mean size" }).press("Enter");
  const mean = (f) => (f.readBytes + f.writeBytes) / (f.readOps + f.writeOps);
  t.deepEqual(await paths(), sortedBy(mean, -1), "mean size from the keyboard, descending");
  assertClean(t, seen, own);
});

test.serial("iops report <saved.json> --html renders the same page, byte for byte", (t) => {
  const again = path.join(dir, "again.html");
  const r = runCli(["report", run.json, "--html", again]);
  t.is(r.status, 0, r.stderr);
  t.true(fs.readFileSync(again, "utf8") === run.html, "identical pages");
  t.true(r.stderr.includes(`HTML report written to ${again}`), r.stderr);
  t.true(r.stdout.includes("IOPS Profile Results"), "the table on stdout, as without --html (F13: one rule for report, import, merge, compare)");
  const table = runCli(["report", run.json]);
  t.is(table.status, 0);
  t.true(table.stdout.includes("Top files"), "without --html: the table on stdout");
  t.is(runCli(["report", run.json, "--html", "-"]).stdout, run.html, "--html - writes the page to stdout");
});

test.serial("iops report: a missing file, a file that is not JSON, JSON that is not a report: one line, exit 1 (an unwritable --html: exit 2)", (t) => {
  const missing = runCli(["report", path.join(dir, "nope.json")]);
  t.is(missing.status, 1);
  t.regex(missing.stderr, /^iops report: cannot read .*nope\.json: ENOENT\n$/);
  const notJson = path.join(dir, "not.json");
  fs.writeFileSync(notJson, "<html>");
  const bad = runCli(["report", notJson]);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /^iops report: .*not\.json is not JSON \(.*\); give a file written by iops --json\n$/);
  const other = path.join(dir, "other.json");
  fs.writeFileSync(other, JSON.stringify({ hello: "world" }));
  const wrong = runCli(["report", other]);
  t.is(wrong.status, 1);
  t.regex(wrong.stderr, /is not an iops report/);
  t.is(runCli(["report"]).status, 2, "no file: usage error");
  const both = runCli(["--json", "-", "--html", "-", "--", "true"]);
  t.is(both.status, 2, "--json - and --html - cannot share stdout");
  t.regex(both.stderr, /only one of --json and --html can go to stdout/);
  const unwritable = runCli(["report", run.json, "--html", path.join(dir, "no-such-dir", "r.html")]);
  t.is(unwritable.status, 2, "an output path that cannot be written is a usage error, found before anything is read");
  t.regex(unwritable.stderr, /^iops report: cannot write the HTML report to .*no-such-dir\/r\.html \(ENOENT\); give a writable path\n$/);
  t.is(runCli(["report", "--help"]).status, 0);
});

test.serial("a counters-only report (the /proc/<pid>/io fallback) renders without charts or errors", async (t) => {
  const native = (await import(path.join(ROOT, "dist", "native.js"))).native;
  const before = native.countersSnapshot(process.pid);
  fs.writeFileSync(path.join(dir, "counted.dat"), Buffer.alloc(10_000));
  const after = native.countersSnapshot(process.pid);
  const report = JSON.parse(native.countersReport(before, after, "ptrace refused <b>for this test</b>"));
  t.is(report.method, "proc-io");
  const file = path.join(dir, "counters.html");
  fs.writeFileSync(file, iops.reportPage(report));
  const { page, seen, own } = await open(file);
  t.teardown(() => page.close());
  assertClean(t, seen, own);
  t.is(await page.locator(".iops-chart").count(), 0);
  t.true((await page.locator("#charts").innerText()).includes("No per-operation data"));
  t.true((await page.locator("#warnings").innerText()).includes("ptrace refused <b>for this test</b>"), "warnings shown literally");
  t.is(await page.locator("#warnings b").count(), 0);
});

test.serial("a report saved before access patterns existed, and one with more files than the table lists, render cleanly", async (t) => {
  const old = structuredClone(run.report);
  for (const f of old.files) {
    delete f.pattern;
    delete f.smallOps;
    delete f.readAccess;
    delete f.writeAccess;
  }
  delete old.host;
  const oldJson = path.join(dir, "old.json");
  fs.writeFileSync(oldJson, JSON.stringify(old));
  const oldHtml = path.join(dir, "old.html");
  const r = runCli(["report", oldJson, "--html", oldHtml]);
  t.is(r.status, 0, r.stderr);
  {
    const { page, seen, own } = await open(oldHtml);
    t.teardown(() => page.close());
    assertClean(t, seen, own);
    const access = await page.locator("#files td.pattern").allTextContents();
    t.true(access.length > 0 && access.every((a) => a === "unknown"), access.join());
  }

  const many = structuredClone(run.report);
  const row = many.files.find((f) => f.path === run.data);
  many.files = Array.from({ length: 2500 }, (_, i) => ({ ...row, path: `${dir}/many/${i}.dat`, readOps: 2500 - i }));
  const manyHtml = path.join(dir, "many.html");
  fs.writeFileSync(manyHtml, iops.reportPage(many));
  const { page, seen, own } = await open(manyHtml);
  t.teardown(() => page.close());
  assertClean(t, seen, own);
  t.is(await page.locator("#files tbody tr").count(), 2000);
  t.true((await page.locator("#files").innerText()).includes("The 2,000 busiest of 2,500 files are listed; the JSON report has them all."));
});

test.serial("a run with no file I/O: a page that says so, with zeros and no empty charts", async (t) => {
  const file = path.join(dir, "empty.html");
  // A static program that opens a file and reads nothing (true would read the dynamic loader's files).
  const r = runCli(["--html", file, "--", bin.access, "read-seq", run.data, "0", "1"]);
  t.is(r.status, 0, r.stderr);
  const { page, seen, own } = await open(file);
  t.teardown(() => page.close());
  assertClean(t, seen, own);
  t.is(await page.locator(".iops-chart").count(), 0);
  t.true((await page.locator("#charts").innerText()).includes("No operations in the window, so no charts."));
  t.true((await page.locator("#summary").innerText()).includes("Total operations\t0"));
  t.true((await page.locator("#files").innerText()).includes("No file was read or written."));
  t.true((await page.locator("#findings").innerText()).includes("None of the known problems"));
});

/** Each heatmap's bars on an open page, in drawing order: their fill colours. */
async function heatmapFills(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-figure^="heatmap-"]')].map((el) => [
        el.dataset.figure,
        [...el.querySelectorAll(".trace.bars .point path")].map((p) => getComputedStyle(p).fill),
      ]),
    ),
  );
}

/**
 * What Plotly itself colours a heatmap figure's bars, drawn from the
 * figure's own numbers (its numeric `marker.color` on its colour scale)
 * straight into a bare page: the ground truth for the colours we draw.
 */
async function plotlysOwnFills(figures) {
  const file = path.join(dir, "plotly-own.html");
  const draws = figures
    .map((f) => `<div data-figure="${f.id}"></div><script>Plotly.newPlot(document.querySelector('[data-figure="${f.id}"]'), ${JSON.stringify(f.data)}, ${JSON.stringify(f.layout)});</script>`)
    .join("\n");
  fs.writeFileSync(file, `<!doctype html><html><head><meta charset="utf-8"><script>${plotlySource().replace(/<\/script/gi, "<\\/script")}</script></head><body>${draws}</body></html>`);
  const page = await browser.newPage();
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    return await heatmapFills(page);
  } finally {
    await page.close();
  }
}

test.serial("every page with the heatmaps (iops --html, import, report, compare, merge, the notebook's outputs): not one console warning (Plotly's console.trace included), and every bar coloured as Plotly colours the figure's values", async (t) => {
  const a = run.json;
  const b = path.join(dir, "other.json");
  const r0 = runCli(["--method", "ptrace", "--json", b, "--", bin.writes, path.join(dir, "other.dat"), "30", "300"]);
  t.is(r0.status, 0, r0.stderr);
  const log = path.join(dir, "writes.strace");
  const traced = spawnSync("strace", ["-f", "-yy", "-ttt", "-T", "-o", log, bin.writes, path.join(dir, "strace.dat"), "25", "4096"], { encoding: "utf8" });
  t.is(traced.status, 0, traced.stderr);
  const pages = {
    "iops --html": run.page,
    "iops report --html": path.join(dir, "report-again.html"),
    "iops import --html": path.join(dir, "import.html"),
    "iops compare --html": path.join(dir, "compare.html"),
    "iops merge --html": path.join(dir, "merge.html"),
    "notebook --heatmap --histogram": path.join(dir, "notebook.html"),
  };
  for (const [args, out] of [
    [["report", a], pages["iops report --html"]],
    [["import", log], pages["iops import --html"]],
    [["compare", a, b], pages["iops compare --html"]],
    [["merge", a, b], pages["iops merge --html"]],
  ]) {
    const r = runCli([...args, "--html", out]);
    t.is(r.status, 0, `${args[0]}: ${r.stderr}`);
  }
  const outputs = notebookDisplays(run.report, { histogram: true, heatmap: true, top: 10 });
  fs.writeFileSync(pages["notebook --heatmap --histogram"], `<!doctype html><html><head><meta charset="utf-8"></head><body>${outputs.map((d) => d["text/html"]).join("\n")}</body></html>`);

  const expected = await plotlysOwnFills(iops.heatmapFigures(run.report));
  t.deepEqual(Object.keys(expected), ["heatmap-ops", "heatmap-bytes"]);
  t.true(expected["heatmap-ops"].length > 0);
  t.true(new Set(expected["heatmap-ops"]).size > 1, "cells of different counts: different colours");
  let heatmaps = 0;
  for (const [what, file] of Object.entries(pages)) {
    const { page, seen } = await open(file);
    try {
      t.deepEqual(seen.errors, [], `${what}: no page errors`);
      t.deepEqual(seen.console, [], `${what}: no console message but logs`);
      const fills = await heatmapFills(page);
      const own = what === "iops --html" || what === "iops report --html" || what.startsWith("notebook") ? expected : null;
      if (own) {
        t.deepEqual(Object.keys(fills).map((k) => k.replace(/^.*(heatmap-)/, "$1")), ["heatmap-ops", "heatmap-bytes"], what);
        t.deepEqual(Object.values(fills), Object.values(own), `${what}: the bars coloured as Plotly colours the values`);
      }
      heatmaps += Object.keys(fills).length;
    } finally {
      await page.close();
    }
  }
  t.true(heatmaps >= 6, `${heatmaps} heatmaps drawn over the pages`);
});
