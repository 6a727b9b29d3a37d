// Compiles src/ into dist/ after emptying it (dist/pack/, the local
// packages, stays): tsc never deletes, so a module renamed or removed in
// src/ would otherwise stay in dist/ and ship in the package. Then writes
// dist/native-exports.json, the addon's exports this JavaScript was compiled
// against (native.d.ts), which src/native.ts checks an addon has as it loads.
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
let entries = [];
try {
  entries = readdirSync(dist);
} catch {
  // No dist/ yet: nothing to empty.
}
for (const name of entries) {
  if (name !== "pack") rmSync(join(dist, name), { recursive: true, force: true });
}
const tsc = spawnSync(process.execPath, [new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname, "-p", "tsconfig.json"], {
  cwd: new URL("..", import.meta.url).pathname,
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const declared = readFileSync(new URL("../native.d.ts", import.meta.url), "utf8");
const exports = [...declared.matchAll(/^export declare (?:function|class) (\w+)/gm)].map((m) => m[1]);
writeFileSync(join(dist, "native-exports.json"), JSON.stringify(exports) + "\n");
