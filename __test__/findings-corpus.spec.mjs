/**
 * Findings on a corpus of real programs. Each row runs one program under
 * `iops --json -` and names every finding it must get: the list must be
 * exactly that, so a finding that should not be there fails the row as
 * surely as a missing one (a wrong finding is worse than none). What each
 * program does is known apart from our output (an SQLite transaction in
 * autocommit syncs its journal; tar reads each small file once; the
 * dynamic loader reads each library's ELF header at every exec), and the
 * numbers a finding rests on are checked against it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";

import test from "ava";

import { ROOT, compileFixtures, iops, makeTempDir, runCli, runCliJson } from "./_support/util.mjs";

/** Linux's statfs magic of tmpfs, where O_DIRECT opens fail. */
const TMPFS_MAGIC = 0x01021994;

let dir;
let bin;

test.before(() => {
  // A directory on a disk file system: O_DIRECT needs one (tmpfs refuses it).
  const tmpIsTmpfs = fs.statfsSync(os.tmpdir()).type === TMPFS_MAGIC;
  if (tmpIsTmpfs) fs.mkdirSync(path.join(ROOT, "target"), { recursive: true });
  dir = tmpIsTmpfs ? fs.realpathSync(fs.mkdtempSync(path.join(ROOT, "target", "iops-findings-"))) : makeTempDir("iops-findings-");
  bin = compileFixtures(dir, ["access", "writes", "fwrites"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory for one row, with `n` small text files under `sub` when asked. */
function workdir(name, { files = 0, sub = "." } = {}) {
  const d = path.join(dir, name);
  fs.mkdirSync(path.join(d, sub), { recursive: true });
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(d, sub, `f${i}.txt`), `file ${i}\n`);
  return d;
}

/** SQL for `n` INSERTs, each in its own (autocommit) transaction, after `pragma`. */
const inserts = (pragma, n) => [pragma, "CREATE TABLE t(x);", ...Array.from({ length: n }, (_, i) => `INSERT INTO t VALUES(${i});`)].join("\n");

const INSERTS = 200;

/**
 * The corpus: program → the findings its report must have, exactly, most
 * important first; `check` asserts the numbers they rest on.
 */
const CORPUS = [
  {
    name: `sqlite3, ${INSERTS} INSERTs each in its own transaction, rollback journal`,
    run(d) {
      fs.writeFileSync(path.join(d, "rb.sql"), inserts("PRAGMA journal_mode=DELETE;", INSERTS));
      return { argv: ["sh", "-c", "sqlite3 rb.db < rb.sql"], cwd: d };
    },
    expect: ["fsync-heavy", "rereads"],
    // A journal created and deleted per transaction: its opens, stats and
    // unlinks took 45% of the run in one loaded CI run, 16-17% on a quiet machine.
    timed: ["metadata-heavy"],
    check(t, report, [sync, reread], d) {
      // Each commit syncs the journal and the database file at least once.
      t.true(sync.numbers.syncs >= 2 * INSERTS, JSON.stringify(sync.numbers));
      t.true(sync.numbers.writesPerSync <= 16);
      // Each transaction re-reads the database header (its change counter).
      t.is(reread.file, path.join(d, "rb.db"));
      t.true(reread.numbers.repeatedReads >= INSERTS - 1, JSON.stringify(reread.numbers));
    },
  },
  {
    name: `sqlite3, ${INSERTS} INSERTs each in its own transaction, WAL`,
    run(d) {
      fs.writeFileSync(path.join(d, "wal.sql"), inserts("PRAGMA journal_mode=WAL;", INSERTS));
      return { argv: ["sh", "-c", "sqlite3 wal.db < wal.sql"], cwd: d };
    },
    expect: ["fsync-heavy"],
    check(t, report, [sync]) {
      // WAL in synchronous=FULL (the default) syncs the log at every commit.
      t.true(sync.numbers.syncs >= INSERTS, JSON.stringify(sync.numbers));
      t.true(sync.numbers.writesPerSync <= 4, JSON.stringify(sync.numbers));
    },
  },
  {
    name: "tar cf of 150 small files",
    run(d) {
      workdir(path.relative(dir, d), { files: 150, sub: "src" });
      return { argv: ["tar", "cf", "out.tar", "src"], cwd: d };
    },
    expect: ["many-small-files"],
    check(t, report, [small], d) {
      t.true(small.numbers.files >= 150, JSON.stringify(small.numbers));
      // Each source file was read whole, once (one read, then the end of file at most).
      const src = report.files.filter((f) => f.path.startsWith(path.join(d, "src") + "/"));
      t.is(src.length, 150);
      t.true(src.every((f) => f.writeOps === 0 && f.readOps <= 2));
    },
  },
  {
    name: "git add of a tree of 150 small files",
    run(d) {
      workdir(path.relative(dir, d), { files: 150 });
      const env = { ...process.env, HOME: d, GIT_CONFIG_NOSYSTEM: "1" };
      const init = spawnSync("git", ["init", "-q", "."], { cwd: d, env, encoding: "utf8" });
      if (init.status !== 0) throw new Error(`git init: ${init.stderr}`);
      return { argv: ["git", "add", "."], cwd: d, env };
    },
    expect: ["many-small-files"],
    check(t, report, [small]) {
      // 150 files read, 150 objects written (each its own small file).
      t.true(small.numbers.files >= 300, JSON.stringify(small.numbers));
    },
  },
  {
    name: "one small write per file: for i in $(seq 150); do echo hi > f$i; done",
    run: (d) => ({ argv: ["bash", "-c", "for i in $(seq 150); do echo hi > f$i; done"], cwd: d }),
    expect: ["many-small-files"],
    check(t, report, [small], d) {
      t.true(small.numbers.files >= 150, JSON.stringify(small.numbers));
      const written = report.files.filter((f) => path.dirname(f.path) === d && /\/f\d+$/.test(f.path));
      t.is(written.length, 150);
      t.true(written.every((f) => f.writeOps === 1 && f.writeBytes === 3 && f.readOps === 0), "one write of \"hi\\n\" each");
    },
  },
  {
    name: "a shell loop of 40 execs: the loader's reads of libc are not the program's random reads",
    run: (d) => ({ argv: ["bash", "-c", "for i in $(seq 40); do /bin/true; done"], cwd: d }),
    expect: [],
    check(t, report) {
      // The loader did read libc at each exec, small and out of order.
      const libc = report.files.find((f) => /\/libc\.so\.6$/.test(f.path));
      t.truthy(libc, "libc was read");
      t.true(libc.readOps >= 40 && libc.readAccess.randomOps > libc.readOps / 2, JSON.stringify(libc.readAccess));
    },
  },
  {
    name: "1,500 names probed with stat that are not there (bash [ -e ])",
    run: (d) => ({ argv: ["bash", "-c", "for i in $(seq 1500); do [ -e missing$i ]; done; true"], cwd: d }),
    expect: ["metadata-heavy"],
    check(t, report, [meta]) {
      t.true(meta.numbers.failed >= 1500, JSON.stringify(meta.numbers));
    },
  },
  {
    name: "1,000 unbuffered writes of 100 B (write() each)",
    run: (d) => ({ argv: [bin.writes, path.join(d, "out"), "1000", "100"], cwd: d }),
    expect: ["tiny-writes"],
    check(t, report, [tiny], d) {
      t.is(tiny.file, path.join(d, "out"));
      t.deepEqual([tiny.numbers.writes, tiny.numbers.smallWrites, tiny.numbers.writeBytes], [1000, 1000, 100_000]);
    },
  },
  {
    name: "the same 1,000 writes of 100 B through a 64 KiB stdio buffer",
    run: (d) => ({ argv: [bin.fwrites, path.join(d, "out"), "1000", "100", "65536"], cwd: d }),
    expect: [],
    check(t, report, _, d) {
      const out = report.files.find((f) => f.path === path.join(d, "out"));
      t.is(out.writeOps, 2, "100,000 bytes in a 64 KiB buffer: one full write and the rest at fclose");
    },
  },
  {
    name: "fsync after each of 50 writes of 4 KiB",
    run: (d) => ({ argv: [bin.access, "write-fsync", path.join(d, "out"), "50", "4096"], cwd: d }),
    expect: ["fsync-heavy"],
    check(t, report, [sync]) {
      t.deepEqual([sync.numbers.syncs, sync.numbers.writes, sync.numbers.writesPerSync], [50, 50, 1]);
    },
  },
  {
    name: "dd oflag=direct: 200 writes of 4 KiB bypass the page cache",
    run: (d) => ({ argv: ["dd", "if=/dev/zero", `of=${path.join(d, "out")}`, "bs=4096", "count=200", "oflag=direct"], cwd: d }),
    expect: ["direct-io"],
    check(t, report, [direct], d) {
      t.is(direct.file, path.join(d, "out"));
      t.is(direct.severity, "info");
      t.deepEqual([direct.numbers.ops, direct.numbers.bytes], [200, 200 * 4096]);
    },
  },
  {
    name: "python3 reading a 16 MiB file through mmap",
    run(d) {
      const data = path.join(d, "big.bin");
      fs.writeFileSync(data, Buffer.alloc(16 << 20, 1));
      const script =
        "import mmap, sys\n" +
        "with open(sys.argv[1], 'rb') as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:\n" +
        "    print(sum(m[i] for i in range(0, len(m), 4096)))\n";
      fs.writeFileSync(path.join(d, "mm.py"), script);
      return { argv: ["/usr/bin/python3", "-I", "-S", "mm.py", data], cwd: d };
    },
    expect: ["mapped-file"],
    check(t, report, [mapped], d) {
      t.is(mapped.file, path.join(d, "big.bin"));
      t.is(mapped.numbers.bytesMapped, 16 << 20);
      t.is(mapped.severity, "info");
    },
  },
];

for (const row of CORPUS) {
  test.serial(`${row.name} → ${row.expect.length ? row.expect.join(", ") : "no finding"}`, (t) => {
    const d = workdir(row.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40));
    const { argv, cwd, env } = row.run(d);
    // The report to a file: the programs' own stdout (sqlite3's pragmas, python's print) stays apart.
    const saved = path.join(d, "report.json");
    const { status, stderr } = runCli([...(row.method ? ["--method", row.method] : []), "--json", saved, "--", ...argv], { cwd, env });
    t.is(status, 0, stderr);
    const report = JSON.parse(fs.readFileSync(saved, "utf8"));
    t.is(report.exit?.code, 0, stderr);
    // A finding judged by a share of the run's time (metadata-heavy) may
    // come or not with the machine's load: allowed where the row says so,
    // and then it must say the time it judged by.
    const timed = report.findings.filter((f) => row.timed?.includes(f.code));
    for (const f of timed) t.regex(f.text, /% of the run\.$/, f.text);
    const found = report.findings.filter((f) => !timed.includes(f));
    t.deepEqual(
      found.map((f) => f.code),
      row.expect,
      found.map((f) => `${f.code}: ${f.text}`).join("\n"),
    );
    for (const f of found) {
      t.true(f.text.length > 0 && f.advice.length > 0, `${f.code} has its text and advice`);
      t.true(["info", "warn"].includes(f.severity));
    }
    row.check?.(t, report, found, d);
  });
}

test.serial("a report saved before reports carried findings gets them from its figures: iops report, and findings()", (t) => {
  const d = workdir("saved-before");
  const { status, report, stderr } = runCliJson(["--", bin.access, "write-fsync", path.join(d, "out"), "50", "4096"], { cwd: d });
  t.is(status, 0, stderr);
  const old = structuredClone(report);
  for (const k of ["findings", "callTime", "mappings", "heatmap"]) delete old[k];
  for (const f of old.files) for (const k of ["seconds", "syncs", "openFlags", "repeatedReads"]) delete f[k];
  const saved = path.join(d, "old.json");
  fs.writeFileSync(saved, JSON.stringify(old));
  const shown = runCli(["report", saved]);
  t.is(shown.status, 0, shown.stderr);
  t.true(shown.stdout.includes("\nFindings:\n  - Heavy syncing: 50 syncs for 50 writes (one per write, 4 KiB written per sync)"), shown.stdout);
  t.deepEqual(
    iops.findings(old).map((f) => [f.code, f.numbers.syncs]),
    [["fsync-heavy", 50]],
  );
});

test.serial("profile() of 150 files written once each (fs.writeFileSync): the same findings in its report, said of the window", async (t) => {
  const d = workdir("profile-small-files");
  const report = await iops.profile(() => {
    for (let i = 0; i < 150; i++) fs.writeFileSync(path.join(d, `p${i}`), "hi\n");
  });
  t.deepEqual(report.findings.map((f) => f.code), ["many-small-files"], report.findings.map((f) => f.text).join("\n"));
  const [small] = report.findings;
  t.is(small.numbers.files, 150);
  t.is(small.numbers.ops, 150);
  // A window of this process, not a command's whole run: the text says so.
  t.regex(small.text, /\(in the [\d.]+ (s|ms|µs) watched\)\.$/);
});
