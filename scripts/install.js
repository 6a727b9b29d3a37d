#!/usr/bin/env node
// `npm install` hook. In a source checkout (crates/ present) it builds the
// native addon with cargo: incremental, so a no-op when nothing changed.
// In an installed package it does nothing when a prebuilt addon is there,
// and otherwise says in one line what to do.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { spawnSync } = require("node:child_process");

const root = join(__dirname, "..");

function hasCargo() {
  return spawnSync("cargo", ["--version"], { stdio: "ignore" }).status === 0;
}

if (existsSync(join(root, "crates"))) {
  if (!hasCargo()) {
    console.error("iops-profiler: building from source needs Rust's cargo on PATH (https://rustup.rs), then run `npm install` again");
    process.exit(1);
  }
  const napi = join(root, "node_modules", ".bin", "napi");
  const r = spawnSync(
    napi,
    ["build", "--platform", "--release", "--manifest-path", "crates/iops-node/Cargo.toml", "--output-dir", ".", "--no-js", "--dts", "native.d.ts"],
    { cwd: root, stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}

const prebuilt = require("node:fs")
  .readdirSync(root)
  .some((f) => f.endsWith(".node"));
if (!prebuilt) {
  console.error(
    `iops-profiler: no prebuilt addon for ${process.platform}-${process.arch} in this package; install Rust (https://rustup.rs) and build from a source checkout`,
  );
}
