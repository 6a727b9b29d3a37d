// Block devices are storage: reads of one are counted in the summary, with
// kind "blockDevice". The device is a loop device over a scratch file
// (losetup, as root), detached afterwards.
import test from "ava";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { fileEntry, makeTempDir, runCliJson } from "./_support/util.mjs";

function withLoopDevice(fn) {
  const image = join(makeTempDir("iops-blk-"), "disk.img");
  writeFileSync(image, Buffer.alloc(1 << 20, 7));
  let dev;
  try {
    dev = execFileSync("losetup", ["--find", "--show", image], { encoding: "utf8" }).trim();
  } catch (e) {
    throw new Error(`this test needs a loop device (losetup, as root): ${e.message}`);
  }
  try {
    return fn(dev);
  } finally {
    execFileSync("losetup", ["-d", dev]);
  }
}

test("reads of a block device count as storage I/O of kind blockDevice", (t) => {
  withLoopDevice((dev) => {
    const { status, report, stderr } = runCliJson(["--", "dd", `if=${dev}`, "of=/dev/null", "bs=4096", "count=8", "status=none"]);
    t.is(status, 0, stderr);
    const entry = fileEntry(report, dev);
    t.truthy(entry, `${dev} in ${JSON.stringify(report.files)}`);
    t.is(entry.kind, "blockDevice");
    t.is(entry.readOps, 8);
    t.is(entry.readBytes, 8 * 4096);
    const fileReads = report.files.filter((f) => f.kind === "file").reduce((n, f) => n + f.readOps, 0);
    t.is(report.summary.readOps, 8 + fileReads, "the summary holds the device's reads beside dd's own file reads");
    t.is(fileEntry(report, "/dev/null")?.kind, "other", "a character device is not storage");
  });
});
