/**
 * Keeping a cell's report under a name (`%%iops --save-as small`) and
 * comparing two kept ones (`%iops compare small large`), in a real tslab
 * kernel driven by Jupyter (nbclient).
 */
import test from "ava";

import { displays, mime, notebookWork, plottedFigures, runSession, stream } from "./_support/notebook.mjs";

const work = notebookWork(test);
let cells;

test.before(() => {
  const p = work.quoted;
  const steps = [
    `import "iops-profiler/tslab";\nimport * as fs from "fs";`,
    `%%iops --save-as small --json ${p("small.json")}\nconst a = fs.openSync(${p("small.bin")}, "w");\nfor (let i = 0; i < 1000; i++) fs.writeSync(a, Buffer.alloc(16, 1));\nfs.closeSync(a);`,
    `%%iops --save-as large --json ${p("large.json")}\nconst b = fs.openSync(${p("large.bin")}, "w");\nfs.writeSync(b, Buffer.alloc(16000, 1));\nfs.closeSync(b);`,
    `%iops compare small large`,
    `%iops compare small nothing`,
  ].map((cell) => ({ cell }));
  const results = runSession(work.scratch, steps);
  cells = { small: results[1], large: results[2], compare: results[3], missing: results[4] };
});

test("in a kernel: two kept cells compared, with the ratios, the verdict and the size histograms overlaid", (t) => {
  const small = work.report("small.json");
  const large = work.report("large.json");
  const file = (r, name) => r.files.find((f) => f.path === work.path(name));
  t.is(file(small, "small.bin").writeOps, 1000);
  t.is(file(large, "large.bin").writeOps, 1);
  t.is(cells.compare.status, "ok", JSON.stringify(cells.compare.outputs).slice(0, 1000));
  const d = displays(cells.compare);
  t.is(d.length, 1);
  const plain = mime(d[0], "text/plain");
  t.regex(plain.split("\n")[0], /^large does [\d,.]+× fewer writes/);
  t.regex(plain, new RegExp(`Write operations: +${small.summary.writeOps.toLocaleString("en-US")} +${large.summary.writeOps.toLocaleString("en-US")} +`));
  const figures = plottedFigures(mime(d[0], "text/html"));
  t.deepEqual(figures.map((f) => f.data.map((tr) => tr.name)).flat().filter((n) => n.endsWith("writes")).sort(), ["large writes", "large writes", "small writes", "small writes"]);
});

test("in a kernel: the compared histograms as text, for where no script runs (each before its chart) and in text/plain", (t) => {
  const [d] = displays(cells.compare);
  const html = mime(d, "text/html");
  const texts = [...html.matchAll(/<pre id="iops-[0-9a-f]+-(compare-[a-z]+)-text" class="iops-chart-text">([^<]*)<\/pre>\n<div id="iops-[0-9a-f]+-\1" class="iops-chart"/g)].map((m) => [m[1], m[2]]);
  t.deepEqual(texts.map(([id]) => id), ["compare-ops", "compare-bytes"]);
  const [ops, bytes] = texts.map(([, text]) => text.split("\n"));
  // small: 1,000 writes of 16 B; large: one write of 16,000 B, in [8 KiB, 16 KiB).
  t.is(ops[0], "Operations by size (each row is [size, 2×size)):");
  t.deepEqual(ops[1].trim().split(/ {2,}/), ["small writes", "large writes"]);
  const rows = (lines) => lines.slice(2).map((l) => l.trim().split(/ {2,}/));
  t.deepEqual(rows(ops), [["16 B", "1,000", "0"], ["32 B", "0", "0"], ["64 B", "0", "0"], ["128 B", "0", "0"], ["256 B", "0", "0"], ["512 B", "0", "0"], ["1 KiB", "0", "0"], ["2 KiB", "0", "0"], ["4 KiB", "0", "0"], ["8 KiB", "0", "1"]]);
  t.deepEqual(rows(bytes)[0], ["16 B", "15.63 KiB", "0 B"]);
  t.deepEqual(rows(bytes).at(-1), ["8 KiB", "0 B", "15.63 KiB"]);
  const plain = mime(d, "text/plain");
  for (const [, text] of texts) t.true(plain.includes(`\n\n${text}`), text);
});

test("in a kernel: comparing with a name not kept says which are, in one line", (t) => {
  t.is(cells.missing.status, "error");
  t.regex(stream(cells.missing, "stderr").trim(), /^%iops: no report is kept as "nothing": kept are small, large \(run a cell with %%iops --save-as nothing\)$/);
});
