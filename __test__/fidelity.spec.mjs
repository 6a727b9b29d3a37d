/**
 * A traced program cannot tell it is traced by its CPUs (issue 13 part 2):
 * by default it sees the CPUs it would see untraced (nproc,
 * os.availableParallelism(), sched_getaffinity), and a mask it sets itself
 * is its own, under launch, -p and a profile() window (ptrace, asked for: eBPF never stops or pins it). And the report says
 * what its time figures are: the traced elapsed time, and the tracer's
 * estimated share of it (from the run's scheduler books and the cost of a
 * stop measured on this machine), null for sources that do not stop the
 * program.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import test from "ava";

import { createRequire } from "node:module";

import { ROOT, compileFixtures, iops, makeTempDir, procStatus, runCli, runCliJson, spawnCli, waitFor, within } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { notebookDisplay } = require(path.join(ROOT, "dist", "render", "notebook.js"));

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-fidelity-");
  bin = compileFixtures(dir, ["setaffinity", "writes"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** What setaffinity printed, untraced, as the ground truth: { cpus, asked, got }. */
function affinityLines(stdout) {
  const cpus = /^cpus (\d+)$/m.exec(stdout)?.[1];
  const m = /^asked (\d+) got (\S+)$/m.exec(stdout);
  return { cpus: Number(cpus), asked: m?.[1], got: m?.[2] };
}

/** `iops --json <file> <args>`: the command's own stdout apart from the report. */
function traced(args, name) {
  const json = path.join(dir, `${name}.json`);
  const r = runCli(["--method", "ptrace", "--json", json, ...args]);
  return { ...r, report: r.status === 0 ? JSON.parse(fs.readFileSync(json, "utf8")) : null };
}

const untracedAffinity = () => {
  const r = spawnSync(bin.setaffinity, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`setaffinity untraced: ${r.status} ${r.stderr}`);
  return affinityLines(r.stdout);
};

test("nproc and os.availableParallelism() under iops -- print what they print untraced", (t) => {
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout;
  const traced = runCli(["--method", "ptrace", "--", "nproc"]);
  t.is(traced.status, 0, traced.stderr);
  t.is(traced.stdout, nproc);
  const script = "console.log(require('node:os').availableParallelism())";
  const node = runCli(["--method", "ptrace", "--", process.execPath, "-e", script]);
  t.is(node.status, 0, node.stderr);
  t.is(node.stdout.trim(), String(os.availableParallelism()));
  t.is(node.stdout.trim(), spawnSync(process.execPath, ["-e", script], { encoding: "utf8" }).stdout.trim());
});

test("launch: a program that sets its own CPU mask gets it, read back with sched_getaffinity", (t) => {
  const truth = untracedAffinity();
  const r = traced(["--", bin.setaffinity], "launch-affinity");
  t.is(r.status, 0, r.stderr);
  t.deepEqual(affinityLines(r.stdout), truth);
  t.is(truth.got, truth.asked);
  t.is(r.report.method, "ptrace");
  t.false(r.report.tracerTime.sharedCpu);
  t.false(r.report.warningCodes.includes("cpu-shared"));
});

test.serial("-p: an attached program sees all its CPUs and the mask it sets itself is its own", async (t) => {
  const truth = untracedAffinity();
  const w = spawn(bin.setaffinity, ["wait"], { stdio: ["pipe", "pipe", "inherit"] });
  let stdout = "";
  w.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  const exited = new Promise((resolve) => w.on("exit", (code) => resolve(code)));
  try {
    await waitFor(() => /pid \d+/.test(stdout), "the program's pid");
    const run = spawnCli(["--method", "ptrace", "--json", "-", "-p", String(w.pid)]);
    await waitFor(() => procStatus(w.pid)?.TracerPid !== "0", "iops to attach");
    t.is(procStatus(w.pid).Cpus_allowed_list, procStatus(process.pid).Cpus_allowed_list, "not pinned while traced");
    w.stdin.write("go\n");
    t.is(await within(exited, 30_000, "setaffinity"), 0, stdout);
    t.deepEqual(affinityLines(stdout), truth);
    const r = await within(run.done, 30_000, "iops -p");
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.is(report.method, "ptrace");
    t.false(report.tracerTime.sharedCpu);
  } finally {
    w.kill("SIGKILL");
  }
});

test.serial("profile(): a program run inside the window sees all CPUs and gets the mask it sets; the host's CPUs are untouched", (t) => {
  const script = `
    const os = require("node:os");
    const { execFileSync } = require("node:child_process");
    const { profile } = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    (async () => {
      const outside = os.availableParallelism();
      let inside, child;
      const report = await profile(() => {
        inside = os.availableParallelism();
        child = execFileSync(${JSON.stringify(bin.setaffinity)}, { encoding: "utf8" });
      }, { method: "ptrace" });
      const status = require("node:fs").readFileSync("/proc/self/status", "latin1");
      const after = /^Cpus_allowed_list:\\s*(\\S+)/m.exec(status)[1];
      console.log(JSON.stringify({ outside, inside, child, after, method: report.method, tracerTime: report.tracerTime }));
    })();`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.method, "ptrace");
  t.is(out.inside, out.outside);
  t.deepEqual(affinityLines(out.child), untracedAffinity());
  t.is(out.after, procStatus(process.pid).Cpus_allowed_list);
  t.false(out.tracerTime.sharedCpu);
  t.true(out.tracerTime.stops > 0, "the child's calls stopped it");
});

test("tracerTime: N writes stop the program at least 2N times; the estimate splits the elapsed time", (t) => {
  const N = 300;
  const { status, stderr, report } = runCliJson(["--method", "ptrace", "--", bin.writes, path.join(dir, "tt.dat"), String(N), "64"]);
  t.is(status, 0, stderr);
  t.is(report.summary.writeOps, N);
  const tt = report.tracerTime;
  // Each write: our filter's seccomp stop and its exit stop; plus the
  // program's few other traced calls and its exec and exit events.
  t.true(tt.stops >= 2 * N && tt.stops <= 2 * N + 60, `${tt.stops} stops`);
  t.true(tt.sameCpuNsPerStop > 0, JSON.stringify(tt));
  t.is(tt.crossCpuNsPerStop === null, os.availableParallelism() === 1, JSON.stringify(tt));
  t.true(tt.crossCpuShare >= 0 && tt.crossCpuShare <= 1);
  t.true(tt.nsPerStop > 0);
  t.true(tt.estimatedSeconds > 0 && tt.estimatedSeconds <= report.elapsedSeconds, JSON.stringify(tt));
  t.true(Math.abs(tt.estimatedSeconds + tt.estimatedUntracedSeconds - report.elapsedSeconds) < 1e-9);
  // Derived from its parts: the program's own CPU time (its threads' CPU
  // time less stops × the CPU time a stop adds), its own run-queue wait
  // (its wait less stops × a resumed thread's wait), and what neither the
  // stops (the time the tracer held them, their wake-ups) nor its CPU time
  // and wait explain of the window.
  for (const k of ["programCpuSeconds", "programWaitSeconds", "tracerCpuSeconds", "tracerWaitSeconds", "cpuNsPerStop", "heldSeconds", "wakeNsPerStop", "waitNsPerStop"]) {
    t.true(typeof tt[k] === "number" && tt[k] >= 0, `${k}: ${JSON.stringify(tt)}`);
  }
  t.true(tt.programCpuSeconds > 0 && tt.tracerCpuSeconds > 0 && tt.cpuNsPerStop > 0 && tt.heldSeconds > 0, JSON.stringify(tt));
  // One stop in 256 opens a sampled interval, closed at that thread's next stop.
  t.true(tt.sampledIntervals >= 1 && tt.sampledIntervals <= tt.stops / 256 + 1, JSON.stringify(tt));
  t.true(tt.heldSeconds < report.elapsedSeconds, JSON.stringify(tt));
  // Launched under our filter: one stop in 256 leads to a bare stop pair
  // (a syscall-entry stop, then our filter's stop of the same call), whose
  // CPU time is then the CPU time a stop adds.
  t.true(tt.barePairs >= 1 && tt.barePairs <= tt.stops / 256 + 1, JSON.stringify(tt));
  t.regex(tt.calibration, new RegExp(`the CPU time a stop adds from ${tt.barePairs} bare stop pairs in the run`));
  const cpu = tt.programCpuSeconds;
  const own = Math.max(0, cpu - (tt.stops * tt.cpuNsPerStop) / 1e9);
  const ownWait = Math.max(0, tt.programWaitSeconds - (tt.stops * tt.waitNsPerStop) / 1e9);
  const stopsTime = tt.heldSeconds + (tt.stops * tt.wakeNsPerStop) / 1e9;
  const blocked = Math.max(0, report.elapsedSeconds - stopsTime - cpu - tt.programWaitSeconds);
  const untraced = Math.min(report.elapsedSeconds, own + ownWait + blocked);
  t.true(Math.abs(tt.estimatedUntracedSeconds - untraced) < 1e-9, `${tt.estimatedUntracedSeconds} vs ${untraced}`);
  t.regex(tt.calibration, /^measured after the capture.*from the kernel's schedstat, in the run$/);
});

test("tracerTime: a program that sleeps 0.3 s in one call is estimated to take about that long untraced (its blocked time stays)", (t) => {
  // Ground truth: the program is blocked for 0.3 s whatever traces it; its
  // few stops cannot explain that time. (Not a timing assertion: the sleep
  // is the floor; 90 % of it leaves room for the tracer's wait overlapping
  // the program's after a resume, which the estimate counts twice.)
  const { status, stderr, report } = runCliJson(["--method", "ptrace", "--", "sleep", "0.3"]);
  t.is(status, 0, stderr);
  const tt = report.tracerTime;
  t.true(tt.estimatedUntracedSeconds >= 0.27 && tt.estimatedUntracedSeconds <= report.elapsedSeconds, JSON.stringify({ elapsed: report.elapsedSeconds, tt }));
});

test("the text says the time and the rates are traced ones; a saved strace log's are not, and it has no tracerTime", (t) => {
  const out = path.join(dir, "text.dat");
  const traced = runCli(["--method", "ptrace", "--", bin.writes, out, "20", "100"]);
  t.is(traced.status, 0, traced.stderr);
  t.regex(traced.stderr, /^Traced Execution Time: +[\d.]+ seconds$/m);
  t.regex(traced.stderr, /^Traced IOPS: +[\d,.]+/m);
  t.regex(traced.stderr, /^Traced Throughput: +[\d.]+ /m);
  t.regex(traced.stderr, /^Tracer's share: [\d,]+ stops of the program × [\d.]+ µs per stop/m);

  const log = path.join(dir, "w.log");
  const s = spawnSync("strace", ["-f", "-y", "-ttt", "-T", "-o", log, "--", bin.writes, out, "20", "100"], { encoding: "utf8" });
  if (s.error) throw new Error(`strace could not run (install it: apt-get install strace): ${s.error.message}`);
  const imported = runCli(["import", log, "--json", "-"]);
  t.is(imported.status, 0, imported.stderr);
  t.is(JSON.parse(imported.stdout).tracerTime, null);
  const text = runCli(["import", log]);
  t.regex(text.stderr + text.stdout, /^Execution Time: /m);
  t.regex(text.stderr + text.stdout, /^IOPS: /m);
  t.false((text.stderr + text.stdout).includes("Tracer's share"));
});

test("the tracer's share line: stops × the mean cost of a stop ≈ the estimate, its parts adding up to that cost, in a short line; no parts where one was clamped", (t) => {
  const run = runCliJson(["--method", "ptrace", "--", bin.writes, path.join(dir, "share.dat"), "20", "100"]);
  t.is(run.status, 0, run.stderr);
  // The run's own line: its product holds to the digits shown.
  const live = /^Tracer's share: ([\d,]+) stops of the program × ([\d.]+) µs per stop ≈ ([\d.]+) (ms|µs) of the elapsed time, a rough estimate(?: \(a stop: (.*)\))?$/m.exec(run.stderr);
  t.truthy(live, run.stderr);
  const [stops, per, est, unit] = [Number(live[1].replace(/,/g, "")), Number(live[2]), Number(live[3]), live[4]];
  t.is(stops, run.report.tracerTime.stops);
  const estUs = unit === "ms" ? est * 1000 : est;
  t.true(Math.abs(stops * per - estUs) <= stops * 0.005 + (unit === "ms" ? 0.5 : 0.05), `${stops} × ${per} µs vs ${est} ${unit}`);
  if (live[5]) {
    const parts = live[5].split(" + ").map((p) => Number(/^([\d.]+) µs /.exec(p)[1]));
    t.true(Math.abs(parts.reduce((a, b) => a + b, 0) - per) <= 0.005 * parts.length + 0.005, live[5]);
  }
  t.true(live[0].length <= 240, `${live[0].length} characters`);

  // Exact figures, through iops report: 222 stops; 1.21 + 2.95 + 1.74 + 0.66 = 6.56 µs a stop; 222 × 6.56 µs = 1.456 ms.
  const tt = {
    ...run.report.tracerTime,
    stops: 222,
    nsPerStop: 5000,
    cpuNsPerStop: 1210,
    programCpuSeconds: 0.001,
    heldSeconds: 222 * 2950e-9,
    wakeNsPerStop: 1740,
    waitNsPerStop: 660,
    estimatedSeconds: 222 * 6560e-9,
  };
  const saved = path.join(dir, "share.json");
  fs.writeFileSync(saved, JSON.stringify({ ...run.report, tracerTime: tt }));
  const shown = runCli(["report", saved]);
  t.is(shown.status, 0, shown.stderr);
  t.regex(
    shown.stdout,
    /^Tracer's share: 222 stops of the program × 6\.56 µs per stop ≈ 1\.456 ms of the elapsed time, a rough estimate \(a stop: 1\.21 µs of its CPU time \+ 2\.95 µs held by the tracer \+ 1\.74 µs waking up \+ 0\.66 µs waiting for a CPU\)$/m,
  );
  // A part clamped at 0 (the wake-ups exceed what the run explains): the parts no longer add up, so only the product is shown.
  fs.writeFileSync(saved, JSON.stringify({ ...run.report, tracerTime: { ...tt, wakeNsPerStop: 10_000 } }));
  const clamped = runCli(["report", saved]);
  t.is(clamped.status, 0, clamped.stderr);
  t.regex(clamped.stdout, /^Tracer's share: 222 stops of the program × 6\.56 µs per stop ≈ 1\.456 ms of the elapsed time, a rough estimate$/m);
});

test("the page and the notebook label the traced time and rates too, and the tracer's share", (t) => {
  const { status, stderr, report } = runCliJson(["--method", "ptrace", "--", bin.writes, path.join(dir, "labels.dat"), "20", "100"]);
  t.is(status, 0, stderr);
  const page = iops.reportPage(report);
  for (const label of ["Traced execution time", "Traced IOPS", "Traced throughput"]) t.true(page.includes(`<th scope="row">${label}</th>`), label);
  t.regex(page, /Tracer&#39;s share|Tracer's share/);
  const nb = notebookDisplay(report, { histogram: false, top: 10 })["text/html"];
  for (const label of ["Traced Execution Time", "Traced IOPS", "Traced Throughput"]) t.true(nb.includes(`<th>${label}</th>`), label);
  t.true(nb.includes("Tracer's share") || nb.includes("Tracer&#39;s share"), "the tracer's share in a note");
  t.false(nb.includes("untraced"), "no untraced estimate shown: it can be far off where stops dominate");
});

test("--share-cpu (opt-in): the program sees one CPU, and the report says so", (t) => {
  const r = traced(["--share-cpu", "--", "nproc"], "share");
  t.is(r.status, 0, r.stderr);
  if (os.availableParallelism() > 1) t.is(r.stdout, "1\n", "the opt-in is visible to the program: said below");
  t.true(r.report.tracerTime.sharedCpu);
  t.is(r.report.tracerTime.crossCpuNsPerStop, null);
  const at = r.report.warningCodes.indexOf("cpu-shared");
  t.true(at >= 0, JSON.stringify(r.report.warningCodes));
  t.regex(r.report.warnings[at], /shared one CPU with the tracer \(--share-cpu\): it saw one CPU/);
});
