/**
 * The README ships in the package (npm shows it, and it is in
 * node_modules/iops-profiler): every file it links to by a relative path
 * must ship too (newcomer's F19). The file list is npm's own (`npm pack
 * --dry-run`), the links the README's.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { ROOT } from "./_support/util.mjs";

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
