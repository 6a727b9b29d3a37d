/**
 * The module graphs: src/ (TypeScript) and each crate under crates/ (Rust):
 * no import cycles, and in src/ data flowing one way, source → report →
 * view → render. Every import counts,
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

// ------------------------------------------------------- crates/

/** A crate's modules: "a::b" → its source text (cfg(test) modules at a file's end left out: tests may reach anywhere). */
function rustModules(srcDir) {
  const mods = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".rs")) {
        const parts = path.relative(srcDir, p).slice(0, -3).split(path.sep);
        if (["mod", "lib"].includes(parts.at(-1))) parts.pop();
        mods.set(parts.join("::"), fs.readFileSync(p, "utf8").replace(/#\[cfg\(test\)\]\s*mod tests\s*\{[^]*$/, ""));
      }
    }
  };
  walk(srcDir);
  return mods;
}

/** The module graph of a crate from its `crate::`, `super::` and `self::` paths: module → modules it uses (not its own ancestors or descendants). */
function rustGraph(srcDir) {
  const mods = rustModules(srcDir);
  // `#[path = "linux.rs"] mod platform;`: a name for another file's module (one per platform).
  const aliases = new Map();
  for (const [m, text] of mods) {
    for (const [, file, name] of text.matchAll(/#\[path\s*=\s*"([\w/]+)\.rs"\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/g)) {
      const key = [m, name].filter(Boolean).join("::");
      const target = [m, ...file.split("/")].filter(Boolean).join("::");
      aliases.set(key, [...(aliases.get(key) ?? []), target]);
    }
  }
  const g = new Map();
  for (const [m, text] of mods) {
    const deps = new Set();
    for (const [p] of text.matchAll(/\b(?:crate|super|self)(?:::\w+)+/g)) {
      let segs = p.split("::");
      let base = m ? m.split("::") : [];
      if (segs[0] === "crate") base = [];
      else if (segs[0] === "super") {
        base = base.slice(0, -1);
        while (segs[1] === "super") (base = base.slice(0, -1)), (segs = segs.slice(1));
      }
      segs = segs.slice(1);
      // The longest prefix that names a module of the crate.
      for (let i = segs.length; i >= 0; i--) {
        const named = [...base, ...segs.slice(0, i)].join("::");
        const targets = aliases.get(named) ?? (mods.has(named) ? [named] : []);
        if (targets.length === 0) continue;
        for (const target of targets) {
          const related = target === m || target.startsWith(`${m}::`) || m.startsWith(`${target}::`) || target === "";
          if (!related) deps.add(target);
        }
        break;
      }
    }
    g.set(m, [...deps]);
  }
  return g;
}

test("the Rust module-graph reader finds cycles through crate::, super:: and #[path] module names", (t) => {
  const dir = fs.mkdtempSync(path.join(ROOT, "target", ".rust-cycle-probe-"));
  try {
    fs.mkdirSync(path.join(dir, "parse"));
    fs.writeFileSync(path.join(dir, "lib.rs"), 'mod a;\nmod parse;\n#[cfg(unix)]\n#[path = "unix.rs"]\nmod platform;\n');
    fs.writeFileSync(path.join(dir, "a.rs"), "use crate::parse::b::Thing;\n");
    fs.writeFileSync(path.join(dir, "unix.rs"), "use crate::d::Z;\n");
    fs.writeFileSync(path.join(dir, "d.rs"), "use crate::platform::f;\n");
    fs.writeFileSync(path.join(dir, "parse", "mod.rs"), "pub mod b;\npub mod c;\n");
    fs.writeFileSync(path.join(dir, "parse", "b.rs"), "use super::c::X;\npub struct Thing;\n");
    fs.writeFileSync(path.join(dir, "parse", "c.rs"), "pub fn f() -> crate::a::Y { todo!() }\n#[cfg(test)]\nmod tests { use crate::parse::b::Thing; }\n");
    t.deepEqual(cycles(rustGraph(dir)).sort(), [["a", "parse::b", "parse::c"], ["d", "unix"]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("crates/ have no module cycles", (t) => {
  for (const crate of ["iops-core", "iops-linux", "iops-node", "iops-macos", "iops-windows"]) {
    const g = rustGraph(path.join(ROOT, "crates", crate, "src"));
    t.true(g.size > 2, `${crate}: ${g.size} modules`);
    t.deepEqual(cycles(g), [], crate);
  }
  // The reader sees the edges that matter.
  t.true(rustGraph(path.join(ROOT, "crates", "iops-linux", "src")).get("session").includes("tracer"), "session uses tracer");
});
