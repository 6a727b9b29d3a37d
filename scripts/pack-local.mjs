#!/usr/bin/env node
// `npm run pack:local`: the two tarballs a user on this machine would get
// from the registry, in dist/pack/: the main package (TypeScript, no binary)
// and this platform's package (the release-built addon), as the release
// workflow packs them. dist/ is built first, so packing skips `prepare`. Prints one JSON line: {main, platform, platformBytes}.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist", "pack");
const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";

// The release build of the addon and dist/ (incremental: quick when up to date).
execFileSync(npmCmd, ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const { platformSuffix } = createRequire(import.meta.url)(join(root, "dist", "platform.js"));
const suffix = platformSuffix(process.platform, process.arch, process.report.getReport());
const addon = `iops-profiler.${suffix}.node`;
copyFileSync(join(root, addon), join(root, "npm", suffix, addon));

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
