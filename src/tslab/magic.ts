/**
 * Finds `%%iops` and `%iops` in a cell's source and rewrites them into
 * TypeScript that tslab compiles like any other cell: calls into the magic
 * runtime that open a window, mark its start right before the user's code
 * and its end right after, then show the results. Every line keeps its
 * number, so tslab's error positions still point at the user's lines. Only
 * lines that start in code are magic: inside a string, a template literal
 * or a comment, `%iops` is text (code-lines.ts).
 */
import { codeLineStarts, statementEndLines, type TypeScriptModule } from "./code-lines";
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
  /**
   * `userAwaits`: the user's code may have a top-level await (it has the
   * word `await`). `code`: each line's code as it runs (a magic line's
   * statement; "" for the %%iops line), starting at column `codeStart` of
   * the typed line: for error positions (cell-errors.ts).
   */
  | { kind: "run"; source: string; magics: Magic[]; userAwaits: boolean; code: string[]; codeStart: number[] };

const CELL_MAGIC = /^\s*%%iops(?=\s|$)(.*)$/;
const COMPARE = /^\s*%iops\s+compare(?=\s|$)(.*)$/;
const LINE_MAGIC = /^(\s*)%iops(?=\s|$)(.*)$/;
/** Any line that might be a magic: the cheap test that lets a plain cell through unscanned. */
const MAYBE_MAGIC = /^\s*%%?iops(?=\s|$)/m;

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
 *
 * A `%%iops` cell is otherwise left as typed (its magic line emptied): its
 * window is the whole compiled code, so the runtime puts its marks there,
 * and tslab's compiler (which type-checks every statement it is given, at
 * each cell) has nothing of ours to check.
 */
export function planCell(source: string, runId: number, ts: TypeScriptModule): CellPlan {
  if (!MAYBE_MAGIC.test(source)) return { kind: "plain" };
  const open = (k: number) => (k > 0 ? `await ${R}.open(${runId}, ${k}); ` : "");
  /** Marks the start of window `k`: the user's code follows on the same line. */
  const begin = (k: number) => `${open(k)}${R}.begin(${runId}, ${k}); `;
  /** Marks the end of window `k` right after the user's code; the last window is shown when the cell ends. */
  const end = (k: number, last: boolean) => `;${R}.end(${runId}, ${k}); ${last ? "" : `await ${R}.show(${runId}, ${k}); `}`;
  const asAsync = "if (0) await 0; ";
  const userAwaits = /\bawait\b/.test(source);

  const lines = source.split("\n");
  const code = codeLineStarts(ts, source);
  const lineMagic = (i: number) => (code[i] ? LINE_MAGIC.exec(lines[i]) : null);
  const compare = lines.findIndex((l, i) => code[i] && COMPARE.test(l));
  if (compare >= 0) {
    if (lines.some((l, i) => i !== compare && l.trim() !== "")) {
      return { kind: "error", message: `%iops compare goes alone in its cell (line ${compare + 1}): it runs no code` };
    }
    const names = COMPARE.exec(lines[compare])![1].trim().split(/\s+/).filter(Boolean);
    if (names.length !== 2) return { kind: "error", message: `%iops compare takes two names of reports kept with --save-as (%iops compare small large), not ${names.length}` };
    return { kind: "compare", a: names[0], b: names[1] };
  }
  const cellMagic = CELL_MAGIC.exec(lines[0]);
  const lineMagics = lines.map((_, i) => ({ i, m: lineMagic(i) })).filter((x) => x.m);
  const strayCell = lines.findIndex((l, i) => i > 0 && code[i] && CELL_MAGIC.test(l));
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
      const code = ["", ...lines.slice(1)];
      lines[0] = asAsync;
      return { kind: "run", source: lines.join("\n"), magics: [{ kind: "cell", line: 0, options }], userAwaits, code, codeStart: code.map(() => 0) };
    }

    const magics: Magic[] = [];
    const code = [...lines];
    const codeStart = lines.map(() => 0);
    const parsed = lineMagics.map(({ i, m }) => {
      const { options, rest } = parseOptions(m![2]);
      return { i, m: m!, options, rest, start: lines[i].trimEnd().length - rest.length };
    });
    if (parsed.some((p) => p.options.help)) return { kind: "help" };
    // The cell as typed with each magic and its options blanked out: the
    // statements as they will run, at the columns typed, for the parser.
    const blanked = lines.map((l, i) => {
      const p = parsed.find((x) => x.i === i);
      return p ? " ".repeat(p.start) + l.slice(p.start) : l;
    });
    const offsets = [0];
    for (const l of blanked) offsets.push(offsets[offsets.length - 1] + l.length + 1);
    const endLines = statementEndLines(ts, blanked.join("\n"), parsed.map(({ i, start }) => offsets[i] + start));
    /** Before which line each window's end mark goes: the line after its statement's last. */
    const endBefore = new Map<number, string>();
    for (const [k, { i, options, rest, start }] of parsed.entries()) {
      if (!rest) return { kind: "error", message: `%iops on line ${i + 1} has no statement: write the code on the same line (%iops fs.readFileSync("a.txt")), or use %%iops on a cell's first line to measure the whole cell` };
      magics.push({ kind: "line", line: i, options });
      // A statement may go on over the next lines; the window ends where it does.
      const last = Math.max(i, endLines[k] ?? i);
      const inside = parsed.find((x) => x.i > i && x.i <= last);
      if (inside) {
        return { kind: "error", message: `%iops on line ${inside.i + 1} is inside the statement of the %iops on line ${i + 1}: windows cannot nest, so the cell did not run` };
      }
      endBefore.set(last + 1, end(k, k === parsed.length - 1));
      codeStart[i] = start;
      code[i] = rest;
      lines[i] = parsed[k].m[1] + begin(k) + rest;
    }
    for (let i = 0; i < lines.length; i++) lines[i] = (endBefore.get(i) ?? "") + lines[i];
    const trailing = endBefore.get(lines.length);
    if (trailing) lines.push(trailing);
    lines[0] = asAsync + lines[0];
    return { kind: "run", source: lines.join("\n"), magics, userAwaits, code, codeStart };
  } catch (e) {
    if (e instanceof OptionsError) return { kind: "error", message: e.message };
    throw e;
  }
}
