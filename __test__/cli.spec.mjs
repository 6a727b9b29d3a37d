/**
 * The `iops` command itself: exit statuses, a command killed mid-trace,
 * --help, --json <file>, --histogram, --top, the text table, usage errors,
 * and file names with HTML and control characters.
 */
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";

import test from "ava";

import {
  RAW_CONTROL,
  CLI,
  compileFixtures,
  counts,
  fileEntry,
  iops,
  makeTempDir,
  procStatus,
  processesMentioning,
  runCli,
  runCliJson,
  spawnCli,
  totals,
  waitFor,
  within,
  fileCounts,
  liveMethods,
} from "./_support/util.mjs";

let dir;
let bin;

test.before(() => {
  dir = makeTempDir("iops-cli-");
  bin = compileFixtures(dir, ["writes", "threads", "selfkill", "loopwriter"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** "Write Operations:  1,000" → { "Write Operations": "1,000", ... } from the text table. */
function tableValues(text) {
  const values = {};
  for (const m of text.matchAll(/^([A-Z][A-Za-z ]+):\s{2,}(.+)$/gm)) values[m[1]] = m[2];
  return values;
}

// ---------------------------------------------------------------- exit status

test.serial("the command's exit status is passed through (exit 3 → 3)", (t) => {
  const { status, report, stderr } = runCliJson(["--", "sh", "-c", "exit 3"]);
  t.is(status, 3, stderr);
  t.deepEqual(report.exit, { code: 3, signal: null, signalNumber: null });
  t.deepEqual(report.command, ["sh", "-c", "exit 3"]);
});

test.serial("a command killed by a signal: 128 + the signal number (SIGKILL → 137, SIGTERM → 143)", (t) => {
  let r = runCliJson(["--", "sh", "-c", "kill -KILL $$"]);
  t.is(r.status, 137, r.stderr);
  t.deepEqual(r.report.exit, { code: null, signal: "SIGKILL", signalNumber: 9 });
  r = runCliJson(["--", "sh", "-c", "kill -TERM $$"]);
  t.is(r.status, 143, r.stderr);
  t.deepEqual(r.report.exit, { code: null, signal: "SIGTERM", signalNumber: 15 });
});

test.serial("command not found: exit 127 with a message; traceCommand() fails with IopsError ENOENT", async (t) => {
  const r = runCli(["--", "iops-test-no-such-command"]);
  t.is(r.status, 127);
  t.true(r.stderr.includes("command not found: iops-test-no-such-command"), r.stderr);
  t.is(r.stdout, "");
  const error = await t.throwsAsync(async () => iops.traceCommand(["iops-test-no-such-command"]).report);
  t.true(error instanceof iops.IopsError, String(error));
  t.is(error.code, "ENOENT");
});

test.serial("a command named by a path is never looked up on PATH: each source says what bash says, with its status (missing: 127; a directory, a file as a directory: 126)", (t) => {
  const work = fs.mkdtempSync(path.join(dir, "shell-words-"));
  fs.mkdirSync(path.join(work, "adir"));
  fs.writeFileSync(path.join(work, "afile"), "x");
  const cases = [
    ["./nope", 127, "./nope: No such file or directory"],
    [path.join(work, "missing"), 127, `${path.join(work, "missing")}: No such file or directory`],
    ["./adir", 126, "cannot execute ./adir: Is a directory"],
    ["./afile/x", 126, "cannot execute ./afile/x: Not a directory (ENOTDIR)"],
    ["iops-test-no-such-command", 127, "command not found: iops-test-no-such-command (is it installed and on PATH?)"],
  ];
  for (const [name, status, said] of cases) {
    // Ground truth: bash's status, and its words for a path.
    const bash = spawnSync("bash", ["-c", `"$0"`, name], { cwd: work, encoding: "utf8" });
    t.is(bash.status, status, `bash ${name}: ${bash.stderr}`);
    if (name.includes("/")) t.true(bash.stderr.trimEnd().endsWith(said.replace(/^cannot execute /, "").replace(/ \(E[A-Z]+\)$/, "")), bash.stderr);
    for (const method of [...liveMethods().filter((m) => m.unavailable === null).map((m) => m.name), "strace"]) {
      const r = runCli(["--no-progress", "--method", method, "--json", "-", "--", name], { cwd: work });
      t.is(r.status, status, `${method} ${name}: ${r.stderr}`);
      t.true(r.stderr.endsWith(`iops: ${said}\n`), `${method} ${name}: ${r.stderr}`);
      t.is(r.stdout, "", `${method} ${name}: no report`);
    }
  }
});

test.serial("one rule for where the table goes: report, import, merge and compare print it on stdout, with or without output files; on stderr when --json - or --html - takes stdout", (t) => {
  const work = fs.mkdtempSync(path.join(dir, "streams-"));
  const log = path.join(work, "w.log");
  // 4 writes of 25 bytes: the table's "Write Operations" says 4.
  fs.writeFileSync(log, [0, 1, 2, 3].map((i) => `77 1700000000.00000${i} write(3</data/w.dat>, "", 25) = 25 <0.000010>\n`).join(""));
  const saved = path.join(work, "saved.json");
  t.is(runCli(["import", "--json", saved, log]).status, 0);
  const TABLE = /^Write Operations: +4$/m;
  const COMPARED = /^Write operations: +4 +4 /m;
  const out = (name) => path.join(work, name);
  const commands = {
    import: (extra) => ["import", ...extra, log],
    report: (extra) => ["report", saved, ...extra],
    merge: (extra) => ["merge", saved, ...extra],
    compare: (extra) => ["compare", saved, saved, ...extra],
  };
  for (const [name, argv] of Object.entries(commands)) {
    for (const extra of [[], ["--html", out(`${name}.html`)], ["--json", out(`${name}.json`)]]) {
      if (name === "report" && extra[0] === "--json") continue; // report writes no JSON
      const r = runCli(argv(extra));
      t.is(r.status, 0, `${name} ${extra.join(" ")}: ${r.stderr}`);
      const table = name === "compare" ? COMPARED : TABLE;
      t.regex(r.stdout, table, `${name} ${extra.join(" ")}: the table on stdout`);
      t.notRegex(r.stderr, table, `${name} ${extra.join(" ")}: not on stderr`);
    }
    for (const taken of name === "report" ? [["--html", "-"]] : [["--html", "-"], ["--json", "-"]]) {
      const r = runCli(argv(taken));
      t.is(r.status, 0, `${name} ${taken.join(" ")}: ${r.stderr}`);
      const table = name === "compare" ? COMPARED : TABLE;
      t.notRegex(r.stdout, table, `${name} ${taken.join(" ")}: stdout is the output's alone`);
      t.regex(r.stderr, table, `${name} ${taken.join(" ")}: the table on stderr`);
    }
  }
});

test.serial("command not found, with a tab and a newline in its name: still exit 127 and IopsError ENOENT", async (t) => {
  const name = "iops-test-no\tsuch\ncommand";
  const r = runCli(["--", name]);
  t.is(r.status, 127, r.stderr);
  t.true(r.stderr.includes("command not found"), r.stderr);
  const error = await t.throwsAsync(async () => iops.traceCommand([name]).report);
  t.true(error instanceof iops.IopsError, String(error));
  t.is(error?.code, "ENOENT");
});

test.serial("a command that kills itself with SIGKILL after N writes: 137, and exactly N writes reported", (t) => {
  const N = 200;
  const S = 2048;
  const out = path.join(dir, "selfkill.dat");
  const { status, report, stderr } = runCliJson(["--", bin.selfkill, out, String(N), String(S)]);
  t.is(status, 137, stderr);
  t.deepEqual(report.exit, { code: null, signal: "SIGKILL", signalNumber: 9 });
  // The text says it too (newcomer's F20), under the table.
  t.regex(stderr, /^Killed by SIGKILL \(signal 9\): the figures are what it did until then$/m);
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  t.is(procStatus(report.pid), null, "the killed command is gone (reaped)");
});

test.serial("the traced command killed from outside mid-trace: prompt report, 137, nothing left stopped or running", async (t) => {
  const SIZE = 4096;
  const sub = fs.mkdtempSync(path.join(dir, "killed-"));
  const out = path.join(sub, "loop.dat");
  const json = path.join(sub, "report.json");
  // Writes forever (count 0), one record per millisecond.
  const cli = spawnCli(["--json", json, "--", bin.loopwriter, out, "0", String(SIZE), "1000"]);
  let pid;
  t.teardown(() => {
    for (const p of processesMentioning(sub)) process.kill(p, "SIGKILL");
  });
  const progressed = () => /^progress \d+$/m.test(cli.output().stdout);
  pid = Number((await waitFor(() => /^pid (\d+)$/m.exec(cli.output().stdout), "the command's pid"))[1]);
  await waitFor(progressed, "the command's first progress line");
  process.kill(pid, "SIGKILL");
  const r = await within(cli.done, 20_000, "iops after its command was killed");
  t.is(r.status, 137, r.stderr);

  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.pid, pid);
  t.deepEqual(report.exit, { code: null, signal: "SIGKILL", signalNumber: 9 });
  const written = fs.statSync(out).size / SIZE;
  t.true(Number.isInteger(written) && written >= 100, `${written} records on disk`);
  const entry = fileEntry(report, out);
  t.is(entry.writeBytes, entry.writeOps * SIZE);
  // Every completed write is counted, except possibly the one the kill
  // interrupted between the kernel finishing it and the tracer reading its
  // result.
  t.true(entry.writeOps === written || entry.writeOps === written - 1, `${entry.writeOps} writes reported, ${written} on disk`);
  t.true(r.stderr.includes("IOPS Profile Results"), r.stderr);

  // Nothing left: the command, iops and any helper of iops are gone, and no
  // process of ours is stopped.
  t.is(procStatus(pid), null, "the killed command was reaped");
  t.deepEqual(processesMentioning(sub), [], "no process mentioning the test directory is left");
});

// ---------------------------------------------------------------- options

test.serial("--help exits 0 and shows Examples; --version prints the package version", (t) => {
  const help = runCli(["--help"]);
  t.is(help.status, 0);
  t.true(help.stdout.includes("Examples"), help.stdout);
  t.true(help.stdout.includes("--json <path|->"));
  const version = runCli(["--version"]);
  t.is(version.status, 0);
  t.is(version.stdout.trim(), JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
});

test.serial("iops help <command> shows that command's help; iops help, the main help", (t) => {
  for (const cmd of ["report", "import", "merge", "compare"]) {
    const r = runCli(["help", cmd]);
    t.is(r.status, 0, cmd);
    t.regex(r.stdout, new RegExp(`^Usage: iops ${cmd} `), cmd);
  }
  const main = runCli(["help"]);
  t.is(main.status, 0);
  t.regex(main.stdout, /^Usage: iops \[options\] -- <command>/);
  t.regex(main.stdout, /iops help import/);
});

test.serial("-p with a number past what JavaScript holds exactly is named as typed, not rounded", (t) => {
  const r = runCli(["-p", "99999999999999999999"]);
  t.is(r.status, 2);
  t.true(r.stderr.includes("99999999999999999999 is not a process id"), r.stderr);
  t.false(r.stderr.includes("100000000000000000000"), r.stderr);
});

test.serial("--help into a reader that stops early (| head): exit 0, no error printed", (t) => {
  // `... | true`: the reader exits at once, so our writes meet a closed pipe.
  const r = spawnSync("bash", ["-c", `"${process.execPath}" "${CLI}" --help | true; echo "status=\${PIPESTATUS[0]}"`], { encoding: "utf8" });
  t.is(r.stdout.trim(), "status=0", r.stderr);
  t.false(r.stderr.includes("EPIPE"), r.stderr);
});

test.serial("usage errors exit 2", (t) => {
  t.is(runCli([]).status, 2, "no command");
  t.is(runCli(["--duration", "1", "--", "true"]).status, 2, "--duration without --pid");
  t.is(runCli(["-p", "1", "--", "true"]).status, 2, "both a pid and a command");
  t.is(runCli(["-p", "abc"]).status, 2, "a pid that is not a number");
  t.is(runCli(["--top", "0", "--", "true"]).status, 2, "--top 0");
  t.is(runCli(["--no-such-option", "--", "true"]).status, 2, "an unknown option");
});

test.serial("--json <file> writes the same exact report; the text table shows the same counts", (t) => {
  const N = 1000;
  const S = 4096;
  const out = path.join(dir, "json-file.dat");
  const json = path.join(dir, "report.json");
  const r = runCli(["--method", "ptrace", "--json", json, "--", bin.writes, out, String(N), String(S)]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, "", "with --json <file>, nothing on stdout");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.method, "ptrace");
  t.deepEqual(counts(report.summary), totals(0, 0, N, N * S));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });

  const values = tableValues(r.stderr);
  t.is(values["Read Operations"], "0");
  t.is(values["Write Operations"], "1,000");
  t.is(values["Total Operations"], "1,000");
  t.is(values["Bytes Read"], "0 bytes");
  t.is(values["Bytes Written"], "3.91 MiB (4,096,000 bytes)");
  t.is(values["Total Bytes"], "3.91 MiB (4,096,000 bytes)");
  t.true(r.stderr.includes("IOPS Profile Results (ptrace syscall tracer; files)"));
  t.regex(r.stderr, new RegExp(`^\\s+0\\s+1,000\\s+0 B\\s+3\\.91 MiB\\s+(\\S+ (s|ms|µs)\\s+)?sequential\\s+${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
});

test.serial("the README's JSON-on-a-descriptor example: the command's stdout stays its own, the report is valid JSON (newcomer's F12)", (t) => {
  // The README and --help give this line; a command that prints must not spoil the report, nor the report its output.
  const readme = fs.readFileSync(path.join(path.dirname(CLI), "..", "README.md"), "utf8");
  t.true(readme.includes("iops --json /dev/fd/3 -- ./etl 3> report.json"), "the README shows the form tested here");
  t.false(readme.includes("iops --json - -- ./etl > report.json"), "no example mixes the report into the command's stdout");
  const json = path.join(dir, "fd3.json");
  const out = path.join(dir, "fd3.dat");
  const N = 5;
  const S = 64;
  const r = spawnSync("sh", ["-c", `"$0" "$1" --json /dev/fd/3 -- sh -c 'echo hello; echo world; exec "$0" "$@"' "$2" "$3" ${N} ${S} 3> "$4"`, process.execPath, CLI, bin.writes, out, json], {
    encoding: "utf8",
  });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, "hello\nworld\n", "stdout is the command's own, byte for byte");
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  t.true(r.stderr.includes("IOPS Profile Results"), "the table is on stderr");
});

test.serial("a throughput below 1 KiB/s is shown with two decimals, the same in the table, iops report and the HTML page (newcomer's F18)", (t) => {
  // Ground truth: 10 writes of 1 byte 100 ms apart (a static program: no loader reads): about 10 B/s.
  const out = path.join(dir, "slow.dat");
  const json = path.join(dir, "slow.json");
  const html = path.join(dir, "slow.html");
  const r = runCli(["--json", json, "--", bin.loopwriter, out, "10", "1", "100000"]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(json, "utf8"));
  t.is(report.summary.writeBytes, 10);
  const rate = report.summary.throughputBytesPerSecond;
  t.true(rate > 0 && rate < 1024, String(rate));
  const expected = `${rate.toFixed(2)} B/s`;
  t.is(tableValues(r.stderr)["Throughput"], expected);
  const again = runCli(["report", json, "--html", html]);
  t.is(again.status, 0, again.stderr);
  t.is(tableValues(again.stderr + again.stdout)["Throughput"], expected);
  const page = fs.readFileSync(html, "utf8");
  t.true(page.includes(expected), "the page shows the same figure");
  t.false(/\d\.\d{3,} B\/s/.test(r.stderr + again.stdout + again.stderr + page), "no raw float rate anywhere");
});

test.serial("--histogram draws operations by size", (t) => {
  const N = 300;
  const out = path.join(dir, "histogram.dat");
  const r = runCli(["--histogram", "--", bin.writes, out, String(N), "4096"]);
  t.is(r.status, 0, r.stderr);
  t.true(r.stderr.includes("Operations by size"), r.stderr);
  // One row, for [4 KiB, 8 KiB): all N writes, all bars W.
  t.regex(r.stderr, /^\s*4 KiB \| W+ 300 ops, 1\.17 MiB$/m);
  const without = runCli(["--", bin.writes, out, String(N), "4096"]);
  t.false(without.stderr.includes("Operations by size"));
});

test.serial("--top N lists the N busiest files of all", (t) => {
  const sub = fs.mkdtempSync(path.join(dir, "top-"));
  const r = runCli(["--top", "2", "--", bin.threads, sub, "4", "10", "100"]);
  t.is(r.status, 0, r.stderr);
  t.true(r.stderr.includes("Top files (2 of 4):"), r.stderr);
  const listed = r.stderr.split("\n").filter((l) => l.includes(`${sub}/thread-`));
  t.is(listed.length, 2);
});

test.serial("a file name with HTML and control characters: exact in JSON, escaped in the text table", (t) => {
  const name = "x<img src=x onerror=alert(1)>\u001b[31m\ttab\nline\u007f.dat";
  const out = path.join(dir, name);
  const { status, report, stdout, stderr } = runCliJson(["--", bin.writes, out, "3", "10"]);
  t.is(status, 0, stderr);
  t.deepEqual(report.files.map(fileCounts), [{ path: out, kind: "file", readOps: 0, writeOps: 3, readBytes: 0, writeBytes: 30 }]);
  // JSON must escape C0 controls (DEL may legally stay raw in JSON).
  t.false(/[\u0000-\u0009\u000b-\u001f]/.test(stdout), "JSON escapes control characters");
  t.false(RAW_CONTROL.test(stderr), "the text output has no raw control characters");
  t.true(stderr.includes(`${dir}/x<img src=x onerror=alert(1)>\\x1b[31m\\x09tab\\x0aline\\x7f.dat`), stderr);
  t.true(fs.existsSync(out));
});
