// Under a real terminal (a pty from util-linux `script`): writes to it are
// classified as tty I/O, and a capture longer than a second shows a live
// progress line on stderr.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

function underPty(command) {
  const r = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`util-linux script is needed for this test (Debian: bsdutils): ${r.error.message}`);
  return r;
}

test("tty writes are kept apart as kind tty, and a long capture shows live progress", (t) => {
  const json = join(mkdtempSync(join(tmpdir(), "iops-tty-")), "report.json");
  const r = underPty(`${process.execPath} ${cli} --json ${json} -- sh -c 'echo hi; sleep 1.3; echo bye'`);
  t.is(r.status, 0, r.stdout);
  const report = JSON.parse(readFileSync(json, "utf8"));
  const ttys = report.files.filter((f) => f.kind === "tty");
  t.is(ttys.length, 1, JSON.stringify(report.files));
  t.regex(ttys[0].path, /^\/dev\/pts\/\d+$/);
  t.is(ttys[0].writeOps, 2);
  t.is(ttys[0].writeBytes, "hi\nbye\n".length);
  t.is(report.otherFds.writeOps, 2);
  t.regex(r.stdout, /iops: [\d,]+ ops, .* so far \(1\.\d s\)/);
});

test("no progress line when the capture is short", (t) => {
  const r = underPty(`${process.execPath} ${cli} -- true`);
  t.is(r.status, 0);
  t.notRegex(r.stdout, /so far/);
  t.regex(r.stdout, /Total Operations:/);
});
