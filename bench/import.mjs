/**
 * `npm run bench -- import`: how fast `iops import` reads strace logs, side
 * by side in one run with the Python iops-profiler's parser
 * (`Collector.parse_strace_line` over the lines, iops-profiler 0.2.0 in a
 * scratch venv: `bash bench/setup-reference.sh` once) and with `wc -l`, the
 * limit (just reading the lines), on the same page-cached logs.
 *
 * The logs are real strace output of a ground-truth workload (threads
 * writing and pread-ing random data, so calls interleave as
 * <unfinished ...>/<... resumed> pairs and previews hold `)`, `"`, `=` and
 * escapes), repeated to BENCH_LOG_MB: one written with the reference tool's
 * own flags (-f -e trace=<its ten data calls>), one with everything we read
 * (-f -yy -T -ttt). Each parser times its own loop over the file (process
 * start-up left out, as for the Python loop); medians of BENCH_REPEAT runs.
 * Counts are checked against the ground truth: a fast parser that miscounts
 * is no use. Peak RSS of our import on an 8× shorter log shows memory flat.
 *
 *   BENCH_LOG_MB   size of each log (default 200)
 *   BENCH_REPEAT   runs of each parser (default 3)
 *   IOPS_BENCH_VENV  the reference's venv (default bench/.reference-venv)
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { envInt, median, must, ourImport, referenceParse, referenceReady, wcLines } from "./common.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, "..");
const LOG_MB = envInt("BENCH_LOG_MB", 200);
const REPEAT = envInt("BENCH_REPEAT", 3);
/** Ours must parse at least this many times faster than the reference. */
const TARGET = 8;

/**
 * The workload, two runs of randwrites logged one after the other: one
 * thread making most of the calls (lines whole), then four threads at once
 * (calls interleaved: <unfinished ...>/<... resumed>). Each thread makes
 * `count` writes then `count` preads of SIZE random bytes; each run ends
 * with one EBADF read.
 */
const RUNS = [
  { threads: 1, count: 12_000 },
  { threads: 4, count: 800 },
];
const SIZE = 64;
const OPS_PER_COPY = RUNS.reduce((a, r) => a + r.threads * r.count, 0); // reads, and as many writes
const REFERENCE_CALLS = "read,write,pread64,pwrite64,readv,writev,preadv,pwritev,preadv2,pwritev2";

/** A log of `copies` repetitions of `base`, written in one pass. */
function repeatLog(base, file, copies) {
  const data = readFileSync(base);
  const fd = openSync(file, "w");
  for (let i = 0; i < copies; i++) writeSync(fd, data);
  closeSync(fd);
}

const fmt = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

export async function run() {
  if (spawnSync("strace", ["-V"]).status !== 0) {
    console.log("import: strace is not installed (apt-get install strace); skipped");
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "iops-bench-import-"));
  try {
    const bin = path.join(dir, "randwrites");
    must(
      spawnSync("gcc", ["-O2", "-static", "-pthread", "-o", bin, path.join(ROOT, "__test__", "fixtures", "strace", "randwrites.c")], { encoding: "utf8" }),
      "gcc",
    );
    const logs = [
      { name: "reference flags (-f -e trace=<10 data calls>)", flags: ["-f", "-e", `trace=${REFERENCE_CALLS}`] },
      { name: "full flags (-f -yy -T -ttt)", flags: ["-f", "-yy", "-T", "-ttt"] },
    ];
    const haveReference = referenceReady();
    if (!haveReference) console.log(`import: the reference parser is not set up (run: bash bench/setup-reference.sh); its rows are skipped\n`);
    let failed = false;
    const summary = [];
    for (const log of logs) {
      const base = path.join(dir, "base.log");
      const parts = RUNS.map((r, i) => {
        const part = path.join(dir, `part-${i}.log`);
        const argv = [bin, dir, String(r.threads), String(r.count), String(SIZE)];
        must(spawnSync("strace", [...log.flags, "-o", part, "--", ...argv], { encoding: "utf8" }), `strace ${log.flags.join(" ")}`);
        return readFileSync(part);
      });
      writeFileSync(base, Buffer.concat(parts));
      const copies = Math.ceil((LOG_MB * 1024 * 1024) / statSync(base).size);
      const file = path.join(dir, "big.log");
      const short = path.join(dir, "short.log");
      repeatLog(base, file, copies);
      repeatLog(base, short, Math.max(1, Math.round(copies / 8)));
      const mb = statSync(file).size / 1e6;
      const truth = { reads: OPS_PER_COPY * copies, writes: OPS_PER_COPY * copies, failed: RUNS.length * copies };
      readFileSync(file); // into the page cache
      const runs = { ours: [], ref: [], wc: [] };
      for (let i = 0; i < REPEAT; i++) {
        runs.wc.push(wcLines(file));
        runs.ours.push(ourImport(file));
        if (haveReference) runs.ref.push(referenceParse(file, "parse_strace_line"));
      }
      const shortRun = ourImport(short);
      const speed = (rs) => mb / median(rs.map((r) => r.seconds));
      const o = runs.ours[0];
      const exact = runs.ours.every((r) => r.reads === truth.reads && r.writes === truth.writes && r.failed === truth.failed);
      failed ||= !exact;
      const what = RUNS.map((r) => `${r.threads} thread(s) x ${fmt(r.count)} writes + preads`).join(", then ");
      console.log(`${log.name}: ${fmt(mb, 1)} MB, ${copies} copies of a real strace log (${what}, ${SIZE} B of random data each)`);
      console.log(`  parser                             MB/s    x ref    reads       writes      failed   counts`);
      console.log(`  --------------------------------   -----   ------   ---------   ---------   ------   ------`);
      const row = (name, mbs, r, counts) =>
        console.log(
          `  ${name.padEnd(32)}   ${fmt(mbs).padStart(5)}   ${(r === null ? "-" : `${fmt(r, 1)}x`).padStart(6)}   ${counts}`,
        );
      const countCols = (r, f) => `${fmt(r.reads).padStart(9)}   ${fmt(r.writes).padStart(9)}   ${(f === null ? "-" : fmt(f)).padStart(6)}`;
      // The reference reads no line of a log with timestamps: its speed there compares nothing.
      const refCounted = haveReference && runs.ref[0].reads + runs.ref[0].writes > 0;
      const refMbs = refCounted ? speed(runs.ref) : null;
      row("iops import (ours)", speed(runs.ours), refMbs ? speed(runs.ours) / refMbs : null, `${countCols(o, o.failed)}   ${exact ? "exact" : "WRONG"}`);
      if (haveReference) {
        const r = runs.ref[0];
        const missed = 1 - (r.reads + r.writes) / (truth.reads + truth.writes);
        row("iops-profiler 0.2.0 (Python)", speed(runs.ref), refMbs ? 1 : null, `${countCols(r, null)}   misses ${fmt(missed * 100, 1)}%`);
      }
      row("wc -l (reading the lines)", speed(runs.wc), refMbs ? speed(runs.wc) / refMbs : null, "");
      console.log(`  ground truth                                        ${countCols(truth, truth.failed)}`);
      console.log(
        `  peak RSS of our import: ${fmt(shortRun.maxRssMiB, 1)} MiB on ${fmt(statSync(short).size / 1e6, 1)} MB, ${fmt(o.maxRssMiB, 1)} MiB on ${fmt(mb, 1)} MB`,
      );
      console.log("");
      if (refMbs) {
        summary.push({ log: log.name, ratio: speed(runs.ours) / refMbs, wcRatio: speed(runs.wc) / speed(runs.ours) });
      }
    }
    if (summary.length > 0) {
      console.log(`target: our import >= ${TARGET}x the reference parser's MB/s, exact counts`);
      for (const s of summary) {
        console.log(`  ${s.log.padEnd(48)} ${fmt(s.ratio, 1)}x  ${s.ratio >= TARGET ? "ok" : "UNDER TARGET"}   (wc -l is ${fmt(s.wcRatio, 1)}x ours)`);
      }
    }
    if (failed) {
      console.log("import: our counts differ from the ground truth");
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
