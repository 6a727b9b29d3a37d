/**
 * Finds `%%iops` and `%iops` in a cell's source and rewrites them into
 * TypeScript that tslab compiles like any other cell: calls into the magic
 * runtime that open a window, mark its start right before the user's code
 * and its end right after, then show the results. Every line keeps its
 * number, so tslab's error positions still point at the user's lines.
 */
import { OptionsError, parseOptions, type MagicOptions } from "./options";

/** Where the runtime lives: a symbol-keyed global, valid in TypeScript and JavaScript cells. */
export const RUNTIME_KEY = "iops-profiler.tslab";
/** The runtime, as an expression in a cell's code. */
export const RUNTIME_EXPR = `Reflect.get(globalThis, Symbol.for("${RUNTIME_KEY}"))`;
const R = RUNTIME_EXPR;

export interface Magic {
  kind: "cell" | "line";
  /** 0-based line of the magic in the cell. */
  line: number;
  options: MagicOptions;
}

export type CellPlan =
  | { kind: "plain" }
  | { kind: "help" }
  /** `%iops compare <a> <b>`: two kept reports side by side. */
  | { kind: "compare"; a: string; b: string }
  | { kind: "error"; message: string }
  /** `userAwaits`: the user's code may have a top-level await (it has the word `await`). */
  | { kind: "run"; source: string; magics: Magic[]; userAwaits: boolean };

const CELL_MAGIC = /^\s*%%iops(?=\s|$)(.*)$/;
const COMPARE = /^\s*%iops\s+compare(?=\s|$)(.*)$/;
const LINE_MAGIC = /^(\s*)%iops(?=\s|$)(.*)$/;

/**
 * Rewrites `source`, a cell's code, for run `runId` (the calls name their
 * run, so code left running by an interrupted cell cannot touch a later one).
 *
 * The rewritten cell starts with `if (0) await 0;`, which never runs but
 * makes tslab compile the cell as one with top-level await: tslab then
 * awaits what running it returns, which lets the runtime open the first
 * window after the compilation and before the code (see runtime.ts). The
 * code itself still runs synchronously up to its own first await. Only a
 * second or later `%iops` line in one cell opens its window with `await`.
 */
export function planCell(source: string, runId = 0): CellPlan {
  const open = (k: number) => (k > 0 ? `await ${R}.open(${runId}, ${k}); ` : "");
  /** Marks the start of window `k`: the user's code follows on the same line. */
  const begin = (k: number) => `${open(k)}${R}.begin(${runId}, ${k}); `;
  /** Marks the end of window `k` right after the user's code; the last window is shown when the cell ends. */
  const end = (k: number, last: boolean) => `;${R}.end(${runId}, ${k}); ${last ? "" : `await ${R}.show(${runId}, ${k}); `}`;
  const asAsync = "if (0) await 0; ";
  const userAwaits = /\bawait\b/.test(source);

  const lines = source.split("\n");
  const compare = lines.findIndex((l) => COMPARE.test(l));
  if (compare >= 0) {
    if (lines.some((l, i) => i !== compare && l.trim() !== "")) {
      return { kind: "error", message: `%iops compare goes alone in its cell (line ${compare + 1}): it runs no code` };
    }
    const names = COMPARE.exec(lines[compare])![1].trim().split(/\s+/).filter(Boolean);
    if (names.length !== 2) return { kind: "error", message: `%iops compare takes two names of reports kept with --save-as (%iops compare small large), not ${names.length}` };
    return { kind: "compare", a: names[0], b: names[1] };
  }
  const cellMagic = CELL_MAGIC.exec(lines[0]);
  const lineMagics = lines.map((l, i) => ({ i, m: LINE_MAGIC.exec(l) })).filter((x) => x.m);
  const strayCell = lines.findIndex((l, i) => i > 0 && CELL_MAGIC.test(l));
  if (!cellMagic && lineMagics.length === 0) {
    return strayCell >= 0 ? { kind: "error", message: `%%iops must be the first line of the cell (found on line ${strayCell + 1})` } : { kind: "plain" };
  }
  if (strayCell >= 0) return { kind: "error", message: `%%iops must be the first line of the cell, and only once (found again on line ${strayCell + 1})` };

  try {
    if (cellMagic) {
      const { options, rest } = parseOptions(cellMagic[1]);
      if (options.help) return { kind: "help" };
      if (rest) return { kind: "error", message: `%%iops takes only options on its line, not "${rest}"; put the code on the next lines (%iops --help)` };
      if (lineMagics.length > 0) {
        return {
          kind: "error",
          message: `%iops on line ${lineMagics[0].i + 1} is inside a %%iops cell: windows cannot nest, so the cell did not run. Remove the %iops (the whole cell is measured) or the %%iops`,
        };
      }
      lines[0] = asAsync + begin(0);
      lines.push(end(0, true));
      return { kind: "run", source: lines.join("\n"), magics: [{ kind: "cell", line: 0, options }], userAwaits };
    }

    const magics: Magic[] = [];
    let pendingEnd = "";
    for (let i = 0; i < lines.length; i++) {
      const m = LINE_MAGIC.exec(lines[i]);
      let line = lines[i];
      if (m) {
        const { options, rest } = parseOptions(m[2]);
        if (options.help) return { kind: "help" };
        if (!rest) return { kind: "error", message: `%iops on line ${i + 1} has no statement: write the code on the same line (%iops fs.readFileSync("a.txt")), or use %%iops on a cell's first line to measure the whole cell` };
        const k = magics.length;
        magics.push({ kind: "line", line: i, options });
        line = m[1] + begin(k) + rest;
      }
      lines[i] = pendingEnd + line;
      pendingEnd = m ? end(magics.length - 1, magics.length === lineMagics.length) : "";
    }
    if (pendingEnd) lines.push(pendingEnd);
    lines[0] = asAsync + lines[0];
    return { kind: "run", source: lines.join("\n"), magics, userAwaits };
  } catch (e) {
    if (e instanceof OptionsError) return { kind: "error", message: e.message };
    throw e;
  }
}
