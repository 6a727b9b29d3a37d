/**
 * The magics never harm the kernel: an interrupt, a crash of the tracer
 * helper, a kernel restart, a kernel where ptrace is refused. Real tslab
 * kernels driven by nbclient; after each case the kernel's threads are
 * checked in /proc: none traced, none stopped, all CPUs given back.
 */
import fs from "node:fs";
import os from "node:os";

import test from "ava";

import { alive, displays, mime, notebookWork, row, runSession, stream } from "./_support/notebook.mjs";
import { defaultMethod } from "./_support/util.mjs";

const work = notebookWork(test);
const p = work.quoted;
const LOAD = { cell: `import "iops-profiler/tslab";\nimport * as fs from "fs";` };
const INSPECT = { inspect: true };
const WRITES = (name, options = "") => ({
  cell: `%%iops ${options}--json ${p(name)}\nconst fd${name.length} = fs.openSync(${p(name + ".bin")}, "w");\nfor (let i = 0; i < 1000; i++) fs.writeSync(fd${name.length}, Buffer.alloc(4096));\nfs.closeSync(fd${name.length});`,
});
const report = work.report;
const allCpus = () => [...Array(os.availableParallelism()).keys()];

function assertKernelFree(t, inspected, label) {
  for (const task of inspected.tasks) {
    t.is(task.tracerPid, 0, `${label}: thread ${task.tid} still traced`);
    t.false(["t", "T"].includes(task.state), `${label}: thread ${task.tid} stopped (${task.state})`);
    t.deepEqual(task.cpus, allCpus(), `${label}: thread ${task.tid} kept on CPUs ${task.cpus}`);
  }
}

function assertExactWrites(t, cell, name) {
  t.is(cell.status, "ok", stream(cell, "stderr"));
  const r = report(name);
  t.is(r.method, defaultMethod(), "the platform's default source (eBPF where permitted)");
  t.is(r.summary.writeOps, 1000);
  t.is(r.summary.writeBytes, 4_096_000);
}

test("an interrupt of a busy %%iops cell ends the window; the kernel runs on untraced", (t) => {
  const [, busy, inspected, after] = runSession(work.scratch, [
    LOAD,
    {
      cell: `%%iops --json ${p("interrupted.json")}\nfs.writeFileSync(${p("before-loop.txt")}, "abc");\nconst t0 = Date.now();\nwhile (Date.now() - t0 < 30000) {}`,
      interruptWhen: work.path("before-loop.txt"),
    },
    INSPECT,
    WRITES("after-interrupt.json"),
  ]);
  t.is(busy.status, "error");
  t.regex(stream(busy, "stderr"), /interrupted/i);
  const d = displays(busy);
  t.is(d.length, 1, JSON.stringify(busy.outputs));
  t.regex(mime(d[0], "text/plain"), /^iops: interrupted: the figures cover the code up to there/);
  const r = report("interrupted.json");
  t.is(r.summary.writeOps, 1);
  t.is(r.summary.writeBytes, 3);
  t.true(r.elapsedSeconds < 25, `the window ended at the interrupt, not at the loop's end (${r.elapsedSeconds} s)`);
  assertKernelFree(t, inspected, "after the interrupt");
  assertExactWrites(t, after, "after-interrupt.json");
});

test("an interrupt while a %%iops cell awaits ends the window at the interrupt", (t) => {
  const [, waiting, inspected, after] = runSession(work.scratch, [
    LOAD,
    {
      cell: `%%iops --json ${p("interrupted-await.json")}\nawait fs.promises.writeFile(${p("before-wait.txt")}, "abcd");\nawait new Promise((resolve) => setTimeout(resolve, 60000));\nfs.writeFileSync(${p("after-wait.txt")}, "never");`,
      interruptWhen: work.path("before-wait.txt"),
    },
    INSPECT,
    WRITES("after-await-interrupt.json"),
  ]);
  t.is(waiting.status, "error");
  t.regex(stream(waiting, "stderr"), /Interrupted/);
  t.regex(mime(displays(waiting)[0], "text/plain"), /^iops: interrupted: the figures cover the code up to there/);
  const r = report("interrupted-await.json");
  t.is(r.summary.writeOps, 1);
  t.is(r.summary.writeBytes, 4);
  assertKernelFree(t, inspected, "after the interrupt");
  assertExactWrites(t, after, "after-await-interrupt.json");
});

test("a crash of the tracer helper mid-cell: the cell finishes with a notice; the next cell gets a new helper", (t) => {
  // The cell kills the helper process (its parent's child running helper.js) with SIGKILL.
  const killHelper = `%%iops
const kids = fs.readdirSync(\`/proc/\${process.pid}/task\`).flatMap((tid) => fs.readFileSync(\`/proc/\${process.pid}/task/\${tid}/children\`, "utf8").split(" ").filter(Boolean).map(Number));
const helperPid = kids.find((pid) => fs.readFileSync(\`/proc/\${pid}/cmdline\`, "utf8").includes("helper.js"));
process.kill(helperPid, "SIGKILL");
await new Promise((resolve) => setTimeout(resolve, 300));
console.log("cell went on");`;
  const [, crashed, inspected, after, inspectedAfter] = runSession(work.scratch, [LOAD, { cell: killHelper }, INSPECT, WRITES("after-crash.json"), INSPECT]);
  t.is(crashed.status, "ok", stream(crashed, "stderr"));
  t.is(stream(crashed, "stdout"), "cell went on\n");
  t.regex(stream(crashed, "stderr"), /^iops: no figures for this cell: the tracer helper exited; the next %iops starts a new tracer\n$/);
  t.is(displays(crashed).length, 0);
  assertKernelFree(t, inspected, "after the helper crash");
  assertExactWrites(t, after, "after-crash.json");
  t.is(inspectedAfter.children.filter((c) => c.argv.some((a) => a.endsWith("helper.js"))).length, 1);
});

test("a kernel restart: the old kernel's helper exits, the new kernel loads the magics again", async (t) => {
  const [, , before, restart, , after, inspected] = runSession(work.scratch, [LOAD, WRITES("before-restart.json"), INSPECT, { restart: true }, LOAD, WRITES("after-restart.json"), INSPECT]);
  const oldHelper = before.children.find((c) => c.argv.some((a) => a.endsWith("helper.js")));
  t.truthy(oldHelper);
  t.not(restart.pid, restart.oldPid);
  for (let i = 0; i < 50 && alive(oldHelper.pid); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(alive(oldHelper.pid), "the old helper exited with its kernel");
  assertExactWrites(t, after, "after-restart.json");
  assertKernelFree(t, inspected, "after the restart");
});

test("a kernel killed mid-window (a restart of a busy kernel): its helper exits, the new kernel is measured", async (t) => {
  const trigger = work.path("helper-pid.txt");
  const [, killed, restart, , after, inspected] = runSession(work.scratch, [
    LOAD,
    {
      cell: `%%iops
const kids = fs.readdirSync(\`/proc/\${process.pid}/task\`).flatMap((tid) => fs.readFileSync(\`/proc/\${process.pid}/task/\${tid}/children\`, "utf8").split(" ").filter(Boolean).map(Number));
fs.writeFileSync(${p("helper-pid.txt")}, String(kids.find((pid) => fs.readFileSync(\`/proc/\${pid}/cmdline\`, "utf8").includes("helper.js"))));
await new Promise((resolve) => setTimeout(resolve, 60000));`,
      killWhen: trigger,
    },
    { restart: true },
    LOAD,
    WRITES("after-kill.json"),
    INSPECT,
  ]);
  t.is(killed.status, "dead");
  t.not(restart.pid, restart.oldPid);
  const helper = Number(fs.readFileSync(trigger, "utf8"));
  t.true(helper > 0);
  for (let i = 0; i < 50 && alive(helper); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(alive(helper), "the helper of the killed kernel exited");
  assertExactWrites(t, after, "after-kill.json");
  assertKernelFree(t, inspected, "the new kernel");
});

test("ptrace not permitted (the kernel is already traced): the cell runs, with a notice and counter figures labelled as such", (t) => {
  const [load, cell, empty, tracer, inspected] = runSession(
    work.scratch,
    // The default, ptrace (the kernel runs without the capabilities eBPF needs), is what an existing tracer refuses;
    // not asked for by name, so the counters take over (asked for, it would be an error: fallback.spec).
    [LOAD, WRITES("refused.json", ""), { cell: "%%iops\n" }, { cell: `console.log(fs.readFileSync("/proc/self/status", "utf8").match(/TracerPid:\\s+(\\d+)/)[1]);` }, INSPECT],
    { kernel: "tslab-traced" },
  );
  t.is(load.status, "ok", stream(load, "stderr"));
  t.is(cell.status, "ok", stream(cell, "stderr"));
  const plain = mime(displays(cell)[0], "text/plain");
  const lines = plain.split("\n");
  t.regex(lines[0], /^iops: .*ptrace is not permitted/);
  t.is(lines[1], "IOPS Profile Results (/proc/<pid>/io counters (fallback); all fds)");
  const r = report("refused.json");
  t.is(r.method, "proc-io");
  t.is(r.histogram, null);
  // Counters cover every fd and thread: the 1000 file writes, plus at most
  // a few 8-byte wake-ups of the kernel's threads.
  t.true(r.summary.writeOps >= 1000 && r.summary.writeOps <= 1010, String(r.summary.writeOps));
  t.true(r.summary.writeBytes >= 4_096_000 && r.summary.writeBytes <= 4_096_000 + 80, String(r.summary.writeBytes));
  t.is(fs.statSync(work.path("refused.json.bin")).size, 4_096_000);
  t.is(row(mime(displays(empty)[0], "text/plain"), "Total Operations"), "0");
  // strace (the process Jupyter started) is still the kernel's tracer.
  t.is(Number(stream(tracer, "stdout")), inspected.pid);
});

test("the JavaScript kernel (jslab) gets the magics too", (t) => {
  const [load, cell, later] = runSession(
    work.scratch,
    [
      { cell: `import "iops-profiler/tslab";\nconst fs = require("fs");` },
      { cell: `%%iops --json ${p("jslab.json")}\nconst fd = fs.openSync(${p("jslab.bin")}, "w");\nfor (let i = 0; i < 10; i++) fs.writeSync(fd, "0123456789");\nfs.closeSync(fd);\nlet n = 10;` },
      { cell: `console.log(n * 2)` },
    ],
    { kernel: "jslab" },
  );
  t.is(load.status, "ok", stream(load, "stderr"));
  t.is(cell.status, "ok", stream(cell, "stderr"));
  const r = report("jslab.json");
  t.is(r.summary.writeOps, 10);
  t.is(r.summary.writeBytes, 100);
  t.is(stream(later, "stdout"), "20\n");
});
