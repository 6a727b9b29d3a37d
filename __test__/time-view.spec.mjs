/**
 * How the issue-14 figures are laid out in every front end: where the time
 * goes (per kind of call), the per-file time, open flags, mapped files and
 * the size-over-time heatmaps. The report is a real traced run (N writes of
 * S bytes, each followed by fsync) with those fields set as the contract
 * (docs/report.md) defines them, so each layout rule is checked at its edge
 * (leading or not, flags or none, code mappings left out); the sources that
 * fill them are tested with their own specs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

import test from "ava";

import { ROOT, compileFixtures, iops, makeTempDir, runCli, runCliJson } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { notebookDisplay, notebookDisplays } = require(path.join(ROOT, "dist", "render", "notebook.js"));

const N = 40;
const S = 4096;
let base;
let out;

test.before(() => {
  const dir = makeTempDir("iops-time-view-");
  const bin = compileFixtures(dir, ["access"]);
  out = path.join(dir, "synced.dat");
  const r = runCliJson(["--method", "ptrace", "--", bin.access, "write-fsync", out, String(N), String(S)]);
  if (r.status !== 0) throw new Error(r.stderr);
  base = r.report;
});

/** The run's report with where-the-time-goes rows taking `share` of its elapsed time. */
function withTime(share) {
  const r = structuredClone(base);
  const total = r.elapsedSeconds * share;
  const row = (kind, calls, failed, part) => ({
    kind,
    calls,
    failed,
    totalSeconds: total * part,
    meanSeconds: (total * part) / (calls + failed),
    p99Seconds: ((total * part) / (calls + failed)) * 2,
    shareOfElapsed: share * part,
  });
  r.callTime = [row("sync", N, 0, 0.7), row("write", N, 0, 0.2), row("open", 1, 1, 0.1)];
  const file = r.files.find((f) => f.path === out);
  file.seconds = total * 0.9;
  file.syncs = N;
  file.openFlags = ["O_DIRECT"];
  r.mappings = [
    { path: "/data/table.bin", kind: "file", maps: 2, bytes: 3 * 2 ** 20, prot: "r", shared: false, exec: false },
    { path: "/usr/lib/libc.so.6", kind: "file", maps: 1, bytes: 2 ** 20, prot: "rx", shared: false, exec: true },
    { path: "/usr/lib/libc.so.6", kind: "file", maps: 1, bytes: 2 ** 16, prot: "r", shared: false, exec: false },
  ];
  return r;
}

test("I/O calls taking a large share of the run: where the time goes comes first, in the text, the page and the notebook", (t) => {
  const r = withTime(0.6);
  const text = iops.formatText(r).split("\n");
  const head = text.findIndex((l) => l.startsWith("Where the time goes: I/O calls took "));
  t.true(head > 0 && head < text.findIndex((l) => l.startsWith("Traced Execution Time:")), text.join("\n"));
  t.regex(text[head], /, 60% of the traced run:$/);
  const rows = text.slice(head + 2, head + 5).map((l) => l.trim().split(/\s{2,}/));
  t.deepEqual(rows.map((c) => c[0]), ["syncs (fsync, fdatasync, ...)", "writes", "opens"]);
  t.deepEqual(rows.map((c) => [c[1], c[2]]), [[String(N), "0"], [String(N), "0"], ["1", "1"]], "calls, then failed besides them");
  t.deepEqual(rows.map((c) => c.at(-1)), ["42%", "12%", "6%"]);

  const page = iops.reportPage(r);
  const order = [...page.matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1]);
  t.true(order.indexOf("time") === order.indexOf("findings") + 1, order.join());
  t.regex(page, /<tr data-kind="sync"><td data-value="syncs \(fsync, fdatasync, \.\.\.\)">syncs \(fsync, fdatasync, \.\.\.\)<\/td><td class="num" data-value="40">40<\/td>/);

  const nb = notebookDisplay(r, { histogram: false, top: 10 })["text/html"];
  t.true(nb.indexOf('<table class="iops-time">') < nb.indexOf('<table class="iops-summary">'));
});

test("I/O calls taking a small share: where the time goes follows the files", (t) => {
  const r = withTime(0.1);
  const text = iops.formatText(r);
  t.true(text.indexOf("Where the time goes: I/O calls took") > text.indexOf("Metadata calls:"), text);
  t.regex(text, /, 10% of the traced run:/);
  const page = iops.reportPage(r);
  const order = [...page.matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1]);
  t.true(order.indexOf("time") > order.indexOf("files"), order.join());
  const nb = notebookDisplay(r, { histogram: false, top: 10 })["text/html"];
  t.true(nb.indexOf('<table class="iops-time">') > nb.indexOf('<table class="iops-files">'));
});

test("no call durations (callTime null): no time table, no time column, anywhere", (t) => {
  const r = structuredClone(base);
  r.callTime = null;
  for (const f of r.files) f.seconds = null;
  t.false(iops.formatText(r).includes("Where the time goes"));
  t.false(iops.reportPage(r).includes('id="time"'));
  t.false(notebookDisplay(r, { histogram: false, top: 10 })["text/html"].includes('class="iops-time"'));
  t.false(/ time +access/.test(iops.formatText(r)));
});

test("the slow file at a glance: a time column per file; O_DIRECT marked in the files table", (t) => {
  const r = withTime(0.6);
  const text = iops.formatText(r).split("\n");
  t.regex(text.find((l) => l.includes(" access  ")), /written +time +access +path$/);
  const line = text.find((l) => l.includes(out));
  t.true(line.endsWith(`${out} [O_DIRECT]`), line);
  const page = iops.reportPage(r);
  t.true(page.includes('<td class="flags" data-value="O_DIRECT">O_DIRECT</td>'));
  t.regex(page, /<th data-type="number" title="time in read, write and sync calls on it" tabindex="0">time<\/th>/);
  const nb = notebookDisplay(r, { histogram: false, top: 10 })["text/html"];
  t.true(nb.includes("<th>time</th>") && nb.includes(`${out} [O_DIRECT]`));
});

test("mapped files: data listed with the note that page-fault I/O is not counted; a library mapped executable is code, not listed", (t) => {
  const r = withTime(0.1);
  const text = iops.formatText(r);
  t.regex(text, /Mapped files \(mmap; 1 file\):\n +maps +mapped +prot +sharing +path\n +2 +3\.00 MiB +r +private +\/data\/table\.bin\n +Reads and writes of mapped memory happen by page faults, which no syscall shows: they are not counted above; the storage-level bytes include them\./);
  t.false(text.includes("libc.so.6\n"), "the library is code");
  const page = iops.reportPage(r);
  t.regex(page, /<section id="mappings">[\s\S]*1 file of code mapped executable[\s\S]*\/data\/table\.bin/);
  t.false(/<section id="mappings">[\s\S]*libc\.so\.6[\s\S]*<\/section>/.test(page.slice(page.indexOf('id="mappings"'), page.indexOf("</section>", page.indexOf('id="mappings"')))));
  const nb = notebookDisplay(r, { histogram: false, top: 10 })["text/html"];
  t.regex(nb, /<table class="iops-mappings">[\s\S]*\/data\/table\.bin[\s\S]*not counted above/);
});

/** A heatmap of the run's shape: `ops[t][s]` operations, each of 2^(s-1) bytes. */
function withHeatmap(ops) {
  const r = structuredClone(base);
  const sizes = ops[0].length;
  r.heatmap = {
    binSeconds: 0.01,
    sizeBins: Array.from({ length: sizes }, (_, s) => ({ lo: s === 0 ? 0 : 2 ** (s - 1), hi: 2 ** s, count: 0, sum: 0 })),
    ops,
    bytes: ops.map((row) => row.map((n, s) => (s === 0 ? 0 : n * 2 ** (s - 1)))),
  };
  return r;
}

test("the heatmaps: one bar per non-empty cell, at its time and size bin, coloured by the log of its value; every size bin labelled", (t) => {
  const ops = [
    [0, 0, 3, 0],
    [0, 0, 0, 0],
    [1, 0, 0, 7],
  ];
  const r = withHeatmap(ops);
  const figures = iops.heatmapFigures(r);
  t.deepEqual(figures.map((f) => f.id), ["heatmap-ops", "heatmap-bytes"]);
  const [byOps, byBytes] = figures;
  const tr = byOps.data[0];
  t.is(tr.type, "bar");
  t.deepEqual(tr.base, [2, 0, 3], "size bin of each cell");
  t.deepEqual(tr.x.map((x) => +x.toFixed(6)), [0.005, 0.025, 0.025], "middle of its time bin");
  t.deepEqual(tr.customdata.map((c) => c[0]), [3, 1, 7]);
  t.deepEqual(tr.marker.color, [Math.log2(3), 0, Math.log2(7)]);
  t.is(tr.width, 0.01);
  t.deepEqual(byOps.layout.yaxis.ticktext, ["0 B", "1 B", "2 B", "4 B"]);
  t.is(byOps.layout.xaxis.title.text, "seconds since start (bins of 0.01 s)");
  t.is(byOps.layout.yaxis.title.text, "bytes per operation");
  // The zero-byte operation moves no bytes: not drawn in the bytes map.
  t.deepEqual(byBytes.data[0].customdata.map((c) => c[0]), [3 * 2, 7 * 4]);
});

test("the heatmaps are on the page, and in the notebook only with --heatmap", (t) => {
  const r = withHeatmap([[0, 2], [5, 0]]);
  t.true(iops.reportPage(r).includes('data-figure="heatmap-ops"'));
  // The notebook shows the report's display, then one display per chart.
  const html = (options) => notebookDisplays(r, options).map((d) => d["text/html"]).join("\n");
  t.false(html({ histogram: true, top: 10 }).includes("heatmap-ops"));
  const both = html({ histogram: false, heatmap: true, top: 10 });
  t.true(both.includes('data-figure="heatmap-ops"') && both.includes('data-figure="heatmap-bytes"'));
  t.false(both.includes('data-figure="size-count"'), "--heatmap alone: only the heatmaps");
  t.deepEqual(iops.heatmapFigures({ ...r, heatmap: null }), []);
});

// Real runs: what the sources fill, as every front end lays it out.

test("a real fsync-per-write run: where the time goes counts the program's syncs and writes, and the file has its time", (t) => {
  const dir = makeTempDir("iops-time-real-");
  const bin = compileFixtures(dir, ["access"]);
  const file = path.join(dir, "synced.dat");
  const page = path.join(dir, "synced.html");
  const r = runCliJson(["--method", "ptrace", "--html", page, "--", bin.access, "write-fsync", file, "200", "4096"]);
  t.is(r.status, 0, r.stderr);
  const text = r.stderr.split("\n");
  const head = text.findIndex((l) => /^Where the time goes: I\/O calls took .+, \d+% of the traced run:$/.test(l));
  t.true(head >= 0, r.stderr);
  const row = (label) => text.slice(head + 2).find((l) => l.trimStart().startsWith(label))?.trim().split(/\s{2,}/);
  // The program: one open, 200 writes each followed by one fsync, one close.
  t.is(row("syncs (fsync, fdatasync, ...)")?.[1], "200");
  t.is(row("writes")?.[1], "200");
  const fileLine = text.find((l) => l.endsWith(file));
  t.regex(fileLine, /^\s+0\s+200\s+0 B\s+800\.00 KiB\s+\S+ (s|ms|µs)\s+sequential\s+/, "a time column for the file");
  const html = fs.readFileSync(page, "utf8");
  t.regex(html, /<tr data-kind="sync"><td data-value="syncs \(fsync, fdatasync, \.\.\.\)">syncs \(fsync, fdatasync, \.\.\.\)<\/td><td class="num" data-value="200">200<\/td>/);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Linux's statfs magic of tmpfs, where a sync costs nothing: the sqlite3 run needs a disk. */
const TMPFS_MAGIC = 0x01021994;

/** Where each front end puts where the time goes, for a real run's report and its page: before the summary, or after the files. */
function timePlaces(stderr, report, html) {
  const text = stderr.split("\n");
  const time = text.findIndex((l) => l.startsWith("Where the time goes: I/O calls took "));
  const summary = text.findIndex((l) => l.startsWith("Traced Execution Time:"));
  const files = text.findIndex((l) => l.startsWith("Top files ("));
  const order = [...html.matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1]);
  const nb = notebookDisplay(report, { histogram: false, top: 10 })["text/html"];
  const nbTime = nb.indexOf('<table class="iops-time">');
  return {
    text: time >= 0 && time < summary ? "first" : time > files && files > summary ? "after the files" : `line ${time}`,
    page: order.indexOf("time") === order.indexOf("findings") + 1 && order.indexOf("time") < order.indexOf("summary") ? "first" : order.indexOf("time") > order.indexOf("files") ? "after the files" : order.join(),
    notebook: nbTime >= 0 && nbTime < nb.indexOf('<table class="iops-summary">') ? "first" : nbTime > nb.indexOf('<table class="iops-files">') ? "after the files" : `at ${nbTime}`,
  };
}

test("real runs: sqlite3 INSERTs in their own transactions (rollback journal) sync most of the run, so where the time goes leads the text, page and notebook; a CPU-bound awk does not", (t) => {
  const tmpIsTmpfs = fs.statfsSync(os.tmpdir()).type === TMPFS_MAGIC;
  if (tmpIsTmpfs) fs.mkdirSync(path.join(ROOT, "target"), { recursive: true });
  const dir = tmpIsTmpfs ? fs.realpathSync(fs.mkdtempSync(path.join(ROOT, "target", "iops-time-lead-"))) : makeTempDir("iops-time-lead-");
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const inserts = 200;
  const sql = ["PRAGMA journal_mode=DELETE;", "CREATE TABLE t(x);", ...Array.from({ length: inserts }, (_, i) => `INSERT INTO t VALUES(${i});`)];
  fs.writeFileSync(path.join(dir, "rb.sql"), sql.join("\n"));
  const run = (name, argv) => {
    const page = path.join(dir, `${name}.html`);
    const r = runCliJson(["--method", "ptrace", "--html", page, "--", ...argv], { cwd: dir });
    t.is(r.status, 0, r.stderr);
    const io = r.report.callTime.reduce((s, c) => s + c.totalSeconds, 0);
    t.log(`${name}: I/O calls ${(io * 1e3).toFixed(1)} ms of ${(r.report.elapsedSeconds * 1e3).toFixed(1)} ms`);
    return { ...r, places: timePlaces(r.stderr, r.report, fs.readFileSync(page, "utf8")) };
  };

  // Each autocommit INSERT creates, syncs and deletes the journal and syncs
  // the database: a device flush each (about a millisecond on a disk),
  // against microseconds of work for the rest of the transaction.
  const db = run("sqlite3", ["sh", "-c", "sqlite3 rb.db < rb.sql > /dev/null"]);
  const sync = db.report.callTime.find((c) => c.kind === "sync");
  t.true(sync.calls >= 2 * inserts, JSON.stringify(sync));
  t.is(db.report.callTime[0].kind, "sync", "the syncs took the most time of any kind of call");
  t.deepEqual(db.places, { text: "first", page: "first", notebook: "first" }, db.stderr);
  t.regex(db.stderr, /^Where the time goes: I\/O calls took .+, \d+% of the traced run:$/m);

  // Three million additions and one 8-byte write: the run is CPU, and its
  // few I/O calls (the loader's reads, the write) are a sliver of it.
  const cpu = run("awk", ["awk", "BEGIN { for (i = 0; i < 3000000; i++) s += i; print i > \"n.txt\" }"]);
  t.is(fs.readFileSync(path.join(dir, "n.txt"), "utf8"), "3000000\n");
  t.deepEqual(cpu.places, { text: "after the files", page: "after the files", notebook: "after the files" }, cpu.stderr);
});

test("dd oflag=direct: the file written with O_DIRECT is marked in the files table", (t) => {
  const dir = makeTempDir("iops-direct-");
  const file = path.join(dir, "direct.out");
  const r = runCli(["--method", "ptrace", "--", "dd", "status=none", "if=/dev/zero", `of=${file}`, "oflag=direct", "bs=4096", "count=8"]);
  t.is(r.status, 0, r.stderr);
  const line = r.stderr.split("\n").find((l) => l.includes(file));
  t.regex(line, /^\s+0\s+8\s+0 B\s+32\.00 KiB\s.*\[O_DIRECT\]$/, r.stderr);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a Python mmap reader: the mapped file is listed with its bytes, and the note says page-fault I/O is not counted", (t) => {
  const dir = makeTempDir("iops-mmap-");
  const file = path.join(dir, "mapped.bin");
  fs.writeFileSync(file, Buffer.alloc(2 * 2 ** 20, 1));
  const script = "import mmap,sys\nf=open(sys.argv[1],'rb')\nm=mmap.mmap(f.fileno(),0,access=mmap.ACCESS_READ)\nprint(sum(m[i] for i in range(0,len(m),4096)))";
  const r = runCli(["--method", "ptrace", "--", "python3", "-c", script, file]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), "512", "the program read every page");
  const text = r.stderr.split("\n");
  const head = text.findIndex((l) => /^Mapped files \(mmap; \d+ files?\):$/.test(l));
  t.true(head >= 0, r.stderr);
  const line = text.slice(head).find((l) => l.endsWith(file));
  t.regex(line ?? "", /^\s+1\s+2\.00 MiB\s+r\s+shared\s+/, r.stderr);
  t.true(text.slice(head).some((l) => l.includes("they are not counted above")), r.stderr);
  fs.rmSync(dir, { recursive: true, force: true });
});
