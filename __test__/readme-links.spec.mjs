/**
 * What the README promises (newcomer's F19). It ships in the package (npm
 * shows it, and it is in node_modules/iops-profiler): every file it links
 * to by a relative path must ship too (the file list is npm's own, `npm
 * pack --dry-run`). Its first result is what the default source prints for
 * the command it gives, run here.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, ROOT, SOURCE_LABELS, defaultMethod, makeTempDir } from "./_support/util.mjs";

test("every relative link of the README names a file or folder that is in the package", (t) => {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  t.is(r.status, 0, r.stderr);
  const files = JSON.parse(r.stdout)[0].files.map((f) => f.path);
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:|^#/.test(l));
  t.true(links.length > 10, `the README's relative links: ${links.length}`);
  for (const link of links) {
    const target = path.posix.normalize(link.split("#")[0]).replace(/\/$/, "");
    t.true(files.some((f) => f === target || f.startsWith(`${target}/`)), `${link} is not in the package`);
  }
});

test("the README's first result is the default source's output of its command: header, counts, bytes, the written file's row, the metadata line", (t) => {
  // The README shows a root run (the default source there: eBPF); where eBPF cannot run, there is nothing to compare.
  const method = defaultMethod();
  if (method !== "ebpf") return t.pass(`the default source here is ${method}, not the README's eBPF`);
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The first result"));
  const command = /`iops (--histogram -- dd [^`]+)`, run in `\/tmp`/.exec(section);
  t.truthy(command, "the README names its command");
  const shown = section.slice(section.indexOf("```\n") + 4, section.indexOf("```\n", section.indexOf("```\n") + 4));
  const dir = makeTempDir("iops-readme-");
  try {
    const r = spawnSync(process.execPath, [CLI, ...command[1].split(" ")], { cwd: dir, encoding: "utf8" });
    t.is(r.status, 0, r.stderr);
    const line = (text, start) => text.split("\n").find((l) => l.startsWith(start))?.replace(/\s+/g, " ");
    t.is(line(shown, "IOPS Profile Results"), `IOPS Profile Results (${SOURCE_LABELS[method]}; files)`, "the README shows the default source");
    for (const start of ["IOPS Profile Results", "Write Operations", "Bytes Written", "Metadata calls"]) {
      t.is(line(shown, start), line(r.stderr, start), start);
    }
    // The written file's row (the README's run was in /tmp), its time column aside.
    const row = (text, p) => text.split("\n").find((l) => l.endsWith(` ${p}`))?.replace(/\s+\S+ (ms|µs|s) /, " ").replace(/\s+/g, " ");
    t.is(row(shown, "/tmp/out.bin"), row(r.stderr, path.join(dir, "out.bin")).replace(path.join(dir, "out.bin"), "/tmp/out.bin"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
