/**
 * Warnings carry a stable code: `warningCodes` runs beside `warnings`, same
 * length and order, so front ends pick a warning by its code, never by its
 * wording or position. Real captures: our tracer, strace (live and a saved
 * log), the /proc counters fallback.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import test from "ava";

import { CLI, ROOT, compileFixtures, counts, makeTempDir, runCli, runCliJson, shellLine, totals, withoutBpfCaps } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { WARNING_CODE_VALUES } = require(path.join(ROOT, "dist", "generated", "report.js"));
const { native } = require(path.join(ROOT, "dist", "native.js"));

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-warning-codes-");
  bin = compileFixtures(dir, ["writes"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every warning has one known code, at its own index. */
function assertCoded(t, report) {
  t.is(report.warningCodes.length, report.warnings.length, JSON.stringify(report.warnings));
  for (const code of report.warningCodes) t.true(WARNING_CODE_VALUES.includes(code), code);
}

/** The text of the warning of `code` (exactly one). */
function warningOf(t, report, code) {
  const at = report.warningCodes.flatMap((c, i) => (c === code ? [i] : []));
  t.is(at.length, 1, `${code} in ${JSON.stringify(report.warningCodes)}`);
  return report.warnings[at[0]];
}

test("a saved strace log without -t, -T or metadata calls: each missing view has its code beside its text", (t) => {
  const out = path.join(dir, "plain.out");
  const log = path.join(dir, "plain.log");
  const r = spawnSync("strace", ["-f", "-y", "-e", "trace=write", "-o", log, "--", bin.writes, out, "50", "512"], { encoding: "utf8" });
  if (r.error) throw new Error(`strace could not run (install it: apt-get install strace): ${r.error.message}`);
  t.is(r.status, 0, r.stderr);
  const { status, stdout, stderr } = runCli(["import", log, "--json", "-"]);
  t.is(status, 0, stderr);
  const report = JSON.parse(stdout);
  t.is(report.method, "strace-log");
  t.deepEqual(counts(report.summary), totals(0, 0, 50, 50 * 512));
  assertCoded(t, report);
  t.regex(warningOf(t, report, "no-timestamps"), /^strace log: no timestamps/);
  t.regex(warningOf(t, report, "no-durations"), /^strace log: no call durations/);
  t.regex(warningOf(t, report, "no-metadata-calls"), /metadata calls are unknown/);
  // What it cannot see is null: no clock, no latency, no metadata.
  t.is(report.elapsedSeconds, null);
  t.is(report.latency, null);
  t.is(report.metadataOps, null);
});

test("--method strace: strace's missing storage bytes are coded; the warnings it drops (clock, durations, metadata) go with their codes", (t) => {
  const out = path.join(dir, "live.out");
  const { report, status, stderr } = runCliJson(["--method", "strace", "--", bin.writes, out, "40", "1024"]);
  t.is(status, 0, stderr);
  t.is(report.method, "strace");
  t.deepEqual(counts(report.summary), totals(0, 0, 40, 40 * 1024));
  assertCoded(t, report);
  t.regex(warningOf(t, report, "no-storage-bytes"), /^strace does not see storage-level bytes/);
  for (const code of ["no-timestamps", "no-durations", "no-metadata-calls"]) t.false(report.warningCodes.includes(code), code);
  t.false(report.warnings.some((w) => /no timestamps|no call durations|metadata calls are unknown/.test(w)));
});

test("our tracer: a clean run has no warnings and no codes", (t) => {
  const out = path.join(dir, "ptrace.out");
  const { report, status, stderr } = runCliJson(["--method", "ptrace", "--", bin.writes, out, "30", "4096"]);
  t.is(status, 0, stderr);
  t.is(report.method, "ptrace");
  t.deepEqual(counts(report.summary), totals(0, 0, 30, 30 * 4096));
  t.deepEqual(report.warnings, []);
  t.deepEqual(report.warningCodes, []);
});

test("the counters fallback: the reason leads, coded counters-fallback, then what counters cannot see; the CLI prints the notice by its code", (t) => {
  const before = native.countersSnapshot();
  const file = path.join(dir, "counters.out");
  const fd = fs.openSync(file, "w");
  for (let i = 0; i < 25; i++) fs.writeSync(fd, Buffer.alloc(100));
  fs.closeSync(fd);
  const after = native.countersSnapshot();
  const report = JSON.parse(native.countersReport(before, after, "ptrace refused for this test"));
  t.is(report.method, "proc-io");
  assertCoded(t, report);
  t.deepEqual(report.warningCodes, ["counters-fallback", "source-limits"]);
  t.regex(report.warnings[0], /^ptrace refused for this test; figures come from \/proc\/\d+\/io counters$/);
  t.true(report.summary.writeOps >= 25, `${report.summary.writeOps} writes`);
  for (const key of ["otherFds", "failedOps", "metadataOps", "files", "syscalls", "histogram", "latency", "timeline"]) {
    t.is(report[key], null, key);
  }

});

test("the CLI falling back to counters (already traced): the counters-fallback warning is its notice line, not repeated among the warnings", (t) => {
  const out = path.join(dir, "nested.out");
  // The inner iops where eBPF is not permitted, so its default is ptrace: refused because the outer traces it.
  // (A method asked for is never a fallback: fallback.spec.)
  const r = withoutBpfCaps(shellLine([process.execPath, CLI, "--method", "ptrace", "--", process.execPath, CLI, "--json", "-", "--", bin.writes, out, "10", "100"]));
  t.is(r.status, 0, r.stderr);
  const inner = JSON.parse(r.stdout);
  t.is(inner.method, "proc-io");
  assertCoded(t, inner);
  // After the line that says why eBPF, the default, did not run.
  t.deepEqual(inner.warningCodes.slice(0, 2), ["default-source-unavailable", "counters-fallback"]);
  const notice = warningOf(t, inner, "counters-fallback");
  t.true(r.stderr.includes(`iops: ${notice}`), r.stderr);
  t.false(r.stderr.includes(`Warning: ${notice}`), r.stderr);
  // The warnings after it are in the table.
  t.true(r.stderr.includes(`Warning: ${warningOf(t, inner, "source-limits")}`), r.stderr);
});

test("a caller's warning with an unknown code is refused in one line, not passed on uncoded", (t) => {
  const stream = new native.FsUsageStream();
  const e = t.throws(() => stream.finish({ warnings: [{ code: "no-such-code", text: "x" }] }));
  t.is(e.message, 'unknown warning code: "no-such-code"');
  const ok = JSON.parse(new native.FsUsageStream().finish({ warnings: [{ code: "events-lost", text: "lost some" }] }));
  t.is(ok.warnings[0], "lost some");
  t.is(ok.warningCodes[0], "events-lost");
  assertCoded(t, ok);
});

test("the live strace source's report is built whole in Rust: an empty log is zero calls in the caller's time, with only strace's own no-storage-bytes warning", (t) => {
  const STORAGE = "strace does not see storage-level bytes (reads served from the page cache, writes reaching the disk): --method ebpf and --method ptrace report them";
  const empty = JSON.parse(native.LineImport.straceOwn().finish({ method: "strace", elapsedSeconds: 2.5 }));
  t.is(empty.elapsedSeconds, 2.5);
  t.deepEqual(counts(empty.summary), totals(0, 0, 0, 0));
  t.is(empty.summary.iops, 0);
  t.is(empty.metadataOps.total, 0, "metadata calls were traced: none is a zero");
  t.not(empty.latency, null, "no call: no duration missed");
  t.deepEqual(empty.warnings, [STORAGE]);
  t.deepEqual(empty.warningCodes, ["no-storage-bytes"]);
  // A log with calls keeps its own clock; data calls only, metadata traced: still a zero, not unknown.
  const own = native.LineImport.straceOwn();
  own.push(Buffer.from('7 1700000000.000000 write(3</tmp/a>, "", 2) = 2 <0.000001>\n7 1700000000.000010 write(3</tmp/a>, "", 2) = 2 <0.000001>\n'));
  const calls = JSON.parse(own.finish({ method: "strace", elapsedSeconds: 9 }));
  t.is(calls.elapsedSeconds, 10e-6);
  t.deepEqual(counts(calls.summary), totals(0, 0, 2, 4));
  t.is(calls.metadataOps.total, 0);
  t.is(calls.warnings.at(-1), STORAGE);
  t.false(calls.warningCodes.includes("no-metadata-calls"));
  // The same empty input as a saved log (no caller's time): unknowns, each said once.
  const log = JSON.parse(new native.LineImport("strace").finish({}));
  t.is(log.elapsedSeconds, null);
  t.deepEqual(log.warningCodes, ["no-timestamps", "no-durations", "no-metadata-calls", "no-storage-bytes"]);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    const e = t.throws(() => native.LineImport.straceOwn().finish({ method: "strace", elapsedSeconds: bad }));
    t.regex(e.message, /^elapsedSeconds must be a finite number of seconds, 0 or more/);
  }
});
