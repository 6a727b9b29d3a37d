// The profiled process survives its helper: if the helper dies mid-window,
// the kernel detaches us, profile() rejects in words, the CPU affinity the
// helper set is restored, and the next profile() starts a new helper.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./fixtures/helper-dies.cjs", import.meta.url));

test("a helper killed mid-window leaves the process untraced, on its own CPUs, and able to profile again", (t) => {
  const out = join(mkdtempSync(join(tmpdir(), "iops-robust-")), "after.txt");
  const r = JSON.parse(execFileSync(process.execPath, [script, out], { encoding: "utf8", timeout: 60_000 }));
  t.is(r.error?.code, "EIO", JSON.stringify(r.error));
  t.regex(r.error.message, /helper exited/);
  const cpusBefore = new Set(r.before.map((x) => x.cpus));
  t.is(cpusBefore.size, 1, "every thread had the same CPUs before");
  for (const th of r.after) {
    t.is(th.tracer, 0, "no thread is left traced");
    t.is(th.cpus, r.before[0].cpus, "every thread has its CPUs back");
  }
  t.deepEqual(r.again, { method: "ptrace", writeOps: 1 });
});
