// The package as a user gets it: `npm pack`, installed into a scratch
// project; the helper process behind profile() must work from there too.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

test("an npm pack install traces a command and profiles its own process", (t) => {
  const scratch = mkdtempSync(join(tmpdir(), "iops-pack-"));
  execFileSync("npm", ["pack", "--pack-destination", scratch], { cwd: root, stdio: "pipe" });
  const tarball = readdirSync(scratch).find((f) => f.endsWith(".tgz"));
  t.truthy(tarball, "npm pack wrote a tarball");
  execFileSync("npm", ["init", "-y"], { cwd: scratch, stdio: "pipe" });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", join(scratch, tarball)], { cwd: scratch, stdio: "pipe" });

  const out = join(scratch, "out.bin");
  writeFileSync(
    join(scratch, "probe.js"),
    `const fs = require("fs");
const { profile } = require("iops-profiler");
profile(() => {
  const fd = fs.openSync(${JSON.stringify(out)}, "w");
  for (let i = 0; i < 250; i++) fs.writeSync(fd, Buffer.alloc(1000));
  fs.closeSync(fd);
}).then((r) => console.log(JSON.stringify(r)));`,
  );
  const report = JSON.parse(execFileSync(process.execPath, ["probe.js"], { cwd: scratch, encoding: "utf8" }));
  t.is(report.method, "ptrace");
  t.is(report.summary.writeOps, 250);
  t.is(report.summary.writeBytes, 250_000);
  t.is(report.metadataOps.opens, 1);

  const cli = join(scratch, "node_modules", ".bin", "iops");
  const json = execFileSync(cli, ["--json", "-", "--", "dd", "if=/dev/zero", `of=${out}`, "bs=4096", "count=64", "status=none"], {
    cwd: scratch,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const fromCli = JSON.parse(json);
  t.is(fromCli.summary.writeOps, 64);
  t.is(fromCli.summary.writeBytes, 64 * 4096);
  t.deepEqual(fromCli.exit, { code: 0, signal: null, signalNumber: null });
});
