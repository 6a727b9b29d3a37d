/**
 * What is the eBPF source's own (its exactness against the ground-truth
 * workloads is exactness.spec.mjs, run once per source): it is the default
 * where permitted and ptrace is, with one line and a warning code, where it
 * is not (capsh drops the capabilities); one asked for that cannot run is a
 * one-line error, exit 2; nothing of ours stays loaded in the kernel after
 * any exit of iops; a ring buffer too small for a burst says how many
 * records it lost; fds it cannot follow are counted apart, saying so; a
 * write a kill cut short is still counted.
 *
 * Skipped, saying why, only where the kernel refuses BPF (not root, no
 * tracefs) or this build has no BPF program (no clang at build time).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import {
  CLI,
  ROOT,
  binOf,
  binTotals,
  compileFixtures,
  counts,
  fileCounts,
  fileEntry,
  iops,
  makeTempDir,
  patternBuffer,
  runCli,
  runCliJson,
  shellLine,
  spawnCli,
  syscallRow,
  totals,
  waitFor,
  withoutBpfCaps,
} from "./_support/util.mjs";

const OK_EXIT = { code: 0, signal: null, signalNumber: null };

/** Why eBPF cannot run here, or null. */
function unavailable() {
  if (process.platform !== "linux") return "eBPF is Linux only";
  if (process.getuid() !== 0) return "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON) here";
  if (!fs.existsSync("/sys/kernel/tracing/events/raw_syscalls") && !fs.existsSync("/sys/kernel/debug/tracing/events/raw_syscalls")) {
    return "no tracefs with raw_syscalls events";
  }
  return null;
}
const why = unavailable();
const ebpfTest = why ? test.serial.skip : test.serial;
if (why) console.log(`ebpf.spec: skipped: ${why}`);

let dir;
let bin;

test.before(() => {
  if (why) return;
  dir = makeTempDir("iops-ebpf-");
  bin = compileFixtures(dir, ["writes", "loopwriter", "killedwrites", "scmexit", "nobpf", "sleepers", "preads", "maps"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function ebpf(args, options) {
  return runCliJson(["--method", "ebpf", ...args], options);
}

function assertCleanRun(t, report, argv) {
  t.is(report.method, "ebpf");
  t.deepEqual(report.command, argv);
  t.true(Number.isInteger(report.pid) && report.pid > 0);
  t.deepEqual(report.exit, OK_EXIT);
  t.deepEqual(report.warnings, []);
}

/** Every BPF program and link loaded in the kernel now, by id (bpftool's view). */
function loadedBpf() {
  const list = (what) => {
    const r = spawnSync("bpftool", ["-j", what, "list"], { encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`bpftool ${what} list failed (apt-get install bpftool): ${r.error?.message ?? r.stderr}`);
    return JSON.parse(r.stdout || "[]");
  };
  return { progs: list("prog").map((p) => p.id), links: list("link").map((l) => l.id) };
}

/**
 * The BPF programs and links process `pid` holds, by id, from its fds'
 * fdinfo (prog_id, link_id): exactly ours, whatever else other processes
 * (other tests, other captures) load meanwhile.
 */
function heldBy(pid) {
  const progs = new Set();
  const links = new Set();
  let fds = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return { progs: [], links: [] };
  }
  for (const fd of fds) {
    let info;
    try {
      info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
    } catch {
      continue; // closed meanwhile
    }
    const link = /^link_id:\s*(\d+)/m.exec(info);
    const prog = /^prog_id:\s*(\d+)/m.exec(info);
    if (link) links.add(Number(link[1]));
    else if (prog) progs.add(Number(prog[1]));
  }
  return { progs: [...progs], links: [...links] };
}

/** None of `held`'s programs and links is loaded any more. */
function noneLeft(held) {
  const now = loadedBpf();
  return !held.progs.some((id) => now.progs.includes(id)) && !held.links.some((id) => now.links.includes(id));
}

// An fd received over a unix socket (SCM_RIGHTS) is not followed: named
// through /proc if the child still lives when its write is read, else
// counted apart, and the report says how many. Whether any is missed
// depends on timing; the figures must agree either way.
ebpfTest("fds received by SCM_RIGHTS in children that exit at once: every write counted, the unnamed ones in an fds-unnamed warning with their number", (t) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "scm-"));
  const out = path.join(sub, "scm.dat");
  const { status, report, stderr } = ebpf(["--", bin.scmexit, out, String(K), String(S)]);
  t.is(status, 0, stderr);
  t.is(report.summary.writeOps + report.otherFds.writeOps, K);
  const named = report.files.find((f) => f.path === out)?.writeOps ?? 0;
  const unnamed = report.files.find((f) => f.path === "(closed before it could be resolved)")?.writeOps ?? 0;
  t.is(named + unnamed, K);
  t.is(report.otherFds.writeOps, unnamed);
  const warned = report.warnings.filter((w) => w.includes("neither the records nor /proc could name"));
  t.deepEqual(warned.map((w) => Number(w.split(" ")[0])), unnamed > 0 ? [unnamed] : []);
  if (unnamed > 0) t.true(report.warningCodes.includes("fds-unnamed"));
  t.log(`${unnamed} of ${K} writes unnamed in this run`);
});

for (const how of ["exit", "exec"]) {
  ebpfTest(`writers killed by another thread's ${how}: every completed write counted, none as a failure the program never saw`, (t) => {
    for (let run = 1; run <= 3; run++) {
      const out = path.join(dir, `killed-${how}-${run}.dat`);
      const { status, stderr, report } = ebpf(["--", bin.killedwrites, out, "4", "100", how]);
      t.is(status, 0, `run ${run}: ${stderr}`);
      const size = fs.statSync(out).size;
      t.true(size > 0, `run ${run}: the writers wrote`);
      // The kernel's sys_exit fires for a write a kill cut short too: exact, where ptrace may miss one.
      t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: size, readBytes: 0, writeBytes: size }, `run ${run}`);
      t.is(report.failedOps.total, 0, `run ${run}: a write the kill interrupted (EINTR, never returned to the program) is not a failure`);
    }
  });
}

ebpfTest("a ring buffer too small for a burst: the report says how many records were lost", (t) => {
  const N = 20_000;
  const out = path.join(dir, "lost.dat");
  const argv = [bin.writes, out, String(N), "16"];
  // 4 KiB (the smallest ring) holds 46 records; the reader drains every 10 ms.
  const { status, report, stderr } = ebpf(["--", ...argv], { env: { ...process.env, IOPS_EBPF_RING_BYTES: "4096" } });
  t.is(status, 0, stderr);
  const lost = report.warnings.filter((_, i) => report.warningCodes[i] === "events-lost");
  t.is(lost.length, 1, JSON.stringify(report.warnings));
  const n = Number(/full (\d+) times/.exec(lost[0])?.[1]);
  t.true(n > 0, lost[0]);
  // Every write was either counted or reported lost: none silently missing.
  t.true(report.summary.writeOps + n >= N, `${report.summary.writeOps} counted + ${n} lost < ${N}`);
  t.true(report.summary.writeOps < N);
});

ebpfTest("attach (-p) to a running writer, then its end: it runs on untouched, nothing of ours stays loaded", async (t) => {
  const out = path.join(dir, "attach.dat");
  const { spawn } = await import("node:child_process");
  const child = spawn(bin.loopwriter, [out, "0", "100", "2000"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 0, "the writer to start");
    const cli = spawnCli(["--method", "ebpf", "--json", "-", "-p", String(child.pid), "--duration", "1"]);
    const held = await waitFor(() => {
      const h = heldBy(cli.child.pid);
      return h.progs.length === 5 && h.links.length >= 4 && h;
    }, "the five programs to be loaded and attached");
    const r = await cli.done;
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.is(report.method, "ebpf");
    t.is(report.pid, child.pid);
    t.true(report.summary.writeOps > 0);
    t.is(report.summary.writeBytes, report.summary.writeOps * 100);
    t.deepEqual(report.files.filter((f) => f.kind === "file").map((f) => f.path), [out]);
    // Raw tracepoints are released after an RCU grace period: soon, not at once.
    await waitFor(() => noneLeft(held), "nothing of ours to stay loaded", 10_000);
    t.is(child.exitCode, null, "the writer runs on, untouched");
  } finally {
    child.kill("SIGKILL");
  }
});

ebpfTest("SIGKILL of iops mid-capture: nothing of ours stays loaded, the command runs on", async (t) => {
  const out = path.join(dir, "killed.dat");
  const cli = spawnCli(["--method", "ebpf", "--json", "-", "--", bin.loopwriter, out, "300", "10", "10000"]);
  const held = await waitFor(() => {
    const h = heldBy(cli.child.pid);
    return h.progs.length === 5 && h.links.length >= 4 && h;
  }, "the five programs to be loaded and attached");
  // Killed once the command runs (killed before, it never execs: it would have no tracer to release it).
  await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 0, "the command to run");
  cli.child.kill("SIGKILL");
  await cli.done;
  await waitFor(() => noneLeft(held), "the kernel to drop the programs and links", 10_000);
  t.true(noneLeft(held));
  // The command was never stopped: it finishes its 300 writes.
  await waitFor(() => fs.existsSync(out) && fs.statSync(out).size === 300 * 10, "the command to finish on its own", 30_000);
});

const sh = shellLine;

ebpfTest("no --method where eBPF is permitted: eBPF measures, exactly, and no line says otherwise", (t) => {
  const [N, S] = [200, 512];
  const out = path.join(dir, "default.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.false(stderr.includes("iops: ptrace:"), stderr);
});

ebpfTest("no --method without CAP_BPF and CAP_PERFMON: ptrace measures the same figures, and one line (code default-source-unavailable) says why and how to get eBPF", (t) => {
  const [N, S] = [200, 512];
  const out = path.join(dir, "fallback.dat");
  const json = path.join(dir, "fallback.json");
  const r = withoutBpfCaps(sh([process.execPath, CLI, "--json", json, "--", bin.writes, out, N, S]));
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, "ptrace");
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  // Without CAP_SYS_ADMIN root cannot install ptrace's seccomp filter either: said apart (launch-guarantees.spec.mjs).
  t.deepEqual(report.warningCodes, ["default-source-unavailable", "seccomp-filter-refused"]);
  t.regex(report.warnings[0], /^ptrace: eBPF, which never stops the program, needs CAP_BPF and CAP_PERFMON: run as root, or `sudo setcap cap_bpf,cap_perfmon\+ep/);
  const lines = r.stderr.split("\n").filter((l) => l.includes("CAP_BPF"));
  t.deepEqual(lines, [`iops: ${report.warnings[0]}`], "said once, on a line of its own");
});

ebpfTest("--method ebpf without CAP_BPF and CAP_PERFMON: a one-line error, exit 2, the command never runs", (t) => {
  const out = path.join(dir, "refused.dat");
  const r = withoutBpfCaps(sh([process.execPath, CLI, "--method", "ebpf", "--", bin.writes, out, 10, 10]));
  t.is(r.status, 2, r.stderr);
  t.deepEqual(r.stderr.trim().split("\n"), ["iops: --method ebpf: eBPF, which never stops the program, needs CAP_BPF and CAP_PERFMON: run as root, or `sudo setcap cap_bpf,cap_perfmon+ep \"$(command -v node)\"`"]);
  t.false(fs.existsSync(out), "the command did not run");
  const p = withoutBpfCaps(sh([process.execPath, CLI, "--method", "ebpf", "-p", process.pid, "--duration", 1]));
  t.is(p.status, 2, p.stderr);
  t.regex(p.stderr, /^iops: --method ebpf: eBPF, which never stops the program, needs CAP_BPF/);
});

ebpfTest("profile() and traceCommand() without CAP_BPF and CAP_PERFMON: ptrace by default with the warning; method 'ebpf' rejects with ENOTSUP", (t) => {
  const script = `
    const iops = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    const fs = require("node:fs");
    (async () => {
      const p = ${JSON.stringify(path.join(dir, "profile-fallback.dat"))};
      const r = await iops.profile(() => fs.writeFileSync(p, Buffer.alloc(1000)));
      const c = await iops.traceCommand(["true"]).report;
      let refused = null;
      try { await iops.profile(() => {}, { method: "ebpf" }); } catch (e) { refused = e.code; }
      let refusedLaunch = null;
      try { iops.traceCommand(["true"], { method: "ebpf" }); } catch (e) { refusedLaunch = e.code; }
      console.log(JSON.stringify({ method: r.method, codes: r.warningCodes, writes: r.summary.writeBytes, cmethod: c.method, ccodes: c.warningCodes, refused, refusedLaunch }));
    })();`;
  const r = withoutBpfCaps(sh([process.execPath, "-e", script]));
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), {
    method: "ptrace",
    // An attach installs no seccomp filter: only the launch says it was refused.
    codes: ["default-source-unavailable"],
    writes: 1000,
    cmethod: "ptrace",
    ccodes: ["default-source-unavailable", "seccomp-filter-refused"],
    refused: "ENOTSUP",
    refusedLaunch: "ENOTSUP",
  });
});

ebpfTest("the kernel refuses the eBPF program as it loads (bpf() denied by a seccomp profile, the capabilities there): ptrace measures instead, saying why; asked for, a one-line error, exit 2", (t) => {
  const [N, S] = [100, 64];
  const out = path.join(dir, "load-refused.dat");
  const json = path.join(dir, "load-refused.json");
  const argv = [bin.writes, out, String(N), String(S)];
  const r = spawnSync(bin.nobpf, [process.execPath, CLI, "--json", json, "--", ...argv], { encoding: "utf8", timeout: 120_000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, "ptrace");
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(report.warningCodes, ["default-source-unavailable"]);
  t.regex(report.warnings[0], /^ptrace: the kernel refused the eBPF program \([^\n]*Operation not permitted[^\n]*\): it needs root, or CAP_BPF and CAP_PERFMON, and no security policy forbidding bpf\(\)/);
  t.is(r.stderr.split("\n").filter((l) => l.includes("refused the eBPF program")).length, 1, "said once");
  fs.rmSync(out);
  const asked = spawnSync(bin.nobpf, [process.execPath, CLI, "--method", "ebpf", "--", ...argv], { encoding: "utf8", timeout: 120_000 });
  t.is(asked.status, 2, asked.stderr);
  t.regex(asked.stderr, /^iops: the kernel refused the eBPF program \([^\n]*\): [^\n]*\n$/);
  t.false(fs.existsSync(out), "the command did not run");
});

ebpfTest("attach (-p) to a writer that exits during the capture: its writes counted, exit null and a warning that its status is unknown, never a guessed one", async (t) => {
  const out = path.join(dir, "attach-exits.dat");
  const { spawn } = await import("node:child_process");
  // 2,000 writes of 10 bytes at 1,000 a second: it ends about 2 s in.
  const child = spawn(bin.loopwriter, [out, "2000", "10", "1000"], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 0, "the writer to start");
    const r = await spawnCli(["--method", "ebpf", "--json", "-", "-p", String(child.pid), "--duration", "60"]).done;
    t.is(r.status, 0, r.stderr);
    t.is(await exited, 0, "the writer finished on its own");
    const report = JSON.parse(r.stdout);
    t.is(report.method, "ebpf");
    t.is(report.exit, null);
    t.deepEqual(report.warningCodes, ["exited-before-end"]);
    t.is(report.warnings[0], "the traced process exited before the capture ended (its exit status is not known to the eBPF source)");
    t.true(report.summary.writeOps > 0 && report.summary.writeOps <= 2000, `${report.summary.writeOps} writes`);
    t.is(report.summary.writeBytes, report.summary.writeOps * 10);
    t.deepEqual(report.files.filter((f) => f.kind === "file").map((f) => f.path), [out]);
  } finally {
    child.kill("SIGKILL");
  }
});

ebpfTest("a traced set too small for the tasks forked (IOPS_EBPF_MAX_TRACED=4): the children it could not take are said, by number, with a code; those it took are counted exactly", (t) => {
  const [N, MAX, S] = [10, 4, 100];
  const sub = fs.mkdtempSync(path.join(dir, "sleepers-"));
  // All 10 children live at once (each sleeps 500 ms before its one write): the set holds the parent and 3 of them.
  const { status, report, stderr } = ebpf(["--", bin.sleepers, sub, String(N), "500", String(S)], { env: { ...process.env, IOPS_EBPF_MAX_TRACED: String(MAX) } });
  t.is(status, 0, stderr);
  t.deepEqual(report.exit, OK_EXIT, "the program ran to its end");
  t.is(fs.readdirSync(sub).length, N, "every child wrote its file");
  const traced = MAX - 1;
  t.deepEqual(report.warningCodes, ["traced-set-full"]);
  t.is(
    report.warnings[0],
    `the kernel's set of traced tasks was full (${MAX} entries): ${N - traced} threads or processes forked during the capture were not traced, and their calls are missing from every figure, which are lower bounds`,
  );
  t.deepEqual(counts(report.summary), totals(0, 0, traced, traced * S));
  t.is(report.files.length, traced);
  for (const f of report.files) t.deepEqual([path.dirname(f.path), f.writeOps, f.writeBytes], [sub, 1, S]);
});

ebpfTest("the same children with the traced set at its size: all traced, no warning", (t) => {
  const [N, S] = [10, 100];
  const sub = fs.mkdtempSync(path.join(dir, "sleepers-all-"));
  const { status, report, stderr } = ebpf(["--", bin.sleepers, sub, String(N), "100", String(S)]);
  t.is(status, 0, stderr);
  t.deepEqual(report.warnings, []);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.is(report.files.length, N);
});

ebpfTest("--share-cpu where eBPF is the default: the program keeps its CPUs, the report (code share-cpu-ignored) and the terminal say it was ignored; with --method ebpf a one-line usage error, exit 2, the command never runs", async (t) => {
  const untraced = spawnSync("nproc", { encoding: "utf8" });
  t.is(untraced.status, 0, untraced.stderr);
  const json = path.join(dir, "share-cpu.json");
  const r = runCli(["--share-cpu", "--json", json, "--", "nproc"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, untraced.stdout, "nproc sees the CPUs it sees untraced");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, "ebpf");
  t.deepEqual(report.warningCodes, ["share-cpu-ignored"]);
  t.regex(report.warnings[0], /^--share-cpu was ignored: the eBPF source never stops the program/);
  t.true(r.stderr.replace(/\s+/g, " ").includes(report.warnings[0]), r.stderr);

  // The API says it the same way.
  const [N, S] = [10, 100];
  const out = path.join(dir, "share-cpu.dat");
  const api = await iops.traceCommand([bin.writes, out, String(N), String(S)], { shareCpu: true }).report;
  t.is(api.method, "ebpf");
  t.deepEqual(api.warningCodes, ["share-cpu-ignored"]);
  t.deepEqual(counts(api.summary), totals(0, 0, N, N * S));

  // Asked for together with eBPF by name: refused before anything runs.
  const refused = path.join(dir, "share-cpu-refused.dat");
  const u = runCli(["--method", "ebpf", "--share-cpu", "--", bin.writes, refused, "10", "10"]);
  t.is(u.status, 2, u.stderr);
  t.deepEqual(u.stderr.trim().split("\n"), [
    "iops: --share-cpu goes with --method ptrace: the eBPF source never stops the program, so there is no tracer to share a CPU with",
  ]);
  t.false(fs.existsSync(refused), "the command did not run");
});

/** The names of the BPF programs of ids `ids` (bpftool's view). */
function progNames(ids) {
  return ids
    .map((id) => {
      const r = spawnSync("bpftool", ["-j", "prog", "show", "id", String(id)], { encoding: "utf8" });
      return r.status === 0 ? JSON.parse(r.stdout).name : null;
    })
    .filter((n) => n !== null)
    .sort();
}

ebpfTest("sys_enter reads each call's arguments in place (a tp_btf program) where the kernel takes it, as here; made to use the raw tracepoint (IOPS_EBPF_RAW_TP), the same exact figures and one warning (code ebpf-raw-tracepoint) saying why", async (t) => {
  // The workloads' arithmetic: 40 writes of 300 bytes; preads of 4096 at
  // offsets (the fourth argument, r10 on x86-64) 5 in sequence, 3 not;
  // file mappings (the fd is mmap's fifth argument).
  const data = path.join(dir, "typed-preads.dat");
  fs.writeFileSync(data, patternBuffer(64, 4096));
  const offsets = [0, 4096, 8192, 12288, 16384, 200000, 100000, 7];
  for (const raw of [false, true]) {
    const env = raw ? { ...process.env, IOPS_EBPF_RAW_TP: "1" } : process.env;
    const out = path.join(dir, `typed-${raw}.dat`);
    const json = path.join(dir, `typed-${raw}.json`);
    const cli = spawnCli(["--method", "ebpf", "--json", json, "--", bin.loopwriter, out, "40", "300", "20000"], { env });
    const held = await waitFor(() => {
      const h = heldBy(cli.child.pid);
      return h.progs.length === 5 && h.links.length >= 4 && h;
    }, "the five programs to be loaded and attached");
    t.deepEqual(progNames(held.progs), raw ? ["on_exec", "on_exit", "on_fork", "sys_enter", "sys_exit"] : ["on_exec", "on_exit", "on_fork", "sys_enter_typed", "sys_exit"]);
    const r = await cli.done;
    t.is(r.status, 0, r.stderr);
    const writes = JSON.parse(fs.readFileSync(json, "utf8"));
    t.deepEqual(writes.warningCodes, raw ? ["ebpf-raw-tracepoint"] : []);
    if (raw) t.regex(writes.warnings[0], /raw sys_enter tracepoint.*\(IOPS_EBPF_RAW_TP is set\); the figures are the same$/);
    t.deepEqual(counts(writes.summary), totals(0, 0, 40, 40 * 300));
    t.deepEqual(fileEntry(writes, out), { path: out, kind: "file", readOps: 0, writeOps: 40, readBytes: 0, writeBytes: 40 * 300 });

    const preads = ebpf(["--", bin.preads, data, "4096", ...offsets.map(String)], { env });
    t.is(preads.status, 0, preads.stderr);
    const bytes = 8 * 4096; // every offset has 4096 bytes after it in the 256 KiB file
    t.deepEqual(counts(preads.report.summary), totals(8, bytes, 0, 0));
    t.like(preads.report.files.find((f) => f.path === data).readAccess, { sequentialOps: 5, randomOps: 3, stridedOps: 0, unknownOps: 0 });

    const work = fs.mkdtempSync(path.join(dir, "typed-maps-"));
    const maps = ebpf(["--", bin.maps, work], { env });
    t.is(maps.status, 0, maps.stderr);
    t.deepEqual(maps.report.mappings, [
      { path: path.join(work, "shared"), kind: "file", maps: 1, bytes: 2 << 20, prot: "r", shared: true, exec: false },
      { path: path.join(work, "private"), kind: "file", maps: 2, bytes: 2 * (16 << 10), prot: "rw", shared: false, exec: false },
    ]);
    t.deepEqual(maps.report.warningCodes, raw ? ["ebpf-raw-tracepoint", "mmap-not-counted"] : ["mmap-not-counted"]);
  }
});
