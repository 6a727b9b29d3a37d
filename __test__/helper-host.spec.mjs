/**
 * profile() never takes its host down: the host's preloads (NODE_OPTIONS,
 * node --require) do not reach the tracer helper and cannot garble its
 * messages, and a helper killed while idle is an IopsError or a new helper,
 * never an unhandled EPIPE. The helper runs as a child of the host here, as
 * in a user's application.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { FIXTURES, ROOT, liveMethods, makeTempDir } from "./_support/util.mjs";

const BANNER = path.join(FIXTURES, "banner.js");
const INDEX = path.join(ROOT, "dist", "index.js");

let dir;
test.before(() => {
  dir = makeTempDir("iops-host-");
});
test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `node [execArgv] -e code` with `env` added to ours; { status, signal, stdout, stderr }. */
function node(execArgv, code, env = {}) {
  const r = spawnSync(process.execPath, [...execArgv, "-e", code], {
    encoding: "utf8",
    timeout: 60_000,
    cwd: dir,
    env: { ...process.env, ...env },
  });
  if (r.error) throw r.error;
  return r;
}

/** The field case: a write of one byte, profiled in a host whose preload prints to stdout. */
const ONE_WRITE = (file) =>
  `require(${JSON.stringify(INDEX)}).profile(() => require("fs").writeFileSync(${JSON.stringify(file)}, "a"), { method: "ptrace" }).then(r => console.log(r.summary.writeOps, r.summary.writeBytes, r.method))`;

test("NODE_OPTIONS=--require banner.js (prints a line to stdout): the banner once, then the exact report; no crash", (t) => {
  const r = node([], ONE_WRITE(path.join(dir, "x")), { NODE_OPTIONS: `--require ${BANNER}` });
  t.is(r.status, 0, r.stderr);
  t.is(r.signal, null);
  t.is(r.stdout, "[apm-agent] started\n1 1 ptrace\n", "the host's banner, then 1 write of 1 byte, traced");
  t.is(r.stderr, "");
});

test("node --require banner.js (execArgv) and a preload printing JSON-like lines to stdout and stderr: the exact report", (t) => {
  const noisy = path.join(dir, "noisy.cjs");
  fs.writeFileSync(
    noisy,
    'console.log(\'{"ready":true}\'); console.log(\'{"error":{"code":"EIO","message":"fake"}}\'); console.error("[preload] on stderr");\n',
  );
  const viaArgv = node(["--require", BANNER], ONE_WRITE(path.join(dir, "y")));
  t.is(viaArgv.status, 0, viaArgv.stderr);
  t.is(viaArgv.stdout, "[apm-agent] started\n1 1 ptrace\n");
  // One preload in NODE_OPTIONS, another on the command line: the helper runs neither.
  const both = node(["--require", BANNER], ONE_WRITE(path.join(dir, "z")), { NODE_OPTIONS: `--require ${noisy}` });
  t.is(both.status, 0, both.stderr);
  const lines = both.stdout.split("\n");
  t.is(lines.pop(), "");
  t.is(lines.pop(), "1 1 ptrace", "the report comes last, exact");
  t.deepEqual(lines.sort(), ["[apm-agent] started", '{"error":{"code":"EIO","message":"fake"}}', '{"ready":true}'], "each preload ran once, in the host");
  t.is(both.stderr, "[preload] on stderr\n");
});

for (const when of ["now", "reaped"]) {
  test(`the idle helper killed (${when === "now" ? "profile() at once" : "profile() after it is reaped"}): an IopsError or an exact report, then an exact report; the host exits normally`, (t) => {
    // Several runs: which of the host's events comes first (the helper's exit, the failed write) varies.
    for (let run = 0; run < 6; run++) {
      const scratch = makeTempDir("iops-idle-");
      t.teardown(() => fs.rmSync(scratch, { recursive: true, force: true }));
      const r = spawnSync(process.execPath, [path.join(FIXTURES, "helper-killed-idle.cjs"), when, scratch], {
        encoding: "utf8",
        timeout: 60_000,
      });
      t.is(r.status, 0, `run ${run}: the host exits normally\n${r.stderr}`);
      t.is(r.signal, null);
      t.false(/Unhandled|EPIPE|at .*\(/.test(r.stderr), `run ${run}: no crash or stack trace: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      const exact = { writeOps: 1, writeBytes: 10 };
      if (out.first.error !== undefined) {
        t.is(out.first.error, "IopsError", JSON.stringify(out.first));
        t.is(out.first.code, "EIO");
      } else {
        t.deepEqual(out.first, exact, `run ${run}: the first profile() after the kill`);
      }
      t.deepEqual(out.second, exact, `run ${run}: the next profile() has a new helper`);
      t.is(out.helpers, 1, "one helper, the new one");
    }
  });
}

for (const signal of ["SIGSTOP", "SIGTSTP"]) {
  test(`the idle helper stopped by ${signal}: the next profile() starts a new helper and gives the exact report, never waits for ever`, (t) => {
    const file = path.join(dir, `stopped-${signal}`);
    const code = `
      const { profile } = require(${JSON.stringify(INDEX)});
      const fs = require("fs");
      const write = () => fs.writeFileSync(${JSON.stringify(file)}, "0123456789");
      const helpers = () => fs.readFileSync("/proc/" + process.pid + "/task/" + process.pid + "/children", "utf8").trim().split(/\\s+/).filter(Boolean).map(Number);
      // A killed helper stays a zombie until libuv reaps it, a moment later: ended all the same.
      const state = (pid) => { try { return fs.readFileSync("/proc/" + pid + "/stat", "utf8").split(") ")[1][0]; } catch { return "gone"; } };
      const living = () => helpers().filter((pid) => state(pid) !== "Z");
      (async () => {
        await profile(write, { method: "ptrace" });
        const [old] = helpers();
        process.kill(old, ${JSON.stringify(signal)});
        // The kernel discards SIGTSTP in an orphaned process group (as under
        // a CI runner): then the helper never stops, and there is nothing to end.
        const t0 = Date.now();
        while (state(old) !== "T" && Date.now() - t0 < 2000) {}
        const stopped = state(old) === "T";
        const r = await profile(write, { method: "ptrace" });
        console.log(JSON.stringify({ old, writeOps: r.summary.writeOps, writeBytes: r.summary.writeBytes, method: r.method, helpers: living(), stopped }));
      })().catch((e) => console.log(JSON.stringify({ error: e.message })));`;
    const r = node([], code);
    const out = JSON.parse(r.stdout || "{}");
    t.teardown(() => {
      try {
        if (out.old) process.kill(out.old, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    });
    t.is(r.signal, null, "the host ended by itself");
    t.is(r.status, 0, r.stderr);
    t.like(out, { writeOps: 1, writeBytes: 10, method: "ptrace" }, r.stdout);
    if (signal === "SIGSTOP") t.true(out.stopped, "SIGSTOP always stops");
    if (out.stopped) {
      t.false(out.helpers.includes(out.old), "the stopped helper was ended");
      t.is(out.helpers.length, 1, "one helper, the new one");
    } else {
      t.log("SIGTSTP was discarded (orphaned process group): the helper never stopped");
      t.deepEqual(out.helpers, [out.old], "the same helper served");
    }
  });
}

// A capture of a child of the host runs in the helper; stop() once its
// report is in (a teardown, a second stop) was sent as a command no capture
// answers, and the helper, waiting for the answer, kept the host alive.
for (const { name: method, unavailable } of liveMethods()) {
  (unavailable ? test.skip : test)(`[${method}] tracePid() of the host's child: stop() after the report is in, and twice, lets the host end by itself`, (t) => {
    const code = `
      const { tracePid } = require(${JSON.stringify(INDEX)});
      const { spawn } = require("child_process");
      const child = spawn("sh", ["-c", "read line"], { stdio: ["pipe", "ignore", "ignore"] });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      (async () => {
        const capture = tracePid(child.pid, { method: ${JSON.stringify(method)} });
        await capture.ready();
        child.stdin.end("go\\n");
        await exited;
        capture.stop();
        const report = await capture.report;
        capture.stop();
        capture.stop();
        console.log(JSON.stringify({ method: report.method }));
      })().catch((e) => console.log(JSON.stringify({ error: e.message })));`;
    const r = node([], code);
    t.is(r.signal, null, "the host ended by itself");
    t.is(r.status, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout || "{}"), { method }, r.stdout);
  });
}
