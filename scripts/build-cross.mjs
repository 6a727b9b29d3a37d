#!/usr/bin/env node
// `npm run build:cross [-- <platform>...]`: release builds of the addon for
// the platforms this Linux x64 machine can build but not run, each into its
// package folder npm/<platform>/, with the napi-rs CLI's `--cross-compile`
// (cargo-zigbuild, zig from the PyPI package `ziglang`; see
// scripts/setup-cross.sh). The release workflow builds the Linux targets
// with this same script, and macOS and Windows with their own toolchains on
// their own runners; __test__/cross.spec.mjs checks what this leaves.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * platform → its zig build (Windows has none: mingw for the wine test, MSVC
 * in the release; see scripts/test-win32.mjs). zig has no Apple SDK, which is fine while
 * the addon needs only libSystem; without a deployment target zig would
 * stamp the newest macOS as the minimum. The `.2.17` suffix links the Linux
 * builds against glibc 2.17's symbols, so they load on old distributions
 * (a plain build on this Debian needs glibc 2.34).
 */
export const RELEASE_TARGETS = {
  "linux-x64-gnu": { target: "x86_64-unknown-linux-gnu.2.17", env: {} },
  "linux-x64-musl": { target: "x86_64-unknown-linux-musl", env: {} },
  "linux-arm64-gnu": { target: "aarch64-unknown-linux-gnu.2.17", env: {} },
  "darwin-arm64": { target: "aarch64-apple-darwin", env: { MACOSX_DEPLOYMENT_TARGET: "11.0" } },
  "darwin-x64": { target: "x86_64-apple-darwin", env: { MACOSX_DEPLOYMENT_TARGET: "10.13" } },
};

/** What `build:cross` builds by default: what this machine builds but cannot run. */
export const CROSS_PLATFORMS = ["darwin-arm64", "darwin-x64", "linux-arm64-gnu", "linux-x64-musl"];

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`build:cross: \`${cmd} ${args.join(" ")}\` failed (${r.status ?? r.signal})`);
}

/** zig from `pip install ziglang` is a Python module, not a command: cargo-zigbuild finds it that way. */
function checkTools() {
  const has = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
  if (!has("cargo-zigbuild", ["--version"])) throw new Error("build:cross needs cargo-zigbuild: run `bash scripts/setup-cross.sh`");
  if (!has("zig", ["version"]) && !has("python3", ["-m", "ziglang", "version"])) {
    throw new Error("build:cross needs zig (the PyPI package ziglang): run `bash scripts/setup-cross.sh`");
  }
}

/** The release build of one platform's addon into npm/<platform>/. */
export function buildTarget(platform, spec = RELEASE_TARGETS[platform]) {
  if (!spec) throw new Error(`build:cross: no zig build for ${platform} (known: ${Object.keys(RELEASE_TARGETS).join(", ")})`);
  checkTools();
  const napi = join(root, "node_modules", ".bin", "napi");
  const outDir = join("npm", platform);
  const started = Date.now();
  run(napi, ["build", "--platform", "--release", "--cross-compile", "--target", spec.target, "--manifest-path", "crates/iops-node/Cargo.toml", "--output-dir", outDir, "--no-js"], spec.env);
  rmSync(join(root, outDir, "index.d.ts"), { force: true }); // the typings ship with the main package
  const file = join(outDir, `iops-profiler.${platform}.node`);
  if (!existsSync(join(root, file))) throw new Error(`build:cross: napi build left no ${file}`);
  console.error(`build:cross: ${platform} -> ${file} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  try {
    for (const platform of asked.length ? asked : CROSS_PLATFORMS) buildTarget(platform);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
