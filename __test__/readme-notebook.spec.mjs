/**
 * The README's notebook examples, exactly as printed: its code blocks
 * fenced as `ts notebook-cell`, run in order as the cells of one real tslab
 * kernel (nbclient), in a fresh folder of the notebook scratch project (the
 * package installed from `npm pack`, as a reader who followed the README
 * has it). What the README says they show is asserted.
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { ROOT } from "./_support/util.mjs";
import { displays, mime, notebookScratch, row, runSession, stream } from "./_support/notebook.mjs";

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
