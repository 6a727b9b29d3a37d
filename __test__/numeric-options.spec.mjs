/**
 * Every number a user gives iops is checked against the range it is used
 * in, never wrapped or clamped: -p above pid_max (4294967297 once became
 * pid 1), --duration past setTimeout's 2^31 ms (1e308 s once captured for
 * 1 ms), --top that is not a count; the same for tracePid()/stracePid()'s
 * pid and progressIntervalMs, and the notebook's --top.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { fileEntry, iops, makeTempDir, procStatus, runCli, spawnCli, waitFor, within, ROOT } from "./_support/util.mjs";

const pidMax = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8"));
let dir;
let log;

test.before(() => {
  dir = makeTempDir("iops-num-");
  log = path.join(dir, "small.log");
  fs.writeFileSync(log, `1234 1700000000.000001 write(3</data/out.log>, "", 16) = 16 <0.000010>\n`);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A usage error: exit 2, the option named, nothing on stdout, no stack trace. */
function assertUsage(t, args, option) {
  const r = runCli(args);
  t.is(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
  t.is(r.stdout, "", args.join(" "));
  t.true(r.stderr.includes(option), `${args.join(" ")}: ${r.stderr}`);
  t.false(/\n\s+at /.test(r.stderr), "no stack trace");
}

test.serial("-p beyond 32 bits (4294967297), 0, -1, 1.5, hex, empty: exit 2, nothing attached; above pid_max: no such process", (t) => {
  const tracerOf1 = procStatus(1).TracerPid;
  for (const pid of ["4294967297", "4294967296", "2147483648", "99999999999999999999999", "0", "-1", "1.5", "0x10", "1e3", ""]) {
    assertUsage(t, ["-p", pid], "--pid");
  }
  t.is(procStatus(1).TracerPid, tracerOf1, "pid 1 (what 4294967297 wrapped to) was not attached");
  const r = runCli(["-p", "4294967297"]);
  t.regex(r.stderr, /4294967297 is not a process id \(expected a whole number from 1 to 2147483647\)/);
  // A pid that fits but that no process can have: the attach says so (exit 1), never another process.
  for (const pid of [pidMax, 2 ** 31 - 1]) {
    const none = runCli(["-p", String(pid), "--duration", "1"]);
    t.is(none.status, 1, none.stderr);
    t.true(none.stderr.includes(`no process with pid ${pid}`), none.stderr);
  }
});

test.serial("--duration out of range (1e308, past 2^53 ms, 0, below 1 ms, negative, Infinity, NaN, words): exit 2", (t) => {
  for (const d of ["1e308", "1e17", "0", "0.0001", "-1", "Infinity", "NaN", "ten", "1s", ""]) {
    assertUsage(t, ["-p", String(process.pid), "--duration", d], "--duration");
  }
});

test.serial("--top that is not a count from 1 to 2^31-1: exit 2, for iops, iops report and iops import", (t) => {
  const saved = path.join(dir, "saved.json");
  t.is(runCli(["import", "--json", saved, log]).status, 0);
  for (const top of ["0", "-3", "2.5", "1e400", "4294967296", "many", ""]) {
    assertUsage(t, ["--top", top, "--", "/bin/true"], "--top");
    assertUsage(t, ["report", saved, "--top", top], "--top");
    assertUsage(t, ["import", "--top", top, log], "--top");
  }
  const r = runCli(["report", saved, "--top", "2147483647"]);
  t.is(r.status, 0, "the largest count is taken");
  t.true(r.stdout.includes("/data/out.log"));
});

test.serial("--duration longer than 2^31 ms (3,000,000 s) traces until the process ends, not for 1 ms", async (t) => {
  const go = path.join(dir, "go");
  const out = path.join(dir, "late.txt");
  // Writes once it is told to, after iops has attached.
  const target = spawn("/bin/sh", ["-c", `while [ ! -e ${go} ]; do sleep 0.01; done; echo abc > ${out}`], { stdio: "ignore" });
  t.teardown(() => target.kill("SIGKILL"));
  // ptrace, asked for: its attach shows in TracerPid, which says when to let the target write.
  const cli = spawnCli(["--method", "ptrace", "-p", String(target.pid), "--duration", "3000000", "--json", "-"]);
  await waitFor(() => procStatus(target.pid)?.TracerPid !== "0", "iops to attach");
  fs.writeFileSync(go, "");
  const r = await within(cli.done, 60_000, "iops -p with a long --duration");
  t.is(r.status, 0, r.stderr);
  t.like(fileEntry(JSON.parse(r.stdout), out), { writeOps: 1, writeBytes: 4 });
});

test.serial("tracePid()/stracePid() with a pid that would wrap, or not a pid: IopsError EINVAL, nothing attached", (t) => {
  const tracerOf1 = procStatus(1).TracerPid;
  for (const pid of [4294967297, 2 ** 32, 2 ** 31, 0, -1, 1.5, NaN, Infinity, "12", null]) {
    for (const f of [iops.tracePid, iops.stracePid]) {
      const e = t.throws(() => f(pid), { instanceOf: iops.IopsError }, `${f.name}(${String(pid)})`);
      t.is(e.code, "EINVAL");
      t.regex(e.message, /is not a process id/);
    }
  }
  t.is(procStatus(1).TracerPid, tracerOf1);
});

test.serial("progressIntervalMs past setInterval's range (2^31) or below 1: IopsError EINVAL before anything runs", (t) => {
  const marker = path.join(dir, "ran");
  for (const ms of [2 ** 31, 1e308, 0, -5, NaN]) {
    const e = t.throws(() => iops.traceCommand(["/bin/sh", "-c", `echo > ${marker}`], { onProgress() {}, progressIntervalMs: ms }), {
      instanceOf: iops.IopsError,
    });
    t.is(e.code, "EINVAL");
  }
  t.false(fs.existsSync(marker));
});

test.serial("the notebook's --top: a count from 1 to 2^31-1", async (t) => {
  const { parseOptions } = await import(path.join(ROOT, "dist", "tslab", "options.js"));
  for (const top of ["0", "4294967296", "99999999999999999999"]) {
    t.throws(() => parseOptions(`--top ${top} f()`), { message: new RegExp(`^--top needs a whole number of files, not "${top}"`) });
  }
  t.is(parseOptions("--top 2147483647 f()").options.top, 2147483647);
});
