/**
 * The docs notebooks in a real JupyterLab 4 and Notebook 7 (pip's
 * `jupyterlab` and `notebook`, started headless on a free port with a
 * token) driven through Debian's Chromium by playwright-core, with the
 * tslab kernels of the notebook scratch project: run all, the tables and
 * charts drawn (Plotly's `.main-svg` in each chart), saved, the saved file's
 * size, and the charts drawn again after a reload. Where no script runs (a
 * notebook opened untrusted, whose HTML the frontend sanitises; an nbconvert
 * export read with JavaScript off) each chart shows as text instead. The
 * virtual environment is made by `npm test`'s set-up (scripts/test.mjs),
 * not inside a test.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

import test from "ava";
import { chromium } from "playwright-core";

import { ROOT } from "./_support/util.mjs";
import { executeNotebook, notebookScratch, plotlyCopies } from "./_support/notebook.mjs";
import { jupyterLabVenv, startJupyterLab, startNotebook7 } from "./_support/jupyterlab.mjs";

const CHROMIUM = "/usr/bin/chromium";
const DOCS = path.join(ROOT, "docs", "notebooks");

let scratch;
let root;
let lab;
let notebook7;
let browser;

/** Every cell in the DOM, so every output's scripts run without scrolling. */
const SETTINGS = { "@jupyterlab/notebook-extension/tracker": { windowingMode: "none" } };

test.before(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium; scripts/setup-dev.sh does it)`);
  scratch = notebookScratch();
  // Inside the scratch project: the kernels (started in the notebook's folder) find the installed package.
  root = fs.mkdtempSync(path.join(scratch, "lab-"));
  for (const name of fs.readdirSync(DOCS)) fs.copyFileSync(path.join(DOCS, name), path.join(root, name));
  lab = { ...(await startJupyterLab(root, scratch, SETTINGS)), page: (name) => `lab/tree/${name}?reset` };
  notebook7 = { ...(await startNotebook7(root, scratch, SETTINGS)), page: (name) => `notebooks/${name}` };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
});

test.after.always(async () => {
  await browser?.close();
  await lab?.stop();
  await notebook7?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** Every code cell's prompt shows an execution count: the run is over. */
const allExecuted = () => {
  const prompts = [...document.querySelectorAll(".jp-Notebook .jp-CodeCell .jp-InputPrompt")].map((e) => e.textContent ?? "");
  return prompts.length > 0 && prompts.every((p) => /\[\d+\]/.test(p));
};

/** Each chart output: how many Plotly SVG layers it holds (0: not drawn). */
const chartLayers = () => [...document.querySelectorAll(".jp-OutputArea-output .iops-chart")].map((e) => e.querySelectorAll(".main-svg").length);

/** Every chart output has its Plotly SVG layers. */
const allDrawn = () => {
  const layers = [...document.querySelectorAll(".jp-OutputArea-output .iops-chart")].map((e) => e.querySelectorAll(".main-svg").length);
  return layers.length > 0 && layers.every((n) => n > 0);
};

/** The text pictures of the charts that a reader sees (hidden ones left out). */
const visibleChartTexts = (page) => page.locator(".iops-chart-text:visible").allTextContents();

/** The notebook's session with a tslab kernel, started through the server's API before the page opens it. */
async function startSession(server, name) {
  const r = await fetch(`${server.url}/api/sessions?token=${server.token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path: name, name, type: "notebook", kernel: { name: "tslab" } }),
  });
  if (!r.ok) throw new Error(`POST /api/sessions: ${r.status} ${await r.text()}`);
}

/** JupyterLab's "Select Kernel" dialog, if it shows: the TypeScript kernel (tslab); whether it showed. */
async function answerKernelDialog(page) {
  const dialog = page.locator(".jp-Dialog", { hasText: "Select Kernel" });
  if ((await dialog.count()) === 0) return false;
  await dialog.locator("select").selectOption({ label: "TypeScript" });
  await dialog.locator("button", { hasText: /^Select$/ }).click();
  return true;
}

/**
 * Notebook 7.6's own error on each of its pages, a notebook open or not
 * (its file browser too): its keyboard-shortcuts plugin reads the schema of
 * a plugin it has not loaded. Not ours, so left out of a page's errors.
 */
const NOTEBOOK7_OWN = /reading 'schema'\)[\s\S]*\/static\/notebook\/notebook_core\./;

/** Opens the notebook in JupyterLab (`lab`) or Notebook 7 (`notebook7`), its kernel started. */
async function openNotebook(name, server = lab) {
  await startSession(server, name);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => {
    if (!(server === notebook7 && NOTEBOOK7_OWN.test(e.stack ?? ""))) errors.push(e.message);
  });
  // JupyterLab's ?reset: a fresh workspace, with no tab of an earlier test's notebook restored.
  const at = server.page(name);
  await page.goto(`${server.url}/${at}${at.includes("?") ? "&" : "?"}token=${server.token}`);
  await page.waitForSelector(".jp-Notebook .jp-CodeCell", { timeout: 120_000 });
  return { page, errors };
}

/** Run > Run All Cells, once the kernel is ready; resolves when every cell has run. */
async function runAll(page) {
  const idle = () => page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").filter({ visible: true }).first().waitFor({ timeout: 120_000 });
  await idle();
  // The page may still be settling on its kernel (a dialog, a kernel change): run once it has been idle a while.
  await page.waitForTimeout(3000);
  if (await answerKernelDialog(page)) await page.waitForTimeout(5000);
  await idle();
  const clickRunAll = async () => {
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  };
  const started = () => page.waitForFunction(() => /\[(\*|\d+)\]/.test(document.querySelector(".jp-Notebook .jp-CodeCell .jp-InputPrompt")?.textContent ?? ""), null, { timeout: 60_000, polling: 250 });
  await clickRunAll();
  // Requests sent while the kernel was being replaced are lost: once more, if nothing started.
  await started().catch(async () => {
    await answerKernelDialog(page);
    await idle();
    await clickRunAll();
    await started();
  });
  try {
    await page.waitForFunction(allExecuted, null, { timeout: 240_000, polling: 500 });
  } catch (e) {
    const shot = path.join(os.tmpdir(), `iops-jupyterlab-${Date.now()}.png`);
    await page.screenshot({ path: shot });
    throw new Error(`${e.message} (the page: ${shot}; the servers' logs: ${lab.log().slice(-2000)} ${notebook7.log().slice(-2000)})`);
  }
}

/** Saves with Ctrl+S and resolves with the saved file once it holds the outputs. */
async function save(page, name) {
  await page.locator(".jp-Notebook").first().click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Control+s");
  const file = path.join(root, name);
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const text = fs.readFileSync(file, "utf8");
    let nb = null;
    try {
      nb = JSON.parse(text);
    } catch {
      // Being written.
    }
    if (nb?.cells.some((c) => c.cell_type === "code" && c.outputs.length > 0)) return { text, bytes: Buffer.byteLength(text), nb };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} was not saved with its outputs`);
}

async function shutDownKernels(server = lab) {
  const sessions = await (await fetch(`${server.url}/api/sessions?token=${server.token}`)).json();
  for (const s of sessions) await fetch(`${server.url}/api/sessions/${s.id}?token=${server.token}`, { method: "DELETE" });
}

test.serial("histogram_visualization.ipynb in JupyterLab: run all draws every chart, Plotly saved once, drawn again after a reload", async (t) => {
  t.timeout(600_000);
  const name = "histogram_visualization.ipynb";
  const { page, errors } = await openNotebook(name);
  await runAll(page);
  await page.waitForFunction(() => {
    const layers = [...document.querySelectorAll(".jp-OutputArea-output .iops-chart")].map((e) => e.querySelectorAll(".main-svg").length);
    return layers.length > 0 && layers.every((n) => n > 0);
  }, null, { timeout: 60_000, polling: 500 });
  const drawn = await page.evaluate(chartLayers);
  t.log(`charts drawn live: ${drawn.length}`);
  t.true(drawn.length >= 4, `two --histogram cells, two charts each at least: ${drawn}`);
  t.true(drawn.every((n) => n >= 3), `each chart drawn by Plotly (its SVG layers): ${drawn}`);
  // No script ran, the text histogram stays; charts drawn, it is hidden.
  t.is(await page.locator(".iops-text-histogram:visible").count(), 0);
  // So is each chart's own text picture, one per chart.
  t.is(await page.locator(".jp-OutputArea-output .iops-chart-text").count(), drawn.length);
  t.deepEqual(await visibleChartTexts(page), []);

  const saved = await save(page, name);
  const bundle = fs.statSync(createRequire(path.join(scratch, "package.json")).resolve("plotly.js-basic-dist-min")).size;
  t.log(`saved ${name}: ${saved.bytes} bytes (the Plotly bundle alone: ${bundle} bytes)`);
  t.is(plotlyCopies(saved.text), 1, "Plotly saved once");
  // The one bundle (JSON-escaped in the file) plus the rest, well under 200 KB.
  t.true(saved.bytes < bundle * 1.1 + 200_000, `${saved.bytes} bytes`);

  await page.reload();
  await page.waitForSelector(".jp-Notebook .jp-CodeCell", { timeout: 120_000 });
  await page.waitForFunction(() => {
    const layers = [...document.querySelectorAll(".jp-OutputArea-output .iops-chart")].map((e) => e.querySelectorAll(".main-svg").length);
    return layers.length > 0 && layers.every((n) => n > 0);
  }, null, { timeout: 60_000, polling: 500 });
  t.deepEqual(await page.evaluate(chartLayers), drawn, "the saved outputs draw the same charts after a reload");
  t.deepEqual(await visibleChartTexts(page), []);
  t.deepEqual(errors, []);
  await page.close();
  await shutDownKernels();

  // The saved notebook exported by nbconvert (JupyterLab's own dependency) draws them too, offline.
  const exported = path.join(root, "histogram_visualization.html");
  const r = spawnSync(path.join(jupyterLabVenv(), "bin", "jupyter-nbconvert"), ["--to", "html", "--output", exported, path.join(root, name)], { encoding: "utf8" });
  t.is(r.status, 0, r.stderr);
  const html = await browser.newPage();
  await html.route(/^https?:/, (route) => route.abort());
  await html.goto(`file://${exported}`);
  await html.waitForFunction(() => {
    const charts = [...document.querySelectorAll(".iops-chart")];
    return charts.length > 0 && charts.every((e) => e.querySelector(".main-svg"));
  }, null, { timeout: 60_000, polling: 500 });
  t.is(await html.locator(".iops-chart").count(), drawn.length, "nbconvert's HTML draws every chart");
  t.deepEqual(await visibleChartTexts(html), []);
  await html.close();

  // The same export read with JavaScript off: every chart shows as text, none is drawn.
  const off = await browser.newPage({ javaScriptEnabled: false });
  await off.route(/^https?:/, (route) => route.abort());
  await off.goto(`file://${exported}`);
  const texts = await visibleChartTexts(off);
  t.is(texts.length, drawn.length, "each chart's text picture shows");
  t.is(await off.locator(".main-svg").count(), 0);
  assertFirstCellPictures(t, texts);
  await off.close();
});

/**
 * The text pictures of the docs notebook's first --histogram cell, against
 * what it does: 5 files of 1 KiB, 3 of 10 KiB and 2 of 100 KiB written, then
 * each read back whole (one read each): per size bin as many reads as writes.
 */
function assertFirstCellPictures(t, texts) {
  const [count, bytes] = texts;
  t.regex(count, /^Operations by size \(R = reads, W = writes/);
  const row = (text, label) => text.split("\n").find((l) => l.trimStart().startsWith(`${label} |`));
  for (const [label, ops, moved] of [
    ["1 KiB", 10, "10.00 KiB"],
    ["8 KiB", 6, "60.00 KiB"],
    ["64 KiB", 4, "400.00 KiB"],
  ]) {
    const line = row(count, label);
    t.truthy(line, `a row for ${label} in:\n${count}`);
    t.true(line.endsWith(` ${ops} ops, ${moved}`), line);
    const bar = line.split("| ")[1].split(" ")[0];
    t.is((bar.match(/R/g) ?? []).length, (bar.match(/W/g) ?? []).length, `as many reads as writes: ${line}`);
  }
  t.regex(bytes, /^Bytes moved by size \(R = read, W = written/);
  t.true(row(bytes, "64 KiB").endsWith(" 400.00 KiB in 4 ops"), bytes);
}

test.serial("histogram_visualization.ipynb opened untrusted, where no script runs (JupyterLab, Notebook 7): each chart shows as text", async (t) => {
  t.timeout(600_000);
  // Executed by nbclient and never signed: both frontends open it untrusted and sanitise its HTML.
  const executed = executeNotebook(scratch, path.join(DOCS, "histogram_visualization.ipynb"));
  const name = "untrusted_histograms.ipynb";
  fs.writeFileSync(path.join(root, name), JSON.stringify(executed));
  const charts = executed.cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.data?.["application/vnd.plotly.v1+json"])).length;
  t.true(charts >= 4, `${charts} chart outputs`);
  for (const server of [lab, notebook7]) {
    const { page, errors } = await openNotebook(name, server);
    await page.locator(".jp-OutputArea-output .iops-chart-text").nth(charts - 1).waitFor({ state: "attached", timeout: 60_000 });
    const texts = await visibleChartTexts(page);
    t.is(texts.length, charts, `${server.page(name)}: every chart's text picture shows`);
    t.is(await page.locator(".iops-chart .main-svg").count(), 0, "no chart drawn: no script ran");
    t.is(await page.locator(".jp-OutputArea-output .iops-text-histogram:visible").count(), 2, "nor did the report's text histogram hide");
    assertFirstCellPictures(t, texts);
    t.deepEqual(errors, []);
    await page.close();
    await shutDownKernels(server);
  }
});

test.serial("histogram_visualization.ipynb in Notebook 7: run all draws every chart, drawn again after a reload", async (t) => {
  t.timeout(600_000);
  const name = "notebook7_histograms.ipynb";
  fs.copyFileSync(path.join(DOCS, "histogram_visualization.ipynb"), path.join(root, name));
  const { page, errors } = await openNotebook(name, notebook7);
  await runAll(page);
  await page.waitForFunction(allDrawn, null, { timeout: 60_000, polling: 500 });
  const drawn = await page.evaluate(chartLayers);
  t.log(`charts drawn live in Notebook 7: ${drawn.length}`);
  t.true(drawn.length >= 4, `two --histogram cells, two charts each at least: ${drawn}`);
  t.true(drawn.every((n) => n >= 3), `each chart drawn by Plotly (its SVG layers): ${drawn}`);
  t.deepEqual(await visibleChartTexts(page), []);
  const saved = await save(page, name);
  t.is(plotlyCopies(saved.text), 1, "Plotly saved once");
  await page.reload();
  await page.waitForSelector(".jp-Notebook .jp-CodeCell", { timeout: 120_000 });
  await page.waitForFunction(allDrawn, null, { timeout: 60_000, polling: 500 });
  t.deepEqual(await page.evaluate(chartLayers), drawn, "the saved outputs draw the same charts after a reload");
  t.deepEqual(await visibleChartTexts(page), []);
  t.deepEqual(errors, []);
  await page.close();
  await shutDownKernels(notebook7);
});

test.serial("basic_usage.ipynb in JupyterLab: run all shows each profiled cell's table with exact figures", async (t) => {
  t.timeout(600_000);
  const name = "basic_usage.ipynb";
  const { page, errors } = await openNotebook(name);
  await runAll(page);
  const tables = await page.evaluate(() =>
    [...document.querySelectorAll(".jp-OutputArea-output table.iops-summary")].map((table) =>
      Object.fromEntries([...table.querySelectorAll("tr")].map((tr) => [tr.querySelector("th")?.textContent, tr.querySelector("td")?.textContent])),
    ),
  );
  t.is(tables.length, 4, "%%iops, %iops, the async cell, --all-fds");
  t.is(tables[0]["Write Operations"], "1,000");
  t.is(tables[0]["Bytes Written"], "3.91 MiB (4,096,000 bytes)");
  t.is(tables[1]["Bytes Read"], "3.91 MiB (4,096,000 bytes)");
  t.is(tables[2]["Write Operations"], "100");
  const saved = await save(page, name);
  t.is(plotlyCopies(saved.text), 0, "no charts, no Plotly");
  t.log(`saved ${name}: ${saved.bytes} bytes`);
  t.deepEqual(errors, []);
  await page.close();
  await shutDownKernels();
});
