/**
 * `iops --method strace`: the installed strace runs the command and its
 * output streams through the same core. On the same ground-truth workloads
 * it must agree exactly with our own tracer (counts, bytes, files, failures,
 * metadata calls, exit status); the command's stdout and stderr stay its own.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { spawn, spawnSync } from "node:child_process";

import { CLI, compileFixtures, counts, fileCounts, fileEntry, iops, makeTempDir, procStatus, runCli, runCliJson, totals, waitFor } from "./_support/util.mjs";

let dir;
let bin;

const STORAGE_WARNING =
  "strace does not see storage-level bytes (reads served from the page cache, writes reaching the disk): --method ebpf and --method ptrace report them";

/** The warning of a log whose data calls ran on fds opened before it began. */
const UNOPENED_WARNING = (n) =>
  `strace log: the access pattern of ${n} read/write call(s) that name no offset is unknown: the log does not show their fd opened (before the log began, by another process or thread, or opens not traced)`;

test.before(() => {
  dir = makeTempDir("iops-strace-live-");
  bin = compileFixtures(dir, ["writes", "threads", "sockets", "vectored", "transfer", "badreads", "eof", "forkwrite", "eintr", "loopwriter", "thread-exec"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The figures two sources must agree on (not rates, latency, socket names or storage-level bytes). */
function comparable(report) {
  return {
    summary: counts(report.summary),
    otherFds: counts(report.otherFds),
    failedOps: report.failedOps,
    metadataOps: report.metadataOps,
    files: report.files
      .filter((f) => f.kind === "file")
      .map((f) => ({ ...fileCounts(f), pattern: f.pattern, readAccess: f.readAccess, writeAccess: f.writeAccess }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    otherKinds: report.files
      .filter((f) => f.kind !== "file")
      .map(({ kind, readOps, writeOps, readBytes, writeBytes }) => ({ kind, readOps, writeOps, readBytes, writeBytes }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    syscalls: report.syscalls,
    exit: report.exit,
    histogram: report.histogram,
  };
}

function both(name, argv, extra = []) {
  const sub = path.join(dir, `work-${name}`);
  fs.mkdirSync(sub, { recursive: true });
  const args = argv(sub);
  const ours = runCliJson(["--method", "ptrace", ...extra, "--", ...args]);
  const strace = runCliJson(["--method", "strace", ...extra, "--", ...args]);
  return { ours, strace, sub };
}

const WORKLOADS = {
  writes: (d) => [bin.writes, path.join(d, "w.dat"), "300", "4096"],
  threads: (d) => [bin.threads, d, "4", "150", "512"],
  sockets: (d) => [bin.sockets, path.join(d, "s.dat"), "20", "10", "5"],
  vectored: (d) => [bin.vectored, path.join(d, "v.dat"), "50"],
  badreads: (d) => {
    fs.writeFileSync(path.join(d, "in.dat"), Buffer.alloc(1000, 1));
    return [bin.badreads, d, path.join(d, "in.dat"), "3", "2", "4", "5"];
  },
  eof: (d) => {
    fs.writeFileSync(path.join(d, "in.dat"), Buffer.alloc(100_000, 2));
    return [bin.eof, path.join(d, "in.dat"), "4096"];
  },
  transfer: (d) => {
    fs.writeFileSync(path.join(d, "src.dat"), Buffer.alloc(50_000, 3));
    return [bin.transfer, path.join(d, "src.dat"), path.join(d, "dst.dat"), "8192"];
  },
  forkwrite: (d) => [bin.forkwrite, d, "40", "30", "20", "256"],
};

for (const [name, argv] of Object.entries(WORKLOADS)) {
  test.serial(`${name}: --method strace and our tracer agree exactly`, (t) => {
    const { ours, strace } = both(name, argv);
    t.is(ours.status, 0, ours.stderr);
    t.is(strace.status, 0, strace.stderr);
    t.is(ours.report.method, "ptrace");
    t.is(strace.report.method, "strace");
    t.deepEqual(comparable(strace.report), comparable(ours.report));
    t.true(strace.report.latency.write !== null || strace.report.latency.read !== null, "strace -T gives latency");
    t.true(strace.report.elapsedSeconds > 0);
    t.deepEqual(strace.report.warnings, [STORAGE_WARNING]);
    t.is(strace.report.storage, null);
  });
}

test.serial("ground truth through strace: 300 writes of 4096 bytes, exactly, on the right file", (t) => {
  const { strace, sub } = both("truth", WORKLOADS.writes);
  const p = path.join(sub, "w.dat");
  t.deepEqual(counts(strace.report.summary), totals(0, 0, 300, 300 * 4096));
  t.deepEqual(fileEntry(strace.report, p), { path: p, kind: "file", readOps: 0, writeOps: 300, readBytes: 0, writeBytes: 300 * 4096 });
  t.deepEqual(strace.report.command, WORKLOADS.writes(sub));
  t.true(strace.report.pid > 0);
});

test.serial("EINTR: reads interrupted without SA_RESTART are failures, exactly as the program counted them, as with our tracer", (t) => {
  const result = path.join(dir, "eintr-strace.txt");
  const r = runCliJson(["--method", "strace", "--all-fds", "--", bin.eintr, "norestart", "100", result]);
  t.is(r.status, 0, r.stderr);
  const [got, eintr] = readFileSync(result, "utf8").trim().split(" ").map(Number);
  t.is(got, 100);
  t.true(eintr > 0, "the timer did interrupt reads");
  t.deepEqual(r.report.failedOps.byErrno, { EINTR: eintr });
  t.is(r.report.files.find((f) => f.kind === "pipe" && f.readOps > 0).readOps, 100);
});

test.serial("exit status passes through; the command's stdout and stderr are its own", (t) => {
  const a = runCli(["--method", "strace", "--", "/bin/sh", "-c", "echo out; echo err >&2; exit 7"]);
  t.is(a.status, 7);
  t.is(a.stdout, "out\n");
  t.regex(a.stderr, /^err\n/);
  t.notRegex(a.stderr, /execve|\+\+\+/);
  const b = runCliJson(["--method", "strace", "--", "/bin/sh", "-c", "kill -TERM $$"]);
  t.is(b.status, 128 + 15);
  t.deepEqual(b.report.exit, { code: null, signal: "SIGTERM", signalNumber: 15 });
});

test("without strace installed: one line that says how to install it; a missing command: 127", (t) => {
  const r = runCli(["--method", "strace", "--", bin.writes, path.join(dir, "x.dat"), "1", "1"], {
    env: { ...process.env, PATH: "/nonexistent" },
  });
  t.is(r.status, 2, "a --method that cannot run here: exit 2, as --help and the README say");
  t.regex(r.stderr, /^iops: strace is not installed: install it \(Debian\/Ubuntu: apt-get install strace;[^\n]*\n$/);
  const m = runCli(["--method", "strace", "--", "no-such-command-here"]);
  t.is(m.status, 127);
  t.regex(m.stderr, /command not found: no-such-command-here/);
});

test.serial("without strace installed, every way of asking for it is refused as a method that cannot run here: -- cmd and -p exit 2, profile() rejects with ENOTSUP; nothing runs", async (t) => {
  const marker = path.join(dir, "no-strace-marker");
  const env = { ...process.env, PATH: "/nonexistent" };
  const launch = runCli(["--method", "strace", "--", "/bin/sh", "-c", `echo ran > ${marker}`], { env });
  t.is(launch.status, 2, launch.stderr);
  t.false(fs.existsSync(marker), "the command did not run");
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  t.teardown(() => sleeper.kill("SIGKILL"));
  const attach = runCli(["--method", "strace", "-p", String(sleeper.pid), "--duration", "1"], { env });
  t.is(attach.status, 2, attach.stderr);
  t.regex(attach.stderr, /^iops: [^\n]*strace is not installed[^\n]*\n$/);
  // profile() in this process: PATH is read when strace is looked for.
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    const e = await t.throwsAsync(async () => iops.profile(() => {}, { method: "strace" }));
    t.is(e.code, "ENOTSUP", e.message);
    t.regex(e.message, /strace is not installed/);
  } finally {
    process.env.PATH = saved;
  }
});

test.serial("strace refused by the kernel (nobody attaching to root's process): a method that cannot run here, exit 2, as --method ptrace and ebpf; the process runs on untraced", (t) => {
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  t.teardown(() => sleeper.kill("SIGKILL"));
  for (const method of ["ebpf", "ptrace", "strace"]) {
    const r = spawnSync(process.execPath, [CLI, "--no-progress", "--method", method, "-p", String(sleeper.pid), "--duration", "1"], {
      uid: 65534,
      gid: 65534,
      cwd: "/",
      encoding: "utf8",
      timeout: 60_000,
    });
    t.is(r.status, 2, `${method}: ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`^iops: --method ${method}: `, "m"), r.stderr);
    t.is(procStatus(sleeper.pid).TracerPid, "0");
  }
});

test.serial("TMPDIR that cannot be used (missing, a file): --method strace and profile({ method: 'strace' }) fall back to /tmp and run, exactly", async (t) => {
  const file = path.join(dir, "not-a-dir");
  fs.writeFileSync(file, "x");
  for (const tmp of ["/nonexistent-iops-tmpdir", file]) {
    const out = path.join(dir, "tmpdir-w.dat");
    const r = runCliJson(["--method", "strace", "--", bin.writes, out, "9", "100"], { env: { ...process.env, TMPDIR: tmp } });
    t.is(r.status, 0, `TMPDIR=${tmp}: ${r.stderr}`);
    t.deepEqual(fileEntry(r.report, out), { path: out, kind: "file", readOps: 0, writeOps: 9, readBytes: 0, writeBytes: 900 });
    t.notRegex(r.stderr, /mkdtemp|ENOENT|ENOTDIR/);
  }
  // profile() in this process: its relay's directory too (os.tmpdir() reads TMPDIR when called).
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = "/nonexistent-iops-tmpdir";
  try {
    const out = path.join(dir, "tmpdir-profiled.dat");
    const fd = fs.openSync(out, "w");
    const report = await iops.profile(() => {
      for (let i = 0; i < 6; i++) fs.writeSync(fd, Buffer.alloc(40, i));
    }, { method: "strace" });
    fs.closeSync(fd);
    t.like(fileEntry(report, out), { writeOps: 6, writeBytes: 240 });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});

test.serial("an exec by a thread other than the leader (strace: `<pid changed to N ...>`): the calls before and after it, exactly, and nothing 'not understood'", (t) => {
  const sub = path.join(dir, "thread-exec-work");
  fs.mkdirSync(sub, { recursive: true });
  const [a, b] = [path.join(sub, "a.dat"), path.join(sub, "b.dat")];
  // thread-exec.c: 3 + 4 writes of 10 B to a (main thread, then the other), exec, 5 writes of 10 B to b, exit 5.
  for (const method of ["strace", "ptrace"]) {
    const r = runCliJson(["--method", method, "--", bin["thread-exec"], a, b]);
    t.is(r.status, 5, `${method}: ${r.stderr}`);
    t.like(fileEntry(r.report, a), { writeOps: 7, writeBytes: 70 }, method);
    t.like(fileEntry(r.report, b), { writeOps: 5, writeBytes: 50 }, method);
    t.deepEqual(counts(r.report.summary), totals(0, 0, 12, 120), method);
    t.is(r.report.exit.code, 5, method);
    t.false(r.report.warnings.some((w) => /not understood|never returned/.test(w)), `${method}: ${r.report.warnings.join("\n")}`);
  }
});

test.serial("--method strace, a command execve refuses: execve's error said as a shell (126, 127 for a missing interpreter), no report", (t) => {
  const directory = path.join(dir, "a-directory");
  fs.mkdirSync(directory, { recursive: true });
  const notExecutable = path.join(dir, "not-executable.sh");
  fs.writeFileSync(notExecutable, "#!/bin/sh\necho hello\n", { mode: 0o644 });
  fs.chmodSync(notExecutable, 0o644);
  const badInterpreter = path.join(dir, "bad-interpreter.sh");
  fs.writeFileSync(badInterpreter, "#!/nonexistent/interpreter\n", { mode: 0o755 });
  for (const [target, status, said] of [
    [directory, 126, "Is a directory"],
    [notExecutable, 126, "Permission denied (EACCES)"],
    // A file without #! is no longer refused: it runs under /bin/sh, as execvp runs it (launch-guarantees.spec, F11).
    [badInterpreter, 127, "No such file or directory (ENOENT): its interpreter or loader is missing"],
  ]) {
    const r = runCli(["--method", "strace", "--json", "-", "--", target]);
    t.is(r.status, status, `${target}: ${r.stderr}`);
    t.true(r.stderr.endsWith(`iops: cannot execute ${target}: ${said}\n`), r.stderr);
    t.is(r.stdout, "", `${target}: no report, not even an all-zero one`);
  }
  const missing = path.join(dir, "no-such-program");
  const m = runCli(["--method", "strace", "--", missing]);
  t.is(m.status, 127);
  t.is(m.stderr, `iops: ${missing}: No such file or directory\n`);
});

test("the command's failed execve is found whatever the pid's width: strace pads a pid below 10000 with a second space", (t) => {
  const { failedExec } = createRequire(import.meta.url)("../dist/sources/strace.js");
  // Lines as strace 6.1 wrote them for a directory as the command (pids 8701 and 24217).
  for (const line of [
    '8701  1795990039.505815 execve("/tmp/d", [...], 0x7fff4c9d5c10 /* 35 vars */) = -1 EACCES (Permission denied) <0.000012>',
    '24217 1795990039.505815 execve("/tmp/d", [...], 0x7fff4c9d5c10 /* 35 vars */) = -1 EACCES (Permission denied) <0.000012>',
    '87    execve("/tmp/d", [...], 0x7fff4c9d5c10 /* 35 vars */) = -1 EACCES (Permission denied)',
  ]) {
    t.deepEqual([...(failedExec(`${line}\n`) ?? [])].slice(1), ["EACCES", "Permission denied"], line);
  }
});

test.serial("attach (-p with --method strace) to a process that makes no traced call in the window: a zero report, exit 0, the process runs on", async (t) => {
  const idle = spawn("sleep", ["60"], { stdio: "ignore" });
  t.teardown(() => idle.kill("SIGKILL"));
  await waitFor(() => /^Name:\s*sleep$/m.test(fs.readFileSync(`/proc/${idle.pid}/status`, "utf8")), "sleep to exec");
  const r = runCliJson(["--method", "strace", "-p", String(idle.pid), "--duration", "1"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.report.method, "strace");
  t.is(r.report.pid, idle.pid);
  t.true(r.report.elapsedSeconds >= 0.9, `elapsedSeconds ${r.report.elapsedSeconds}`);
  t.deepEqual(r.report.summary, { ...totals(0, 0, 0, 0), iops: 0, throughputBytesPerSecond: 0 });
  t.deepEqual(r.report.files, []);
  t.false(r.report.warnings.some((w) => /no timestamps|no call durations/.test(w)), r.report.warnings.join(" | "));
  const status = fs.readFileSync(`/proc/${idle.pid}/status`, "utf8");
  t.regex(status, /^TracerPid:\s*0$/m);
  t.regex(status, /^State:\s*S/m);
  // strace that never traced still fails in one line.
  const gone = runCli(["--method", "strace", "-p", "999999999", "--duration", "1"]);
  t.is(gone.status, 1);
  t.regex(gone.stderr, /iops: /);
});

test.serial("attach (-p with --method strace): counts the window's writes, detaches, and the process runs on", async (t) => {
  const out = path.join(dir, "attached.dat");
  const child = spawn(bin.loopwriter, [out, "0", "100", "500"], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  try {
    await waitFor(() => /progress/.test(stdout), "the writer's first records");
    const r = runCliJson(["--method", "strace", "-p", String(child.pid), "--duration", "1"]);
    t.is(r.status, 0, r.stderr);
    t.is(r.report.method, "strace");
    t.is(r.report.pid, child.pid);
    t.is(r.report.exit, null);
    const w = fileEntry(r.report, out);
    t.true(w.writeOps > 10, `${w.writeOps} writes in a second`);
    t.is(w.writeBytes, w.writeOps * 100);
    // A call strace caught mid-way as it attached is counted, with its fd unknown, and said;
    // the file was opened before strace attached: where its writes land is unknown, and said.
    t.deepEqual(r.report.warnings.filter((w) => !/begun before the log starts/.test(w)), [UNOPENED_WARNING(w.writeOps), STORAGE_WARNING]);
    t.is(r.report.files.find((f) => f.path === out).writeAccess.unknownOps, w.writeOps);
    t.notRegex(r.stderr, /strace: Process/);
    const seen = stdout.length;
    await waitFor(() => stdout.length > seen, "more records after the detach");
    t.is(child.exitCode, null, "still running");
  } finally {
    child.kill("SIGKILL");
  }
});

test.serial("profile(fn, { method: 'strace' }): exactly the window's calls, as profile() with our tracer counts them", async (t) => {
  const p = path.join(dir, "profiled.dat");
  const fd = fs.openSync(p, "w");
  const work = async () => {
    for (let i = 0; i < 50; i++) fs.writeSync(fd, Buffer.alloc(300, i));
    await fs.promises.writeFile(`${p}.async`, Buffer.alloc(5000, 1)); // libuv's thread pool
    return (await fs.promises.readFile(`${p}.async`)).length;
  };
  fs.writeSync(fd, Buffer.alloc(7)); // before the window: not counted
  const viaStrace = await iops.profile(work, { method: "strace" });
  fs.writeSync(fd, Buffer.alloc(7)); // after: not counted
  const viaPtrace = await iops.profile(work, { method: "ptrace" });
  fs.closeSync(fd);
  t.is(viaStrace.method, "strace");
  t.is(viaStrace.pid, process.pid);
  t.deepEqual(fileEntry(viaStrace, p), { path: p, kind: "file", readOps: 0, writeOps: 50, readBytes: 0, writeBytes: 15_000 });
  for (const f of [p, `${p}.async`]) t.deepEqual(fileEntry(viaStrace, f), fileEntry(viaPtrace, f), f);
  t.true(viaStrace.elapsedSeconds > 0);
  // `fd` was opened before the window: its writes' offsets are unknown (libuv's threads add theirs).
  t.is(viaStrace.files.find((f) => f.path === p).writeAccess.unknownOps, 50);
  t.is(viaStrace.warnings.length, 2);
  t.regex(viaStrace.warnings[0], /^strace log: the access pattern of \d+ read\/write call\(s\) that name no offset is unknown: the log does not show their fd opened/);
  t.is(viaStrace.warnings[1], STORAGE_WARNING);
});
