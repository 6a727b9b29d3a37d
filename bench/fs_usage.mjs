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
 *   IOPS_BENCH_VENV  the reference's venv (default bench/.reference-venv)
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { envInt, median, must, ourImport, referenceParse, referenceReady, wcLines } from "./common.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, "..");
const LOG_MB = envInt("BENCH_LOG_MB", 100);
const REPEAT = envInt("BENCH_REPEAT", 3);
const FIXTURE = path.join(ROOT, "__test__", "fixtures", "fs_usage", "crafted-workload.txt");

/** Per copy of the fixture (see crates/iops-core/src/parse/fs_usage_tests.rs). */
const TRUTH = {
  reads: 10 + 1, // file reads, and one on stdin (opened before the trace)
  writes: 12 + 1, // file writes, and one on stdout
  failed: 1, // the read of fd 9 (EBADF)
};

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

export async function run() {
  const haveReference = referenceReady();
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
      mine = ourImport(file, "fs_usage");
      runs.ours.push(mine.seconds);
      if (haveReference) {
        theirs = referenceParse(file, "parse_fs_usage_line");
        runs.ref.push(theirs.seconds);
      }
      runs.wc.push(wcLines(file).seconds);
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
