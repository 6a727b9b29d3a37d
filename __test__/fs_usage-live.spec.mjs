/**
 * The fs_usage orchestration of src/sources/fs_usage.ts (spawn, readiness
 * probe, stop by pid, output file, the time-of-day window), run on Linux
 * against a stand-in for fs_usage that traces the real calls of the real
 * process with strace and prints them in fs_usage's format
 * (_support/fs_usage-standin.mjs). What only a Mac can show (fs_usage's
 * own coverage and timing) is not tested here. The stand-in comes in
 * through the package's in-process test hook (preloaded by
 * _support/use-fs_usage-standin.cjs), never through the environment: the
 * shipped code runs /usr/bin/fs_usage and nothing else, as root or through
 * sudo, and the tests below check that no variable changes that.
 */
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, ROOT, compileFixtures, defaultMethod, makeTempDir } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const SUPPORT = path.join(ROOT, "__test__", "_support");
const STANDIN = path.join(SUPPORT, "fs_usage-standin.mjs");
/** `node -r` this: the stand-in in place of /usr/bin/fs_usage, in that process only. */
const USE_STANDIN = ["-r", path.join(SUPPORT, "use-fs_usage-standin.cjs")];
const env = process.env;

let dir;
let bin;
test.before(() => {
  dir = makeTempDir("iops-fs_usage-live-");
  bin = compileFixtures(dir, ["writes"]);
});

test("iops -- cmd through fs_usage: the command's calls, exactly, and its exit status", (t) => {
  const out = path.join(dir, "launch.bin");
  const r = spawnSync(process.execPath, [...USE_STANDIN, CLI, "--json", "-", "--", bin.writes, out, "25", "4096"], { env, encoding: "utf8", timeout: 60000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage");
  const f = report.files.find((x) => x.path === out);
  t.deepEqual([f.writeOps, f.writeBytes, f.readOps], [25, 25 * 4096, 0]);
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [25, 25 * 4096]);
  t.is(report.metadataOps.opens, 1);
  t.is(report.metadataOps.closes, 1);
  t.deepEqual(report.exit, { code: 0, signal: null, signalNumber: null });
  t.regex(r.stderr, /IOPS Profile Results \(fs_usage trace; files\)/);
});

test("profile() through fs_usage counts exactly the window's calls", (t) => {
  const out = path.join(dir, "profile.bin");
  const script = `
    const fs = require("node:fs");
    const { profile } = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    (async () => {
      fs.writeFileSync(${JSON.stringify(out + ".before")}, "x".repeat(100));   // before the window
      const report = await profile(() => {
        const fd = fs.openSync(${JSON.stringify(out)}, "w");
        for (let i = 0; i < 10; i++) fs.writeSync(fd, Buffer.alloc(4096, 65 + i));
        fs.closeSync(fd);
      });
      fs.writeFileSync(${JSON.stringify(out + ".after")}, "y".repeat(100));    // after it
      process.stdout.write(JSON.stringify(report));
    })();`;
  const r = spawnSync(process.execPath, [...USE_STANDIN, "-e", script], { env, encoding: "utf8", timeout: 60000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage", report.warnings.join("\n"));
  const f = report.files.find((x) => x.path === out);
  t.deepEqual([f.writeOps, f.writeBytes], [10, 40960]);
  t.false(report.files.some((x) => x.path.endsWith(".before") || x.path.endsWith(".after")), JSON.stringify(report.files));
  t.deepEqual([report.metadataOps.opens, report.metadataOps.closes], [1, 1]);
  t.is(fs.readFileSync(out).length, 40960);
});

test("iops -p through fs_usage: a running process's calls until it exits", async (t) => {
  const out = path.join(dir, "attach.bin");
  // The writer waits a moment so the capture is running before its calls (3 s: under load fs_usage starts slowly).
  const child = spawn("sh", ["-c", `sleep 3; exec ${bin.writes} ${out} 7 512`], { stdio: "ignore" });
  const r = await new Promise((resolve) => {
    const p = spawn(process.execPath, [...USE_STANDIN, CLI, "--json", "-", "-p", String(child.pid)], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, "fs_usage");
  const f = report.files.find((x) => x.path === out);
  t.deepEqual([f.writeOps, f.writeBytes], [7, 7 * 512]);
});

// --- Safety: what runs as root, what files root creates, what stop() leaves behind ---

const SUDO = "/usr/bin/sudo";
const STUBBORN = path.join(SUPPORT, "fs_usage-stubborn.mjs");
const fsUsage = () => require(path.join(ROOT, "dist", "sources", "fs_usage.js"));

/** Argv of every live (not zombie) process, by pid. */
function processes() {
  const out = new Map();
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z") continue;
      out.set(Number(e), fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").slice(0, -1));
    } catch {}
  }
  return out;
}

/** Live processes running `script` on `pid` (sudo's included: its argv names both), and the stand-in's straces of it. */
function fsUsageProcesses(script, pid) {
  return [...processes()]
    .filter(([, argv]) => (argv.includes(script) && argv.at(-1) === String(pid)) || (argv[0] === "strace" && argv.at(-1) === String(pid)))
    .map(([p, argv]) => ({ pid: p, argv }));
}

function parentOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

const comm = (pid) => fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();

/** What `pid` has written to its stdout file so far. */
const stdoutOf = (pid) => fs.readFileSync(`/proc/${pid}/fd/1`, "utf8");

/** Polls `f` until it returns a truthy value (returned) or `ms` pass (null). */
async function until(f, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertSudo(t) {
  const r = spawnSync(SUDO, ["-n", "true"], { encoding: "utf8" });
  t.is(r.status, 0, `these tests run fs_usage's stand-in through \`sudo -n\` as root: install sudo (apt-get install sudo) and run as root (${r.error?.message ?? r.stderr})`);
}

/** Starts `script` through sudo on a sleeping process; resolves once it runs as sudo's child and `ready(pid)`. */
async function attachThroughSudo(t, script, ready = () => true) {
  const sleeper = spawn("sleep", ["120"], { stdio: "ignore" });
  t.teardown(() => sleeper.kill("SIGKILL"));
  const capture = fsUsage().attachWithFsUsage([SUDO, "-n", script], sleeper.pid);
  const running = await until(() => {
    const ps = fsUsageProcesses(script, sleeper.pid);
    // The script itself (not sudo) is up, with sudo as its parent.
    const own = ps.find((p) => p.argv[0] !== SUDO && p.argv[0] !== "strace");
    try {
      return own && comm(parentOf(own.pid)) === "sudo" && ready(own.pid) ? ps : null;
    } catch {
      return null; // it exited meanwhile: the assertion below says so
    }
  });
  t.truthy(running, "the stand-in never ran under sudo");
  return { capture, sleeper, running };
}

test.serial("stop() through sudo -n reaches fs_usage itself (SIGINT, relayed by sudo): nothing is left running", async (t) => {
  assertSudo(t);
  const { capture, sleeper, running } = await attachThroughSudo(t, STANDIN);
  capture.stop();
  const report = await capture.report;
  t.is(report.method, "fs_usage");
  t.false(report.warnings.some((w) => w.includes("did not exit")), report.warnings.join("\n"));
  // sudo, the stand-in and its strace: all gone once the report is there.
  const alive = processes();
  t.deepEqual(running.filter((p) => alive.has(p.pid)), []);
  t.deepEqual(fsUsageProcesses(STANDIN, sleeper.pid), []);
});

test.serial("stop() escalates to SIGTERM when fs_usage ignores SIGINT, through sudo, and waits for it to exit", async (t) => {
  // The stand-in ignores SIGINT (it says so before stop() is called) and
  // we never SIGKILL sudo: only SIGTERM, relayed by sudo, can end it.
  assertSudo(t);
  const { capture, sleeper, running } = await attachThroughSudo(t, STUBBORN, (pid) => stdoutOf(pid).includes("ignoring SIGINT"));
  capture.stop();
  const report = await capture.report;
  t.false(report.warnings.some((w) => w.includes("did not exit")), report.warnings.join("\n"));
  const alive = processes();
  t.deepEqual(running.filter((p) => alive.has(p.pid)), []);
  t.deepEqual(fsUsageProcesses(STUBBORN, sleeper.pid), []);
});

test.serial("a host that exits with an fs_usage window open leaves no fs_usage running (through sudo)", async (t) => {
  assertSudo(t);
  const script = `
    const { FsUsageWindow } = require(${JSON.stringify(path.join(ROOT, "dist", "sources", "fs_usage.js"))});
    FsUsageWindow.open([${JSON.stringify(SUDO)}, "-n", ${JSON.stringify(STANDIN)}]).then(() => {
      process.stdout.write(String(process.pid));
      process.exit(0);
    });`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60000 });
  t.is(r.status, 0, r.stderr);
  const host = Number(r.stdout);
  t.true(host > 0, r.stdout);
  t.truthy(await until(() => fsUsageProcesses(STANDIN, host).length === 0), JSON.stringify(fsUsageProcesses(STANDIN, host)));
});

test.serial("launch: the go file is in a private directory, and a symlink planted by another user is never followed", async (t) => {
  // An unprivileged user (nobody) watches for our launch shell, reads the go
  // file's path from its argv, and plants a symlink there pointing at a file
  // of its choosing, before root's iops creates the go file.
  const target = path.join(dir, "planted-target");
  const out = path.join(dir, "planted-launch.bin");
  const planter = `
    const fs = require("node:fs");
    const [command, target] = process.argv.slice(1);
    const end = Date.now() + 60000;
    process.stdout.write("ready\\n");
    (function poll() {
      for (const e of fs.readdirSync("/proc")) {
        let argv;
        try { argv = fs.readFileSync("/proc/" + e + "/cmdline", "utf8").split("\\0"); } catch { continue; }
        if (argv[0] !== "/bin/sh" || argv[1] !== "-c" || argv[4] !== command) continue;
        const go = argv[3];
        const seen = { go };
        try { const st = fs.statSync(require("node:path").dirname(go)); seen.dirMode = st.mode & 0o777; seen.dirUid = st.uid; } catch (x) { seen.dirStat = x.code; }
        try { fs.symlinkSync(target, go); seen.planted = true; } catch (x) { seen.plant = x.code; }
        process.stdout.write(JSON.stringify(seen) + "\\n");
        process.exit(0);
      }
      if (Date.now() < end) setTimeout(poll, 2); else process.exit(3);
    })();`;
  const spy = spawn(process.execPath, ["-e", planter, bin.writes, target], { uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "inherit"] });
  let said = "";
  spy.stdout.on("data", (d) => (said += d));
  const spyDone = new Promise((r) => spy.on("exit", r));
  t.truthy(await until(() => said.includes("ready")), "the planter did not start");

  const iops = spawn(process.execPath, [...USE_STANDIN, CLI, "--json", "-", "--", bin.writes, out, "3", "100"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  iops.stdout.on("data", (d) => (stdout += d));
  iops.stderr.on("data", (d) => (stderr += d));
  const status = await new Promise((r) => iops.on("exit", r));
  await spyDone;

  const seen = JSON.parse(said.split("\n")[1]);
  t.regex(seen.go, /iops-go-/, said);
  // The go file's directory: root's alone, so nobody else can put anything in it.
  t.deepEqual([seen.dirMode, seen.dirUid, seen.plant, seen.planted], [0o700, 0, "EACCES", undefined], said);
  t.false(fs.existsSync(target), "root created a file through a planted symlink");
  t.false(fs.existsSync(path.dirname(seen.go)), "the go file's directory was left behind");
  // And the command ran, traced, as ever.
  t.is(status, 0, stderr);
  const report = JSON.parse(stdout);
  t.is(report.method, "fs_usage");
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [3, 300]);
});

test.serial("IOPS_FS_USAGE and IOPS_EVENT_SOURCE no longer choose what runs: the marker executable never runs", (t) => {
  const ran = path.join(dir, "marker-ran");
  const marker = path.join(dir, "marker.sh");
  fs.writeFileSync(marker, `#!/bin/sh\ntouch ${ran}\nexec ${STANDIN} "$@"\n`, { mode: 0o755 });
  const markerEnv = { ...process.env, IOPS_EVENT_SOURCE: "fs_usage", IOPS_FS_USAGE: marker };

  const out = path.join(dir, "env-launch.bin");
  const r = spawnSync(process.execPath, [CLI, "--json", "-", "--", bin.writes, out, "4", "256"], { env: markerEnv, encoding: "utf8", timeout: 60000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.method, defaultMethod(), "the platform's default source, not fs_usage");
  t.deepEqual([report.summary.writeOps, report.summary.writeBytes], [4, 1024]);

  const script = `
    const { eventSource } = require(${JSON.stringify(path.join(ROOT, "dist", "sources", "select.js"))});
    const { fsUsageCommand, FS_USAGE } = require(${JSON.stringify(path.join(ROOT, "dist", "sources", "fs_usage.js"))});
    const { profile } = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    profile(() => require("node:fs").statSync("/")).then((report) =>
      process.stdout.write(JSON.stringify({ source: eventSource(), command: fsUsageCommand(), FS_USAGE, method: report.method })));`;
  const p = spawnSync(process.execPath, ["-e", script], { env: markerEnv, encoding: "utf8", timeout: 60000 });
  t.is(p.status, 0, p.stderr);
  t.deepEqual(JSON.parse(p.stdout), {
    source: defaultMethod(),
    command: { reason: "/usr/bin/fs_usage not found" },
    FS_USAGE: "/usr/bin/fs_usage",
    method: defaultMethod(),
  });
  t.false(fs.existsSync(ran), "the executable named by IOPS_FS_USAGE ran");
});

test("the sudoers advice: the one-process wrapper and its rule, and what it grants", (t) => {
  const { sudoersHint, FS_USAGE_ONE_PID } = fsUsage();
  t.is(FS_USAGE_ONE_PID, "/usr/local/libexec/iops-fs_usage");
  t.is(
    sudoersHint("alice"),
    "fs_usage needs root: run iops with sudo, or let alice trace one process at a time without a password: " +
      `\`sudo install -d -o root -m 755 /usr/local/libexec && sudo install -o root -m 755 ${path.join(ROOT, "scripts", "iops-fs_usage")} /usr/local/libexec/iops-fs_usage\`, ` +
      "then the sudoers rule `alice ALL=(root) NOPASSWD: /usr/local/libexec/iops-fs_usage` (sudo visudo -f /etc/sudoers.d/iops-fs_usage); " +
      'it lets alice see the file calls of any one process, any user\'s, and the disk I/O of every process (README: "macOS: fs_usage")',
  );
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  t.true(readme.includes("alice ALL=(root) NOPASSWD: /usr/local/libexec/iops-fs_usage\n"));
  t.false(readme.includes("NOPASSWD: /usr/bin/fs_usage\n"), "the README still recommends fs_usage with any arguments");
});

test("the wrapper runs fs_usage on one pid and refuses every other argument list", (t) => {
  const wrapper = path.join(ROOT, "scripts", "iops-fs_usage");
  const run = (...args) => spawnSync(wrapper, args, { encoding: "utf8" });
  const refused = [
    [],
    ["-w", "-f", "filesys"],
    ["-w", "-f", "filesys 1"], // passes a sudoers rule `^-w -f filesys [0-9]+$`; fs_usage would trace everything
    ["-w", "-f filesys", "1"],
    ["-w", "-f", "filesys", "1", "2"],
    ["-w", "-f", "filesys", "1", "-e"],
    ["-e", "-f", "filesys", "1"],
    ["-w", "-f", "network", "1"],
    ["-w", "-f", "filesys", "0"],
    ["-w", "-f", "filesys", "-1"],
    ["-w", "-f", "filesys", "1x"],
    ["-w", "-f", "filesys", "1 2"],
    ["-w", "-f", "filesys", ""],
    ["-w", "-f", "filesys", "12345678901"],
  ];
  for (const args of refused) t.is(run(...args).status, 64, JSON.stringify(args));
  // The one accepted shape goes on to exec fs_usage (absent on Linux: the shell says so).
  const ok = run("-w", "-f", "filesys", "4242");
  t.is(ok.status, 127, ok.stderr);
  t.regex(ok.stderr, /\/usr\/bin\/fs_usage/);
});

test("notRootOnly: a wrapper runs through sudo only if no one but root can change it or a directory above it", (t) => {
  const { notRootOnly } = fsUsage();
  const own = makeTempDir("iops-rootonly-");
  const file = path.join(own, "wrapper");
  fs.writeFileSync(file, "#!/bin/sh\n", { mode: 0o755 });
  t.is(notRootOnly(file), null); // root's file in root's 0700 directory under the sticky /tmp
  fs.chmodSync(file, 0o775);
  t.is(notRootOnly(file), `${file} is writable by others than root (mode 775)`);
  fs.chmodSync(file, 0o755);
  fs.chownSync(own, 65534, 65534);
  t.is(notRootOnly(file), `${own} is owned by uid 65534, not root`);
  fs.chownSync(own, 0, 0);
  const link = path.join(own, "link");
  fs.symlinkSync(file, link);
  t.is(notRootOnly(link), null);
  t.is(notRootOnly(path.join(own, "absent")), `${path.join(own, "absent")}: ENOENT`);
});
