/**
 * File names are bytes: two files whose names differ in one byte that is
 * not UTF-8 (`caf\351.txt`, `caf\352.txt`) stay two rows, with their own
 * counts and access patterns, under their escaped names (`caf\xe9.txt`),
 * live and from a real strace log (the one text form of a byte name, see
 * crates/iops-core/src/path_name.rs). Ground truth: fixtures/bytenames.c.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, compileFixtures, fileCounts, makeTempDir, runCli, runCliJson } from "./_support/util.mjs";

let dir;
let bin;

const [A, B, SIZE] = [3, 5, 100];

test.before(() => {
  dir = makeTempDir("iops-byte-names-");
  bin = compileFixtures(dir, ["bytenames"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The two rows bytenames.c's run in `sub` must give. */
function expectedRows(sub) {
  const row = (name, n) => ({ path: `${sub}/${name}`, kind: "file", readOps: n, writeOps: n, readBytes: n * SIZE, writeBytes: n * SIZE });
  return [row("caf\\xe9.txt", A), row("caf\\xea.txt", B)];
}

function assertTwoRows(t, report, sub) {
  const rows = report.files.filter((f) => f.path.startsWith(`${sub}/`));
  t.deepEqual(
    rows.map(fileCounts).sort((a, b) => a.path.localeCompare(b.path)),
    expectedRows(sub),
  );
  // Each file alone is read and written in order (the reads of the two take turns).
  for (const r of rows) t.is(r.pattern, "sequential", r.path);
  t.false(JSON.stringify(report).includes("\ufffd"), "no name was decoded lossily");
}

function workload(name) {
  const sub = path.join(dir, name);
  fs.mkdirSync(sub);
  return { sub, argv: [bin.bytenames, sub, String(A), String(B), String(SIZE)] };
}

test("live (iops --json - -- ...): two files, two rows, each with its own counts", (t) => {
  const { sub, argv } = workload("live");
  const { status, report, stderr } = runCliJson(["--", ...argv]);
  t.is(status, 0, stderr);
  assertTwoRows(t, report, sub);
  // The table shows the same escaped names.
  t.true(stderr.includes("caf\\xe9.txt") && stderr.includes("caf\\xea.txt"), stderr);
});

test("a real strace -f -yy log (octal escapes \\351, \\352): two rows, the same as live", (t) => {
  const { sub, argv } = workload("strace");
  const log = path.join(dir, "bytenames.log");
  const s = spawnSync("strace", ["-f", "-yy", "-o", log, "--", ...argv], { encoding: "utf8" });
  t.is(s.status, 0, s.stderr);
  t.true(fs.readFileSync(log, "latin1").includes("caf\\351.txt>"), "strace wrote the byte as an octal escape");
  const r = runCli(["import", "--json", "-", log]);
  t.is(r.status, 0, r.stderr);
  assertTwoRows(t, JSON.parse(r.stdout), sub);
});

test("a real strace -f -yy -xx log (hex escapes): the same two rows", (t) => {
  const { sub, argv } = workload("strace-xx");
  const log = path.join(dir, "bytenames-xx.log");
  const s = spawnSync("strace", ["-f", "-yy", "-xx", "-o", log, "--", ...argv], { encoding: "utf8" });
  t.is(s.status, 0, s.stderr);
  const r = spawnSync(process.execPath, [CLI, "import", "--json", "-", log], { encoding: "utf8" });
  t.is(r.status, 0, r.stderr);
  assertTwoRows(t, JSON.parse(r.stdout), sub);
});
