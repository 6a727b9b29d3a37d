/**
 * `npm run bench -- fs_usage`: how fast `iops import` reads macOS fs_usage
 * output, side by side in one run with the Python iops-profiler's fs_usage
 * parser (`Collector.parse_fs_usage_line` over the lines, iops-profiler
 * 0.2.0 in a scratch venv: `bash bench/setup-reference.sh` once) and with
 * `wc -l`, on the same page-cached log.
 *
 * The log is __test__/fixtures/fs_usage/crafted-workload.txt (44 lines laid
 * out with fs_usage.c's formats, counts known) repeated to BENCH_LOG_MB,
 * each copy stamped 2.2 ms after the one before. Each parser times its own
 * loop (process start-up left out); medians of BENCH_REPEAT runs. Counts
 * are checked against the ground truth of the copies.
 *
 *   BENCH_LOG_MB     size of the log (default 100)
 *   BENCH_REPEAT     runs of each parser (default 3)
 *   IOPS_BENCH_VENV  the reference's venv (default /tmp/iops-bench-venv)
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, "..");
const LOG_MB = envInt("BENCH_LOG_MB", 100);
const REPEAT = envInt("BENCH_REPEAT", 3);
const VENV = process.env.IOPS_BENCH_VENV || "/tmp/iops-bench-venv";
const FIXTURE = path.join(ROOT, "__test__", "fixtures", "fs_usage", "crafted-workload.txt");

/** Per copy of the fixture (see crates/iops-core/src/parse/fs_usage_tests.rs). */
const TRUTH = {
  reads: 10 + 1, // file reads, and one on stdin (opened before the trace)
  writes: 12 + 1, // file writes, and one on stdout
  failed: 1, // the read of fd 9 (EBADF)
};

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function must(r, what) {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}`);
  return r;
}

/** `copies` of the fixture, each 2.2 ms later than the one before (times of day stay in order). */
function writeLog(file, copies) {
  const lines = readFileSync(FIXTURE, "utf8").split("\n").filter(Boolean);
  const tod = (l) => {
    const [h, m, s] = l.slice(0, 15).split(":");
    return (Number(h) * 3600 + Number(m) * 60) * 1e6 + Math.round(Number(s) * 1e6);
  };
  const stamp = (us) => {
    const two = (n) => String(Math.floor(n)).padStart(2, "0");
    return `${two(us / 3.6e9)}:${two((us / 6e7) % 60)}:${two((us / 1e6) % 60)}.${String(us % 1e6).padStart(6, "0")}`;
  };
  const fd = openSync(file, "w");
  for (let c = 0; c < copies; c++) {
    const text = lines.map((l) => stamp(tod(l) + c * 2200) + l.slice(15)).join("\n") + "\n";
    writeSync(fd, text);
  }
  closeSync(fd);
}

function ours(file) {
  const script = `
    const { importTrace } = require(${JSON.stringify(path.join(ROOT, "dist", "commands", "import.js"))});
    (async () => {
      const t0 = process.hrtime.bigint();
      const r = await importTrace(${JSON.stringify(file)}, { format: "fs_usage" });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const all = (k) => r.summary[k] + r.otherFds[k];
      console.log(JSON.stringify({ seconds, reads: all("readOps"), writes: all("writeOps"), failed: r.failedOps.total }));
    })();`;
  return JSON.parse(must(spawnSync(process.execPath, ["-e", script], { encoding: "utf8" }), "our import").stdout);
}

function reference(file) {
  const script = `
import time, json
from iops_profiler.collector import Collector
c = Collector(None)
reads = writes = 0
t0 = time.perf_counter()
with open(${JSON.stringify(file)}, "r", errors="ignore") as f:
    for line in f:
        op, n = c.parse_fs_usage_line(line)
        if op == "read": reads += 1
        elif op == "write": writes += 1
print(json.dumps({"seconds": time.perf_counter() - t0, "reads": reads, "writes": writes}))
`;
  return JSON.parse(must(spawnSync(path.join(VENV, "bin", "python"), ["-c", script], { encoding: "utf8" }), "the reference parser").stdout);
}

function wc(file) {
  const t0 = process.hrtime.bigint();
  must(spawnSync("wc", ["-l", file], { encoding: "utf8" }), "wc -l");
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

export async function run() {
  const haveReference = existsSync(path.join(VENV, "bin", "python")) &&
    spawnSync(path.join(VENV, "bin", "python"), ["-c", "import iops_profiler.collector"]).status === 0;
  if (!haveReference) console.log("fs_usage: the reference parser is not set up (run: bash bench/setup-reference.sh); its rows are skipped\n");
  const dir = mkdtempSync(path.join(os.tmpdir(), "iops-bench-fs_usage-"));
  try {
    const file = path.join(dir, "fs_usage.log");
    const copies = Math.max(1, Math.round((LOG_MB * 1024 * 1024) / statSync(FIXTURE).size));
    writeLog(file, copies);
    const mb = statSync(file).size / (1024 * 1024);
    const runs = { ours: [], ref: [], wc: [] };
    let mine, theirs;
    for (let i = 0; i < REPEAT; i++) {
      mine = ours(file);
      runs.ours.push(mine.seconds);
      if (haveReference) {
        theirs = reference(file);
        runs.ref.push(theirs.seconds);
      }
      runs.wc.push(wc(file).seconds);
    }
    const mbs = (s) => mb / median(s);
    const fmt = (x, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
    const n = (x) => (x === undefined ? "-" : x.toLocaleString("en-US"));
    const truth = { reads: TRUTH.reads * copies, writes: TRUTH.writes * copies, failed: TRUTH.failed * copies };
    console.log(`fs_usage: ${fmt(mb)} MB, ${n(copies)} copies of ${path.basename(FIXTURE)} (${n(copies * 44)} lines); medians of ${REPEAT} runs`);
    console.log(`  parser                                   MB/s     x ref   reads          writes         failed       counts`);
    console.log(`  --------------------------------------   ------   -----   ------------   ------------   ----------   ------`);
    const exact = (r) => r.reads === truth.reads && r.writes === truth.writes && (r.failed === undefined || r.failed === truth.failed);
    const row = (name, s, r) =>
      console.log(
        `  ${name.padEnd(38)}   ${fmt(mbs(s)).padStart(6)}   ${haveReference ? fmt(mbs(s) / mbs(runs.ref)).padStart(5) : "    -"}   ${n(r?.reads).padStart(12)}   ${n(r?.writes).padStart(12)}   ${n(r?.failed).padStart(10)}   ${r ? (exact(r) ? "exact" : "WRONG") : ""}`,
      );
    row("iops import --format fs_usage", runs.ours, mine);
    if (haveReference) row("iops-profiler 0.2.0 parse_fs_usage_line", runs.ref, theirs);
    row("wc -l (reading the lines, no parsing)", runs.wc, null);
    console.log(`  ground truth                                              ${n(truth.reads).padStart(12)}   ${n(truth.writes).padStart(12)}   ${n(truth.failed).padStart(10)}`);
    console.log("  (the reference counts every line whose call name holds \"read\"/\"write\", failures included, and no failures apart)\n");
    if (!exact(mine)) {
      console.log("fs_usage: our counts differ from the ground truth");
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
