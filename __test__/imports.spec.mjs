/**
 * The TypeScript layer's module graph (src/): no import cycles, and data
 * flowing one way, source → report → view → render. Every import counts,
 * type-only ones and `import()` included: a cycle of types is still two
 * modules that cannot be read one without the other.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

import test from "ava";

import { ROOT } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const ts = require("typescript");
const SRC = path.join(ROOT, "src");

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The src/ files `file` imports (relative specifiers resolved as tsc does; packages and node: left out). */
function importsOf(file) {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  const out = new Set();
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const base = path.resolve(path.dirname(file), fileName);
    const hit = [`${base}.ts`, path.join(base, "index.ts")].find((p) => fs.existsSync(p));
    if (hit && hit.startsWith(SRC)) out.add(hit);
  }
  return [...out];
}

/** The module graph of src/: file (relative to src) → files it imports. */
function graph() {
  const g = new Map();
  for (const f of sourceFiles(SRC)) g.set(path.relative(SRC, f), importsOf(f).map((p) => path.relative(SRC, p)));
  return g;
}

/** Every cycle's modules, one list per strongly connected component larger than one (or a self-import). */
function cycles(g) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return found;
}

test("the cycle finder finds a cycle through type-only and dynamic imports", (t) => {
  // Made of the constructs src/ uses, so that the real test below cannot pass by missing them.
  const dir = fs.mkdtempSync(path.join(ROOT, "src", ".cycle-probe-"));
  try {
    fs.writeFileSync(path.join(dir, "a.ts"), 'import type { B } from "./b";\nexport type A = B;\n');
    fs.writeFileSync(path.join(dir, "b.ts"), 'export type B = number;\nexport const c = () => import("./c");\n');
    fs.writeFileSync(path.join(dir, "c.ts"), 'export { A } from "./a";\n');
    const g = new Map([...graph()].filter(([k]) => k.startsWith(path.basename(dir))));
    t.deepEqual(cycles(g), [["a.ts", "b.ts", "c.ts"].map((f) => path.join(path.basename(dir), f))]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("src/ has no import cycles", (t) => {
  const g = graph();
  t.true(g.size > 30, `src/ has ${g.size} modules`);
  t.true(g.get("cli.ts").includes(path.join("sources", "select.ts")), "dynamic imports are in the graph");
  t.deepEqual(cycles(g), []);
});

test("data flows one way: sources → view → render, and neither view nor render reads a live source", (t) => {
  const g = graph();
  const layer = (f) => f.split(path.sep)[0];
  // What each folder may not import.
  const forbidden = {
    view: ["render", "sources", "tslab", "commands"],
    render: ["sources", "tslab", "commands"],
    sources: ["view", "render", "tslab", "commands"],
  };
  const wrong = [];
  for (const [file, deps] of g) {
    for (const d of deps) if ((forbidden[layer(file)] ?? []).includes(layer(d))) wrong.push(`${file} → ${d}`);
  }
  t.deepEqual(wrong, []);
});

test("which source runs is decided in sources/select.ts: outside sources/, no module reaches a source's own module", (t) => {
  const g = graph();
  // The shapes, the names, and the one place that picks; index.ts also exports strace's public entry points.
  const open = new Set(["select.ts", "capture.ts", "names.ts"].map((f) => path.join("sources", f)));
  const allowed = (file, dep) => open.has(dep) || (file === "index.ts" && dep === path.join("sources", "strace.ts"));
  const wrong = [];
  for (const [file, deps] of g) {
    if (file.startsWith(`sources${path.sep}`)) continue;
    for (const d of deps) if (d.startsWith(`sources${path.sep}`) && !allowed(file, d)) wrong.push(`${file} → ${d}`);
  }
  t.deepEqual(wrong, []);
  t.true(g.get(path.join("sources", "select.ts")).includes(path.join("sources", "tracer-helper.ts")), "select.ts picks among the sources");
});
