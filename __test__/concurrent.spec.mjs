// Captures running at the same time in one process each see only their own
// command: every tracer thread waits for its own tracees alone.
import test from "ava";
import { rmSync } from "node:fs";
import { join } from "node:path";

import { compileFixtures, counts, fileEntry, iops, makeTempDir, totals } from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-concurrent-");
  bin = compileFixtures(dir, ["writes"]).writes;
});

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test("three traceCommand() captures at once: each exact, none sees the others", async (t) => {
  const jobs = [
    { count: 300, size: 100 },
    { count: 500, size: 10 },
    { count: 50, size: 4096 },
  ].map((j, i) => ({ ...j, path: join(dir, `out-${i}.dat`) }));
  const captures = jobs.map((j) => iops.traceCommand([bin, j.path, String(j.count), String(j.size)]));
  const reports = await Promise.all(captures.map((c) => c.report));
  reports.forEach((r, i) => {
    const j = jobs[i];
    t.deepEqual(counts(r.summary), totals(0, 0, j.count, j.count * j.size), `capture ${i}`);
    t.is(fileEntry(r, j.path).writeOps, j.count);
    t.is(r.files.filter((f) => f.kind === "file").length, 1, `capture ${i} sees only its own file`);
    t.is(r.exit.code, 0);
  });
});
