/**
 * Where ptrace is refused and no method was asked for, the figures come from
 * /proc/<pid>/io counters, labelled method "proc-io" with a warning. A real
 * way to be refused: the process is already traced (here, by iops itself).
 * The inner iops runs where eBPF is not permitted (capsh drops its
 * capabilities), so that its default is ptrace. A method asked for by name
 * is never a fallback: its refusal is a one-line error, exit 2.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, FIXTURES, ROOT, compileFixtures, counts, fileEntry, makeTempDir, runCli, shellLine, totals, withoutBpfCaps } from "./_support/util.mjs";

/** `iops <args>` where eBPF is not permitted: the default source is ptrace. */
const runCliWithoutBpf = (args) => withoutBpfCaps(shellLine([process.execPath, CLI, ...args]));

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-fallback-");
  bin = compileFixtures(dir, ["writes", "loopwriter"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The fields a counters report cannot fill are null, never made-up zeros. */
function assertCountersShape(t, report) {
  t.is(report.method, "proc-io");
  t.true(report.allFds, "counters cover every kind of fd");
  for (const key of ["otherFds", "failedOps", "metadataOps", "files", "syscalls", "histogram", "latency", "timeline"]) {
    t.is(report[key], null, key);
  }
  t.true(report.warnings.length >= 1);
  // First, or after the line that says why the default (eBPF) did not run.
  t.true(report.warnings.slice(0, 2).some((w) => w.includes("ptrace is not permitted")), report.warnings.join(" | "));
  t.true(report.warnings.some((w) => w.includes(`/proc/${report.pid}/io`)), report.warnings.join(" | "));
}

test.serial("profile() without a method in a process that is already traced falls back to /proc counters", (t) => {
  const N = 1000;
  const S = 4096;
  const out = path.join(dir, "profile-fallback.dat");
  const outer = path.join(dir, "outer.json");
  const script = path.join(FIXTURES, "profile-writes.cjs");
  const r = runCliWithoutBpf(["--method", "ptrace", "--json", outer, "--", process.execPath, script, path.join(ROOT, "dist", "index.js"), out, String(N), String(S)]);
  t.is(r.status, 0, r.stderr);
  const { window, report } = JSON.parse(r.stdout);

  t.is(window.method, "proc-io");
  t.true(typeof window.notice === "string" && window.notice.includes("ptrace is not permitted"), String(window.notice));
  assertCountersShape(t, report);
  t.is(report.exit, null);
  t.is(report.command, null);
  t.true(Number.isInteger(report.pid) && report.pid > 0);

  // The counters include every thread and every fd of the process (the
  // warning says so): besides the N file writes, a Node thread may post a
  // wake-up (an 8-byte eventfd write) inside the window. No reads: the
  // reading of the counters themselves is taken off.
  t.true(report.summary.writeOps >= N && report.summary.writeOps <= N + 10, `writeOps ${report.summary.writeOps}`);
  t.true(report.summary.writeBytes >= N * S && report.summary.writeBytes <= N * S + 10 * 8, `writeBytes ${report.summary.writeBytes}`);
  t.is(report.summary.totalOps, report.summary.readOps + report.summary.writeOps);
  t.is(fs.statSync(out).size, N * S);

  // The outer trace (ptrace) saw the same file writes, exactly.
  const outerReport = JSON.parse(fs.readFileSync(outer, "utf8"));
  t.is(outerReport.method, "ptrace");
  t.deepEqual(fileEntry(outerReport, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  // And the CLI printed the inner report's warning nowhere: the script's stdout is its own.
  t.false(r.stderr.includes("proc-io"));
});

test.serial("the CLI launching a command while already traced falls back to counters and keeps the exit status", (t) => {
  const argv = ["sh", "-c", "exit 5"];
  const r = runCliWithoutBpf(["--method", "ptrace", "--", process.execPath, CLI, "--json", "-", "--", ...argv]);
  t.is(r.status, 5, r.stderr);
  const inner = JSON.parse(r.stdout);
  assertCountersShape(t, inner);
  t.deepEqual(inner.command, argv);
  t.deepEqual(inner.exit, { code: 5, signal: null, signalNumber: null });
  // The inner CLI tells why on stderr, then prints its table labelled as counters.
  t.true(r.stderr.includes("iops: ptrace is not permitted here"), r.stderr);
  t.true(r.stderr.includes("/proc/<pid>/io counters (fallback)"), r.stderr);
});

test.serial("counters fallback in launch mode: the command's own N writes, exactly", (t) => {
  const N = 100;
  const S = 4096;
  const out = path.join(dir, "nested-writes.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const r = runCliWithoutBpf(["--method", "ptrace", "--", process.execPath, CLI, "--json", "-", "--", ...argv]);
  t.is(r.status, 0, r.stderr);
  const inner = JSON.parse(r.stdout);
  assertCountersShape(t, inner);
  t.deepEqual(inner.exit, { code: 0, signal: null, signalNumber: null });
  t.is(fs.statSync(out).size, N * S);
  // The static workload makes exactly N write calls in its whole life and
  // iops takes its own pre-exec footprint off (the verdict-pipe read), so
  // the write counters must be exactly the workload's. (Reads are not
  // asserted: the kernel accounts its own reads of the executable at exec.)
  t.is(inner.summary.writeOps, N);
  t.is(inner.summary.writeBytes, N * S);
});

test.serial("iops -p on a process that is already traced falls back to its /proc counters, and leaves it running", async (t) => {
  const out = path.join(dir, "attach-fallback.dat");
  // The writer runs under a first iops (launch mode), so a second one cannot attach.
  // 2 s of writes: the 0.3 s window closes before they end, even on a loaded machine.
  const N = 1000;
  const outer = spawn(process.execPath, [CLI, "--method", "ptrace", "--", bin.loopwriter, out, String(N), "100", "2000"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = await new Promise((resolve, reject) => {
    let text = "";
    outer.stdout.on("data", (d) => {
      text += d;
      const m = /pid (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    outer.on("exit", () => reject(new Error("the writer ended before printing its pid")));
  });
  const asked = runCli(["--method", "ptrace", "-p", String(pid), "--duration", "0.3", "--json", "-"]);
  t.is(asked.status, 2, "--method ptrace asked for and refused: a usage error, no counters");
  t.regex(asked.stderr, /^iops: --method ptrace: ptrace is not permitted here[^\n]*\n$/);
  t.is(asked.stdout, "");
  const r = runCliWithoutBpf(["-p", String(pid), "--duration", "0.3", "--json", "-"]);
  t.is(r.status, 0, r.stderr);
  t.true(r.stderr.split("\n").slice(0, 2).some((l) => /^iops: ptrace is not permitted here/.test(l)), r.stderr);
  const report = JSON.parse(r.stdout);
  assertCountersShape(t, report);
  t.is(report.pid, pid);
  t.true(report.summary.writeOps > 0 && report.summary.writeOps <= N, `${report.summary.writeOps} writes`);
  // Counters see every fd: the 100-byte records, and the writer's
  // "progress <n>" lines (13 bytes) on its stdout, one per 100 records.
  const { writeOps, writeBytes } = report.summary;
  const progressLines = [...Array(N / 100 + 1).keys()].filter((p) => 100 * (writeOps - p) + 13 * p === writeBytes);
  t.is(progressLines.length, 1, `${writeOps} writes, ${writeBytes} bytes`);
  const status = await new Promise((resolve) => outer.on("exit", resolve));
  t.is(status, 0, `the writer finished its ${N} writes`);
  t.is(fs.statSync(out).size, N * 100);
});

test.serial("--method ptrace asked for where ptrace is refused: one line, exit 2, the command never runs; profile() rejects ENOTSUP", (t) => {
  const out = path.join(dir, "asked.dat");
  const r = runCli(["--method", "ptrace", "--", process.execPath, CLI, "--method", "ptrace", "--", bin.writes, out, "10", "10"]);
  t.is(r.status, 2, "the outer iops exits with the inner one's status");
  // The inner iops's one line; the outer's table follows.
  t.regex(r.stderr.split("\n")[0], /^iops: --method ptrace: ptrace is not permitted here/);
  t.false(r.stderr.split("\n")[1].startsWith("iops:"), r.stderr);
  t.false(fs.existsSync(out), "the command did not run");
  const script = path.join(FIXTURES, "profile-writes.cjs");
  const p = runCli(["--method", "ptrace", "--", process.execPath, script, path.join(ROOT, "dist", "index.js"), out, "10", "10", "ptrace"]);
  t.is(p.status, 0, p.stderr);
  const { error } = JSON.parse(p.stdout);
  t.is(error.code, "ENOTSUP");
  t.regex(error.message, /^--method ptrace: ptrace is not permitted here/);
  t.false(fs.existsSync(out));
});
