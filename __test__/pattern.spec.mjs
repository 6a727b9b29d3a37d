/**
 * Access patterns against ground truth: a static C workload walks a file in
 * a known order (sequential, strided, backwards, random, appends; by read,
 * pread, lseek + read, write, pwrite), traced by `iops --json -`; each file's
 * `readAccess` / `writeAccess` must classify every operation exactly. Then
 * the findings these patterns raise, on real traces.
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { compileFixtures, eachMethod, fileEntry, iops, makeTempDir, runCliJson } from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-pattern-");
  bin = compileFixtures(dir, ["access", "smallfiles", "writes", "shared"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The AccessSummary a stream of operations must have. */
function access(pattern, { sequential = 0, strided = 0, random = 0, small = 0, stride = null } = {}) {
  return { pattern, sequentialOps: sequential, stridedOps: strided, randomOps: random, unknownOps: 0, smallOps: small, strideBytes: stride };
}

/** A file of `bytes` zero bytes, by its real path. */
function dataFile(name, bytes) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, Buffer.alloc(bytes));
  return p;
}

/** Traces `access <mode> <file> <count> <size> [stride]`; returns its row in report.files and the report. */
/** `iops --method <method> -- access <mode> ...` (no method: the platform's default). */
function trace(t, mode, file, count, size, stride, method) {
  const args = [bin.access, mode, file, String(count), String(size), ...(stride === undefined ? [] : [String(stride)])];
  const { status, report, stderr } = runCliJson([...(method ? ["--method", method] : []), "--", ...args]);
  t.is(status, 0, stderr);
  const row = report.files.find((f) => f.path === file);
  t.truthy(row, `${file} in report.files`);
  return { row, report };
}

const N = 200;

eachMethod(test, "read() back to back from offset 0: every read sequential", (t, method) => {
  const file = dataFile("seq.dat", N * 4096);
  const { row } = trace(t, "read-seq", file, N, 4096, undefined, method);
  t.deepEqual(row.readAccess, access("sequential", { sequential: N }));
  t.is(row.writeAccess, null);
  t.is(row.pattern, "sequential");
  t.is(row.smallOps, 0);
});

eachMethod(test, "lseek before the fd's first call, reads, then a pread where they ended: all sequential (position read from fdinfo)", (t, method) => {
  // Had the tracer assumed the reads started at 0, the pread would be a jump.
  const file = dataFile("skip.dat", (N + 1) * 1000);
  const { row } = trace(t, "skip-then-read", file, N, 1000, undefined, method);
  t.deepEqual(row.readAccess, access("sequential", { sequential: N, small: N }));
});

eachMethod(test, "write() of 512 B records to a new file: sequential, all small", (t, method) => {
  const file = path.join(dir, "wseq.dat");
  const { row } = trace(t, "write-seq", file, N, 512, undefined, method);
  t.deepEqual(row.writeAccess, access("sequential", { sequential: N, small: N }));
  t.is(row.readAccess, null);
  t.is(row.smallOps, N);
});

// Under eBPF the kernel reads the fd's position at each append's end (the
// writer exits long before its records are read: /proc has nothing left).
eachMethod(test, "O_APPEND writes to a file that already has data: sequential appends", (t, method) => {
  const file = dataFile("append.dat", 1000);
  const { row } = trace(t, "append", file, N, 100, undefined, method);
  t.deepEqual(row.writeAccess, access("sequential", { sequential: N, small: N }));
  t.is(fs.statSync(file).size, 1000 + N * 100);
});

eachMethod(test, "O_APPEND writes after a failed read() on the fd: still sequential appends", (t, method) => {
  const file = dataFile("append2.dat", 777);
  const { row, report } = trace(t, "append-after-failed-read", file, N, 100, undefined, method);
  t.deepEqual(row.writeAccess, access("sequential", { sequential: N, small: N }));
  t.deepEqual(report.failedOps.byErrno, { EBADF: 1 });
});

// Each fd's end of file moves under it by the other's appends: read where the kernel keeps it, at each append.
eachMethod(test, "O_APPEND writes through two fds in turn: each where the other left the end, all sequential", (t, method) => {
  const file = dataFile("append3.dat", 500);
  const { row } = trace(t, "append-two-fds", file, N, 100, undefined, method);
  t.deepEqual(row.writeAccess, access("sequential", { sequential: N, small: N }));
  t.is(fs.statSync(file).size, 500 + N * 100);
});

eachMethod(test, "pread() of 512 B every 4 KiB: the first at 0 sequential, the rest strided by 4096", (t, method) => {
  const file = dataFile("strided.dat", N * 4096);
  const { row } = trace(t, "pread-strided", file, N, 512, 4096, method);
  t.deepEqual(row.readAccess, access("strided", { sequential: 1, strided: N - 1, small: N, stride: 4096 }));
  t.is(row.pattern, "strided");
});

eachMethod(test, "pwrite() of 8 KiB every 64 KiB into a new file: strided writes", (t, method) => {
  const file = path.join(dir, "pwstrided.dat");
  const { row } = trace(t, "pwrite-strided", file, N, 8192, 65536, method);
  t.deepEqual(row.writeAccess, access("strided", { sequential: 1, strided: N - 1, stride: 65536 }));
});

eachMethod(test, "lseek + read() walking records backwards: strided by -size (lseek results are followed)", (t, method) => {
  const file = dataFile("backwards.dat", N * 2048);
  const { row } = trace(t, "read-backwards", file, N, 2048, undefined, method);
  t.deepEqual(row.readAccess, access("strided", { sequential: 1, strided: N - 1, small: N, stride: -2048 }));
});

eachMethod(test, "lseek + read() at random records: the first sequential, every other random", (t, method) => {
  const file = dataFile("lrandom.dat", 1000 * 4096);
  const { row } = trace(t, "lseek-random", file, N, 4096, 1000, method);
  t.deepEqual(row.readAccess, access("random", { sequential: 1, random: N - 1 }));
  t.is(row.pattern, "random");
});

// One open file description's position, moved by several fds or processes
// (dup, fork, exec, SCM_RIGHTS share it: the kernel keeps one f_pos): each
// read starts where the previous one, whichever fd made it, ended. Followed
// per fd, the reads would look like jumps back and rereads.
/** `count` records of `size` bytes, record i filled with the byte 'A' + i % 26 (the fixtures' pattern_byte). */
function recordFile(name, count, size) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.alloc(size, 65 + (i % 26)))));
  return p;
}

/** `iops --method <method> -- shared <mode> <file> <count> <size>`: its row in report.files and the report. */
function traceShared(t, mode, file, count, size, method) {
  const { status, report, stderr } = runCliJson(["--method", method, "--", bin.shared, mode, file, String(count), String(size)]);
  t.is(status, 0, stderr);
  const row = report.files.find((f) => f.path === file);
  t.truthy(row, `${file} in report.files`);
  return { row, report };
}

const SHARED = 300;

for (const [mode, how] of [
  ["dup-turns", "five fds of one open (dup, dup2, F_DUPFD, dup3) read in turn"],
  ["fork-turns", "parent and forked child read in turn"],
  ["exec-turns", "parent, then a child that exec'd, then the parent again"],
  ["scm-turns", "a child and the parent it sent the fd to (SCM_RIGHTS) read in turn"],
]) {
  eachMethod(test, `one shared file position, ${how}: ${SHARED} reads all sequential, no rereads`, (t, method) => {
    const file = recordFile(`${mode}.dat`, SHARED, 100);
    const { row, report } = traceShared(t, mode, file, SHARED, 100, method);
    t.deepEqual(row.readAccess, access("sequential", { sequential: SHARED, small: SHARED }));
    t.is(row.repeatedReads, 0);
    t.deepEqual(report.findings.filter((f) => f.code === "rereads"), []);
  });
}

eachMethod(test, `a shell's redirected stdin read by ${SHARED} \`head -c 100\` in turn: ${SHARED} sequential reads, no rereads`, (t, method) => {
  const file = recordFile("stdin.dat", SHARED + 10, 100);
  const script = `{ for i in $(seq ${SHARED}); do head -c 100 >/dev/null; done; } < '${file}'`;
  const { status, report, stderr } = runCliJson(["--method", method, "--", "bash", "-c", script]);
  t.is(status, 0, stderr);
  const row = report.files.find((f) => f.path === file);
  t.truthy(row, `${file} in report.files`);
  t.is(row.readOps, SHARED);
  t.deepEqual(row.readAccess, access("sequential", { sequential: SHARED, small: SHARED }));
  t.deepEqual(report.findings.filter((f) => f.code === "rereads"), []);
});

// pwrite(2) BUGS: on an O_APPEND fd, and with pwritev2's RWF_APPEND, the
// write lands at the end of the file whatever offset it names.
for (const [mode, how] of [
  ["pwrite-append", "pwrite(fd, buf, 100, 0) on an O_APPEND fd"],
  ["pwritev2-append", "pwritev2(fd, iov, 1, 0, RWF_APPEND)"],
  ["pwritev2-append-pos", "lseek(fd, 0) then pwritev2(fd, iov, 1, -1, RWF_APPEND)"],
]) {
  eachMethod(test, `50 × ${how}: appends at 0, 100, ... 4900, all sequential`, (t, method) => {
    const file = path.join(dir, `${mode}.dat`);
    const { row } = traceShared(t, mode, file, 50, 100, method);
    t.deepEqual(row.writeAccess, access("sequential", { sequential: 50, small: 50 }));
    t.is(row.writeBytes, 5000);
    t.is(fs.statSync(file).size, 5000);
  });
}

test.serial("pread() of 512 B at random records: random, all small; the finding names the file with its numbers", (t) => {
  const file = dataFile("prandom.dat", 1000 * 512);
  const { row, report } = trace(t, "pread-random", file, N, 512, 1000);
  t.deepEqual(row.readAccess, access("random", { sequential: 1, random: N - 1, small: N }));
  const found = iops.findings(report).filter((f) => f.code === "small-random-reads");
  t.deepEqual(found, [
    {
      code: "small-random-reads",
      severity: "warn",
      file,
      text: `Many small random reads on ${file}: 200 reads, 100% at random offsets, 100% under 4 KiB (mean 512 B).`,
      advice: "Read larger contiguous blocks, sort the accesses by offset, or load the file into memory once.",
      numbers: { ops: 200, randomOps: 199, smallOps: 200, bytes: 200 * 512 },
    },
  ]);
  t.deepEqual(report.findings, iops.findings(report), "the same list in the JSON");
});

test.serial("the text table shows each file's access pattern", (t) => {
  const file = dataFile("table.dat", 1000 * 512);
  const { status, stderr } = runCliJson(["--", bin.access, "pread-random", file, "50", "512", "1000"]);
  t.is(status, 0, stderr);
  t.regex(stderr, /^\s+reads\s+writes\s+read\s+written\s+(time\s+)?access\s+path$/m);
  t.true(stderr.split("\n").some((l) => /^\s+50\s+0\s+25\.00 KiB\s+0 B\s+(\S+ (s|ms|µs)\s+)?random\s+/.test(l) && l.endsWith(file)), stderr);
});

eachMethod(test, "sendfile() through an offset pointer, every 4 KiB: strided reads (the pointer is read), sequential writes", (t, method) => {
  const file = dataFile("sendfile.dat", N * 4096);
  const { row, report } = trace(t, "sendfile-strided", file, N, 1000, 4096, method);
  t.deepEqual(row.readAccess, access("strided", { sequential: 1, strided: N - 1, small: N, stride: 4096 }));
  const out = report.files.find((f) => f.path === `${file}.out`);
  t.deepEqual(out.writeAccess, access("sequential", { sequential: N, small: N }));
});

eachMethod(test, "copy_file_range() with both offset pointers: strided source, sequential destination", (t, method) => {
  const file = dataFile("cfr.dat", N * 8192);
  const { row, report } = trace(t, "cfr-strided", file, N, 4096, 8192, method);
  t.deepEqual(row.readAccess, access("strided", { sequential: 1, strided: N - 1, stride: 8192 }));
  const out = report.files.find((f) => f.path === `${file}.out`);
  t.deepEqual(out.writeAccess, access("sequential", { sequential: N }));
});

test.serial("sendfile and copy_file_range on the fd position, with an lseek back to 0 between the two copies", (t) => {
  // transfer: 6 sendfile calls (4 x 8192 B, 7232 B, then 0 B at the end of
  // the file), lseek to 0, then the same 6 copy_file_range calls: the jump
  // back is the only random read; the two 0-byte reads are the small ones.
  const bin2 = compileFixtures(dir, ["transfer"]);
  const src = dataFile("transfer.dat", 40_000);
  const dst = path.join(dir, "transfer.out");
  const { status, report, stderr } = runCliJson(["--", bin2.transfer, src, dst, "8192"]);
  t.is(status, 0, stderr);
  const row = (p) => report.files.find((f) => f.path === p);
  t.deepEqual(row(src).readAccess, access("sequential", { sequential: 11, random: 1, small: 2 }));
  t.deepEqual(row(dst).writeAccess, access("sequential", { sequential: 6, small: 1 }));
  t.deepEqual(row(`${dst}.2`).writeAccess, access("sequential", { sequential: 6, small: 1 }));
});

// ------------------------------------------------------------------ findings

test.serial("finding: fsync after every write (fsync-heavy: groups of one write)", (t) => {
  const file = path.join(dir, "fsync.dat");
  const { row, report } = trace(t, "write-fsync", file, 50, 4096);
  t.deepEqual(row.writeAccess, access("sequential", { sequential: 50 }));
  t.is(report.metadataOps.fsyncs, 50);
  // Each sync ends a group of one write: 50 groups of 4 KiB.
  t.deepEqual(iops.findings(report).map((f) => [f.code, f.numbers.syncs, f.numbers.writesPerSync, f.numbers.bytesPerSync]), [["fsync-heavy", 50, 1, 4096]]);
  t.true(iops.findings(report)[0].text.startsWith("Heavy syncing: 50 syncs for 50 writes (one per write, 4 KiB written per sync)"), iops.findings(report)[0].text);
});

test.serial("finding: many tiny writes (1,000 writes of 100 B), and no other", (t) => {
  const out = path.join(dir, "tiny.dat");
  const { status, report, stderr } = runCliJson(["--", bin.writes, out, "1000", "100"]);
  t.is(status, 0, stderr);
  const tiny = `Many small writes to ${out}: 1,000 writes, 100% under 4 KiB (mean 100 B).`;
  t.deepEqual(
    iops.findings(report).map((f) => [f.code, f.text]),
    [["tiny-writes", tiny]],
  );
  t.true(stderr.includes(`\nFindings:\n  - ${tiny}\n`), "in the text report too");
});

test.serial("finding: many small files (150 files of 100 B written then read: 300 opens), and no small-writes finding", (t) => {
  const sub = fs.mkdtempSync(path.join(dir, "small-"));
  const { status, report, stderr } = runCliJson(["--", bin.smallfiles, sub, "150", "100"]);
  t.is(status, 0, stderr);
  t.is(report.metadataOps.opens, 300);
  const files = report.files.filter((f) => f.path.startsWith(`${sub}/small-`));
  t.is(files.length, 150);
  t.deepEqual(fileEntry(report, `${sub}/small-7`), { path: `${sub}/small-7`, kind: "file", readOps: 1, writeOps: 1, readBytes: 100, writeBytes: 100 });
  // One write and one read per file: many small files, not small writes (buffering cannot help a file that gets one write).
  const found = iops.findings(report);
  t.deepEqual(found.map((f) => f.code), ["many-small-files"]);
  // Then the time in metadata calls (it varies from run to run).
  t.true(found[0].text.startsWith("Many small files: 300 opens, 150 files read or written, mean 200 B and 2 operations per file; "), found[0].text);
  t.deepEqual([found[0].numbers.files, found[0].numbers.ops, found[0].numbers.bytes], [150, 300, 30_000]);
});

test.serial("no finding for large sequential reads", (t) => {
  const file = dataFile("calm.dat", N * 65536);
  const { report } = trace(t, "read-seq", file, N, 65536);
  t.deepEqual(iops.findings(report), []);
});
