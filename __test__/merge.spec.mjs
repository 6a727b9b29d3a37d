/**
 * Many processes, many runs (issue 16), with a real launcher: Debian's Open
 * MPI runs 4 ranks of a C MPI program (fixtures/rankwriter.c) each under
 * `iops --json out/%r.json`; each rank writes a known, rank-specific block
 * pattern to one shared file and to a file of its own. `iops merge` of the
 * four reports is checked against that ground truth, per rank and in total,
 * and its page is opened in headless Chromium. Also: output path
 * placeholders, merge's one-line refusals, and `iops compare` of two real
 * runs of one workload written two ways.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import test from "ava";
import { chromium } from "playwright-core";

import { FIXTURES, compileFixtures, makeTempDir, runCli } from "./_support/util.mjs";

const CHROMIUM = "/usr/bin/chromium";
const RANKS = 4;
/** Blocks of 512 bytes each rank writes to the shared file. */
const BLOCKS = 64;
const SMALL = 512;
const BIG = 4096;
/** Rank r writes 8 (r + 1) blocks of 4096 bytes to its own file. */
const ownWrites = (r) => 8 * (r + 1);

let dir;
let bin;
let mpi;
let browser;

test.before(async () => {
  for (const tool of ["mpicc", "mpirun"]) {
    const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
      throw new Error(`${tool} is missing: this test runs Debian's Open MPI (apt-get install openmpi-bin libopenmpi-dev; scripts/setup-dev.sh does it)`);
    }
  }
  dir = makeTempDir("iops-merge-");
  bin = compileFixtures(dir, ["writes"]);
  const cc = spawnSync("mpicc", ["-O2", "-Wall", "-Werror", "-o", path.join(dir, "rankwriter"), path.join(FIXTURES, "rankwriter.c")], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(`mpicc failed for fixtures/rankwriter.c:\n${cc.stderr}`);

  // The job: 4 ranks, each traced by its own iops, one report per rank.
  fs.mkdirSync(path.join(dir, "out"));
  fs.mkdirSync(path.join(dir, "data"));
  const run = spawnSync(
    "mpirun",
    ["--allow-run-as-root", "--oversubscribe", "-n", String(RANKS), process.execPath, path.join(process.cwd(), "dist", "cli.js"), "--json", "out/%r.json", "--", "./rankwriter", path.join(dir, "data"), String(BLOCKS)],
    { cwd: dir, encoding: "utf8", timeout: 180_000 },
  );
  if (run.status !== 0) throw new Error(`mpirun failed (status ${run.status}):\n${run.stderr}`);
  const merged = runCli(["merge", path.join(dir, "out"), "--json", path.join(dir, "job.json"), "--html", path.join(dir, "job.html")]);
  if (merged.status !== 0) throw new Error(`iops merge failed: ${merged.stderr}`);
  const reports = Array.from({ length: RANKS }, (_, r) => JSON.parse(fs.readFileSync(path.join(dir, "out", `${r}.json`), "utf8")));
  mpi = { reports, merged: JSON.parse(fs.readFileSync(path.join(dir, "job.json"), "utf8")), text: merged.stdout };

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
});

test.after.always(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const fileRow = (report, name) => {
  const rows = report.files.filter((f) => f.path === path.join(dir, "data", name));
  if (rows.length !== 1) throw new Error(`${rows.length} rows for ${name}`);
  return rows[0];
};

test("the workload did what its ground truth says: the shared file holds every rank's blocks, interleaved", (t) => {
  const shared = fs.readFileSync(path.join(dir, "data", "shared.dat"));
  t.is(shared.length, RANKS * BLOCKS * SMALL);
  for (let block = 0; block < RANKS * BLOCKS; block++) {
    const expected = 65 + (block % RANKS); // 'A' + rank
    t.true(shared.subarray(block * SMALL, (block + 1) * SMALL).every((b) => b === expected), `block ${block}`);
  }
  for (let r = 0; r < RANKS; r++) t.is(fs.statSync(path.join(dir, "data", `rank${r}.dat`)).size, ownWrites(r) * BIG);
});

test("mpirun -n 4 iops --json out/%r.json: one report per rank, each with its rank, the job's id, host and wall-clock start", (t) => {
  const jobs = new Set(mpi.reports.map((r) => r.jobId));
  t.is(jobs.size, 1, "one job id");
  t.truthy([...jobs][0], "from the launcher (OMPI_MCA_ess_base_jobid)");
  mpi.reports.forEach((report, r) => {
    t.is(report.rank, r, `out/${r}.json is rank ${r}'s`);
    t.is(report.host.name, os.hostname());
    t.true(Math.abs(report.startedAt - Date.now()) < 86_400_000, "startedAt is wall-clock ms since the epoch (today)");
    // Each rank's own writes, exactly: its blocks of the shared file, and its own file.
    const shared = fileRow(report, "shared.dat");
    t.deepEqual([shared.writeOps, shared.writeBytes, shared.readOps], [BLOCKS, BLOCKS * SMALL, 0], `rank ${r} shared.dat`);
    t.is(shared.writeAccess.pattern, "strided");
    t.is(shared.writeAccess.strideBytes, RANKS * SMALL, "each rank strides over the others' blocks");
    const own = fileRow(report, `rank${r}.dat`);
    t.deepEqual([own.writeOps, own.writeBytes], [ownWrites(r), ownWrites(r) * BIG], `rank ${r} own file`);
  });
});

test("iops merge: the job's report is exact per rank and in total; the shared file is one row with every rank's writes", (t) => {
  const m = mpi.merged;
  t.is(m.method, mpi.reports[0].method);
  const shared = fileRow(m, "shared.dat");
  t.deepEqual([shared.writeOps, shared.writeBytes, shared.processes], [RANKS * BLOCKS, RANKS * BLOCKS * SMALL, RANKS]);
  t.is(shared.writeAccess.smallOps, RANKS * BLOCKS);
  t.is(shared.pattern, "strided");
  for (let r = 0; r < RANKS; r++) {
    const own = fileRow(m, `rank${r}.dat`);
    t.deepEqual([own.writeOps, own.writeBytes, own.processes], [ownWrites(r), ownWrites(r) * BIG, 1]);
  }
  // Totals are the ranks' totals, field by field; each rank's row is its report's summary.
  const sum = (f) => mpi.reports.reduce((n, r) => n + r.summary[f], 0);
  for (const f of ["readOps", "writeOps", "readBytes", "writeBytes", "totalOps", "totalBytes"]) t.is(m.summary[f], sum(f), f);
  t.deepEqual(m.ranks.map((row) => row.rank), [0, 1, 2, 3]);
  m.ranks.forEach((row, r) => {
    const s = mpi.reports[r].summary;
    t.deepEqual([row.readOps, row.writeOps, row.readBytes, row.writeBytes], [s.readOps, s.writeOps, s.readBytes, s.writeBytes], `rank ${r}'s row`);
    t.is(row.file, path.join(dir, "out", `${r}.json`));
  });
  // Histograms add bin by bin: the 512-byte bin holds every shared-file write (and any other 512-byte write of the ranks).
  const bin512 = (h) => h.write.filter((b) => b.lo <= SMALL && SMALL < b.hi).reduce((n, b) => n + b.count, 0);
  t.is(bin512(m.histogram), mpi.reports.reduce((n, r) => n + bin512(r.histogram), 0));
  t.true(bin512(m.histogram) >= RANKS * BLOCKS);
  // The timeline is on the wall clock: it starts at the earliest rank and holds every operation.
  t.is(m.startedAt, Math.min(...mpi.reports.map((r) => r.startedAt)));
  const points = m.timeline.points;
  t.is(points.reduce((n, p) => n + p.writeOps, 0), m.summary.writeOps);
  t.is(points.reduce((n, p) => n + p.readBytes, 0), m.summary.readBytes);
  // The heatmap, in the timeline's bins: every operation, the shared file's 512-byte writes in their size bin.
  const h = m.heatmap;
  t.is(h.ops.length, points.length);
  t.is(h.ops.flat().reduce((n, x) => n + x, 0), m.summary.totalOps);
  const col = h.sizeBins.findIndex((b) => b.lo === SMALL);
  t.is(h.ops.reduce((n, row) => n + row[col], 0), mpi.reports.reduce((n, r) => n + r.heatmap.ops.reduce((k, row) => k + row[r.heatmap.sizeBins.findIndex((b) => b.lo === SMALL)], 0), 0));
  // The job's finding: many ranks writing one file in small blocks.
  const finding = m.findings.find((f) => f.code === "shared-file-small-writes" && f.file === shared.path);
  t.truthy(finding, JSON.stringify(m.findings));
  t.deepEqual([finding.numbers.processes, finding.numbers.smallWrites, finding.numbers.writeOps], [RANKS, RANKS * BLOCKS, RANKS * BLOCKS]);
  // The text shows the per-process table.
  t.regex(mpi.text, /Per process \(4 processes on 1 host/);
  for (let r = 0; r < RANKS; r++) t.regex(mpi.text, new RegExp(`\\n  rank ${r} `));
});

test("the merged page in Chromium: the per-process table and its charts drawn, no error, no request", async (t) => {
  const page = await browser.newPage();
  t.teardown(() => page.close());
  const own = pathToFileURL(path.join(dir, "job.html")).href;
  const seen = { errors: [], console: [], requests: [] };
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && seen.console.push(m.text()));
  page.on("request", (r) => seen.requests.push(r.url()));
  await page.route("**/*", (route) => (route.request().url() === own ? route.continue() : route.abort()));
  await page.goto(own, { waitUntil: "load" });
  await page.waitForTimeout(300);
  t.deepEqual(seen, { errors: [], console: [], requests: [own] });
  const rows = await page.evaluate(() => [...document.querySelectorAll("#ranks table.ranks tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)));
  t.deepEqual(rows.map((r) => r[0]), ["rank 0", "rank 1", "rank 2", "rank 3"]);
  const charts = await page.evaluate(() =>
    [...document.querySelectorAll("#ranks .iops-chart")].map((el) => ({
      id: el.dataset.figure,
      svg: el.querySelectorAll(".main-svg").length,
      bars: el.querySelectorAll("g.point path").length,
      traces: (el.data ?? []).map((d) => ({ name: d.name, y: [...d.y] })),
    })),
  );
  t.deepEqual(charts.map((c) => c.id), ["bytes", "time"]);
  for (const c of charts) t.true(c.svg > 0 && c.bars > 0, `${c.id}: drawn with bars`);
  const written = charts[0].traces.find((tr) => tr.name === "written").y;
  t.deepEqual(written, mpi.reports.map((r) => r.summary.writeBytes), "bytes per rank, as the reports say");
  // The job's charts (sizes, timeline) are drawn too.
  t.true(await page.evaluate(() => document.querySelectorAll("#charts .iops-chart .main-svg").length > 0));
});

test("merge refuses, in one line naming the file: not a report, a newer version, mixed sources, an already merged report", (t) => {
  const bad = path.join(dir, "bad");
  fs.mkdirSync(bad);
  const one = mpi.reports[0];
  const write = (name, value) => {
    const p = path.join(bad, name);
    fs.writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
    return p;
  };
  const cases = [
    [[write("notjson.json", "hello")], /^iops merge: .*notjson\.json: not an iops report \(not JSON/],
    [[write("other.json", { a: 1 })], /^iops merge: .*other\.json: not an iops report \(no version, method and summary\)$/],
    [[write("newer.json", { ...one, version: one.version + 1 })], /newer\.json: report version \d+ is newer than this iops reads/],
    // The other source of the two Linux tracers: the rank reports are from the default one.
    [
      [path.join(dir, "out", "0.json"), write("other-source.json", { ...one, method: one.method === "ebpf" ? "ptrace" : "ebpf" })],
      new RegExp(`other-source\\.json is from ${one.method === "ebpf" ? "ptrace" : "ebpf"} but .*0\\.json from ${one.method}: merge reports of one source$`),
    ],
    [[path.join(dir, "job.json")], /job\.json: already a merged report/],
    // A summary of every fd and one of files only do not add up (the table's rows would not sum to it).
    [
      [path.join(dir, "out", "0.json"), write("all-fds.json", { ...one, allFds: !one.allFds, startedAt: one.startedAt + 1 })],
      new RegExp(`all-fds\\.json counts ${one.allFds ? "files and block devices only" : "every fd \\(--all-fds\\)"} but .*0\\.json ${one.allFds ? "every fd \\(--all-fds\\)" : "files and block devices only"}: merge reports made with the same --all-fds$`),
    ],
    [[path.join(bad, "missing.json")], /^iops merge: cannot read .*missing\.json: ENOENT$/],
    // One capture twice (the same file, or a copy of it) would count its I/O twice.
    [[path.join(dir, "out", "0.json"), write("copy.json", JSON.parse(fs.readFileSync(path.join(dir, "out", "0.json"), "utf8")))], /copy\.json is the same capture as .*0\.json \(host .*, pid \d+, same start\): give each report once$/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(["merge", ...args]);
    t.is(r.status, 1, args.join(" "));
    t.is(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    t.regex(r.stderr.trim(), message);
  }
  // iops report and iops compare refuse a newer report as merge does, in one line.
  const newer = path.join(bad, "newer.json");
  for (const args of [["report", newer], ["compare", newer, path.join(dir, "out", "0.json")]]) {
    const r = runCli(args);
    t.is(r.status, 1, args.join(" "));
    t.regex(r.stderr.trim(), /^iops [a-z]+: .*newer\.json: report version \d+ is newer than this iops reads \(\d+\); read it with a newer iops-profiler$/);
  }
});

// A path that is a FIFO in one capture and a regular file in another: the
// merged table keeps them apart (a row per kind), so the summary, the sum of
// the reports' summaries, is the sum of the table's rows it counts (storage
// rows; every row with --all-fds). Ground truth: sh's printf makes one write
// of 10 bytes to the path each time, and the file holds those 10 bytes.
for (const allFds of [false, true]) {
  test(`one path a FIFO in one capture and a file in another${allFds ? " (--all-fds)" : ""}: a row each, and the merged summary is the sum of the table's rows it counts`, (t) => {
    const sub = fs.mkdtempSync(path.join(dir, "kinds-"));
    const p = path.join(sub, "p");
    const flag = allFds ? ["--all-fds"] : [];
    t.is(spawnSync("mkfifo", [p]).status, 0);
    const a = runCli(["--json", path.join(sub, "a.json"), ...flag, "--", "sh", "-c", 'cat "$1" > /dev/null & printf 0123456789 > "$1"; wait', "sh", p]);
    t.is(a.status, 0, a.stderr);
    fs.rmSync(p);
    const b = runCli(["--json", path.join(sub, "b.json"), ...flag, "--", "sh", "-c", 'printf 0123456789 > "$1"', "sh", p]);
    t.is(b.status, 0, b.stderr);
    t.is(fs.statSync(p).size, 10);
    const m = runCli(["merge", path.join(sub, "a.json"), path.join(sub, "b.json"), "--json", path.join(sub, "m.json")]);
    t.is(m.status, 0, m.stderr);
    const merged = JSON.parse(fs.readFileSync(path.join(sub, "m.json"), "utf8"));
    const rows = merged.files.filter((f) => f.path === p).map((f) => ({ kind: f.kind, writeOps: f.writeOps, writeBytes: f.writeBytes }));
    t.deepEqual(rows.sort((x, y) => x.kind.localeCompare(y.kind)), [{ kind: "file", writeOps: 1, writeBytes: 10 }, { kind: "pipe", writeOps: 1, writeBytes: 10 }]);
    t.is(merged.allFds, allFds);
    const counted = merged.files.filter((f) => allFds || f.kind === "file" || f.kind === "blockDevice");
    const sum = (k) => counted.reduce((n, f) => n + f[k], 0);
    const { readOps, writeOps, readBytes, writeBytes } = merged.summary;
    t.deepEqual({ readOps, writeOps, readBytes, writeBytes }, { readOps: sum("readOps"), writeOps: sum("writeOps"), readBytes: sum("readBytes"), writeBytes: sum("writeBytes") });
  });
}

test("a job of two processes: the median of their times is their mean, so longest/median says how far apart they are", (t) => {
  const two = path.join(dir, "two");
  fs.mkdirSync(two);
  const base = JSON.parse(fs.readFileSync(path.join(dir, "out", "0.json"), "utf8"));
  const fast = { ...base, pid: 101, startedAt: 1_000, elapsedSeconds: 0.036 };
  const slow = { ...base, pid: 102, startedAt: 1_000, elapsedSeconds: 4.02 };
  fs.writeFileSync(path.join(two, "fast.json"), JSON.stringify(fast));
  fs.writeFileSync(path.join(two, "slow.json"), JSON.stringify(slow));
  const r = runCli(["merge", two]);
  t.is(r.status, 0, r.stderr);
  // 4.02 / ((0.036 + 4.02) / 2) = 1.98, not 4.02 / 4.02 (the upper of the two middle values).
  t.regex(r.stdout, /elapsed longest\/median 1\.98×/);
});

test("output placeholders: %h %p %% filled, %r and %j from the launcher's variables; unknown ones and a rank without a launcher are usage errors before the run", (t) => {
  const out = path.join(dir, "ph");
  fs.mkdirSync(out);
  const data = path.join(out, "data.bin");
  const clean = { ...process.env };
  for (const v of ["SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_JOB_ID", "OMPI_MCA_ess_base_jobid", "PMIX_NAMESPACE"]) delete clean[v];

  let r = runCli(["--json", path.join(out, "%h-%p-100%%.json"), "--", bin.writes, data, "3", "10"], { env: clean });
  t.is(r.status, 0, r.stderr);
  const host = os.hostname().split(".")[0];
  const made = fs.readdirSync(out).filter((n) => n.endsWith(".json"));
  t.is(made.length, 1);
  t.regex(made[0], new RegExp(`^${host}-\\d+-100%\\.json$`));
  const report = JSON.parse(fs.readFileSync(path.join(out, made[0]), "utf8"));
  t.deepEqual([report.rank, report.jobId], [null, null], "no launcher");
  t.is(fileRowAt(report, data).writeOps, 3);

  r = runCli(["--json", path.join(out, "%j-%r.json"), "--", bin.writes, data, "2", "10"], { env: { ...clean, SLURM_PROCID: "5", SLURM_JOB_ID: "777" } });
  t.is(r.status, 0, r.stderr);
  const slurm = JSON.parse(fs.readFileSync(path.join(out, "777-5.json"), "utf8"));
  t.deepEqual([slurm.rank, slurm.jobId], [5, "777"]);

  fs.rmSync(data);
  for (const [pattern, message] of [
    ["%x.json", /unknown placeholder %x; the placeholders are %h, %p, %r, %j and %% for a literal %$/],
    ["r%r.json", /%r needs a launcher's rank \(SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK\), and none is set$/],
    ["j%j.json", /%j needs a launcher's job id/],
    ["end%", /a lone % at the end/],
  ]) {
    r = runCli(["--json", path.join(out, pattern), "--", bin.writes, data, "1", "10"], { env: clean });
    t.is(r.status, 2, pattern);
    t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    t.regex(r.stderr.trim(), message);
    t.false(fs.existsSync(data), `${pattern}: the command did not run`);
  }
});

function fileRowAt(report, p) {
  const rows = report.files.filter((f) => f.path === p);
  if (rows.length !== 1) throw new Error(`${rows.length} rows for ${p}`);
  return rows[0];
}

test("iops compare: 1,000 writes of 16 bytes against one of 16,000: ratios and the verdict, JSON and a page with overlaid histograms", async (t) => {
  const small = path.join(dir, "small.json");
  const large = path.join(dir, "large.json");
  t.is(runCli(["--json", small, "--", bin.writes, path.join(dir, "s.bin"), "1000", "16"]).status, 0);
  t.is(runCli(["--json", large, "--", bin.writes, path.join(dir, "l.bin"), "1", "16000"]).status, 0);
  const r = runCli(["compare", small, large, "--json", path.join(dir, "cmp.json"), "--html", path.join(dir, "cmp.html")]);
  t.is(r.status, 0, r.stderr);
  const c = JSON.parse(fs.readFileSync(path.join(dir, "cmp.json"), "utf8"));
  const a = JSON.parse(fs.readFileSync(small, "utf8"));
  const b = JSON.parse(fs.readFileSync(large, "utf8"));
  const row = (id) => c.rows.find((x) => x.id === id);
  t.deepEqual([row("writeOps").a, row("writeOps").b], [a.summary.writeOps, b.summary.writeOps]);
  t.is(row("writeOps").ratio, b.summary.writeOps / a.summary.writeOps);
  t.is(row("bytes").ratio, b.summary.totalBytes / a.summary.totalBytes);
  t.is(fileRowAt(a, path.join(dir, "s.bin")).writeOps, 1000);
  t.is(fileRowAt(b, path.join(dir, "l.bin")).writeOps, 1);
  // The static binaries write nothing else: 1,000 writes against 1, 16,000 bytes each.
  t.deepEqual([a.summary.writeOps, a.summary.writeBytes, b.summary.writeOps, b.summary.writeBytes], [1000, 16000, 1, 16000]);
  t.regex(c.verdict, /^large\.json does 1,000× fewer writes for the same bytes/);
  t.true(r.stdout.startsWith(c.verdict + "."), r.stdout);
  t.regex(r.stdout, /Write operations: +1,000 +1 +1\/1,000\n/);
  t.regex(r.stdout, /Total bytes: .* 1×\n/);

  const page = await browser.newPage();
  t.teardown(() => page.close());
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(pathToFileURL(path.join(dir, "cmp.html")).href, { waitUntil: "load" });
  t.deepEqual(errors, []);
  const traces = await page.evaluate(() =>
    [...document.querySelectorAll(".iops-chart")].map((el) => ({
      id: el.dataset.figure,
      svg: el.querySelectorAll(".main-svg").length,
      names: (el.data ?? []).map((d) => d.name),
      types: (el.data ?? []).map((d) => d.type),
      x: (el.data ?? []).map((d) => [...d.x]),
      y: (el.data ?? []).map((d) => [...d.y]),
    })),
  );
  t.deepEqual(traces.map((x) => x.id), ["compare-ops", "compare-bytes"]);
  t.true(traces.every((x) => x.svg > 0));
  t.deepEqual(traces[0].names, ["small.json writes", "large.json writes"], "the two histograms side by side");
  // Bars over every bin from [16, 32) to [8 KiB, 16 KiB), not lines joining the two non-empty bins across the empty ones.
  const bins = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
  t.deepEqual(traces[0].types, ["bar", "bar"]);
  t.deepEqual(traces[0].x, [bins, bins]);
  t.deepEqual(traces[0].y, [bins.map((lo) => (lo === 16 ? 1000 : null)), bins.map((lo) => (lo === 8192 ? 1 : null))]);
  t.deepEqual(traces[1].y, [bins.map((lo) => (lo === 16 ? 16000 : null)), bins.map((lo) => (lo === 8192 ? 16000 : null))]);
});
