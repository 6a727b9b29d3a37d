#!/usr/bin/env node
// `node scripts/release-smoke.mjs <main.tgz> <platform.tgz>`: what the
// release workflow runs on each platform's own runner before publishing.
// Installs the two tarballs into a scratch project as a user would, then
//  - `iops --json - -- node <writer>`: a Node script writing 64 x 4096 bytes
//    must run to its end (exit status passed through) and give a report
//    from this platform's source;
//  - `profile()` around the same writes must give a report.
// On Linux (eBPF where permitted, else ptrace) the counts must be exact; Windows' counters count every
// write request of the process, so at least the writes made; on macOS only
// that figures are read (untested: no Mac here). Prints one line per check; exits 1 on the first failure.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The sources a launched command may be measured with here: macOS uses
// fs_usage where it may run it (root, or the sudoers rule), else the rusage
// counters; Windows launches with the I/O counters (profile() uses ETW).
const METHODS = { linux: ["ebpf", "ptrace"], darwin: ["fs_usage", "rusage"], win32: ["io-counters"] }[process.platform] ?? [];
const [mainTgz, platformTgz] = process.argv.slice(2).map((p) => resolve(p));
if (!mainTgz || !platformTgz) {
  console.error("usage: node scripts/release-smoke.mjs <main.tgz> <platform.tgz>");
  process.exit(64);
}

const shell = process.platform === "win32";
const dir = mkdtempSync(join(tmpdir(), "iops-smoke-"));
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) process.exit(1);
}

try {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "smoke", version: "1.0.0", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", mainTgz, platformTgz], { cwd: dir, stdio: "inherit", shell });

  const out = join(dir, "written.bin");
  writeFileSync(join(dir, "writer.js"), `const fs=require("fs");const fd=fs.openSync(process.argv[2],"w");for(let i=0;i<64;i++)fs.writeSync(fd,Buffer.alloc(4096));fs.closeSync(fd);process.exitCode=Number(process.argv[3]||0);`);
  const cli = join(dir, "node_modules", "iops-profiler", "dist", "cli.js");
  const r = spawnSync(process.execPath, [cli, "--json", "-", "--", process.execPath, "writer.js", out, "3"], { cwd: dir, encoding: "utf8" });
  check(r.status === 3, `iops passes the command's exit status through (got ${r.status}; stderr: ${r.stderr.trim().split("\n")[0]})`);
  const report = JSON.parse(r.stdout);
  check(METHODS.includes(report.method), `the report comes from ${METHODS.join(" or ")} (got ${report.method})`);
  check(readFileSync(out).length === 64 * 4096, "the command ran to its end");
  const { writeOps, writeBytes } = report.summary;
  if (report.method === "ptrace" || report.method === "ebpf") check(writeOps === 64 && writeBytes === 64 * 4096, `exact counts: ${writeOps} writes, ${writeBytes} bytes`);
  // GetProcessIoCounters counts every write request the process made.
  else if (report.method === "io-counters") check(writeBytes >= 64 * 4096, `the counters cover the writes: ${writeOps} writes, ${writeBytes} bytes`);
  // fs_usage sees Node's own writes among others; rusage counts bytes that
  // reached the disk, which may come later: only that the figures are read.
  else check(Number.isFinite(writeOps) && Number.isFinite(writeBytes), `the ${report.method} figures read: ${writeOps} writes, ${writeBytes} bytes`);

  writeFileSync(
    join(dir, "probe.js"),
    `const fs=require("fs");const {profile}=require("iops-profiler");
profile(()=>{const fd=fs.openSync(${JSON.stringify(out)},"w");for(let i=0;i<64;i++)fs.writeSync(fd,Buffer.alloc(4096));fs.closeSync(fd);})
.then((r)=>console.log(JSON.stringify(r)));`,
  );
  const profiled = JSON.parse(execFileSync(process.execPath, ["probe.js"], { cwd: dir, encoding: "utf8" }));
  check(typeof profiled.method === "string" && profiled.summary !== undefined, `profile() gives a report (${profiled.method})`);
  if (profiled.method === "ptrace" || profiled.method === "ebpf") check(profiled.summary.writeOps === 64, `profile() counts exactly: ${profiled.summary.writeOps} writes`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
