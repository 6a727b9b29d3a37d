/**
 * The example notebooks in docs/notebooks: committed without outputs, and
 * executed here by nbclient in a real tslab kernel (the package installed
 * from `npm pack` next to tslab), with assertions on their outputs.
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { ROOT, SOURCE_LABELS, defaultMethod } from "./_support/util.mjs";
import { displays, executeNotebook, mime, notebookScratch, plottedFigures, row, stream } from "./_support/notebook.mjs";

const DOCS = path.join(ROOT, "docs", "notebooks");
const NOTEBOOKS = ["basic_usage.ipynb", "histogram_visualization.ipynb"];

let scratch;
test.before(() => {
  scratch = notebookScratch();
});

const code = (nb) => nb.cells.filter((c) => c.cell_type === "code");
const source = (cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);
const cellWith = (nb, text) => code(nb).find((c) => source(c).includes(text));

test("the docs notebooks are committed with their outputs stripped, for the tslab kernel", (t) => {
  for (const name of NOTEBOOKS) {
    const nb = JSON.parse(fs.readFileSync(path.join(DOCS, name), "utf8"));
    t.is(nb.metadata.kernelspec.name, "tslab", name);
    for (const cell of code(nb)) {
      t.deepEqual(cell.outputs, [], `${name}: outputs of ${source(cell).slice(0, 40)}`);
      t.is(cell.execution_count, null, name);
    }
  }
});

test("basic_usage.ipynb runs, and shows exact figures", (t) => {
  const nb = executeNotebook(scratch, path.join(DOCS, "basic_usage.ipynb"));

  const writes = cellWith(nb, "for (let i = 0; i < 1000; i++) fs.writeSync(fd, block)");
  const plain = mime(displays(writes)[0], "text/plain");
  t.is(row(plain, "Write Operations"), "1,000");
  t.is(row(plain, "Bytes Written"), "3.91 MiB (4,096,000 bytes)");
  t.is(row(plain, "Read Operations"), "0");
  t.regex(mime(displays(writes)[0], "text/html"), /<table class="iops-summary">/);

  t.is(stream(cellWith(nb, "block.length"), "stdout"), "4096\n");

  const line = cellWith(nb, "%iops const data");
  const linePlain = mime(displays(line)[0], "text/plain");
  t.is(row(linePlain, "Bytes Read"), "3.91 MiB (4,096,000 bytes)");
  t.is(row(linePlain, "Write Operations"), "0", "the line before it is not measured");
  t.is(stream(line, "stdout"), "read 4096000 bytes\n");

  const async = cellWith(nb, "await handle.write");
  t.is(row(mime(displays(async)[0], "text/plain"), "Write Operations"), "100");
  t.is(row(mime(displays(async)[0], "text/plain"), "Bytes Written"), "97.66 KiB (100,000 bytes)");

  t.regex(stream(cellWith(nb, "%iops --help"), "stdout"), /--histogram/);

  const allFds = mime(displays(cellWith(nb, "%%iops --all-fds"))[0], "text/plain");
  t.true(allFds.startsWith(`IOPS Profile Results (${SOURCE_LABELS[defaultMethod()]}; all fds)`), allFds);
  t.regex(allFds, /Top files \(\d+ of \d+\):/);
  t.regex(allFds, / 10 +0 B +100 B +(?:[\d.]+ [µm]?s +)?- +\/dev\/null/, "no access pattern for a character device");
});

test("histogram_visualization.ipynb runs, and draws the reference's two charts", (t) => {
  const nb = executeNotebook(scratch, path.join(DOCS, "histogram_visualization.ipynb"));

  const sizes = cellWith(nb, "small_${i}.txt");
  const [d] = displays(sizes);
  // The charts: one display each, after the report's.
  const [count, bytes] = plottedFigures(sizes);
  const writes = count.data.find((s) => s.name === "writes");
  // 5 × 1 KiB, 3 × 10 KiB, 2 × 100 KiB files, one write each.
  // Bars over every power of two between them, the empty ones included: [1 KiB, 2 KiB) ... [64 KiB, 128 KiB).
  const from = writes.x.indexOf(1024);
  t.deepEqual(writes.x.slice(from), [1024, 2048, 4096, 8192, 16384, 32768, 65536]);
  t.deepEqual(writes.y.slice(from), [5, 0, 0, 3, 0, 0, 2]);
  const exact = bytes.data.find((s) => s.name === "writes").customdata.map(([b]) => b);
  t.deepEqual(exact.slice(from), [5 * 1024, 0, 0, 3 * 10240, 0, 0, 2 * 102400]);
  t.regex(mime(d, "text/plain"), /Operations by size/);

  const pieces = cellWith(nb, "i * 4096");
  const [p] = displays(pieces);
  const reads = plottedFigures(pieces)[0].data.find((s) => s.name === "reads");
  const at4k = reads.x.indexOf(4096);
  t.is(reads.y[at4k], 1000);
  t.is(row(mime(p, "text/plain"), "Bytes Read"), "7.81 MiB (8,192,000 bytes)");
});
