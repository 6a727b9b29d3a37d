/**
 * Processes whose view of the system is not iops's, once per live source
 * (`eachMethod`): a process under chroot names its files relative to its
 * own root, and the report must name the real files (as /proc and strace
 * do); a process in a PID namespace is known to iops by that namespace's
 * pids while the kernel knows it by the host's, and every figure must
 * still be the workload's own. The expected figures are the workloads'
 * arithmetic and the files they leave, never one source's output.
 *
 * Needs root (chroot, unshare); skipped, saying why, otherwise.
 */
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { compileFixtures, eachMethod, fileCounts, makeTempDir, runCliJson } from "./_support/util.mjs";

const ROOTLESS = process.platform !== "linux" || process.getuid() !== 0;
if (ROOTLESS) console.log("namespaces.spec: skipped: chroot and unshare need root on Linux");
const each = ROOTLESS ? (t, title) => test.skip(title, () => {}) : eachMethod;

let dir;
let bin;

test.before(() => {
  if (ROOTLESS) return;
  dir = makeTempDir("iops-ns-");
  bin = compileFixtures(dir, ["chrooted", "writes"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The report's files that were written, as { path, writeOps, writeBytes }, by path. */
function written(report) {
  return report.files
    .filter((f) => f.writeOps > 0)
    .map((f) => ({ path: f.path, writeOps: fileCounts(f).writeOps, writeBytes: fileCounts(f).writeBytes }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

each(test, "a program that chroots itself: every file named by its real path (absolute, relative after chdir, openat on a dirfd, '..' at the root, an absolute symlink inside the root), its exact writes", (t, method) => {
  const N = 7;
  const S = 10;
  const jail = fs.realpathSync(fs.mkdtempSync(path.join(dir, `jail-${method}-`)));
  const { status, report, stderr } = runCliJson(["--method", method, "--", bin.chrooted, jail, String(N), String(S)]);
  t.is(status, 0, stderr);
  t.is(report.method, method);
  const names = ["abs.dat", "sub/at.dat", "sub/ln.dat", "sub/rel.dat", "up.dat"].map((n) => path.join(jail, n));
  // Ground truth: the files the program left, each N records of S bytes.
  for (const n of names) t.is(fs.statSync(n).size, N * S, n);
  t.deepEqual(
    written(report),
    names.map((p) => ({ path: p, writeOps: N, writeBytes: N * S })),
  );
  t.is(report.summary.writeOps, 5 * N);
});

each(test, "a static writer launched through chroot(8) (the field case): its file named by its real path, not by the path it gave", (t, method) => {
  const N = 5;
  const S = 10;
  const jail = fs.realpathSync(fs.mkdtempSync(path.join(dir, `croot-${method}-`)));
  fs.copyFileSync(bin.writes, path.join(jail, "w"));
  fs.chmodSync(path.join(jail, "w"), 0o755);
  const { status, report, stderr } = runCliJson(["--method", method, "--", "chroot", jail, "/w", "/out.dat", String(N), String(S)]);
  t.is(status, 0, stderr);
  const real = path.join(jail, "out.dat");
  t.is(fs.statSync(real).size, N * S);
  t.deepEqual(written(report), [{ path: real, writeOps: N, writeBytes: N * S }]);
});
