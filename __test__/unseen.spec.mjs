/**
 * What a source cannot see is said, never a silent zero or a phantom
 * figure, under each live source:
 * - a 32-bit program's calls come by the i386 ABI, whose numbers mean other
 *   calls in the x86-64 table: none is decoded as a 64-bit call, and those
 *   of the kinds we count (read/write-family and metadata) are said in the
 *   `compat-syscalls-uncounted` warning, by number, as strace saw them.
 *
 * - the storage level ("Storage level", `report.storage`) counts the
 *   traced processes that outlived their parent (`( cmd & )`): no traced
 *   process reaps them, so the root's /proc/<pid>/io never has their I/O.
 * - a file mapping made before `-p` (or a profile() window) opened is
 *   listed in "Mapped files", marked as made before the window, and a
 *   shared writable one earns the mmap warning: never a silent zero.
 * - fds whose open no record names by a path (received by SCM_RIGHTS, an
 *   O_TMPFILE, a timerfd), closed before /proc could be read: named as
 *   /proc named them while open, their I/O on them, as under ptrace.
 * - a program that made itself non-dumpable, traced by a user who is not
 *   root: the kernel refuses /proc/PID/fd, so its fds cannot be named; its
 *   reads and writes are counted apart under one name and warned of, with
 *   the reason (as root every source names them).
 *
 * Ground truth: the workloads' own calls, as strace shows them; the
 * detached writer's own /proc/self/io at its end.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, FIXTURES, ROOT, compileFixtures, counts, eachMethod, fileEntry, runCli, spawnCli, totals, waitFor, within } from "./_support/util.mjs";

// Under the repository's target/, not /tmp: a tmpfs has no storage level.
fs.mkdirSync(path.join(ROOT, "target"), { recursive: true });
const dir = fs.realpathSync(fs.mkdtempSync(path.join(ROOT, "target", "iops-unseen-")));
const bin = compileFixtures(dir, ["detached_writer", "mapped_before", "received_fd", "nondumpable"]);

/** `iops --json <file> --method <method> <args>`: the run and its report. */
function runJson(method, args) {
  const json = path.join(dir, `run-${method}-${Date.now()}.json`);
  const r = runCli(["--method", method, "--json", json, ...args]);
  if (!fs.existsSync(json)) throw new Error(`no report (status ${r.status}): ${r.stderr}`);
  return { ...r, report: JSON.parse(fs.readFileSync(json, "utf8")) };
}

/** gcc -m32 -static of fixtures/<name>.c, or why it cannot be built here (no gcc-multilib). */
function compile32(name) {
  const bin = path.join(dir, name);
  const r = spawnSync("gcc", ["-O2", "-m32", "-static", "-Wall", "-Werror", "-o", bin, path.join(FIXTURES, `${name}.c`)], { encoding: "utf8" });
  if (r.error || r.status !== 0) return { why: `gcc -m32 -static cannot build here (apt-get install gcc-multilib): ${r.error?.message ?? r.stderr.trim().split("\n")[0]}` };
  return { bin };
}

// The i386 names (strace's) of the calls iops counts: crates/iops-linux/src/seccomp.rs' COMPAT_DATA_CALLS and COMPAT_META_CALLS.
const DATA_CALLS = new Set("read write readv writev pread64 pwrite64 sendfile sendfile64 splice preadv pwritev copy_file_range preadv2 pwritev2".split(" "));
const META_CALLS = new Set(
  ("open close creat link unlink oldstat oldfstat sync rename mkdir rmdir symlink oldlstat truncate ftruncate stat lstat fstat " +
    "fsync getdents msync fdatasync truncate64 ftruncate64 stat64 lstat64 fstat64 getdents64 openat mkdirat fstatat64 unlinkat " +
    "renameat linkat symlinkat sync_file_range tee fallocate syncfs renameat2 statx openat2").split(" "),
);

/** The calls of `argv` by kind, as strace -f names them (the i386 table for a 32-bit program). */
function straceCounts(argv) {
  const log = path.join(dir, "strace.log");
  const r = spawnSync("strace", ["-f", "-qq", "-o", log, ...argv], { encoding: "utf8" });
  if (r.error) throw new Error(`strace is needed for the ground truth (apt-get install strace): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv[0]} failed under strace (${r.status}): ${r.stderr}`);
  let data = 0;
  let meta = 0;
  for (const line of fs.readFileSync(log, "utf8").split("\n")) {
    const name = /^(?:\d+\s+)?(\w+)\(/.exec(line)?.[1];
    if (DATA_CALLS.has(name)) data++;
    if (META_CALLS.has(name)) meta++;
  }
  return { data, meta };
}

const compat32 = process.platform === "linux" && process.arch === "x64" ? compile32("compat32") : { why: "x86-64 Linux only" };

const COMPAT_TITLE = "a 32-bit program: no call decoded by the 64-bit table, its counted kinds said in the warning";
if (compat32.why) {
  console.log(`skipped: ${COMPAT_TITLE}: ${compat32.why}`);
  test.serial.skip(COMPAT_TITLE, () => {});
}
(compat32.why ? () => {} : eachMethod)(test, COMPAT_TITLE, (t, method) => {
  const out = path.join(dir, `compat32-${method}.bin`);
  const truth = straceCounts([compat32.bin, out]);
  // The fixture's own calls (see compat32.c), and the startup's that strace shows (none of our kinds in a static binary).
  t.deepEqual(truth, { data: 4, meta: 12 });
  const r = runJson(method, ["--all-fds", "--", compat32.bin, out]);
  t.is(r.status, 0, r.stderr);
  const { report } = r;
  t.is(report.method, method);
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null }, "the fixture checks its own calls' results");
  // i386 lseek (19) is x86-64 readv, getpid (20) writev, open (5) fstat, close (6) lstat, readlink (85) creat: none counted.
  t.deepEqual(counts(report.summary), counts(totals(0, 0, 0, 0)));
  t.deepEqual(counts(report.otherFds ?? totals(0, 0, 0, 0)), counts(totals(0, 0, 0, 0)));
  t.is(report.metadataOps.total, 0, JSON.stringify(report.metadataOps));
  t.deepEqual(report.files, []);
  const w = report.warningCodes.indexOf("compat-syscalls-uncounted");
  t.true(w >= 0, JSON.stringify(report.warnings));
  t.true(
    report.warnings[w].startsWith(`${truth.data} read/write-family calls and ${truth.meta} metadata calls (opens, closes, stats, syncs, ...) were made through the 32-bit syscall ABI`),
    report.warnings[w],
  );
});

eachMethod(test, "storage level: a writer that outlived its parent (not reaped by the traced tree) is counted", (t, method) => {
  const out = path.join(dir, `detached-${method}.bin`);
  const r = runJson(method, ["--", bin.detached_writer, out, "8"]);
  t.is(r.status, 0, r.stderr);
  // The writer's own storage-level write_bytes at its end (after its fsync), as it printed it.
  const own = Number(/^(\d+)$/m.exec(r.stdout)?.[1]);
  t.true(own >= 8 << 20, `the writer's own write_bytes: ${r.stdout}`);
  const { report } = r;
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: 8, readBytes: 0, writeBytes: 8 << 20 });
  // The root and its reaped child write no file: the storage figure is the writer's.
  t.is(report.storage.writeBytes, own, report.storage.source);
  t.regex(report.storage.source, /and \/proc\/PID\/io at the end of 1 traced process that outlived its parent/);
  fs.rmSync(out);
});

eachMethod(test, "-p: a shared file mapping made before the window is listed, marked, and warned of", async (t, method) => {
  const file = path.join(dir, `mapped-${method}.bin`);
  const mib = 4;
  const child = spawn(bin.mapped_before, [file, String(mib)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  try {
    await waitFor(() => out.includes("ready"), "the fixture to map its file");
    const cli = spawnCli(["--method", method, "-p", String(child.pid), "--duration", "1", "--json", "-"]);
    const r = await within(cli.done, 60_000, "iops -p");
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    // What the fixture mapped: all of the file, shared, read-write, once (one region).
    const data = report.mappings.filter((m) => !m.exec);
    t.deepEqual(data, [{ path: file, kind: "file", maps: 1, bytes: mib << 20, prot: "rw", shared: true, exec: false, beforeWindow: true }]);
    t.true(report.warningCodes.includes("mmap-not-counted"), JSON.stringify(report.warnings));
    const saved = path.join(dir, `mapped-${method}.json`);
    fs.writeFileSync(saved, r.stdout);
    const text = runCli(["report", saved]);
    t.is(text.status, 0, text.stderr);
    t.true(text.stdout.includes(`${file} (mapped before the window)`), text.stdout);
  } finally {
    child.kill("SIGKILL");
  }
});

eachMethod(test, "fds received by SCM_RIGHTS, an O_TMPFILE, a timerfd, closed at once: named as /proc names them", (t, method) => {
  const work = fs.mkdtempSync(path.join(dir, `received-${method}-`));
  const r = runJson(method, ["--all-fds", "--", bin.received_fd, work]);
  t.is(r.status, 0, r.stderr);
  // The names /proc gave the fds while they were open, as the fixture read them.
  const tmpfile = /^tmpfile (.*)$/m.exec(r.stdout)?.[1];
  const timerfd = /^timerfd (.*)$/m.exec(r.stdout)?.[1];
  t.regex(tmpfile ?? "", /\/#\d+ \(deleted\)$/);
  t.is(timerfd, "anon_inode:[timerfd]");
  const { report } = r;
  t.deepEqual(fileEntry(report, path.join(work, "scm.bin")), { path: path.join(work, "scm.bin"), kind: "file", readOps: 0, writeOps: 10, readBytes: 0, writeBytes: 1230 });
  t.deepEqual(fileEntry(report, tmpfile), { path: tmpfile, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 500 });
  t.like(fileEntry(report, timerfd), { readOps: 3, readBytes: 24, writeOps: 0 });
  t.false(report.warningCodes.includes("fds-unnamed"), JSON.stringify(report.warnings));
});

eachMethod(test, "a non-dumpable program: as root, its 5 writes and 5 reads named on its file", (t, method) => {
  const data = path.join(dir, `nondumpable-${method}.dat`);
  const { status, report } = runJson(method, ["--", bin.nondumpable, data]);
  t.is(status, 0);
  t.is(fs.statSync(data).size, 50);
  const f = fileEntry(report, data);
  t.truthy(f, JSON.stringify(report.files.map((x) => x.path)));
  t.is(f.readOps, 5);
  t.is(f.writeOps, 5);
  t.false(report.warningCodes.includes("fds-unnamed"), JSON.stringify(report.warnings));
});

test("a non-dumpable program traced by a user who is not root (ptrace): its 5 reads and 5 writes counted apart, the kernel's refusal said, never a silent zero", (t) => {
  if (process.getuid() !== 0) return t.pass("needs root to run iops as another user (setpriv)");
  const probe = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "true"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return t.pass(`setpriv cannot run as uid 65534 here (Debian: util-linux): ${probe.error?.message ?? probe.stderr}`);
  // Somewhere uid 65534 can reach and write.
  const open = fs.mkdtempSync("/tmp/iops-nondumpable-");
  try {
    fs.chmodSync(open, 0o777);
    const program = path.join(open, "nondumpable");
    fs.copyFileSync(bin.nondumpable, program);
    fs.chmodSync(program, 0o755);
    const json = path.join(open, "report.json");
    const data = path.join(open, "data");
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", process.execPath, CLI, "--method", "ptrace", "--json", json, "--", program, data], {
      encoding: "utf8",
      cwd: open,
      timeout: 120_000,
    });
    t.is(r.status, 0, r.stderr);
    t.is(fs.statSync(data).size, 50, "the program ran as untraced: 50 bytes written");
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    const apart = report.files.find((f) => f.path === "(not named: the kernel refused /proc)");
    t.truthy(apart, JSON.stringify(report.files.map((f) => f.path)));
    t.is(apart.readOps, 5);
    t.is(apart.writeOps, 5);
    t.true(report.warningCodes.includes("fds-unnamed"), JSON.stringify(report.warnings));
    const w = report.warnings.find((x) => x.startsWith("10 reads/writes were on fds the kernel would not let iops name"));
    t.truthy(w, JSON.stringify(report.warnings));
    t.regex(w, /non-dumpable/);
    t.regex(r.stderr, /10 reads\/writes were on fds the kernel would not let iops name/);
  } finally {
    fs.rmSync(open, { recursive: true, force: true });
  }
});

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
