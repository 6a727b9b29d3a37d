/**
 * profile() never keeps its host alive beyond what the host's own code
 * does: a Node script whose fn never settles ends as the same script without
 * profile() ends (Node exits once nothing is left to run), saying on stderr
 * that the window's report was lost; fn calling process.exit() exits with
 * its code, saying the same; with onReport, the report up to the exit goes
 * there in both cases; and a window whose fn settles later, on a timer
 * of its own, still gets its exact report. The tracer helper ends with its
 * host. Each case runs in its own Node process, once per live source.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { ROOT, eachMethod, makeTempDir, sleep } from "./_support/util.mjs";

const INDEX = path.join(ROOT, "dist", "index.js");
const LOST =
  "iops-profiler: this process exited while profile() was measuring (fn had not settled, or it called process.exit()): that window's report is lost\n";

const WENT =
  "iops-profiler: this process exited while profile() was measuring (fn had not settled, or it called process.exit()): that window's report, up to the exit, went to onReport\n";

let dir;
test.before(() => {
  dir = makeTempDir("iops-lifetime-");
});
test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `code` in a new Node (`profile` and `method` in scope); a hang is
 * ended after 60 s (SIGKILL) and shows as `signal`. { status, signal, stdout, stderr }.
 */
function host(code, method) {
  const prelude = `const { profile } = require(${JSON.stringify(INDEX)}); const fs = require("fs"); const method = ${JSON.stringify(method)};\n`;
  const r = spawnSync(process.execPath, ["-e", prelude + code], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL", cwd: dir });
  if (r.error && r.error.code !== "ETIMEDOUT") throw r.error;
  return r;
}

/** The host's child processes (the tracer helper, strace) as it printed them, from /proc/self/task/<pid>/children. */
function childrenOf(stdout) {
  const m = /^children: (.*)$/m.exec(stdout);
  return m ? m[1].split(" ").filter(Boolean).map(Number) : [];
}

/** Waits (up to 30 s) until none of `pids` runs; returns those still running then. */
async function gone(pids) {
  const alive = () => pids.filter((pid) => fs.existsSync(`/proc/${pid}`) && !/^State:\s*Z/m.test(safeStatus(pid)));
  for (let i = 0; i < 300 && alive().length > 0; i++) await sleep(100);
  return alive();
}

function safeStatus(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "State:\tZ (gone)";
  }
}

/** Prints this host's children (the helper is one once the window is open). */
const PRINT_CHILDREN = `console.log("children: " + fs.readFileSync("/proc/self/task/" + process.pid + "/children", "utf8").trim());`;

eachMethod(test, "fn never settles: the host exits as it would without profile() (status 0, its own timer ran), stderr says the report is lost, the helper ends", async (t, method) => {
  const alone = host(`new Promise(() => {}); setTimeout(() => console.log("timer fired"), 300);`, method);
  t.is(alone.status, 0, "without profile(), Node ends the script");
  const r = host(
    `profile(() => { ${PRINT_CHILDREN} return new Promise(() => {}); }, { method }).then(() => console.log("settled?"));
     setTimeout(() => console.log("timer fired"), 300);`,
    method,
  );
  t.is(r.signal, null, `not killed after hanging: ${r.stderr}`);
  t.is(r.status, alone.status);
  t.regex(r.stdout, /^children: \d+/m);
  t.regex(r.stdout, /^timer fired$/m);
  t.notRegex(r.stdout, /settled\?/);
  t.is(r.stderr, LOST);
  t.deepEqual(await gone(childrenOf(r.stdout)), [], "the tracer helper ended with its host");
});

eachMethod(test, "fn calls process.exit(7): the host exits 7 after fn's write, and stderr says the report is lost", async (t, method) => {
  const file = path.join(dir, `exit-${method}.txt`);
  const r = host(
    `process.on("exit", (c) => console.log("exit event " + c));
     profile(() => { ${PRINT_CHILDREN} fs.writeFileSync(${JSON.stringify(file)}, "a"); process.exit(7); }, { method }).then(() => console.log("settled?"));`,
    method,
  );
  t.is(r.signal, null, r.stderr);
  t.is(r.status, 7);
  t.regex(r.stdout, /^exit event 7$/m);
  t.is(fs.readFileSync(file, "utf8"), "a");
  t.is(r.stderr, LOST);
  t.deepEqual(await gone(childrenOf(r.stdout)), [], "the tracer helper ended with its host");
});

eachMethod(test, "fn settles later on a timer of its own, nothing else in the loop: the exact report still arrives, and the host exits 0 with nothing on stderr", async (t, method) => {
  const file = path.join(dir, `later-${method}.txt`);
  const r = host(
    `profile(async () => {
       await new Promise((resolve) => setTimeout(resolve, 200));
       fs.writeFileSync(${JSON.stringify(file)}, "abcde");
       fs.appendFileSync(${JSON.stringify(file)}, "fg");
     }, { method }).then((r) => console.log("report", r.method, r.summary.writeOps, r.summary.writeBytes));`,
    method,
  );
  t.is(r.signal, null, r.stderr);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, `report ${method} 2 7\n`);
  t.is(r.stderr, "");
});

eachMethod(test, "with onReport, an exit with the window open (fn calls process.exit(7); fn never settles) gives onReport the exact report of fn's writes up to the exit, and stderr says so", async (t, method) => {
  const file = path.join(dir, `exit-report-${method}.txt`);
  const onReport = `onReport: (r) => console.log("onReport", r.method, r.summary.writeOps, r.summary.writeBytes, r.files.filter((f) => f.path === ${JSON.stringify(file)}).map((f) => f.writeOps + "/" + f.writeBytes).join())`;
  const exits = host(
    `profile(() => { fs.writeFileSync(${JSON.stringify(file)}, "abc"); fs.appendFileSync(${JSON.stringify(file)}, "de"); process.exit(7); }, { method, ${onReport} });`,
    method,
  );
  t.is(exits.signal, null, exits.stderr);
  t.is(exits.status, 7);
  t.is(exits.stdout, `onReport ${method} 2 5 2/5\n`, "the two writes (3 + 2 bytes), in the file's row too");
  t.is(exits.stderr, WENT);
  const never = host(
    `profile(() => { fs.writeFileSync(${JSON.stringify(file)}, "abcd"); return new Promise(() => {}); }, { method, ${onReport} });`,
    method,
  );
  t.is(never.signal, null, never.stderr);
  t.is(never.status, 0);
  t.is(never.stdout, `onReport ${method} 1 4 1/4\n`);
  t.is(never.stderr, WENT);
  t.is(fs.readFileSync(file, "utf8"), "abcd");
});

test.serial("[strace] fn never settles: the host exits 0 as without profile(), its timer ran, stderr says the report is lost, strace ends", async (t) => {
  const r = host(
    `profile(() => { ${PRINT_CHILDREN} return new Promise(() => {}); }, { method }).then(() => console.log("settled?"));
     setTimeout(() => console.log("timer fired"), 300);`,
    "strace",
  );
  t.is(r.signal, null, `not killed after hanging: ${r.stderr}`);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^timer fired$/m);
  t.notRegex(r.stdout, /settled\?/);
  t.is(r.stderr, LOST);
  t.deepEqual(await gone(childrenOf(r.stdout)), [], "strace ended with its host");
});
