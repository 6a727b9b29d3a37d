/**
 * What iops owes the command it runs or attaches to: the command always
 * runs (also where our seccomp filter is refused), a failed exec is said in
 * words like a shell says it, I/O we cannot count is named, the program's
 * own seccomp filter behaves as untraced, the signals it survives untraced
 * it survives under iops, and its CPU set is its own.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import test from "ava";

import {
  CLI,
  ROOT,
  compileFixtures,
  fileEntry,
  iops,
  liveMethods,
  makeTempDir,
  procStatus,
  processesMentioning,
  runCli,
  runCliJson,
  spawnCli,
  taskIds,
  waitFor,
  within,
} from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-guarantees-");
  bin = compileFixtures(dir, ["writes", "int80", "ownfilter", "handlesignals", "loopwriter", "ownaffinity"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const WITHOUT_SYS_ADMIN = "root without CAP_SYS_ADMIN (capsh --drop=cap_sys_admin)";

/**
 * Runs the CLI (ptrace, asked for) as root without CAP_SYS_ADMIN, a
 * container's default, where the kernel refuses our seccomp filter (root
 * does not get no_new_privs).
 */
function runCliWithoutSysAdmin(args) {
  const r = spawnSync("capsh", ["--drop=cap_sys_admin", "--", "-c", 'exec "$@"', "sh", process.execPath, CLI, "--method", "ptrace", ...args], {
    encoding: "utf8",
    cwd: ROOT,
    timeout: 120_000,
  });
  if (r.error || /capsh: /.test(r.stderr ?? "")) {
    throw new Error(
      `this test needs capsh (Debian: libcap2-bin), run as root: ${r.error?.message ?? r.stderr}`,
    );
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FILTER_REFUSED = /the seccomp filter that stops only I\/O calls could not be installed \(Permission denied, EACCES\); every syscall was traced instead/;

// ------------------------------------------- the filter refused (item 2)

test.serial(`${WITHOUT_SYS_ADMIN}: /bin/echo X prints X, exits 0, its write is counted, one warning says how it traced`, (t) => {
  const json = path.join(dir, "echo.json");
  const r = runCliWithoutSysAdmin(["--all-fds", "--json", json, "--", "/bin/echo", "X"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, "X\n");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, "ptrace");
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  t.is(report.summary.writeOps, 1);
  t.is(report.summary.writeBytes, 2);
  t.is(report.warnings.filter((w) => FILTER_REFUSED.test(w)).length, 1, report.warnings.join(" | "));
  t.regex(r.stderr, FILTER_REFUSED);
});

test.serial(`${WITHOUT_SYS_ADMIN}: N writes of S bytes, exactly, as with the filter`, (t) => {
  const N = 300;
  const S = 512;
  const out = path.join(dir, "nosysadmin.dat");
  const json = path.join(dir, "nosysadmin.json");
  const r = runCliWithoutSysAdmin(["--json", json, "--", bin.writes, out, String(N), String(S)]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  t.is(report.summary.writeOps, N);
  t.is(report.metadataOps.opens, 1);
  t.is(report.metadataOps.closes, 1);
  t.is(fs.statSync(out).size, N * S);
});

// ------------------------------------------------- exec failures (item 9)

/**
 * A script without a `#!` line (newcomer's F11): the kernel refuses it
 * (ENOEXEC) and execvp(3), env, timeout, nice and every shell run it with
 * /bin/sh; so does every launch of iops, under every source.
 */
for (const method of ["ebpf", "ptrace", "strace"]) {
  test.serial(`[${method}] a script without a shebang runs under /bin/sh, as execvp runs it; its write is counted`, (t) => {
    const unavailable = method === "strace" ? (spawnSync("strace", ["-V"]).status === 0 ? null : "strace not installed") : liveMethods().find((m) => m.name === method)?.unavailable;
    if (unavailable) return t.pass(`skipped: ${unavailable}`);
    const script = path.join(dir, `noshebang-${method}.sh`);
    fs.writeFileSync(script, 'printf hello > "$1"\necho ran\n', { mode: 0o755 });
    const out = path.join(dir, `noshebang-${method}.out`);
    // Ground truth: env (execvp) runs it.
    const truth = spawnSync("env", [script, `${out}.truth`], { encoding: "utf8" });
    t.is(truth.status, 0, truth.stderr);
    t.is(fs.readFileSync(`${out}.truth`, "utf8"), "hello");
    const r = runCli(["--method", method, "--json", "-", "--", script, out]);
    t.is(r.status, 0, r.stderr);
    t.is(fs.readFileSync(out, "utf8"), "hello");
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
    t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 5 });
    t.deepEqual(report.command, [script, out]);
  });
}

test.serial("a script whose interpreter is missing: ENOENT said, exit 127 as a shell", (t) => {
  const script = path.join(dir, "badinterp.sh");
  fs.writeFileSync(script, "#!/nonexistent/interpreter\n", { mode: 0o755 });
  const r = runCli(["--", script]);
  t.is(r.status, 127);
  t.is(r.stderr, `iops: cannot execute ${script}: No such file or directory (ENOENT): its interpreter or loader is missing\n`);
});

test.serial("a path to a directory (Is a directory), to a file without execute permission, to /dev/null (Permission denied, EACCES): exit 126, as a shell says", (t) => {
  const directory = path.join(dir, "a-directory");
  fs.mkdirSync(directory, { recursive: true });
  const notExecutable = path.join(dir, "not-executable.sh");
  fs.writeFileSync(notExecutable, "#!/bin/sh\necho hello\n", { mode: 0o644 });
  fs.chmodSync(notExecutable, 0o644);
  for (const target of [directory, notExecutable, "/dev/null"]) {
    const shell = spawnSync("sh", ["-c", '"$0"', target], { encoding: "utf8" });
    t.is(shell.status, 126, `ground truth: sh runs ${target} with status 126 (${shell.stderr})`);
    const r = runCli(["--json", "-", "--", target]);
    t.is(r.status, 126, target);
    // A directory as bash says it (execve's EACCES would send one to chmod; F12).
    t.is(r.stderr, target === directory ? `iops: cannot execute ${target}: Is a directory\n` : `iops: cannot execute ${target}: Permission denied (EACCES)\n`);
    t.is(r.stdout, "", "no report");
  }
  const missing = path.join(dir, "no-such-program");
  const r = runCli(["--", missing]);
  t.is(r.status, 127);
  // A path is never looked up on PATH: said as a shell says it (F12).
  t.is(r.stderr, `iops: ${missing}: No such file or directory\n`);
});

test.serial("an argument list too long for execve: traceCommand() rejects with IopsError E2BIG, in words", async (t) => {
  // Too long for any execve (the kernel's limit is a quarter of the stack
  // limit, 2 MiB by default): given in-process, since iops itself could not
  // be exec'd with it either.
  const args = Array.from({ length: 100_000 }, () => "x".repeat(100));
  const error = await t.throwsAsync(iops.traceCommand(["/bin/echo", ...args]).report, { instanceOf: iops.IopsError });
  t.is(error.code, "E2BIG");
  t.is(error.message, "cannot execute /bin/echo: Argument list too long (E2BIG)");
});

test.serial("an exec failure in the counters fallback (already traced): the same line and status", (t) => {
  const script = path.join(dir, "noexec-nested.sh");
  fs.writeFileSync(script, "#!/bin/sh\necho hello\n", { mode: 0o644 });
  fs.chmodSync(script, 0o644);
  const outer = path.join(dir, "outer.json");
  const r = runCli(["--json", outer, "--", process.execPath, CLI, "--", script]);
  t.is(r.status, 126);
  t.true(r.stderr.startsWith(`iops: cannot execute ${script}: Permission denied (EACCES)\n`), r.stderr);
  t.false(r.stderr.includes("/proc/<pid>/io counters"), "no counters report");
});

test.serial("a script without a shebang in the counters fallback (already traced) runs under /bin/sh", (t) => {
  const script = path.join(dir, "noshebang-nested.sh");
  fs.writeFileSync(script, "echo hello\n", { mode: 0o755 });
  const outer = path.join(dir, "outer2.json");
  const r = runCli(["--json", outer, "--", process.execPath, CLI, "--", script]);
  t.is(r.status, 0, r.stderr);
  t.true(r.stdout.startsWith("hello\n"), r.stdout);
});

// ----------------------------------------------- invisible I/O (item 10)

const COMPAT_WARNING = (n) =>
  `${n} read/write-family calls were made through the 32-bit syscall ABI (int 0x80) and are not counted: the figures miss their I/O`;

for (const [mode, run] of [
  ["under our filter", (args) => runCliJson(["--method", "ptrace", ...args])],
  [WITHOUT_SYS_ADMIN, (args) => {
    const json = path.join(dir, "int80-nosysadmin.json");
    const r = runCliWithoutSysAdmin(["--json", json, ...args.slice(2)]);
    return { ...r, report: JSON.parse(fs.readFileSync(json, "utf8")) };
  }],
]) {
  test.serial(`int 0x80 writes (${mode}): the 64-bit ones counted exactly, the 32-bit ones named by number in a warning`, (t) => {
    const out = path.join(dir, "int80.dat");
    const r = run(["--json", "-", "--", bin.int80, out, "5", "10"]);
    t.is(r.status, 0, r.stderr);
    t.is(fs.statSync(out).size, 15 * 16, "the program made its 15 writes");
    t.deepEqual(fileEntry(r.report, out), { path: out, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 80 });
    t.true(r.report.warnings.includes(COMPAT_WARNING(10)), r.report.warnings.join(" | "));
  });

  test.serial(`a program's own seccomp filter returning SECCOMP_RET_TRACE (${mode}): its getppid fails with ENOSYS as untraced, its writes are counted`, (t) => {
    const out = path.join(dir, "ownfilter.dat");
    const json = path.join(dir, "ownfilter.json");
    const args = ["--json", json, "--", bin.ownfilter, out, "9"];
    const r = mode === WITHOUT_SYS_ADMIN ? runCliWithoutSysAdmin(args) : runCli(["--method", "ptrace", ...args]);
    // The fixture exits 12 if getppid does anything but fail with ENOSYS.
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout, "getppid ENOSYS\n");
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 9, readBytes: 0, writeBytes: 9 * 16 });
    t.is(report.failedOps.total, 0);
  });
}

test.serial("untraced, the fixtures behave as the tests above expect (ground truth)", (t) => {
  const own = spawnSync(bin.ownfilter, [path.join(dir, "own-untraced.dat"), "1"], { encoding: "utf8" });
  t.is(own.status, 0, own.stderr);
  t.is(own.stdout, "getppid ENOSYS\n");
  const out = path.join(dir, "int80-untraced.dat");
  const compat = spawnSync(bin.int80, [out, "5", "10"], { encoding: "utf8" });
  t.is(compat.status, 0, compat.stderr);
  t.is(fs.readFileSync(out, "latin1"), "n".repeat(80) + "c".repeat(160));
});

// ------------------------------------------------------- signals (item 5)

/** Starts the CLI in a process group of its own, as a shell starts a job. */
function spawnJob(args) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) => child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done, output: () => ({ stdout, stderr }) };
}

for (const [sig, key] of [
  ["SIGQUIT", "Ctrl-\\"],
  ["SIGINT", "Ctrl-C"],
]) {
  test.serial(`${sig} to the foreground group (${key}): a command that handles it finishes its work; iops reports and exits 0`, async (t) => {
    const out = path.join(dir, `group-${sig}.dat`);
    const json = path.join(dir, `group-${sig}.json`);
    const job = spawnJob(["--json", json, "--", bin.handlesignals, out, "7"]);
    await waitFor(() => /ready/.test(job.output().stdout), "the command to be ready");
    process.kill(-job.child.pid, sig);
    const r = await within(job.done, 60_000, "iops");
    t.deepEqual([r.status, r.signal], [0, null], r.stderr);
    t.regex(r.stdout, new RegExp(`got ${sig.slice(3)}\\n`));
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
    t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 7, readBytes: 0, writeBytes: 7 * 16 });
  });
}

for (const sig of ["SIGUSR1", "SIGUSR2", "SIGHUP", "SIGTERM", "SIGALRM"]) {
  test.serial(`${sig} sent to iops alone is passed on to the command, which handles it and finishes; iops reports`, async (t) => {
    const out = path.join(dir, `alone-${sig}.dat`);
    const json = path.join(dir, `alone-${sig}.json`);
    const run = spawnCli(["--json", json, "--", bin.handlesignals, out, "3"]);
    await waitFor(() => /ready/.test(run.output().stdout), "the command to be ready");
    run.child.kill(sig);
    const r = await within(run.done, 60_000, "iops");
    t.deepEqual([r.status, r.signal], [0, null], r.stderr);
    t.regex(r.stdout, new RegExp(`got ${sig.slice(3)}\\n`));
    t.false(r.stderr.includes("Debugger listening"), "SIGUSR1 did not start Node's inspector in iops");
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 3, readBytes: 0, writeBytes: 48 });
  });
}

// ---------------------------------------------------- CPU sets (item 4)
// ptrace, asked for: the source that stops the program (eBPF never does).

function cpusOf(pid) {
  return procStatus(pid)?.Cpus_allowed_list;
}

test.serial("by default a traced command sees the CPUs it would see untraced: nproc, Cpus_allowed_list", (t) => {
  const untraced = spawnSync("nproc", { encoding: "utf8" }).stdout;
  const traced = runCli(["--method", "ptrace", "--", "nproc"]);
  t.is(traced.status, 0, traced.stderr);
  t.is(traced.stdout, untraced);
  const status = runCli(["--method", "ptrace", "--", "grep", "^Cpus_allowed_list", "/proc/self/status"]);
  t.is(status.stdout, spawnSync("grep", ["^Cpus_allowed_list", "/proc/self/status"], { encoding: "utf8" }).stdout);
});

test.serial("by default profile() leaves this process's CPUs alone: os.availableParallelism() inside equals outside", (t) => {
  const script = `
    const os = require("node:os");
    const { profile } = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    (async () => {
      const outside = os.availableParallelism();
      let inside;
      await profile(() => { inside = os.availableParallelism(); }, { method: "ptrace" });
      console.log(JSON.stringify({ outside, inside }));
    })();`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const { outside, inside } = JSON.parse(r.stdout);
  t.is(outside, os.availableParallelism());
  t.is(inside, outside);
});

/** A loopwriter to attach to, and its CPU list before any capture. */
async function startTarget(name) {
  const out = path.join(dir, `${name}.dat`);
  const w = spawn(bin.loopwriter, [out, "0", "16", "1000"], { stdio: ["ignore", "pipe", "ignore"] });
  let stdout = "";
  w.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  await waitFor(() => /pid \d+/.test(stdout), "the target's pid");
  const progress = () => Number([...stdout.matchAll(/progress (\d+)/g)].pop()?.[1] ?? 0);
  return { w, pid: w.pid, before: cpusOf(w.pid), progress };
}

function endTarget({ w, pid }) {
  if (processesMentioning(dir).includes(pid)) process.kill(pid, "SIGKILL");
  w.stdout.destroy();
}

function attachedAndCounting(run, pid) {
  return waitFor(() => procStatus(pid)?.TracerPid !== "0" && run.child.exitCode === null, "iops to attach");
}

test.serial("iops -p killed with SIGKILL (default options) leaves the target's CPU set as it was", async (t) => {
  const target = await startTarget("sigkill-default");
  try {
    const run = spawnCli(["--method", "ptrace", "-p", String(target.pid)]);
    await attachedAndCounting(run, target.pid);
    t.is(cpusOf(target.pid), target.before, "not pinned while traced");
    run.child.kill("SIGKILL");
    await run.done;
    await waitFor(() => procStatus(target.pid)?.TracerPid === "0", "the kernel to detach the target");
    t.is(cpusOf(target.pid), target.before);
    t.false(/^[tT]/.test(procStatus(target.pid).State), "running on");
  } finally {
    endTarget(target);
  }
});

const TWO_CPUS = os.availableParallelism() >= 2;

for (const sig of ["SIGHUP", "SIGTERM", "SIGQUIT", "SIGINT"]) {
  test.serial(`iops -p --share-cpu ended by ${sig}: detaches, reports, and gives every thread its CPU set back`, async (t) => {
    const target = await startTarget(`share-${sig}`);
    try {
      const run = spawnCli(["--method", "ptrace", "--share-cpu", "--json", "-", "-p", String(target.pid)]);
      await attachedAndCounting(run, target.pid);
      if (TWO_CPUS) {
        // The opt-in does pin (so the test shows the pin undone).
        await waitFor(() => !/[-,]/.test(cpusOf(target.pid) ?? "-"), "the target to be pinned");
      }
      // 200 more writes made while traced: some of them after the capture was ready.
      const from = target.progress();
      await waitFor(() => target.progress() >= from + 200, "writes while traced");
      run.child.kill(sig);
      const r = await within(run.done, 30_000, "iops");
      t.deepEqual([r.status, r.signal], [0, null], r.stderr);
      const report = JSON.parse(r.stdout);
      t.is(report.method, "ptrace");
      t.true(report.summary.writeOps > 0, "the capture counted the writes it saw");
      t.is(procStatus(target.pid).TracerPid, "0");
      for (const tid of taskIds(target.pid)) t.is(cpusOf(`${target.pid}/task/${tid}`), target.before, `thread ${tid}`);
    } finally {
      endTarget(target);
    }
  });
}

test.serial("iops -p --share-cpu killed with SIGKILL: its guard process gives every thread its CPU set back", async (t) => {
  const target = await startTarget("share-sigkill");
  try {
    const run = spawnCli(["--method", "ptrace", "--share-cpu", "-p", String(target.pid)]);
    await attachedAndCounting(run, target.pid);
    if (TWO_CPUS) await waitFor(() => !/[-,]/.test(cpusOf(target.pid) ?? "-"), "the target to be pinned");
    run.child.kill("SIGKILL");
    await run.done;
    await waitFor(() => procStatus(target.pid)?.TracerPid === "0", "the kernel to detach the target");
    // The guard gives the threads back one by one: wait for all of them (on a loaded machine it may take a moment).
    const allBack = () => taskIds(target.pid).every((tid) => cpusOf(`${target.pid}/task/${tid}`) === target.before);
    await waitFor(allBack, "every thread's CPU set given back", 10_000).catch(() => null);
    for (const tid of taskIds(target.pid)) t.is(cpusOf(`${target.pid}/task/${tid}`), target.before, `thread ${tid}`);
    t.false(/^[tT]/.test(procStatus(target.pid).State), "running on");
  } finally {
    endTarget(target);
  }
});

test.serial("iops -p --share-cpu: a CPU set the program gives itself while attached is kept at detach", async (t) => {
  if (!TWO_CPUS) {
    t.pass("needs two CPUs to tell the program's own mask from ours");
    return;
  }
  const out = path.join(dir, "ownaffinity.dat");
  const w = spawn(bin.ownaffinity, [out], { stdio: ["ignore", "pipe", "ignore"] });
  let stdout = "";
  w.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  try {
    await waitFor(() => /pid \d+/.test(stdout), "the target's pid");
    const run = spawnCli(["--method", "ptrace", "--share-cpu", "--json", "-", "-p", String(w.pid)]);
    await attachedAndCounting(run, w.pid);
    await waitFor(() => !/[-,]/.test(cpusOf(w.pid) ?? "-"), "the target to be pinned");
    const pinned = cpusOf(w.pid);
    process.kill(w.pid, "SIGUSR1");
    const moved = await waitFor(() => /moved (\d+)/.exec(stdout)?.[1], "the program to move itself");
    t.not(moved, pinned, "the program chose a CPU other than our pin");
    run.child.kill("SIGINT");
    const r = await within(run.done, 30_000, "iops");
    t.is(r.status, 0, r.stderr);
    t.is(cpusOf(w.pid), moved, "the program's own choice stands");
  } finally {
    w.kill("SIGKILL");
    w.stdout.destroy();
  }
});
