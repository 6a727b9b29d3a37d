/**
 * `npm run bench -- import`: how fast `iops import` reads strace logs as a
 * user runs it — the whole CLI process, `node dist/cli.js import LOG --json
 * FILE` — side by side in one run with the Python iops-profiler 0.2.0's
 * parser (a scratch venv: `bash bench/setup-reference.sh` once): its
 * `Collector.parse_strace_line` over the lines, summing as its
 * measure_linux_strace does, timed inside Python (the reference parses in
 * the notebook kernel it already runs in: no start-up of its own), and with
 * `wc -l` (just reading the lines), on the same page-cached logs. Each runs
 * BENCH_REPEAT times, in turn; the best run counts. Our import timed inside
 * its process (importTrace() alone) and Node's bare start-up show where our
 * whole-process time goes.
 *
 * The logs (bench/strace-log.mjs): real strace output of a ground-truth
 * workload, escape-heavy random data with calls split across lines,
 * repeated to BENCH_LOG_MB; one written with the reference tool's own
 * flags, one with everything we read. Counts and bytes are checked against
 * the ground truth: a fast parser that miscounts is no use. Peak RSS of our
 * import on an 8x shorter log shows memory flat.
 *
 * Node loads the certificates NODE_EXTRA_CA_CERTS names at every start
 * (about 0.1 s). Where the environment sets it (some CI and sandbox
 * images) our import is timed without it, as on a user's machine, and with
 * it on a row of its own.
 *
 *   BENCH_LOG_MB   size of each log (default 100)
 *   BENCH_REPEAT   runs of each command (default 3)
 *   IOPS_BENCH_VENV  the reference's venv (default bench/.reference-venv)
 *   BENCH_BASELINE  another built checkout (main's, say): its whole CLI
 *                  process is timed too, in the same rounds, for a
 *                  side-by-side figure on the same load
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { envInt, ourCli, ourImport, referenceParse, referenceReady, timeProcess } from "./common.mjs";
import { FLAG_SETS, WORKLOAD, writeStraceLog } from "./strace-log.mjs";

const LOG_MB = envInt("BENCH_LOG_MB", 100);
const BASELINE = process.env.BENCH_BASELINE || null;
const REPEAT = envInt("BENCH_REPEAT", 3);
/** Our whole CLI process must be at least this many times faster than the reference's parse loop. */
const TARGET = 8;

const fmt = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const best = (runs) => runs.reduce((a, r) => (r.seconds < a.seconds ? r : a));

export async function run() {
  if (spawnSync("strace", ["-V"]).status !== 0) {
    console.log("import: strace is not installed (apt-get install strace); skipped");
    return;
  }
  const haveReference = referenceReady();
  if (!haveReference) console.log(`import: the reference parser is not set up (run: bash bench/setup-reference.sh); its rows are skipped\n`);
  const certs = process.env.NODE_EXTRA_CA_CERTS;
  const userEnv = { ...process.env };
  delete userEnv.NODE_EXTRA_CA_CERTS;
  const dir = mkdtempSync(path.join(os.tmpdir(), "iops-bench-import-"));
  try {
    // Node's start-up, for scale: in every whole-process figure of ours.
    const starts = { node: [], nodeCerts: [] };
    for (let i = 0; i < REPEAT; i++) {
      starts.node.push(timeProcess([process.execPath, "-e", "0"], "node -e 0", userEnv));
      if (certs) starts.nodeCerts.push(timeProcess([process.execPath, "-e", "0"], "node -e 0"));
    }
    let failed = false;
    const summary = [];
    for (const set of [FLAG_SETS.reference, FLAG_SETS.full]) {
      const file = path.join(dir, "big.log");
      const short = path.join(dir, "short.log");
      const log = writeStraceLog(file, set.flags, LOG_MB);
      writeStraceLog(short, set.flags, LOG_MB / 8);
      const mb = log.bytes / 1e6;
      const truth = log.truth;
      const json = path.join(dir, "report.json");
      readFileSync(file); // into the page cache
      const runs = { ours: [], oursCerts: [], inProcess: [], baseline: [], ref: [], wc: [] };
      for (let i = 0; i < REPEAT; i++) {
        runs.ours.push(ourCli(file, json, userEnv));
        if (BASELINE) runs.baseline.push(ourCli(file, json, userEnv, BASELINE));
        if (certs) runs.oursCerts.push(ourCli(file, json));
        runs.inProcess.push(ourImport(file));
        if (haveReference) runs.ref.push(referenceParse(file, "parse_strace_line"));
        runs.wc.push(timeProcess(["wc", "-l", file], "wc -l"));
      }
      const rss = { short: ourImport(short).maxRssMiB, long: runs.inProcess[0].maxRssMiB };
      const exact = [...runs.ours, ...runs.oursCerts, ...runs.baseline].every((r) => ["reads", "writes", "readBytes", "writeBytes", "failed"].every((k) => r[k] === truth[k]));
      failed ||= !exact;
      console.log(
        `${set.name}: ${fmt(mb, 1)} MB, ${log.copies} copies of a real strace log (${WORKLOAD}; ${fmt(log.split * 100)}% of lines are half a call)`,
      );
      console.log(`  best of ${REPEAT}                                  seconds     MB/s    x ref      reads     writes   bytes read  bytes written  failed  counts`);
      console.log(`  ----------------------------------------   -------   ------   ------   --------   --------   ----------  -------------  ------  ------`);
      // The reference reads no line of a log with timestamps: its speed there compares nothing.
      const ref = haveReference ? best(runs.ref) : null;
      const refCounted = ref && ref.reads + ref.writes > 0;
      const row = (name, r, counts) => {
        const ratio = refCounted ? `${fmt(ref.seconds / r.seconds, 1)}x` : "-";
        console.log(`  ${name.padEnd(40)}   ${fmt(r.seconds, 3).padStart(7)}   ${fmt(mb / r.seconds).padStart(6)}   ${ratio.padStart(6)}   ${counts ?? ""}`);
      };
      const countCols = (r, f) =>
        `${fmt(r.reads).padStart(8)}   ${fmt(r.writes).padStart(8)}   ${fmt(r.readBytes).padStart(10)}  ${fmt(r.writeBytes).padStart(13)}  ${(f === null ? "-" : fmt(f)).padStart(6)}`;
      const ours = best(runs.ours);
      row("iops import, whole CLI process", ours, `${countCols(ours, ours.failed)}  ${exact ? "exact" : "WRONG"}`);
      if (certs) row("  ...with NODE_EXTRA_CA_CERTS as set here", best(runs.oursCerts));
      row("  ...of which importTrace() in-process", best(runs.inProcess));
      if (BASELINE) row("baseline's whole CLI process (see below)", best(runs.baseline));
      if (ref) {
        const missed = 1 - (ref.reads + ref.writes) / (truth.reads + truth.writes);
        row("iops-profiler 0.2.0 parse loop (Python)", ref, `${countCols(ref, null)}  misses ${fmt(missed * 100, 1)}%`);
      }
      row("wc -l (reading the lines)", best(runs.wc));
      console.log(`  ground truth                                                               ${countCols(truth, truth.failed)}`);
      console.log(`  peak RSS of our import: ${fmt(rss.short, 1)} MiB on ${fmt(statSync(short).size / 1e6, 1)} MB, ${fmt(rss.long, 1)} MiB on ${fmt(mb, 1)} MB`);
      if (BASELINE) console.log(`  baseline: ${BASELINE} (BENCH_BASELINE), timed in the same rounds`);
      console.log("");
      if (refCounted) {
        summary.push({
          log: set.name,
          ratio: ref.seconds / ours.seconds,
          certs: certs ? ref.seconds / best(runs.oursCerts).seconds : null,
          baseline: BASELINE ? ref.seconds / best(runs.baseline).seconds : null,
        });
      }
    }
    const line = (name, rs) => `  ${name.padEnd(58)} ${fmt(best(rs).seconds, 3)} s`;
    console.log(`Node's start-up (best of ${REPEAT}), part of every whole-process figure of ours:`);
    console.log(line("node -e 0", starts.node));
    if (certs) console.log(line("node -e 0 with NODE_EXTRA_CA_CERTS as set here", starts.nodeCerts));
    if (summary.length > 0) {
      console.log(`\ntarget: our whole CLI process >= ${TARGET}x the reference's parse loop, best of ${REPEAT}, exact counts`);
      for (const s of summary) {
        const withCerts = s.certs === null ? "" : `   (${fmt(s.certs, 1)}x with NODE_EXTRA_CA_CERTS as set here)`;
        const baseline = s.baseline === null ? "" : `   (baseline: ${fmt(s.baseline, 1)}x)`;
        console.log(`  ${s.log.padEnd(48)} ${fmt(s.ratio, 1)}x  ${s.ratio >= TARGET ? "ok" : "UNDER TARGET"}${withCerts}${baseline}`);
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
