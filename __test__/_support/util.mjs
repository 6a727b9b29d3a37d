/**
 * Shared helpers of the ava suite: where the built package is, how to build
 * the C workloads, how to run the CLI and read its report, and small
 * /proc probes. Not a test file (ava only runs `*.spec.mjs`).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = path.join(ROOT, "dist", "cli.js");
export const FIXTURES = path.join(ROOT, "__test__", "fixtures");

const require = createRequire(import.meta.url);
/** The package's public API, as `require("iops-profiler")` gives it. */
export const iops = require(path.join(ROOT, "dist", "index.js"));

const MAX_BUFFER = 256 * 1024 * 1024;

/** A fresh directory under the OS temp dir, by its real path (as /proc shows fd targets). */
export function makeTempDir(prefix = "iops-test-") {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/**
 * Compiles `fixtures/<name>.c` for each name with `gcc -O2 -static` into
 * `dir`; returns { name: absolute path of the binary }. Static binaries make
 * no loader calls, so every syscall a report shows is the workload's own.
 */
export function compileFixtures(dir, names) {
  const probe = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "gcc is required to build the C ground-truth workloads of this suite (on Debian: apt-get install gcc libc6-dev); " +
        `running gcc failed: ${probe.error?.message ?? probe.stderr}`,
    );
  }
  const out = {};
  for (const name of names) {
    const bin = path.join(dir, name);
    const r = spawnSync(
      "gcc",
      ["-O2", "-static", "-Wall", "-Werror", "-pthread", "-o", bin, path.join(FIXTURES, `${name}.c`)],
      { encoding: "utf8" },
    );
    if (r.status !== 0) {
      throw new Error(`gcc -static failed for fixtures/${name}.c (is the static glibc, libc6-dev, installed?):\n${r.stderr}`);
    }
    out[name] = bin;
  }
  return out;
}

/** Runs the iops CLI synchronously: { status, signal, stdout, stderr }. */
export function runCli(args, options = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    maxBuffer: MAX_BUFFER,
    timeout: options.timeout ?? 120_000,
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** `args` quoted for a POSIX shell line. */
export const shellLine = (args) => args.map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(" ");

/** Runs `command` (a shell line) without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN in any set (capsh, libcap2-bin): where eBPF is not permitted. */
export function withoutBpfCaps(command, env = process.env) {
  const r = spawnSync("capsh", ["--drop=cap_bpf,cap_perfmon,cap_sys_admin", "--", "-c", command], { encoding: "utf8", env, timeout: 120_000, maxBuffer: MAX_BUFFER });
  if (r.error) throw new Error(`capsh could not run (apt-get install libcap2-bin): ${r.error.message}`);
  return r;
}

/** Runs `iops import --json - <args>` (stdin: `input`) and parses the report: { status, stderr, report }; throws when there is none. */
export function importJson(args, input) {
  const r = spawnSync(process.execPath, [CLI, "import", "--json", "-", ...args], { encoding: "utf8", input, maxBuffer: 256 << 20 });
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`no JSON report (status ${r.status}): ${e.message}\n${r.stderr}`);
  }
  return { status: r.status, stderr: r.stderr, report };
}

/** Runs `iops --json - <args>` and parses the report from stdout. */
export function runCliJson(args, options = {}) {
  const r = runCli(["--json", "-", ...args], options);
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`no JSON report on stdout (status ${r.status}): ${e.message}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { ...r, report };
}

/** Starts the CLI without waiting; resolves `done` with { status, signal, stdout, stderr }. */
export function spawnCli(args, options = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** The one entry of `report.files` for `p` (fails loudly if there are several). */
export function fileEntry(report, p) {
  const found = (report.files ?? []).filter((f) => f.path === p);
  assert.ok(found.length <= 1, `${found.length} entries for ${p} in report.files`);
  return fileCounts(found[0]);
}

/** A `report.files` row's identity and counts, without its access-pattern fields (pattern*.spec.mjs asserts those). */
export function fileCounts(f) {
  if (!f) return f;
  const { path, kind, readOps, writeOps, readBytes, writeBytes } = f;
  return { path, kind, readOps, writeOps, readBytes, writeBytes };
}

/** The `report.syscalls` row of `name`, or undefined. */
export function syscallRow(report, name) {
  return (report.syscalls ?? []).find((s) => s.name === name);
}

/** The figures of a Totals object that are counts (iops/throughput depend on time). */
export function counts(totals) {
  const { readOps, writeOps, readBytes, writeBytes, totalOps, totalBytes } = totals;
  return { readOps, writeOps, readBytes, writeBytes, totalOps, totalBytes };
}

/** Expected Totals counts from reads and writes. */
export function totals(readOps, readBytes, writeOps, writeBytes) {
  return { readOps, writeOps, readBytes, writeBytes, totalOps: readOps + writeOps, totalBytes: readBytes + writeBytes };
}

/** Sum of `count` and `sum` over histogram bins. */
export function binTotals(bins) {
  return bins.reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }), { count: 0, sum: 0 });
}

/** The bin holding value v, or undefined. */
export function binOf(bins, v) {
  return bins.find((b) => b.lo <= v && v < b.hi);
}

/** Record i (of `size` bytes) filled with 'A' + i % 26, as the C fixtures write it. */
export function patternBuffer(records, size) {
  const buf = Buffer.alloc(records * size);
  for (let i = 0; i < records; i++) buf.fill(65 + (i % 26), i * size, (i + 1) * size);
  return buf;
}

/** Fields of /proc/<pid>/status, or null when the process is gone (or a reaped zombie). */
export function procStatus(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const fields = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return fields;
}

/** The tasks (threads) of a process. */
export function taskIds(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Pids of live processes whose command line contains `needle`. */
export function processesMentioning(needle) {
  const found = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmdline.includes(needle)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor(fn, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Rejects if `promise` takes longer than `ms`. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Raw control characters other than the line feed that separates lines. */
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

/**
 * The live Linux sources the exactness suite runs each of its cases under,
 * in the registry's default order, each with why it cannot run here (null:
 * it runs), in the addon's own words (its `permitted` probe: for eBPF, root
 * or CAP_BPF + CAP_PERFMON, a kernel with BTF, tracefs, a build with clang).
 * The expected figures never depend on the source: they are the workload's.
 */
export function liveMethods() {
  if (process.platform !== "linux") return [];
  const { native } = require(path.join(ROOT, "dist", "native.js"));
  return ["ebpf", "ptrace"].map((name) => ({ name, unavailable: native.sourceUnavailable(name) ?? null }));
}

/**
 * `test.serial` once per live source: `fn(t, method)`, titled
 * "[method] title", skipped (the reason logged once) where the source
 * cannot run here.
 */
export function eachMethod(test, title, fn) {
  for (const { name, unavailable } of liveMethods()) {
    if (unavailable) {
      if (!skipLogged.has(name)) console.log(`[${name}] skipped: ${unavailable}`);
      skipLogged.add(name);
      test.serial.skip(`[${name}] ${title}`, (t) => fn(t, name));
    } else {
      test.serial(`[${name}] ${title}`, (t) => fn(t, name));
    }
  }
}
const skipLogged = new Set();

/** The live source a capture without a method runs here (Linux: eBPF where permitted, else ptrace), by the addon's probe. */
export function defaultMethod() {
  return liveMethods().find((m) => m.unavailable === null)?.name ?? null;
}

/** A live source's label for people, as a report's header shows it (the source table's). */
export const SOURCE_LABELS = { ebpf: "eBPF syscall tracepoints", ptrace: "ptrace syscall tracer" };
