/**
 * The package as a user gets it from npm: `npm run pack:local` packs the
 * main package (no binary in it) and this machine's platform package, and
 * both are installed into a scratch project whose PATH has no cargo. There
 * the prebuilt addon must load from @iops-profiler/binding-linux-x64-gnu, and
 * `iops -- <command>` and `profile()` give exact counts. Without the
 * platform package, install still succeeds, `iops` says in one line what
 * to do, and doing it (Rust, then `npm rebuild`) builds the addon from the
 * sources the main package ships.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { inspectAddon, versionAtMost } from "./_support/binfmt.mjs";
import { ROOT, compileFixtures, makeTempDir } from "./_support/util.mjs";

const SUFFIX = "linux-x64-gnu";
const PLATFORM_PKG = `@iops-profiler/binding-${SUFFIX}`;

let dir;
let bin;
let packed;
/** PATH without any directory holding cargo: a user who never installed Rust. */
let noCargoPath;

function npm(args, cwd, env = {}) {
  return spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, PATH: noCargoPath, ...env } });
}

/** A new project with the given tarballs installed the way a user installs packages. */
function scratchProject(name, tarballs) {
  const project = path.join(dir, name);
  fs.mkdirSync(project);
  // allowScripts runs our install script too (npm 11 may skip it without):
  // it must do nothing harmful either way. --foreground-scripts shows its output.
  const manifest = { name, version: "1.0.0", private: true, allowScripts: { "iops-profiler": true } };
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify(manifest));
  const r = npm(["install", "--no-audit", "--no-fund", "--prefer-offline", "--foreground-scripts", ...tarballs], project);
  return { project, install: r };
}

test.before(() => {
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error("packaging.spec runs on linux-x64");
  dir = makeTempDir("iops-pack-");
  bin = compileFixtures(dir, ["writes"]);
  noCargoPath = process.env.PATH.split(path.delimiter)
    .filter((d) => d && !fs.existsSync(path.join(d, "cargo")))
    .join(path.delimiter);
  const out = execFileSync("npm", ["run", "--silent", "pack:local"], { cwd: ROOT, encoding: "utf8" });
  packed = JSON.parse(out.trim().split("\n").pop());
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("pack:local leaves the main package without a binary and the platform package with one", (t) => {
  const list = (tgz) => execFileSync("tar", ["tzf", path.join(ROOT, "dist", "pack", tgz)], { encoding: "utf8" }).split("\n");
  const main = list(packed.main);
  t.true(main.includes("package/dist/native.js"));
  t.true(main.includes("package/scripts/install.js"));
  t.true(main.includes("package/crates/iops-node/Cargo.toml"), "sources ship for a build where no prebuilt fits");
  t.deepEqual(main.filter((f) => f.endsWith(".node") || f.endsWith(".tgz")), []);
  // Every compiled module has its source: none left over from a module since renamed or removed.
  const orphans = main
    .filter((f) => f.startsWith("package/dist/") && f.endsWith(".js"))
    .map((f) => f.slice("package/dist/".length, -".js".length))
    .filter((m) => !fs.existsSync(path.join(ROOT, "src", m + ".ts")));
  t.deepEqual(orphans, []);
  const platform = list(packed.platform).filter(Boolean).sort();
  t.deepEqual(platform, ["package/README.md", `package/iops-profiler.${SUFFIX}.node`, "package/package.json"]);
});

test("the packed addon is the release build: stripped, exporting the napi entry point, needing at most glibc 2.17", (t) => {
  const info = inspectAddon(path.join(ROOT, "npm", SUFFIX, `iops-profiler.${SUFFIX}.node`));
  t.is(info.format, "elf64-x86-64");
  t.true(info.exports.includes("napi_register_module_v1"));
  t.true(versionAtMost(info.glibcMax, "2.17"), `needs glibc ${info.glibcMax}`);
  const symtab = execFileSync("llvm-readobj", ["--sections", path.join(ROOT, "npm", SUFFIX, `iops-profiler.${SUFFIX}.node`)], { encoding: "utf8" });
  t.notRegex(symtab, /Name: \.symtab /, "symbols stripped");
  t.log(`packed platform package: ${packed.platformBytes} bytes`);
});

test("installed without cargo, the prebuilt package gives exact counts from iops and profile()", (t) => {
  t.not(spawnSync("cargo", ["--version"], { env: { PATH: noCargoPath } }).status, 0, "the scratch PATH has no cargo");
  const packDir = path.join(ROOT, "dist", "pack");
  const { project, install } = scratchProject("consumer", [path.join(packDir, packed.main), path.join(packDir, packed.platform)]);
  t.is(install.status, 0, install.stderr);
  t.notRegex(install.stderr, /building it from source|no prebuilt/, "the install script found the prebuilt addon");
  const modules = path.join(project, "node_modules");
  t.true(fs.existsSync(path.join(modules, PLATFORM_PKG, `iops-profiler.${SUFFIX}.node`)));
  t.false(fs.existsSync(path.join(modules, "iops-profiler", `iops-profiler.${SUFFIX}.node`)), "nothing was built into the main package");

  const env = { ...process.env, PATH: noCargoPath };
  const out = path.join(dir, "cli.bin");
  const report = JSON.parse(
    execFileSync(path.join(modules, ".bin", "iops"), ["--method", "ptrace", "--json", "-", "--", bin.writes, out, "300", "4096"], { cwd: project, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
  );
  t.is(report.method, "ptrace");
  t.is(report.summary.writeOps, 300);
  t.is(report.summary.writeBytes, 300 * 4096);
  t.is(report.summary.readOps, 0);
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });

  const target = path.join(dir, "profile.bin");
  fs.writeFileSync(
    path.join(project, "probe.js"),
    `const fs = require("fs");
const { profile } = require("iops-profiler");
profile(() => {
  const fd = fs.openSync(${JSON.stringify(target)}, "w");
  for (let i = 0; i < 250; i++) fs.writeSync(fd, Buffer.alloc(1000));
  fs.closeSync(fd);
}, { method: "ptrace" }).then((r) => console.log(JSON.stringify(r)));`,
  );
  const profiled = JSON.parse(execFileSync(process.execPath, ["probe.js"], { cwd: project, env, encoding: "utf8" }));
  t.is(profiled.method, "ptrace");
  t.is(profiled.summary.writeOps, 250);
  t.is(profiled.summary.writeBytes, 250_000);
  t.is(profiled.metadataOps.opens, 1);
});

test("without its platform package the install still succeeds, iops says in one line what to do, and doing it works", (t) => {
  const { project, install } = scratchProject("no-platform", [path.join(ROOT, "dist", "pack", packed.main)]);
  t.is(install.status, 0, install.stderr);
  const hint = `the prebuilt addon of iops-profiler for ${SUFFIX} (${PLATFORM_PKG}) is not installed`;
  t.true(install.stderr.includes(hint), `the install script names the missing package: ${install.stderr}`);

  const help = spawnSync(path.join(project, "node_modules", ".bin", "iops"), ["--help"], { cwd: project, encoding: "utf8" });
  t.is(help.status, 0, "--help needs no addon");
  t.regex(help.stdout, /Usage: iops/);

  const r = spawnSync(path.join(project, "node_modules", ".bin", "iops"), ["--", "true"], {
    cwd: project,
    env: { ...process.env, PATH: noCargoPath },
    encoding: "utf8",
  });
  t.not(r.status, 0);
  t.notRegex(r.stderr, /Cannot find module/);
  const lines = r.stderr.trim().split("\n");
  t.is(lines.length, 1, r.stderr);
  t.true(lines[0].includes(hint), lines[0]);
  t.true(lines[0].includes("https://rustup.rs"));

  // What the message says to do: with Rust, `npm rebuild` builds from the shipped sources.
  const rebuilt = spawnSync("npm", ["rebuild", "iops-profiler", "--foreground-scripts"], { cwd: project, encoding: "utf8" });
  t.is(rebuilt.status, 0, rebuilt.stderr);
  t.true(fs.existsSync(path.join(project, "node_modules", "iops-profiler", `iops-profiler.${SUFFIX}.node`)), "built from source");
  t.false(fs.existsSync(path.join(project, "node_modules", "iops-profiler", "target")), "cargo's build files are not left in node_modules");
  const out = path.join(dir, "rebuilt.bin");
  const report = JSON.parse(
    execFileSync(path.join(project, "node_modules", ".bin", "iops"), ["--method", "ptrace", "--json", "-", "--", bin.writes, out, "40", "512"], {
      cwd: project,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  t.is(report.method, "ptrace");
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [40, 40 * 512]);
});

test("the release workflow's smoke check passes on the packed tarballs", (t) => {
  const packDir = path.join(ROOT, "dist", "pack");
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "release-smoke.mjs"), path.join(packDir, packed.main), path.join(packDir, packed.platform)], {
    encoding: "utf8",
    env: { ...process.env, PATH: noCargoPath },
  });
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /^ok +exact counts: 64 writes, 262144 bytes$/m);
  t.regex(r.stdout, /^ok +profile\(\) counts exactly: 64 writes$/m);
});
