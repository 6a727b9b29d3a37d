/**
 * The eBPF source (`--method ebpf`) against the same ground truth as the
 * ptrace source (launch.spec.mjs, profile.spec.mjs): the static C workloads
 * make an exact, self-checked sequence of calls, and the expected figures
 * below are that arithmetic, the same numbers the ptrace tests assert. Also:
 * nothing of ours stays loaded in the kernel after any exit of iops, and a
 * ring buffer too small for a burst says how many records it lost.
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
  spawnCli,
  syscallRow,
  totals,
  waitFor,
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
  bin = compileFixtures(dir, ["writes", "preads", "threads", "forkwrite", "vectored", "sockets", "badreads", "eof", "transfer", "loopwriter", "eintr", "smallfiles", "churn", "zombie_leader", "int80", "killedwrites", "dupexec", "openexit", "memfdexit", "scmexit"]);
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

/** Our BPF programs and links loaded in the kernel now (bpftool's view). */
function ourBpf() {
  const list = (what) => {
    const r = spawnSync("bpftool", ["-j", what, "list"], { encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`bpftool ${what} list failed (apt-get install bpftool): ${r.error?.message ?? r.stderr}`);
    return JSON.parse(r.stdout || "[]");
  };
  const names = new Set(["sys_enter", "sys_exit", "on_fork", "on_exec", "on_exit"]);
  const progs = list("prog").filter((p) => names.has(p.name));
  const ids = new Set(progs.map((p) => p.id));
  const links = list("link").filter((l) => ids.has(l.prog_id));
  return { progs: progs.map((p) => p.id), links: links.map((l) => l.id) };
}

/** No program or link of ours is loaded now that was not before (`before` may lose some meanwhile). */
function noneNewSince(before) {
  const now = ourBpf();
  return now.progs.every((id) => before.progs.includes(id)) && now.links.every((id) => before.links.includes(id));
}

ebpfTest("N writes of S bytes: exact counts, bytes, file, syscalls, histogram, latency, timeline", (t) => {
  const N = 500;
  const S = 4096;
  const out = path.join(dir, "writes.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.deepEqual(report.failedOps, { total: 0, byErrno: {} });
  t.deepEqual(report.files.map(fileCounts), [{ path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S }]);
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: N, bytes: N * S, failed: 0 });
  t.is(report.metadataOps.opens, 1, "the workload's one open, not our launcher's calls before its exec");
  t.is(report.metadataOps.closes, 1);
  t.like(binOf(report.histogram.write, S), { count: N, sum: N * S });
  t.is(report.latency.write.count, N);
  t.true(report.latency.write.p50Ns > 0 && report.latency.write.p50Ns <= report.latency.write.maxNs);
  const tl = report.timeline.points.reduce((a, p) => ({ w: a.w + p.writeOps, b: a.b + p.writeBytes }), { w: 0, b: 0 });
  t.deepEqual(tl, { w: N, b: N * S });
  t.is(report.files[0].writeAccess.pattern, "sequential");
  t.true(fs.readFileSync(out).equals(patternBuffer(N, S)));
});

ebpfTest("traceCommand(argv, { method: 'ebpf' }): the same exact figures through the API", async (t) => {
  const N = 333;
  const S = 1000;
  const out = path.join(dir, "writes-api.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const report = await iops.traceCommand(argv, { method: "ebpf" }).report;
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  t.throws(() => iops.traceCommand(argv, { method: "bpf" }), { code: "EINVAL" });
});

ebpfTest("preads at given offsets: exact operations and returned bytes", (t) => {
  const records = 64;
  const data = path.join(dir, "preads.dat");
  fs.writeFileSync(data, patternBuffer(records, 4096));
  const size = records * 4096;
  const offsets = [0, 10 * 4096, 12345, 4096 * 30, size - 1000, size + 5000];
  const returned = offsets.map((o) => Math.max(0, Math.min(4096, size - o)));
  const bytes = returned.reduce((a, b) => a + b, 0);
  const argv = [bin.preads, data, "4096", ...offsets.map(String)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(offsets.length, bytes, 0, 0));
  t.deepEqual(fileEntry(report, data), { path: data, kind: "file", readOps: offsets.length, writeOps: 0, readBytes: bytes, writeBytes: 0 });
  t.deepEqual(syscallRow(report, "pread64"), { name: "pread64", calls: offsets.length, bytes, failed: 0 });
  t.like(binOf(report.histogram.read, 0), { count: 1, sum: 0 });
  t.like(binOf(report.histogram.read, 1000), { count: 1, sum: 1000 });
  t.like(binOf(report.histogram.read, 4096), { count: 4, sum: 4 * 4096 });
  t.true(report.metadataOps.stats >= 1);
});

ebpfTest("threads, each writing K times to its own file: exact totals and per-file figures", (t) => {
  const T = 4;
  const K = 250;
  const S = 1024;
  const sub = fs.mkdtempSync(path.join(dir, "threads-"));
  const argv = [bin.threads, sub, String(T), String(K), String(S)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, T * K, T * K * S));
  t.is(report.files.length, T);
  for (let i = 0; i < T; i++) {
    const p = path.join(sub, `thread-${i}.dat`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S }, p);
  }
});

ebpfTest("a child and a grandchild process: exact totals and per-process files", (t) => {
  const [P, C, G, S] = [30, 40, 50, 512];
  const sub = fs.mkdtempSync(path.join(dir, "fork-"));
  const argv = [bin.forkwrite, sub, String(P), String(C), String(G), String(S)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, P + C + G, (P + C + G) * S));
  for (const [name, n] of [["parent.dat", P], ["child.dat", C], ["grandchild.dat", G]]) {
    const p = path.join(sub, name);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: n, readBytes: 0, writeBytes: n * S }, name);
  }
  t.is(report.files.length, 3);
});

// What `tar czf` does to hand its archive to gzip: by the time the records
// are read, the exec'd writer has exited and /proc has nothing to say about
// its fd 1; the fd's file must come from the records (the open, the fork's
// copy of the table, the dup, the exec keeping it), as ptrace counts it.
for (const how of ["dup", "dup2", "dup3", "fcntl", "cloexec"]) {
  ebpfTest(`creat, fork, ${how} onto fd 1, exec, write N bytes and exit: all N on the file, as ptrace counts`, (t) => {
    const N = 12_345; // 13 writes: 12 of 1,000 bytes and one of 345
    const sub = fs.mkdtempSync(path.join(dir, "dupexec-"));
    const out = path.join(sub, "archive.dat");
    const argv = [bin.dupexec, out, String(N), how];
    const expected = { path: out, kind: "file", readOps: 0, writeOps: 13, readBytes: 0, writeBytes: N };
    for (const method of ["ebpf", "ptrace"]) {
      const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
      t.is(status, 0, stderr);
      t.deepEqual(report.exit, OK_EXIT, method);
      t.deepEqual(report.warnings, [], method);
      t.deepEqual(report.files.map(fileCounts), [expected], method);
      t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0), method);
    }
    t.is(fs.statSync(out).size, N);
  });
}

ebpfTest("20 children each open (or creat) a file by a relative path after a chdir, write 6 bytes and exit at once: every write on its file", (t) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "openexit-"));
  const argv = [bin.openexit, sub, String(K), String(S)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, K, K * S));
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.is(report.metadataOps.opens, K);
  t.is(report.files.length, K);
  for (let i = 0; i < K; i++) {
    const p = path.join(sub, `f${i}.dat`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: S }, p);
  }
});

ebpfTest("a shell loop runs open+write+exit 20 times after a cd: all 20 writes on the one file", (t) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "openloop-"));
  const script = `cd "$1" && i=0; while [ $i -lt ${K} ]; do "$2" . 1 ${S} || exit 1; i=$((i + 1)); done`;
  const argv = ["sh", "-c", script, "sh", sub, bin.openexit];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  t.deepEqual(report.exit, OK_EXIT);
  t.deepEqual(report.warnings, []);
  const p = path.join(sub, "f0.dat");
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S });
  t.is(report.summary.writeOps, K, "no write elsewhere (the shell's loader reads libc)");
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
});

ebpfTest("stdout inherited from iops is a file: 20 processes each write 6 bytes to it and exit at once, every write on the file", (t) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "stdout-"));
  const out = path.join(sub, "stdout.dat");
  const json = path.join(sub, "report.json");
  // Opened here, never by the traced program: named from /proc at the launch, before any of it runs.
  const fd = fs.openSync(out, "w");
  const script = `i=0; while [ $i -lt ${K} ]; do "$1" --write ${S} || exit 1; i=$((i + 1)); done`;
  const r = spawnSync(process.execPath, [CLI, "--json", json, "--method", "ebpf", "--", "sh", "-c", script, "sh", bin.dupexec], {
    stdio: ["ignore", fd, "pipe"],
    encoding: "utf8",
    timeout: 120_000,
  });
  fs.closeSync(fd);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.deepEqual(report.warnings, []);
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S });
  t.is(report.summary.writeOps, K);
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.is(fs.statSync(out).size, K * S);
});

ebpfTest("20 children each write 6 bytes to a memfd and exit at once: every write on the memfd, as ptrace counts", (t) => {
  const [K, S] = [20, 6];
  const argv = [bin.memfdexit, String(K), String(S)];
  const expected = { path: "/memfd:memfdexit (deleted)", kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S };
  for (const method of ["ebpf", "ptrace"]) {
    const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
    t.is(status, 0, stderr);
    t.deepEqual(report.warnings, [], method);
    t.deepEqual(report.files.map(fileCounts), [expected], method);
  }
});

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

ebpfTest("writev and readv: one operation per call, the bytes each call returned", (t) => {
  const V = 25;
  const perCall = 100 + 1000 + 3000;
  const total = V * perCall;
  const readvCalls = 14;
  const out = path.join(dir, "vectored.dat");
  const argv = [bin.vectored, out, String(V)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(readvCalls, total, V, total));
  t.deepEqual(syscallRow(report, "writev"), { name: "writev", calls: V, bytes: total, failed: 0 });
  t.deepEqual(syscallRow(report, "readv"), { name: "readv", calls: readvCalls, bytes: total, failed: 0 });
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: readvCalls, writeOps: V, readBytes: total, writeBytes: total });
});

ebpfTest("socket and pipe I/O is kept out of the file summary and reported under otherFds", (t) => {
  const [F, Q, R] = [20, 30, 10];
  const out = path.join(dir, "sockets.dat");
  const argv = [bin.sockets, out, String(F), String(Q), String(R)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, F, F * 512));
  t.deepEqual(counts(report.otherFds), totals(Q + R, Q * 100 + R * 50, Q + R, Q * 100 + R * 50));
  const sockets = report.files.filter((f) => f.kind === "socket").map(fileCounts);
  t.deepEqual(sockets.map((s) => [s.readOps, s.writeOps]).sort(), [[0, Q], [Q, 0]]);
  const pipes = report.files.filter((f) => f.kind === "pipe").map(fileCounts);
  // "pipe:[?] (...)": the program closed it before its records were read (see docs/ebpf.md).
  t.deepEqual(pipes.map(({ path: p, ...rest }) => ({ pipe: /^pipe:\[\d+\]$|^pipe:\[\?\] \(pipe of fds \d+, \d+ of pid \d+\)$/.test(p), ...rest })), [
    { pipe: true, kind: "pipe", readOps: R, writeOps: R, readBytes: R * 50, writeBytes: R * 50 },
  ]);
});

ebpfTest("failing calls are not operations: EBADF and EISDIR counted apart, by errno", (t) => {
  const [E, D, W, G] = [3, 2, 4, 6];
  const data = path.join(dir, "badreads.dat");
  fs.writeFileSync(data, Buffer.alloc(4096, 1));
  const sub = fs.mkdtempSync(path.join(dir, "a-directory-"));
  const argv = [bin.badreads, sub, data, String(E), String(D), String(W), String(G)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(report.failedOps, { total: E + D + W, byErrno: { EBADF: E + W, EISDIR: D } });
  t.deepEqual(counts(report.summary), totals(G, G * 100, 0, 0));
  t.deepEqual(report.files.map(fileCounts), [{ path: data, kind: "file", readOps: G, writeOps: 0, readBytes: G * 100, writeBytes: 0 }]);
  t.deepEqual(syscallRow(report, "read"), { name: "read", calls: G, bytes: G * 100, failed: E + D });
});

ebpfTest("a short read at the end of the file and the final 0-byte read are operations", (t) => {
  const data = path.join(dir, "eof.dat");
  fs.writeFileSync(data, Buffer.alloc(10_000, 7));
  const argv = [bin.eof, data, "4096"];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(4, 10_000, 0, 0));
  t.like(binOf(report.histogram.read, 1808), { count: 1, sum: 1808 });
  t.like(binOf(report.histogram.read, 0), { count: 1, sum: 0 });
});

ebpfTest("sendfile and copy_file_range: a read of the source and a write of the destination per call", (t) => {
  const size = 40_000;
  const chunk = 8192;
  const src = path.join(dir, "transfer-src.dat");
  const dst = path.join(dir, "transfer-dst.dat");
  fs.writeFileSync(src, patternBuffer(10, 4000));
  const calls = 6;
  const argv = [bin.transfer, src, dst, String(chunk)];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(2 * calls, 2 * size, 2 * calls, 2 * size));
  t.deepEqual(fileEntry(report, src), { path: src, kind: "file", readOps: 2 * calls, writeOps: 0, readBytes: 2 * size, writeBytes: 0 });
  t.deepEqual(fileEntry(report, dst), { path: dst, kind: "file", readOps: 0, writeOps: calls, readBytes: 0, writeBytes: size });
  t.deepEqual(syscallRow(report, "sendfile"), { name: "sendfile", calls, bytes: size, failed: 0 });
  t.deepEqual(syscallRow(report, "copy_file_range"), { name: "copy_file_range", calls, bytes: size, failed: 0 });
});

ebpfTest("reads interrupted without SA_RESTART fail with EINTR: counted apart, exactly as the program saw them", (t) => {
  const result = path.join(dir, "norestart.txt");
  const { status, report, stderr } = ebpf(["--all-fds", "--", bin.eintr, "norestart", "100", result]);
  t.is(status, 0, stderr);
  const [got, eintr] = fs.readFileSync(result, "utf8").trim().split(" ").map(Number);
  t.is(got, 100);
  t.true(eintr > 0, "the timer interrupted some reads");
  const pipe = report.files.find((f) => f.kind === "pipe" && f.readOps > 0);
  t.is(pipe.readOps, 100);
  t.deepEqual(report.failedOps, { total: eintr, byErrno: { EINTR: eintr } });
  t.is(syscallRow(report, "read").failed, eintr);
});

ebpfTest("reads restarted by SA_RESTART are single operations, not failures", (t) => {
  const result = path.join(dir, "restart.txt");
  const { status, report, stderr } = ebpf(["--all-fds", "--", bin.eintr, "restart", "100", result]);
  t.is(status, 0, stderr);
  t.is(fs.readFileSync(result, "utf8").trim(), "100 0");
  t.is(report.files.find((f) => f.kind === "pipe" && f.readOps > 0).readOps, 100);
  t.is(report.failedOps.total, 0);
  t.is(fileEntry(report, result).writeOps, 1);
});

ebpfTest("2,000 small files written then read back: each its own file, though the fd number is reused at once", (t) => {
  const N = 2000;
  const sub = fs.mkdtempSync(path.join(dir, "small-"));
  const argv = [bin.smallfiles, sub, String(N), "100"];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(N, N * 100, N, N * 100));
  t.is(report.metadataOps.opens, 2 * N);
  t.is(report.files.length, N);
  for (const i of [0, 1, 999, N - 1]) {
    const p = path.join(sub, `small-${i}`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 1, writeOps: 1, readBytes: 100, writeBytes: 100 }, p);
  }
});

ebpfTest("two threads each create and join 1,000 threads: the capture ends with the command, exit 0", (t) => {
  const json = path.join(dir, "churn.json");
  const { status, stdout, stderr } = runCli(["--method", "ebpf", "--json", json, "--", bin.churn, "1000", "2"]);
  t.is(status, 0, stderr);
  t.is(stdout, "done\n");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.deepEqual(report.exit, OK_EXIT);
  t.is(report.summary.totalOps, 0);
  t.is(report.otherFds.writeOps, 1);
});

ebpfTest("main thread calls pthread_exit, a worker writes 100 x 16 bytes: 100 writes, 1,600 bytes, on the file", (t) => {
  const out = path.join(dir, "zombie-leader.dat");
  const argv = [bin.zombie_leader, "100", out, "200000"];
  const { status, report, stderr } = ebpf(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 100, readBytes: 0, writeBytes: 1600 });
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: 100, bytes: 1600, failed: 0 });
});

ebpfTest("int 0x80 writes: the 64-bit ones counted exactly, the 32-bit ones named by number in a warning, not read as other calls", (t) => {
  const out = path.join(dir, "int80.dat");
  const { status, report, stderr } = ebpf(["--", bin.int80, out, "5", "10"]);
  t.is(status, 0, stderr);
  t.is(fs.statSync(out).size, 15 * 16, "the program made its 15 writes");
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 80 });
  t.true(
    report.warnings.includes("10 read/write-family calls were made through the 32-bit syscall ABI (int 0x80) and are not counted: the figures miss their I/O"),
    report.warnings.join(" | "),
  );
  // i386's write is x86-64's stat: none may be counted as one.
  t.is(report.metadataOps.stats, 0);
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

ebpfTest("attach (-p) to a running writer: counts its writes from the attach to the stop", async (t) => {
  const out = path.join(dir, "attach.dat");
  const { spawn } = await import("node:child_process");
  const child = spawn(bin.loopwriter, [out, "0", "100", "2000"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 0, "the writer to start");
    const before = ourBpf();
    const cli = spawnCli(["--method", "ebpf", "--json", "-", "-p", String(child.pid), "--duration", "1"]);
    const r = await cli.done;
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.is(report.method, "ebpf");
    t.is(report.pid, child.pid);
    t.true(report.summary.writeOps > 0);
    t.is(report.summary.writeBytes, report.summary.writeOps * 100);
    t.deepEqual(report.files.filter((f) => f.kind === "file").map((f) => f.path), [out]);
    // Raw tracepoints are released after an RCU grace period: soon, not at once.
    await waitFor(() => noneNewSince(before), "nothing of ours to stay loaded", 10_000);
    t.is(child.exitCode, null, "the writer runs on, untouched");
  } finally {
    child.kill("SIGKILL");
  }
});

ebpfTest("SIGKILL of iops mid-capture: nothing of ours stays loaded, the command runs on", async (t) => {
  const before = ourBpf();
  const out = path.join(dir, "killed.dat");
  const cli = spawnCli(["--method", "ebpf", "--json", "-", "--", bin.loopwriter, out, "300", "10", "10000"]);
  await waitFor(() => ourBpf().links.filter((id) => !before.links.includes(id)).length === 5, "five tracepoints to be attached");
  // Killed once the command runs (killed before, it never execs: it would have no tracer to release it).
  await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 0, "the command to run");
  cli.child.kill("SIGKILL");
  await cli.done;
  await waitFor(() => noneNewSince(before), "the kernel to drop the programs and links", 10_000);
  t.true(noneNewSince(before));
  // The command was never stopped: it finishes its 300 writes.
  await waitFor(() => fs.existsSync(out) && fs.statSync(out).size === 300 * 10, "the command to finish on its own", 30_000);
});

ebpfTest("profile(fn, { method: 'ebpf' }): the window from the marker calls, filtered in the kernel", async (t) => {
  const N = 40;
  const p = path.join(dir, "profile.dat");
  fs.writeFileSync(p, patternBuffer(N, 4096));
  fs.readFileSync(p); // outside the window
  const report = await iops.profile(() => {
    const fd = fs.openSync(p, "r");
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < N; i++) fs.readSync(fd, buf, 0, 4096, i * 4096);
    fs.closeSync(fd);
  }, { method: "ebpf" });
  fs.readFileSync(p); // outside the window
  t.is(report.method, "ebpf");
  t.is(report.pid, process.pid);
  t.deepEqual(counts(report.summary), totals(N, N * 4096, 0, 0));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: N, writeOps: 0, readBytes: N * 4096, writeBytes: 0 });
  t.deepEqual(syscallRow(report, "pread64"), { name: "pread64", calls: N, bytes: N * 4096, failed: 0 });
  t.is(report.metadataOps.opens, 1);
  t.deepEqual(report.warnings, []);
});
