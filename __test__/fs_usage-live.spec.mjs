/**
 * The fs_usage orchestration of src/sources/fs_usage.ts (spawn, readiness
 * probe, stop by pid, output file, the time-of-day window), run on Linux
 * against a stand-in for fs_usage that traces the real calls of the real
 * process with strace and prints them in fs_usage's format
 * (_support/fs_usage-standin.mjs). What only a Mac can show (fs_usage's
 * own coverage and timing) is not tested here. The stand-in comes in
 * through the package's in-process test hook (preloaded by
 * _support/use-fs_usage-standin.cjs), never through the environment: the
 * shipped code runs /usr/bin/fs_usage and nothing else, as root or through
 * sudo, and the tests below check that no variable changes that.
 */
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, ROOT, compileFixtures, makeTempDir } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const SUPPORT = path.join(ROOT, "__test__", "_support");
const STANDIN = path.join(SUPPORT, "fs_usage-standin.mjs");
/** `node -r` this: the stand-in in place of /usr/bin/fs_usage, in that process only. */
const USE_STANDIN = ["-r", path.join(SUPPORT, "use-fs_usage-standin.cjs")];
const env = process.env;

let dir;
let bin;
test.before(() => {
  dir = makeTempDir("iops-fs_usage-live-");
  bin = compileFixtures(dir, ["writes"]);
});

test("iops -- cmd through fs_usage: the command's calls, exactly, and its exit status", (t) => {
  const out = path.join(dir, "launch.bin");
  const r = spawnSync(process.execPath, [...USE_STANDIN, CLI, "--json", "-", "--", bin.writes, out, "25", "4096"], { env, encoding: "utf8", timeout: 60000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage");
  const f = report.files.find((x) => x.path === out);
  t.deepEqual([f.writeOps, f.writeBytes, f.readOps], [25, 25 * 4096, 0]);
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [25, 25 * 4096]);
  t.is(report.metadataOps.opens, 1);
  t.is(report.metadataOps.closes, 1);
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  t.regex(r.stderr, /IOPS Profile Results \(fs_usage trace; files\)/);
});

test("profile() through fs_usage counts exactly the window's calls", (t) => {
  const out = path.join(dir, "profile.bin");
  const script = `
    const fs = require("node:fs");
    const { profile } = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    (async () => {
      fs.writeFileSync(${JSON.stringify(out + ".before")}, "x".repeat(100));   // before the window
      const report = await profile(() => {
        const fd = fs.openSync(${JSON.stringify(out)}, "w");
        for (let i = 0; i < 10; i++) fs.writeSync(fd, Buffer.alloc(4096, 65 + i));
        fs.closeSync(fd);
      });
      fs.writeFileSync(${JSON.stringify(out + ".after")}, "y".repeat(100));    // after it
      process.stdout.write(JSON.stringify(report));
    })();`;
  const r = spawnSync(process.execPath, [...USE_STANDIN, "-e", script], { env, encoding: "utf8", timeout: 60000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage", report.warnings.join("\n"));
  const f = report.files.find((x) => x.path === out);
  t.deepEqual([f.writeOps, f.writeBytes], [10, 40960]);
  t.false(report.files.some((x) => x.path.endsWith(".before") || x.path.endsWith(".after")), JSON.stringify(report.files));
  t.deepEqual([report.metadataOps.opens, report.metadataOps.closes], [1, 1]);
  t.is(fs.readFileSync(out).length, 40960);
});

test("iops -p through fs_usage: a running process's calls until it exits", async (t) => {
  const out = path.join(dir, "attach.bin");
  // The writer waits a moment so the capture is running before its calls.
  const child = spawn("sh", ["-c", `sleep 1.5; exec ${bin.writes} ${out} 7 512`], { stdio: "ignore" });
  const r = await new Promise((resolve) => {
    const p = spawn(process.execPath, [...USE_STANDIN, CLI, "--json", "-", "-p", String(child.pid)], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage");
  const f = report.files.find((x) => x.path === out);
  t.deepEqual([f.writeOps, f.writeBytes], [7, 7 * 512]);
});
