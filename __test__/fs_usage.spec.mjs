/**
 * The macOS source's native stream (FsUsageStream) on recorded fs_usage
 * output: chunks cut anywhere give the same exact report, the time-of-day
 * window counts only the calls completed inside it, and the text report
 * names the source. (The live fs_usage orchestration in
 * src/sources/fs_usage.ts needs a Mac and is not run here.)
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import test from "ava";

import { FIXTURES, ROOT, iops, runCli } from "./_support/util.mjs";

const { native } = createRequire(import.meta.url)(path.join(ROOT, "dist", "native.js"));
const crafted = fs.readFileSync(path.join(FIXTURES, "fs_usage", "crafted-workload.txt"));

function parse(chunks, window) {
  const s = new native.FsUsageStream();
  if (window) s.setWindow(window[0], window[1]);
  for (const c of chunks) s.push(c);
  return JSON.parse(s.finish({ command: ["workload"], pid: 1001 }));
}

function chunksOf(buf, n) {
  const out = [];
  for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
  return out;
}

test("a workload's fs_usage lines, pushed in 7-byte chunks, are counted exactly", (t) => {
  const r = parse(chunksOf(crafted, 7));
  t.is(r.method, "fs_usage");
  t.deepEqual([r.summary.readOps, r.summary.readBytes], [10, 4 * 4096 + 2048 + 132 + 5 + 7]);
  t.deepEqual([r.summary.writeOps, r.summary.writeBytes], [12, 10 * 4096 + 8192 + 512]);
  const data = r.files.find((f) => f.path === "/tmp/iops/data.bin");
  t.deepEqual([data.readOps, data.readBytes, data.writeOps, data.writeBytes], [6, 18432, 11, 49152]);
  t.deepEqual([r.otherFds.readOps, r.otherFds.writeOps], [1, 1]);
  t.is(r.failedOps.byErrno.EBADF, 1);
  t.deepEqual(r.storage, { readBytes: 4096, writeBytes: 0x3000, source: "fs_usage disk I/O: 1 RdData, 1 WrData" });
  t.deepEqual(r.command, ["workload"]);
  t.deepEqual(parse([crafted]), r, "one push or many: the same report");
});

test("a line over 1 MiB is cut there and skipped to its end, as on import: its rest is never read as lines of its own", (t) => {
  // After the first MiB, the long line holds what reads as a whole write line.
  // Pushed as it comes: the first MiB and a byte, then the rest of the line.
  const write = crafted.toString("latin1").split("\n")[1];
  const alone = parse([crafted]);
  const r = parse([Buffer.from("x".repeat((1 << 20) + 1)), Buffer.concat([Buffer.from(`${write}\n`, "latin1"), crafted])]);
  // Read as a line, that write (before the open of its fd) would count among the other fds.
  t.deepEqual([r.summary, r.otherFds], [alone.summary, alone.otherFds], "the write after the first MiB of the long line is not counted");
  t.regex(r.warnings.join("\n"), /1 line was not understood and skipped \(first, line 1: "xxx/);
});

test("the window counts only the calls completed inside it", (t) => {
  const at = (us) => 10 * 3600e6 + us; // 10:00:00 plus us
  const r = parse(chunksOf(crafted, 64), [at(500), at(1000)]);
  // Writes completed at +500 and +550 µs, four preads, a 0-byte read at EOF,
  // the writev (+950) and the readv (+1000); data.bin was opened at +50 µs.
  t.deepEqual([r.summary.readOps, r.summary.readBytes], [6, 4 * 4096 + 2048]);
  t.deepEqual([r.summary.writeOps, r.summary.writeBytes], [3, 2 * 4096 + 8192]);
  t.is(r.files[0].path, "/tmp/iops/data.bin");
  t.is(r.metadataOps.opens, 0);
  t.is(r.elapsedSeconds, 0.0005);
});

test("an empty window reports zero, and the text names the source", (t) => {
  const r = parse([crafted], [1, 2]);
  t.deepEqual([r.summary.totalOps, r.summary.totalBytes], [0, 0]);
  const text = iops.formatText(r);
  t.true(text.startsWith("IOPS Profile Results (fs_usage trace; files)"), text);
  t.regex(text, /Total Operations: +0/);
});

test("iops import detects fs_usage output and reports it exactly", (t) => {
  const r = runCli(["import", "--json", "-", path.join(FIXTURES, "fs_usage", "sre-lab-diskio.txt")]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage");
  // 13 RdData and 6 WrData lines of real output: storage level only.
  t.deepEqual([report.storage.readBytes, report.storage.writeBytes], [204800, 8710]);
  t.is(report.storage.source, "fs_usage disk I/O: 13 RdData, 6 WrData");
  t.is(report.summary.totalOps, 0);
  t.regex(r.stderr, /IOPS Profile Results \(fs_usage trace; files\)/);
});

test("iops import --format fs_usage on a blog post's real lines", (t) => {
  const r = runCli(["import", "--format", "fs_usage", "--json", "-", path.join(FIXTURES, "fs_usage", "wrongodb-filesys.txt")]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.deepEqual([report.otherFds.writeOps, report.otherFds.writeBytes], [2, 4096]);
  t.is(report.metadataOps.fsyncs, 1);
  t.is(report.storage.writeBytes, 8192);
  t.false(report.warnings.some((w) => w.includes("not understood")), report.warnings.join("\n"));
});

test("iops import of a log whose writes are write_nocancel (stdio's): every write counted, on its file", (t) => {
  // Field case (issue item 14): open, 2 write_nocancel + 1 write of 16 bytes, close.
  const r = runCli(["import", "--json", "-", path.join(FIXTURES, "fs_usage", "fs_usage_nocancel.log")]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage");
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [3, 48]);
  const out = report.files.find((f) => f.path === "/Users/user/out.log");
  t.deepEqual([out.writeOps, out.writeBytes], [3, 48]);
  t.false(report.warnings.some((w) => /not understood|not counted/.test(w)), report.warnings.join("\n"));
});

test("fs_usage calls that look like I/O but are not read are counted in a warning, never dropped unsaid", (t) => {
  const lines = [
    "10:00:00.000001  open              F=3        (R_____)  /a/f          0.000010   x.1",
    "10:00:00.000002  aio_read          F=3                                0.000001   x.1",
    "10:00:00.000003  sendfile          F=3                                0.000001   x.1",
    "10:00:00.000004  read              F=3    B=0x4                       0.000001   x.1",
  ].join("\n");
  const report = parse([Buffer.from(lines)]);
  t.is(report.summary.readOps, 1);
  t.true(
    report.warnings.includes("2 call(s) that look like I/O were not counted: this parser does not read them (aio_read \u00d71, sendfile \u00d71)"),
    report.warnings.join("\n"),
  );
});
