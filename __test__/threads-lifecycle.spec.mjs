/**
 * Threads and processes that come and go under the tracer: the capture must
 * end when the command ends, whatever order the kernel reports births and
 * deaths in; an attach must not take a thread that is ending (or one it
 * already traces) for a refusal; a process whose main thread has exited is
 * still resolved exactly; a zombie target is named as one.
 *
 * Ground truth: fixtures/churn.c (threads created and joined in a loop),
 * fixtures/zombie_leader.c (the main thread calls pthread_exit, a worker
 * makes a known number of writes), fixtures/killedwrites.c (threads killed
 * by exit or exec while writing; the file's size says how many writes ran).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import {
  CLI,
  compileFixtures,
  fileEntry,
  iops,
  makeTempDir,
  procStatus,
  runCli,
  runCliJson,
  sleep,
  spawnCli,
  taskIds,
  waitFor,
  within,
} from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-threads-");
  bin = compileFixtures(dir, ["churn", "zombie_leader", "killedwrites"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Ends a process of ours if it still runs. */
function kill(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/**
 * Runs the CLI with `args`; a run that has not ended after `limitMs` is
 * killed (a hang, not slowness: the workloads take about a second).
 */
async function runCliOrKill(args, limitMs = 60_000) {
  const cli = spawnCli(args);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    cli.child.kill("SIGKILL");
  }, limitMs);
  const r = await cli.done;
  clearTimeout(timer);
  return { ...r, killed };
}

/** Every thread of `pid` is neither traced nor stopped. */
function assertReleased(t, pid, what) {
  for (const tid of taskIds(pid)) {
    const s = procStatus(`${pid}/task/${tid}`);
    if (!s) continue; // ended meanwhile
    t.is(s.TracerPid, "0", `${what}: thread ${tid} TracerPid`);
    t.false(/^[tT]/.test(s.State), `${what}: thread ${tid} is in state ${s.State}`);
  }
}

// ------------------------------------------------------------ thread churn

test.serial("iops -- churn 1000 2: two threads each create and join 1,000 threads; the capture ends with the command, exit 0", async (t) => {
  for (let run = 0; run < 3; run++) {
    const r = await runCliOrKill(["--method", "ptrace", "--json", path.join(dir, "churn.json"), "--", bin.churn, "1000", "2"]);
    t.false(r.killed, `run ${run}: iops was still running after 60 s (the command had printed ${JSON.stringify(r.stdout)})`);
    t.is(r.status, 0, `run ${run}: ${r.stderr}`);
    t.is(r.stdout, "done\n", `run ${run}`);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "churn.json"), "utf8"));
    t.is(report.method, "ptrace");
    t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
    // Its one write went to a pipe (our stdout capture), not to a file.
    t.is(report.summary.totalOps, 0);
    t.is(report.otherFds.writeOps, 1);
  }
});

test.serial("a SIGTERM sent to iops after the command's main process has ended is not an error: iops reports and exits 0", async (t) => {
  // The command exits at once; its child, still traced, then sends SIGTERM
  // to iops, whose forward to the command finds it gone (ESRCH).
  const script = '(sleep 0.5; kill -TERM "$PPID"; sleep 0.5) & exit 0';
  const r = await runCliOrKill(["--method", "ptrace", "--json", "-", "--", "sh", "-c", script]);
  t.false(r.killed);
  t.is(r.status, 0, r.stderr);
  t.false(r.stderr.includes("ESRCH"), r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "ptrace");
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
});

test.serial("profile() around a child process that churns threads returns, with the child's output and exit status", async (t) => {
  for (let run = 0; run < 2; run++) {
    let out = "";
    let child;
    const report = await within(
      iops.profile(
        () =>
          new Promise((resolve, reject) => {
            child = spawn(bin.churn, ["1000", "2"], { stdio: ["ignore", "pipe", "inherit"] });
            child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
            child.on("error", reject);
            child.on("close", (code, signal) => resolve({ code, signal }));
          }).then((exit) => t.deepEqual(exit, { code: 0, signal: null }, `run ${run}: the child's exit`)),
        { method: "ptrace" },
      ),
      60_000,
      `run ${run}: profile() around a churning child`,
    ).catch((e) => {
      if (child) kill(child);
      throw e;
    });
    t.is(out, "done\n", `run ${run}`);
    t.is(report.method, "ptrace");
    t.is(report.pid, process.pid);
  }
});

test.serial("attaching to a process with ~300 threads coming and going is traced (ptrace, no fallback) and releases every thread", async (t) => {
  // 150 spawners, each with a short-lived thread at a time: threads end
  // (and are born of threads just seized) while the attach walks the list.
  const churn = spawn(bin.churn, ["0", "150"], { stdio: "ignore" });
  t.teardown(() => kill(churn));
  const pid = churn.pid;
  await waitFor(() => Number(procStatus(pid)?.Threads) >= 250, "the churn to reach 250 threads");

  for (let run = 0; run < 4; run++) {
    // A child of this process: traced from the helper process.
    const capture = iops.tracePid(pid, { method: "ptrace" });
    await sleep(300);
    capture.stop();
    const report = await within(capture.report, 60_000, `run ${run}: tracePid report`);
    t.is(report.method, "ptrace", `run ${run}: ${report.warnings?.join(" | ")}`);
    t.is(report.pid, pid);
    assertReleased(t, pid, `run ${run}`);
  }
  for (let run = 0; run < 2; run++) {
    // From the CLI: not its child, attached directly.
    const r = await runCliOrKill(["--method", "ptrace", "-p", String(pid), "--duration", "0.5", "--json", "-"]);
    t.false(r.killed);
    t.is(r.status, 0, r.stderr);
    t.false(r.stderr.includes("not permitted"), r.stderr);
    t.is(JSON.parse(r.stdout).method, "ptrace", r.stderr);
    assertReleased(t, pid, `iops -p run ${run}`);
  }
  t.is(churn.exitCode, null, "the churn still runs");
  t.false(/^[tTZ]/.test(procStatus(pid).State), `the churn is in state ${procStatus(pid).State}`);
});

// ------------------------------------------------- a thread-group leader that has exited

test.serial("main thread calls pthread_exit, a worker writes 100 x 16 bytes: 100 writes, 1,600 bytes, on the file", (t) => {
  const out = path.join(dir, "zl.dat");
  const { status, stderr, report } = runCliJson(["--method", "ptrace", "--", bin.zombie_leader, "100", out, "200000"]);
  t.is(status, 0, stderr);
  t.is(fs.readFileSync(out, "utf8"), "0123456789abcdef".repeat(100));
  t.is(report.method, "ptrace");
  t.is(report.summary.writeOps, 100);
  t.is(report.summary.writeBytes, 1600);
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 100, readBytes: 0, writeBytes: 1600 });
  t.deepEqual(
    report.files.map((f) => f.path),
    [out],
    "no write counted on an fd that could not be resolved",
  );
  t.is(report.otherFds.totalOps, 0);
  t.deepEqual(report.syscalls.find((s) => s.name === "write"), { name: "write", calls: 100, bytes: 1600, failed: 0 });
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
});

test.serial("attaching to a process whose main thread has exited: traced through the live thread, every write on the file", async (t) => {
  const COUNT = 3000;
  const out = path.join(dir, "zl-attach.dat");
  const w = spawn(bin.zombie_leader, [String(COUNT), out, "0"], { stdio: "ignore" });
  t.teardown(() => kill(w));
  const exited = new Promise((resolve) => w.on("exit", (code, signal) => resolve({ code, signal })));
  await waitFor(() => procStatus(w.pid)?.State.startsWith("Z") && fs.existsSync(out) && fs.statSync(out).size >= 160, "the leader to exit and the worker to write");

  const r = await runCliOrKill(["--method", "ptrace", "-p", String(w.pid), "--duration", "0.5", "--json", "-"]);
  t.false(r.killed);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "ptrace");
  const entry = fileEntry(report, out);
  t.truthy(entry, JSON.stringify(report.files));
  t.true(entry.writeOps > 0 && entry.writeOps <= COUNT, `writeOps ${entry?.writeOps}`);
  t.is(entry.writeBytes, entry.writeOps * 16);
  t.deepEqual(report.files.map((f) => f.path), [out]);
  t.is(report.summary.writeOps, entry.writeOps);
  assertReleased(t, w.pid, "after iops -p");

  t.deepEqual(await within(exited, 60_000, "the worker's end"), { code: 0, signal: null });
  t.is(fs.readFileSync(out, "utf8"), "0123456789abcdef".repeat(COUNT), "the worker finished its writes intact");
});

// ------------------------------------------- threads killed inside a write

for (const how of ["exit", "exec"]) {
  test.serial(`threads killed inside their writes by another thread's ${how}: every write that ran is counted, none that did not`, (t) => {
    // The kernel skips the exit stop of a call its thread is killed in; a
    // write that completed just before is still on the file. Several runs:
    // the kill lands inside a write in some of them, not all.
    const out = path.join(dir, `killed-${how}.dat`);
    for (let run = 0; run < 6; run++) {
      const { status, stderr, report } = runCliJson(["--method", "ptrace", "--", bin.killedwrites, out, "4", "100", how]);
      t.is(status, 0, `run ${run}: ${stderr}`);
      const size = fs.statSync(out).size;
      t.true(size > 0, `run ${run}: the writers wrote`);
      const entry = fileEntry(report, out);
      // Known miss, rare (1 write in 1 of 6 runs of a whole-suite run, under
      // load; exec: once last stop, exit: once this stop, 2026-11-29): a
      // writer that exit_group or de_thread kills can die without the exit
      // stop whose registers would show its completed write. Never more,
      // never extra.
      t.true(entry.writeOps === size || entry.writeOps === size - 1, `run ${run}: ${entry.writeOps} writes counted, ${size} on the file`);
      t.deepEqual(entry, { path: out, kind: "file", readOps: 0, writeOps: entry.writeOps, readBytes: 0, writeBytes: entry.writeOps }, `run ${run}`);
      t.is(report.failedOps.total, 0, `run ${run}: a write killed before it ran is not a failure`);
    }
  });
}

// ------------------------------------------------------------ a zombie target

/** A zombie: the child of a shell that execs into a sleep, which never reaps it. */
async function startZombie(t) {
  const parent = spawn("sh", ["-c", 'sleep 0.1 & echo "$!"; exec sleep 60'], { stdio: ["ignore", "pipe", "ignore"] });
  t.teardown(() => kill(parent));
  let text = "";
  parent.stdout.setEncoding("utf8").on("data", (d) => (text += d));
  const pid = Number(await waitFor(() => /^(\d+)$/m.exec(text)?.[1], "the zombie's pid"));
  await waitFor(() => procStatus(pid)?.State.startsWith("Z"), "the child to become a zombie");
  return pid;
}

test.serial("a zombie target: one line says it is a zombie, exit 1, no report; tracePid() rejects with ESRCH", async (t) => {
  const pid = await startZombie(t);
  const message = `process ${pid} is a zombie (exited, not yet reaped by its parent): nothing to trace`;

  const r = runCli(["-p", String(pid), "--duration", "1", "--json", "-"]);
  t.is(r.status, 1);
  t.is(r.stdout, "", "no report");
  t.is(r.stderr, `iops: ${message}\n`);

  const error = await t.throwsAsync(async () => iops.tracePid(pid).report);
  t.true(error instanceof iops.IopsError, String(error));
  t.is(error.code, "ESRCH");
  t.is(error.message, message);

  const s = runCli(["--method", "strace", "-p", String(pid), "--duration", "1"]);
  t.is(s.status, 1);
  t.is(s.stderr, `iops: ${message}\n`);
});

// --------------------------------- ptrace refused and /proc/<pid>/io unreadable too

const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
/** As root, `setpriv` can run the CLI as nobody, who may neither trace nor read the counters of a root process. */
const canRunAsNobody =
  process.getuid?.() === 0 &&
  spawnSync("setpriv", [...NOBODY, process.execPath, "-e", `require(${JSON.stringify(CLI.replace(/cli\.js$/, "index.js"))})`]).status === 0;

(canRunAsNobody ? test.serial : test.serial.skip)(
  "ptrace refused and /proc/<pid>/io unreadable: one line gives both reasons, exit 1, no report",
  async (t) => {
    const target = spawn("sleep", ["60"], { stdio: "ignore" });
    t.teardown(() => kill(target));
    await waitFor(() => procStatus(target.pid)?.Name === "sleep", "the target to exec");
    const r = spawnSync("setpriv", [...NOBODY, process.execPath, CLI, "-p", String(target.pid), "--duration", "1", "--json", "-"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    t.is(r.status, 1, r.stderr);
    t.is(r.stdout, "");
    const lines = r.stderr.split("\n").filter(Boolean);
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0], /^iops: ptrace is not permitted here: .*; and the counters fallback failed: cannot read \/proc\/\d+\/io: Permission denied/);
  },
);
