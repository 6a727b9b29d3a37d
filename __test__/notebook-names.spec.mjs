/**
 * How the magics hand the user's code to the kernel: names declared in
 * earlier cells, declared inside a magic and used after it, top-level
 * await, a statement over several lines, compile errors at the columns
 * typed; in the TypeScript and the JavaScript kernel alike, and a cell
 * compiles with `%iops` exactly when it compiles without it. Real tslab and
 * jslab kernels driven by nbclient; each window's figures checked against
 * what its code wrote (the files' sizes on disk).
 */
import fs from "node:fs";

import test from "ava";

import { notebookWork, runSession, stream } from "./_support/notebook.mjs";

const work = notebookWork(test, "names-");
const p = work.quoted;
const report = work.report;

/** [readOps, writeOps, readBytes, writeBytes] of a saved report. */
const counts = (name) => {
  const s = report(name).summary;
  return [s.readOps, s.writeOps, s.readBytes, s.writeBytes];
};

/** What the magic put before the code of `%iops console.log(...)`: "%iops ", 6 columns. */
const MAGIC = "%iops ".length;

for (const kernel of ["tslab", "jslab"]) {
  const f = (name) => p(`${kernel}-${name}`);
  test(`${kernel}: names of earlier cells, names declared in a window and used after it, top-level await and multi-line statements reach the code as typed; each window counts exactly its code`, (t) => {
    const cells = runSession(
      work.scratch,
      [
        { cell: `import "iops-profiler/tslab";\nimport * as fs from "fs";` },
        // Every kind of declaration, then a cell between (tslab carries declarations from cell to cell).
        { cell: `const c1 = 3;\nlet l1 = 4;\nvar v1 = 5;\nfunction f1() { return 6; }\nclass K1 { static n = 7; }` },
        { cell: `console.log("between")` },
        { cell: `%iops --json ${f("a.json")} fs.writeFileSync(${f("a.bin")}, "x".repeat(c1 + l1 + v1 + f1() + K1.n))` },
        {
          cell: `const fd = fs.openSync(${f("a.bin")}, "r");\nconst buf = Buffer.alloc(64);\n%iops --json ${f("b.json")} const got = fs.readSync(fd, buf, 0, 64, 0);\nconsole.log("same cell", got);\nfs.closeSync(fd);`,
        },
        { cell: `%%iops --json ${f("c.json")}\nconst n5 = c1 * 10;\nawait fs.promises.writeFile(${f("c.bin")}, "y".repeat(n5));\nlet later5 = "c";` },
        { cell: `%iops --json ${f("d.json")} const w6 = await fs.promises.writeFile(${f("d.bin")}, "z".repeat(l1));` },
        // A statement over several lines: the window ends where it does; the next line runs unmeasured.
        { cell: `%iops --json ${f("e.json")} fs.writeFileSync(\n  ${f("e.bin")},\n  "e".repeat(v1),\n);\nfs.writeFileSync(${f("e2.bin")}, "not in the window");` },
        { cell: `console.log(got, n5, later5, typeof w6, c1 + l1)` },
      ],
      { kernel },
    );
    for (const [i, c] of cells.entries()) t.is(c.status, "ok", `cell ${i}: ${stream(c, "stderr")}`);
    const size = (name) => fs.statSync(work.path(`${kernel}-${name}`)).size;
    t.is(size("a.bin"), 25);
    t.deepEqual(counts(`${kernel}-a.json`), [0, 1, 0, 25]);
    t.is(stream(cells[4], "stdout"), "same cell 25\n");
    t.deepEqual(counts(`${kernel}-b.json`), [1, 0, 25, 0]);
    t.is(size("c.bin"), 30);
    t.deepEqual(counts(`${kernel}-c.json`), [0, 1, 0, 30]);
    t.is(size("d.bin"), 4);
    t.deepEqual(counts(`${kernel}-d.json`), [0, 1, 0, 4]);
    t.is(size("e.bin"), 5);
    t.is(size("e2.bin"), 17);
    t.deepEqual(counts(`${kernel}-e.json`), [0, 1, 0, 5], "the window ends with the statement, before the next line");
    t.is(stream(cells[8], "stdout"), "25 30 c undefined 7\n");
  });

  test(`${kernel}: a cell compiles with %iops exactly when it does without; tslab's errors point at the columns typed`, (t) => {
    const [, , , , plainNames, magicNames, plainUnknown, magicUnknown, again, after] = runSession(
      work.scratch,
      [
        { cell: `import "iops-profiler/tslab";` },
        // Bound with require(): a name tslab's JavaScript kernel forgets once another cell has run.
        { cell: `const path = require("path");\nconst y = 4;` },
        { cell: `console.log("between")` },
        { cell: `console.log("and another")` },
        { cell: `console.log(path.sep, y)` },
        { cell: `%iops console.log(path.sep, y)` },
        { cell: `console.log(nosuch)` },
        { cell: `%iops console.log(nosuch)` },
        // Bound again right before: known to the next cell in both kernels.
        { cell: `const path2 = require("path");` },
        { cell: `%iops --json ${f("after.json")} require("fs").writeFileSync(${f("after.bin")}, path2.sep)` },
      ],
      { kernel },
    );
    // The magic changes nothing about what compiles: the same status, the same
    // message from tslab at the same place in the user's text (6 columns on, past "%iops ").
    const shifted = (text) => text.replace(/^(\d+):(\d+) - /gm, (_, l, c) => `${l}:${Number(c) + MAGIC} - `);
    const tslabLines = (cell) => stream(cell, "stderr").split("\n").filter((l) => /^\d+:\d+ - /.test(l)).join("\n");
    t.is(magicNames.status, plainNames.status);
    t.is(tslabLines(magicNames), shifted(tslabLines(plainNames)));
    if (plainNames.status === "ok") {
      t.is(stream(plainNames, "stdout"), `${"/"} 4\n`);
      t.is(stream(magicNames, "stdout"), `${"/"} 4\n`);
    } else {
      // tslab 1.0's JavaScript kernel: "Cannot find name 'path'" at 1:13 plain, at 1:19 in `%iops console.log(path.sep, y)`.
      t.is(tslabLines(plainNames), "1:13 - Cannot find name 'path'.");
      t.regex(stream(magicNames, "stderr"), /\niops: tslab no longer knows path, set by an earlier cell: .*require\(\).* with or without %iops; bind it with import/);
    }
    t.is(plainUnknown.status, "error");
    t.is(magicUnknown.status, "error");
    t.is(tslabLines(plainUnknown), "1:13 - Cannot find name 'nosuch'.");
    t.is(tslabLines(magicUnknown), "1:19 - Cannot find name 'nosuch'.");
    t.false(stream(magicUnknown, "stderr").includes("no longer knows"), "no hint for a name no cell set");
    t.is(again.status, "ok");
    t.is(after.status, "ok", stream(after, "stderr"));
    t.deepEqual(counts(`${kernel}-after.json`), [0, 1, 0, 1]);
  });
}
