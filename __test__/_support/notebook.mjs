/**
 * Notebook test support: a scratch project with the package installed from
 * `npm pack` next to a stock tslab, as a user would have it, and a real
 * Jupyter (nbclient, through nbdriver.py) driving real tslab kernels there.
 * The kernelspecs live in the scratch folder and are found via JUPYTER_PATH:
 * nothing is written to the user's Jupyter configuration.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ROOT } from "./util.mjs";

export const TSLAB_VERSION = "1.0.22";
/** The Python that has nbclient and ipykernel (Debian's python3-nbclient). */
export const PYTHON = process.env.IOPS_TEST_PYTHON ?? "/usr/bin/python3";
const DRIVER = path.join(ROOT, "__test__", "_support", "nbdriver.py");

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

function checkPython() {
  const r = spawnSync(PYTHON, ["-c", "import nbclient, nbformat, ipykernel"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `the notebook tests need Jupyter's nbclient for ${PYTHON} (on Debian: apt-get install python3-nbclient python3-ipykernel; scripts/setup-dev.sh installs them): ${r.stderr || r.error}`,
    );
  }
}

/**
 * The scratch project: `npm pack` of this checkout and tslab installed with
 * npm into a folder under the OS temp dir, with the tslab and jslab
 * kernelspecs (plus one whose kernel runs under strace, for the
 * ptrace-refused case). Reused while the packed package is unchanged.
 */
export function notebookScratch() {
  checkPython();
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "iops-nb-pack-"));
  const tarballName = run("npm", ["pack", "--silent", "--pack-destination", packDir], ROOT).trim().split("\n").pop();
  const tarball = path.join(packDir, tarballName);
  const hash = createHash("sha256").update(fs.readFileSync(tarball)).digest("hex").slice(0, 16);
  const dir = path.join(fs.realpathSync(os.tmpdir()), `iops-nb-${TSLAB_VERSION}-${hash}`);
  if (!fs.existsSync(path.join(dir, ".ready"))) {
    removeOldScratches();
    fs.rmSync(dir, { recursive: true, force: true });
    const building = fs.mkdtempSync(`${dir}.building-`);
    run("npm", ["init", "-y"], building);
    run("npm", ["install", "--no-audit", "--no-fund", tarball, `tslab@${TSLAB_VERSION}`], building);
    fs.renameSync(building, dir);
    const tslab = path.join(dir, "node_modules", ".bin", "tslab");
    run(tslab, ["install", "--python", PYTHON, "--binary", tslab, "--prefix", path.join(dir, "jupyter")], dir);
    // A kernel that is already traced (by strace, stopping only at fsync): our
    // tracer's attach is refused with EPERM, as under a debugger or a strict
    // container. Started without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN
    // (capsh), so that eBPF is not permitted and the magics' default is ptrace.
    const traced = path.join(dir, "jupyter", "share", "jupyter", "kernels", "tslab-traced");
    fs.mkdirSync(traced, { recursive: true });
    fs.writeFileSync(
      path.join(traced, "kernel.json"),
      JSON.stringify({
        argv: [
          "capsh",
          "--drop=cap_bpf,cap_perfmon,cap_sys_admin",
          "--",
          "-c",
          `exec strace -f --seccomp-bpf -e trace=fsync -o /dev/null '${tslab}' kernel --config-path "$0"`,
          "{connection_file}",
        ],
        display_name: "TypeScript (traced by strace)",
        language: "typescript",
      }),
    );
    fs.writeFileSync(path.join(dir, ".ready"), "");
  }
  fs.rmSync(packDir, { recursive: true, force: true });
  return dir;
}

/**
 * A spec's own folder inside the scratch project (so that kernels started
 * there find the installed package), made by a serial `test.before` hook
 * (one the spec's later hooks run after) and removed after the tests.
 * `scratch` and `dir` are set once that hook has run; `path(name)` is a
 * file in `dir`, `quoted(name)` the same as a JavaScript string literal
 * for a cell, `report(name)` the JSON report a cell saved there.
 */
export function notebookWork(test, prefix = "work-") {
  const work = {
    scratch: undefined,
    dir: undefined,
    path: (name) => path.join(work.dir, name),
    quoted: (name) => JSON.stringify(work.path(name)),
    report: (name) => JSON.parse(fs.readFileSync(work.path(name), "utf8")),
  };
  test.serial.before(() => {
    work.scratch = notebookScratch();
    work.dir = fs.mkdtempSync(path.join(work.scratch, prefix));
  });
  test.after.always(() => {
    if (work.dir) fs.rmSync(work.dir, { recursive: true, force: true });
  });
  return work;
}

/**
 * Scratch projects of earlier builds (about 100 MB each) left by runs more
 * than a few hours ago; recent ones may belong to a run going on in another
 * checkout on this machine.
 */
function removeOldScratches() {
  const tmp = fs.realpathSync(os.tmpdir());
  const cutoff = Date.now() - 6 * 3600 * 1000;
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith("iops-nb-")) continue;
    const full = path.join(tmp, name);
    try {
      if (fs.statSync(full).mtimeMs < cutoff) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
}

function driverEnv(scratch) {
  return { ...process.env, JUPYTER_PATH: path.join(scratch, "jupyter", "share", "jupyter") };
}

/**
 * Runs `steps` (see nbdriver.py) in one fresh kernel, started in `cwd` (a
 * folder inside `scratch`, so that the kernel finds the installed package);
 * returns one result per step. A cell's result is { status, outputs }.
 * `env`: the driver's and its kernels' environment (default: ours, with
 * JUPYTER_PATH at the scratch kernelspecs).
 */
export function runSession(scratch, steps, { kernel = "tslab", timeout = 120, cwd = scratch, env = driverEnv(scratch) } = {}) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iops-nb-session-")), "results.json");
  const r = spawnSync(PYTHON, [DRIVER, "session", "--cwd", cwd, "--out", out, "--kernel", kernel, "--timeout", String(timeout)], {
    input: JSON.stringify(steps),
    env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`nbdriver session failed (${r.status ?? r.signal}):\n${r.stderr}`);
  const results = JSON.parse(fs.readFileSync(out, "utf8"));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return results;
}

/** Executes a notebook file with nbclient in `scratch`; returns the executed notebook. */
export function executeNotebook(scratch, file) {
  const out = path.join(scratch, `executed-${path.basename(file)}`);
  execFileSync(PYTHON, [DRIVER, "notebook", "--cwd", scratch, file, out], { env: driverEnv(scratch), stdio: ["ignore", "ignore", "pipe"] });
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

/** The cell's display outputs (display_data / execute_result). */
export function displays(cell) {
  return cell.outputs.filter((o) => o.output_type === "display_data" || o.output_type === "execute_result");
}

/** All the text a cell wrote to a stream ("stdout" or "stderr"). */
export function stream(cell, name) {
  return cell.outputs
    .filter((o) => o.output_type === "stream" && o.name === name)
    .map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text))
    .join("");
}

/** A mime type's content in an output (nbformat may store it as a list of lines). */
export function mime(output, type) {
  const v = output.data[type];
  return Array.isArray(v) ? v.join("") : v;
}

/** The value of a "Label:   value" row of the plain-text table. */
export function row(plain, label) {
  const line = plain.split("\n").find((l) => l.startsWith(label + ":"));
  return line === undefined ? undefined : line.slice(label.length + 1).trim();
}

/**
 * The figures that HTML draws: the arguments of each chart's draw call
 * (src/render/plotly.ts, notebookFigureHtml), from an HTML string or from
 * all the display outputs of a cell.
 */
export function plottedFigures(cellOrHtml) {
  const html = typeof cellOrHtml === "string" ? cellOrHtml : displays(cellOrHtml).map((d) => mime(d, "text/html")).join("\n");
  return [...html.matchAll(/<script>\(function \(id, data, layout, config\) \{.*\}\)\(\n(.*)\);<\/script>/g)].map((m) => {
    const [id, data, layout] = JSON.parse(`[${m[1]}]`);
    return { id, data, layout };
  });
}

/** The Plotly bundle's banner: how many copies of Plotly a text holds. */
export const plotlyCopies = (text) => text.split("plotly.js (basic - minified)").length - 1;

/** Whether `pid` is still a live process (not a zombie). */
export function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/**
 * The DOM of the HTML file `page` after headless Chromium ran its scripts,
 * with every network request sent to a dead proxy (no CDN can stand in for
 * what the page embeds).
 */
export function renderedDom(page) {
  const r = spawnSync(
    process.env.CHROMIUM ?? "chromium",
    ["--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9", "--virtual-time-budget=10000", "--dump-dom", `file://${page}`],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error || r.status !== 0) throw new Error(`headless chromium failed (Debian: apt-get install chromium): ${r.error ?? r.stderr}`);
  return r.stdout;
}
