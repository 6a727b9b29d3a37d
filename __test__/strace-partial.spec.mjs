/**
 * `iops import` of strace logs that show only part of the calls (-Z, -z,
 * -e status=, -e trace= without the data calls), of a file renamed while
 * open, of the files of one strace -ff capture, and importTrace() given
 * text chunks or bad input. Every log is written by the real strace at
 * test time, tracing fixtures/strace/partial.c, whose I/O is known (see
 * its header): 18 writes / 1,038 B, 4 reads / 1,000 B, 1 failed read
 * (EBADF), 4 opens, a file renamed while open.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";

import test from "ava";

import { CLI, FIXTURES, counts, fileEntry, importJson, iops as api, makeTempDir, totals } from "./_support/util.mjs";

let dir;
let bin;

const WRITES = 18;
const WRITE_BYTES = 1038;
const READS = 4;
const READ_BYTES = 1000;

test.before(() => {
  dir = makeTempDir("iops-strace-partial-");
  bin = path.join(dir, "partial");
  const r = spawnSync("gcc", ["-O2", "-static", "-Wall", "-Werror", "-o", bin, path.join(FIXTURES, "strace", "partial.c")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc failed for fixtures/strace/partial.c:\n${r.stderr}`);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs partial.c under real strace with `flags` (its own work dir `name`); returns the log's path. */
function straceLog(name, flags) {
  const work = path.join(dir, name);
  fs.mkdirSync(work);
  const log = path.join(dir, `${name}.log`);
  const r = spawnSync("strace", [...flags, "-o", log, "--", bin, work], { encoding: "utf8" });
  if (r.error) throw new Error(`strace could not run (install it: apt-get install strace): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`strace ${flags.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { log, work };
}

const filtered = (report) => report.warnings.filter((w) => /strace ran with/.test(w));

test("an unfiltered log: the workload's exact counts, its failed read, and no warning of filtered calls", (t) => {
  const { log } = straceLog("full", ["-f", "-yy"]);
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.deepEqual(counts(report.summary), totals(READS, READ_BYTES, WRITES, WRITE_BYTES));
  t.deepEqual(report.failedOps, { total: 1, byErrno: { EBADF: 1 } });
  t.is(report.metadataOps.opens, 4);
  t.deepEqual(filtered(report), []);
});

for (const flags of [["-Z"], ["-e", "status=failed"], ["-e", "status=failed,unfinished"], ["-e", "status=unfinished"]]) {
  test(`strace ${flags.join(" ")} (no successful call in the log): reads, writes, files and metadata calls are null, and a warning says which option hid them`, (t) => {
    const { log } = straceLog(`only-failed-${flags.join("").replace(/[^a-z]/g, "")}`, ["-f", "-yy", ...flags]);
    const text = fs.readFileSync(log, "utf8");
    t.notRegex(text, /\) += [0-9]/, "the log has no successful call");
    const { status, report, stderr } = importJson([log]);
    t.is(status, 0, stderr);
    for (const k of ["readOps", "writeOps", "readBytes", "writeBytes", "totalOps", "totalBytes"]) t.is(report.summary[k], null, k);
    t.is(report.files, null);
    t.is(report.metadataOps, null);
    t.is(report.histogram, null);
    const w = filtered(report);
    t.is(w.length, 1, report.warnings.join("\n"));
    t.regex(w[0], /-Z|status=failed/);
    t.notRegex(report.warnings.join("\n"), /only data calls were traced/);
  });
}

test("strace -z (no failed call, processes exit without their exit_group line): counts exact, failed calls null with a warning naming -z", (t) => {
  const { log } = straceLog("only-successful", ["-f", "-yy", "-z"]);
  const text = fs.readFileSync(log, "utf8");
  t.notRegex(text, /EBADF/, "the log leaves out the failed read");
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.deepEqual(counts(report.summary), totals(READS, READ_BYTES, WRITES, WRITE_BYTES));
  t.is(report.failedOps, null, "the failed read cannot be in this log: unknown, not 0");
  const w = filtered(report);
  t.is(w.length, 1, report.warnings.join("\n"));
  t.regex(w[0], /-z\b/);
});

test("strace -e trace=openat,close (no data call, none of the calls an unfiltered trace shows): reads and writes are null, opens counted", (t) => {
  const { log } = straceLog("no-data", ["-f", "-yy", "-e", "trace=openat,close"]);
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.is(report.summary.readOps, null);
  t.is(report.summary.writeOps, null);
  t.is(report.metadataOps.opens, 4);
  const w = filtered(report);
  t.is(w.length, 1, report.warnings.join("\n"));
  t.regex(w[0], /-e trace=/);
});

for (const flags of [["-f", "-yy"], ["-f", "-y", "-ttt", "-T"], ["-f", "-yy", "-xx"]]) {
  test(`a file renamed while open (strace ${flags.join(" ")}): one file with its 3 writes, under the path it was opened with`, (t) => {
    const { log, work } = straceLog(`renamed${flags.join("")}`, flags);
    const text = fs.readFileSync(log, "utf8");
    t.regex(text, /ren2\.bin|\\x72\\x65\\x6e\\x32/, "strace printed the new path on the later writes");
    const { status, report, stderr } = importJson([log]);
    t.is(status, 0, stderr);
    t.deepEqual(counts(report.summary), totals(READS, READ_BYTES, WRITES, WRITE_BYTES));
    const ren = path.join(work, "ren.bin");
    t.deepEqual(fileEntry(report, ren), { path: ren, kind: "file", readOps: 0, writeOps: 3, readBytes: 0, writeBytes: 3 });
    t.is(fileEntry(report, path.join(work, "ren2.bin")), undefined, "no second file for the new name");
    t.is(report.files.length, 3, report.files.map((f) => f.path).join(", "));
  });
}

/** Runs partial.c under strace -ff: its PREFIX.PID files. */
function ffLogs(name, flags) {
  const work = path.join(dir, name);
  fs.mkdirSync(work);
  const prefix = path.join(dir, name, "ff");
  const r = spawnSync("strace", ["-ff", ...flags, "-o", prefix, "--", bin, work], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`strace -ff failed (${r.status}): ${r.stderr}`);
  const files = fs.readdirSync(work).filter((f) => /^ff\.\d+$/.test(f)).map((f) => path.join(work, f));
  return { files, work };
}

for (const flags of [["-yy", "-ttt"], ["-yy", "-tt", "-T"], ["-yy"], ["-yy", "-r"]]) {
  test(`strace -ff ${flags.join(" ")}: iops import PREFIX.* reads the per-process files as one log, counts and files exact`, (t) => {
    const { files, work } = ffLogs(`ff${flags.join("")}`, flags);
    t.is(files.length, 2, "the parent's file and the child's");
    const { status, report, stderr } = importJson(files);
    t.is(status, 0, stderr);
    t.deepEqual(counts(report.summary), totals(READS, READ_BYTES, WRITES, WRITE_BYTES));
    const child = path.join(work, "child.bin");
    t.deepEqual(fileEntry(report, child), { path: child, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 35 });
    const pids = files.map((f) => Number(f.split(".").pop())).sort((a, b) => a - b);
    t.is(report.pid, pids[0], "the first process is the root");
    t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
    t.notRegex(report.warnings.join("\n"), /not understood|never returned/);
    if (flags.some((f) => f.startsWith("-t"))) {
      // The merged clock spans the files' earliest and latest line, no more.
      const stamps = files.flatMap((f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")[0]));
      const secs = stamps.map((s) => (s.includes(":") ? s.split(":").reduce((a, x) => a * 60 + Number(x), 0) : Number(s)));
      const span = Math.max(...secs) - Math.min(...secs);
      t.true(Math.abs(report.elapsedSeconds - span) < 1e-5, `${report.elapsedSeconds} vs ${span}`);
    } else if (flags.includes("-r")) {
      // Each file's -r stamps count from its own previous line: no common clock, so none (not their sum).
      t.is(report.elapsedSeconds, null);
    }
  });
}

test("iops import of several files whose names carry no pid: one line saying what the names must be, exit 1", (t) => {
  const { log } = straceLog("ff-bad", ["-f", "-yy"]);
  const r = spawnSync(process.execPath, [CLI, "import", log, log], { encoding: "utf8" });
  t.is(r.status, 1);
  t.regex(r.stderr, /PREFIX\.PID/);
  t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
});

test("importTrace() reads text chunks (a utf8 stream, an array of strings, Readable.from) as it reads Buffers", async (t) => {
  const { log } = straceLog("chunks", ["-f", "-yy"]);
  const text = fs.readFileSync(log, "utf8");
  const inputs = {
    utf8Stream: fs.createReadStream(log, "utf8"),
    strings: text.split(/(?<=\n)/),
    readable: Readable.from([text]),
    buffers: fs.createReadStream(log),
    uint8: [new Uint8Array(Buffer.from(text))],
  };
  for (const [name, input] of Object.entries(inputs)) {
    const report = await api.importTrace(input);
    t.deepEqual(counts(report.summary), totals(READS, READ_BYTES, WRITES, WRITE_BYTES), name);
  }
});

test("importTrace() and profile() given what they do not take: a one-line IopsError saying what to pass", async (t) => {
  const cases = [
    [() => api.importTrace([1, 2]), /chunk must be a Buffer, a Uint8Array or a string/, "EINVAL"],
    [() => api.importTrace(path.join(dir, "no-such.log")), /no such file: .*no-such\.log/, "ENOENT"],
    [() => api.importTrace(null), /input must be a log's path or its chunks/, "EINVAL"],
    [() => api.importTrace(path.join(dir, "chunks.log"), null), /options must be an object/, "EINVAL"],
    [() => api.profile(() => {}, null), /options must be an object/, "EINVAL"],
    [() => api.profile(null), /fn must be a function/, "EINVAL"],
  ];
  if (!fs.existsSync(path.join(dir, "chunks.log"))) fs.writeFileSync(path.join(dir, "chunks.log"), "");
  for (const [call, message, code] of cases) {
    const e = await t.throwsAsync(call);
    t.is(e.name, "IopsError");
    t.is(e.code, code);
    t.regex(e.message, message);
    t.false(e.message.includes("\n"));
  }
});

test("strace's own 'Process N attached' notice cutting clone's line (strace -f to stderr, fixture log): the clone is joined, no line 'not understood', exact counts", (t) => {
  // fixtures/strace/strace_attach_notice_split.log: `strace -f -yy ./partial /tmp/iops-partial 2>log`
  // (strace 6.1), whose line 34 is `clone(...|SIGCHLDstrace: Process 20402 attached` and line 35 its rest.
  const log = path.join(FIXTURES, "strace", "strace_attach_notice_split.log");
  const lines = fs.readFileSync(log, "utf8").split("\n");
  t.regex(lines[33], /SIGCHLDstrace: Process \d+ attached$/);
  t.regex(lines[34], /^, child_tidptr=/);
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.deepEqual(counts(report.summary), totals(READS, READ_BYTES, WRITES, WRITE_BYTES));
  const child = "/tmp/iops-partial/child.bin";
  t.deepEqual(fileEntry(report, child), { path: child, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 35 });
  t.deepEqual(report.failedOps, { total: 1, byErrno: { EBADF: 1 } });
  const warnings = report.warnings.join("\n");
  t.notRegex(warnings, /not understood|cut short|traced program's own output/);
});

test("a line cut by the attach notice whose rest never comes is still 'not understood' (the notice is no licence to drop lines)", (t) => {
  const log = path.join(dir, "notice-no-rest.log");
  fs.writeFileSync(log, 'execve("./x", ["./x"], 0x7ffd /* 1 var */) = 0\nclone(child_stack=NULL, flags=SIGCHLDstrace: Process 77 attached\nwrite(1</dev/null<char 1:3>>, "ab", 2) = 2\n+++ exited with 0 +++\n');
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.regex(report.warnings.join("\n"), /1 line was not understood.*line 2/);
});

test("a call's line over 64 MiB (strace -s 30000000 -xx of a 17 MiB write) is read in bounded memory: 2 writes, 17,825,802 B, nothing skipped", (t) => {
  const big = path.join(dir, "bigwrite");
  const c = spawnSync("gcc", ["-O2", "-static", "-Wall", "-Werror", "-o", big, path.join(FIXTURES, "strace", "bigwrite.c")], { encoding: "utf8" });
  t.is(c.status, 0, c.stderr);
  const log = path.join(dir, "bigwrite.log");
  const out = path.join(dir, "big.bin");
  const r = spawnSync("strace", ["-f", "-yy", "-xx", "-s", "30000000", "-o", log, "--", big, out], { encoding: "utf8" });
  t.is(r.status, 0, r.stderr);
  try {
    t.is(fs.statSync(out).size, 17825802);
    const longest = Math.max(...fs.readFileSync(log, "latin1").split("\n").map((l) => l.length));
    t.true(longest > 64 << 20, `the longest line is ${longest} bytes`);
    const { status, report, stderr } = importJson([log]);
    t.is(status, 0, stderr);
    t.is(report.summary.writeOps, 2);
    t.is(report.summary.writeBytes, 17825802);
    t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 2, readBytes: 0, writeBytes: 17825802 });
    t.notRegex(report.warnings.join("\n"), /not understood|cut short/);
  } finally {
    fs.rmSync(log, { force: true });
    fs.rmSync(out, { force: true });
  }
});

test("strace -e trace=fsync of a program that makes none (no call line at all, only strace's notices): counts null, never zeros, and a warning saying a filter left every call out", (t) => {
  const { log } = straceLog("no-calls", ["-f", "-yy", "-e", "trace=fsync"]);
  const text = fs.readFileSync(log, "utf8");
  t.regex(text, /\+\+\+ exited with 0 \+\+\+/);
  t.notRegex(text, /^\d+ +[a-z_0-9]+\(/m, "no call line");
  const { status, report, stderr } = importJson([log]);
  t.is(status, 0, stderr);
  t.is(report.summary.writeOps, null);
  t.is(report.summary.readOps, null);
  t.is(report.metadataOps, null);
  const w = filtered(report);
  t.is(w.length, 1, report.warnings.join("\n"));
  t.regex(w[0], /no call at all/);
});
