/**
 * How a cell's `%%iops` / `%iops` lines are read and rewritten (the code
 * tslab then compiles), and the options' parsing: the pure part of the
 * notebook magics, checked here without a kernel; notebook.spec.mjs runs the
 * result in real tslab kernels.
 */
import { createRequire } from "node:module";
import path from "node:path";

import test from "ava";

import { ROOT } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { planCell: planWith } = require(path.join(ROOT, "dist", "tslab", "magic.js"));
// The cell is scanned by TypeScript's scanner: the kernel passes tslab's copy, the tests this checkout's.
const ts = require("typescript");
const planCell = (source, runId) => planWith(source, runId, ts);
const { parseOptions, DEFAULT_OPTIONS } = require(path.join(ROOT, "dist", "tslab", "options.js"));

const R = 'Reflect.get(globalThis, Symbol.for("iops-profiler.tslab"))';

test("a cell without magics is left alone", (t) => {
  t.deepEqual(planCell("const a = 1;\nconsole.log('%iops is not at the start');", 1), { kind: "plain" });
  t.deepEqual(planCell("const percent = 5 %iops;", 1), { kind: "plain" });
});

test("%%iops: the magic line becomes `if (0) await 0;` and nothing else of ours is compiled (the window's marks go into the compiled code); line numbers kept", (t) => {
  const plan = planCell("%%iops --histogram\nconst a = 1;\na + 1 // a comment", 7);
  t.is(plan.kind, "run");
  const lines = plan.source.split("\n");
  t.is(lines.length, 3);
  t.is(lines[0], "if (0) await 0; ");
  t.is(lines[1], "const a = 1;");
  t.is(lines[2], "a + 1 // a comment");
  t.false(plan.source.includes(R));
  t.deepEqual(plan.magics, [{ kind: "cell", line: 0, options: { ...DEFAULT_OPTIONS, histogram: true } }]);
  t.false(plan.userAwaits);
  t.true(planCell("%%iops\nawait f();", 1).userAwaits);
});

test("%iops lines: markers around each statement; later windows open and show inline", (t) => {
  const plan = planCell("const a = 1;\n%iops --top 3 f(a);\ng();\n  %iops h();", 2);
  const lines = plan.source.split("\n");
  t.deepEqual(lines, [
    "if (0) await 0; const a = 1;",
    `${R}.begin(2, 0); f(a);`,
    `;${R}.end(2, 0); await ${R}.show(2, 0); g();`,
    `  await ${R}.open(2, 1); ${R}.begin(2, 1); h();`,
    `;${R}.end(2, 1); `,
  ]);
  t.deepEqual(
    plan.magics.map((m) => [m.kind, m.line, m.options.top]),
    [
      ["line", 1, 3],
      ["line", 3, 10],
    ],
  );
});

test("%iops on a statement over several lines: the window ends after the statement's last line, wherever it is in the cell", (t) => {
  const plan = planCell('%iops --json "a b.json" fs.writeFileSync(\n  "e.bin",\n  "e".repeat(5),\n); // done\nafter();\nif (x) {\n  %iops g({\n    a: 1 })\n    .then(h)\n}', 4);
  t.is(plan.kind, "run", JSON.stringify(plan));
  t.deepEqual(plan.source.split("\n"), [
    `if (0) await 0; ${R}.begin(4, 0); fs.writeFileSync(`,
    '  "e.bin",',
    '  "e".repeat(5),',
    "); // done",
    `;${R}.end(4, 0); await ${R}.show(4, 0); after();`,
    "if (x) {",
    `  await ${R}.open(4, 1); ${R}.begin(4, 1); g({`,
    "    a: 1 })",
    "    .then(h)",
    `;${R}.end(4, 1); }`,
  ]);
  // The statement's own lines run as typed: their code is the typed line, from column 0.
  t.deepEqual(plan.code.slice(1, 4), ['  "e.bin",', '  "e".repeat(5),', "); // done"]);
  // A magic line inside another's statement would nest windows: refused, in one line.
  const nested = planCell("%iops f(\n%iops g())", 1);
  t.is(nested.kind, "error");
  t.is(nested.message, "%iops on line 2 is inside the statement of the %iops on line 1: windows cannot nest, so the cell did not run");
});

test("help, and usage errors in one line", (t) => {
  t.deepEqual(planCell("%iops --help", 1), { kind: "help" });
  t.deepEqual(planCell("%%iops -h\nwhatever();", 1), { kind: "help" });
  const error = (src) => {
    const plan = planCell(src, 1);
    t.is(plan.kind, "error", src);
    t.false(plan.message.includes("\n"));
    return plan.message;
  };
  t.regex(error("%%iops\nf();\n%iops g();"), /^%iops on line 3 is inside a %%iops cell: windows cannot nest/);
  t.regex(error("f();\n%%iops"), /^%%iops must be the first line of the cell/);
  t.regex(error("%%iops\n%%iops"), /only once/);
  t.regex(error("%iops"), /^%iops on line 1 has no statement/);
  t.regex(error("%iops --top"), /^--top needs a value/);
  t.regex(error("%%iops --top many"), /^--top needs a whole number of files, not "many"/);
  t.regex(error("%%iops --bogus"), /^unknown option --bogus \(%iops --help lists the options\)/);
  t.regex(error("%%iops f();"), /^%%iops takes only options on its line, not "f\(\);"/);
});

test("options: flags, values with = or a space, quoted paths; the statement is what follows", (t) => {
  t.deepEqual(parseOptions(" --all-fds --no-share-cpu --top=5 --json 'my report.json'  fs.readFileSync(\"x\") "), {
    options: { ...DEFAULT_OPTIONS, allFds: true, shareCpu: false, top: 5, json: "my report.json" },
    rest: 'fs.readFileSync("x")',
  });
  t.deepEqual(parseOptions('--json "a \\"b\\".json" x').options.json, 'a "b".json');
  t.deepEqual(parseOptions("").rest, "");
  // A statement that starts with a decrement reads as an option: the message names it.
  t.throws(() => parseOptions("--i;"), { message: /unknown option --i;/ });
});

test("only lines that start in code are magic: in a string, template literal, regex or comment, %iops is text", (t) => {
  const plain = [
    "const s = `\n%iops not a magic\n`; s.length",
    "const s = `\n%%iops\n`;",
    "const s = `a ${1 + `\n%iops nested\n`} b\n%iops still text\n`;",
    "/*\n%iops in a block comment\n*/",
    'const s = "a\\\n%iops continued string";',
  ];
  for (const src of plain) t.deepEqual(planCell(src, 1), { kind: "plain" }, src);
  // A template's substitution is code again, and so is what follows the template.
  const plan = planCell("const s = `x${0}\ny`;\n%iops f(s);", 1);
  t.is(plan.kind, "run");
  t.deepEqual(plan.magics.map((m) => m.line), [2]);
  // A `%%iops` inside a template literal of a %%iops cell is code, not a second cell magic.
  const cell = planCell("%%iops\nconst s = `\n%%iops\n%iops x\n`;\ns.length", 1);
  t.is(cell.kind, "run");
  t.is(cell.source.split("\n")[2], "%%iops");
  t.is(cell.source.split("\n")[3], "%iops x");
  // Division is not a regex: the line after it is a real magic.
  const div = planCell("const a = 4 / 2; const b = a / 2;\n%iops f(a);", 1);
  t.deepEqual(div.magics.map((m) => m.line), [1]);
  // A regex with a slash-star in it is not a comment opener.
  const re = planCell("const r = /a\\/*/;\n%iops f(r);", 1);
  t.deepEqual(re.magics.map((m) => m.line), [1]);
});

test("--method: a source this platform runs, passed on to the window; any other is a usage error, in one line, before the code runs", (t) => {
  t.is(DEFAULT_OPTIONS.method, null, "no method: the platform's default");
  for (const method of ["ebpf", "ptrace", "strace"]) {
    t.deepEqual(parseOptions(`--method ${method} f()`), { options: { ...DEFAULT_OPTIONS, method }, rest: "f()" });
    t.deepEqual(parseOptions(`--method=${method}`).options.method, method);
  }
  t.throws(() => parseOptions("--method bpf f()"), { message: 'unknown method "bpf": one of ebpf, ptrace, strace' });
  t.throws(() => parseOptions("--method"), { message: /^--method needs a value/ });
});
