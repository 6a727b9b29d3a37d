/**
 * Report files (--json, --html) of every command that writes them: a path
 * that cannot be written is a usage error (exit 2, one line) before anything
 * runs, and a file is replaced atomically: the old content or the whole new
 * report, never a part, never a temporary file left behind.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import test from "ava";

import { CLI, compileFixtures, fileEntry, makeTempDir, procStatus, runCli, spawnCli, waitFor, within } from "./_support/util.mjs";

let dir;
let bin;
let log;

test.before(() => {
  dir = makeTempDir("iops-out-");
  bin = compileFixtures(dir, ["writes"]);
  // An strace log of 3 writes of 16 bytes to one file: input for `iops import`.
  log = path.join(dir, "small.log");
  fs.writeFileSync(
    log,
    [0, 1, 2].map((i) => `1234 1700000000.00000${i} write(3</data/out.log>, "", 16) = 16 <0.000010>\n`).join(""),
  );
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Paths that cannot be written, and the errno each must name. */
function badPaths(base) {
  const file = path.join(base, "a-file");
  fs.writeFileSync(file, "x");
  fs.mkdirSync(path.join(base, "a-dir"), { recursive: true });
  return [
    [path.join(base, "no-such-dir", "r.out"), "ENOENT"],
    [path.join(file, "r.out"), "ENOTDIR"],
    [path.join(base, "a-dir"), "EISDIR"],
  ];
}

const ONE_LINE = (what, p, errno) =>
  new RegExp(`^iops: cannot write the ${what} report to ${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(${errno}\\); give a writable path\\n$`);

test.serial("iops -- cmd with an unwritable --json or --html: exit 2, one line, and the command never runs", (t) => {
  const base = makeTempDir("iops-bad-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const marker = path.join(base, "marker");
  for (const [p, errno] of badPaths(base)) {
    for (const [option, what] of [["--json", "JSON"], ["--html", "HTML"]]) {
      const r = runCli([option, p, "--", "/bin/sh", "-c", `echo ran > ${marker}`]);
      t.is(r.status, 2, `${option} ${p}: ${r.stderr}`);
      t.regex(r.stderr, ONE_LINE(what, p, errno));
      t.is(r.stdout, "");
      t.false(fs.existsSync(marker), `${option} ${p}: the command did not run`);
    }
  }
  // One good path and one bad: still nothing runs.
  const r = runCli(["--json", path.join(base, "ok.json"), "--html", path.join(base, "nope", "r.html"), "--", "/bin/sh", "-c", `echo ran > ${marker}`]);
  t.is(r.status, 2);
  t.false(fs.existsSync(marker));
  t.false(fs.existsSync(path.join(base, "ok.json")), "nothing written either");
  // The same file for both: a usage error too.
  const same = runCli(["--json", path.join(base, "r"), "--html", path.join(base, "r"), "--", "/bin/sh", "-c", `echo ran > ${marker}`]);
  t.is(same.status, 2);
  t.regex(same.stderr, /^iops: --json and --html name the same file, .*; give each its own\n$/);
  t.false(fs.existsSync(marker));
});

test.serial("iops -p, iops report and iops import with an unwritable output: exit 2 before attaching or reading", (t) => {
  const base = makeTempDir("iops-bad-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const [[missing]] = badPaths(base);
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  t.teardown(() => sleeper.kill("SIGKILL"));
  const attach = runCli(["-p", String(sleeper.pid), "--duration", "5", "--json", missing]);
  t.is(attach.status, 2, attach.stderr);
  t.regex(attach.stderr, ONE_LINE("JSON", missing, "ENOENT"));
  t.is(procStatus(sleeper.pid).TracerPid, "0");

  const saved = path.join(base, "saved.json");
  t.is(runCli(["import", "--json", saved, log]).status, 0);
  const report = runCli(["report", saved, "--html", missing]);
  t.is(report.status, 2);
  t.regex(report.stderr, /^iops report: cannot write the HTML report to .*no-such-dir\/r\.out \(ENOENT\); give a writable path\n$/);
  for (const option of ["--json", "--html"]) {
    const imp = runCli(["import", option, missing, log]);
    t.is(imp.status, 2, imp.stderr);
    t.is(imp.stdout, "", "no table: nothing was imported");
  }
});

test.serial("an existing report file is replaced whole: new content, its mode kept, no temporary file left", (t) => {
  const base = makeTempDir("iops-atomic-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const json = path.join(base, "run.json");
  const html = path.join(base, "run.html");
  const data = path.join(base, "data.bin");
  for (const f of [json, html]) {
    fs.writeFileSync(f, "the previous report\n");
    fs.chmodSync(f, 0o640);
  }
  const r = runCli(["--json", json, "--html", html, "--", bin.writes, data, "7", "100"]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.like(fileEntry(report, data), { writeOps: 7, writeBytes: 700 });
  t.true(fs.readFileSync(html, "utf8").trimEnd().endsWith("</html>"), "the whole page");
  for (const f of [json, html]) t.is(fs.statSync(f).mode & 0o777, 0o640, `${f} keeps its mode`);
  t.deepEqual(fs.readdirSync(base).sort(), ["data.bin", "run.html", "run.json"], "no temporary file left");

  // iops import and iops report write the same way; a new file gets 0666 less the umask (022 here).
  const imported = path.join(base, "imported.json");
  t.is(runCli(["import", "--json", imported, log]).status, 0);
  t.is(JSON.parse(fs.readFileSync(imported, "utf8")).summary.writeOps, 3);
  const page = path.join(base, "page.html");
  t.is(runCli(["report", imported, "--html", page]).status, 0);
  t.true(fs.readFileSync(page, "utf8").trimEnd().endsWith("</html>"));
  t.deepEqual(fs.readdirSync(base).sort(), ["data.bin", "imported.json", "page.html", "run.html", "run.json"]);

  // A device is written through, never replaced.
  t.is(runCli(["--json", "/dev/null", "--", "/bin/true"]).status, 0);
  t.true(fs.statSync("/dev/null").isCharacterDevice());
});

test.serial("iops killed while it writes a large report: the file it replaces is intact (old content or the whole report)", async (t) => {
  const base = makeTempDir("iops-kill-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  // 60,000 files: a report of about 27 MB, long enough to write that the kill lands during the write.
  const big = path.join(base, "big.log");
  const lines = [];
  for (let i = 0; i < 60_000; i++) lines.push(`1234 ${(1700000000 + i / 1e5).toFixed(6)} write(3</data/f-${i}.dat>, "", 4096) = 4096 <0.000010>\n`);
  fs.writeFileSync(big, lines.join(""));
  const dest = path.join(base, "report.json");
  const OLD = "the previous report\n";
  fs.writeFileSync(dest, OLD);

  // SIGKILL at the first change in the directory (a temporary file appearing, or the report itself touched).
  const child = spawn(process.execPath, [CLI, "import", "--json", dest, big], { stdio: "ignore" });
  const watcher = fs.watch(base, (_event, name) => {
    if (name !== "big.log") child.kill("SIGKILL");
  });
  const exit = await new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  watcher.close();
  const after = fs.readFileSync(dest, "utf8");
  t.log(`iops ended by ${exit.signal ?? `exit ${exit.code}`}`);
  if (exit.signal === "SIGKILL") {
    t.is(after, OLD, "killed mid-write: the old report is intact");
  } else {
    t.log("the write finished before the kill");
    t.is(JSON.parse(after).files.length, 60_000, "finished: the whole new report");
  }
  // Written to the end without a kill: the whole report, and no temporary file added beside it.
  const temps = () => fs.readdirSync(base).filter((n) => n.endsWith(".tmp"));
  const left = temps();
  t.true(left.length <= 1, "at most the killed run's temporary file");
  const r = runCli(["import", "--json", dest, big]);
  t.is(r.status, 0);
  t.is(JSON.parse(fs.readFileSync(dest, "utf8")).files.length, 60_000);
  t.deepEqual(temps(), left);
});

test.serial("--json and --html reaching one file by another spelling, a symlink or a hard link, or stdout by another name: exit 2, nothing runs", (t) => {
  const base = makeTempDir("iops-same-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const marker = path.join(base, "marker");
  const file = path.join(base, "r.json");
  fs.writeFileSync(file, "the previous report\n");
  fs.symlinkSync("r.json", path.join(base, "link"));
  fs.linkSync(file, path.join(base, "hard"));
  fs.symlinkSync("new.json", path.join(base, "dangling"));
  fs.mkdirSync(path.join(base, "sub"));
  const pairs = [
    [file, path.join(base, "link")],
    [file, path.join(base, "hard")],
    [path.join(base, "sub", "..", "r.json"), path.join(base, "link")],
    [path.join(base, "new.json"), path.join(base, "dangling")],
    [path.join(base, "sub", "..", "new.json"), path.join(base, "dangling")],
  ];
  for (const [json, html] of pairs) {
    const r = runCli(["--json", json, "--html", html, "--", "/bin/sh", "-c", `echo ran > ${marker}`]);
    t.is(r.status, 2, `${json} / ${html}: ${r.stderr}`);
    t.regex(r.stderr, /^iops: --json and --html name the same file, .*; give each its own\n$/);
    t.false(fs.existsSync(marker), `${json} / ${html}: the command did not run`);
  }
  t.is(fs.readFileSync(file, "utf8"), "the previous report\n", "the file was not touched");
  t.false(fs.existsSync(path.join(base, "new.json")));
  for (const other of ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]) {
    const r = runCli(["--json", "-", "--html", other, "--", "/bin/sh", "-c", `echo ran > ${marker}`]);
    t.is(r.status, 2, `- / ${other}: ${r.stderr}`);
    t.regex(r.stderr, /^iops: only one of --json and --html can go to stdout \(-\)\n$/);
    t.false(fs.existsSync(marker));
  }
  // Two writers of /dev/null are fine: a device takes any number.
  t.is(runCli(["--json", "/dev/null", "--html", "/dev/null", "--", "/bin/true"]).status, 0);
});

test.serial("--json to a FIFO: with no reader, exit 2 before the command runs (never a hang); with a reader, the whole report", async (t) => {
  const base = makeTempDir("iops-fifo-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const fifo = path.join(base, "report.fifo");
  spawnSync("mkfifo", [fifo]);
  const marker = path.join(base, "marker");
  const lonely = runCli(["--json", fifo, "--", "/bin/sh", "-c", `echo ran > ${marker}`], { timeout: 60_000 });
  t.is(lonely.signal, null, "iops ended by itself");
  t.is(lonely.status, 2, lonely.stderr);
  t.regex(lonely.stderr, /^iops: cannot write the JSON report to .*report\.fifo \(a FIFO with no reader: start its reader first\); give a writable path\n$/);
  t.false(fs.existsSync(marker), "the command did not run");

  // A reader that is there first reads the whole report, and sees its end only then.
  const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "inherit"] });
  let read = "";
  reader.stdout.setEncoding("utf8").on("data", (d) => (read += d));
  const readerDone = new Promise((resolve) => reader.on("close", resolve));
  // cat's open of the FIFO blocks until a writer comes: wait until it is in that open.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const out = path.join(base, "data");
  const r = await within(spawnCli(["--json", fifo, "--", bin.writes, out, "7", "100"]).done, 60_000, "iops --json <fifo>");
  t.is(r.status, 0, r.stderr);
  await within(readerDone, 10_000, "the FIFO's reader to see the end");
  const report = JSON.parse(read);
  t.is(fileEntry(report, out)?.writeOps, 7);
  t.is(fileEntry(report, out)?.writeBytes, 700);
});

// As root, `setpriv` runs the CLI as nobody (root may create files anywhere).
const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
const canRunAsNobody =
  process.getuid?.() === 0 &&
  spawnSync("setpriv", [...NOBODY, process.execPath, "-e", `require(${JSON.stringify(CLI.replace(/cli\.js$/, "index.js"))})`]).status === 0;

(canRunAsNobody ? test.serial : test.serial.skip)(
  "an existing writable report file in a directory that takes no new files: written in place, as a shell's > would",
  (t) => {
    const base = makeTempDir("iops-ro-");
    t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
    fs.chmodSync(base, 0o755);
    const writes = path.join(base, "writes");
    fs.copyFileSync(bin.writes, writes);
    fs.chmodSync(writes, 0o755);
    const ro = path.join(base, "ro");
    fs.mkdirSync(ro);
    const report = path.join(ro, "r.json");
    fs.writeFileSync(report, "old\n");
    fs.chmodSync(report, 0o666);
    fs.chmodSync(ro, 0o555);
    const out = path.join(base, "data");
    fs.writeFileSync(out, "");
    fs.chmodSync(out, 0o666);
    const r = spawnSync("setpriv", [...NOBODY, process.execPath, CLI, "--json", report, "--", writes, out, "3", "10"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    t.is(r.status, 0, r.stderr);
    const written = JSON.parse(fs.readFileSync(report, "utf8"));
    t.is(fileEntry(written, out)?.writeOps, 3);
    t.deepEqual(fs.readdirSync(ro), ["r.json"], "nothing else in the directory");
  },
);

// ------------------------- a working directory not named in UTF-8 (newcomer's F13)

test.serial("in a working directory whose name is not UTF-8 (and has a space and a newline), relative --json, --html and a symlinked --json are written there, the command run", (t) => {
  // process.cwd() reads such a name back with U+FFFD; a path made absolute through it names nothing.
  const base = Buffer.from(dir);
  const cwd = Buffer.concat([base, Buffer.from("/we ird\ndir\xff", "latin1")]);
  fs.mkdirSync(cwd);
  const N = 4;
  const S = 100;
  const inCwd = (name) => Buffer.concat([cwd, Buffer.from(`/${name}`)]);
  fs.copyFileSync(bin.writes, inCwd("my prog"));
  fs.chmodSync(inCwd("my prog"), 0o755);
  fs.writeFileSync(inCwd("old.json"), "old");
  fs.symlinkSync("old.json", inCwd("link.json"));
  const r = spawnSync("sh", ["-c", `cd "$(printf '%s/we ird\\ndir\\377' "$BASE")" && exec "$NODE" "$CLI" --json r.json --html r.html -- "./my prog" out.dat ${N} ${S}`], {
    encoding: "utf8",
    env: { ...process.env, BASE: dir, NODE: process.execPath, CLI },
  });
  t.is(r.status, 0, r.stderr);
  t.is(fs.statSync(inCwd("out.dat")).size, N * S, "ground truth: the command ran there");
  const report = JSON.parse(fs.readFileSync(inCwd("r.json"), "utf8"));
  t.is(report.summary.writeOps, N);
  t.is(report.summary.writeBytes, N * S);
  t.true(fs.readFileSync(inCwd("r.html"), "utf8").startsWith("<!doctype html>"));
  const viaLink = spawnSync("sh", ["-c", `cd "$(printf '%s/we ird\\ndir\\377' "$BASE")" && exec "$NODE" "$CLI" --json link.json -- "./my prog" out.dat 1 1`], {
    encoding: "utf8",
    env: { ...process.env, BASE: dir, NODE: process.execPath, CLI },
  });
  t.is(viaLink.status, 0, viaLink.stderr);
  t.true(fs.lstatSync(inCwd("link.json")).isSymbolicLink(), "the symlink is kept; its target replaced");
  t.is(JSON.parse(fs.readFileSync(inCwd("old.json"), "utf8")).summary.writeOps, 1);
});

/** "iops: cannot write the <what> report to <where> (<why>); written to <kept> instead" → kept, or a failed assertion. */
function keptAt(t, stderr, prefix, what, where, why) {
  const q = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`^${q(prefix)}: cannot write the ${what} report to ${q(where)} \\(${q(why)}\\); written to (\\S+) instead$`, "m").exec(stderr);
  t.truthy(m, stderr);
  return m?.[1];
}

test.serial("a report that cannot be written after the run (its directory removed meanwhile, a full disk) is kept in $TMPDIR as iops-report-<pid>.json/.html, said in one line, exit 1", async (t) => {
  const base = makeTempDir("iops-lost-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const tmp = path.join(base, "tmp");
  fs.mkdirSync(tmp);
  const out = path.join(base, "out");
  fs.mkdirSync(out);
  const data = path.join(base, "data.bin");
  const [json, html] = [path.join(out, "r.json"), path.join(out, "r.html")];
  // The command removes the checked directory, then writes 7 x 100 bytes.
  const run = spawnCli(["--no-progress", "--json", json, "--html", html, "--", "/bin/sh", "-c", `rm -rf "${out}" && exec "${bin.writes}" "${data}" 7 100`], {
    env: { ...process.env, TMPDIR: tmp },
  });
  const r = await within(run.done, 60_000, "iops");
  t.is(r.status, 1, r.stderr);
  const pid = run.child.pid;
  t.is(keptAt(t, r.stderr, "iops", "JSON", json, "ENOENT"), path.join(tmp, `iops-report-${pid}.json`));
  t.is(keptAt(t, r.stderr, "iops", "HTML", html, "ENOENT"), path.join(tmp, `iops-report-${pid}.html`));
  t.like(fileEntry(JSON.parse(fs.readFileSync(path.join(tmp, `iops-report-${pid}.json`), "utf8")), data), { writeOps: 7, writeBytes: 700 });
  t.true(fs.readFileSync(path.join(tmp, `iops-report-${pid}.html`), "utf8").trimEnd().endsWith("</html>"), "the whole page");
  t.deepEqual(fs.readdirSync(tmp).sort(), [`iops-report-${pid}.html`, `iops-report-${pid}.json`], "no temporary file left");

  // A full disk (/dev/full: every write fails with ENOSPC), and a TMPDIR that cannot be used: /tmp takes it.
  const full = spawnCli(["--no-progress", "--json", "/dev/full", "--", bin.writes, data, "3", "100"], { env: { ...process.env, TMPDIR: path.join(base, "no-such-tmp") } });
  const f = await within(full.done, 60_000, "iops");
  t.is(f.status, 1, f.stderr);
  const kept = keptAt(t, f.stderr, "iops", "JSON", "/dev/full", "ENOSPC");
  t.is(kept, `/tmp/iops-report-${full.child.pid}.json`);
  t.teardown(() => fs.rmSync(kept, { force: true }));
  t.like(fileEntry(JSON.parse(fs.readFileSync(kept, "utf8")), data), { writeOps: 3, writeBytes: 300 });
});

test.serial("--json - into a pipe whose reader has gone: one line says so (EPIPE) and where the report was kept, exit 1", async (t) => {
  const base = makeTempDir("iops-epipe-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const data = path.join(base, "data.bin");
  const run = spawnCli(["--no-progress", "--json", "-", "--", bin.writes, data, "5", "100"], { env: { ...process.env, TMPDIR: base } });
  // The reader goes before the report is written (the command writes to its file only).
  run.child.stdout.destroy();
  const r = await within(run.done, 60_000, "iops");
  t.is(r.status, 1, r.stderr);
  const kept = keptAt(t, r.stderr, "iops", "JSON", "stdout", "EPIPE: its reader has closed the pipe");
  t.is(kept, path.join(base, `iops-report-${run.child.pid}.json`));
  t.like(fileEntry(JSON.parse(fs.readFileSync(kept, "utf8")), data), { writeOps: 5, writeBytes: 500 });
});

test.serial("iops import, report, merge and compare keep a report they cannot write the same way: kept in $TMPDIR, one line, exit 1", async (t) => {
  const base = makeTempDir("iops-lost-sub-");
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const tmp = path.join(base, "tmp");
  fs.mkdirSync(tmp);
  const env = { ...process.env, TMPDIR: tmp };
  const saved = path.join(base, "saved.json");
  t.is(runCli(["import", "--json", saved, log]).status, 0);
  const keptFile = (r, prefix, what, where, why) => {
    t.is(r.status, 1, r.stderr);
    const kept = keptAt(t, r.stderr, prefix, what, where, why);
    t.true(kept.startsWith(`${tmp}/iops-report-`), kept);
    return fs.readFileSync(kept, "utf8");
  };
  const imp = runCli(["import", "--json", "/dev/full", log], { env });
  t.is(JSON.parse(keptFile(imp, "iops", "JSON", "/dev/full", "ENOSPC")).summary.writeOps, 3);
  t.true(imp.stdout.includes("IOPS Profile Results"), "the table still on stdout");
  const rep = runCli(["report", saved, "--html", "/dev/full"], { env });
  t.true(keptFile(rep, "iops report", "HTML", "/dev/full", "ENOSPC").trimEnd().endsWith("</html>"));
  const merged = runCli(["merge", saved, "--json", "/dev/full"], { env });
  t.is(JSON.parse(keptFile(merged, "iops merge", "JSON", "/dev/full", "ENOSPC")).summary.writeOps, 3);
  const compared = runCli(["compare", saved, saved, "--json", "/dev/full", "--html", path.join(base, "c.html")], { env });
  t.truthy(JSON.parse(keptFile(compared, "iops compare", "JSON", "/dev/full", "ENOSPC")));
  t.true(fs.readFileSync(path.join(base, "c.html"), "utf8").trimEnd().endsWith("</html>"), "the other output is written all the same");

  // iops import from a FIFO: the output's directory removed while it waits for its input.
  const out = path.join(base, "out");
  fs.mkdirSync(out);
  const fifo = path.join(base, "log.fifo");
  t.is(spawnSync("mkfifo", [fifo]).status, 0);
  const run = spawnCli(["import", "--json", path.join(out, "r.json"), fifo], { env });
  await waitFor(() => run.output().stderr.includes("waiting for a writer"), "iops import waiting for a writer");
  fs.rmSync(out, { recursive: true });
  fs.writeFileSync(fifo, fs.readFileSync(log));
  const r = await within(run.done, 60_000, "iops import");
  t.is(JSON.parse(keptFile(r, "iops", "JSON", path.join(out, "r.json"), "ENOENT")).summary.writeOps, 3);
});

