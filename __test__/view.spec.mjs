/**
 * The view model (src/view/view.ts) is the one place the figures shown are
 * worked out: the terminal table, the HTML page and the notebook output show
 * the same summary values, notes and files, whatever the source saw or did
 * not see. Reports from a real traced run (N writes of S bytes), from the
 * /proc counters of a real write, and that counters report as macOS's
 * rusage source leaves it (no operation counts).
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

import test from "ava";

import { ROOT, compileFixtures, iops, makeTempDir, runCliJson } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { native } = require(path.join(ROOT, "dist", "native.js"));
const { notebookDisplay } = require(path.join(ROOT, "dist", "render", "notebook.js"));

const N = 37;
const S = 3000;

let traced;
let counted;
let rusageShaped;

test.before(() => {
  const dir = makeTempDir("iops-view-");
  const bin = compileFixtures(dir, ["writes"]);
  traced = runCliJson(["--", bin.writes, path.join(dir, "out.dat"), String(N), String(S)]).report;
  const before = native.countersSnapshot(process.pid);
  fs.writeFileSync(path.join(dir, "counted.dat"), Buffer.alloc(S));
  const after = native.countersSnapshot(process.pid);
  counted = JSON.parse(native.countersReport(before, after, "counted for this test"));
  // What the rusage source gives: bytes, no operation counts, so no IOPS.
  rusageShaped = structuredClone(counted);
  rusageShaped.method = "rusage";
  Object.assign(rusageShaped.summary, { readOps: null, writeOps: null, totalOps: null, iops: null });
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The summary values of the terminal table, by row, in order. */
function textValues(report) {
  // The table's nine rows, wherever they start (where the time goes can lead them).
  const lines = iops.formatText(report).split("\n");
  const from = lines.findIndex((l) => /^(Traced )?Execution Time:/.test(l));
  return lines.slice(from, from + 9).map((l) => l.replace(/^[A-Za-z ]+:\s+/, ""));
}

const unescape = (s) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));

/** The summary values of the HTML page's table. */
function pageValues(report) {
  const section = /<section id="summary">[\s\S]*?<\/table>/.exec(iops.reportPage(report))[0];
  return [...section.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => unescape(m[1]));
}

/** The summary values of the notebook's HTML table. */
function notebookValues(report) {
  const html = notebookDisplay(report, { histogram: false, top: 10 })["text/html"];
  const table = /<table class="iops-summary">[\s\S]*?<\/table>/.exec(html)[0];
  return [...table.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => unescape(m[1]));
}

test("a traced run: the table, the page and the notebook show the same values, N writes of S bytes", (t) => {
  const values = textValues(traced);
  t.is(values[2], String(N), "Write Operations");
  t.is(values[5], `${((N * S) / 1024).toFixed(2)} KiB (${(N * S).toLocaleString("en-US")} bytes)`, "Bytes Written");
  t.deepEqual(pageValues(traced), values);
  t.deepEqual(notebookValues(traced), values);
});

test("counters: the same values in every front end", (t) => {
  const values = textValues(counted);
  t.is(values.length, 9);
  t.deepEqual(pageValues(counted), values);
  t.deepEqual(notebookValues(counted), values);
});

test("a source without operation counts: 'not measured' in every front end, never 0", (t) => {
  const values = textValues(rusageShaped);
  t.deepEqual([values[1], values[2], values[3], values[7]], ["not measured", "not measured", "not measured", "not measured"]);
  t.deepEqual(pageValues(rusageShaped), values);
  t.deepEqual(notebookValues(rusageShaped), values);
});

test("the notes under the table say the same in the terminal and on the page", (t) => {
  const text = iops.formatText(traced).split("\n");
  const page = iops.reportPage(traced);
  const notes = [...page.matchAll(/<p class="note">([^<]*)<\/p>/g)].map((m) => unescape(m[1]));
  const latency = text.find((l) => l.startsWith("Latency per operation"));
  t.truthy(latency, "the traced run has latency");
  // The page adds each maximum; the rest of the sentence is the terminal's.
  t.true(notes.some((n) => n.replace(/, max [\d.]+ (?:µs|ms|s)/g, "") === `${latency}.`), notes.join("\n"));
});
