/**
 * The reader of strace's output for `profile(fn, { method: "strace" })`,
 * run by strace itself (`strace -o '|node strace-relay.js COOKIE OUT'`).
 * It cannot be the profiled process: that process is traced, so each read
 * of strace's output would itself be traced and written out again, without
 * end. It parses as the output streams (counting only between the window
 * markers with COOKIE) and, at end of input, writes the report to OUT
 * (through a temporary name, so OUT appears whole).
 *
 *   node strace-relay.js <cookie> <report.json>
 */
import { renameSync, writeFileSync } from "node:fs";

import { native } from "../native";

async function main(): Promise<void> {
  const [cookie, out] = process.argv.slice(2);
  const importer = native.LineImport.straceWindow(Number(cookie));
  for await (const chunk of process.stdin) importer.push(chunk as Buffer);
  writeFileSync(`${out}.part`, importer.finish({ method: "strace" }));
  renameSync(`${out}.part`, out);
}

main().catch((e) => {
  process.stderr.write(`iops strace relay: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
