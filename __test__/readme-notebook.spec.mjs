/**
 * The README's notebook examples, exactly as printed: its code blocks
 * fenced as `ts notebook-cell`, run in order as the cells of one real tslab
 * kernel (nbclient), in a fresh folder of the notebook scratch project (the
 * package installed from `npm pack`, as a reader who followed the README
 * has it). What the README says they show is asserted.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import test from "ava";

import { ROOT } from "./_support/util.mjs";
import { PYTHON, displays, mime, notebookScratch, row, runSession, stream } from "./_support/notebook.mjs";

/** The README's blocks fenced as ```ts notebook-cell, in order, as printed. */
function readmeNotebookCells(markdown) {
  return [...markdown.matchAll(/^```ts notebook-cell\n([\s\S]*?)^```$/gm)].map((m) => m[1].replace(/\n$/, ""));
}

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

test("the README's notebook cells run as printed, and show what the README says", (t) => {
  const cells = readmeNotebookCells(README);
  t.is(cells.length, 2, "the loading cell and the %%iops example");
  t.is(cells[0], `import "iops-profiler/tslab";`);
  const scratch = notebookScratch();
  const cwd = fs.mkdtempSync(path.join(scratch, "readme-"));
  try {
    const results = runSession(scratch, cells.map((cell) => ({ cell })), { cwd });
    for (const [i, r] of results.entries()) t.is(r.status, "ok", `cell ${i + 1}: ${stream(r, "stderr")}`);
    // "shows the results table (`Write Operations: 1,000`, `Bytes Written: 3.91 MiB (4,096,000 bytes)`, the files, the findings)"
    const plain = mime(displays(results[1])[0], "text/plain");
    t.is(row(plain, "Write Operations"), "1,000");
    t.is(row(plain, "Bytes Written"), "3.91 MiB (4,096,000 bytes)");
    t.regex(plain, /out\.bin/);
    t.is(fs.statSync(path.join(cwd, "out.bin")).size, 4_096_000);
    t.regex(README, /shows the results table \(`Write Operations: 1,000`, `Bytes Written: 3\.91 MiB\s+\(4,096,000 bytes\)`/);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

/** The README's set-up commands: its block fenced as ```bash notebook-setup, line by line. */
function readmeSetupLines(markdown) {
  const blocks = [...markdown.matchAll(/^```bash notebook-setup\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  return blocks.length === 1 ? blocks[0].split("\n").filter((l) => l.trim()) : null;
}

/** PATH without any folder that holds a `tslab` (a global install would hide the fault), the system's Python first. */
function pathWithoutTslab() {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, "tslab")));
  return [path.dirname(PYTHON), ...dirs.filter((d) => d !== path.dirname(PYTHON))].join(path.delimiter);
}

test("the README's notebook set-up, run as printed where tslab is installed locally only (not on PATH), registers a kernel that starts and runs the README's cells", (t) => {
  const lines = readmeSetupLines(README);
  t.truthy(lines, "one ```bash notebook-setup block");
  // The npm install lines are what the scratch project already did (tslab and the packed package, locally).
  const installs = lines.filter((l) => /^npm install\b/.test(l));
  t.deepEqual(installs, ["npm install tslab"]);
  const rest = lines.filter((l) => !installs.includes(l));
  t.is(rest.length, 1);
  t.regex(rest[0], /^npx tslab install .*--user\b/, "into the user's own Jupyter folder (HOME, a temporary one here): never the machine's");

  const scratch = notebookScratch();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "iops-readme-home-"));
  const cwd = fs.mkdtempSync(path.join(scratch, "readme-setup-"));
  try {
    const env = { ...process.env, HOME: home, PATH: pathWithoutTslab() };
    for (const k of Object.keys(env)) if (k.startsWith("JUPYTER_")) delete env[k];
    t.not(spawnSync("sh", ["-c", "command -v tslab"], { env }).status, 0, "no tslab on this PATH");
    // As printed, in the project's folder (where `npm install tslab` was run).
    const r = spawnSync("bash", ["-e", "-c", rest.join("\n")], { cwd: scratch, env, encoding: "utf8" });
    t.is(r.status, 0, r.stderr);
    const spec = JSON.parse(fs.readFileSync(path.join(home, ".local", "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8"));
    t.is(spec.argv[0], path.join(scratch, "node_modules", ".bin", "tslab"), "the local tslab, by its path");
    // The kernel Jupyter starts from that kernelspec (found under HOME, nothing else on JUPYTER_PATH) runs the README's cells.
    const results = runSession(scratch, readmeNotebookCells(README).map((cell) => ({ cell })), { cwd, env });
    for (const [i, res] of results.entries()) t.is(res.status, "ok", `cell ${i + 1}: ${stream(res, "stderr")}`);
    t.is(row(mime(displays(results[1])[0], "text/plain"), "Write Operations"), "1,000");
    t.is(fs.statSync(path.join(cwd, "out.bin")).size, 4_096_000);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test("the example notebook's set-up registers the kernel with the README's command", (t) => {
  const nb = JSON.parse(fs.readFileSync(path.join(ROOT, "docs", "notebooks", "basic_usage.ipynb"), "utf8"));
  const text = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n");
  const installs = text.split("\n").filter((l) => /^npx tslab install\b/.test(l));
  t.deepEqual(installs, readmeSetupLines(README).filter((l) => /^npx tslab install\b/.test(l)));
});
