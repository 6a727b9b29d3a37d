/**
 * `npm run bench tracer`: what tracing costs, measured side by side in one run.
 *
 * Two C workloads (bench/workloads/) make N identical syscalls each:
 * 4 KiB pread64 from a page-cached 1 MiB file, and 512 B write() to a new
 * file. Each times its own loop, so the ratios below compare loop times and
 * leave process start-up and tracer set-up out. Every workload runs
 * untraced, under iops (launch, launch --share-cpu, attach, attach --share-cpu) and under
 * strace (launch, attach) where strace is installed; the variants are
 * interleaved and repeated, and the medians are shown.
 *
 * Every iops run must also count exactly N operations of the right size:
 * a fast tracer that miscounts is no use.
 *
 *   BENCH_CALLS   calls per run (default 200000)
 *   BENCH_REPEAT  runs of each variant (default 3)
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { envInt } from "./common.mjs";

const require = createRequire(import.meta.url);
const { profile, traceCommand } = require("../dist/index.js");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CALLS = envInt("BENCH_CALLS", 200_000);
const REPEAT = envInt("BENCH_REPEAT", 3);
/** profile() calls timed after the warm-up call. */
const PROFILE_CALLS = 50;
/** Our overhead per call may be at most this fraction of strace's. */
const TARGET = 0.7;
/**
 * A tracer's pid shows in /proc/<pid>/status as soon as it seizes the
 * thread, but syscall stops begin only once it has interrupted and
 * restarted it: time for that before the loop starts.
 */
const ATTACH_SETTLE_MS = 100;
const RESULT_SIZE = 64; // as in workloads/common.h

// ---------------------------------------------------------------- workloads

const BLOCK = 4096;
const WRITE_SIZE = 512;

const WORKLOADS = [
  {
    name: "pread",
    title: `${BLOCK / 1024} KiB preads from a page-cached 1 MiB file`,
    syscall: "pread64",
    /** Every run reads the same file, made (and cached) once by makeReadFile(). */
    dataPath: (tmp) => path.join(tmp, "data.bin"),
    expected: `${n(CALLS)} reads of ${n(BLOCK)} B and no writes`,
    exact: (s) => s.readOps === CALLS && s.readBytes === CALLS * BLOCK && s.writeOps === 0,
  },
  {
    name: "write",
    title: `${WRITE_SIZE} B writes to a new file (page cache)`,
    syscall: "write",
    /** A new file each run, deleted right after (before any writeback). */
    dataPath: (tmp) => path.join(tmp, "written.bin"),
    expected: `${n(CALLS)} writes of ${n(WRITE_SIZE)} B and no reads`,
    exact: (s) => s.writeOps === CALLS && s.writeBytes === CALLS * WRITE_SIZE && s.readOps === 0,
  },
];

/** Compiles the workloads statically: no dynamic loader reading libc.so into the counts. */
function compileWorkloads(tmp) {
  for (const w of WORKLOADS) {
    w.bin = path.join(tmp, w.name);
    execFileSync("gcc", ["-O2", "-static", "-Wall", "-o", w.bin, path.join(HERE, "workloads", `${w.name}.c`)], {
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
}

/** The 1 MiB file the preads read, read once so that it is in the page cache. */
function makeReadFile(file) {
  writeFileSync(file, Buffer.alloc(256 * BLOCK, "iops"));
  readFileSync(file);
}

/** One run of a workload: its arguments, result file and clean-up. */
function makeJob(workload, tmp) {
  const data = workload.dataPath(tmp);
  const result = path.join(tmp, "result");
  writeFileSync(result, Buffer.alloc(RESULT_SIZE));
  return {
    workload,
    bin: workload.bin,
    args: (mode) => [data, String(CALLS), result, ...(mode === "attach" ? ["attach"] : [])],
    loopNs: () => readLoopNs(result),
    cleanup: () => {
      if (workload.name === "write") rmSync(data, { force: true });
    },
  };
}

function readLoopNs(file) {
  const m = /loop_ns=(\d+)/.exec(readFileSync(file, "latin1"));
  if (!m) throw new Error(`the workload reported no loop time in ${file}`);
  return Number(m[1]);
}

// ----------------------------------------------------------------- variants

/** Resolves when the child exits with status 0; rejects otherwise. */
function exitOf(child, what) {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited with ${signal ?? `status ${code}`}`)),
    );
  });
}

function since(t0) {
  return Number(process.hrtime.bigint() - t0);
}

async function runUntraced(job) {
  const t0 = process.hrtime.bigint();
  await exitOf(spawn(job.bin, job.args(), { stdio: ["ignore", "ignore", "inherit"] }), job.workload.name);
  return { wallNs: since(t0) };
}

async function runIopsLaunch(job, shareCpu, method = "ptrace") {
  const t0 = process.hrtime.bigint();
  const report = await traceCommand([job.bin, ...job.args()], { shareCpu, method }).report;
  const wallNs = since(t0);
  if (report.exit?.code !== 0) throw new Error(`${job.workload.name} under iops ended with ${JSON.stringify(report.exit)}`);
  return { wallNs, report };
}

function straceArgs(job) {
  return ["-f", "-o", "/dev/null", "-e", `trace=${job.workload.syscall}`];
}

/** strace as one runs it; with `cpu`, strace and the workload confined to that one CPU, as iops does with --share-cpu. */
async function runStraceLaunch(job, cpu) {
  const t0 = process.hrtime.bigint();
  const strace = ["strace", ...straceArgs(job), job.bin, ...job.args()];
  const argv = cpu === undefined ? strace : ["taskset", "-c", String(cpu), ...strace];
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  await exitOf(child, `strace ${job.workload.name}`);
  return { wallNs: since(t0) };
}

/**
 * Our tracer on a running pid, as one attaches to a running server: the
 * CLI (`iops -p PID`) in a process of its own. detach() interrupts it,
 * which makes it detach and print its JSON report. (tracePid() from this
 * process would route through the profile() helper, as the workload is our
 * own child: the CLI is the direct path.)
 */
function attachIops(pid, _job, options = []) {
  const cli = path.join(HERE, "..", "dist", "cli.js");
  // ptrace, asked for: the rows of this bench are our tracer's (eBPF has its own row).
  const child = spawn(process.execPath, [cli, "--method", "ptrace", ...options, "--json", "-", "-p", String(pid)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = exitOf(child, "iops -p");
  exited.catch(() => {}); // awaited in detach(); an early failure must not crash us first
  return {
    detach: async () => {
      child.kill("SIGINT");
      await exited.catch((e) => {
        throw new Error(`${e.message}: ${stderr.trim()}`);
      });
      return JSON.parse(stdout);
    },
  };
}

/** strace -p; detach() interrupts it, which makes it detach and exit. */
function attachStrace(pid, job) {
  const child = spawn("strace", [...straceArgs(job), "-p", String(pid)], { stdio: ["ignore", "ignore", "ignore"] });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return {
    detach: async () => {
      child.kill("SIGINT");
      await exited;
      return null;
    },
  };
}

/** The stream's first line; rejects if it ends without one (the process died). */
function firstLine(stream, what) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    lines.once("line", resolve);
    lines.once("close", () => reject(new Error(`${what} ended before finishing its loop`)));
  });
}

async function untilTraced(pid) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    if (!/^TracerPid:\s*0$/m.test(status)) break;
    if (Date.now() > deadline) throw new Error(`no tracer attached to ${pid} within 10 s`);
    await sleep(2);
  }
  await sleep(ATTACH_SETTLE_MS);
}

/**
 * Attach mode: start the workload waiting, attach, let it loop, detach
 * while it is still alive (as one would from a long-running server), and
 * only then let it exit.
 */
async function runAttached(job, attach) {
  const child = spawn(job.bin, job.args("attach"), { stdio: ["pipe", "pipe", "inherit"] });
  const exited = exitOf(child, job.workload.name);
  const done = firstLine(child.stdout, job.workload.name);
  // Both are awaited below; a workload that dies early must fail this run, not crash the bench.
  exited.catch(() => {});
  done.catch(() => {});
  try {
    const tracer = attach(child.pid, job);
    await untilTraced(child.pid);
    child.stdin.write("g");
    await done;
    return { report: await tracer.detach() };
  } finally {
    child.stdin.end();
    await exited;
  }
}

/** The first CPU this process may run on. */
function firstCpu() {
  const list = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync("/proc/self/status", "latin1"));
  return list ? Number(list[1]) : 0;
}

/**
 * The variants, in the order they run and are shown. `compareWith` is the
 * strace row an iops row is held against in the table: strace as one runs
 * it, in the same mode. The one-CPU strace row is the like-for-like
 * reference for our --share-cpu rows (see COMPARISONS).
 */
function variants(haveStrace, haveTaskset) {
  const cpu = firstCpu();
  const all = [
    { id: "untraced", label: "untraced", run: runUntraced },
    { id: "iops-launch", label: "iops launch (default)", run: (j) => runIopsLaunch(j, false), compareWith: "strace-launch" },
    { id: "iops-launch-ebpf", label: "iops launch --method ebpf", run: (j) => runIopsLaunch(j, false, "ebpf"), compareWith: "strace-launch", ebpf: true },
    { id: "iops-launch-share", label: "iops launch --share-cpu", run: (j) => runIopsLaunch(j, true), compareWith: "strace-launch-1cpu" },
    { id: "iops-attach", label: "iops attach (iops -p)", run: (j) => runAttached(j, attachIops), compareWith: "strace-attach" },
    { id: "iops-attach-share", label: "iops attach --share-cpu", run: (j) => runAttached(j, (pid, job) => attachIops(pid, job, ["--share-cpu"])), compareWith: "strace-attach" },
    { id: "strace-launch", label: "strace -f (launch)", run: (j) => runStraceLaunch(j), strace: true },
    { id: "strace-launch-1cpu", label: `strace -f, one CPU (taskset -c ${cpu})`, run: (j) => runStraceLaunch(j, cpu), strace: true, taskset: true },
    { id: "strace-attach", label: "strace -f -p (attach)", run: (j) => runAttached(j, attachStrace), strace: true },
  ];
  const haveEbpf = process.platform === "linux" && process.getuid?.() === 0;
  return all.filter((v) => (haveStrace || !v.strace) && (haveTaskset || !v.taskset) && (haveEbpf || !v.ebpf));
}

// -------------------------------------------------------------- measurement

/** Why the report is not exactly the expected count, or null when it is. */
function inexactness(workload, report) {
  if (report.method !== "ptrace" && report.method !== "ebpf") return `measured by ${report.method}, not traced: ${report.warnings.join("; ")}`;
  const s = report.summary;
  if (workload.exact(s)) return null;
  return `expected ${workload.expected}; counted ${n(s.readOps)} reads (${n(s.readBytes)} B), ${n(s.writeOps)} writes (${n(s.writeBytes)} B)`;
}

async function measure(workload, variant, tmp) {
  const job = makeJob(workload, tmp);
  try {
    const out = await variant.run(job);
    return {
      loopNs: job.loopNs(),
      wallNs: out.wallNs ?? null,
      inexact: out.report ? inexactness(workload, out.report) : undefined,
    };
  } finally {
    job.cleanup();
  }
}

/** Runs every variant of every workload REPEAT times, interleaved so that drifting noise hits them all alike. */
async function measureAll(vs, tmp) {
  const results = new Map(WORKLOADS.map((w) => [w, new Map(vs.map((v) => [v.id, []]))]));
  for (let r = 1; r <= REPEAT; r++) {
    for (const w of WORKLOADS) {
      for (const v of vs) {
        const m = await measure(w, v, tmp);
        results.get(w).get(v.id).push(m);
        process.stderr.write(`  [${r}/${REPEAT}] ${w.name.padEnd(5)} ${v.label.padEnd(34)} loop ${(m.loopNs / 1e9).toFixed(3)} s\n`);
      }
    }
  }
  return results;
}

/** profile() around an empty function: its fixed cost per call, against calling the function bare. */
async function measureProfile() {
  const empty = () => {};
  const timed = async (fn) => {
    const t0 = process.hrtime.bigint();
    await fn();
    return since(t0);
  };
  const methods = new Set();
  let ops = 0;
  const profiled = async () => {
    const report = await profile(empty);
    methods.add(report.method);
    ops += report.summary.totalOps;
  };
  const firstNs = await timed(profiled); // starts the helper process
  const bare = [];
  const cost = [];
  for (let i = 0; i < PROFILE_CALLS; i++) {
    bare.push(await timed(async () => empty()));
    cost.push(await timed(profiled));
  }
  return { firstNs, bareNs: median(bare), profiledNs: median(cost), ops, methods: [...methods].join(", ") };
}

// ------------------------------------------------------------------- output

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function n(x) {
  return x.toLocaleString("en-US");
}

/** `align`: one letter per column, "l" or "r"; by default the first column left, numbers right. */
function table(header, rows, align = "l" + "r".repeat(header.length - 1)) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    "  " + cells.map((c, i) => (align[i] === "l" ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("   ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Medians of one workload's variants, with the overheads derived from them. */
function summarize(byVariant, vs) {
  const stats = new Map();
  for (const v of vs) {
    const runs = byVariant.get(v.id);
    const loops = runs.map((r) => r.loopNs);
    const walls = runs.map((r) => r.wallNs).filter((x) => x !== null);
    stats.set(v.id, {
      loopNs: median(loops),
      minNs: Math.min(...loops),
      maxNs: Math.max(...loops),
      wallNs: walls.length ? median(walls) : null,
    });
  }
  const base = stats.get("untraced").loopNs;
  for (const s of stats.values()) {
    s.overheadUs = (s.loopNs - base) / CALLS / 1000;
    s.ratio = s.loopNs / base;
  }
  for (const v of vs) {
    const ref = v.compareWith && stats.get(v.compareWith);
    stats.get(v.id).vsStrace = ref ? stats.get(v.id).overheadUs / ref.overheadUs : null;
  }
  return stats;
}

function workloadSection(workload, byVariant, vs) {
  const stats = summarize(byVariant, vs);
  const sec = (ns) => (ns / 1e9).toFixed(3);
  const rows = vs.map((v) => {
    const s = stats.get(v.id);
    const untraced = v.id === "untraced";
    return [
      v.label,
      sec(s.loopNs),
      `${sec(s.minNs)}-${sec(s.maxNs)}`,
      untraced ? "-" : s.overheadUs.toFixed(2),
      untraced ? "1.0x" : `${s.ratio.toFixed(1)}x`,
      s.vsStrace === null ? "-" : `${s.vsStrace.toFixed(3)}${s.vsStrace <= TARGET ? "" : " OVER"}`,
      s.wallNs === null ? "-" : sec(s.wallNs),
    ];
  });
  const lines = [
    `${workload.title}: ${n(CALLS)} x ${workload.syscall}`,
    table(["variant", "loop s", "range s", "us/call over", "traced/untraced", "ours/strace", "wall s"], rows),
  ];
  const exactness = exactnessLines(workload, byVariant, vs);
  lines.push(...exactness.lines);
  return { text: lines.join("\n"), stats, exact: exactness.exact };
}

/** Every iops run counted exactly N, or what each inexact run counted instead. */
function exactnessLines(workload, byVariant, vs) {
  const checked = vs.flatMap((v) => byVariant.get(v.id).filter((r) => r.inexact !== undefined).map((r) => ({ v, r })));
  const bad = checked.filter(({ r }) => r.inexact !== null);
  if (bad.length === 0) return { exact: true, lines: [`  exact: all ${checked.length} iops runs counted exactly ${workload.expected}`] };
  return { exact: false, lines: bad.map(({ v, r }) => `  FAIL (inexact): ${v.label}: ${r.inexact}`) };
}

function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.error ? null : (r.stdout || r.stderr).split("\n")[0].trim();
}

function machineInfo(tmp, straceVersion) {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const fsType = toolVersion("stat", ["-f", "-c", "%T", tmp]) ?? "?";
  return [
    `machine: ${toolVersion("nproc", []) ?? os.availableParallelism()} CPUs (nproc), ${cpu}`,
    `kernel:  ${os.type()} ${os.release()} ${os.arch()}; node ${process.version}; ${toolVersion("gcc", ["--version"])}`,
    `strace:  ${straceVersion ?? "strace not installed: strace rows skipped"}`,
    `temp:    ${tmp} (${fsType})`,
  ].join("\n");
}

function commandLine() {
  const env = ["BENCH_CALLS", "BENCH_REPEAT"].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]} `);
  return `${env.join("")}npm run bench`;
}

/** [iops row, strace row] pairs held against the target, when both ran. */
const COMPARISONS = [
  ["iops-launch", "strace-launch"],
  ["iops-attach", "strace-attach"],
  ["iops-launch-share", "strace-launch"],
  ["iops-attach-share", "strace-attach"],
  ["iops-launch-share", "strace-launch-1cpu"],
];

/** Our overhead per call against strace's, pair by pair, against the target. */
function verdict(sections, vs) {
  const label = new Map(vs.map((v) => [v.id, v.label]));
  const pairs = COMPARISONS.filter(([a, b]) => label.has(a) && label.has(b));
  if (pairs.length === 0) return "target: strace not installed, nothing to compare with";
  const rows = [];
  for (const [w, stats] of sections) {
    for (const [a, b] of pairs) {
      const r = stats.get(a).overheadUs / stats.get(b).overheadUs;
      rows.push([w.name, label.get(a), label.get(b), r.toFixed(3), r <= TARGET ? "ok" : "OVER TARGET"]);
    }
  }
  return [
    `target: our overhead per call <= ${TARGET} x strace's on the same workload`,
    table(["workload", "iops", "strace", "ratio", ""], rows, "lllrl"),
  ].join("\n");
}

// --------------------------------------------------------------------- main

/**
 * Memory stays flat as a trace grows: this process traces CALLS/10 writes,
 * then 5 x CALLS, in-process (the aggregator lives in our heap), and reads
 * its peak RSS after each. Peak RSS only grows, so equal figures mean the
 * second, 50x longer trace needed no more memory than the first.
 */
async function measureMemory(tmp) {
  const w = WORKLOADS.find((x) => x.name === "write");
  const data = path.join(tmp, "memory.bin");
  const result = path.join(tmp, "memory-result");
  writeFileSync(result, Buffer.alloc(RESULT_SIZE));
  const rows = [];
  for (const calls of [Math.round(CALLS / 10), CALLS * 5]) {
    const report = await traceCommand([w.bin, data, String(calls), result]).report;
    rmSync(data, { force: true });
    rows.push({ calls, ops: report.summary.writeOps, peakMiB: process.resourceUsage().maxRSS / 1024 });
  }
  return rows;
}

/** Prints the tracer section; sets process.exitCode when a run miscounted. */
export async function run() {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "iops-bench-"));
  try {
    const straceVersion = toolVersion("strace", ["-V"]);
    const vs = variants(straceVersion !== null, toolVersion("taskset", ["-V"]) !== null);
    compileWorkloads(tmp);
    makeReadFile(WORKLOADS[0].dataPath(tmp));

    console.log(`iops-profiler benchmark: ${commandLine()}`);
    console.log(machineInfo(tmp, straceVersion));
    console.log(`runs:    ${n(CALLS)} calls per run, ${REPEAT} runs per variant, interleaved; medians shown`);
    process.stderr.write("measuring...\n");
    const results = await measureAll(vs, tmp);
    const profileCost = await measureProfile();
    const memory = await measureMemory(tmp);

    console.log("\nloop s: the workload's own loop time (median); range: min-max over the runs");
    console.log("us/call over: (traced - untraced loop) / calls; ours/strace: that overhead over strace's in the same mode");
    console.log("wall s: the whole command, start-up included (launch rows)");
    console.log("Cross-CPU rows (strace, iops without --share-cpu) are bimodal: the scheduler sometimes runs tracer and");
    console.log("tracee on one CPU (a few us per stop) and sometimes not (tens of us); see their range.\n");
    const sections = [];
    let exact = true;
    for (const w of WORKLOADS) {
      const { text, stats, exact: counted } = workloadSection(w, results.get(w), vs);
      exact &&= counted;
      sections.push([w, stats]);
      console.log(text + "\n");
    }
    console.log(verdict(sections, vs) + "\n");
    const ms = (ns) => `${(ns / 1e6).toFixed(3)} ms`;
    console.log(`profile() fixed cost, empty function, median of ${PROFILE_CALLS} calls after one warm-up:`);
    console.log(`  await fn()            ${ms(profileCost.bareNs)}`);
    console.log(`  await profile(fn)     ${ms(profileCost.profiledNs)}`);
    console.log(`  first profile() call  ${ms(profileCost.firstNs)} (starts the helper process)`);
    console.log(`  (${profileCost.methods}; ${profileCost.ops} operations counted over all ${PROFILE_CALLS + 1} calls)\n`);
    console.log("memory: peak RSS of this process after tracing, in-process, a short then a long run of writes:");
    for (const m of memory) {
      console.log(`  ${n(m.calls).padStart(9)} writes traced (${n(m.ops)} counted)   peak RSS ${m.peakMiB.toFixed(1)} MiB`);
      if (m.ops !== m.calls) exact = false;
    }
    console.log("");
    console.log(`total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (!exact) {
      console.log("FAIL: some iops runs did not count exactly what the workload did (see above)");
      process.exitCode = 1;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
