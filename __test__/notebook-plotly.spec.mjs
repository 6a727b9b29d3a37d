/**
 * Charts in notebooks: Plotly (1.2 MB) at most once per notebook, each chart
 * in Plotly's own Jupyter shape (`application/vnd.plotly.v1+json` beside
 * HTML), and every chart drawn whichever output the page runs first. Real
 * tslab kernels driven by nbclient, real headless Chromium.
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { displays, executeNotebook, mime, notebookWork, plotlyCopies, plottedFigures, renderedDom, row, runSession } from "./_support/notebook.mjs";

const PLOTLY = "application/vnd.plotly.v1+json";

const work = notebookWork(test, "plotly-");

/** A --histogram cell writing `n` blocks of `size` bytes to its own file (a different workload each). */
const histogramCell = (n, size) =>
  `%%iops --histogram\nconst f${n} = fs.openSync(${work.quoted(`h${n}.bin`)}, "w");\n` +
  `for (let i = 0; i < ${n}; i++) fs.writeSync(f${n}, Buffer.alloc(${size}));\nfs.closeSync(f${n});`;
const LOAD = `import "iops-profiler/tslab";\nimport * as fs from "fs";`;

/** A notebook file of these code cells, for the tslab kernel, outputs empty. */
function notebookFile(name, sources) {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: sources.map((source, i) => ({ id: `cell-${i}`, cell_type: "code", metadata: {}, execution_count: null, outputs: [], source })),
  };
  const file = work.path(name);
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

/** Executes the notebook with nbclient; returns its saved bytes and its cells. */
function saved(name, sources) {
  const nb = executeNotebook(work.scratch, notebookFile(name, sources));
  const text = fs.readFileSync(path.join(work.scratch, `executed-${name}`), "utf8");
  return { bytes: Buffer.byteLength(text), text, cells: nb.cells };
}

/** The DOM after headless Chromium ran `html`'s scripts (no network: a dead proxy). */
function render(html, name) {
  const page = work.path(`${name}.html`);
  fs.writeFileSync(page, `<!doctype html><html><body>${html}</body></html>`);
  return renderedDom(page);
}

test("five --histogram cells: Plotly once, in the first; the saved notebook grows well under 200 KB beyond one such cell", (t) => {
  const one = saved("one.ipynb", [LOAD, histogramCell(1, 100)]);
  const five = saved("five.ipynb", [LOAD, histogramCell(1, 100), histogramCell(2, 1000), histogramCell(3, 10_000), histogramCell(4, 100_000), histogramCell(5, 7)]);
  t.is(plotlyCopies(one.text), 1);
  t.is(plotlyCopies(five.text), 1, "one copy of Plotly in the whole notebook");
  const charts = five.cells.slice(1);
  t.is(plotlyCopies(JSON.stringify(charts[0].outputs)), 1, "the first chart cell carries it");
  for (const [i, cell] of charts.entries()) {
    // Each cell's figures are its own: its writes, by size.
    t.is(row(mime(displays(cell)[0], "text/plain"), "Write Operations"), String(i + 1));
    const count = plottedFigures(cell).find((f) => f.id.endsWith("-size-count"));
    t.deepEqual(count.data.find((s) => s.name === "writes").y, [i + 1]);
  }
  const growth = five.bytes - one.bytes;
  t.log(`one histogram cell: ${one.bytes} bytes; five: ${five.bytes} bytes (+${growth})`);
  t.true(growth < 200_000, `four more --histogram cells add ${growth} bytes`);
});

test("each chart is a display of its own: Plotly's JSON (data, layout, config) beside HTML that draws the same figure", (t) => {
  const [, cell] = saved("shape.ipynb", [LOAD, histogramCell(6, 4096)]).cells;
  const [report, ...charts] = displays(cell);
  t.is(report.data[PLOTLY], undefined, "the report's display is tables and text");
  t.regex(mime(report, "text/html"), /<table class="iops-summary">/);
  const drawn = plottedFigures(cell);
  t.is(charts.length, drawn.length);
  t.true(charts.length >= 2);
  for (const [i, chart] of charts.entries()) {
    const figure = chart.data[PLOTLY];
    t.deepEqual(Object.keys(figure).sort(), ["config", "data", "layout"]);
    t.deepEqual(figure.data, drawn[i].data);
    t.deepEqual(figure.layout, drawn[i].layout);
    t.regex(mime(chart, "text/plain"), /^\[chart: .+\]$/);
  }
  t.deepEqual(charts[0].data[PLOTLY].data.find((s) => s.name === "writes").x, [4096]);
});

test("the charts draw whichever output runs first, and the text histogram is hidden once they do", (t) => {
  const { cells } = saved("order.ipynb", [LOAD, histogramCell(7, 512), histogramCell(8, 64)]);
  const cellHtml = cells.slice(1).map((c) => displays(c).map((d) => mime(d, "text/html")).join("\n"));
  // The later cell's outputs first: its charts run before the output that carries Plotly (a page rendering out of order).
  const dom = render(cellHtml.slice().reverse().join("\n"), "reversed");
  const charts = plottedFigures(cellHtml.join("\n")).length;
  t.true(charts >= 4);
  t.is((dom.match(/class="main-svg"/g) ?? []).length, 3 * charts, "every chart drawn by Plotly (three SVG layers each)");
  t.is((dom.match(/class="iops-text-histogram" style="display: none;"/g) ?? []).length, 2);
});

test("a run of the cell that carried Plotly carries it again (its new output replaces the old); other cells do not", (t) => {
  const first = histogramCell(9, 256);
  const results = runSession(work.scratch, [{ cell: LOAD }, { cell: first }, { cell: histogramCell(10, 256) }, { cell: first }]);
  const copies = results.slice(1).map((r) => plotlyCopies(JSON.stringify(r.outputs)));
  t.deepEqual(copies, [1, 0, 1]);
});
