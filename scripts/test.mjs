#!/usr/bin/env node
// `npm test [-- <ava arguments>]`: what the tests need, then the tests.
//
// Each long step runs here, printing as it goes, and not inside an ava test:
// ava fails a test that prints nothing for its timeout, and on a cold
// machine a release cross-build alone takes minutes. The steps:
//  1. the Debian packages, Rust targets and cross tools the tests use, when
//     any is missing (scripts/setup-dev.sh --if-missing);
//  2. the addon and dist/ (npm run build);
//  3. the Rust unit tests and the seeded fuzz targets;
//  4. the macOS and Windows checks (scripts/check-targets.sh);
//  5. the builds the ava specs use, ahead of them: the release cross-builds
//     (cross.spec, packaging.spec), the Windows release build and wine prefix
//     (win32.spec), the notebook scratch project (notebook*.spec), the Python
//     venv with JupyterLab and Notebook 7 (notebook-browser.spec). The specs
//     build the same things again, which is then a quick no-op;
//  6. ava.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { RELEASE_TARGETS } from "./build-cross.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const started = Date.now();

function step(title, cmd, args, env = {}) {
  const at = ((Date.now() - started) / 1000).toFixed(0);
  console.error(`\nnpm test [${at} s]: ${title}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`npm test: ${title} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(r.status || 1);
  }
}

step("set-up, only what is missing", "bash", ["scripts/setup-dev.sh", "--if-missing"]);
step("build", "npm", ["run", "--silent", "build"]);
step("Rust unit tests", "cargo", ["test", "-p", "iops-core", "-p", "iops-linux", "-p", "iops-windows", "-p", "iops-macos"], {
  PROPTEST_RNG_SEED: "20261125",
});
step("macOS and Windows checks", "npm", ["run", "--silent", "check:targets"]);
step("release cross-builds", "node", ["scripts/build-cross.mjs", ...Object.keys(RELEASE_TARGETS)]);
step("Windows release build", "node", ["scripts/test-win32.mjs", "--build-only"]);
step("notebook scratch project (npm pack + tslab)", "node", [
  "--input-type=module",
  "-e",
  'const { notebookScratch } = await import("./__test__/_support/notebook.mjs"); notebookScratch();',
]);
step("JupyterLab and Notebook 7 for the browser check (a Python venv, pip jupyterlab notebook)", "node", [
  "--input-type=module",
  "-e",
  'const { jupyterLabVenv } = await import("./__test__/_support/jupyterlab.mjs"); jupyterLabVenv();',
]);
step("ava", "npx", ["ava", ...process.argv.slice(2)]);
console.error(`npm test: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
