#!/usr/bin/env node
// `npm install` hook. Never required for a user's install: the prebuilt
// addon comes in this platform's optional dependency, and npm 11 does not
// run a dependency's install script unless allowed anyway.
//
// - In the source checkout (not under node_modules/) it builds the addon with
//   napi-rs: incremental, so a no-op when nothing changed.
// - In an installed package it does nothing when an addon loads. Otherwise,
//   with cargo on PATH, it builds the addon from the shipped sources; without
//   cargo it prints one line saying what to do and still succeeds, so that
//   the install itself never breaks.
"use strict";
const { copyFileSync, existsSync, mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, sep } = require("node:path");
const { spawnSync } = require("node:child_process");

const root = join(__dirname, "..");

function hasCargo() {
  return spawnSync("cargo", ["--version"], { stdio: "ignore" }).status === 0;
}

function buildCheckout() {
  if (!hasCargo()) {
    console.error("iops-profiler: building from source needs Rust's cargo on PATH (https://rustup.rs), then run `npm install` again");
    process.exit(1);
  }
  const napi = join(root, "node_modules", ".bin", "napi");
  const r = spawnSync(
    napi,
    ["build", "--platform", "--release", "--manifest-path", "crates/iops-node/Cargo.toml", "--output-dir", ".", "--no-js", "--dts", "native.d.ts"],
    { cwd: root, stdio: "inherit", shell: process.platform === "win32" },
  );
  process.exit(r.status ?? 1);
}

/** The loader's own answer: null when an addon loads, else its one-line message. */
function addonProblem() {
  try {
    void require(join(root, "dist", "native.js")).native.TraceSession; // the first use loads it
    return null;
  } catch (e) {
    return String(e && e.message ? e.message : e).split("\n")[0];
  }
}

/**
 * `cargo build` of the binding from the sources shipped in this package,
 * in a temporary target directory (unless CARGO_TARGET_DIR names one): only
 * the addon stays in node_modules, not cargo's hundreds of MB of build files.
 */
function buildInstalled() {
  const { platformSuffix } = require(join(root, "dist", "platform.js"));
  const suffix = platformSuffix(process.platform, process.arch, process.report && process.report.getReport());
  console.error(`iops-profiler: no prebuilt addon loads here; building it from source with cargo (a few minutes)`);
  const ownTarget = !process.env.CARGO_TARGET_DIR;
  const targetDir = process.env.CARGO_TARGET_DIR || mkdtempSync(join(tmpdir(), "iops-profiler-build-"));
  try {
    const r = spawnSync("cargo", ["build", "--release", "--locked", "-p", "iops-node"], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    });
    if (r.status !== 0) {
      console.error("iops-profiler: the source build failed (see above); `iops` and profile() will say so when used");
      return;
    }
    const lib = { win32: "iops_node.dll", darwin: "libiops_node.dylib" }[process.platform] || "libiops_node.so";
    copyFileSync(join(targetDir, "release", lib), join(root, `iops-profiler.${suffix}.node`));
  } finally {
    if (ownTarget) rmSync(targetDir, { recursive: true, force: true });
  }
}

if (!root.split(sep).includes("node_modules")) buildCheckout();

const problem = addonProblem();
if (problem !== null) {
  if (hasCargo()) buildInstalled();
  else console.error(`iops-profiler: ${problem}`);
}
