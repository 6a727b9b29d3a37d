/**
 * Attaching to processes and the set of traced tasks, under each live
 * source: what a pid given to `-p` names (a thread: its whole process,
 * said in one line; a process whose main thread called pthread_exit: live;
 * a kernel thread: said, not blamed on a policy), when `--duration` counts
 * from (the capture in place), a full traced set said only when a task was
 * really missed, and a program that traces (a debugger) under the ptrace
 * source.
 *
 * Ground truth: fixtures/sidethread.c (a side thread prints its tid and
 * ends; the main thread writes), fixtures/zombie_leader.c (the main thread
 * calls pthread_exit, a worker writes), fixtures/zombie_churn.c (the main
 * thread calls pthread_exit, short-lived threads each write once to an fd
 * opened before; gated by SIGUSR1 for an exact count), fixtures/loopwriter.c,
 * fixtures/shortforks.c (1,000 short-lived children, each exactly 10
 * writes), fixtures/minidebugger.c (prints whether its child's
 * PTRACE_TRACEME was refused), fixtures/lsanleak.c (an AddressSanitizer
 * build that leaks: LeakSanitizer's own message says whether its helper
 * could trace it).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, FIXTURES, compileFixtures, eachMethod, fileEntry, iops, makeTempDir, procStatus, runCli, runCliJson, spawnCli, taskIds, waitFor, within } from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-procs-");
  bin = compileFixtures(dir, ["sidethread", "zombie_leader", "zombie_churn", "loopwriter", "shortforks", "minidebugger"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `argv`; resolves its first stdout line matching `re` (its match). */
function start(argv, stdin = "ignore") {
  const child = spawn(argv[0], argv.slice(1), { stdio: [stdin, "pipe", "ignore"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const line = (re) => waitFor(() => out.match(re), `${re} from ${path.basename(argv[0])}`);
  return { child, exited, line };
}

function kill(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** Runs the CLI to its end (a hang is killed after a minute): { status, stdout, stderr, report }. */
async function cli(args) {
  const run = spawnCli(args);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 60_000);
  const r = await run.done;
  clearTimeout(timer);
  let report = null;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    // said by the caller's assertion on status and stdout
  }
  return { ...r, report };
}

/** No thread of `pid` is traced or stopped. */
function assertReleased(t, pid) {
  for (const tid of taskIds(pid)) {
    const s = procStatus(`${pid}/task/${tid}`);
    if (!s) continue;
    t.is(s.TracerPid, "0", `thread ${tid} traced after the capture`);
    t.false(/^[tT]/.test(s.State), `thread ${tid} left stopped: ${s.State}`);
  }
}

// ---------------------------------------------------------- -p <thread id>

eachMethod(test, "-p <thread id>: its whole process is traced for the whole duration, said in one line; the thread's end is not the process's", async (t, method) => {
  const out = path.join(dir, `side-${method}.dat`);
  const SIZE = 16;
  // Writes every 2 ms for as long as it is let; the side thread ends when its stdin does.
  const w = start([bin.sidethread, out, "0", String(SIZE), "2000"], "pipe");
  t.teardown(() => kill(w.child));
  const pid = Number((await w.line(/^pid (\d+)$/m))[1]);
  const tid = Number((await w.line(/^tid (\d+)$/m))[1]);
  t.not(tid, pid);
  const run = cli(["--method", method, "-p", String(tid), "--duration", "1", "--json", "-"]);
  if (method === "ptrace") {
    // Once the tracer holds the process, the named thread ends mid-capture.
    await waitFor(() => procStatus(pid)?.TracerPid !== "0", "the tracer to seize the process");
    w.child.stdin.end();
  }
  const r = await run;
  t.is(r.status, 0, r.stderr);
  const report = r.report;
  t.is(report.method, method);
  t.is(report.pid, pid, "the report is the process's");
  t.deepEqual(report.warningCodes, ["pid-is-thread"], JSON.stringify(report.warnings));
  t.is(report.warnings[0], `${tid} is a thread of process ${pid}: the whole process ${pid} was traced, all its threads and children (reports are per process)`);
  t.true(report.elapsedSeconds >= 1, `the capture lasted its duration: ${report.elapsedSeconds} s`);
  const entry = fileEntry(report, out);
  t.truthy(entry, JSON.stringify(report.files));
  // A write every 2 ms over a second: far more than one, whatever the load; each of SIZE bytes.
  t.true(entry.writeOps > 1, `${entry.writeOps} writes`);
  t.is(entry.writeBytes, entry.writeOps * SIZE);
  if (method === "ptrace") t.false(taskIds(pid).includes(tid), "the side thread ended during the capture");
  assertReleased(t, pid);
});

test.serial("[strace] -p <thread id> and -p of a kernel thread: the thread's process, said; the kernel thread, said", async (t) => {
  if (spawnSync("strace", ["-V"]).error) return t.pass("strace is not installed here");
  const out = path.join(dir, "side-strace.dat");
  const w = start([bin.sidethread, out, "0", "16", "2000"], "pipe");
  t.teardown(() => kill(w.child));
  const pid = Number((await w.line(/^pid (\d+)$/m))[1]);
  const tid = Number((await w.line(/^tid (\d+)$/m))[1]);
  const r = await cli(["--method", "strace", "-p", String(tid), "--duration", "1", "--json", "-"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.report.method, "strace");
  t.is(r.report.pid, pid);
  t.is(r.report.warningCodes[0], "pid-is-thread", JSON.stringify(r.report.warnings));
  t.is(r.report.warnings[0], `${tid} is a thread of process ${pid}: the whole process ${pid} was traced, all its threads and children (reports are per process)`);
  const entry = fileEntry(r.report, out);
  t.truthy(entry, JSON.stringify(r.report.files));
  t.true(entry.writeOps > 1, `${entry.writeOps} writes`);
  t.is(entry.writeBytes, entry.writeOps * 16);
  assertReleased(t, pid);
  if (fs.readFileSync("/proc/2/comm", "utf8").trim() === "kthreadd") {
    const k = await cli(["--method", "strace", "-p", "2", "--duration", "0.2"]);
    t.not(k.status, 0);
    t.regex(k.stderr, /^iops: 2 is a kernel thread: it runs no program and makes no system calls of one, so there is nothing to trace; give the pid of a process/);
  }
});

// --------------------------------------- a main thread that called pthread_exit

eachMethod(test, "-p of a process whose main thread called pthread_exit while a worker writes on: traced, every write on the file", async (t, method) => {
  const COUNT = 3000;
  const out = path.join(dir, `zl-${method}.dat`);
  const w = start([bin.zombie_leader, String(COUNT), out, "0"]);
  t.teardown(() => kill(w.child));
  await waitFor(() => procStatus(w.child.pid)?.State.startsWith("Z") && fs.existsSync(out) && fs.statSync(out).size >= 160, "the leader to exit and the worker to write");
  const r = await cli(["--method", method, "-p", String(w.child.pid), "--duration", "0.5", "--json", "-"]);
  t.is(r.status, 0, r.stderr);
  const report = r.report;
  t.is(report.method, method);
  t.is(report.pid, w.child.pid);
  t.deepEqual(report.warningCodes, []);
  const entry = fileEntry(report, out);
  t.truthy(entry, JSON.stringify(report.files));
  t.true(entry.writeOps > 0 && entry.writeOps <= COUNT, `writeOps ${entry?.writeOps}`);
  t.is(entry.writeBytes, entry.writeOps * 16);
  t.is(report.summary.writeOps, entry.writeOps);
  assertReleased(t, w.child.pid);
  t.deepEqual(await within(w.exited, 60_000, "the worker's end"), { code: 0, signal: null });
  t.is(fs.readFileSync(out, "utf8"), "0123456789abcdef".repeat(COUNT), "the worker finished its writes intact");
});

/** The report's own sums of its file table: its storage files (kind file or block device) and the rest. */
function fileTableSums(report) {
  const sum = (files) => ({
    readOps: files.reduce((n, f) => n + f.readOps, 0),
    writeOps: files.reduce((n, f) => n + f.writeOps, 0),
    readBytes: files.reduce((n, f) => n + f.readBytes, 0),
    writeBytes: files.reduce((n, f) => n + f.writeBytes, 0),
  });
  const storage = (f) => f.kind === "file" || f.kind === "blockDevice";
  return { storage: sum(report.files.filter(storage)), other: sum(report.files.filter((f) => !storage(f))) };
}

/** The first four counts of a report's totals. */
function opsAndBytes(totals) {
  const { readOps, writeOps, readBytes, writeBytes } = totals;
  return { readOps, writeOps, readBytes, writeBytes };
}

// N6's F-zl-attach: the leader is a zombie, so its /proc fd list is empty,
// and each writer thread is gone by the time its record is read; fd 3 was
// opened before the capture. Its writes were filed under "(closed before it
// could be resolved)" or on the file as an "other" fd (summary 0).
eachMethod(test, "-p --duration of a process whose main thread called pthread_exit, short-lived threads writing to an fd opened before the window: every write of the window on the file, none unnamed, the summary the file table's sums", async (t, method) => {
  const out = path.join(dir, `zc-${method}.dat`);
  const w = start([bin.zombie_churn, "10000000", "2", out, "0"]);
  t.teardown(() => kill(w.child));
  const pid = Number((await w.line(/^ready (\d+)$/m))[1]);
  await waitFor(() => procStatus(pid)?.State.startsWith("Z") && fs.statSync(out).size >= 1000, "the leader to exit and the threads to write");
  const r = await cli(["--method", method, "-p", String(pid), "--duration", "0.5", "--json", "-"]);
  t.is(r.status, 0, r.stderr);
  const report = r.report;
  t.is(report.method, method);
  t.deepEqual(report.warningCodes, [], JSON.stringify(report.warnings));
  t.deepEqual(report.files.map((f) => [f.path, f.kind]), [[out, "file"]], "every write on the file, as a file");
  const entry = fileEntry(report, out);
  t.true(entry.writeOps > 0, `${entry.writeOps} writes`);
  t.is(entry.writeBytes, entry.writeOps * 10);
  t.deepEqual(opsAndBytes(report.summary), fileTableSums(report).storage);
  t.deepEqual(opsAndBytes(report.otherFds), fileTableSums(report).other);
  t.is(report.otherFds.totalOps, 0);
  assertReleased(t, pid);
  kill(w.child);
  t.deepEqual(await within(w.exited, 10_000, "the churn's end"), { code: null, signal: "SIGKILL" });
  const size = fs.statSync(out).size;
  t.is(size % 10, 0, "whole writes");
  t.true(entry.writeOps <= size / 10, `${entry.writeOps} counted of ${size / 10} made in all`);
});

eachMethod(test, "attached before the gate, a process whose main thread called pthread_exit makes 2 x 1,500 short-lived threads each writing 10 bytes to an fd opened before the window, then ends: exactly 3,000 writes, 30,000 bytes, on the file, none unnamed", async (t, method) => {
  const [PER, SPAWNERS] = [1500, 2];
  const out = path.join(dir, `zc-gated-${method}.dat`);
  const w = start([bin.zombie_churn, String(PER), String(SPAWNERS), out, "1"]);
  t.teardown(() => kill(w.child));
  const pid = Number((await w.line(/^ready (\d+)$/m))[1]);
  await waitFor(() => procStatus(pid)?.State.startsWith("Z"), "the leader to exit");
  const capture = iops.tracePid(pid, { method });
  t.teardown(() => capture.stop());
  t.true(await within(capture.ready(), 30_000, "the capture in place"));
  process.kill(pid, "SIGUSR1");
  // Every thread ends with the writes: /proc can name nothing after that.
  t.deepEqual(await within(w.exited, 120_000, "the writers' end"), { code: 0, signal: null });
  capture.stop();
  const report = await within(capture.report, 60_000, "the report");
  t.is(report.method, method);
  t.is(fs.statSync(out).size, PER * SPAWNERS * 10);
  t.deepEqual(report.files.map((f) => [f.path, f.kind]), [[out, "file"]], "every write on the file, as a file");
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: PER * SPAWNERS, readBytes: 0, writeBytes: PER * SPAWNERS * 10 });
  t.deepEqual(opsAndBytes(report.summary), fileTableSums(report).storage);
  t.is(report.otherFds.totalOps, 0);
  t.false(report.warningCodes.includes("fds-unnamed"), JSON.stringify(report.warnings));
});

eachMethod(test, "attached before the gate, a process whose main thread called pthread_exit makes 2 x 500 short-lived threads each opening a relative path, writing 10 bytes and closing it: exactly 1,000 writes on the file by its full name, none unnamed", async (t, method) => {
  const [PER, SPAWNERS] = [500, 2];
  const sub = fs.mkdtempSync(path.join(dir, `zc-rel-${method}-`));
  const out = path.join(sub, "rel.dat");
  const w = spawn(bin.zombie_churn, [String(PER), String(SPAWNERS), "rel.dat", "1", "reopen"], { cwd: sub, stdio: ["ignore", "pipe", "ignore"] });
  t.teardown(() => kill(w));
  const exited = new Promise((resolve) => w.on("exit", (code, signal) => resolve({ code, signal })));
  let said = "";
  w.stdout.setEncoding("utf8").on("data", (d) => (said += d));
  const pid = Number(await waitFor(() => /^ready (\d+)$/m.exec(said)?.[1], "the workload to be ready"));
  await waitFor(() => procStatus(pid)?.State.startsWith("Z"), "the leader to exit");
  const capture = iops.tracePid(pid, { method });
  t.teardown(() => capture.stop());
  t.true(await within(capture.ready(), 30_000, "the capture in place"));
  process.kill(pid, "SIGUSR1");
  t.deepEqual(await within(exited, 120_000, "the writers' end"), { code: 0, signal: null });
  capture.stop();
  const report = await within(capture.report, 60_000, "the report");
  t.is(fs.statSync(out).size, PER * SPAWNERS * 10);
  t.deepEqual(report.files.map((f) => [f.path, f.kind]), [[out, "file"]], "every write on the file, by its full name");
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: PER * SPAWNERS, readBytes: 0, writeBytes: PER * SPAWNERS * 10 });
  t.is(report.metadataOps.opens, PER * SPAWNERS);
  t.deepEqual(opsAndBytes(report.summary), fileTableSums(report).storage);
  t.false(report.warningCodes.includes("fds-unnamed"), JSON.stringify(report.warnings));
});

// ------------------------------------------------------------ a kernel thread

eachMethod(test, "-p of a kernel thread: said to be one, in one line, nothing blamed on a security policy", async (t, method) => {
  // kthreadd is pid 2 where the host's pids are seen (not in a pid namespace of its own).
  const comm = fs.readFileSync("/proc/2/comm", "utf8").trim();
  if (comm !== "kthreadd") return t.pass(`pid 2 is ${comm} here, not kthreadd`);
  const r = await cli(["--method", method, "-p", "2", "--duration", "0.2"]);
  t.not(r.status, 0);
  t.is(r.stdout, "");
  t.regex(r.stderr, /^iops: 2 is a kernel thread: it runs no program and makes no system calls of one, so there is nothing to trace; give the pid of a process/);
  t.notRegex(r.stderr, /Yama|security policy|zombie/);
  t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
});

// --------------------------------------------------------- --duration's window

eachMethod(test, "-p --duration D counts from when the capture is in place: the window is at least D long and holds the writes of a process writing every 5 ms", async (t, method) => {
  const out = path.join(dir, `dur-${method}.dat`);
  const SIZE = 10;
  const w = start([bin.loopwriter, out, "0", String(SIZE), "5000"]);
  t.teardown(() => kill(w.child));
  const pid = Number((await w.line(/^pid (\d+)$/m))[1]);
  for (const D of [0.05, 0.3]) {
    const r = await cli(["--method", method, "-p", String(pid), "--duration", String(D), "--json", "-"]);
    t.is(r.status, 0, r.stderr);
    const report = r.report;
    t.is(report.method, method);
    t.deepEqual(report.warningCodes, []);
    // The stop comes D after the capture is in place, and the window opens before: never shorter than D.
    t.true(report.elapsedSeconds >= D, `--duration ${D}: a window of ${report.elapsedSeconds} s`);
    const entry = fileEntry(report, out);
    t.truthy(entry, `--duration ${D}: no write counted in ${report.elapsedSeconds} s`);
    t.true(entry.writeOps >= 1, `--duration ${D}: ${entry.writeOps} writes`);
    t.is(entry.writeBytes, entry.writeOps * SIZE);
  }
  assertReleased(t, pid);
});

// ------------------------------------------------------------ the traced set

eachMethod(test, "1,000 short-lived children, 10 writes each: every write counted, and no task said missed (none was)", (t, method) => {
  const [N, WRITES, SIZE] = [1000, 10, 13];
  const sub = fs.mkdtempSync(path.join(dir, `forks-${method}-`));
  const { status, stderr, report } = runCliJson(["--method", method, "--", bin.shortforks, sub, String(N), "8", String(WRITES), String(SIZE)]);
  t.is(status, 0, stderr);
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  t.deepEqual(report.warningCodes, [], JSON.stringify(report.warnings));
  const onDisk = fs.readdirSync(sub).reduce((n, f) => n + fs.statSync(path.join(sub, f)).size, 0);
  t.is(onDisk, N * WRITES * SIZE);
  t.is(report.summary.writeOps, N * WRITES);
  t.is(report.summary.writeBytes, N * WRITES * SIZE);
});

eachMethod(test, "300 background shell jobs appending a line each: 300 writes, no task said missed", (t, method) => {
  const N = 300;
  const out = path.join(dir, `jobs-${method}.txt`);
  fs.rmSync(out, { force: true });
  const script = `for i in $(seq ${N}); do echo x >> '${out}' & done; wait`;
  const { status, stderr, report } = runCliJson(["--method", method, "--", "bash", "-c", script]);
  t.is(status, 0, stderr);
  t.is(fs.readFileSync(out, "utf8"), "x\n".repeat(N));
  t.deepEqual(report.warningCodes, [], JSON.stringify(report.warnings));
  const entry = fileEntry(report, out);
  t.deepEqual([entry.writeOps, entry.writeBytes], [N, 2 * N]);
});

// ------------------------------------------------- a program that traces

eachMethod(test, "a program whose child asks to be traced (a debugger): under ptrace its refused request is said, naming --method ebpf; under eBPF it is granted and nothing is said", (t, method) => {
  const untraced = spawnSync(bin.minidebugger, { encoding: "utf8" });
  t.is(untraced.stdout, "traceme ok\n", "untraced, the request is granted");
  const json = path.join(dir, `minidebugger-${method}.json`);
  const r = runCli(["--method", method, "--json", json, "--", bin.minidebugger]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, method);
  // The workload's own word on its request (its stdout comes before the text report).
  const said = r.stdout.match(/^traceme (ok|refused)$/m)?.[1];
  if (method === "ptrace") {
    t.is(said, "refused", r.stdout);
    t.deepEqual(report.warningCodes, ["program-ptrace-refused"], JSON.stringify(report.warnings));
    t.is(
      report.warnings[0],
      "the program tried to trace or be traced (ptrace TRACEME, ATTACH or SEIZE) and was refused 1 time: a task has one tracer, and the ptrace source is it, so a debugger, strace or a sanitizer's leak check in the program fails; measure it with --method ebpf, which does not trace with ptrace",
    );
  } else {
    t.is(said, "ok", r.stdout);
    t.deepEqual(report.warningCodes, []);
  }
});

// ---------------------------------------- why a source is not permitted

test.serial("an ordinary user's setcap'd node: the eBPF advice names the tracefs it cannot read (not a mount); a node with differing real and effective ids: ptrace's refusal names it undumpable, before the counters fallback", (t) => {
  if (process.getuid() !== 0) return t.pass("needs root to give a copy of node file capabilities and to run it as other users");
  const tracefs = "/sys/kernel/tracing";
  if ((fs.statSync(tracefs).mode & 0o005) === 0o005) return t.pass(`${tracefs} is readable by others here: nothing to name`);
  const capped = fs.mkdtempSync(path.join(dir, "capped-"));
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(capped, 0o777); // the other users write their reports there
  const node = path.join(capped, "node");
  fs.copyFileSync(process.execPath, node);
  fs.chmodSync(node, 0o755);
  const setcap = spawnSync("setcap", ["cap_bpf,cap_perfmon+ep", node], { encoding: "utf8" });
  if (setcap.error || setcap.status !== 0) return t.pass(`setcap cannot give file capabilities here: ${setcap.error?.message ?? setcap.stderr}`);
  const run = (ids, name) => {
    const json = path.join(capped, name);
    const r = spawnSync("setpriv", [...ids, "--regid=65534", "--clear-groups", "--", node, CLI, "--json", json, "--", bin.loopwriter, `${json}.dat`, "3", "10", "0"], {
      encoding: "utf8",
      cwd: capped,
      timeout: 120_000,
    });
    t.is(r.status, 0, r.stderr);
    return JSON.parse(fs.readFileSync(json, "utf8"));
  };
  const tracefsAdvice = new RegExp(
    `^ptrace: eBPF, which never stops the program, needs to read tracefs, which is mounted at ${tracefs} but not readable by this user \\(Permission denied on ${tracefs}/events/sched/sched_process_fork/id\\): run as root, or \`sudo mount -o remount,mode=755 ${tracefs}\`$`,
  );

  // CAP_BPF and CAP_PERFMON, but a tracefs only root may read: ptrace runs instead, said why.
  const capable = run(["--reuid=65534"], "capable.json");
  t.is(capable.method, "ptrace");
  t.deepEqual(capable.warningCodes, ["default-source-unavailable"]);
  t.regex(capable.warnings[0], tracefsAdvice);
  t.is(capable.summary.writeOps, 3, "the loopwriter's 3 writes");

  // Real and effective uids that differ (as set-uid makes them): undumpable, so ptrace is refused too.
  const undumpable = run(["--ruid=65534", "--euid=65533"], "undumpable.json");
  t.is(undumpable.method, "proc-io", "the labelled counters fallback");
  t.regex(undumpable.warnings[0], tracefsAdvice);
  t.regex(
    undumpable.warnings[1],
    /^ptrace is not permitted here: Operation not permitted \(os error 1\); this process is undumpable \(node was started with real and effective user or group ids that differ, as set-uid or set-gid does\), and the kernel lets an undumpable process trace even its own children only with CAP_SYS_PTRACE: run node with one user id, or as root; figures come from \/proc\/\d+\/io counters$/,
  );
  t.notRegex(undumpable.warnings.join("\n"), /Yama ptrace_scope, a container's seccomp profile/, "the real reason, not the possible ones");
});

eachMethod(test, "an AddressSanitizer build's leak check (a helper task that traces the program): under ptrace LeakSanitizer fails and the report says why, naming --method ebpf; under eBPF the leak is found", (t, method) => {
  const leak = path.join(dir, "lsanleak");
  const cc = spawnSync("gcc", ["-O0", "-fsanitize=address", "-Wall", "-Werror", "-o", leak, path.join(FIXTURES, "lsanleak.c")], { encoding: "utf8" });
  if (cc.error || cc.status !== 0) return t.pass(`gcc -fsanitize=address cannot build here: ${cc.error?.message ?? cc.stderr}`);
  const out = path.join(dir, `lsan-${method}.txt`);
  const json = path.join(dir, `lsan-${method}.json`);
  const r = runCli(["--method", method, "--json", json, "--", leak, out]);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, method);
  t.is(fs.readFileSync(out, "utf8"), "hi\n");
  if (method === "ptrace") {
    // LeakSanitizer's own words: its helper could not trace the program.
    t.regex(r.stderr, /LeakSanitizer does not work under ptrace/);
    t.deepEqual(report.warningCodes, ["program-ptrace-refused"], JSON.stringify(report.warnings));
    t.regex(report.warnings[0], /^the program named a task to trace it \(prctl PR_SET_PTRACER, as LeakSanitizer's leak check does\) 1 time: a task has one tracer, and the ptrace source is it, .*; measure it with --method ebpf, which does not trace with ptrace$/);
  } else {
    t.regex(r.stderr, /ERROR: LeakSanitizer: detected memory leaks/);
    t.regex(r.stderr, /100 byte\(s\) leaked in 1 allocation/);
    t.deepEqual(report.warningCodes, []);
  }
  t.is(r.status, 1, "the leak check's failure status, passed through");
});
