/**
 * The text pictures over time (the notebook's text/plain, the figures'
 * `text`) label their rows and columns in a unit that says what they mean:
 * a run of a few hundred µs had every row labelled `0 s`. Each row's label,
 * read back with its unit, is the row's start in the report's timeline (to
 * the label's last digit), and no two rows share a label.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

import test from "ava";

import { ROOT, eachMethod, iops, makeTempDir } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { timeScale } = require(path.join(ROOT, "dist", "view", "units.js"));

const UNIT = { s: 1, ms: 1e-3, "µs": 1e-6, ns: 1e-9 };

/** "30 µs" → { seconds: 3e-5, half: half a unit of its last digit, in seconds }. */
function readTime(label) {
  const m = /^(\d+(?:\.(\d+))?) (s|ms|µs|ns)$/.exec(label);
  if (!m) return null;
  const size = UNIT[m[3]];
  return { seconds: Number(m[1]) * size, half: 0.5 * 10 ** -(m[2]?.length ?? 0) * size, size };
}

let dir;
test.before(() => {
  dir = makeTempDir("iops-time-scale-");
});
test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("timeScale: the largest unit in which the step is at least 1, with the decimals the step needs", (t) => {
  const labels = (step, n = 4) => Array.from({ length: n }, (_, i) => timeScale(step)(i * step));
  t.deepEqual(labels(2e-5), ["0 µs", "20 µs", "40 µs", "60 µs"]);
  t.deepEqual(labels(1.5e-3), ["0 ms", "1.5 ms", "3 ms", "4.5 ms"]);
  t.deepEqual(labels(2.5e-7), ["0 ns", "250 ns", "500 ns", "750 ns"]);
  t.deepEqual(labels(0.25), ["0 ms", "250 ms", "500 ms", "750 ms"]);
  t.deepEqual(labels(1.23456), ["0 s", "1.23 s", "2.47 s", "3.7 s"]);
  t.deepEqual(labels(4e-10), ["0 ns", "0.4 ns", "0.8 ns", "1.2 ns"]);
});

eachMethod(test, "10 appends in well under a millisecond: the rows over time are labelled by their start in a unit that shows it, each its own", async (t, method) => {
  const file = path.join(dir, `appends-${method}.dat`);
  const report = await iops.profile(
    () => {
      for (let i = 0; i < 10; i++) fs.appendFileSync(file, "abcd".repeat(i + 1));
    },
    { method },
  );
  t.is(report.summary.writeOps, 10);
  t.is(report.summary.writeBytes, 220, "4 + 8 + ... + 40 bytes");
  const tl = report.timeline;
  const figures = iops.reportFigures(report, { histogram: true, heatmap: true });
  for (const id of ["iops-over-time", "throughput-over-time"]) {
    const [heading, ...lines] = figures.find((f) => f.id === id).text;
    const step = Number(/each row is ([\d.e-]+) s from its start\):$/.exec(heading)[1]);
    const perRow = Math.round(step / tl.intervalSeconds);
    t.true(perRow >= 1, heading);
    const labels = lines.map((l) => l.split(" |")[0].trim());
    t.is(new Set(labels).size, labels.length, `${id}: every row its own label:\n${lines.join("\n")}`);
    labels.forEach((label, row) => {
      const read = readTime(label);
      t.truthy(read, `${id}: "${label}" is a time with its unit`);
      const start = tl.points[row * perRow].t;
      t.true(Math.abs(read.seconds - start) <= read.half + 1e-15, `${id} row ${row}: "${label}" is ${start} s`);
      t.true(step >= read.size || read.size === UNIT.ns, `${id}: "${label}" in a unit no larger than the row`);
    });
  }
  for (const id of ["heatmap-ops", "heatmap-bytes"]) {
    const text = figures.find((f) => f.id === id).text;
    const footer = text[text.length - 1].trim();
    const m = /^(.+) to (.+), (.+) per column$/.exec(footer);
    t.truthy(m, footer);
    const [from, to, column] = m.slice(1).map(readTime);
    t.is(from.seconds, 0);
    const h = report.heatmap;
    const width = h.binSeconds * Math.ceil(h.ops.length / 60);
    t.true(Math.abs(column.seconds - width) <= column.half, `${footer}: ${width} s per column`);
    t.true(Math.abs(to.seconds - h.ops.length * h.binSeconds) <= to.half, `${footer}: to ${h.ops.length * h.binSeconds} s`);
  }
});
