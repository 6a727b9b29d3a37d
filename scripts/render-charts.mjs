#!/usr/bin/env node
/**
 * Renders every chart of real runs to PNGs, so a person can look at them:
 * sqlite3 (2,000 INSERTs, each its own transaction), tar of 2,000 small
 * files, a long pread loop, and a writer of mixed sizes. Each run is traced
 * by `iops --html --json`; the page is opened in headless Chromium
 * (playwright-core, /usr/bin/chromium) and each chart screenshotted, with
 * the mode bar shown (the mouse over the chart) to check titles stay clear
 * of it; the notebook's output (`%%iops --histogram --heatmap`) is rendered
 * from the same report. Writes to a temporary directory (or the one given)
 * and prints the PNGs' paths; never into the repository.
 *
 *   npm run build:ts && node scripts/render-charts.mjs [out-dir]
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const require = createRequire(import.meta.url);
const { notebookDisplay } = require(path.join(ROOT, "dist", "render", "notebook.js"));
const CLI = path.join(ROOT, "dist", "cli.js");

const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), "iops-charts-"));
fs.mkdirSync(out, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "iops-charts-work-"));

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r;
}

/** The C fixture `name` built into the work directory. */
function fixture(name) {
  const exe = path.join(work, name);
  sh("gcc", ["-O2", "-static", "-pthread", "-o", exe, path.join(ROOT, "__test__", "fixtures", `${name}.c`)]);
  return exe;
}

/** The workloads: name → argv, with whatever they need made first. */
function workloads() {
  const access = fixture("access");
  const writes = fixture("writes");
  const db = path.join(work, "test.db");
  const inserts = ["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"];
  for (let i = 0; i < 2000; i++) inserts.push(`INSERT INTO t (v) VALUES ('row ${i}');`);
  const sql = path.join(work, "inserts.sql");
  fs.writeFileSync(sql, inserts.join("\n"));
  const tree = path.join(work, "tree");
  for (let d = 0; d < 20; d++) {
    fs.mkdirSync(path.join(tree, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(tree, `d${d}`, `f${f}.txt`), "x".repeat(100 + ((d * 100 + f) % 3000)));
  }
  const data = path.join(work, "records.dat");
  fs.writeFileSync(data, Buffer.alloc(4096 * 4096));
  return {
    sqlite: ["sh", "-c", `sqlite3 "$1" < "$2"`, "sh", db, sql],
    tar: ["tar", "-cf", path.join(work, "tree.tar"), "-C", work, "tree"],
    "pread-loop": [access, "pread-random", data, "200000", "4096", "4096"],
    "mixed-writes": ["sh", "-c", `"$1" "$2" 2000 100 && "$1" "$3" 200 65536 && "$1" "$4" 20 1048576`, "sh", writes, path.join(work, "a"), path.join(work, "b"), path.join(work, "c")],
  };
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  for (const [name, argv] of Object.entries(workloads())) {
    const page = path.join(work, `${name}.html`);
    const json = path.join(work, `${name}.json`);
    sh(process.execPath, [CLI, "--html", page, "--json", json, "--", ...argv]);
    const report = JSON.parse(fs.readFileSync(json, "utf8"));

    // The notebook's output, as a page of its own.
    const bundle = notebookDisplay(report, { histogram: true, heatmap: true, top: 10 });
    const nbPage = path.join(work, `${name}-notebook.html`);
    fs.writeFileSync(nbPage, `<!doctype html><html><head><meta charset="utf-8"></head><body>${bundle["text/html"]}</body></html>`);

    for (const [where, file] of [
      ["page", page],
      ["notebook", nbPage],
    ]) {
      const tab = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      await tab.goto(`file://${file}`);
      await tab.waitForLoadState("load");
      const ids = await tab.$$eval(".iops-chart", (els) => els.map((e) => e.id));
      for (const id of ids) {
        const el = tab.locator(`#${id}`);
        await el.scrollIntoViewIfNeeded();
        await el.hover(); // shows the mode bar
        const png = path.join(out, `${name}-${where}-${id.replace(/^iops-(fig|[0-9a-f]+)-/, "")}.png`);
        await el.screenshot({ path: png });
        console.log(png);
      }
      if (where === "page") {
        const full = path.join(out, `${name}-page.png`);
        await tab.evaluate(() => window.scrollTo(0, 0));
        await tab.screenshot({ path: full }); // the top: findings, time, summary
        console.log(full);
      }
      await tab.close();
    }
  }
} finally {
  await browser.close();
  fs.rmSync(work, { recursive: true, force: true });
}
