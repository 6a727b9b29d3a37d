/**
 * `npm run build:cross` on this Linux x64 machine: the addon for macOS
 * (arm64, x64), Linux arm64 and Linux x64 with musl, built with zig into
 * npm/<platform>/. No Node runs them here, so the test checks what each file
 * is: its format and CPU, the napi module entry point exported, and that it
 * asks the system for no more than the oldest supported one has (libSystem
 * and no Apple framework, the minimum macOS we set; glibc 2.17 symbols).
 * The musl build is loaded by musl's own dynamic linker.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { inspectAddon, versionAtMost } from "./_support/binfmt.mjs";
import { ROOT, makeTempDir } from "./_support/util.mjs";

const addon = (platform) => path.join(ROOT, "npm", platform, `iops-profiler.${platform}.node`);

test.before(() => {
  execFileSync("npm", ["run", "--silent", "build:cross"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
});

function checkMacos(t, platform, format, arch, minMacos) {
  const info = inspectAddon(addon(platform));
  t.is(info.format, format);
  t.is(info.arch, arch);
  t.is(info.fileType, "DynamicLibrary");
  t.true(info.exports.includes("_napi_register_module_v1"), "exports the napi module entry point");
  t.is(info.minMacos, minMacos);
  t.true(info.libraries.includes("/usr/lib/libSystem.B.dylib"));
  for (const lib of info.libraries) {
    t.true(lib.startsWith("/usr/lib/") && !lib.includes(".framework"), `${lib}: only system libraries, no Apple framework`);
  }
}

test("darwin-arm64: a Mach-O arm64 dylib for macOS 11.0 with only libSystem", (t) => {
  checkMacos(t, "darwin-arm64", "Mach-O arm64", "aarch64", "11.0");
});

test("darwin-x64: a Mach-O x86-64 dylib for macOS 10.13 with only libSystem", (t) => {
  checkMacos(t, "darwin-x64", "Mach-O 64-bit x86-64", "x86_64", "10.13");
});

test("linux-arm64-gnu: an AArch64 ELF shared object needing at most glibc 2.17", (t) => {
  const info = inspectAddon(addon("linux-arm64-gnu"));
  t.is(info.format, "elf64-littleaarch64");
  t.is(info.arch, "aarch64");
  t.is(info.fileType, "SharedObject");
  t.true(info.exports.includes("napi_register_module_v1"), "exports the napi module entry point");
  t.truthy(info.glibcMax);
  t.true(versionAtMost(info.glibcMax, "2.17"), `needs glibc ${info.glibcMax}`);
  t.true(info.libraries.includes("libc.so.6"));
});

test("linux-x64-musl: an x86-64 ELF shared object that musl's dynamic linker loads", (t) => {
  const file = addon("linux-x64-musl");
  const info = inspectAddon(file);
  t.is(info.format, "elf64-x86-64");
  t.is(info.fileType, "SharedObject");
  t.true(info.exports.includes("napi_register_module_v1"));
  t.is(info.glibcMax, null, "no glibc symbol versions");

  const dir = makeTempDir("iops-musl-");
  try {
    const napiImports = execFileSync("llvm-nm", ["-D", "--undefined-only", "--just-symbol-name", file], { encoding: "utf8" })
      .split("\n")
      .filter((s) => s.startsWith("napi_"));
    t.true(napiImports.length > 10, "the addon imports Node's napi functions");
    fs.writeFileSync(path.join(dir, "stubs.c"), napiImports.map((s) => `void ${s}(void) {}`).join("\n") + "\n");
    const host = path.join(dir, "musl-dlopen");
    execFileSync("musl-gcc", ["-rdynamic", "-o", host, path.join(ROOT, "__test__", "_support", "musl-dlopen.c"), path.join(dir, "stubs.c")]);
    const loaded = spawnSync(host, [file], { encoding: "utf8" });
    t.is(loaded.stdout.trim(), "loaded");
    t.is(loaded.status, 0);
    // The same host refuses the glibc build: the check can fail.
    const glibc = spawnSync(host, [path.join(ROOT, "npm", "linux-x64-gnu", "iops-profiler.linux-x64-gnu.node")], { encoding: "utf8" });
    if (fs.existsSync(path.join(ROOT, "npm", "linux-x64-gnu", "iops-profiler.linux-x64-gnu.node"))) t.regex(glibc.stdout, /dlopen failed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
