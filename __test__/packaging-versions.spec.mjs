/**
 * One version for the main package and every platform package: the
 * manifests in npm/ match the napi-rs targets (name, os/cpu/libc, file), the
 * main package lists each as an optional dependency at its own version, and
 * `npm version` (napi-rs's `napi version`, then scripts/sync-versions.mjs)
 * moves them all together.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import test from "ava";

import { ROOT, makeTempDir } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const readJson = (p) => JSON.parse(fs.readFileSync(p, "utf8"));

/** What napi-rs derives from a target triple: the package folder, os, cpu, libc. */
function expectedFor(triple) {
  const [arch, , os, abi] = triple.split("-");
  const cpu = { x86_64: "x64", aarch64: "arm64" }[arch];
  const platform = { linux: "linux", darwin: "darwin", windows: "win32" }[os];
  const dir = [platform, cpu, abi].filter(Boolean).join("-");
  return { dir, os: [platform], cpu: [cpu], libc: abi === "gnu" ? ["glibc"] : abi === "musl" ? ["musl"] : undefined };
}

function platformManifests(root) {
  const pkg = readJson(path.join(root, "package.json"));
  return pkg.napi.targets.map((triple) => {
    const want = expectedFor(triple);
    return { triple, want, manifest: readJson(path.join(root, "npm", want.dir, "package.json")) };
  });
}

test("each platform package matches its napi-rs target and the main package's version", (t) => {
  const pkg = readJson(path.join(ROOT, "package.json"));
  const scope = pkg.napi.packageName;
  t.is(scope, "@iops-profiler/binding");
  const dirs = fs.readdirSync(path.join(ROOT, "npm")).sort();
  const manifests = platformManifests(ROOT);
  t.deepEqual(manifests.map((m) => m.want.dir).sort(), dirs, "one folder per target, no strays");
  for (const { want, manifest } of manifests) {
    t.is(manifest.name, `${scope}-${want.dir}`);
    t.is(manifest.version, pkg.version, manifest.name);
    t.deepEqual(manifest.os, want.os, manifest.name);
    t.deepEqual(manifest.cpu, want.cpu, manifest.name);
    t.deepEqual(manifest.libc, want.libc, manifest.name);
    t.is(manifest.main, `iops-profiler.${want.dir}.node`);
    t.deepEqual(manifest.files, [manifest.main]);
    t.deepEqual(manifest.publishConfig, { access: "public" }, "a scoped package is published public");
  }
  const expectedDeps = Object.fromEntries(manifests.map(({ manifest }) => [manifest.name, pkg.version]));
  t.deepEqual(pkg.optionalDependencies, expectedDeps);
});

test("the loader's list of prebuilt platforms is the optional dependencies, and it names each platform's package", (t) => {
  const { PREBUILT_PLATFORMS, addonMissingMessage, platformSuffix } = require(path.join(ROOT, "dist", "platform.js"));
  t.deepEqual([...PREBUILT_PLATFORMS].sort(), fs.readdirSync(path.join(ROOT, "npm")).sort());
  const glibc = { header: { glibcVersionRuntime: "2.36" } };
  const musl = { header: {} };
  const seen = [
    platformSuffix("linux", "x64", glibc),
    platformSuffix("linux", "x64", musl),
    platformSuffix("linux", "arm64", glibc),
    platformSuffix("darwin", "arm64"),
    platformSuffix("darwin", "x64"),
    platformSuffix("win32", "x64"),
  ];
  t.deepEqual(seen.sort(), [...PREBUILT_PLATFORMS].sort(), "every supported machine maps to one package folder");
  t.false(PREBUILT_PLATFORMS.includes(platformSuffix("linux", "arm64", musl)));
  const message = addonMissingMessage("freebsd-x64", false);
  t.false(message.includes("\n"));
  t.true(message.includes("freebsd-x64") && message.includes("win32-x64-msvc") && message.includes("https://rustup.rs"));
});

test("npm version moves the main package, the platform packages and the optional dependencies together", (t) => {
  const dir = makeTempDir("iops-version-");
  try {
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    fs.cpSync(path.join(ROOT, "npm"), path.join(dir, "npm"), { recursive: true, filter: (src) => !src.endsWith(".node") });
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.copyFileSync(path.join(ROOT, "scripts", "sync-versions.mjs"), path.join(dir, "scripts", "sync-versions.mjs"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const before = fs.readFileSync(path.join(dir, "package.json"), "utf8");

    execFileSync("npm", ["version", "7.8.9", "--no-git-tag-version"], { cwd: dir, stdio: "pipe" });

    const pkg = readJson(path.join(dir, "package.json"));
    t.is(pkg.version, "7.8.9");
    for (const { manifest } of platformManifests(dir)) t.is(manifest.version, "7.8.9", manifest.name);
    t.deepEqual(new Set(Object.values(pkg.optionalDependencies)), new Set(["7.8.9"]));
    // Only version strings changed: the shared manifest keeps its layout.
    const original = readJson(path.join(ROOT, "package.json")).version;
    const after = fs.readFileSync(path.join(dir, "package.json"), "utf8");
    t.is(after.replaceAll('"7.8.9"', `"${original}"`), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an addon older than the JavaScript is named in one line with what to do, not 'is not a function' mid-run", (t) => {
  // A package whose JavaScript was compiled against one more export than its addon has: the state a
  // checkout is in after `git pull` and `npm run build:ts` without `npm run build:native`.
  const addon = fs.readdirSync(ROOT).find((f) => /^iops-profiler\.linux-.*\.node$/.test(f));
  t.truthy(addon, "the addon built from source");
  const pkg = makeTempDir("iops-stale-");
  t.teardown(() => fs.rmSync(pkg, { recursive: true, force: true }));
  fs.cpSync(path.join(ROOT, "dist"), path.join(pkg, "dist"), { recursive: true, filter: (f) => !f.includes(`${path.sep}pack`) });
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
  fs.symlinkSync(path.join(ROOT, addon), path.join(pkg, addon));
  const listed = readJson(path.join(ROOT, "dist", "native-exports.json"));
  t.true(listed.includes("reportFindings") && listed.includes("TraceSession"), "the list is native.d.ts's exports");
  fs.writeFileSync(path.join(pkg, "dist", "native-exports.json"), JSON.stringify([...listed, "exportOfANewerBuild"]));
  let r;
  try {
    execFileSync(process.execPath, [path.join(pkg, "dist", "cli.js"), "--", "true"], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    r = e;
  }
  t.truthy(r, "the command fails");
  t.is(r.status, 1);
  const lines = r.stderr.trim().split("\n");
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0], /is older than its JavaScript \(it lacks exportOfANewerBuild\): rebuild it with `npm run build:native`/);
});
