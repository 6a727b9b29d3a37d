/**
 * `npm run bench -- merge`: `iops merge` of BENCH_RANKS (default 1,000)
 * rank reports, as a user runs it (the whole CLI process, `node
 * dist/cli.js merge DIR --json FILE`), and the merge alone in a process of
 * its own with its peak RSS, for a quarter of the reports and all of them:
 * memory is bounded by files and bins, not by the number of reports.
 *
 * The reports come from one real run (the static `writes` workload under
 * `iops --json`), varied per rank: rank r scales every count of it by
 * 1 + r % 4, renames its data file to one of its own, starts r × 3 ms later
 * and runs on host node<r % 16>. The merged totals are checked against the
 * sum those rules give: a fast merge that miscounts is no use.
 *
 *   BENCH_RANKS    reports merged (default 1000)
 *   BENCH_REPEAT   runs of each (default 3; the best counts)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { envInt, must, timeProcess } from "./common.mjs";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist", "cli.js");

/** Every count of `report` times k (a rank that did k times the work). */
function scaled(base, k) {
  const r = structuredClone(base);
  for (const key of ["readOps", "writeOps", "readBytes", "writeBytes", "totalOps", "totalBytes"]) r.summary[key] *= k;
  for (const f of r.files ?? []) {
    for (const key of ["readOps", "writeOps", "readBytes", "writeBytes", "smallOps"]) f[key] *= k;
    for (const a of [f.readAccess, f.writeAccess]) {
      if (a) for (const key of ["sequentialOps", "stridedOps", "randomOps", "unknownOps", "smallOps"]) a[key] *= k;
    }
  }
  for (const side of ["read", "write"]) {
    for (const b of r.histogram?.[side] ?? []) (b.count *= k), (b.sum *= k);
    const l = r.latency?.[side];
    if (l) {
      l.count *= k;
      for (const b of l.bins) (b.count *= k), (b.sum *= k);
    }
  }
  for (const p of r.timeline?.points ?? []) for (const key of ["readOps", "writeOps", "readBytes", "writeBytes"]) p[key] *= k;
  for (const rows of [r.heatmap?.ops ?? [], r.heatmap?.bytes ?? []]) for (const row of rows) row.forEach((v, i) => (row[i] = v * k));
  return r;
}

export async function run() {
  const ranks = envInt("BENCH_RANKS", 1000);
  const repeat = envInt("BENCH_REPEAT", 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), "iops-bench-merge-"));
  try {
    const bin = path.join(dir, "writes");
    must(spawnSync("gcc", ["-O2", "-static", "-o", bin, path.join(ROOT, "__test__", "fixtures", "writes.c")], { encoding: "utf8" }), "gcc writes.c");
    const data = path.join(dir, "data.bin");
    const basePath = path.join(dir, "base.json");
    must(spawnSync(process.execPath, [CLI, "--json", basePath, "--", bin, data, "2000", "512"], { encoding: "utf8" }), "iops -- writes");
    const base = JSON.parse(readFileSync(basePath, "utf8"));
    const size = readFileSync(basePath).length;

    const reportsDir = path.join(dir, "ranks");
    mkdirSync(reportsDir);
    const expected = { writeOps: 0, writeBytes: 0, readOps: 0 };
    for (let r = 0; r < ranks; r++) {
      const k = 1 + (r % 4);
      const report = scaled(base, k);
      report.rank = r;
      report.jobId = "bench";
      report.startedAt = base.startedAt + r * 3;
      report.host = { ...base.host, name: `node${r % 16}` };
      for (const f of report.files) if (f.path === data) f.path = `/scratch/rank${r}.dat`;
      writeFileSync(path.join(reportsDir, `${r}.json`), JSON.stringify(report));
      for (const key of Object.keys(expected)) expected[key] += base.summary[key] * k;
    }
    console.log(`${ranks} rank reports of ${(size / 1024).toFixed(1)} KiB each (a real run's report of 2,000 writes, varied per rank)`);

    const out = path.join(dir, "job.json");
    let best = Infinity;
    for (let i = 0; i < repeat; i++) best = Math.min(best, timeProcess([process.execPath, CLI, "merge", reportsDir, "--json", out], "iops merge").seconds);
    const merged = JSON.parse(readFileSync(out, "utf8"));
    const got = { writeOps: merged.summary.writeOps, writeBytes: merged.summary.writeBytes, readOps: merged.summary.readOps };
    const exact = Object.keys(expected).every((key) => got[key] === expected[key]) && merged.ranks.length === ranks;
    console.log(`iops merge of ${ranks} reports (whole CLI process, best of ${repeat}): ${best.toFixed(2)} s; totals ${exact ? "exact" : `WRONG: ${JSON.stringify(got)} != ${JSON.stringify(expected)}`}`);
    if (!exact) process.exitCode = 1;

    // The merge alone, in a process of its own: its time and peak RSS for a quarter of the reports and for all.
    for (const n of [Math.max(1, Math.floor(ranks / 4)), ranks]) {
      const script = `const { native } = require(${JSON.stringify(path.join(ROOT, "dist", "native.js"))});
const paths = Array.from({ length: ${n} }, (_, r) => ${JSON.stringify(reportsDir)} + "/" + r + ".json");
const rss0 = process.resourceUsage().maxRSS;
const t0 = process.hrtime.bigint();
const json = native.mergeReports(paths);
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ s, rss0, rss: process.resourceUsage().maxRSS, bytes: json.length }));`;
      const r = must(spawnSync(process.execPath, ["-e", script], { encoding: "utf8" }), "mergeReports");
      const m = JSON.parse(r.stdout);
      console.log(
        `mergeReports of ${String(n).padStart(5)} reports: ${m.s.toFixed(2)} s in the binding; peak RSS ${(m.rss / 1024).toFixed(0)} MiB (${(m.rss0 / 1024).toFixed(0)} MiB before); merged report ${(m.bytes / 1024).toFixed(0)} KiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
