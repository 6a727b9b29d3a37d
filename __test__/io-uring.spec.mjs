// I/O submitted through io_uring never passes through read/write syscalls:
// a program that sets up a ring must get a warning, not silently low counts.
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

const SOURCE = `
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
int main(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int ring = syscall(SYS_io_uring_setup, 4, &p);
  if (ring >= 0) close(ring);
  write(1, "x", 1);
  return ring >= 0 ? 0 : 1;
}
`;

test("a program that sets up io_uring gets a warning in the report", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "iops-uring-"));
  writeFileSync(join(dir, "uring.c"), SOURCE);
  execFileSync("gcc", ["-O2", "-static", "-o", join(dir, "uring"), join(dir, "uring.c")]);
  const run = spawnSync(process.execPath, [cli, "--json", "-", "--", join(dir, "uring")], { encoding: "utf8" });
  // The ring may be refused by the kernel's policy (io_uring_disabled);
  // the warning is about the attempt either way.
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf("{")));
  t.true(report.warnings.some((w) => w.includes("io_uring")), JSON.stringify(report.warnings));
  t.is(report.otherFds.writeOps, 1, "the write to stdout is counted apart");
});

test("a program without io_uring gets no such warning", (t) => {
  const run = spawnSync(process.execPath, [cli, "--json", "-", "--", "true"], { encoding: "utf8" });
  const report = JSON.parse(run.stdout);
  t.false(report.warnings.some((w) => w.includes("io_uring")));
});
