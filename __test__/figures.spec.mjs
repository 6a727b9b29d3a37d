/**
 * Issue 14's figures against ground truth: a static C workload
 * (fixtures/figures.c) makes a known number of syncs, O_DIRECT and O_DSYNC
 * opens, one 3 MiB file mapping, one anonymous mapping and a mkdir; each
 * source that can see them must report them exactly: the time per call kind
 * (counts), per-file syncs, time and open flags, the mappings, the timeline's
 * bins and the heatmap in them. fixtures/prewriter.c writes 8 MiB before an
 * attach and 2,000 bytes during it: `iops -p` must count the window's
 * storage bytes only.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { compileFixtures, eachMethod, makeTempDir, procStatus, runCli, runCliJson, spawnCli, waitFor, within } from "./_support/util.mjs";

const SYNCS = 20;
const MAPPED = 3 << 20;

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-figures-");
  bin = compileFixtures(dir, ["figures", "prewriter", "anonmaps", "msyncs"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function ebpfUnavailable() {
  if (process.platform !== "linux") return "eBPF is Linux only";
  if (process.getuid() !== 0) return "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON) here";
  if (!fs.existsSync("/sys/kernel/tracing/events/raw_syscalls") && !fs.existsSync("/sys/kernel/debug/tracing/events/raw_syscalls")) {
    return "no tracefs with raw_syscalls events";
  }
  return null;
}

const straceMissing = spawnSync("strace", ["-V"]).status === 0 ? null : "strace is not installed";

/** Runs the workload under `method` in a fresh directory. */
function run(t, method) {
  const work = fs.mkdtempSync(path.join(dir, "run-"));
  const argv = [bin.figures, work, String(SYNCS)];
  const { status, report, stderr } = runCliJson(["--method", method, "--", ...argv]);
  t.is(status, 0, stderr);
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  // The workload says so when the filesystem refuses O_DIRECT (tmpfs).
  const direct = !stderr.includes("no-direct");
  if (!direct) t.log(`${work}: O_DIRECT refused (EINVAL); its file is not checked`);
  return { report, work, direct };
}

const kind = (report, k) => report.callTime.find((c) => c.kind === k);
const file = (report, p) => report.files.find((f) => f.path === p);
const sum = (rows) => rows.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);

/** What every source that times calls and sees opens, syncs and mmaps must report. */
function assertFigures(t, { report, work, direct }, { mappings }) {
  // Where the time goes: every kind's count is the workload's.
  const writes = SYNCS + (direct ? 4 : 1) + 1; // synced, direct (or the no-direct line on stderr), dsync
  t.like(kind(report, "write"), { calls: writes, failed: 0 });
  t.like(kind(report, "sync"), { calls: SYNCS + 2, failed: 0 }, "fsyncs, one fdatasync, one sync_file_range");
  t.like(kind(report, "open"), { calls: direct ? 4 : 3, failed: direct ? 0 : 1 });
  t.like(kind(report, "close"), { calls: direct ? 4 : 3, failed: 0 });
  t.like(kind(report, "other-metadata"), { calls: 2, failed: 0 }, "ftruncate and mkdir");
  t.is(kind(report, "read"), undefined, "no reads: the mapping's page faults are not calls");
  // The same calls as metadataOps counts them.
  t.is(kind(report, "open").calls, report.metadataOps.opens);
  t.is(kind(report, "close").calls, report.metadataOps.closes);
  t.is(kind(report, "sync").calls, report.metadataOps.fsyncs, "one definition of a sync: sync_file_range counts in metadataOps too");
  for (const c of report.callTime) {
    t.true(c.calls + c.failed > 0, c.kind);
    t.true(c.totalSeconds > 0 && c.meanSeconds > 0 && c.p99Seconds > 0, c.kind);
    t.true(Math.abs(c.meanSeconds * (c.calls + c.failed) - c.totalSeconds) <= c.totalSeconds * 1e-9, c.kind);
    t.true(Math.abs(c.shareOfElapsed - c.totalSeconds / report.elapsedSeconds) < 1e-9, c.kind);
  }
  const totals = report.callTime.map((c) => c.totalSeconds);
  t.deepEqual(totals, [...totals].sort((a, b) => b - a), "busiest first");

  // Per file: syncs, time, open flags.
  const synced = file(report, path.join(work, "synced"));
  t.like(synced, { writeOps: SYNCS, syncs: SYNCS + 2, openFlags: [] });
  t.true(synced.seconds >= kind(report, "sync").totalSeconds, "its writes and every sync");
  t.like(file(report, path.join(work, "dsync")), { writeOps: 1, writeBytes: 100, syncs: 0, openFlags: ["O_DSYNC"] });
  if (direct) t.like(file(report, path.join(work, "direct")), { writeOps: 4, writeBytes: 4 * 4096, openFlags: ["O_DIRECT"] });
  t.is(file(report, path.join(work, "mapped")), undefined, "mapped, never read or written by a call");

  if (mappings) {
    t.deepEqual(report.mappings, [{ path: path.join(work, "mapped"), kind: "file", maps: 1, bytes: MAPPED, prot: "r", shared: true, exec: false }]);
    t.true(report.warningCodes.includes("mmap-not-counted"), report.warnings.join("\n"));
  } else {
    t.is(report.mappings, null);
  }

  // The timeline: about a hundred bins for the run; the heatmap in the same bins.
  const points = report.timeline.points.length;
  t.true(points >= 100 && points <= 200, `${points} timeline bins`);
  const h = report.heatmap;
  t.is(h.binSeconds, report.timeline.intervalSeconds);
  t.is(h.ops.length, points);
  t.is(h.bytes.length, points);
  t.is(sum(h.ops), report.summary.totalOps);
  t.is(sum(h.bytes), report.summary.totalBytes);
  const bin4k = h.sizeBins.findIndex((b) => b.lo === 4096 && b.hi === 8192);
  t.like(h.sizeBins[bin4k], { count: SYNCS + (direct ? 4 : 0), sum: (SYNCS + (direct ? 4 : 0)) * 4096 });
  t.like(h.sizeBins.find((b) => b.lo === 64), { hi: 128, count: 1, sum: 100 });
  t.is(h.sizeBins.length, bin4k + 1, "size bins end at the largest operation's");
}

test.serial("our tracer: time per call kind, per-file syncs, time and flags, the file mapping, bins and heatmap", (t) => {
  const r = run(t, "ptrace");
  t.is(r.report.method, "ptrace");
  assertFigures(t, r, { mappings: true });
});

(ebpfUnavailable() ? test.serial.skip : test.serial)("eBPF: the same figures, the file mapping too", (t) => {
  const r = run(t, "ebpf");
  t.is(r.report.method, "ebpf");
  assertFigures(t, r, { mappings: true });
});

(straceMissing ? test.serial.skip : test.serial)("a live strace: the same figures", (t) => {
  const r = run(t, "strace");
  t.is(r.report.method, "strace");
  assertFigures(t, r, { mappings: true });
});

(straceMissing ? test.serial.skip : test.serial)("a saved strace log (strace -f -yy -T -ttt, every call), imported: the same figures", (t) => {
  const work = fs.mkdtempSync(path.join(dir, "log-"));
  const log = path.join(dir, `${path.basename(work)}.strace`);
  const s = spawnSync("strace", ["-f", "-yy", "-T", "-ttt", "-o", log, bin.figures, work, String(SYNCS)], { encoding: "utf8" });
  t.is(s.status, 0, s.stderr);
  const direct = !s.stderr.includes("no-direct");
  const r = runCli(["import", "--json", "-", log]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "strace-log");
  assertFigures(t, { report, work, direct }, { mappings: true });
});

test.serial("our tracer: anonymous mmaps (malloc's) make no stops; only the mmaps of an fd do", (t) => {
  const stops = (n) => {
    const { status, report, stderr } = runCliJson(["--method", "ptrace", "--", bin.anonmaps, String(n)]);
    t.is(status, 0, stderr);
    t.deepEqual(report.mappings, []);
    return report.tracerTime.stops;
  };
  t.is(stops(10_000), stops(10), "10,000 anonymous mmaps stop as often as 10");
});

test.serial("iops -p: storage bytes are the window's, not the process's life (8 MiB before, 2,000 bytes during)", async (t) => {
  const out = path.join(dir, "prewriter.dat");
  const child = spawn(bin.prewriter, [out], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  await waitFor(() => stdout.includes("ready\n"), "the 8 MiB written");
  const cli = spawnCli(["-p", String(child.pid), "--method", "ptrace", "--duration", "5", "--json", "-"]);
  // Written once we are attached, so inside the window.
  await waitFor(() => Number(procStatus(child.pid)?.TracerPid ?? 0) !== 0, "the tracer attached");
  child.kill("SIGUSR1");
  await waitFor(() => stdout.includes("done\n"), "the 2,000 bytes written");
  const r = await within(cli.done, 60_000, "iops -p");
  t.is(r.status, 0, r.stderr);
  child.kill("SIGUSR1");
  t.deepEqual(await exited, { code: 0, signal: null });
  const report = JSON.parse(r.stdout);
  t.is(report.summary.writeBytes, 2000);
  t.is(report.summary.writeOps, 1);
  // The kernel counts whole pages dirtied: the 2,000 bytes are one page, the 8 MiB before are not in it.
  t.true(report.storage.writeBytes >= 2000 && report.storage.writeBytes < 1 << 20, `storage writeBytes ${report.storage.writeBytes}`);
});

// ------------------------------- one definition of a sync (newcomer's F17)

eachMethod(test, "msync is a sync everywhere: 5 msyncs and 1 fdatasync are 6 syncs in where the time goes, metadataOps, the text and the page", (t, method) => {
  const N = 5;
  const out = path.join(dir, `msyncs-${method}.bin`);
  const html = path.join(dir, `msyncs-${method}.html`);
  const { status, report, stderr } = runCliJson(["--method", method, "--html", html, "--", bin.msyncs, out, String(N)]);
  t.is(status, 0, stderr);
  t.is(fs.readFileSync(out, "latin1").slice(0, N), "ABCDE", "ground truth: the stores reached the file");
  t.like(kind(report, "sync"), { calls: N + 1, failed: 0 });
  t.is(report.metadataOps.fsyncs, N + 1);
  t.regex(stderr, new RegExp(`^Metadata calls: .*\\b${N + 1} syncs\\b`, "m"));
  t.regex(stderr, new RegExp(`^\\s+syncs \\(fsync, fdatasync, \\.\\.\\.\\)\\s+${N + 1}\\s`, "m"));
  t.true(fs.readFileSync(html, "utf8").includes(`<th>syncs</th>`), "the page's metadata table says syncs");
});
