/**
 * Launch mode against ground truth: static C workloads that make an exact,
 * self-checked sequence of calls (each exits non-zero if the kernel did not
 * do exactly what the test's arithmetic assumes), traced through the CLI
 * (`iops --json - -- <cmd>`) and through `traceCommand()`.
 */
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
} from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-launch-");
  bin = compileFixtures(dir, ["writes", "preads", "threads", "forkwrite", "vectored", "sockets", "badreads", "eof", "transfer"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const OK_EXIT = { code: 0, signal: null, signalNumber: null };

/** Everything a launch report of a clean run must say, whatever the workload. */
function assertCleanRun(t, report, argv) {
  t.is(report.method, "ptrace");
  t.deepEqual(report.command, argv);
  t.true(Number.isInteger(report.pid) && report.pid > 0);
  t.deepEqual(report.exit, OK_EXIT);
  t.deepEqual(report.warnings, []);
}

test.serial("N writes of S bytes via the CLI: exact counts, bytes, file, syscalls, histogram, latency, timeline", (t) => {
  const N = 500;
  const S = 4096;
  const out = path.join(dir, "writes-cli.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

test.serial("N writes of S bytes via traceCommand(): the same exact figures", async (t) => {
  const N = 333;
  const S = 1000;
  const out = path.join(dir, "writes-api.dat");
  const argv = [bin.writes, out, String(N), String(S)];
  const capture = iops.traceCommand(argv);
  t.is(typeof capture.stop, "function");
  const report = await capture.report;
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  t.deepEqual(syscallRow(report, "write"), { name: "write", calls: N, bytes: N * S, failed: 0 });
  t.true(report.metadataOps.opens >= 1);
  t.is(fs.statSync(out).size, N * S);
});

test.serial("preads at given offsets: exact operations and returned bytes, pread64 in the syscall table", (t) => {
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
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

test.serial("several threads, each writing K times to its own file: exact totals and per-file figures", (t) => {
  const T = 4;
  const K = 250;
  const S = 1024;
  const sub = fs.mkdtempSync(path.join(dir, "threads-"));
  const argv = [bin.threads, sub, String(T), String(K), String(S)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

test.serial("several threads via traceCommand({ shareCpu: false }): the same exact figures", async (t) => {
  const T = 3;
  const K = 200;
  const S = 512;
  const sub = fs.mkdtempSync(path.join(dir, "threads-api-"));
  const argv = [bin.threads, sub, String(T), String(K), String(S)];
  const report = await iops.traceCommand(argv, { shareCpu: false }).report;
  assertCleanRun(t, report, argv);
  t.deepEqual(counts(report.summary), totals(0, 0, T * K, T * K * S));
  for (let i = 0; i < T; i++) {
    const p = path.join(sub, `thread-${i}.dat`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: K, readBytes: 0, writeBytes: K * S }, p);
  }
});

test.serial("a child and a grandchild process: exact totals and per-process files", (t) => {
  const P = 30;
  const C = 40;
  const G = 50;
  const S = 512;
  const sub = fs.mkdtempSync(path.join(dir, "fork-"));
  const argv = [bin.forkwrite, sub, String(P), String(C), String(G), String(S)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

test.serial("writev and readv: one operation per call, the bytes each call returned", (t) => {
  const V = 25;
  const perCall = 100 + 1000 + 3000;
  const total = V * perCall; // 102500
  // readv of 2 x 4096 until it returns 0: 12 full calls, one of 4196 bytes, one of 0.
  const readvCalls = Math.ceil(total / 8192) + 1;
  t.is(readvCalls, 14);
  const out = path.join(dir, "vectored.dat");
  const argv = [bin.vectored, out, String(V)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

function socketEntries(report) {
  const sockets = report.files.filter((f) => f.kind === "socket").map(fileCounts).map(({ path: p, ...rest }) => ({ socket: /^socket:\[\d+\]$/.test(p), ...rest }));
  const pipes = report.files.filter((f) => f.kind === "pipe").map(fileCounts).map(({ path: p, ...rest }) => ({ pipe: /^pipe:\[\d+\]$/.test(p), ...rest }));
  return { sockets, pipes };
}

test.serial("socket and pipe I/O is kept out of the file summary and reported under otherFds", (t) => {
  const out = path.join(dir, "sockets.dat");
  const argv = [bin.sockets, out, String(F), String(Q), String(R)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.false(report.allFds);
  t.deepEqual(counts(report.summary), totals(0, 0, F, FILE_BYTES));
  t.deepEqual(counts(report.otherFds), totals(Q + R, OTHER_READ, Q + R, OTHER_WRITE));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: F, readBytes: 0, writeBytes: FILE_BYTES });
  const { sockets, pipes } = socketEntries(report);
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

test.serial("--all-fds counts socket and pipe I/O in the summary", (t) => {
  const out = path.join(dir, "sockets-all.dat");
  const argv = [bin.sockets, out, String(F), String(Q), String(R)];
  const { status, report, stderr } = runCliJson(["--all-fds", "--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
  t.true(report.allFds);
  t.deepEqual(counts(report.summary), totals(Q + R, OTHER_READ, F + Q + R, FILE_BYTES + OTHER_WRITE));
  t.deepEqual(counts(report.otherFds), totals(Q + R, OTHER_READ, Q + R, OTHER_WRITE));
  t.deepEqual(binTotals(report.histogram.write), { count: F + Q + R, sum: FILE_BYTES + OTHER_WRITE });
  t.deepEqual(binTotals(report.histogram.read), { count: Q + R, sum: OTHER_READ });
  t.true(stderr.includes("socket:["), "sockets are listed among the files with --all-fds");
});

test.serial("failing calls are not operations: EBADF and EISDIR counted apart, by errno", (t) => {
  const E = 3; // read on a closed fd
  const D = 2; // read on a directory
  const W = 4; // write on a read-only fd
  const G = 6; // good reads of 100 bytes
  const data = path.join(dir, "badreads.dat");
  fs.writeFileSync(data, Buffer.alloc(4096, 1));
  const sub = fs.mkdtempSync(path.join(dir, "a-directory-"));
  const argv = [bin.badreads, sub, data, String(E), String(D), String(W), String(G)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

test.serial("a short read at the end of the file and the final 0-byte read are operations", (t) => {
  const data = path.join(dir, "eof.dat");
  fs.writeFileSync(data, Buffer.alloc(10_000, 7));
  const argv = [bin.eof, data, "4096"];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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

test.serial("sendfile and copy_file_range: a read of the source and a write of the destination per call", (t) => {
  const size = 40_000;
  const chunk = 8192;
  const src = path.join(dir, "transfer-src.dat");
  const dst = path.join(dir, "transfer-dst.dat");
  fs.writeFileSync(src, patternBuffer(10, 4000));
  const calls = Math.ceil(size / chunk) + 1; // 5 calls that move data, 1 that returns 0
  t.is(calls, 6);
  const argv = [bin.transfer, src, dst, String(chunk)];
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertCleanRun(t, report, argv);
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
