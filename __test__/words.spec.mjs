/**
 * The words of the report on real runs: binary units that say so (KiB,
 * MiB), a noun in the number its count takes ("1 read", "0 writes"),
 * failed calls as extra ("(and 1 failed)"), and the line of fds left out
 * of the table naming the kinds that are there (a character device here).
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { compileFixtures, iops, makeTempDir, runCli } from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-words-");
  bin = compileFixtures(dir, ["access", "writes"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const line = (text, start) => text.split("\n").find((l) => l.startsWith(start));

test("one read of one file: singular nouns, in the text and the page", (t) => {
  const data = path.join(dir, "one.dat");
  fs.writeFileSync(data, Buffer.alloc(1000));
  const page = path.join(dir, "one.html");
  const r = runCli(["--method", "ptrace", "--html", page, "--", bin.access, "read-seq", data, "1", "100"]);
  t.is(r.status, 0, r.stderr);
  // The static program opens and closes its file once, and nothing else.
  t.is(line(r.stderr, "Metadata calls:"), "Metadata calls: 1 open, 1 close, 0 stats, 0 syncs, 0 unlinks, 0 renames, 0 getdents");
  t.is(line(r.stderr, "Bytes Read:"), "Bytes Read:             100 bytes");
  t.true(fs.readFileSync(page, "utf8").includes("<p class=\"note\">1 file. Click a column to sort."));
});

test("a failed open is counted besides the calls that succeeded: (and 1 failed)", (t) => {
  const r = runCli(["--method", "ptrace", "--", bin.access, "read-seq", path.join(dir, "no-such-file"), "1", "100"]);
  t.not(r.status, 0, "the program fails to open its file");
  t.regex(line(r.stderr, "Metadata calls:") ?? "", /^Metadata calls: 0 opens, 0 closes, .* \(and 1 failed\)$/, r.stderr);
});

test("dd from /dev/zero: the fds left out are named (character devices), one read, in KiB", (t) => {
  const out = path.join(dir, "dd.out");
  const r = runCli(["--method", "ptrace", "--", "dd", "status=none", "if=/dev/zero", `of=${out}`, "bs=4096", "count=1"]);
  t.is(r.status, 0, r.stderr);
  t.is(
    line(r.stderr, "Not counted above"),
    "Not counted above (character devices): 1 read, 0 writes, 4.00 KiB (4,096 bytes) (--all-fds adds them)",
  );
});

test("binary units everywhere: 3 MiB written in 64 KiB writes, in the text, the histogram and the page's charts", (t) => {
  const out = path.join(dir, "big.out");
  const json = path.join(dir, "big.json");
  const r = runCli(["--method", "ptrace", "--histogram", "--json", json, "--", bin.writes, out, "48", "65536"]);
  t.is(r.status, 0, r.stderr);
  t.is(line(r.stderr, "Bytes Written:"), "Bytes Written:          3.00 MiB (3,145,728 bytes)");
  t.regex(r.stderr, /^\s+64 KiB \| W+ 48 ops, 3\.00 MiB$/m);
  t.false(/\d (KB|MB|GB)\b/.test(r.stderr), "no decimal-looking prefix for a binary size");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  const figures = iops.reportFigures(report);
  const bytes = figures.find((f) => f.id === "size-bytes");
  t.is(bytes.layout.yaxis.title.text, "bytes moved (MiB)");
  t.is(bytes.data.find((s) => s.name === "writes").y.at(-1), 3);
  const throughput = figures.find((f) => f.id === "throughput-over-time");
  t.regex(throughput.layout.yaxis.title.text, /^(B|KiB|MiB|GiB)\/s$/);
});
