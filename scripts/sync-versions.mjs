#!/usr/bin/env node
// Part of `npm version <v>` (the "version" script, after `napi version` has
// given npm/*/package.json the new version): the main package's
// optionalDependencies on the platform packages follow to the same version,
// as `napi prepublish` would set them at publish time. Inside a git work
// tree the changed manifests are staged, so that npm's version commit has
// them.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = process.cwd();
const file = join(root, "package.json");
const text = readFileSync(file, "utf8");
const pkg = JSON.parse(text);
const prefix = `${pkg.napi.packageName}-`;
// Rewrite only the version strings, so the file keeps its order and layout.
let changed = 0;
const updated = text.replace(/("optionalDependencies": \{)([^}]*)(\})/, (_m, open, body, close) => {
  const next = body.replace(/("([^"]+)": )"[^"]*"/g, (entry, key, name) => {
    if (!name.startsWith(prefix)) return entry;
    changed++;
    return `${key}"${pkg.version}"`;
  });
  return open + next + close;
});
writeFileSync(file, updated);
console.error(`sync-versions: ${changed} platform packages at ${pkg.version}`);

if (spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: root, stdio: "ignore" }).status === 0) {
  spawnSync("git", ["add", "package.json", "npm"], { cwd: root, stdio: "inherit" });
}
