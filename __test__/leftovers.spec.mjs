/**
 * What a launched command leaves behind, under each live source and strace:
 * a daemon (it left the command's session) is not waited for once the
 * command has ended, and a warning names it; it runs on untouched (its
 * writes after the capture succeed). Our ptrace tracer is the exception,
 * said in the warning: a daemon started under its seccomp filter cannot run
 * untraced, so it is waited for and its I/O counted. Once the command has
 * ended, SIGINT to iops ends the wait for what is left (a background job
 * that ignores SIGINT) and iops reports. And a set-user-ID program run by a
 * normal user under ptrace, which the kernel runs without its privileges,
 * is named.
 *
 * Ground truth: fixtures/daemonizer.c (the command writes 1 x 10 B and
 * prints its daemon's pid; the daemon, in a session of its own, writes
 * 5 x 10 B only once its FIFO is opened), fixtures/setuid_append.c (prints
 * its euid, appends 3 x 10 B to a root-only file), the processes' own
 * /proc entries (alive, traced or not) and the files' sizes.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, ROOT, compileFixtures, fileEntry, liveMethods, makeTempDir, shellLine, waitFor, withoutBpfCaps } from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-leftovers-");
  bin = compileFixtures(dir, ["daemonizer", "setuid_append"]);
});

/** Pids a test left running, ended whatever the outcome (only while they still run what we started). */
const started = new Map();

test.after.always(() => {
  for (const [pid, name] of started) {
    if (commandOf(pid).includes(name)) process.kill(pid, "SIGKILL");
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const straceMissing = spawnSync("strace", ["-V"]).status === 0 ? null : "strace is not installed";
/** The sources a launch runs under: the live ones and strace. */
const SOURCES = [...liveMethods(), { name: "strace", unavailable: straceMissing }];

function eachSource(title, fn) {
  for (const { name, unavailable } of SOURCES) {
    const run = unavailable ? test.serial.skip : test.serial;
    if (unavailable) console.log(`[${name}] skipped: ${unavailable}`);
    run(`[${name}] ${title}`, (t) => fn(t, name));
  }
}

/** /proc/<pid>/cmdline as text ("" once it is gone). */
function commandOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** { state, tracer } of a live process, null once it is gone or a zombie. */
function running(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const state = /^State:\s*(\S)/m.exec(status)[1];
    if (state === "Z" || state === "X") return null;
    return { state, tracer: Number(/^TracerPid:\s*(\d+)/m.exec(status)[1]) };
  } catch {
    return null;
  }
}

/** The report's warnings of `code`. */
function warningsOf(report, code) {
  return report.warnings.filter((_, i) => report.warningCodes[i] === code);
}

/**
 * Starts the CLI; `done` resolves at its exit, with what it printed by then
 * (not at the close of its pipes, which a process left running holds open).
 */
function startCli(args) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** Runs the CLI to its end; a hang is killed after a minute (and fails the test). */
async function finish(run) {
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 60_000);
  const r = await run.done;
  clearTimeout(timer);
  return r;
}

/**
 * Sends SIGINT to iops until it ends (it ignores SIGINT until the command
 * has ended), or until `enough()`: its result.
 */
async function interruptUntilDone(run, enough = () => false) {
  let done = null;
  void run.done.then((r) => (done = r));
  for (let i = 0; i < 600 && done === null && !enough(); i++) {
    run.child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return finish(run);
}

eachSource("a command that leaves a daemon (double fork, setsid): the report counts the command's I/O; the daemon, named, runs on with its writes intact (ptrace: waited for, said why, its I/O counted)", async (t, method) => {
  const work = fs.mkdtempSync(path.join(dir, "daemon-"));
  const data = path.join(work, "out.dat");
  const fifo = path.join(work, "go");
  t.is(spawnSync("mkfifo", [fifo]).status, 0);
  const json = path.join(work, "r.json");
  const run = startCli(["--no-progress", "--method", method, "--json", json, "--", bin.daemonizer, data, fifo]);
  const pid = Number((await waitFor(() => /^daemon (\d+)$/m.exec(run.output().stdout), "the daemon's pid"))[1]);
  started.set(pid, "daemonizer");
  if (method === "ptrace") {
    // Blocked on its FIFO, the daemon cannot end: iops, which must keep it traced, cannot have ended either.
    t.is(run.child.exitCode, null, "iops waits for a daemon under its seccomp filter");
    fs.closeSync(fs.openSync(fifo, "w"));
    const r = await finish(run);
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.like(fileEntry(report, data), { writeOps: 6, writeBytes: 60 });
    const [warning] = warningsOf(report, "left-running");
    t.true(warning.includes(`pid ${pid} (${bin.daemonizer} ${data} ${fifo})`), warning);
    t.regex(warning, /cannot run on untraced \(each counted call would fail with ENOSYS\), so iops waited for them to end and counted their I\/O/);
  } else {
    const r = await finish(run);
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    // The command's own write; the daemon has written nothing yet.
    t.like(fileEntry(report, data), { writeOps: 1, writeBytes: 10 });
    const [warning] = warningsOf(report, "left-running");
    t.true(
      warning.startsWith(`the command ended leaving 1 process running outside its session (daemons: they called setsid): pid ${pid} (${bin.daemonizer} ${data} ${fifo}); iops stopped waiting for it there and its I/O after that is not counted; `),
      warning,
    );
    // Still running, untraced; let go, its writes succeed.
    t.like(running(pid), { tracer: 0 });
    fs.closeSync(fs.openSync(fifo, "w"));
    await waitFor(() => running(pid) === null, "the daemon's end");
  }
  t.is(fs.statSync(data).size, 60, "the daemon's 5 writes of 10 B succeeded");
});

const ptrace = liveMethods().find((m) => m.name === "ptrace");
const noCapsh = spawnSync("capsh", ["--print"]).status === 0 ? null : "capsh is not installed (libcap2-bin)";
(ptrace?.unavailable || noCapsh || process.getuid() !== 0 ? test.serial.skip : test.serial)(
  "[ptrace] without our seccomp filter (root without CAP_SYS_ADMIN: every syscall traced), a daemon is detached once the command has ended, named, and runs on with its writes intact",
  async (t) => {
    const work = fs.mkdtempSync(path.join(dir, "nofilter-"));
    const data = path.join(work, "out.dat");
    const fifo = path.join(work, "go");
    t.is(spawnSync("mkfifo", [fifo]).status, 0);
    const json = path.join(work, "r.json");
    const r = withoutBpfCaps(shellLine([process.execPath, CLI, "--no-progress", "--method", "ptrace", "--json", json, "--", bin.daemonizer, data, fifo]));
    t.is(r.status, 0, r.stderr);
    const pid = Number(/^daemon (\d+)$/m.exec(r.stdout)?.[1]);
    started.set(pid, "daemonizer");
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.deepEqual(report.warningCodes, ["seccomp-filter-refused", "left-running"]);
    t.like(fileEntry(report, data), { writeOps: 1, writeBytes: 10 });
    t.is(
      warningsOf(report, "left-running")[0],
      `the command ended leaving 1 process running outside its session (daemons: they called setsid): pid ${pid} (${bin.daemonizer} ${data} ${fifo}); iops stopped waiting for it there and its I/O after that is not counted; iops detached it, and it will run on untouched`,
    );
    t.like(running(pid), { tracer: 0 });
    fs.closeSync(fs.openSync(fifo, "w"));
    await waitFor(() => running(pid) === null, "the daemon's end");
    t.is(fs.statSync(data).size, 60, "the daemon's 5 writes of 10 B succeeded");
  },
);

eachSource("sh -c '(setsid sleep 30 &); echo done': iops reports when the command has ended, naming the sleep left running (ptrace: at SIGINT, ending it)", async (t, method) => {
  const work = fs.mkdtempSync(path.join(dir, "setsid-"));
  const json = path.join(work, "r.json");
  const run = startCli(["--no-progress", "--method", method, "--json", json, "--", "sh", "-c", "(setsid sleep 30 &); echo done"]);
  await waitFor(() => run.output().stdout.includes("done"), "the command's output");
  // Under ptrace the sleep is waited for: SIGINT, once the command has ended, ends the wait.
  const r = method === "ptrace" ? await interruptUntilDone(run) : await finish(run);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  const [warning] = warningsOf(report, "left-running");
  const pid = Number(/: pid (\d+) \(/.exec(warning)?.[1]);
  t.true(pid > 0, warning);
  if (method === "ptrace") {
    // Asked to end (SIGTERM), and ended (SIGKILL) if a second SIGINT came before its end was seen.
    t.regex(warning, /so iops asked it to end \(SIGTERM\)/);
    await waitFor(() => running(pid) === null, "the sleep's end");
  } else {
    t.true(warning.startsWith("the command ended leaving 1 process running outside its session"), warning);
    t.regex(commandOf(pid), /sleep 30/);
    started.set(pid, "sleep");
    t.like(running(pid), { tracer: 0 });
    process.kill(pid, "SIGKILL");
    await waitFor(() => running(pid) === null, "the sleep's end");
  }
});

test("[ebpf] a child the command stopped (SIGSTOP) and left: iops reports when the command has ended, as a shell's prompt comes back, naming it, still stopped and untraced", async (t) => {
  const work = fs.mkdtempSync(path.join(dir, "stopped-"));
  const json = path.join(work, "r.json");
  const run = startCli(["--no-progress", "--method", "ebpf", "--json", json, "--", "sh", "-c", "sleep 30 & kill -STOP $!; echo stopped $!"]);
  const pid = Number((await waitFor(() => /^stopped (\d+)$/m.exec(run.output().stdout), "the child's pid"))[1]);
  started.set(pid, "sleep");
  const r = await finish(run);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  const [warning] = warningsOf(report, "left-running");
  t.true(warning.startsWith(`the command ended leaving 1 process stopped by a signal (SIGSTOP, SIGTSTP: they run again only when continued) or running outside its session: pid ${pid} (`), warning);
  t.like(running(pid), { state: "T", tracer: 0 });
  process.kill(pid, "SIGKILL");
  await waitFor(() => running(pid) === null, "the child's end");
});

eachSource("a background job in the command's session is waited for; once the command has ended, SIGINT ends the wait and iops reports, naming it", async (t, method) => {
  const work = fs.mkdtempSync(path.join(dir, "bg-"));
  const json = path.join(work, "r.json");
  const run = startCli(["--no-progress", "--method", method, "--json", json, "--", "sh", "-c", "sleep 30 & echo bg $!"]);
  const pid = Number((await waitFor(() => /^bg (\d+)$/m.exec(run.output().stdout), "the job's pid"))[1]);
  started.set(pid, "sleep");
  // A job that stays in the session is waited for: it sleeps, so iops has not ended.
  t.is(run.child.exitCode, null);
  // Under ptrace the first SIGINT after the command's end asks the job to end (SIGTERM): enough.
  const r = await interruptUntilDone(run, () => method === "ptrace" && running(pid) === null);
  t.is(r.status, 0, `${r.status} ${r.signal} ${r.stderr.slice(-300)}`);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  const [warning] = warningsOf(report, "left-running");
  t.true(warning.startsWith(`iops was asked to stop after the command had ended, leaving 1 process running: pid ${pid} (sleep 30);`), warning);
  if (method === "ptrace") {
    t.regex(warning, /so iops asked it to end \(SIGTERM\)/);
  } else {
    t.like(running(pid), { tracer: 0 });
    process.kill(pid, "SIGKILL");
  }
  await waitFor(() => running(pid) === null, "the job's end");
});

(ptrace?.unavailable ? test.serial.skip : test.serial)(
  "[ptrace] a job left running under our seccomp filter that ignores SIGTERM: a first SIGINT after the command's end asks it to end, a second ends it (SIGKILL), and iops reports",
  async (t) => {
    const work = fs.mkdtempSync(path.join(dir, "term-"));
    const json = path.join(work, "r.json");
    const run = startCli(["--no-progress", "--method", "ptrace", "--json", json, "--", "sh", "-c", `(trap "" TERM; exec sleep 30) & echo bg $!`]);
    const pid = Number((await waitFor(() => /^bg (\d+)$/m.exec(run.output().stdout), "the job's pid"))[1]);
    started.set(pid, "sleep");
    const r = await interruptUntilDone(run);
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.deepEqual(warningsOf(report, "left-running"), [
      `iops was asked to stop after the command had ended, leaving 1 process running: pid ${pid} (sleep 30); iops stopped waiting for it there and its I/O after that is not counted; started under iops's seccomp filter, it could not run on untraced (each counted call would fail with ENOSYS), so iops asked it to end (SIGTERM) and, asked to stop again, ended what was still running (SIGKILL); as root, the default eBPF source leaves such processes running`,
    ]);
    await waitFor(() => running(pid) === null, "the job's end");
  },
);

/** Why a set-user-ID program cannot be run as nobody here, or null. */
function noSetuidRun() {
  if (process.getuid() !== 0) return "the set-user-ID fixture must be made root's: run as root";
  if (spawnSync("setpriv", ["--version"]).status !== 0) return "setpriv is not installed (util-linux)";
  if (spawnSync("id", ["nobody"]).status !== 0) return "there is no user nobody";
  return null;
}

/** A root-owned set-user-ID copy of the fixture and a root-only file, in a directory nobody may enter. */
function setuidSetup() {
  const work = fs.mkdtempSync(path.join(dir, "setuid-"));
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(work, 0o1777);
  const program = path.join(work, "setuid_append");
  fs.copyFileSync(bin.setuid_append, program);
  fs.chownSync(program, 0, 0);
  fs.chmodSync(program, 0o4755);
  const rootonly = path.join(work, "rootonly");
  fs.writeFileSync(rootonly, "", { mode: 0o600 });
  return { work, program, rootonly };
}

const AS_NOBODY = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"];

for (const method of ["ptrace", "strace"]) {
  const why = noSetuidRun() ?? (method === "strace" ? straceMissing : null);
  (why ? test.serial.skip : test.serial)(`[${method}] a set-user-ID program run by a normal user under ptrace runs without its privileges, as the kernel decides, and the report names it`, (t) => {
    const { work, program, rootonly } = setuidSetup();
    const untraced = spawnSync("setpriv", [...AS_NOBODY, program, rootonly], { encoding: "utf8" });
    t.is(untraced.stdout, "euid=0\nok\n", "untraced, it gets root's euid");
    fs.truncateSync(rootonly, 0);
    const json = path.join(work, `${method}.json`);
    const r = spawnSync("setpriv", [...AS_NOBODY, process.execPath, CLI, "--no-progress", "--method", method, "--json", json, "--", program, rootonly], {
      encoding: "utf8",
      timeout: 120_000,
    });
    t.is(r.status, 4, r.stderr);
    t.is(r.stdout, "euid=65534\n");
    t.is(fs.statSync(rootonly).size, 0);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    const [warning] = warningsOf(report, "privileges-ignored");
    t.true(warning?.startsWith(`${program} (without its set-user-ID root) ran without the privileges of its file: `), warning);
    t.regex(warning, /as root, the default eBPF source does not trace by ptrace and keeps them$/);
  });
}

const noSetcap = spawnSync("setcap", ["-v", "cap_dac_override+ep", "/proc/self/exe"]).error ? "setcap is not installed (libcap2-bin)" : null;
for (const method of ["ptrace", "strace"]) {
  const why = noSetuidRun() ?? noSetcap ?? (method === "strace" ? straceMissing : null);
  (why ? test.serial.skip : test.serial)(`[${method}] a program with file capabilities run by a normal user under ptrace runs without them, and the report names it`, (t) => {
    const { work, program, rootonly } = setuidSetup();
    // No set-user-ID bit: CAP_DAC_OVERRIDE alone lets nobody write the root-only file.
    fs.chmodSync(program, 0o755);
    t.is(spawnSync("setcap", ["cap_dac_override+ep", program]).status, 0);
    const untraced = spawnSync("setpriv", [...AS_NOBODY, program, rootonly], { encoding: "utf8" });
    t.is(untraced.stdout, "euid=65534\nok\n", "untraced, its capability lets it write");
    fs.truncateSync(rootonly, 0);
    const json = path.join(work, `${method}-caps.json`);
    const r = spawnSync("setpriv", [...AS_NOBODY, process.execPath, CLI, "--no-progress", "--method", method, "--json", json, "--", program, rootonly], {
      encoding: "utf8",
      timeout: 120_000,
    });
    t.is(r.status, 4, r.stderr);
    t.is(fs.statSync(rootonly).size, 0);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    const [warning] = warningsOf(report, "privileges-ignored");
    t.true(warning?.startsWith(`${program} (without its file capabilities) ran without the privileges of its file: `), warning);
  });
}

const ebpf = liveMethods().find((m) => m.name === "ebpf");
(noSetuidRun() || ebpf?.unavailable ? test.serial.skip : test.serial)("[ebpf] as root, a set-user-ID program started as nobody keeps its privileges: its writes are counted, nothing is said", (t) => {
  const { work, program, rootonly } = setuidSetup();
  const json = path.join(work, "ebpf.json");
  const r = spawnSync(process.execPath, [CLI, "--no-progress", "--method", "ebpf", "--json", json, "--", "setpriv", ...AS_NOBODY, program, rootonly], {
    encoding: "utf8",
    timeout: 120_000,
  });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, "euid=0\nok\n");
  t.is(fs.statSync(rootonly).size, 30);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.like(fileEntry(report, rootonly), { writeOps: 3, writeBytes: 30 });
  t.deepEqual(warningsOf(report, "privileges-ignored"), []);
});
