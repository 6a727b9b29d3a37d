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

test("in a kernel: comparing with a name not kept says which are, in one line", (t) => {
  t.is(cells.missing.status, "error");
  t.regex(stream(cells.missing, "stderr").trim(), /^%iops: no report is kept as "nothing": kept are small, large \(run a cell with %%iops --save-as nothing\)$/);
});
