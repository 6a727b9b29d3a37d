/**
 * The exactness suite, once per live Linux source (ebpf, ptrace: `eachMethod`,
 * one table of cases): static C workloads that make an exact, self-checked
 * sequence of calls (each exits non-zero if the kernel did not do exactly
 * what the test's arithmetic assumes), traced through the CLI
 * (`iops --method <source> --json - -- <cmd>`), `traceCommand()`,
 * `iops -p` and `profile()`. The expected figures are the workload's own
 * arithmetic, the same for every source: never one source's output.
 * A source that cannot run here is skipped, saying why (the addon's probe).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import {
  binOf,
  binTotals,
  compileFixtures,
  counts,
  fileEntry,
  iops,
  makeTempDir,
  patternBuffer,
  runCliJson,
  syscallRow,
  totals,
  fileCounts,
  eachMethod,
  runCli,
  spawnCli,
  waitFor,
  CLI,
} from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-launch-");
  bin = compileFixtures(dir, ["writes", "preads", "threads", "forkwrite", "vectored", "sockets", "badreads", "eof", "transfer", "loopwriter", "eintr", "smallfiles", "churn", "zombie_leader", "int80", "dupexec", "openexit", "memfdexit", "maps", "namedio"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const OK_EXIT = { code: 0, signal: null, signalNumber: null };

/** Everything a launch report of a clean run must say, whatever the workload. */
function assertCleanRun(t, report, argv, method) {
  t.is(report.method, method);
  t.deepEqual(report.command, argv);
  t.true(Number.isInteger(report.pid) && report.pid > 0);
  t.deepEqual(report.exit, OK_EXIT);
  t.deepEqual(report.warnings, []);
}

eachMethod(test, "N writes of S bytes via the CLI: exact counts, bytes, file, syscalls, histogram, latency, timeline", (t, method) => {
  const N = 500;
  const S = 4096;
  const out = path.join(dir, "writes-cli.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.false(report.allFds);

  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.deepEqual(report.failedOps, { total: 0, byErrno: {} });
  t.deepEqual(report.files.map(fileCounts), [{ path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S }]);
  t.deepEqual(report.syscalls, [{ name: "write", calls: N, bytes: N * S, failed: 0 }]);
  t.true(report.metadataOps.opens >= 1);
  t.true(report.metadataOps.closes >= 1);
  t.is(report.metadataOps.failed, 0);

  // Every write was 4096 bytes: one bin, N operations, N*S bytes.
  t.deepEqual(report.histogram.read, []);
  t.deepEqual(binTotals(report.histogram.write), { count: N, sum: N * S });
  t.like(binOf(report.histogram.write, S), { count: N, sum: N * S });
  t.is(report.latency.read, null);
  t.is(report.latency.write.count, N);
  t.true(report.latency.write.p50Ns > 0 && report.latency.write.p50Ns <= report.latency.write.maxNs);
  const tl = report.timeline.points.reduce((a, p) => ({ w: a.w + p.writeOps, b: a.b + p.writeBytes }), { w: 0, b: 0 });
  t.deepEqual(tl, { w: N, b: N * S });

  // The workload really did it.
  t.true(fs.readFileSync(out).equals(patternBuffer(N, S)));
});

eachMethod(test, "N writes of S bytes via traceCommand(): the same exact figures", async (t, method) => {
  const N = 333;
  const S = 1000;
  const out = path.join(dir, "writes-api.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const capture = iops.traceCommand(argv, { method });
  t.is(typeof capture.stop, "function");
  const report = await capture.report;
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: N, bytes: N * S, failed: 0 });
  t.true(report.metadataOps.opens >= 1);
  t.is(fs.statSync(out).size, N * S);
});

eachMethod(test, "preads at given offsets: exact operations and returned bytes, pread64 in the syscall table", (t, method) => {
  const records = 64;
  const data = path.join(dir, "preads.dat");
  fs.writeFileSync(data, patternBuffer(records, 4096));
  const size = records * 4096; // 262144
  const chunk = 4096;
  // Full reads, an unaligned one, one that runs 1000 bytes short at the end
  // of the file, and one past the end (0 bytes: still a successful call).
  const offsets = [0, 10 * 4096, 12345, 4096 * 30, size - 1000, size + 5000];
  const returned = offsets.map((o) => Math.max(0, Math.min(chunk, size - o)));
  t.deepEqual(returned, [4096, 4096, 4096, 4096, 1000, 0]);
  const bytes = returned.reduce((a, b) => a + b, 0);

  const argv = [bin.preads, data, String(chunk), ...offsets.map(String)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(offsets.length, bytes, 0, 0));
  t.deepEqual(fileEntry(report, data), { path: data, kind: "file", readOps: offsets.length, writeOps: 0, readBytes: bytes, writeBytes: 0 });
  t.deepEqual(syscallRow(report, "pread64"), { name: "pread64", calls: offsets.length, bytes, failed: 0 });
  t.is(syscallRow(report, "read"), undefined);
  t.deepEqual(binTotals(report.histogram.read), { count: offsets.length, sum: bytes });
  t.like(binOf(report.histogram.read, 0), { count: 1, sum: 0 });
  t.like(binOf(report.histogram.read, 1000), { count: 1, sum: 1000 });
  t.like(binOf(report.histogram.read, 4096), { count: 4, sum: 4 * 4096 });
  t.true(report.metadataOps.opens >= 1);
  t.true(report.metadataOps.stats >= 1); // the workload's fstat
});

eachMethod(test, "several threads, each writing K times to its own file: exact totals and per-file figures", (t, method) => {
  const T = 4;
  const K = 250;
  const S = 1024;
  const sub = fs.mkdtempSync(path.join(dir, "threads-"));
  const argv = [bin.threads, sub, String(T), String(K), String(S)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(0, 0, T * K, T * K * S));
  t.is(report.files.length, T);
  for (let i = 0; i < T; i++) {
    const p = path.join(sub, `thread-${i}.dat`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S }, p);
    t.is(fs.statSync(p).size, K * S);
  }
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: T * K, bytes: T * K * S, failed: 0 });
  t.true(report.metadataOps.opens >= T);
});

eachMethod(test, "several threads via traceCommand({ shareCpu: false }): the same exact figures", async (t, method) => {
  const T = 3;
  const K = 200;
  const S = 512;
  const sub = fs.mkdtempSync(path.join(dir, "threads-api-"));
  const argv = [bin.threads, sub, String(T), String(K), String(S)];
  const report = await iops.traceCommand(argv, { method, shareCpu: false }).report;
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(0, 0, T * K, T * K * S));
  for (let i = 0; i < T; i++) {
    const p = path.join(sub, `thread-${i}.dat`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S }, p);
  }
});

eachMethod(test, "a child and a grandchild process: exact totals and per-process files", (t, method) => {
  const P = 30;
  const C = 40;
  const G = 50;
  const S = 512;
  const sub = fs.mkdtempSync(path.join(dir, "fork-"));
  const argv = [bin.forkwrite, sub, String(P), String(C), String(G), String(S)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(0, 0, P + C + G, (P + C + G) * S));
  for (const [name, n] of [
    ["parent.dat", P],
    ["child.dat", C],
    ["grandchild.dat", G],
  ]) {
    const p = path.join(sub, name);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: n, readBytes: 0, writeBytes: n * S }, name);
  }
  t.is(report.files.length, 3);
  t.true(report.metadataOps.opens >= 3);
});

eachMethod(test, "writev and readv: one operation per call, the bytes each call returned", (t, method) => {
  const V = 25;
  const perCall = 100 + 1000 + 3000;
  const total = V * perCall; // 102500
  // readv of 2 x 4096 until it returns 0: 12 full calls, one of 4196 bytes, one of 0.
  const readvCalls = Math.ceil(total / 8192) + 1;
  t.is(readvCalls, 14);
  const out = path.join(dir, "vectored.dat");
  const argv = [bin.vectored, out, String(V)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(readvCalls, total, V, total));
  t.deepEqual(syscallRow(report, "writev"), { name: "writev", calls: V, bytes: total, failed: 0 });
  t.deepEqual(syscallRow(report, "readv"), { name: "readv", calls: readvCalls, bytes: total, failed: 0 });
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: readvCalls, writeOps: V, readBytes: total, writeBytes: total });
  t.like(binOf(report.histogram.write, perCall), { count: V, sum: total });
  t.like(binOf(report.histogram.read, 8192), { count: 12, sum: 12 * 8192 });
  t.like(binOf(report.histogram.read, 0), { count: 1, sum: 0 });
  t.is(fs.statSync(out).size, total);
});

/** The socket/pipe workload's ground truth. */
const F = 20; // file writes of 512
const Q = 30; // datagrams of 100, written then read
const R = 10; // pipe messages of 50, written then read
const FILE_BYTES = F * 512;
const OTHER_READ = Q * 100 + R * 50;
const OTHER_WRITE = Q * 100 + R * 50;

/**
 * A pipe's name: "pipe:[inode]"; under eBPF, a pipe the program closed before
 * its records were read has no inode left to read, and says which fds of
 * which process it was (docs/ebpf.md, "What it does not do yet").
 */
// eBPF names an fd from /proc when it drains its records: a socket whose process has exited by then keeps its fd and pid instead of its inode.
// As /proc names them, under both sources: the eBPF source reads the inode numbers at the call that made them,
// so a program that has exited before its records are read still has its sockets and pipes named so.
const SOCKET_NAME = { ptrace: /^socket:\[\d+\]$/, ebpf: /^socket:\[\d+\]$/ };
const PIPE_NAME = { ptrace: /^pipe:\[\d+\]$/, ebpf: /^pipe:\[\d+\]$/ };

function socketEntries(report, method) {
  const sockets = report.files.filter((f) => f.kind === "socket").map(fileCounts).map(({ path: p, ...rest }) => ({ socket: SOCKET_NAME[method].test(p), ...rest }));
  const pipes = report.files.filter((f) => f.kind === "pipe").map(fileCounts).map(({ path: p, ...rest }) => ({ pipe: PIPE_NAME[method].test(p), ...rest }));
  return { sockets, pipes };
}

eachMethod(test, "socket and pipe I/O is kept out of the file summary and reported under otherFds", (t, method) => {
  const out = path.join(dir, "sockets.dat");
  const argv = [bin.sockets, out, String(F), String(Q), String(R)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.false(report.allFds);
  t.deepEqual(counts(report.summary), totals(0, 0, F, FILE_BYTES));
  t.deepEqual(counts(report.otherFds), totals(Q + R, OTHER_READ, Q + R, OTHER_WRITE));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: F, readBytes: 0, writeBytes: FILE_BYTES });
  const { sockets, pipes } = socketEntries(report, method);
  t.deepEqual(
    sockets.sort((a, b) => a.writeOps - b.writeOps),
    [
      { socket: true, kind: "socket", readOps: Q, writeOps: 0, readBytes: Q * 100, writeBytes: 0 },
      { socket: true, kind: "socket", readOps: 0, writeOps: Q, readBytes: 0, writeBytes: Q * 100 },
    ],
  );
  t.deepEqual(pipes, [{ pipe: true, kind: "pipe", readOps: R, writeOps: R, readBytes: R * 50, writeBytes: R * 50 }]);
  // The summary's histogram holds the file writes only.
  t.deepEqual(binTotals(report.histogram.write), { count: F, sum: FILE_BYTES });
  t.deepEqual(report.histogram.read, []);
  // The text table says what was left out.
  // It names the kinds of fd that are there: sockets and pipes (no tty, no device).
  t.true(stderr.includes(`Not counted above (sockets and pipes): ${Q + R} reads, ${Q + R} writes`), stderr);
  t.false(stderr.includes("socket:["), "sockets are not listed among the top files without --all-fds");
});

eachMethod(test, "--all-fds counts socket and pipe I/O in the summary", (t, method) => {
  const out = path.join(dir, "sockets-all.dat");
  const argv = [bin.sockets, out, String(F), String(Q), String(R)];
  const { status, report, stderr } = runCliJson(["--method", method, "--all-fds", "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.true(report.allFds);
  t.deepEqual(counts(report.summary), totals(Q + R, OTHER_READ, F + Q + R, FILE_BYTES + OTHER_WRITE));
  t.deepEqual(counts(report.otherFds), totals(Q + R, OTHER_READ, Q + R, OTHER_WRITE));
  t.deepEqual(binTotals(report.histogram.write), { count: F + Q + R, sum: FILE_BYTES + OTHER_WRITE });
  t.deepEqual(binTotals(report.histogram.read), { count: Q + R, sum: OTHER_READ });
  t.true(stderr.includes("socket:["), "sockets are listed among the files with --all-fds");
});

eachMethod(test, "failing calls are not operations: EBADF and EISDIR counted apart, by errno", (t, method) => {
  const E = 3; // read on a closed fd
  const D = 2; // read on a directory
  const W = 4; // write on a read-only fd
  const G = 6; // good reads of 100 bytes
  const data = path.join(dir, "badreads.dat");
  fs.writeFileSync(data, Buffer.alloc(4096, 1));
  const sub = fs.mkdtempSync(path.join(dir, "a-directory-"));
  const argv = [bin.badreads, sub, data, String(E), String(D), String(W), String(G)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(report.failedOps, { total: E + D + W, byErrno: { EBADF: E + W, EISDIR: D } });
  t.deepEqual(counts(report.summary), totals(G, G * 100, 0, 0));
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.deepEqual(report.files.map(fileCounts), [{ path: data, kind: "file", readOps: G, writeOps: 0, readBytes: G * 100, writeBytes: 0 }]);
  t.deepEqual(syscallRow(report, "read"), { name: "read", calls: G, bytes: G * 100, failed: E + D });
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: 0, bytes: 0, failed: W });
  t.is(report.latency.read.count, G);
  t.is(report.latency.write, null);
  t.deepEqual(binTotals(report.histogram.read), { count: G, sum: G * 100 });
  t.true(stderr.includes(`Failed calls (not counted as operations): ${E + D + W} (EBADF ${E + W}, EISDIR ${D})`), stderr);
});

eachMethod(test, "a short read at the end of the file and the final 0-byte read are operations", (t, method) => {
  const data = path.join(dir, "eof.dat");
  fs.writeFileSync(data, Buffer.alloc(10_000, 7));
  const argv = [bin.eof, data, "4096"];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  // read() returns 4096, 4096, 1808, then 0.
  t.deepEqual(counts(report.summary), totals(4, 10_000, 0, 0));
  t.deepEqual(report.files.map(fileCounts), [{ path: data, kind: "file", readOps: 4, writeOps: 0, readBytes: 10_000, writeBytes: 0 }]);
  t.deepEqual(syscallRow(report, "read"), { name: "read", calls: 4, bytes: 10_000, failed: 0 });
  t.deepEqual(binTotals(report.histogram.read), { count: 4, sum: 10_000 });
  t.like(binOf(report.histogram.read, 4096), { count: 2, sum: 8192 });
  t.like(binOf(report.histogram.read, 1808), { count: 1, sum: 1808 });
  t.like(binOf(report.histogram.read, 0), { count: 1, sum: 0 });
  t.is(report.latency.read.count, 4);
  t.deepEqual(report.failedOps, { total: 0, byErrno: {} });
});

eachMethod(test, "sendfile and copy_file_range: a read of the source and a write of the destination per call", (t, method) => {
  const size = 40_000;
  const chunk = 8192;
  const src = path.join(dir, "transfer-src.dat");
  const dst = path.join(dir, "transfer-dst.dat");
  fs.writeFileSync(src, patternBuffer(10, 4000));
  const calls = Math.ceil(size / chunk) + 1; // 5 calls that move data, 1 that returns 0
  t.is(calls, 6);
  const argv = [bin.transfer, src, dst, String(chunk)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(2 * calls, 2 * size, 2 * calls, 2 * size));
  t.deepEqual(fileEntry(report, src), { path: src, kind: "file", readOps: 2 * calls, writeOps: 0, readBytes: 2 * size, writeBytes: 0 });
  t.deepEqual(fileEntry(report, dst), { path: dst, kind: "file", readOps: 0, writeOps: calls, readBytes: 0, writeBytes: size });
  t.deepEqual(fileEntry(report, `${dst}.2`), { path: `${dst}.2`, kind: "file", readOps: 0, writeOps: calls, readBytes: 0, writeBytes: size });
  // The syscall table counts each transfer call once.
  t.deepEqual(syscallRow(report, "sendfile"), { name: "sendfile", calls, bytes: size, failed: 0 });
  t.deepEqual(syscallRow(report, "copy_file_range"), { name: "copy_file_range", calls, bytes: size, failed: 0 });
  t.true(fs.readFileSync(dst).equals(fs.readFileSync(src)));
  t.true(fs.readFileSync(`${dst}.2`).equals(fs.readFileSync(src)));
});

eachMethod(test, "files mapped with mmap: each mapping's path, count, bytes, protection and sharing; anonymous and failed mmaps not listed", (t, method) => {
  const work = fs.mkdtempSync(path.join(dir, "maps-"));
  const argv = [bin.maps, work];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  t.is(report.method, method);
  t.deepEqual(report.exit, OK_EXIT);
  // fixtures/maps.c: 2 MiB shared read-only once; 64 KiB private read-write twice, 16 KiB each.
  t.deepEqual(report.mappings, [
    { path: path.join(work, "shared"), kind: "file", maps: 1, bytes: 2 << 20, prot: "r", shared: true, exec: false },
    { path: path.join(work, "private"), kind: "file", maps: 2, bytes: 2 * (16 << 10), prot: "rw", shared: false, exec: false },
  ]);
  // The 2 MiB mapping is a data file of a MiB or more: said, once.
  t.deepEqual(report.warningCodes, ["mmap-not-counted"]);
  t.regex(report.warnings[0], new RegExp(`^${path.join(work, "shared")} was mapped into memory with mmap \\(2097152 bytes, and other files\\)`));
  // No read or write call touched them: the page faults are not calls.
  t.deepEqual(counts(report.summary), totals(0, 0, 0, 0));
  t.deepEqual(report.files, []);
});

test("an unknown method is a usage error (EINVAL), never a silent default", (t) => {
  t.throws(() => iops.traceCommand(["true"], { method: "bpf" }), { code: "EINVAL" });
  const { status, stderr } = runCli(["--method", "bpf", "--", "true"]);
  t.is(status, 2, stderr);
  t.regex(stderr, /argument 'bpf' is invalid/);
});

// What `tar czf` does to hand its archive to gzip: by the time eBPF's records
// are read, the exec'd writer has exited and /proc has nothing to say about
// its fd 1; the fd's file must come from the open, the fork's copy of the
// table, the dup and the exec keeping it.
for (const how of ["dup", "dup2", "dup3", "fcntl", "cloexec"]) {
  eachMethod(test, `creat, fork, ${how} onto fd 1, exec, write N bytes and exit: all N on the file`, (t, method) => {
    const N = 12_345; // 13 writes: 12 of 1,000 bytes and one of 345
    const sub = fs.mkdtempSync(path.join(dir, "dupexec-"));
    const out = path.join(sub, "archive.dat");
    const argv = [bin.dupexec, out, String(N), how];
    const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
    t.is(status, 0, stderr);
    assertCleanRun(t, report, argv, method);
    t.deepEqual(report.files.map(fileCounts), [{ path: out, kind: "file", readOps: 0, writeOps: 13, readBytes: 0, writeBytes: N }]);
    t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
    t.is(fs.statSync(out).size, N);
  });
}

eachMethod(test, "20 children each open (or creat) a file by a relative path after a chdir, write 6 bytes and exit at once: every write on its file", (t, method) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "openexit-"));
  const argv = [bin.openexit, sub, String(K), String(S)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(0, 0, K, K * S));
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.is(report.metadataOps.opens, K);
  t.is(report.files.length, K);
  for (let i = 0; i < K; i++) {
    const p = path.join(sub, `f${i}.dat`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: S }, p);
  }
});

eachMethod(test, "a shell loop runs open+write+exit 20 times after a cd: all 20 writes on the one file", (t, method) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "openloop-"));
  const script = `cd "$1" && i=0; while [ $i -lt ${K} ]; do "$2" . 1 ${S} || exit 1; i=$((i + 1)); done`;
  const argv = ["sh", "-c", script, "sh", sub, bin.openexit];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  t.deepEqual(report.exit, OK_EXIT);
  t.deepEqual(report.warnings, []);
  const p = path.join(sub, "f0.dat");
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S });
  t.is(report.summary.writeOps, K, "no write elsewhere (the shell's loader reads libc)");
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
});

eachMethod(test, "stdout inherited from iops is a file: 20 processes each write 6 bytes to it and exit at once, every write on the file", (t, method) => {
  const [K, S] = [20, 6];
  const sub = fs.mkdtempSync(path.join(dir, "stdout-"));
  const out = path.join(sub, "stdout.dat");
  const json = path.join(sub, "report.json");
  // Opened here, never by the traced program: named from /proc at the launch, before any of it runs.
  const fd = fs.openSync(out, "w");
  const script = `i=0; while [ $i -lt ${K} ]; do "$1" --write ${S} || exit 1; i=$((i + 1)); done`;
  const r = spawnSync(process.execPath, [CLI, "--json", json, "--method", method, "--", "sh", "-c", script, "sh", bin.dupexec], {
    stdio: ["ignore", fd, "pipe"],
    encoding: "utf8",
    timeout: 120_000,
  });
  fs.closeSync(fd);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, method);
  t.deepEqual(report.warnings, []);
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S });
  t.is(report.summary.writeOps, K);
  t.deepEqual(counts(report.otherFds), totals(0, 0, 0, 0));
  t.is(fs.statSync(out).size, K * S);
});

eachMethod(test, "20 children each write 6 bytes to a memfd and exit at once: every write on the memfd", (t, method) => {
  const [K, S] = [20, 6];
  const argv = [bin.memfdexit, String(K), String(S)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(report.files.map(fileCounts), [{ path: "/memfd:memfdexit (deleted)", kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S }]);
});

eachMethod(test, "reads interrupted without SA_RESTART fail with EINTR: counted apart, exactly as the program saw them", (t, method) => {
  const result = path.join(dir, `norestart-${method}.txt`);
  const { status, report, stderr } = runCliJson(["--method", method, "--all-fds", "--", bin.eintr, "norestart", "100", result]);
  t.is(status, 0, stderr);
  const [got, eintr] = fs.readFileSync(result, "utf8").trim().split(" ").map(Number);
  t.is(got, 100);
  t.true(eintr > 0, "the timer interrupted some reads");
  const pipe = report.files.find((f) => f.kind === "pipe" && f.readOps > 0);
  t.is(pipe.readOps, 100);
  t.deepEqual(report.failedOps, { total: eintr, byErrno: { EINTR: eintr } });
  t.is(syscallRow(report, "read").failed, eintr);
});

eachMethod(test, "reads restarted by SA_RESTART are single operations, not failures", (t, method) => {
  const result = path.join(dir, `restart-${method}.txt`);
  const { status, report, stderr } = runCliJson(["--method", method, "--all-fds", "--", bin.eintr, "restart", "100", result]);
  t.is(status, 0, stderr);
  t.is(fs.readFileSync(result, "utf8").trim(), "100 0");
  t.is(report.files.find((f) => f.kind === "pipe" && f.readOps > 0).readOps, 100);
  t.is(report.failedOps.total, 0);
  t.is(fileEntry(report, result).writeOps, 1);
});

eachMethod(test, "2,000 small files written then read back: each its own file, though the fd number is reused at once", (t, method) => {
  const N = 2000;
  const sub = fs.mkdtempSync(path.join(dir, "small-"));
  const argv = [bin.smallfiles, sub, String(N), "100"];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(counts(report.summary), totals(N, N * 100, N, N * 100));
  t.is(report.metadataOps.opens, 2 * N);
  t.is(report.files.length, N);
  for (const i of [0, 1, 999, N - 1]) {
    const p = path.join(sub, `small-${i}`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 1, writeOps: 1, readBytes: 100, writeBytes: 100 }, p);
  }
});

eachMethod(test, "two threads each create and join 1,000 threads: the capture ends with the command, exit 0", (t, method) => {
  const json = path.join(dir, `churn-${method}.json`);
  const { status, stdout, stderr } = runCli(["--method", method, "--json", json, "--", bin.churn, "1000", "2"]);
  t.is(status, 0, stderr);
  t.is(stdout, "done\n");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, method);
  t.deepEqual(report.exit, OK_EXIT);
  t.is(report.summary.totalOps, 0);
  t.is(report.otherFds.writeOps, 1);
});

eachMethod(test, "main thread calls pthread_exit, a worker writes 100 x 16 bytes: 100 writes, 1,600 bytes, on the file", (t, method) => {
  const out = path.join(dir, `zombie-leader-${method}.dat`);
  const argv = [bin.zombie_leader, "100", out, "200000"];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 100, readBytes: 0, writeBytes: 1600 });
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: 100, bytes: 1600, failed: 0 });
});

eachMethod(test, "int 0x80 writes: the 64-bit ones counted exactly, the 32-bit ones named by number in a warning, not read as other calls", (t, method) => {
  const out = path.join(dir, `int80-${method}.dat`);
  const { status, report, stderr } = runCliJson(["--method", method, "--", bin.int80, out, "5", "10"]);
  t.is(status, 0, stderr);
  t.is(report.method, method);
  t.is(fs.statSync(out).size, 15 * 16, "the program made its 15 writes");
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 80 });
  t.true(
    report.warnings.includes("10 read/write-family calls were made through the 32-bit syscall ABI (int 0x80) and are not counted: the figures miss their I/O"),
    report.warnings.join(" | "),
  );
  // i386's write is x86-64's stat: none may be counted as one.
  t.is(report.metadataOps.stats, 0);
});

eachMethod(test, "attach (-p) to a running writer: every write from the attach to the stop, 100 bytes each, on its file", async (t, method) => {
  const out = path.join(dir, `attach-${method}.dat`);
  const child = spawn(bin.loopwriter, [out, "0", "100", "2000"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 0, "the writer to start");
    const cli = spawnCli(["--method", method, "--json", "-", "-p", String(child.pid), "--duration", "1"]);
    const r = await cli.done;
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.is(report.method, method);
    t.is(report.pid, child.pid);
    t.true(report.summary.writeOps > 0);
    t.is(report.summary.writeBytes, report.summary.writeOps * 100);
    t.deepEqual(report.files.filter((f) => f.kind === "file").map((f) => [f.path, f.writeBytes]), [[out, report.summary.writeBytes]]);
    t.is(child.exitCode, null, "the writer runs on, untouched");
  } finally {
    child.kill("SIGKILL");
  }
});

eachMethod(test, "profile(fn, { method }): the window from the marker calls, exact to the call", async (t, method) => {
  const N = 40;
  const p = path.join(dir, `profile-${method}.dat`);
  fs.writeFileSync(p, patternBuffer(N, 4096));
  fs.readFileSync(p); // outside the window
  const report = await iops.profile(() => {
    const fd = fs.openSync(p, "r");
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < N; i++) fs.readSync(fd, buf, 0, 4096, i * 4096);
    fs.closeSync(fd);
  }, { method });
  fs.readFileSync(p); // outside the window
  t.is(report.method, method);
  t.is(report.pid, process.pid);
  t.deepEqual(counts(report.summary), totals(N, N * 4096, 0, 0));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: N, writeOps: 0, readBytes: N * 4096, writeBytes: 0 });
  t.deepEqual(syscallRow(report, "pread64"), { name: "pread64", calls: N, bytes: N * 4096, failed: 0 });
  t.is(report.metadataOps.opens, 1);
  t.deepEqual(report.warnings, []);
});

/**
 * The file names of the report are the kernel's (as /proc/<pid>/fd shows
 * them), however the program named the file: one file is one row. `namedio`
 * chdirs to its first argument, then opens each name in turn and makes
 * `n` pwrite64 (w) or pread64 (r) of `size` bytes through it.
 */
function namedio(t, method, mode, cwd, n, size, names) {
  const argv = [bin.namedio, mode, cwd, String(n), String(size), ...names];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv, method);
  return report;
}

/** A fresh tree under the suite's directory: `dirs` made, `links` ([link, target]) made as symlinks. */
function tree(name, dirs, links) {
  const root = path.join(dir, name);
  fs.rmSync(root, { recursive: true, force: true });
  for (const d of dirs) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const [link, target] of links) fs.symlinkSync(target, path.join(root, link));
  return root;
}

eachMethod(test, "a file opened as ../x.bin from a working directory reached through a symlink: named where the kernel put it", (t, method) => {
  // chdir("w/link3"), link3 -> sub2/deep: ".." is sub2, not w.
  const root = tree(`symcwd-${method}`, ["w/sub2/deep"], [["w/link3", "sub2/deep"]]);
  const report = namedio(t, method, "w", path.join(root, "w/link3"), 1, 11, ["../x.bin"]);
  const real = path.join(root, "w/sub2/x.bin");
  t.is(fs.statSync(real).size, 11);
  t.false(fs.existsSync(path.join(root, "w/x.bin")));
  t.deepEqual(report.files.map(fileCounts), [{ path: real, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 11 }]);
  t.deepEqual(counts(report.summary), totals(0, 0, 1, 11));
});

eachMethod(test, "one file written through five names (its path, symlinks, .. after a symlinked directory): one row with every write", (t, method) => {
  const N = 300;
  const S = 4096;
  const root = tree(`names-${method}`, ["sub2/deep"], [["lnk.bin", "target.bin"], ["ldeep", "sub2/deep"]]);
  const real = path.join(root, "target.bin");
  // Text cleaning would make "ldeep/../../target.bin" the parent's target.bin.
  const names = ["target.bin", "lnk.bin", "sub2/../target.bin", "ldeep/../../target.bin", path.join(root, "lnk.bin")];
  const report = namedio(t, method, "w", root, N, S, names);
  t.is(fs.statSync(real).size, N * S);
  t.false(fs.existsSync(path.join(dir, "target.bin")));
  const writes = names.length * N;
  t.deepEqual(report.files.map(fileCounts), [{ path: real, kind: "file", readOps: 0, writeOps: writes, readBytes: 0, writeBytes: writes * S }]);
  t.deepEqual(counts(report.summary), totals(0, 0, writes, writes * S));
  t.deepEqual(syscallRow(report, "pwrite64"), { name: "pwrite64", calls: writes, bytes: writes * S, failed: 0 });
  // Five sequential passes over one file: no small random writes.
  t.deepEqual(report.findings.filter((f) => f.code === "small-random-writes"), []);
});

eachMethod(test, "files read under a symlinked directory (as /lib is): named by their real directory", (t, method) => {
  const N = 4;
  const S = 4096;
  const root = tree(`symdir-${method}`, ["real"], [["lnkdir", "real"]]);
  const real = path.join(root, "real/data.bin");
  fs.writeFileSync(real, patternBuffer(N, S));
  const names = ["lnkdir/data.bin", path.join(root, "lnkdir/data.bin"), "lnkdir/../real/data.bin"];
  // The system's own: /lib -> usr/lib and locale.alias -> /etc/locale.alias on Debian; each that is there.
  const system = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/usr/share/locale/locale.alias"]
    .filter((p) => fs.existsSync(p) && fs.statSync(p).size >= 64)
    .map((p) => [p, fs.realpathSync(p)]);
  t.log(`system files: ${system.map(([p, r]) => `${p} -> ${r}`).join(", ") || "none here"}`);
  const report = namedio(t, method, "r", root, N, S, names);
  t.deepEqual(report.files.map(fileCounts), [{ path: real, kind: "file", readOps: names.length * N, writeOps: 0, readBytes: names.length * N * S, writeBytes: 0 }]);
  if (system.length > 0) {
    const sys = namedio(t, method, "r", root, 1, 64, system.map(([p]) => p));
    const expected = system.map(([, r]) => ({ path: r, kind: "file", readOps: 1, writeOps: 0, readBytes: 64, writeBytes: 0 }));
    t.deepEqual(sys.files.map(fileCounts).sort((a, b) => a.path.localeCompare(b.path)), expected.sort((a, b) => a.path.localeCompare(b.path)));
  }
});

eachMethod(test, "files written and removed at once, through a symlinked working directory: named as they were while open", (t, method) => {
  // Each gone before its records can be read: named in its resolved directory.
  const root = tree(`removed-${method}`, ["w/sub2/deep"], [["w/link3", "sub2/deep"]]);
  const names = ["../a.bin", "b.bin", "../../link3/../c.bin"];
  const report = namedio(t, method, "u", path.join(root, "w/link3"), 3, 100, names);
  const real = ["sub2/a.bin", "sub2/deep/b.bin", "sub2/c.bin"].map((p) => path.join(root, "w", p));
  t.false(real.some((p) => fs.existsSync(p)));
  const rows = real.sort().map((p) => ({ path: p, kind: "file", readOps: 0, writeOps: 3, readBytes: 0, writeBytes: 300 }));
  t.deepEqual(report.files.map(fileCounts).sort((a, b) => (a.path < b.path ? -1 : 1)), rows);
  t.deepEqual(counts(report.summary), totals(0, 0, 9, 900));
});

eachMethod(test, "an unnamed file (O_TMPFILE) in a symlinked directory: a file row in the real directory, said deleted", (t, method) => {
  const root = tree(`tmpfile-${method}`, ["real"], [["lnkdir", "real"]]);
  const report = namedio(t, method, "t", root, 5, 100, ["lnkdir"]);
  const files = report.files.map(fileCounts);
  t.is(files.length, 1, JSON.stringify(files));
  // /proc: "<dir>/#<inode> (deleted)"; eBPF, which sees no inode: "<dir>/#? (deleted, O_TMPFILE fd N of pid P)".
  t.true(files[0].path.startsWith(path.join(root, "real") + "/#") && files[0].path.includes(" (deleted"), files[0].path);
  t.deepEqual({ ...files[0], path: "" }, { path: "", kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 500 });
  t.deepEqual(counts(report.summary), totals(0, 0, 5, 500));
});
