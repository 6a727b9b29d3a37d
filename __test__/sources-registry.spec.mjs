/**
 * The registry of sources (the source table, crates/iops-core/src/source.rs,
 * whose `live(<cfg>)` clauses the binding expands): what this Linux build
 * declares, and that every front end takes its sources from it: the binding
 * starts the session its `method` names, the CLI's `--method` choices and
 * help list the rows, `profile()` refuses any other name, and the
 * formats `iops import` reads are the rows' `log(<module>)` clauses.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

import test from "ava";

import { FIXTURES, compileFixtures, fileEntry, iops, makeTempDir, runCli, runCliJson } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { native } = require("../dist/native.js");
const { requestableSources } = require("../dist/sources/names.js");

let dir;
let bin;
test.before(() => {
  dir = makeTempDir("iops-registry-");
  bin = compileFixtures(dir, ["writes"]);
});

/** The source a capture without a method runs here: eBPF where this process may load it (the addon's probe), else ptrace. */
const DEFAULT = native.sourceUnavailable("ebpf") === null ? "ebpf" : "ptrace";

test("Linux's live sources: eBPF then ptrace (the defaults, in that order, their windows through the tracer helper) and strace (run by its TypeScript module)", (t) => {
  const rows = native.liveSources();
  t.deepEqual(rows.find((s) => s.name === "ebpf"), {
    name: "ebpf",
    about: "eBPF tracepoints filtered in the kernel, the default where permitted (root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF)",
    byDefault: true,
    window: "helper",
    start: "binding",
    counters: false,
  });
  t.deepEqual(rows.find((s) => s.name === "ptrace"), { name: "ptrace", about: "our own tracer (the default where eBPF is not permitted)", byDefault: true, window: "helper", start: "binding", counters: false });
  t.deepEqual(rows.find((s) => s.name === "strace"), {
    name: "strace",
    about: "run the installed strace and parse its output",
    byDefault: false,
    window: "script",
    start: "script",
    counters: false,
  });
  t.deepEqual(rows.filter((s) => s.byDefault).map((s) => s.name), ["ebpf", "ptrace"]);
  // ptrace has no probe: it is refused, if at all, when it attaches (then the labelled counters).
  t.is(native.sourceUnavailable("ptrace"), null);
  t.throws(() => native.sourceUnavailable("nosuch"), { code: "InvalidArg" });
  // Only this platform's rows: no macOS or Windows source, no counters row (Linux's fallback is the tracer's own).
  t.deepEqual(rows.filter((s) => ["fs_usage", "etw", "rusage", "proc-io"].includes(s.name)), []);
});

test("the binding starts the session its method names: each by name, and by default the first permitted, count the command's writes exactly", async (t) => {
  for (const [options, method] of [[{ method: "ptrace" }, "ptrace"], [{ method: DEFAULT }, DEFAULT], [{}, DEFAULT], [undefined, DEFAULT]]) {
    const out = path.join(dir, `launch-${JSON.stringify(options ?? null).replace(/\W/g, "")}.dat`);
    const session = native.TraceSession.launch([bin.writes, out, "7", "300"], options);
    const report = JSON.parse(await session.wait());
    t.is(report.method, method, JSON.stringify(options));
    t.deepEqual([fileEntry(report, out).writeOps, fileEntry(report, out).writeBytes], [7, 2100]);
    t.is(fs.statSync(out).size, 2100);
  }
});

test("the binding refuses, in one line, a method it does not have and one its TypeScript module runs; nothing runs", (t) => {
  const out = path.join(dir, "never.dat");
  const known = native.liveSources().map((s) => s.name).join(", ");
  for (const [method, message] of [
    ["nosuch", `unknown method "nosuch": one of ${known}`],
    ["proc-io", `unknown method "proc-io": one of ${known}`],
    ["strace", "the strace source is run from TypeScript (src/sources/), not by TraceSession"],
  ]) {
    const e1 = t.throws(() => native.TraceSession.launch([bin.writes, out, "1", "1"], { method }));
    t.is(e1.message, message);
    t.is(e1.code, "InvalidArg");
    const e2 = t.throws(() => native.TraceSession.attach(process.pid, { method }));
    t.is(e2.message, message);
  }
  t.false(fs.existsSync(out));
});

test("the CLI's --method: the registry's rows as its choices and help, the default first; any other is a usage error (2)", (t) => {
  const rows = native.liveSources().filter((s) => !s.counters);
  t.deepEqual(requestableSources(), rows);
  const names = rows.map((s) => s.name);
  t.true(names.includes("ptrace") && names.includes("strace"), names.join());
  const help = runCli(["--help"]).stdout.replace(/\s+/g, " ");
  const described = rows.map((s) => `${s.name}: ${s.about}`).join("; ");
  const choices = names.map((n) => JSON.stringify(n)).join(", ");
  t.true(help.includes(`--method <source> ${described} (default: the first of ebpf, ptrace that may run here) (choices: ${choices})`), help);
  const bad = runCli(["--method", "nosuch", "--", "true"]);
  t.is(bad.status, 2);
  t.true(bad.stderr.includes(`argument 'nosuch' is invalid. Allowed choices are ${names.join(", ")}.`), bad.stderr);
  const out = path.join(dir, "cli-default.dat");
  const r = runCliJson(["--", bin.writes, out, "3", "10"]);
  t.is(r.report.method, DEFAULT);
  t.deepEqual([fileEntry(r.report, out).writeOps, fileEntry(r.report, out).writeBytes], [3, 30]);
});

test.serial("profile(): the method the registry names is used, in the window", async (t) => {
  const out = path.join(dir, "window.dat");
  const report = await iops.profile(() => fs.writeFileSync(out, Buffer.alloc(64)), { method: "ptrace" });
  t.is(report.method, "ptrace");
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 64 });
});

test("iops import's formats are the rows' log clauses, in table order, each reported as its row's source", (t) => {
  t.deepEqual(native.traceFormats(), ["strace", "fs_usage"]);
  for (const [file, format, method] of [
    ["strace/strace_app_output_interleaved.log", "strace", "strace-log"],
    ["fs_usage/crafted-workload.txt", "fs_usage", "fs_usage"],
  ]) {
    t.is(native.detectTraceFormat(fs.readFileSync(path.join(FIXTURES, file))), format, file);
    const importer = new native.LineImport(format);
    importer.pushFile(path.join(FIXTURES, file));
    t.is(JSON.parse(importer.finish({})).method, method, file);
  }
});
