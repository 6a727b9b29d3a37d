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
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, FIXTURES, ROOT, compileFixtures, eachMethod, fileCounts, makeTempDir, runCliJson } from "./_support/util.mjs";

const ROOTLESS = process.platform !== "linux" || process.getuid() !== 0;
if (ROOTLESS) console.log("namespaces.spec: skipped: chroot and unshare need root on Linux");
const each = ROOTLESS ? (t, title) => test.skip(title, () => {}) : eachMethod;

let dir;
let bin;

test.before(() => {
  if (ROOTLESS) return;
  dir = makeTempDir("iops-ns-");
  bin = compileFixtures(dir, ["chrooted", "writes", "forkwrite", "forkedfd", "dupexec", "threads", "gatedwrites", "loopwriter"]);
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

each(test, "attach to a process under chroot, which opens its files after the attach: each named by its real path, its exact writes", (t, method) => {
  const T = 2;
  const N = 20;
  const S = 10;
  const jail = fs.realpathSync(fs.mkdtempSync(path.join(dir, `chroot-attach-${method}-`)));
  fs.copyFileSync(bin.gatedwrites, path.join(jail, "gw"));
  fs.chmodSync(path.join(jail, "gw"), 0o755);
  const r = spawnSync(process.execPath, [path.join(FIXTURES, "gated-attach.mjs"), path.join(ROOT, "dist", "index.js"), "/gw", "/o", method, String(T), String(N), String(S)], {
    encoding: "utf8",
    timeout: 90_000,
    env: { ...process.env, CHROOT: jail },
  });
  t.is(r.status, 0, r.stderr);
  const { exit, report } = JSON.parse(r.stdout);
  t.deepEqual(exit, { code: 0, signal: null });
  t.is(report.method, method);
  const names = ["0", "1", "main"].map((n) => path.join(jail, `o.${n}`)).sort();
  for (const n of names) t.is(fs.statSync(n).size, N * S, n);
  t.deepEqual(written(report).filter((f) => !f.path.startsWith("pipe:")), names.map((p) => ({ path: p, writeOps: N, writeBytes: N * S })));
});

// ------------------------------------------------- PID namespaces (F-pidns)

const INDEX = path.join(ROOT, "dist", "index.js");

/**
 * Runs `argv` as pid 1 of a new PID namespace with its own /proc (as in a
 * container). Nothing outlives it: when pid 1 exits the kernel ends the
 * rest of the namespace, and pid 1 is killed when unshare dies
 * (--kill-child), unshare when this test's process does (--pdeathsig) or
 * when it runs past `timeout`.
 */
function inPidNamespace(argv, timeout = 90_000) {
  return spawnSync("setpriv", ["--pdeathsig", "KILL", "unshare", "--kill-child=KILL", "-p", "-f", "--mount-proc", ...argv], {
    encoding: "utf8",
    timeout,
    killSignal: "SIGKILL",
    maxBuffer: 64 << 20,
  });
}

/** `iops --json - <args>` run in a new PID namespace: { status, stderr, report }. */
function cliInPidNamespace(args) {
  const r = inPidNamespace([process.execPath, CLI, "--json", "-", ...args]);
  let report = null;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    // said by the test's assertion on status and stderr
  }
  return { status: r.status, stderr: r.stderr, report };
}

each(test, "a PID namespace without a /proc of its own (unshare -p -f, no --mount-proc): every write counted, nothing read from the other namespace's /proc (no storage level, no name from it), said in one warning", (t, method) => {
  const N = 10;
  const S = 1000;
  const out = path.join(dir, `ns-noproc-${method}.dat`);
  // /proc here is the test's own namespace's: /proc/<pid> of the namespace's pids are other processes.
  const r = spawnSync("setpriv", ["--pdeathsig", "KILL", "unshare", "--kill-child=KILL", "-p", "-f", process.execPath, CLI, "--json", "-", "--method", method, "--", bin.writes, out, String(N), String(S)], {
    encoding: "utf8",
    timeout: 90_000,
    killSignal: "SIGKILL",
  });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(fs.statSync(out).size, N * S);
  t.deepEqual(report.warningCodes, ["proc-of-another-namespace"], JSON.stringify(report.warnings));
  t.is(report.storage ?? null, null, "no storage level read from another process's /proc/<pid>/io");
  if (method === "ebpf") {
    // The kernel side's records name the file: exact, as with a /proc.
    t.deepEqual(written(report), [{ path: out, writeOps: N, writeBytes: N * S }]);
  } else {
    // ptrace names fds only through /proc: counted apart, unnamed, never under another process's names.
    const apart = report.files.find((f) => f.path === "(not named: /proc is another PID namespace's)");
    t.truthy(apart, JSON.stringify(report.files.map((f) => f.path)));
    t.is(fileCounts(apart).writeOps, N);
    t.is(fileCounts(apart).writeBytes, N * S);
  }
});

each(test, "a command launched in a PID namespace (unshare -p -f --mount-proc, the field case): its writes, its children's and its threads', exact, each on its file, no warning", (t, method) => {
  const N = 40;
  const S = 1000;
  const out = path.join(dir, `ns-writes-${method}.dat`);
  const w = cliInPidNamespace(["--method", method, "--", bin.writes, out, String(N), String(S)]);
  t.is(w.status, 0, w.stderr);
  t.is(w.report.method, method);
  t.is(fs.statSync(out).size, N * S);
  t.deepEqual(written(w.report), [{ path: out, writeOps: N, writeBytes: N * S }]);
  t.deepEqual(w.report.warnings, []);
  t.deepEqual(w.report.exit, { code: 0, signal: null, signalNumber: null });

  // A child and a grandchild (their fds and names from the fork's record).
  const fw = fs.mkdtempSync(path.join(dir, `ns-fork-${method}-`));
  const f = cliInPidNamespace(["--method", method, "--", bin.forkwrite, fw, "30", "20", "10", "100"]);
  t.is(f.status, 0, f.stderr);
  t.deepEqual(written(f.report), [
    { path: path.join(fw, "child.dat"), writeOps: 20, writeBytes: 2000 },
    { path: path.join(fw, "grandchild.dat"), writeOps: 10, writeBytes: 1000 },
    { path: path.join(fw, "parent.dat"), writeOps: 30, writeBytes: 3000 },
  ]);
  t.deepEqual(f.report.warnings, []);

  // A child writing on the fd its parent opened, gone before its records
  // are read: its fd known from the fork's record, named by its first call.
  const ff = path.join(dir, `ns-forkedfd-${method}.dat`);
  const k = cliInPidNamespace(["--method", method, "--", bin.forkedfd, ff, "20", "100"]);
  t.is(k.status, 0, k.stderr);
  t.deepEqual(written(k.report), [{ path: ff, writeOps: 40, writeBytes: 4000 }]);
  t.deepEqual(k.report.warnings, []);

  // A child writing to the file its parent opened, as its stdout, then
  // exiting at once: its fd is known only from its parent's, copied at the fork.
  const de = path.join(dir, `ns-dupexec-${method}.dat`);
  const d = cliInPidNamespace(["--method", method, "--", bin.dupexec, de, "5500", "dup"]);
  t.is(d.status, 0, d.stderr);
  t.is(fs.statSync(de).size, 5500);
  t.deepEqual(written(d.report), [{ path: de, writeOps: 6, writeBytes: 5500 }]);
  t.deepEqual(d.report.warnings, []);

  // Threads, all at once.
  const th = fs.mkdtempSync(path.join(dir, `ns-threads-${method}-`));
  const r = cliInPidNamespace(["--method", method, "--", bin.threads, th, "4", "25", "100"]);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(
    written(r.report),
    [0, 1, 2, 3].map((i) => ({ path: path.join(th, `thread-${i}.dat`), writeOps: 25, writeBytes: 2500 })),
  );
});

each(test, "attach in a PID namespace (tracePid, the API of iops -p) to a process whose threads are all blocked: every write after the attach, exact, per thread and file, the pid the namespace's", (t, method) => {
  const T = 3;
  const N = 50;
  const S = 10;
  const out = path.join(dir, `ns-attach-${method}`);
  const r = inPidNamespace([process.execPath, path.join(FIXTURES, "gated-attach.mjs"), INDEX, bin.gatedwrites, out, method, String(T), String(N), String(S)]);
  t.is(r.status, 0, r.stderr);
  const { pid, exit, report } = JSON.parse(r.stdout);
  t.deepEqual(exit, { code: 0, signal: null });
  t.is(report.method, method);
  t.is(report.pid, pid);
  const names = [...[...Array(T).keys()].map(String), "main"].map((n) => `${out}.${n}`).sort();
  for (const n of names) t.is(fs.statSync(n).size, N * S, n);
  t.deepEqual(written(report).filter((f) => !f.path.startsWith("pipe:")), names.map((p) => ({ path: p, writeOps: N, writeBytes: N * S })));
  t.is(report.summary.writeOps, (T + 1) * N);
});

each(test, "iops -p in a PID namespace (the field case's shell): the writer's writes counted, never none, each of its size, on its file", (t, method) => {
  const out = path.join(dir, `ns-p-${method}.dat`);
  const script = [
    `${shq(bin.loopwriter)} ${shq(out)} 0 10 1000 >/dev/null & w=$!`,
    `while [ ! -s ${shq(out)} ]; do sleep 0.01; done`,
    `${shq(process.execPath)} ${shq(CLI)} --method ${method} --json - -p "$w" --duration 0.5; rc=$?`,
    `kill -9 "$w"; exit $rc`,
  ].join("\n");
  const r = inPidNamespace(["sh", "-c", script]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, method);
  // Its progress lines go to /dev/null: its one file is `out`.
  const files = written(report).filter((f) => f.path !== "/dev/null");
  t.is(files.length, 1);
  t.is(files[0].path, out);
  t.true(files[0].writeOps > 0, `${files[0].writeOps} writes`);
  t.is(files[0].writeBytes, files[0].writeOps * 10);
  t.is(report.summary.writeOps, files[0].writeOps);
});

each(test, "profile() in a PID namespace (pid 1 there): the window's writes exact, the report's pid the namespace's", (t, method) => {
  const N = 25;
  const S = 100;
  const out = path.join(dir, `ns-profile-${method}.dat`);
  const r = inPidNamespace([process.execPath, path.join(FIXTURES, "profile-writes.cjs"), INDEX, out, String(N), String(S), method]);
  t.is(r.status, 0, r.stderr);
  const { report } = JSON.parse(r.stdout);
  t.is(report.method, method);
  t.is(report.pid, 1);
  t.deepEqual(written(report), [{ path: out, writeOps: N, writeBytes: N * S }]);
  t.deepEqual(report.warnings, []);
});

each(test, "a command that makes a PID namespace of its own (unshare -p -f), from iops's namespace and from one nested in it: its processes' writes exact, no warning", (t, method) => {
  for (const nested of [false, true]) {
    const fw = fs.mkdtempSync(path.join(dir, `ns-nested-${method}-`));
    const args = ["--method", method, "--", "unshare", "-p", "-f", bin.forkwrite, fw, "30", "20", "10", "100"];
    const r = nested ? cliInPidNamespace(args) : runCliJson(args);
    t.is(r.status, 0, r.stderr);
    t.deepEqual(written(r.report), [
      { path: path.join(fw, "child.dat"), writeOps: 20, writeBytes: 2000 },
      { path: path.join(fw, "grandchild.dat"), writeOps: 10, writeBytes: 1000 },
      { path: path.join(fw, "parent.dat"), writeOps: 30, writeBytes: 3000 },
    ], nested ? "iops in a namespace" : "iops in the initial one");
    t.deepEqual(r.report.warnings, []);
  }
});

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
