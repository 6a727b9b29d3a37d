/**
 * profile() and openWindow() on this very process (the ava worker), once per
 * live source (`eachMethod`: ebpf, ptrace): a helper process traces every
 * thread, and marker syscalls delimit the window exactly, libuv's thread
 * pool included. The expected figures are the code's own, whatever the source.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import test from "ava";

import { compileFixtures, counts, eachMethod, fileEntry, iops, makeTempDir, patternBuffer, syscallRow, totals } from "./_support/util.mjs";

const { IopsError } = iops;

/** profile() and openWindow() with `method` unless the call names another. */
function withMethod(method) {
  return {
    profile: (fn, options = {}) => iops.profile(fn, { method, ...options }),
    openWindow: (options = {}) => iops.openWindow({ method, ...options }),
  };
}

let dir;

let bin;

test.before(() => {
  dir = makeTempDir("iops-profile-");
  bin = compileFixtures(dir, ["writes"]);
});

test.after.always(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const RECORDS = 64;
const DATA_SIZE = RECORDS * 4096;

function dataFile(name) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, patternBuffer(RECORDS, 4096));
  return p;
}

eachMethod(test, "fs.promises reads on libuv's thread pool: exactly N operations, exact bytes", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const N = 48;
  const p = dataFile("promises-read.dat");
  const seen = [];
  const report = await profile(async () => {
    const fh = await fs.promises.open(p, "r");
    try {
      const buf = Buffer.alloc(4096);
      for (let i = 0; i < N; i++) {
        const { bytesRead } = await fh.read(buf, 0, 4096, i * 4096);
        seen.push(bytesRead === 4096 && buf[0] === 65 + (i % 26) && buf[4095] === 65 + (i % 26));
      }
    } finally {
      await fh.close();
    }
  });
  t.deepEqual(seen, new Array(N).fill(true), "the reads returned the file's records");
  t.is(report.method, method);
  t.is(report.pid, process.pid);
  t.is(report.exit, null);
  t.deepEqual(counts(report.summary), totals(N, N * 4096, 0, 0));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: N, writeOps: 0, readBytes: N * 4096, writeBytes: 0 });
  t.deepEqual(syscallRow(report, "pread64"), { name: "pread64", calls: N, bytes: N * 4096, failed: 0 });
  t.true(report.metadataOps.opens >= 1);
  t.true(report.metadataOps.closes >= 1);
  t.deepEqual(report.failedOps, { total: 0, byErrno: {} });
  t.deepEqual(report.warnings, []);
});

eachMethod(test, "concurrent fs.promises reads spread over the pool threads: exactly N operations", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const N = 200;
  const p = dataFile("concurrent-read.dat");
  const fh = await fs.promises.open(p, "r");
  let results;
  const report = await profile(async () => {
    results = await Promise.all(
      Array.from({ length: N }, (_, i) => fh.read(Buffer.alloc(1024), 0, 1024, ((i * 7) % RECORDS) * 4096)),
    );
  });
  await fh.close();
  t.true(results.every((r) => r.bytesRead === 1024));
  t.deepEqual(counts(report.summary), totals(N, N * 1024, 0, 0));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: N, writeOps: 0, readBytes: N * 1024, writeBytes: 0 });
  // The file was opened before the window: no open inside it.
  t.is(report.metadataOps.opens, 0);
});

eachMethod(test, "1000 fs.writeSync of 4096 bytes: exactly 1000 writes and 4,096,000 bytes", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const p = path.join(dir, "write-sync.dat");
  const report = await profile(() => {
    const fd = fs.openSync(p, "w");
    const buf = Buffer.alloc(4096, 0x61);
    for (let i = 0; i < 1000; i++) fs.writeSync(fd, buf);
    fs.closeSync(fd);
  });
  t.deepEqual(counts(report.summary), totals(0, 0, 1000, 4_096_000));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 1000, readBytes: 0, writeBytes: 4_096_000 });
  t.true(report.metadataOps.opens >= 1);
  t.is(report.latency.write.count, 1000);
  t.is(fs.statSync(p).size, 4_096_000);
});

eachMethod(test, "an empty profile() counts nothing", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  for (const fn of [() => {}, async () => {}]) {
    const report = await profile(fn);
    t.is(report.method, method);
    t.deepEqual(counts(report.summary), totals(0, 0, 0, 0));
    t.deepEqual(
      report.files.filter((f) => f.kind === "file" || f.kind === "blockDevice"),
      [],
    );
    t.deepEqual(report.histogram, { read: [], write: [] });
    t.deepEqual(report.failedOps, { total: 0, byErrno: {} });
  }
});

eachMethod(test, "I/O before and after the window is not counted", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const p = path.join(dir, "outside.dat");
  const fd = fs.openSync(p, "w");
  const buf = Buffer.alloc(100, 1);
  for (let i = 0; i < 10; i++) fs.writeSync(fd, buf);
  const report = await profile(() => {
    for (let i = 0; i < 3; i++) fs.writeSync(fd, buf);
  });
  for (let i = 0; i < 10; i++) fs.writeSync(fd, buf);
  fs.closeSync(fd);
  t.deepEqual(counts(report.summary), totals(0, 0, 3, 300));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 3, readBytes: 0, writeBytes: 300 });
  t.is(report.metadataOps.opens, 0);
  t.is(report.metadataOps.closes, 0);
});

eachMethod(test, "windows in a row, an fd given to another file between them: each window exact, the fd named by the file it holds then", async (t, method) => {
  // The helper keeps its tracer between windows (eBPF: the loaded program): nothing of one window may reach the next.
  const { profile } = withMethod(method);
  const files = [path.join(dir, "row-a.dat"), path.join(dir, "row-b.dat")];
  const buf = Buffer.alloc(512, 1);
  let fd = fs.openSync(files[0], "w");
  for (let round = 1; round <= 4; round++) {
    const p = files[(round - 1) % 2];
    const report = await profile(() => {
      for (let i = 0; i < round; i++) fs.writeSync(fd, buf);
    });
    t.is(report.method, method);
    t.deepEqual(counts(report.summary), totals(0, 0, round, round * 512), `window ${round}`);
    t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: round, readBytes: 0, writeBytes: round * 512 }, `window ${round}`);
    fs.closeSync(fd);
    fd = fs.openSync(files[round % 2], "w"); // the lowest free fd: most likely the same number
  }
  fs.closeSync(fd);
});

eachMethod(test, "profile() inside profile() rejects with IopsError EBUSY; the outer window still counts exactly", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const p = path.join(dir, "nested.dat");
  let inner;
  const report = await profile(async () => {
    const fd = fs.openSync(p, "w");
    for (let i = 0; i < 5; i++) fs.writeSync(fd, Buffer.alloc(200, 2));
    fs.closeSync(fd);
    inner = await profile(() => {}).then(
      () => null,
      (e) => e,
    );
  });
  t.true(inner instanceof IopsError, String(inner));
  t.is(inner.code, "EBUSY");
  t.deepEqual(counts(report.summary), totals(0, 0, 5, 1000));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 5, readBytes: 0, writeBytes: 1000 });

  // The window is released: the next profile() works.
  const after = await profile(() => fs.writeFileSync(p, "x".repeat(10)));
  t.deepEqual(fileEntry(after, p), { path: p, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 10 });
});

eachMethod(test, "openWindow(): a second window while one is open rejects with EBUSY; begin()/end() count exactly", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const p = path.join(dir, "window.dat");
  const w = await openWindow();
  t.is(w.method, method);
  t.is(w.notice, null);
  const second = await openWindow().then(
    () => null,
    (e) => e,
  );
  t.true(second instanceof IopsError, String(second));
  t.is(second.code, "EBUSY");
  const fd = fs.openSync(p, "w");
  w.begin();
  for (let i = 0; i < 7; i++) fs.writeSync(fd, Buffer.alloc(300, 3));
  const report = await w.end();
  fs.closeSync(fd);
  t.deepEqual(counts(report.summary), totals(0, 0, 7, 2100));
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 7, readBytes: 0, writeBytes: 2100 });
});

eachMethod(test, "when fn throws, the error is rethrown with the report of what it did attached", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  const p = path.join(dir, "throws.dat");
  const error = await t.throwsAsync(
    profile(() => {
      const fd = fs.openSync(p, "w");
      for (let i = 0; i < 10; i++) fs.writeSync(fd, Buffer.alloc(64, 4));
      fs.closeSync(fd);
      throw new Error("boom");
    }),
    { message: "boom" },
  );
  t.truthy(error.iopsReport);
  t.deepEqual(counts(error.iopsReport.summary), totals(0, 0, 10, 640));
  t.deepEqual(fileEntry(error.iopsReport, p), { path: p, kind: "file", readOps: 0, writeOps: 10, readBytes: 0, writeBytes: 640 });
});

/**
 * Values fn may throw that cannot carry the report as `.iopsReport`: each
 * is rethrown as the very value thrown, and the report reaches onReport.
 */
const UNATTACHABLE = {
  "a number": () => 42,
  "a string": () => "s",
  undefined: () => undefined,
  "null (a rejected promise)": () => null,
  "a symbol": () => Symbol("thrown"),
  "a bigint": () => 7n,
  "a frozen Error": () => Object.freeze(new Error("frozen")),
  "a sealed Error": () => Object.seal(new Error("sealed")),
  "a non-extensible object": () => Object.preventExtensions({ why: "no more properties" }),
  "a Proxy whose defineProperty trap throws": () =>
    new Proxy(new Error("proxied"), {
      defineProperty() {
        throw new TypeError("the proxy refuses");
      },
    }),
};

eachMethod(test, "fn throws what cannot carry the report (primitives, null, frozen, sealed, proxies): that very value is rethrown, and onReport gets the exact report", async (t, method) => {
  const { profile } = withMethod(method);
  for (const [what, make] of Object.entries(UNATTACHABLE)) {
    const thrown = make();
    const p = path.join(dir, "unattachable.dat");
    const reports = [];
    let caught = "nothing was thrown";
    try {
      await profile(
        async () => {
          const fd = fs.openSync(p, "w");
          for (let i = 0; i < 3; i++) fs.writeSync(fd, Buffer.alloc(10, 5));
          fs.closeSync(fd);
          if (what.startsWith("null")) return Promise.reject(thrown);
          throw thrown;
        },
        { onReport: (r) => reports.push(r) },
      );
    } catch (e) {
      caught = e;
    }
    t.true(Object.is(caught, thrown), `${what}: the value fn threw is what profile() rethrows`);
    if (typeof caught === "object" && caught !== null) t.false(Object.hasOwn(caught, "iopsReport"), `${what}: left as it was`);
    t.is(reports.length, 1, `${what}: onReport called once`);
    t.is(reports[0].method, method);
    t.deepEqual(counts(reports[0].summary), totals(0, 0, 3, 30), `${what}: fn's 3 writes of 10 bytes`);
    t.deepEqual(fileEntry(reports[0], p), { path: p, kind: "file", readOps: 0, writeOps: 3, readBytes: 0, writeBytes: 30 });
  }
});

eachMethod(test, "fn throws an Error: it is rethrown unchanged with .iopsReport, and onReport gets the same report; without onReport a primitive's lost report is a process warning", async (t, method) => {
  const { profile } = withMethod(method);
  const p = path.join(dir, "attachable.dat");
  const thrown = new RangeError("plain");
  const reports = [];
  const caught = await t.throwsAsync(
    profile(
      () => {
        fs.writeFileSync(p, "abcdef");
        throw thrown;
      },
      { onReport: (r) => reports.push(r) },
    ),
  );
  t.is(caught, thrown);
  t.is(caught.iopsReport, reports[0]);
  t.deepEqual(fileEntry(caught.iopsReport, p), { path: p, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 6 });

  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on("warning", onWarning);
  try {
    let caught;
    await profile(() => Promise.reject(17)).catch((e) => (caught = e));
    t.is(caught, 17);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("warning", onWarning);
  }
  const ours = warnings.filter((w) => w.name === "IopsWarning");
  t.is(ours.length, 1, "one warning: the report was not kept");
  t.regex(ours[0].message, /^profile\(\): fn threw a number, which cannot carry the report as \.iopsReport; pass options\.onReport to receive it$/);
});

eachMethod(test, "onReport: called with the returned report when fn returns; not a function is IopsError EINVAL before fn runs", async (t, method) => {
  const { profile } = withMethod(method);
  const p = path.join(dir, "on-report.dat");
  const reports = [];
  const report = await profile(() => fs.writeFileSync(p, "xyz"), { onReport: (r) => reports.push(r) });
  t.is(reports.length, 1);
  t.is(reports[0], report);
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 3 });
  for (const bad of [null, 1, "f", {}]) {
    let ran = false;
    const e = await t.throwsAsync(profile(() => (ran = true), { onReport: bad }), { instanceOf: IopsError });
    t.is(e.code, "EINVAL");
    t.regex(e.message, /^onReport must be a function, not (null|number|string|object)$/);
    t.false(ran, "fn did not run");
  }
});

eachMethod(test, "an unknown method is refused with IopsError EINVAL before fn runs, never measured by another source; the next window works", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  let ran = false;
  // "ebpf" was this list's first unknown name until the eBPF source came (issue 13): "dtrace" stands in.
  for (const method of ["dtrace", "PTRACE", 1]) {
    const error = await t.throwsAsync(profile(() => (ran = true), { method }), { instanceOf: IopsError });
    t.is(error.code, "EINVAL");
    t.regex(error.message, /^unknown method .*: one of ebpf, ptrace, strace$/);
  }
  t.false(ran);
  const p = path.join(dir, "after-unknown-method.dat");
  const report = await profile(() => fs.writeFileSync(p, Buffer.alloc(100)));
  t.is(report.method, method);
  t.deepEqual(fileEntry(report, p), { path: p, kind: "file", readOps: 0, writeOps: 1, readBytes: 0, writeBytes: 100 });
});

eachMethod(test, "profile() leaves this process untraced afterwards", async (t, method) => {
  const { profile, openWindow } = withMethod(method);
  await profile(() => fs.readFileSync(fileURLToPath(import.meta.url)));
  const status = fs.readFileSync("/proc/self/status", "utf8");
  t.regex(status, /^TracerPid:\s+0$/m);
});

eachMethod(test, "a child process started in the window is counted too (the README says so): its N writes, exactly", async (t, method) => {
  const N = 25;
  const S = 512;
  const out = path.join(dir, `child-${method}.dat`);
  const { profile } = withMethod(method);
  const report = await profile(async () => {
    execFileSync(bin.writes, [out, String(N), String(S)]);
  });
  t.is(fs.statSync(out).size, N * S, "ground truth: the child wrote N records");
  t.deepEqual(fileEntry(report, out), { path: out, kind: "file", readOps: 0, writeOps: N, readBytes: 0, writeBytes: N * S });
  const readme = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "README.md"), "utf8");
  t.true(readme.includes("and of the processes it starts meanwhile"), "the README's profile() sentence names the children");
});
