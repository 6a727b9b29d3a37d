/**
 * `iops import` of strace logs written by real strace runs of ground-truth
 * workloads, with every combination of flags the parser reads (-f, -y, -yy,
 * -T, -t, -tt, -ttt, the Python iops-profiler's own -e trace=...), plus
 * crafted logs for what real runs do not produce on demand (garbage lines,
 * a log cut mid-line).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import test from "ava";

import {
  CLI,
  FIXTURES,
  ROOT,
  compileFixtures,
  counts,
  fileCounts,
  fileEntry,
  importJson,
  iops,
  makeTempDir,
  runCli,
  runCliJson,
  spawnCli,
  totals,
  waitFor,
} from "./_support/util.mjs";

let dir;
let bin;

const THREADS = 3;
const COUNT = 200;
const SIZE = 64;

/** The data calls the Python iops-profiler traces (its STRACE_IO_SYSCALLS). */
const REFERENCE_CALLS = "read,write,pread64,pwrite64,readv,writev,preadv,pwritev,preadv2,pwritev2";

test.before(() => {
  dir = makeTempDir("iops-strace-import-");
  bin = compileFixtures(dir, ["sockets", "access", "chatty", "writes", "fdshare", "shared"]);
  const rw = path.join(dir, "randwrites");
  const r = spawnSync("gcc", ["-O2", "-static", "-Wall", "-Werror", "-pthread", "-o", rw, path.join(FIXTURES, "strace", "randwrites.c")], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`gcc failed for fixtures/strace/randwrites.c:\n${r.stderr}`);
  bin.randwrites = rw;
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `argv` under real strace with `flags`, writing the log to a file; returns its path. */
function straceLog(name, flags, argv) {
  const log = path.join(dir, `${name}.log`);
  const r = spawnSync("strace", [...flags, "-o", log, "--", ...argv], { encoding: "utf8" });
  if (r.error) throw new Error(`strace could not run (install it: apt-get install strace): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`strace ${flags.join(" ")} failed (${r.status}): ${r.stderr}`);
  return log;
}

const randArgv = (sub) => [bin.randwrites, path.join(dir, sub), String(THREADS), String(COUNT), String(SIZE)];

/** Ground truth of randwrites: per thread COUNT writes and COUNT preads of SIZE random bytes; one EBADF read. */
function assertRandwrites(t, report, sub, { files }) {
  t.deepEqual(counts(report.summary), totals(THREADS * COUNT, THREADS * COUNT * SIZE, THREADS * COUNT, THREADS * COUNT * SIZE));
  t.deepEqual(report.failedOps, { total: 1, byErrno: { EBADF: 1 } });
  const warnings = report.warnings.join("\n");
  t.notRegex(warnings, /not understood|never returned|cut short/);
  if (files) {
    for (let i = 0; i < THREADS; i++) {
      const p = path.join(dir, sub, `rand-${i}.dat`);
      t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: COUNT, writeOps: COUNT, readBytes: COUNT * SIZE, writeBytes: COUNT * SIZE });
    }
  }
}

const FLAG_SETS = [
  { name: "yy-T-ttt", flags: ["-f", "-yy", "-T", "-ttt"], files: true, latency: true, clock: true },
  { name: "y-tt", flags: ["-f", "-y", "-tt"], files: true, latency: false, clock: true },
  { name: "y-t-s200", flags: ["-f", "-y", "-t", "-s", "200"], files: true, latency: false, clock: true },
  { name: "T-xx", flags: ["-f", "-T", "-xx"], files: false, latency: true, clock: false },
  { name: "yy-r-T", flags: ["-f", "-yy", "-r", "-T"], files: true, latency: true, clock: true },
  // -r beside an absolute clock: `16:56:21.309011 (+     0.000432) brk(NULL) = ...`.
  { name: "y-r-tt", flags: ["-f", "-y", "-r", "-tt"], files: true, latency: false, clock: true },
  { name: "yy-r-ttt-T", flags: ["-f", "-yy", "-r", "-ttt", "-T"], files: true, latency: true, clock: true },
  {
    name: "ns-i-n",
    flags: ["-f", "-y", "-i", "-n", "--absolute-timestamps=format:unix,precision:ns", "--syscall-times=ns"],
    files: true,
    latency: true,
    clock: true,
  },
  { name: "Y-y-x", flags: ["-f", "-Y", "-y", "-x"], files: true, latency: false, clock: false },
  { name: "plain", flags: ["-f"], files: false, latency: false, clock: false },
];

for (const fs_ of FLAG_SETS) {
  test.serial(`random data across ${THREADS} threads, strace ${fs_.flags.join(" ")}: exact counts, files, latency and clock as the flags allow`, (t) => {
    fs.mkdirSync(path.join(dir, fs_.name));
    const log = straceLog(fs_.name, fs_.flags, randArgv(fs_.name));
    const text = fs.readFileSync(log, "utf8");
    t.regex(text, /<unfinished \.\.\.>/, "the threads' calls did interleave");
    const { status, report, stderr } = importJson([log]);
    t.is(status, 0, stderr);
    t.is(report.method, "strace-log");
    assertRandwrites(t, report, fs_.name, fs_);
    t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
    t.is(report.files === null, !fs_.files);
    t.is(report.allFds, !fs_.files, "without -y every fd is counted");
    t.is(report.latency === null, !fs_.latency);
    if (fs_.latency) t.is(report.latency.write.count, THREADS * COUNT);
    t.is(report.elapsedSeconds === null, !fs_.clock);
    t.is(report.timeline === null, !fs_.clock);
    if (fs_.clock) {
      // -t counts whole seconds: a short run may start and end in the same one.
      t.true(fs_.flags.includes("-t") ? report.elapsedSeconds >= 0 : report.elapsedSeconds > 0);
      const sum = report.timeline.points.reduce((a, p) => a + p.writeOps, 0);
      t.is(sum, THREADS * COUNT);
    } else {
      t.is(report.summary.iops, null);
      t.regex(report.warnings.join("\n"), /no timestamps/);
    }
  });
}

test.serial("files, sockets and pipes are told apart with -yy; -y alone; counted together without", (t) => {
  const out = path.join(dir, "sockets.dat");
  const argv = [bin.sockets, out, "7", "5", "3"];
  const yy = importJson([straceLog("sock-yy", ["-f", "-yy"], argv)]).report;
  const y = importJson([straceLog("sock-y", ["-f", "-y"], argv)]).report;
  const none = importJson([straceLog("sock-none", ["-f"], argv)]).report;
  for (const r of [yy, y]) {
    t.deepEqual(counts(r.summary), totals(0, 0, 7, 7 * 512));
    t.deepEqual(counts(r.otherFds), totals(5 + 3, 5 * 100 + 3 * 50, 5 + 3, 5 * 100 + 3 * 50));
    t.deepEqual(fileEntry(r, out), { path: out, kind: "file", readOps: 0, writeOps: 7, readBytes: 0, writeBytes: 7 * 512 });
    const sockets = r.files.filter((f) => f.kind === "socket");
    t.is(sockets.reduce((a, f) => a + f.writeOps, 0), 5);
    t.is(sockets.reduce((a, f) => a + f.readBytes, 0), 500);
    const pipes = r.files.filter((f) => f.kind === "pipe");
    t.is(pipes.reduce((a, f) => a + f.readOps + f.writeOps, 0), 6);
  }
  t.true(yy.files.some((f) => f.path.startsWith("UNIX")), "-yy names the socket's protocol");
  t.deepEqual(counts(none.summary), totals(8, 650, 15, 7 * 512 + 650));
  t.true(none.allFds);
  t.is(none.otherFds, null);
});

test.serial("a log written with the Python iops-profiler's flags (-f -e trace=<its ten data calls>) imports, counting every fd", (t) => {
  fs.mkdirSync(path.join(dir, "ref"));
  const log = straceLog("ref", ["-f", "-e", `trace=${REFERENCE_CALLS}`], randArgv("ref"));
  t.regex(fs.readFileSync(log, "utf8"), /^\d+ +write\(\d+, "/m, "pid-prefixed lines without fd annotations");
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  assertRandwrites(t, report, "ref", { files: false });
  t.is(report.metadataOps, null, "metadata calls were not traced");
  t.regex(report.warnings.join("\n"), /without -y[^]*summary counts every fd/);
  t.regex(report.warnings.join("\n"), /metadata calls are unknown/);
});

test.serial("escape-heavy previews (every byte value, -s 1024) with the reference's flags: exact counts and bytes from the file and from standard input", (t) => {
  // 1 KiB records of random bytes shown whole: lines of about 3.5 KB, nearly all octal escapes, split across threads.
  const size = 1024;
  const count = 100;
  fs.mkdirSync(path.join(dir, "escapes"));
  const argv = [bin.randwrites, path.join(dir, "escapes"), String(THREADS), String(count), String(size)];
  const log = straceLog("escapes", ["-f", "-e", `trace=${REFERENCE_CALLS}`, "-s", String(size)], argv);
  const text = fs.readFileSync(log, "latin1");
  t.true((text.match(/\\[0-7]{1,3}/g) ?? []).length > THREADS * count * size, "previews are mostly octal escapes");
  t.regex(text, /<unfinished \.\.\.>/);
  t.regex(text, /\\"/, "an escaped quote in some preview");
  for (const args of [[log], ["-"]]) {
    const { status, report, stderr } = importJson(args, args[0] === "-" ? fs.readFileSync(log) : undefined);
    t.is(status, 0, stderr);
    t.deepEqual(counts(report.summary), totals(THREADS * count, THREADS * count * size, THREADS * count, THREADS * count * size), args[0]);
    t.deepEqual(report.failedOps, { total: 1, byErrno: { EBADF: 1 } });
    t.notRegex(report.warnings.join("\n"), /not understood|never returned|cut short/);
  }
});

test.serial("a log of many MiB, lexed ahead on the reading thread: exact counts, the same report with --format, detected, and from standard input", (t) => {
  // The reference-flags log of randwrites, 40 times over: lines cut by the
  // 1 MiB blocks the reading thread lexes, calls split across threads.
  fs.mkdirSync(path.join(dir, "many"));
  const one = fs.readFileSync(straceLog("many", ["-f", "-e", `trace=${REFERENCE_CALLS}`], randArgv("many")));
  const copies = 40;
  const log = path.join(dir, "many-copies.log");
  fs.writeFileSync(log, Buffer.concat(Array(copies).fill(one)));
  t.true(fs.statSync(log).size > 4 << 20, "several blocks of the reading thread");
  const reports = [importJson([log]), importJson(["--format", "strace", log]), importJson(["-"], fs.readFileSync(log))].map((r) => {
    t.is(r.status, 0, r.stderr);
    return r.report;
  });
  const [detected, named, stdin] = reports;
  t.deepEqual(counts(detected.summary), totals(copies * THREADS * COUNT, copies * THREADS * COUNT * SIZE, copies * THREADS * COUNT, copies * THREADS * COUNT * SIZE));
  t.deepEqual(detected.failedOps, { total: copies, byErrno: { EBADF: copies } });
  t.notRegex(detected.warnings.join("\n"), /not understood|never returned|cut short/);
  for (const r of [named, stdin]) {
    t.deepEqual(r.summary, detected.summary);
    t.deepEqual(r.failedOps, detected.failedOps);
    t.deepEqual(r.warnings, detected.warnings);
  }
});

/** The reference-flags log of randwrites, `copies` times over (calls split across threads): exact counts known. */
function manyCopies(name, copies) {
  fs.mkdirSync(path.join(dir, name));
  const one = fs.readFileSync(straceLog(name, ["-f", "-e", `trace=${REFERENCE_CALLS}`], randArgv(name)));
  const log = path.join(dir, `${name}-copies.log`);
  fs.writeFileSync(log, Buffer.concat(Array(copies).fill(one)));
  return log;
}

test.serial("importTrace() of a log file reads it off the event loop: timers run meanwhile, and the counts are exact", async (t) => {
  const copies = 40;
  const log = manyCopies("loop", copies);
  // A blocking import (as before) lets no timer fire until it has returned.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const report = await iops.importTrace(log).finally(() => clearInterval(timer));
  t.true(ticks > 0, "the event loop ran while the file was imported");
  t.deepEqual(counts(report.summary), totals(copies * THREADS * COUNT, copies * THREADS * COUNT * SIZE, copies * THREADS * COUNT, copies * THREADS * COUNT * SIZE));
  t.deepEqual(report.failedOps, { total: copies, byErrno: { EBADF: copies } });
});

test.serial("a file import cancelled at once (iops import with an output path it cannot write) rejects, and says so", async (t) => {
  const { native } = createRequire(import.meta.url)(path.join(ROOT, "dist", "native.js"));
  const log = manyCopies("cancel", 40);
  const started = new native.FileImport(log, {});
  started.cancel();
  await t.throwsAsync(started.report(), { message: /cancelled/ });
  // The same file, not cancelled: read to its end, once.
  const whole = new native.FileImport(log, { format: "strace" });
  const report = JSON.parse(await whole.report());
  t.deepEqual(counts(report.summary), totals(40 * THREADS * COUNT, 40 * THREADS * COUNT * SIZE, 40 * THREADS * COUNT, 40 * THREADS * COUNT * SIZE));
  await t.throwsAsync(whole.report(), { message: /already called/ });
  t.throws(() => new native.FileImport(log, { format: "no-such-format" }), { message: /unknown trace format "no-such-format"/ });
});

test.serial("standard input (-), and the same figures as from the file", (t) => {
  const log = straceLog("stdin", ["-f", "-yy"], [bin.sockets, path.join(dir, "stdin.dat"), "4", "2", "1"]);
  const fromFile = importJson([log]).report;
  const fromStdin = importJson(["-"], fs.readFileSync(log)).report;
  t.deepEqual(counts(fromStdin.summary), totals(0, 0, 4, 2048));
  t.deepEqual(fromStdin.summary, fromFile.summary);
  t.deepEqual(fromStdin.files, fromFile.files);
});

test.serial("garbage lines and a log cut mid-line: counted in warnings with the first example, never an abort", (t) => {
  const log = straceLog("cut", ["-f", "-yy", "-T"], [bin.sockets, path.join(dir, "cut.dat"), "10", "0", "0"]);
  const lines = fs.readFileSync(log, "utf8").split("\n");
  const writes = lines.filter((l) => /write\(3</.test(l));
  t.is(writes.length, 10);
  // Garbage after the 2nd line, and the log cut in the middle of the last write.
  const last = lines.findLastIndex((l) => /write\(3</.test(l));
  const cut = [...lines.slice(0, 2), "this is not strace", "\u0001\u0002((((", ...lines.slice(2, last), lines[last].slice(0, 30)].join("\n");
  const { status, report, stderr } = importJson(["-"], cut);
  t.is(status, 0, stderr);
  t.is(report.summary.writeOps, 9);
  const w = report.warnings.join("\n");
  t.regex(w, /2 lines were not understood and skipped \(first, line 3: "this is not strace"\)/);
  t.regex(w, /last line \(line \d+\) is cut short/);
});

test.serial("importTrace(): chunks of any size (1 byte, 7, 4096) give the report of the whole file", async (t) => {
  const log = straceLog("chunks", ["-f", "-yy", "-T", "-ttt"], [bin.sockets, path.join(dir, "chunks.dat"), "5", "3", "2"]);
  const data = fs.readFileSync(log);
  const whole = await iops.importTrace(log);
  t.deepEqual(counts(whole.summary), totals(0, 0, 5, 5 * 512));
  for (const size of [1, 7, 4096]) {
    const chunks = [];
    for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
    const r = await iops.importTrace(chunks);
    t.deepEqual(r, whole, `chunks of ${size}`);
  }
});

test.serial("a FIFO (not a regular file) is read once, as a stream", async (t) => {
  const log = straceLog("fifo-src", ["-f", "-yy"], [bin.sockets, path.join(dir, "fifo.dat"), "6", "0", "0"]);
  const fifo = path.join(dir, "trace.fifo");
  spawnSync("mkfifo", [fifo]);
  const writer = spawn("sh", ["-c", `cat '${log}' > '${fifo}'`], { stdio: "ignore" });
  const { status, report, stderr } = importJson([fifo]);
  await new Promise((resolve) => writer.on("close", resolve));
  t.is(status, 0, stderr);
  t.deepEqual(counts(report.summary), totals(0, 0, 6, 6 * 512));
});

test.serial("text output: the usual table, from a file; --histogram", (t) => {
  const log = straceLog("table", ["-f", "-yy", "-T", "-ttt"], [bin.sockets, path.join(dir, "table.dat"), "3", "1", "1"]);
  const r = runCli(["import", "--histogram", log]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /IOPS Profile Results \(strace log; files\)/);
  t.regex(r.stdout, /Write Operations: +3\n/);
  t.regex(r.stdout, /Operations by size/);
});

test("unknown input format and a missing file: one line each, exit 1", (t) => {
  const junk = path.join(dir, "junk.txt");
  fs.writeFileSync(junk, "hello\nworld\n");
  const a = runCli(["import", junk]);
  t.is(a.status, 1);
  // The known formats are the core's registry (parse/formats.rs), strace's and fs_usage's among them.
  const known = createRequire(import.meta.url)(path.join(ROOT, "dist", "native.js")).native.traceFormats();
  t.true(known.includes("strace") && known.includes("fs_usage"), known.join(", "));
  t.true(
    a.stderr.startsWith("iops: cannot import ") &&
      a.stderr.endsWith(`junk.txt: cannot tell the format of this input (known: ${known.join(", ")}); give it with --format\n`),
    a.stderr,
  );
  const b = runCli(["import", path.join(dir, "nope.log")]);
  t.is(b.status, 1);
  t.regex(b.stderr, /^iops: cannot import .*nope\.log: no such file\n$/);
  const c = runCli(["import", "--format", "nonsense", junk]);
  t.is(c.status, 2);
});

test("a log given the wrong --format: one line naming the format it reads as, exit 1, never a report of zeros", (t) => {
  const log = straceLog("wrong-format", ["-f", "-yy", "-ttt", "-T"], [bin.writes, path.join(dir, "wrong-format.dat"), "20", "100"]);
  const r = runCli(["import", "--format", "fs_usage", log]);
  t.is(r.status, 1, r.stdout);
  t.is(r.stdout, "", "no table of zeros");
  t.regex(r.stderr, /^iops: cannot import .*wrong-format\.log: this input is not a fs_usage trace \(\d+ of its first \d+ lines are not fs_usage lines\): it reads as strace; give --format strace, or leave --format out\n$/);
  // The right format given, or none: the 20 writes.
  for (const args of [["--format", "strace", log], [log]]) {
    const { status, report } = importJson(args);
    t.is(status, 0);
    t.is(fileEntry(report, path.join(dir, "wrong-format.dat")).writeOps, 20);
  }
});

test("a -ttt log knows its wall-clock start (startedAt), so iops merge lines imports up; a -tt log does not say a date", (t) => {
  const before = Date.now();
  const ttt = straceLog("wall-ttt", ["-f", "-yy", "-ttt", "-T"], [bin.writes, path.join(dir, "wall.dat"), "5", "10"]);
  const after = Date.now();
  const tt = straceLog("wall-tt", ["-f", "-yy", "-tt", "-T"], [bin.writes, path.join(dir, "wall2.dat"), "5", "10"]);
  const a = importJson([ttt]).report;
  t.true(a.startedAt >= before - 1 && a.startedAt <= after, `${a.startedAt} within [${before}, ${after}]`);
  t.is(importJson([tt]).report.startedAt, null);
  // Two -ttt imports merge into a job with a duration; a -tt one leaves it unknown, and says why.
  const b = straceLog("wall-ttt2", ["-f", "-yy", "-ttt", "-T"], [bin.writes, path.join(dir, "wall3.dat"), "5", "10"]);
  const saved = (name, log) => {
    const out = path.join(dir, name);
    t.is(runCli(["import", "--json", out, log]).status, 0);
    return out;
  };
  const m = runCli(["merge", saved("m1.json", ttt), saved("m2.json", b)]);
  t.is(m.status, 0, m.stderr);
  t.regex(m.stdout, /Execution Time: +\d+\.\d{4} seconds/);
  const u = runCli(["merge", saved("m3.json", ttt), saved("m4.json", tt)]);
  t.is(u.status, 0, u.stderr);
  t.regex(u.stdout, /Execution Time: +unknown \(not every merged report has a wall-clock start\)/);
});

// ------------------------------------------------------- access patterns

/** Workloads of fixtures/access.c (see pattern.spec.mjs for their ground truth): [mode, data file bytes or null, count, size, stride]. */
const ACCESS_MODES = [
  ["read-seq", 200 * 4096, 200, 4096],
  ["skip-then-read", 201 * 1000, 200, 1000],
  ["write-seq", null, 200, 512],
  ["read-backwards", 200 * 2048, 200, 2048],
  ["lseek-random", 1000 * 4096, 200, 4096, 1000],
  ["pread-strided", 200 * 4096, 200, 512, 4096],
];

const patternOf = (row) => ({ pattern: row.pattern, readAccess: row.readAccess, writeAccess: row.writeAccess });

/** Runs access.c's `mode` under our tracer and under `strace -f -yy`; returns both rows of its file and the import's report. */
function accessBoth(t, [mode, bytes, ...rest]) {
  const file = path.join(dir, `access-${mode}.dat`);
  if (bytes !== null) fs.writeFileSync(file, Buffer.alloc(bytes));
  const argv = [bin.access, mode, file, ...rest.map(String)];
  // Our ptrace tracer, asked for: it reads an O_APPEND fd's end at the call (eBPF reads it late, see pattern.spec.mjs).
  const ours = runCliJson(["--method", "ptrace", "--", ...argv]);
  t.is(ours.status, 0, ours.stderr);
  const log = straceLog(`access-${mode}`, ["-f", "-yy"], argv);
  const imported = importJson([log]);
  t.is(imported.status, 0, imported.stderr);
  const row = (r) => r.files.find((f) => f.path === file);
  return { ours: row(ours.report), strace: row(imported.report), report: imported.report };
}

for (const workload of ACCESS_MODES) {
  test.serial(`access patterns from a strace -f -yy log equal our tracer's: ${workload[0]}`, (t) => {
    const { ours, strace, report } = accessBoth(t, workload);
    t.deepEqual(patternOf(strace), patternOf(ours));
    t.is((strace.readAccess?.unknownOps ?? 0) + (strace.writeAccess?.unknownOps ?? 0), 0);
    t.deepEqual(report.warnings.filter((w) => /access pattern/.test(w)), []);
  });
}

test.serial("O_APPEND writes from a strace log: unknown (the file's end is not in the log), never guessed, and said", (t) => {
  const { ours, strace, report } = accessBoth(t, ["append", 1000, 200, 100]);
  t.is(ours.writeAccess.sequentialOps, 200);
  t.deepEqual(strace.writeAccess, { pattern: "unknown", sequentialOps: 0, stridedOps: 0, randomOps: 0, unknownOps: 200, smallOps: 200, strideBytes: null });
  t.deepEqual(report.warnings.filter((w) => /access pattern/.test(w)), [
    "strace log: the access pattern of 200 O_APPEND write(s) is unknown: they land at the file's end, which the log does not show",
  ]);
});

test.serial("a log traced without lseek (-e trace= of opens and data calls): read offsets unknown, and said once", (t) => {
  const file = path.join(dir, "nolseek.dat");
  fs.writeFileSync(file, Buffer.alloc(200 * 2048));
  const log = straceLog("nolseek", ["-f", "-yy", "-e", `trace=openat,close,${REFERENCE_CALLS}`], [bin.access, "read-backwards", file, "200", "2048"]);
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  const row = report.files.find((f) => f.path === file);
  t.deepEqual(row.readAccess, { pattern: "unknown", sequentialOps: 0, stridedOps: 0, randomOps: 0, unknownOps: 200, smallOps: 200, strideBytes: null });
  t.deepEqual(report.warnings.filter((w) => /access pattern/.test(w)), [
    "strace log: the access pattern of 200 read/write call(s) that name no offset is unknown: the log shows opens but no lseek (strace -e trace= without lseek?), so fd positions cannot be followed",
  ]);
});

// ------------------------------------------------------------------ --html

test.serial("import --html: the page of an imported log, as iops report renders its JSON, with the log's file name escaped", (t) => {
  const evil = path.join(dir, `x<img src=x onerror=alert(1)>&"q".dat`);
  const log = straceLog("html", ["-f", "-yy", "-T", "-ttt"], [bin.access, "write-seq", evil, "20", "512"]);
  const page = path.join(dir, "import.html");
  const r = runCli(["import", "--html", page, log]);
  t.is(r.status, 0, r.stderr);
  t.true(r.stderr.includes(`iops: HTML report written to ${page}`), r.stderr);
  t.regex(r.stdout, /IOPS Profile Results \(strace log; files\)/, "the table still on stdout");
  const html = fs.readFileSync(page, "utf8");
  const { report } = importJson([log]);
  t.is(fileEntry(report, evil).writeOps, 20, "the log's file, by its real name");
  t.true(html === iops.reportPage(report), "the page of the imported report");
  t.false(html.includes("<img"), "the name never as markup");
  t.true(html.includes("x&#60;img src=x onerror=alert(1)&#62;&#38;&#34;q&#34;.dat"));
  const toStdout = runCli(["import", "--html", "-", log]);
  t.is(toStdout.status, 0, toStdout.stderr);
  t.is(toStdout.stdout, html, "--html - writes the page to stdout");
  t.regex(toStdout.stderr, /IOPS Profile Results/, "...and the table to stderr");
  const both = runCli(["import", "--json", "-", "--html", "-", log]);
  t.is(both.status, 2);
  t.is(both.stderr, "iops: only one of --json and --html can go to stdout (-)\n");
});

// ------------------------------------------------ what the input is, and when it comes

test("a log whose first line is over 64 KiB (a 70,000-byte data preview): detected as strace, 2 writes of 70,001 bytes", (t) => {
  // Field case (issue item 15).
  const log = path.join(FIXTURES, "strace", "strace_long_first_line.log");
  t.true(fs.readFileSync(log, "utf8").indexOf("\n") > 64 * 1024);
  for (const [how, args, input] of [["a file", [log]], ["standard input", ["-"], fs.readFileSync(log)]]) {
    const { status, report, stderr } = importJson(args, input);
    t.is(status, 0, `${how}: ${stderr}`);
    t.is(report.method, "strace-log", how);
    t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [2, 70_001], how);
  }
});

test.serial("a first line of 10 MiB (longer than a line may be): still detected by the lines after it, and said", (t) => {
  const log = path.join(dir, "huge-first-line.log");
  const huge = 10 << 20;
  fs.writeFileSync(log, `1234  write(3, "${"a".repeat(huge)}", ${huge}) = ${huge}\n1234  write(3, "b", 1) = 1\n1234  +++ exited with 0 +++\n`);
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.is(report.method, "strace-log");
  // The line over 1 MiB is read from its first MiB and its end (G7, round 19: it was
  // skipped as "not understood", 1 write of 1 B, where the log shows 2 writes of
  // 10,485,761 B): its call and strace's result, `= 10485760`, count as they are.
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [2, huge + 1]);
  t.notRegex(report.warnings.join("\n"), /not understood/);
});

test("the traced program's output interleaved with strace's (field case): detected as strace, 2 writes of 20 bytes", (t) => {
  const log = path.join(FIXTURES, "strace", "strace_app_output_interleaved.log");
  const { status, report, stderr } = importJson(["--all-fds", log]);
  t.is(status, 0, stderr);
  t.is(report.method, "strace-log");
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [2, 20]);
  const w = report.warnings.join("\n");
  t.regex(w, /1 call\(s\) were cut in two by the traced program's own output/);
  t.notRegex(w, /not understood|cut short/);
});

/** Bytes chatty.c writes in `count` calls (see its header). */
const chattyBytes = (count) =>
  Array.from({ length: count }, (_, i) => (i % 2 ? `part ${i} (unclosed "quote` : `line ${i}: ok\n`).length).reduce((a, b) => a + b, 0);

for (const flags of [[], ["-f", "-y"]]) {
  test.serial(`strace ${flags.join(" ")} ./app 2>&1 | iops import -: the program's output inside strace's lines, every write counted`, (t) => {
    const N = 40;
    const json = path.join(dir, `chatty${flags.join("")}.json`);
    const r = spawnSync(
      "sh",
      ["-c", `strace ${flags.join(" ")} '${bin.chatty}' ${N} 2>&1 | '${process.execPath}' '${CLI}' import --all-fds --json '${json}' -`],
      { encoding: "utf8", timeout: 120_000 },
    );
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    t.is(report.method, "strace-log");
    t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [N, chattyBytes(N)]);
    t.deepEqual(report.failedOps, { total: 0, byErrno: {} });
    const w = report.warnings.join("\n");
    t.regex(w, new RegExp(`${N} call\\(s\\) were cut in two`));
    t.notRegex(w, /not understood|cut short|never returned/);
  });
}

test.serial("strace -t (whole seconds) of a run within one second: elapsed 0, IOPS and throughput unknown (not 0), and said", (t) => {
  // A run of a few milliseconds: retried in the rare case it straddles a second.
  let report;
  let text;
  for (let attempt = 0; attempt < 5; attempt++) {
    const log = straceLog(`t-whole-${attempt}`, ["-f", "-y", "-t"], [bin.sockets, path.join(dir, "t-whole.dat"), "3", "0", "0"]);
    ({ report } = importJson([log]));
    text = runCli(["import", log]).stdout;
    if (report.elapsedSeconds === 0) break;
  }
  t.is(report.elapsedSeconds, 0, "five runs each straddled a second");
  t.deepEqual(counts(report.summary), totals(0, 0, 3, 3 * 512));
  t.is(report.summary.iops, null);
  t.is(report.summary.throughputBytesPerSecond, null);
  t.regex(text, /^IOPS: +unknown \(no time passed on the trace's clock\)$/m);
  t.regex(text, /^Throughput: +unknown \(no time passed on the trace's clock\)$/m);
  t.regex(report.warnings.join("\n"), /timestamps in whole seconds \(strace -t\)/);
});

test("/dev/zero (an endless line of NUL bytes): a one-line error and exit 1, with or without --format", (t) => {
  for (const args of [["--format", "strace", "/dev/zero"], ["/dev/zero"], ["--format", "fs_usage", "/dev/zero"]]) {
    // The timeout only guards against a hang; the import ends on its own.
    const r = runCli(["import", ...args], { timeout: 300_000 });
    t.is(r.signal, null, `${args.join(" ")}: killed by the hang guard`);
    t.is(r.status, 1, args.join(" "));
    t.regex(r.stderr, /^iops: cannot import \/dev\/zero: (line 1 runs past 64 MiB|no line end in the first 8 MiB)[^\n]*: this input is not a text trace\n$/, args.join(" "));
  }
});

test.serial("a gzip'd log, a UTF-16 log, /dev/urandom: one line saying what the input is, exit 1, with or without --format", (t) => {
  const log = straceLog("not-text", ["-f", "-yy"], [bin.sockets, path.join(dir, "not-text.dat"), "3", "0", "0"]);
  const gz = `${log}.gz`;
  t.is(spawnSync("sh", ["-c", `gzip -c '${log}' > '${gz}'`]).status, 0);
  const utf16 = `${log}.utf16`;
  t.is(spawnSync("sh", ["-c", `iconv -f UTF-8 -t UTF-16 '${log}' > '${utf16}'`]).status, 0);
  const cases = [
    [gz, /it is gzip-compressed: decompress it first \(gzip -dc LOG \| iops import -\)/],
    [utf16, /it is UTF-16 text: convert it first \(iconv -f UTF-16 -t UTF-8 LOG \| iops import -\)/],
    ["/dev/urandom", /it is binary data, not a text trace/],
  ];
  for (const [input, why] of cases) {
    for (const args of [[input], ["--format", "strace", input], ["--format", "fs_usage", input]]) {
      // The timeout only guards against a hang (an endless read of /dev/urandom); the import ends on its own.
      const r = runCli(["import", ...args], { timeout: 120_000 });
      t.is(r.signal, null, `${args.join(" ")}: killed by the hang guard`);
      t.is(r.status, 1, args.join(" "));
      t.is(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
      t.regex(r.stderr, new RegExp(`^iops: cannot import ${input.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: ${why.source}\n$`), args.join(" "));
    }
  }
  // The same log, uncompressed: 3 writes of 512 bytes.
  t.deepEqual(counts(importJson([log]).report.summary), totals(0, 0, 3, 3 * 512));
});

test.serial("a FIFO with no writer: says it waits for one, then imports what the writer sends", async (t) => {
  const log = straceLog("fifo-wait", ["-f", "-yy"], [bin.sockets, path.join(dir, "fifo-wait.dat"), "3", "0", "0"]);
  const fifo = path.join(dir, "wait.fifo");
  spawnSync("mkfifo", [fifo]);
  const cli = spawnCli(["import", "--json", "-", fifo]);
  await waitFor(() => cli.output().stderr.includes(`iops: waiting for a writer on FIFO ${fifo} ...`), "the waiting notice", 60_000);
  fs.writeFileSync(fifo, fs.readFileSync(log));
  const { status, stdout, stderr } = await cli.done;
  t.is(status, 0, stderr);
  t.deepEqual(counts(JSON.parse(stdout).summary), totals(0, 0, 3, 3 * 512));
  t.is(stderr.split("\n").filter((l) => l.includes("waiting")).length, 1, "said once");
});

test.serial("standard input that stays silent: says it waits for input", async (t) => {
  const child = spawn(process.execPath, [CLI, "import", "-"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) => child.on("close", (status) => resolve(status)));
  await waitFor(() => stderr.includes("iops: waiting for input on standard input ..."), "the waiting notice", 60_000);
  child.stdin.end("hello\n");
  t.is(await done, 1);
  t.regex(stderr, /cannot tell the format of this input/);
});

// ------------------------------------------------------- command line

test("options read the same on the usual path and through commander (an option given twice)", (t) => {
  const log = path.join(dir, "three-files.log");
  const line = (file, n) => Array.from({ length: n }, () => `42 write(3</tmp/${file}>, "x", 1) = 1\n`).join("");
  fs.writeFileSync(log, line("a", 3) + line("b", 2) + line("c", 1));
  // The usual path: Node's own argument parser.
  const plain = runCli(["import", "--format", "strace", "--top", "2", "--json", "-", log]);
  t.is(plain.status, 0, plain.stderr);
  const report = JSON.parse(plain.stdout);
  t.deepEqual(counts(report.summary), totals(0, 0, 6, 6));
  t.regex(plain.stderr, /\/tmp\/a/);
  t.regex(plain.stderr, /\/tmp\/b/);
  t.notRegex(plain.stderr, /\/tmp\/c/);
  // `--top` twice goes to commander, which keeps the last.
  const twice = runCli(["import", "--format=strace", "--top", "9", "--top=2", "--json", "-", log]);
  t.is(twice.status, 0, twice.stderr);
  t.is(twice.stderr, plain.stderr);
  t.deepEqual(JSON.parse(twice.stdout), report);
  // Values the usual path refuses reach commander's messages.
  const bad = runCli(["import", "--top", "0", log]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--top <n>' argument '0' is invalid\. expected a whole number from 1 to/);
});

// ------------------------------------------------ fds shared across fork, vfork, threads and exec
//
// fixtures/fdshare.c opens one file and writes COUNT records of SIZE bytes
// through that one open file description from two places in turn (three
// for exec): the file is written 0 to the end in order, every write
// sequential (it checks the file's size itself). The committed logs
// (fixtures/strace/fdshare-<mode>.log) are real strace 6.1 runs of it,
// `strace -f -y -T -ttt -o LOG fdshare <mode> /tmp/iops-fdshare/<mode>.dat 5 10`:
// the vfork log shows the child's writes before vfork returns.

const FDSHARE = { count: 5, size: 10 };
const FDSHARE_MODES = [
  ["fork", 2, "a forked child, then its parent"],
  ["thread", 2, "a thread (CLONE_FILES: one fd table), then the opener"],
  ["vfork", 2, "a vforked child (logged before vfork returns), then its parent"],
  ["exec", 3, "the opener, a child that exec'd (the fd inherited; an O_CLOEXEC one closed), the opener again"],
];
const sequentialWrites = (n) => ({ pattern: "sequential", sequentialOps: n, stridedOps: 0, randomOps: 0, unknownOps: 0, smallOps: n, strideBytes: null });

/** The row of fdshare's file: every write counted, and sequential; no warning of an unknown access pattern. */
function assertFdshare(t, report, file, parts) {
  const n = parts * FDSHARE.count;
  const row = report.files.find((f) => f.path === file);
  t.truthy(row, `${file} in report.files`);
  t.deepEqual(fileCounts(row), { path: file, kind: "file", readOps: 0, writeOps: n, readBytes: 0, writeBytes: n * FDSHARE.size });
  t.deepEqual(row.writeAccess, sequentialWrites(n));
  t.deepEqual(report.warnings.filter((w) => /access pattern/.test(w)), []);
}

for (const [mode, parts, how] of FDSHARE_MODES) {
  test(`a committed strace -f log, one fd written by ${how}: ${parts * FDSHARE.count} sequential writes, none unknown`, (t) => {
    const { status, report, stderr } = importJson([path.join(FIXTURES, "strace", `fdshare-${mode}.log`)]);
    t.is(status, 0, stderr);
    assertFdshare(t, report, `/tmp/iops-fdshare/${mode}.dat`, parts);
  });

  test.serial(`--method strace, and iops import of a fresh strace -f -y log, one fd written by ${how}: ${parts * FDSHARE.count} sequential writes, as --method ptrace`, (t) => {
    const argv = [bin.fdshare, mode, "", String(FDSHARE.count), String(FDSHARE.size)];
    for (const method of ["strace", "ptrace"]) {
      argv[2] = path.join(dir, `fdshare-${mode}-${method}.dat`);
      const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
      t.is(status, 0, stderr);
      assertFdshare(t, report, argv[2], parts);
    }
    argv[2] = path.join(dir, `fdshare-${mode}-log.dat`);
    const { status, report, stderr } = importJson([straceLog(`fdshare-${mode}`, ["-f", "-y"], argv)]);
    t.is(status, 0, stderr);
    assertFdshare(t, report, argv[2], parts);
  });
}

// n6's F11: a thread that execs takes the leader's pid; strace -q (as --method
// strace runs it) ends its execve's first half `<pid changed to LEADER ...>`,
// without -q `<unfinished ...>`; then `+++ superseded by execve in pid THREAD
// +++` and the result under the leader. Committed: fdshare-thread-exec.log
// (`strace -f -y -T -ttt`) and fdshare-thread-exec-q.log (`strace -q -f -y -T
// -ttt -e trace=write,openat,execve,clone3,clone,lseek,close,fcntl,brk`).
function assertThreadExec(t, report, file) {
  assertFdshare(t, report, file, 3);
  t.deepEqual(report.warnings.filter((w) => /not understood|never returned/.test(w)), []);
  t.is(report.exit?.code, 0);
}

for (const name of ["fdshare-thread-exec.log", "fdshare-thread-exec-q.log"]) {
  test(`a committed log of a thread's exec (${name}): its execve resumed under the leader's pid, no line not understood, 15 sequential writes through the fd it kept`, (t) => {
    const log = path.join(FIXTURES, "strace", name);
    const text = fs.readFileSync(log, "utf8");
    t.regex(text, name.endsWith("-q.log") ? /execve\(.*<pid changed to \d+ \.\.\.>\n/ : /execve\(.*<unfinished \.\.\.>\n/);
    t.regex(text, /\+\+\+ superseded by execve in pid \d+ \+\+\+/);
    const { status, report, stderr } = importJson([log]);
    t.is(status, 0, stderr);
    assertThreadExec(t, report, "/tmp/iops-fdshare/thread-exec.dat");
  });
}

test.serial("--method strace of a thread's exec: no line not understood, the writes before and after it sequential on the fd it kept", (t) => {
  const file = path.join(dir, "thread-exec.dat");
  const { status, report, stderr } = runCliJson(["--method", "strace", "--", bin.fdshare, "thread-exec", file, String(FDSHARE.count), String(FDSHARE.size)]);
  t.is(status, 0, stderr);
  t.is(fs.statSync(file).size, 3 * FDSHARE.count * FDSHARE.size, "the workload's own ground truth");
  assertThreadExec(t, report, file);
});

for (const [mode, how] of [
  ["dup-turns", "five fds of one open (dup, dup2, F_DUPFD, dup3) read in turn"],
  ["fork-turns", "parent and forked child read in turn"],
  ["exec-turns", "parent, then a child that exec'd, then the parent again"],
]) {
  test.serial(`fixtures/shared.c under --method strace, ${how}: 300 reads all sequential, none unknown`, (t) => {
    const file = path.join(dir, `${mode}.dat`);
    fs.writeFileSync(file, Buffer.concat(Array.from({ length: 300 }, (_, i) => Buffer.alloc(100, 65 + (i % 26)))));
    const { status, report, stderr } = runCliJson(["--method", "strace", "--", bin.shared, mode, file, "300", "100"]);
    t.is(status, 0, stderr);
    const row = report.files.find((f) => f.path === file);
    t.deepEqual(row.readAccess, { pattern: "sequential", sequentialOps: 300, stridedOps: 0, randomOps: 0, unknownOps: 0, smallOps: 300, strideBytes: null });
  });
}

// ------------------------------------------------ strace's -c/-C summary table
//
// fixtures/strace/fdshare-C*.log: `strace -f -y -C [-r -T | -w -S calls -ttt]
// -o LOG fdshare fork /tmp/iops-fdshare/fork.dat 5 10` (10 writes, 100 bytes),
// the calls then strace's summary table; fdshare-c*.log: `strace -f -c [-U
// name,calls,errors,max-time]`, the table alone.

/** Seconds from a log's lines `PID TIME ...` (the table's rows have no pid): the sum of -r's deltas, or -ttt's last minus first. */
function logSeconds(text, relative) {
  // In whole microseconds (strace prints six digits): exact, where seconds since 1970 as floats are not.
  const micros = (stamp) => Number(stamp.split(".")[0]) * 1e6 + Number(stamp.split(".")[1]);
  const stamps = text.split("\n").flatMap((l) => /^\d+ +(\d+\.\d{6}) /.exec(l)?.[1] ?? []).map(micros);
  return (relative ? stamps.reduce((a, b) => a + b, 0) : stamps.at(-1) - stamps[0]) / 1e6;
}

for (const [name, flags] of [
  ["C", "-C"],
  ["C-r", "-C -r -T"],
  ["C-w", "-C -w -S calls -ttt"],
]) {
  test(`strace -f -y ${flags} (calls, then the summary table): 10 writes, the elapsed time the log's own clock gives, no line not understood`, (t) => {
    const log = path.join(FIXTURES, "strace", `fdshare-${name}.log`);
    const text = fs.readFileSync(log, "utf8");
    t.regex(text, /\n-+ -+ [- ]+\n100\.00 +\d+\.\d+ +\d+ +\d+ +\d* *total\n$/, "the log ends with strace's summary table");
    const { status, report, stderr } = importJson([log]);
    t.is(status, 0, stderr);
    t.deepEqual(fileEntry(report, "/tmp/iops-fdshare/fork.dat"), { path: "/tmp/iops-fdshare/fork.dat", kind: "file", readOps: 0, writeOps: 10, readBytes: 0, writeBytes: 100 });
    t.deepEqual(report.warnings.filter((w) => /not understood|cut short/.test(w)), []);
    if (name === "C") {
      t.is(report.elapsedSeconds, null, "no timestamps: unknown, not the table's 100.00");
      t.is(report.summary.iops, null);
    } else {
      const seconds = logSeconds(text, name === "C-r");
      t.true(seconds > 0 && seconds < 10, String(seconds));
      t.true(Math.abs(report.elapsedSeconds - seconds) < 1e-9, `${report.elapsedSeconds} s against the log's ${seconds} s`);
    }
  });
}

test("a log of strace -c alone (the summary table, default or -U columns): one line saying it has no calls and how to record them, exit 1, with or without --format", (t) => {
  for (const name of ["fdshare-c.log", "fdshare-c-U.log"]) {
    const log = path.join(FIXTURES, "strace", name);
    for (const args of [[log], ["--format", "strace", log]]) {
      const r = runCli(["import", ...args]);
      t.is(r.status, 1, args.join(" "));
      t.is(r.stdout, "", "no table of zeros");
      t.regex(
        r.stderr,
        /^iops: cannot import .*fdshare-c(-U)?\.log: this strace log is only strace's call summary table \(strace -c\): it has no calls to count; record the calls with strace -f -y -T -ttt -o LOG \(without -c; -C keeps the table after the calls\)\n$/,
      );
    }
  }
});

test.serial("a fresh strace -f -y -C -r log: the table's total row is no -r time (elapsed = the sum of the deltas), and no line not understood", (t) => {
  const file = path.join(dir, "fdshare-C-r.dat");
  const log = straceLog("fdshare-C-r", ["-f", "-y", "-C", "-r"], [bin.fdshare, "fork", file, "5", "10"]);
  const text = fs.readFileSync(log, "utf8");
  t.regex(text, /\n100\.00 .* total\n$/);
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.is(fileEntry(report, file).writeOps, 10);
  t.true(Math.abs(report.elapsedSeconds - logSeconds(text, true)) < 1e-9, `${report.elapsedSeconds} s against ${logSeconds(text, true)} s`);
  t.deepEqual(report.warnings.filter((w) => /not understood|cut short/.test(w)), []);
});
