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

import { CLI, compileFixtures, eachMethod, fileCounts, makeTempDir, runCli, runCliJson } from "./_support/util.mjs";

let dir;
let bin;

const [A, B, SIZE] = [3, 5, 100];

test.before(() => {
  dir = makeTempDir("iops-byte-names-");
  bin = compileFixtures(dir, ["bytenames", "writes"]);
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

// ----------------------------- a command's arguments are bytes (newcomer's F8)

/**
 * Runs `iops <args>` from a shell, so that `$1`, `$2`... may hold bytes that
 * are not UTF-8 (Node's spawn would re-encode them): `printf` makes them.
 * Returns { status, stdout, stderr }; stdout as text (the JSON report).
 */
function iopsFromShell(line, env = {}) {
  const r = spawnSync("sh", ["-c", line], { encoding: "utf8", env: { ...process.env, NODE: process.execPath, CLI, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The names in `sub` as bytes, as the kernel has them. */
const namesIn = (sub) => fs.readdirSync(sub, { encoding: "buffer" });

const [N, S] = [7, 300];

eachMethod(test, "an output path with a byte that is not UTF-8 reaches the command as it is: the file is made under that name, written N times", (t, method) => {
  const sub = path.join(dir, `arg-${method}`);
  fs.mkdirSync(sub);
  // out\377.dat: \377 alone is not UTF-8 (Node would pass U+FFFD's three bytes).
  const r = iopsFromShell(`exec "$NODE" "$CLI" --method ${method} --json - -- "$WRITES" "$(printf '%s/out\\377.dat' "$SUB")" ${N} ${S}`, { WRITES: bin.writes, SUB: sub });
  t.is(r.status, 0, r.stderr);
  const names = namesIn(sub);
  t.deepEqual(names, [Buffer.from("out\xff.dat", "latin1")], "the one file has the byte, not U+FFFD");
  t.is(fs.statSync(Buffer.concat([Buffer.from(`${sub}/`), names[0]])).size, N * S, "ground truth: the command wrote N records");
  const report = JSON.parse(r.stdout);
  const row = report.files.find((f) => f.path.startsWith(`${sub}/`));
  t.deepEqual(fileCounts(row), { path: `${sub}/out\\xff.dat`, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
});

eachMethod(test, "a program whose path has a byte that is not UTF-8 runs (not 'command not found'), and is counted", (t, method) => {
  const sub = path.join(dir, `prog-${method}`);
  fs.mkdirSync(sub);
  const prog = Buffer.concat([Buffer.from(`${sub}/writes`), Buffer.from([0xff])]);
  fs.copyFileSync(bin.writes, prog);
  fs.chmodSync(prog, 0o755);
  const out = path.join(sub, "plain.dat");
  const r = iopsFromShell(`exec "$NODE" "$CLI" --method ${method} --json - -- "$(printf '%s/writes\\377' "$SUB")" "$OUT" ${N} ${S}`, { SUB: sub, OUT: out });
  t.is(r.status, 0, r.stderr);
  t.is(fs.statSync(out).size, N * S);
  const report = JSON.parse(r.stdout);
  t.deepEqual(fileCounts(report.files.find((f) => f.path === out)), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
});

test("traceCommand() takes an argument as a Buffer: its bytes reach the command unchanged", async (t) => {
  const { iops } = await import("./_support/util.mjs");
  const sub = path.join(dir, "api");
  fs.mkdirSync(sub);
  const report = await iops.traceCommand([bin.writes, Buffer.from(`${sub}/api\xfe.dat`, "latin1"), String(N), String(S)]).report;
  t.deepEqual(namesIn(sub), [Buffer.from("api\xfe.dat", "latin1")]);
  t.is(report.summary.writeOps, N);
  t.is(report.summary.writeBytes, N * S);
});

test("--method strace refuses an argument that is not UTF-8 in one line (Node's spawn would change it), running nothing", (t) => {
  const sub = path.join(dir, "strace-arg");
  fs.mkdirSync(sub);
  const r = iopsFromShell(`exec "$NODE" "$CLI" --method strace -- "$WRITES" "$(printf '%s/s\\377.dat' "$SUB")" 1 1`, { WRITES: bin.writes, SUB: sub });
  t.is(r.status, 1);
  t.regex(r.stderr, /^iops: --method strace cannot pass argument 1 \(.*\) as it is: its bytes are not UTF-8/);
  t.deepEqual(namesIn(sub), [], "the command did not run");
});

test("iops's own file names must be UTF-8: a --json path or an import file that is not is refused in one line (exit 2), never written or read under another name", (t) => {
  const sub = path.join(dir, "own-args");
  fs.mkdirSync(sub);
  const r = iopsFromShell(`exec "$NODE" "$CLI" --json "$(printf '%s/r\\377.json' "$SUB")" -- true`, { SUB: sub });
  t.is(r.status, 2);
  t.is(r.stderr, `iops: argument ${sub}/r\\xff.json is not UTF-8: iops takes its own options and file names as UTF-8 only (a command's arguments after -- may be any bytes); give it another name\n`);
  t.deepEqual(namesIn(sub), [], "no report under a U+FFFD name");
  const i = iopsFromShell(`exec "$NODE" "$CLI" import "$(printf '%s/s\\377.log' "$SUB")"`, { SUB: sub });
  t.is(i.status, 2);
  t.regex(i.stderr, /^iops: argument .*\/s\\xff\.log is not UTF-8: /);
});
