/**
 * `npm run bench notebook`: the fixed cost of the tslab magics, in a real
 * tslab kernel driven by Jupyter's client (the package installed from
 * `npm pack` next to tslab, as the notebook tests have it).
 *
 * Cells are timed as the notebook user waits for them: from the execute
 * request to the kernel's idle after the cell's last output (the %%iops
 * results included). An empty plain cell, an empty %%iops cell and a plain
 * cell of one statement (what tslab's compiler costs on its own) run in
 * turn, BENCH_NOTEBOOK_REPEAT times each (default 20) after a first round,
 * reported apart: its %%iops cell starts the tracer helper. The medians are
 * shown side by side.
 *
 * Target (issue 15): an empty %%iops cell costs at most 10 ms more than an
 * empty plain cell, medians of 20.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PYTHON, TSLAB_VERSION, notebookScratch } from "../__test__/_support/notebook.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(HERE, "..", "__test__", "_support", "nbdriver.py");
const REPEAT = Number(process.env.BENCH_NOTEBOOK_REPEAT ?? 20);
const TARGET_MS = 10;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (seconds) => (seconds * 1e3).toFixed(1).padStart(8);

export async function run() {
  const scratch = notebookScratch();
  const variants = [
    ["empty plain cell", ""],
    ["empty %%iops cell", "%%iops"],
    ["plain cell `0;` (tslab compiles it)", "0;"],
  ];
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iops-bench-nb-")), "times.json");
  const r = spawnSync(
    PYTHON,
    [DRIVER, "timing", "--cwd", scratch, "--out", out, "--repeat", String(REPEAT), "--setup", 'import "iops-profiler/tslab";'],
    {
      input: JSON.stringify(variants.map(([, code]) => code)),
      env: { ...process.env, JUPYTER_PATH: path.join(scratch, "jupyter", "share", "jupyter") },
      encoding: "utf8",
      stdio: ["pipe", "ignore", "pipe"],
    },
  );
  if (r.status !== 0) throw new Error(`nbdriver timing failed: ${r.stderr}`);
  const { first, times } = JSON.parse(fs.readFileSync(out, "utf8"));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });

  console.log(`tslab ${TSLAB_VERSION} kernel, cell round trip (request → idle), median of ${REPEAT} after a first round, variants in turn:`);
  console.log(`  ${"cell".padEnd(38)} ${"median ms".padStart(9)}  ${"min ms".padStart(8)}  ${"max ms".padStart(8)}  ${"first ms".padStart(8)}`);
  variants.forEach(([name], i) => {
    console.log(`  ${name.padEnd(38)} ${ms(median(times[i])).padStart(9)}  ${ms(Math.min(...times[i]))}  ${ms(Math.max(...times[i]))}  ${ms(first[i])}`);
  });
  console.log(`  (first: the first round, apart; its %%iops cell starts the tracer helper)`);
  const extra = (median(times[1]) - median(times[0])) * 1e3;
  const ok = extra <= TARGET_MS;
  console.log(`  empty %%iops cell − empty plain cell: ${extra.toFixed(1)} ms (target ≤ ${TARGET_MS} ms) ${ok ? "ok" : "OVER TARGET"}`);
}
