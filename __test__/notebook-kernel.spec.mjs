/**
 * The magics inside the kernel, as a notebook user meets them: every
 * documented import form in the TypeScript and the JavaScript kernel, only
 * real magic lines being magic, errors as tslab shows them, and the
 * kernel's own messaging kept out of the figures. Real tslab and jslab
 * kernels driven by nbclient.
 */
import test from "ava";

import { displays, mime, notebookWork, row, runSession, stream } from "./_support/notebook.mjs";

const work = notebookWork(test);
const p = work.quoted;
const report = work.report;

/** 10 writes of 10 bytes to a new file, in a %%iops cell saving its report to `name`. */
const TEN_WRITES = (name, fsExpr = `require("fs")`) =>
  `%%iops --json ${p(name)}\nconst f = ${fsExpr};\nconst fd = f.openSync(${p(name + ".bin")}, "w");\nfor (let i = 0; i < 10; i++) f.writeSync(fd, "0123456789");\nf.closeSync(fd);`;

for (const [kernel, forms] of [
  [
    "tslab",
    [
      `import "iops-profiler/tslab";`,
      `import * as magics from "iops-profiler/tslab";\nconsole.log(typeof magics.HELP);`,
      `const magics = require("iops-profiler/tslab");\nconsole.log(typeof magics.HELP);`,
    ],
  ],
  [
    "jslab",
    [
      `import "iops-profiler/tslab";`,
      `import * as magics from "iops-profiler/tslab";\nconsole.log(typeof magics.HELP);`,
      `const magics = require("iops-profiler/tslab");\nconsole.log(typeof magics.HELP);`,
    ],
  ],
]) {
  for (const [i, form] of forms.entries()) {
    test(`${kernel}: the import form ${JSON.stringify(form.split("\n")[0])} turns the magics on`, (t) => {
      const name = `import-${kernel}-${i}.json`;
      const [load, cell] = runSession(work.scratch, [{ cell: form }, { cell: TEN_WRITES(name) }], { kernel });
      t.is(load.status, "ok", stream(load, "stderr"));
      t.is(stream(load, "stderr"), "");
      if (form.includes("magics.HELP")) t.is(stream(load, "stdout"), "string\n");
      t.is(cell.status, "ok", stream(cell, "stderr"));
      const r = report(name);
      t.is(r.summary.writeOps, 10);
      t.is(r.summary.writeBytes, 100);
    });
  }
}

test("only real magic lines are magic: %iops and %%iops in a template literal, a string or a comment are code", (t) => {
  const [, template, cellInTemplate, comment, real] = runSession(work.scratch, [
    { cell: `import "iops-profiler/tslab";` },
    { cell: "const s = `\n%iops not a magic\n`; s.length" },
    { cell: "const c = `\n%%iops\n`;\nc.length" },
    { cell: "/*\n%iops f();\n*/\nconst inComment = 3;\ninComment" },
    { cell: `const t2 = \`x\${1}\`;\n%iops --json ${p("after-template.json")} require("fs").writeFileSync(${p("after-template.bin")}, t2);` },
  ]);
  t.is(template.status, "ok", stream(template, "stderr"));
  t.is(stream(template, "stdout"), "19\n"); // tslab prints a cell's last value
  t.is(cellInTemplate.status, "ok", stream(cellInTemplate, "stderr"));
  t.is(stream(cellInTemplate, "stdout"), "8\n");
  t.is(comment.status, "ok", stream(comment, "stderr"));
  t.is(stream(comment, "stdout"), "3\n");
  // After a template literal, a %iops line is a magic again.
  t.is(real.status, "ok", stream(real, "stderr"));
  const r = report("after-template.json");
  t.is(r.summary.writeOps, 1);
  t.is(r.summary.writeBytes, 2);
});

test("errors as tslab shows them: at the user's line with its source line and caret; no frames of ours, in magic or plain cells", (t) => {
  const [, cellThrow, lineThrow, define, calls, plain] = runSession(work.scratch, [
    { cell: `import "iops-profiler/tslab";` },
    { cell: `%%iops\nconst a = 1;\nthrow new Error("on line 3");` },
    { cell: `const b: number = 2;\n%iops --top 3 JSON.parse("{" + b);` },
    { cell: `function fails() {\n  throw new Error("in fails");\n}` },
    { cell: `%%iops\nconst c = 1;\n\nfails();` },
    { cell: `const d = 1;\nthrow new Error("plain");` },
  ]);
  t.is(cellThrow.status, "error");
  t.true(stream(cellThrow, "stderr").startsWith(`evalmachine.<anonymous>:3\nthrow new Error("on line 3");\n      ^\n\nError: on line 3\n    at evalmachine.<anonymous>:3:7\n`), stream(cellThrow, "stderr"));
  t.is(lineThrow.status, "error");
  t.true(stream(lineThrow, "stderr").startsWith(`evalmachine.<anonymous>:2\n%iops --top 3 JSON.parse("{" + b);\n                   ^\n\nSyntaxError:`), stream(lineThrow, "stderr"));
  t.regex(stream(lineThrow, "stderr"), /\n {4}at evalmachine\.<anonymous>:2:20\n/);
  t.is(define.status, "ok");
  t.is(calls.status, "error");
  // The frame of the function (an earlier cell's) stays as tslab shows it; the cell's own frame is at its line 4.
  t.regex(stream(calls, "stderr"), /^evalmachine\.<anonymous>:4\nfails\(\);\n\^\n\nError: in fails\n {4}at .*fails \(evalmachine\.<anonymous>:\d+:\d+\)\n {4}at evalmachine\.<anonymous>:4:1\n/);
  t.is(plain.status, "error");
  t.regex(stream(plain, "stderr"), /Error: plain/);
  for (const c of [cellThrow, lineThrow, calls, plain]) {
    t.false(stream(c, "stderr").includes("iops-profiler"), stream(c, "stderr"));
    t.false(stream(c, "stderr").includes("iops-run"), stream(c, "stderr"));
  }
});

test("the kernel's own traffic stays out: a cell that prints, waits, and does known I/O on a file, a FIFO and /dev/null gets exactly its own counts in both fd classes", (t) => {
  const fifo = work.path("traffic.fifo");
  const [, cell, allFds] = runSession(work.scratch, [
    { cell: `import "iops-profiler/tslab";\nimport * as fs from "fs";\nrequire("child_process").execFileSync("mkfifo", [${JSON.stringify(fifo)}]);` },
    {
      cell: `%%iops --json ${p("traffic.json")}
for (let i = 0; i < 50; i++) console.log(i);
const nul = fs.openSync("/dev/null", "w");
for (let i = 0; i < 7; i++) fs.writeSync(nul, "1234");
fs.closeSync(nul);
const fifo = fs.openSync(${JSON.stringify(fifo)}, "r+");
for (let i = 0; i < 5; i++) fs.writeSync(fifo, "abcdefgh");
const buf = Buffer.alloc(8);
for (let i = 0; i < 5; i++) fs.readSync(fifo, buf, 0, 8, null);
fs.closeSync(fifo);
const f = fs.openSync(${p("traffic.bin")}, "w");
for (let i = 0; i < 10; i++) fs.writeSync(f, "0123456789");
fs.closeSync(f);
await new Promise((resolve) => setTimeout(resolve, 1500));
console.log("done");`,
    },
    { cell: `%%iops --all-fds --json ${p("traffic-all.json")}\nfor (let i = 0; i < 20; i++) console.log(i);\nawait new Promise((resolve) => setTimeout(resolve, 500));` },
  ]);
  t.is(cell.status, "ok", stream(cell, "stderr"));
  const r = report("traffic.json");
  // Files: the 10 writes of 10 bytes.
  t.deepEqual([r.summary.readOps, r.summary.writeOps, r.summary.readBytes, r.summary.writeBytes], [0, 10, 0, 100]);
  // Other fds: 7 writes of 4 bytes to /dev/null, 5 writes and 5 reads of 8 bytes on the FIFO; none of the kernel's messaging (50 prints, a wait).
  t.deepEqual([r.otherFds.readOps, r.otherFds.writeOps, r.otherFds.readBytes, r.otherFds.writeBytes], [5, 12, 40, 68]);
  t.deepEqual(
    r.files.map((f) => [f.path, f.readOps, f.writeOps]).sort(),
    [
      ["/dev/null", 0, 7],
      [fifo, 5, 5],
      [work.path("traffic.bin"), 0, 10],
    ].sort(),
  );
  // With --all-fds too, a cell that only prints and waits has no operations.
  t.is(allFds.status, "ok", stream(allFds, "stderr"));
  t.is(report("traffic-all.json").summary.totalOps, 0);
  t.is(row(mime(displays(allFds)[0], "text/plain"), "Total Operations"), "0");
});
