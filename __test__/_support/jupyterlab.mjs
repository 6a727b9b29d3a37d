/**
 * A real JupyterLab and Notebook 7 for the browser check
 * (notebook-browser.spec.mjs): pip's `jupyterlab` and `notebook` in a
 * virtual environment of the Python that has nbclient (its other packages
 * seen through --system-site-packages), made once by `npm test`'s set-up
 * step (scripts/test.mjs) and reused; and a server started on a free port
 * with a token, its configuration, data and runtime folders in a scratch
 * folder: nothing is written to the user's Jupyter set-up. The tslab
 * kernels come from the notebook scratch project (notebook.mjs), through
 * JUPYTER_PATH.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { PYTHON } from "./notebook.mjs";

/** The JupyterLab and Notebook major versions the check runs against. */
export const JUPYTERLAB = "jupyterlab>=4,<5";
export const NOTEBOOK = "notebook>=7,<8";
const REQUIREMENTS = [JUPYTERLAB, NOTEBOOK];
const VENV = path.join(fs.realpathSync(os.tmpdir()), "iops-jupyterlab-4");

/**
 * The virtual environment with JupyterLab and Notebook 7: made when
 * missing, completed when made for fewer requirements (its `.ready` lists
 * them); a minute or more on a cold machine: call it from a set-up step,
 * not inside a test. Returns its folder.
 */
export function jupyterLabVenv() {
  const ready = path.join(VENV, ".ready");
  const wanted = REQUIREMENTS.join("\n");
  if (fs.existsSync(ready) && fs.readFileSync(ready, "utf8") === wanted) return VENV;
  const steps = [[path.join(VENV, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", ...REQUIREMENTS]]];
  // An environment made for fewer requirements is completed, not remade: a server of another run may be using it.
  const fresh = !fs.existsSync(ready);
  if (fresh) {
    fs.rmSync(VENV, { recursive: true, force: true });
    steps.unshift([PYTHON, ["-m", "venv", "--system-site-packages", VENV]]);
  }
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) {
      if (fresh) fs.rmSync(VENV, { recursive: true, force: true });
      throw new Error(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? r.status ?? r.signal}); the browser check needs ${PYTHON} -m venv (Debian: python3-venv) and pip's ${REQUIREMENTS.join(", ")}`);
    }
  }
  fs.writeFileSync(ready, wanted);
  return VENV;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts JupyterLab serving `root`, with the kernels of the notebook scratch
 * project `scratch` and these user settings (`{ "<package>/<plugin>":
 * { setting: value } }`); resolves once it answers. Returns { url, token,
 * stop, log }.
 */
export function startJupyterLab(root, scratch, settings = {}) {
  return startJupyter("jupyter-lab", root, scratch, settings);
}

/** startJupyterLab for Notebook 7 (`jupyter-notebook`): the same settings, its own pages (`/notebooks/<path>`). */
export function startNotebook7(root, scratch, settings = {}) {
  return startJupyter("jupyter-notebook", root, scratch, settings);
}

async function startJupyter(command, root, scratch, settings) {
  const venv = jupyterLabVenv();
  const token = randomBytes(16).toString("hex");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "iops-jupyterlab-home-"));
  for (const [plugin, values] of Object.entries(settings)) {
    const file = path.join(home, "settings", `${plugin}.jupyterlab-settings`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(values));
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const server = spawn(
      path.join(venv, "bin", command),
      ["--no-browser", "--allow-root", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${root}`],
      {
        cwd: root,
        env: {
          ...process.env,
          JUPYTER_PATH: path.join(scratch, "jupyter", "share", "jupyter"),
          JUPYTER_CONFIG_DIR: path.join(home, "config"),
          JUPYTER_DATA_DIR: path.join(home, "data"),
          JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
          JUPYTERLAB_SETTINGS_DIR: path.join(home, "settings"),
          JUPYTERLAB_WORKSPACES_DIR: path.join(home, "workspaces"),
          IPYTHONDIR: path.join(home, "ipython"),
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let log = "";
    server.stderr.on("data", (d) => (log = (log + d).slice(-20_000)));
    const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve(code ?? signal)));
    const url = `http://127.0.0.1:${port}`;
    const stop = async () => {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill("SIGTERM");
        const timer = setTimeout(() => server.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(home, { recursive: true, force: true });
    };
    const ready = await Promise.race([waitForStatus(`${url}/api/status?token=${token}`), exited.then(() => false)]);
    if (ready) return { url, token, stop, log: () => log };
    await stop();
    if (attempt >= 2 || !/already in use|Address already/.test(log)) throw new Error(`${command} did not start:\n${log}`);
  }
}

async function waitForStatus(statusUrl) {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    try {
      const r = await fetch(statusUrl);
      if (r.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
