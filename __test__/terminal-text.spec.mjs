/**
 * Nothing from a report, a log or the command line reaches a terminal as
 * raw control characters: `iops report` of a crafted JSON shows its ESC,
 * OSC, C1 and bidi characters escaped (`\x1b`, `\u009b`), as file names
 * already were; a report of the wrong shape is refused in one line, never a
 * crash; error messages that echo what the user typed are escaped too.
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { makeTempDir, runCli } from "./_support/util.mjs";

/** Characters that act on a terminal: C0 but the line feed, DEL, C1, bidi overrides. */
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let dir;
let real;

test.before(() => {
  dir = makeTempDir("iops-text-");
  const log = path.join(dir, "small.log");
  fs.writeFileSync(
    log,
    '1234 1700000000.000001 write(3</data/out.log>, "", 16) = 16 <0.000010>\n' +
      '1234 1700000000.000002 write(3</data/out.log>, "", 16) = -1 ENOSPC (No space left on device) <0.000010>\n',
  );
  const saved = path.join(dir, "real.json");
  const r = runCli(["import", "--json", saved, log]);
  if (r.status !== 0) throw new Error(r.stderr);
  real = JSON.parse(fs.readFileSync(saved, "utf8"));
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function save(name, value) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
  return p;
}

function assertInert(t, r, what) {
  t.false(ACTIVE.test(r.stdout), `${what}: stdout ${JSON.stringify(r.stdout.match(ACTIVE))}`);
  t.false(ACTIVE.test(r.stderr), `${what}: stderr ${JSON.stringify(r.stderr.match(ACTIVE))}`);
}

test("iops report of a crafted report: every string shows escaped (method, storage source, errno names, warnings, paths)", (t) => {
  const crafted = structuredClone(real);
  crafted.method = "\x1b]0;pwned\x07\x1b[2J";
  crafted.storage = { readBytes: 1, writeBytes: 2, source: "\x1b[31mred\x1b[0m" };
  crafted.failedOps = { total: 2, byErrno: { "\x1b[1mEIO": 2 } };
  crafted.warnings = ["\x1b]8;;http://example.invalid\x07link\x1b]8;;\x07", "\u009b31m C1 CSI", "\u202eright-to-left", "a\rb\bc"];
  crafted.files[0].path = "/data/\x1b[Kout.log";
  const file = save("crafted.json", crafted);
  for (const args of [[file], [file, "--histogram", "--top", "1"], [file, "--html", path.join(dir, "crafted.html")]]) {
    const r = runCli(["report", ...args]);
    t.is(r.status, 0, r.stderr);
    assertInert(t, r, args.join(" "));
    const text = r.stdout + r.stderr;
    t.true(text.includes("(\\x1b]0;pwned\\x07\\x1b[2J; files)"), "the method, escaped, in the title");
    t.true(text.includes("(\\x1b[31mred\\x1b[0m)"), "the storage source");
    t.true(text.includes("\\x1b[1mEIO 2"), "the errno name");
    t.true(text.includes("Warning: \\x1b]8;;http://example.invalid\\x07link\\x1b]8;;\\x07"));
    t.true(text.includes("Warning: \\u009b31m C1 CSI"));
    t.true(text.includes("Warning: \\u202eright-to-left"));
    t.true(text.includes("Warning: a\\x0db\\x08c"));
    t.true(text.includes("/data/\\x1b[Kout.log"));
  }
});

test("iops report of JSON that is not a well-formed report: one line naming the field, exit 1, never a stack trace", (t) => {
  const cases = [
    ["summary.writeOps", (r) => (r.summary.writeOps = "\x1b[2J")],
    ["files[0].readOps", (r) => (r.files[0].readOps = "1")],
    ["files[0].path", (r) => (r.files[0].path = null)],
    ["files[0].pattern", (r) => (r.files[0].pattern = "\x1b[2J")],
    ["files", (r) => (r.files = { length: 1 })],
    ["warnings[0]", (r) => (r.warnings = [42])],
    ["elapsedSeconds", (r) => delete r.elapsedSeconds],
    ["allFds", (r) => (r.allFds = "yes")],
    ["latency.write.meanNs", (r) => (r.latency.write.meanNs = null)],
    ["histogram.write[0]", (r) => (r.histogram.write[0] = null)],
    ["failedOps.byErrno.\\x1b[2J", (r) => (r.failedOps.byErrno["\x1b[2J"] = "many")],
    ["storage.source", (r) => (r.storage = { readBytes: 0, writeBytes: 0, source: 5 })],
    ["exit.code", (r) => (r.exit = { code: "0", signal: null, signalNumber: null })],
    ["host", (r) => (r.host = "here")],
    ["command", (r) => (r.command = "ls")],
  ];
  for (const [field, mutate] of cases) {
    const bad = structuredClone(real);
    mutate(bad);
    const r = runCli(["report", save("bad.json", bad)]);
    t.is(r.status, 1, `${field}: ${r.stderr}`);
    t.is(r.stdout, "");
    t.regex(r.stderr, /^iops report: .*bad\.json is not a valid iops report \(.*\); give a file written by iops --json\n$/, field);
    t.true(r.stderr.includes(`(${field} `), `${field}: ${r.stderr}`);
    assertInert(t, r, field);
  }
  // A number too large for a double (1e999 parses as Infinity).
  const huge = JSON.stringify(real).replace('"writeOps":1', '"writeOps":1e999');
  const r = runCli(["report", save("huge.json", huge)]);
  t.is(r.status, 1);
  t.regex(r.stderr, /\(summary\.writeOps is not a count\)/);
  // A file that is not JSON, with control characters in it: the parser's excerpt is escaped.
  const garbage = runCli(["report", save("garbage.json", "\x1b]0;pwned\x07{")]);
  t.is(garbage.status, 1);
  t.regex(garbage.stderr, /^iops report: .* is not JSON \(.*\); give a file written by iops --json\n$/);
  assertInert(t, garbage, "not JSON");
  // An older report (no access patterns, no host) is still taken.
  const old = structuredClone(real);
  for (const f of old.files) for (const k of ["pattern", "smallOps", "readAccess", "writeAccess"]) delete f[k];
  delete old.host;
  t.is(runCli(["report", save("old.json", old)]).status, 0);
});

test("messages that echo what was typed or read are escaped: file names, option values, command names, log lines", (t) => {
  const name = path.join(dir, "\x1b]0;pwned\x07.json");
  const checks = [
    ["report", name],
    ["import", name],
    ["--top", "\x1b[2J", "--", "/bin/true"],
    ["-p", "\x1b[2J1"],
    ["--", "no-such-command-\x1b[2J"],
    ["--json", path.join(dir, "no-dir-\x1b[2J", "r.json"), "--", "/bin/true"],
    ["report", "--top", "\x9b2J", path.join(dir, "x.json")],
  ];
  for (const args of checks) {
    const r = runCli(args);
    t.not(r.status, 0, JSON.stringify(args));
    t.true(r.stderr.length > 0);
    assertInert(t, r, JSON.stringify(args));
  }
  // A log line the parser does not understand is quoted in a warning: escaped.
  const log = save("odd.log", '1234 1700000000.000001 write(3</data/out.log>, "", 16) = 16 <0.000010>\n\x1b]0;pwned\x07 garbage \x1b[2J\n');
  const r = runCli(["import", log]);
  t.is(r.status, 0, r.stderr);
  assertInert(t, r, "import of a log with control characters");
  t.true(r.stdout.includes("pwned"), "the line is quoted, escaped");
});

test("iops report refuses counts no double holds exactly and negative times: one line naming the field, never a rounded or negative figure", (t) => {
  const cases = [
    ["summary.writeOps", (r) => (r.summary.writeOps = 1e308)],
    ["summary.readBytes", (r) => (r.summary.readBytes = 2 ** 60)],
    ["files[0].writeOps", (r) => (r.files[0].writeOps = 1.5)],
    ["elapsedSeconds", (r) => (r.elapsedSeconds = -5)],
    ["summary.iops", (r) => (r.summary.iops = -1)],
    ["latency.write.p99Ns", (r) => (r.latency.write.p99Ns = -3)],
  ];
  for (const [field, mutate] of cases) {
    const bad = structuredClone(real);
    mutate(bad);
    const r = runCli(["report", save("bad-number.json", bad)]);
    t.is(r.status, 1, `${field}: ${r.stderr}`);
    t.is(r.stdout, "");
    t.true(r.stderr.includes(`(${field} is not a `), `${field}: ${r.stderr}`);
  }
  // The largest exact count is still taken, and printed exactly.
  const big = structuredClone(real);
  big.summary.writeBytes = Number.MAX_SAFE_INTEGER;
  const r = runCli(["report", save("big.json", big)]);
  t.is(r.status, 0, r.stderr);
  t.true(r.stdout.includes("9,007,199,254,740,991 bytes"), r.stdout);
});
