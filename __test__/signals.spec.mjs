// A signal that interrupts a call: with SA_RESTART the kernel runs the call
// again and it is one operation; without, it fails with EINTR, which the
// program sees and the report must count, exactly, as a failed call.
import test from "ava";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

import { compileFixtures, fileEntry, makeTempDir, procStatus, runCliJson, spawnCli, syscallRow, waitFor } from "./_support/util.mjs";

let dir;
let bin;
let writer;

test.before(() => {
  dir = makeTempDir("iops-signals-");
  ({ eintr: bin, loopwriter: writer } = compileFixtures(dir, ["eintr", "loopwriter"]));
});

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function run(mode) {
  const result = join(dir, `${mode}.txt`);
  const { status, report, stderr } = runCliJson(["--all-fds", "--", bin, mode, "100", result]);
  const [got, eintr] = readFileSync(result, "utf8").trim().split(" ").map(Number);
  const pipe = report.files.find((f) => f.kind === "pipe" && f.readOps > 0);
  return { status, stderr, report, got, eintr, pipe };
}

test("reads interrupted without SA_RESTART fail with EINTR: counted apart, exactly as the program saw them", (t) => {
  const r = run("norestart");
  t.is(r.status, 0, r.stderr);
  t.is(r.got, 100);
  t.true(r.eintr > 0, "the timer did interrupt reads");
  t.is(r.pipe.readOps, 100);
  t.is(r.report.failedOps.total, r.eintr);
  t.deepEqual(r.report.failedOps.byErrno, { EINTR: r.eintr });
  t.is(syscallRow(r.report, "read").failed, r.eintr);
});

test("reads restarted by SA_RESTART are single operations, not failures", (t) => {
  const r = run("restart");
  t.is(r.status, 0, r.stderr);
  t.is(r.got, 100);
  t.is(r.eintr, 0);
  t.is(r.pipe.readOps, 100);
  t.is(r.report.failedOps.total, 0);
  t.is(fileEntry(r.report, join(dir, "restart.txt")).writeOps, 1);
});

test("SIGTERM sent to iops alone goes to the command, which ends; iops reports and exits 128 + 15", async (t) => {
  const out = join(dir, "term.dat");
  const run = spawnCli(["--", writer, out, "0", "100", "1000"]);
  const pid = await waitFor(() => Number(/pid (\d+)/.exec(run.output().stdout)?.[1]) || null, "the writer's pid");
  await waitFor(() => /progress/.test(run.output().stdout), "some writes");
  run.child.kill("SIGTERM");
  const { status, stderr } = await run.done;
  t.is(status, 128 + 15);
  t.regex(stderr, /Write Operations: +[\d,]+/);
  t.is(procStatus(pid), null, "the writer is gone");
});
