/**
 * Benchmark strace logs with a known ground truth: real strace output of
 * __test__/fixtures/strace/randwrites.c (threads writing then pread-ing
 * random bytes, so every data preview is escape-heavy — `\377\0\n\"...` —
 * and the threads' calls interleave as `<unfinished ...>`/`<... resumed>`
 * pairs), recorded once and repeated to the size asked for.
 *
 *   node bench/strace-log.mjs OUT.log [MB] [reference|full]
 *
 * writes such a log (default 100 MB, the reference tool's flags) and prints
 * its ground truth, for timing by hand.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { must } from "./common.mjs";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The data calls the Python iops-profiler traces (its STRACE_IO_SYSCALLS). */
export const REFERENCE_CALLS = "read,write,pread64,pwrite64,readv,writev,preadv,pwritev,preadv2,pwritev2";

/**
 * strace flag sets: the Python iops-profiler's own (`strace -f -e
 * trace=<its ten calls> -o FILE -p PID`: pid-prefixed lines, default -s 32
 * previews, no fd targets or times), and everything we read.
 */
export const FLAG_SETS = {
  reference: { name: "reference flags (-f -e trace=<10 data calls>)", flags: ["-f", "-e", `trace=${REFERENCE_CALLS}`] },
  full: { name: "full flags (-f -yy -T -ttt)", flags: ["-f", "-yy", "-T", "-ttt"] },
};

/**
 * The workload, two runs of randwrites logged one after the other: one
 * thread (whole lines), then four at once (about half their calls split in
 * two lines). Each thread makes `count` writes then `count` preads of SIZE
 * random bytes; each run ends with one EBADF read.
 */
export const RUNS = [
  { threads: 1, count: 8_000 },
  { threads: 4, count: 2_000 },
];
export const SIZE = 64;
const OPS_PER_COPY = RUNS.reduce((a, r) => a + r.threads * r.count, 0); // reads, and as many writes

/** What one copy of the workload's log holds, in words. */
export const WORKLOAD = RUNS.map((r) => `${r.threads} thread(s) x ${r.count.toLocaleString("en-US")} writes + preads`).join(", then ") +
  `, ${SIZE} B of random data each`;

/**
 * Records the workload under strace with `flags` and repeats the log to
 * about `mb` MB in `file`. Returns { copies, bytes, truth: { reads, writes,
 * readBytes, writeBytes, failed }, split } (`split`: the share of lines that
 * are half a call).
 */
export function writeStraceLog(file, flags, mb) {
  if (spawnSync("strace", ["-V"]).status !== 0) throw new Error("strace is not installed (apt-get install strace)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "iops-bench-log-"));
  try {
    const bin = path.join(dir, "randwrites");
    must(
      spawnSync("gcc", ["-O2", "-static", "-pthread", "-o", bin, path.join(ROOT, "__test__", "fixtures", "strace", "randwrites.c")], { encoding: "utf8" }),
      "gcc",
    );
    const base = Buffer.concat(
      RUNS.map((r, i) => {
        const part = path.join(dir, `part-${i}.log`);
        const argv = [bin, dir, String(r.threads), String(r.count), String(SIZE)];
        must(spawnSync("strace", [...flags, "-o", part, "--", ...argv], { encoding: "utf8" }), `strace ${flags.join(" ")}`);
        return readFileSync(part);
      }),
    );
    const copies = Math.max(1, Math.ceil((mb * 1024 * 1024) / base.length));
    const fd = openSync(file, "w");
    for (let i = 0; i < copies; i++) writeSync(fd, base);
    closeSync(fd);
    const text = base.toString("latin1");
    const lines = text.split("\n").length - 1;
    const split = (text.match(/<unfinished \.\.\.>|<\.\.\. \w+ resumed>/g) ?? []).length / lines;
    const ops = OPS_PER_COPY * copies;
    return {
      copies,
      bytes: statSync(file).size,
      truth: { reads: ops, writes: ops, readBytes: ops * SIZE, writeBytes: ops * SIZE, failed: RUNS.length * copies },
      split,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, mb = "100", set = "reference"] = process.argv.slice(2);
  if (!out || !FLAG_SETS[set]) {
    console.error("usage: node bench/strace-log.mjs OUT.log [MB] [reference|full]");
    process.exit(2);
  }
  const log = writeStraceLog(out, FLAG_SETS[set].flags, Number(mb));
  console.log(JSON.stringify({ file: out, flags: FLAG_SETS[set].flags.join(" "), workload: WORKLOAD, ...log }));
}
