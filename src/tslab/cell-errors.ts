/**
 * An error thrown by a magic cell's code, shown as tslab shows a plain
 * cell's synchronous error (Node's "file:line", the source line, a caret,
 * then the stack), but at the user's line and column: the magic cell runs
 * rewritten and compiled, and as an async function, for which Node adds no
 * source line. The frames of this package are left out.
 *
 * The compiled code (tslab's TypeScript output, without a source map) is
 * lined up with the user's cell line by line: TypeScript prints each
 * statement again, with its own indentation, so lines are compared without
 * their spaces. A compiled line with no match (a type annotation removed, a
 * statement split) takes the line after the last matched one.
 */
import path from "node:path";

/** The name of tslab's scripts in stack traces. */
export const TSLAB_SCRIPT = "evalmachine.<anonymous>";

/** Our own files in stack traces: this package's dist folder. */
const OURS = path.dirname(__dirname) + path.sep;

/** Marks a frame line to leave out (a frame of the wrapping). */
const DROP = "\0";

/** tslab assigns a cell's last expression to show its value: that prefix is not the user's. */
const LAST_EXPRESSION = /^\s*exports\.tsLastExpr\s*=\s*/;

/** tslab reaches names of earlier cells through `exports.`, which the user did not write. */
const EXPORTS = /\bexports\./g;

/** A line's text without what formatting and tslab change: spaces, trailing semicolons, tslab's additions. */
const squeeze = (line: string) => solid(line.replace(LAST_EXPRESSION, "")).replace(/;+$/, "");
const solid = (text: string) => text.replace(EXPORTS, "").replace(/\s+/g, "");

/**
 * For each line of `compiled` (0-based), the 0-based line of `user` it came
 * from, or -1 before the first user line.
 */
export function lineUp(compiled: string, user: string): number[] {
  const userLines = user.split("\n").map(squeeze);
  const at = new Map<string, number[]>();
  userLines.forEach((l, i) => {
    if (l.length < 3) return; // "}", ")": too common to place anything
    at.set(l, [...(at.get(l) ?? []), i]);
  });
  let next = 0;
  return compiled.split("\n").map((line) => {
    const match = at.get(squeeze(line))?.find((i) => i >= next);
    if (match !== undefined) {
      next = match + 1;
      return match;
    }
    return next - 1;
  });
}

/** A magic cell's code, as the user typed it and as it ran. */
export interface CellSource {
  /** The name the compiled script runs under (unique to the run). */
  filename: string;
  /** The compiled script as run. */
  compiled: string;
  /** The cell's lines as typed. */
  shown: string[];
  /** Each line's code as it ran (a magic line's statement, without the magic and its options; "" for %%iops). */
  code: string[];
  /** Where that code starts in the typed line (0-based column). */
  codeStart: number[];
}

/**
 * `error`'s stack as tslab would print it had the cell been plain, with the
 * cell's positions in the user's lines and without our frames. Returns null
 * when `error` is not an Error with a stack.
 */
export function userStack(error: unknown, cell: CellSource): string | null {
  const stack = (error as { stack?: unknown })?.stack;
  if (!(error instanceof Error) || typeof stack !== "string") return null;
  const compiledLines = cell.compiled.split("\n");
  const map = lineUp(cell.compiled, cell.code.join("\n"));
  let first: { line: number; column: number } | null = null;
  const frame = new RegExp(`${escape(cell.filename)}:(\\d+):(\\d+)`, "g");
  const out: string[] = [];
  for (const text of stack.split("\n")) {
    if (text.includes(OURS)) continue;
    out.push(
      text.replace(frame, (_, l: string, c: string) => {
        const compiledLine = Number(l) - 1;
        // The wrapping's own lines (tslab's function, our try/catch: the last two) are not the user's.
        const line = compiledLine < compiledLines.length - 2 ? (map[compiledLine] ?? -1) : -1;
        if (line < 0 || line >= cell.shown.length) return DROP;
        const column = cell.codeStart[line] + codeColumn(compiledLines[compiledLine] ?? "", Number(c), cell.code[line]);
        first ??= { line, column };
        return `${TSLAB_SCRIPT}:${line + 1}:${column}`;
      }),
    );
  }
  const kept = out.filter((text) => !text.includes(DROP));
  if (!first) return kept.join("\n");
  const { line, column } = first as { line: number; column: number };
  const caret = " ".repeat(Math.max(0, column - 1)) + "^";
  return `${TSLAB_SCRIPT}:${line + 1}\n${cell.shown[line]}\n${caret}\n\n${kept.join("\n")}`;
}

/**
 * The 1-based column in `code` of a 1-based column in a compiled line: as
 * many non-space characters in.
 */
function codeColumn(compiled: string, column: number, code: string): number {
  const ours = LAST_EXPRESSION.exec(compiled)?.[0].length ?? 0;
  const before = solid(compiled.slice(ours, Math.max(ours, column - 1))).length;
  let seen = 0;
  for (let i = 0; i < code.length; i++) {
    if (/\s/.test(code[i])) continue;
    if (seen === before) return i + 1;
    seen++;
  }
  return code.length + 1;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
