/**
 * Attach mode: `iops -p <pid> --duration <s>` and tracePid() + stop() on a
 * running process that writes a known pattern. After the detach, the
 * process must be exactly as before: not stopped, not traced, its CPU
 * affinity given back, and it must finish its work correctly.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import {
  FIXTURES,
  compileFixtures,
  fileEntry,
  iops,
  makeTempDir,
  patternBuffer,
  procStatus,
  processesMentioning,
  runCli,
  syscallRow as syscallRowOf,
  sleep,
  spawnCli,
  taskIds,
  waitFor,
  within,
  fileCounts,
} from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-attach-");
  bin = compileFixtures(dir, ["loopwriter"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a workload that prints "pid N", "progress N"... and "done N"; its output is collected. */
function startWorkload(cmd, args) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (d) => (out.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (out.stderr += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const progress = () => {
    const m = [...out.stdout.matchAll(/^progress (\d+)$/gm)];
    return m.length ? Number(m[m.length - 1][1]) : 0;
  };
  return { child, out, exited, progress };
}

/**
 * After a test (passed or not): ends the workload if it still runs (it is
 * ours: pid checked against its command line), lets a pending capture end,
 * and closes the pipes so this worker can exit.
 */
async function stopWorkload(w, pid, capture) {
  const s = procStatus(pid);
  if (s && !s.State.startsWith("Z") && processesMentioning(dir).includes(pid)) process.kill(pid, "SIGKILL");
  if (capture) await within(capture.report, 10_000, "the capture after the kill").catch(() => null);
  w.child.stdout.destroy();
  w.child.stderr.destroy();
}

/** Cpus_allowed_list of every thread of pid. */
function affinities(pid) {
  const map = {};
  for (const tid of taskIds(pid)) {
    const s = procStatus(`${pid}/task/${tid}`);
    if (s) map[tid] = s.Cpus_allowed_list;
  }
  return map;
}

/** The process (every thread) is running or sleeping: not stopped, not traced. */
function assertReleased(t, pid, what) {
  const s = procStatus(pid);
  t.truthy(s, `${what}: the process had already exited at detach time, so the test could not check it`);
  if (!s) return;
  t.is(s.TracerPid, "0", `${what}: TracerPid`);
  for (const tid of taskIds(pid)) {
    const ts = procStatus(`${pid}/task/${tid}`);
    if (!ts) continue; // thread ended meanwhile
    t.is(ts.TracerPid, "0", `${what}: thread ${tid} TracerPid`);
    t.false(/^[tT]/.test(ts.State), `${what}: thread ${tid} is in state ${ts.State}`);
  }
}

/** The workload exits 0 and its file holds exactly `count` records of `size` bytes. */
async function assertFinishedIntact(t, w, out, count, size, what = "the writer", timeoutMs = 60_000) {
  const exit = await within(w.exited, timeoutMs, what);
  t.deepEqual(exit, { code: 0, signal: null }, w.out.stderr);
  const data = fs.readFileSync(out);
  t.is(data.length, count * size);
  t.true(data.equals(patternBuffer(count, size)), "the file has exactly the expected content");
}

function assertAffinityKept(t, before, after) {
  for (const [tid, list] of Object.entries(before)) {
    if (after[tid] !== undefined) t.is(after[tid], list, `CPU affinity of thread ${tid} given back`);
  }
}

test.serial("iops -p <pid> --duration 1 on a C writer: counts its writes, detaches, and the writer finishes intact", async (t) => {
  const COUNT = 3000;
  const SIZE = 4096;
  const out = path.join(dir, "loop-cli.dat");
  const w = startWorkload(bin.loopwriter, [out, String(COUNT), String(SIZE), "1000"]);
  const pid = w.child.pid;
  t.teardown(() => stopWorkload(w, pid));
  await waitFor(() => w.progress() >= 100, "the writer's first progress line");
  const before = affinities(pid);

  const cli = spawnCli(["--method", "ptrace", "-p", String(pid), "--duration", "1", "--json", "-"]);
  const r = await within(cli.done, 30_000, "iops -p");
  t.is(r.status, 0, r.stderr);
  assertReleased(t, pid, "after iops -p");
  assertAffinityKept(t, before, affinities(pid));
  const progressAtDetach = w.progress();

  const report = JSON.parse(r.stdout);
  t.is(report.method, "ptrace");
  t.is(report.pid, pid);
  t.is(report.exit, null, "attach mode has no exit status");
  t.deepEqual(report.warnings, []);
  const entry = fileEntry(report, out);
  t.truthy(entry, "the writer's file is in the report");
  t.is(entry.kind, "file");
  t.true(entry.writeOps > 0, `writeOps ${entry.writeOps}`);
  t.true(entry.writeOps <= COUNT);
  t.is(entry.writeBytes, entry.writeOps * SIZE, "every traced write moved one whole record");
  t.is(entry.readOps, 0);
  t.is(entry.readBytes, 0);
  // The file is the only regular file it touches; its progress lines went to a pipe.
  t.deepEqual(report.files.filter((f) => f.kind === "file").map(fileCounts), [entry]);
  t.is(report.summary.writeOps, entry.writeOps);
  t.is(report.summary.writeBytes, entry.writeBytes);
  t.is(report.summary.readOps, 0);
  t.is(report.failedOps.total, 0);

  // It keeps running and completes its work correctly.
  await assertFinishedIntact(t, w, out, COUNT, SIZE);
  t.true(w.progress() > progressAtDetach || w.progress() === COUNT);
  t.regex(w.out.stdout, new RegExp(`^done ${COUNT}$`, "m"));
});

test.serial("tracePid() + stop() on a multi-threaded Node writer: counts its writes and leaves it unaffected", async (t) => {
  const COUNT = 1500;
  const SIZE = 1024;
  const out = path.join(dir, "loop-node.dat");
  // The writer runs under a shell (which reports its exit status), so it is
  // not a child of this process: see the next test for that case.
  const w = startWorkload("sh", [
    "-c",
    '"$@"; echo "exit-status $?"',
    "sh",
    process.execPath,
    path.join(FIXTURES, "node-writer.cjs"),
    out,
    String(COUNT),
    String(SIZE),
    "1",
  ]);
  let capture;
  let pid;
  t.teardown(() => stopWorkload(w, pid ?? w.child.pid, capture));
  pid = Number((await waitFor(() => /^pid (\d+)$/m.exec(w.out.stdout), "the writer's pid"))[1]);
  t.not(pid, w.child.pid);
  await waitFor(() => w.progress() >= 100, "the writer's first progress line");
  const before = affinities(pid);

  capture = iops.tracePid(pid, { method: "ptrace" });
  await sleep(700);
  capture.stop();
  const report = await within(capture.report, 30_000, "tracePid report");
  assertReleased(t, pid, "after tracePid().stop()");
  assertAffinityKept(t, before, affinities(pid));

  t.is(report.method, "ptrace");
  t.is(report.pid, pid);
  t.is(report.exit, null);
  const entry = fileEntry(report, out);
  t.truthy(entry, "the writer's file is in the report");
  t.true(entry.writeOps > 0, `writeOps ${entry.writeOps}`);
  t.is(entry.writeBytes, entry.writeOps * SIZE, "every traced write moved one whole record");
  t.is(entry.readOps, 0);
  const pwrite = syscallRowOf(report, "pwrite64");
  t.true(pwrite !== undefined && pwrite.calls >= entry.writeOps, JSON.stringify(report.syscalls));

  await assertFinishedIntact(t, w, out, COUNT, SIZE);
  t.regex(w.out.stdout, new RegExp(`^done ${COUNT}$`, "m"));
  t.regex(w.out.stdout, /^exit-status 0$/m, "the writer itself exited 0");
});

test.serial("tracePid() + stop() on a child process of the caller: counts, detaches, the child finishes intact", async (t) => {
  // The natural use: spawn a child, then trace it. The caller's Node event
  // loop also waits for that child (libuv's SIGCHLD handling), from the
  // same thread group as the tracer thread.
  const COUNT = 6000; // 6 s: still running at detach on a loaded machine
  const SIZE = 2048;
  const out = path.join(dir, "loop-own-child.dat");
  const w = startWorkload(bin.loopwriter, [out, String(COUNT), String(SIZE), "1000"]);
  const pid = w.child.pid;
  // What the file held when Node emitted 'exit': all of it after a real
  // exit; less if libuv took a tracing stop for an exit. (Under load the
  // report can arrive after the child's natural end, so the time of the
  // event alone proves nothing.)
  let bytesAtExitEvent = null;
  w.exited.then(() => (bytesAtExitEvent = fs.statSync(out).size));
  let capture;
  t.teardown(() => stopWorkload(w, pid, capture));
  await waitFor(() => w.progress() >= 100, "the child's first progress line");
  capture = iops.tracePid(pid, { method: "ptrace" });
  await sleep(700);
  capture.stop();
  const report = await within(capture.report, 15_000, "tracePid report of a child process").catch((e) => e);
  if (report instanceof Error) {
    const s = procStatus(pid);
    t.fail(`${report.message}: the child is in state ${s?.State} with TracerPid ${s?.TracerPid}`);
    return;
  }
  t.true(bytesAtExitEvent === null || bytesAtExitEvent === COUNT * SIZE, "Node emitted 'exit' for the child while it was still running");
  assertReleased(t, pid, "after tracePid().stop()");
  const entry = fileEntry(report, out);
  t.truthy(entry, "the child's file is in the report");
  t.true(entry?.writeOps > 0, `writeOps ${entry?.writeOps}`);
  t.is(entry?.writeBytes, entry?.writeOps * SIZE);

  await waitFor(() => /^done \d+$/m.test(w.out.stdout), "the child to print done", 60_000);
  await assertFinishedIntact(t, w, out, COUNT, SIZE, "the child's exit", 10_000);
});

test.serial("attaching to a stopped process leaves it stopped; it resumes on SIGCONT and finishes", async (t) => {
  const COUNT = 400;
  const SIZE = 512;
  const out = path.join(dir, "loop-stopped.dat");
  const w = startWorkload(bin.loopwriter, [out, String(COUNT), String(SIZE), "1000"]);
  const pid = w.child.pid;
  t.teardown(() => stopWorkload(w, pid));
  await waitFor(() => w.progress() >= 100, "the writer's first progress line");
  process.kill(pid, "SIGSTOP");
  await waitFor(() => procStatus(pid)?.State.startsWith("T"), "the writer to stop");

  const r = await within(spawnCli(["--method", "ptrace", "-p", String(pid), "--duration", "0.5", "--json", "-"]).done, 30_000, "iops -p");
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.summary.totalOps, 0, "a stopped process does no I/O");
  const s = procStatus(pid);
  t.is(s.TracerPid, "0");
  t.true(s.State.startsWith("T"), `still stopped after the detach (State ${s.State})`);

  process.kill(pid, "SIGCONT");
  await assertFinishedIntact(t, w, out, COUNT, SIZE);
});

test.serial("attaching to a process that does not exist: IopsError ESRCH, and the CLI exits 1", async (t) => {
  const missing = 4_194_305; // above the largest possible pid_max (2^22)
  const error = await t.throwsAsync(async () => iops.tracePid(missing).report);
  t.true(error instanceof iops.IopsError, String(error));
  t.is(error.code, "ESRCH");

  const r = runCli(["-p", String(missing), "--duration", "1"]);
  t.is(r.status, 1);
  t.true(r.stderr.includes(`no process with pid ${missing}`), r.stderr);
});
