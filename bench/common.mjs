/**
 * What bench sections share: settings from the environment, and for the
 * log-parser sections (import, fs_usage) running our import, the Python
 * iops-profiler's line parser and `wc -l` over one page-cached file: each
 * timing its own loop (process start-up left out), or timed from outside as
 * the whole process a user runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
/**
 * The reference's scratch venv (bash bench/setup-reference.sh): in the
 * checkout, not at a fixed /tmp path another user could have made first.
 */
export const VENV = process.env.IOPS_BENCH_VENV || path.join(ROOT, "bench", ".reference-venv");
const PYTHON = path.join(VENV, "bin", "python");

export function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function must(r, what) {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}`);
  return r;
}

/** Our import of `file`, timed inside its own process: { seconds, reads, writes, failed, maxRssMiB }. */
export function ourImport(file, format) {
  const options = format ? `, { format: ${JSON.stringify(format)} }` : "";
  const script = `
    const { importTrace } = require(${JSON.stringify(path.join(ROOT, "dist", "commands", "import.js"))});
    (async () => {
      const t0 = process.hrtime.bigint();
      const r = await importTrace(${JSON.stringify(file)}${options});
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const all = (k) => r.summary[k] + (r.otherFds ? r.otherFds[k] : 0);
      console.log(JSON.stringify({ seconds, reads: all("readOps"), writes: all("writeOps"), failed: r.failedOps.total,
        maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
    })();`;
  return JSON.parse(must(spawnSync(process.execPath, ["-e", script], { encoding: "utf8" }), "our import").stdout);
}

/** Whether the reference's venv is set up. */
export function referenceReady() {
  return existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import iops_profiler.collector"]).status === 0;
}

/**
 * The reference's `Collector.<method>` over the file's lines, summing counts
 * and bytes as its measure_linux_strace does, timed in Python (its start-up
 * left out): { seconds, reads, writes, readBytes, writeBytes }.
 */
export function referenceParse(file, method) {
  const script = `
import time, json
from iops_profiler.collector import Collector
c = Collector(None)
reads = writes = read_bytes = write_bytes = 0
t0 = time.perf_counter()
with open(${JSON.stringify(file)}, "r", errors="ignore") as f:
    for line in f:
        op, n = c.${method}(line)
        if op == "read":
            reads += 1
            read_bytes += n
        elif op == "write":
            writes += 1
            write_bytes += n
print(json.dumps({"seconds": time.perf_counter() - t0, "reads": reads, "writes": writes, "readBytes": read_bytes, "writeBytes": write_bytes}))
`;
  return JSON.parse(must(spawnSync(PYTHON, ["-c", script], { encoding: "utf8" }), "the reference parser").stdout);
}

/** `wc -l` over the file: the speed of just reading the lines. */
export function wcLines(file) {
  const t0 = process.hrtime.bigint();
  must(spawnSync("wc", ["-l", file], { encoding: "utf8" }), "wc -l");
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** Runs argv to its end: { seconds (wall, from spawn to exit), stdout }. */
export function timeProcess(argv, what, env = process.env) {
  const t0 = process.hrtime.bigint();
  const r = must(spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env, maxBuffer: 64 << 20 }), what);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout: r.stdout };
}

/**
 * `iops import <file> --json <jsonOut>` as a user runs it: the whole CLI
 * process, of this checkout or the one at `root`. { seconds, reads, writes,
 * readBytes, writeBytes, failed } (all fds: a log without -y counts every fd).
 */
export function ourCli(file, jsonOut, env = process.env, root = ROOT) {
  const { seconds } = timeProcess([process.execPath, path.join(root, "dist", "cli.js"), "import", file, "--json", jsonOut], "iops import", env);
  const r = JSON.parse(readFileSync(jsonOut, "utf8"));
  const all = (k) => r.summary[k] + (r.otherFds ? r.otherFds[k] : 0);
  return {
    seconds,
    reads: all("readOps"),
    writes: all("writeOps"),
    readBytes: all("readBytes"),
    writeBytes: all("writeBytes"),
    failed: r.failedOps.total,
  };
}
