#!/usr/bin/env node
// `npm run pack:local`: the two tarballs a user on this machine would get
// from the registry, in dist/pack/: the main package (TypeScript, no binary)
// and this platform's package (the release-built addon), as the release
// workflow builds and packs them. dist/ is built first, so packing skips
// `prepare`. Prints one JSON line: {main, platform, platformBytes}.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { RELEASE_TARGETS, buildTarget } from "./build-cross.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist", "pack");
const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";

// dist/ (quick when up to date), then this platform's addon built as the
// release workflow builds it: zig, linked against glibc 2.17's symbols.
execFileSync(npmCmd, ["run", "--silent", "build:ts"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const { platformSuffix } = createRequire(import.meta.url)(join(root, "dist", "platform.js"));
const suffix = platformSuffix(process.platform, process.arch, process.report.getReport());
const spec = RELEASE_TARGETS[suffix];
if (!spec) throw new Error(`pack:local: no release build for ${suffix} (known: ${Object.keys(RELEASE_TARGETS).join(", ")})`);
buildTarget(suffix, spec);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const pack = (dir) => {
  const [info] = JSON.parse(execFileSync(npmCmd, ["pack", "--json", "--ignore-scripts", "--pack-destination", out], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  return info.filename;
};
const main = pack(root);
const platform = pack(join(root, "npm", suffix));
const names = readdirSync(out);
if (!names.includes(main) || !names.includes(platform)) throw new Error(`pack:local: expected ${main} and ${platform} in ${out}, found ${names.join(", ")}`);
console.log(JSON.stringify({ main, platform, platformBytes: statSync(join(out, platform)).size }));
