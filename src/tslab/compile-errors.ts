/**
 * tslab's compile errors for a magic cell. tslab type-checks the rewritten
 * cell (magic.ts) and prints each error on the cell's stderr as
 * "line:column - message", before any of the cell's code runs. While it
 * compiles, those positions are moved back to the cell as typed (a `%iops`
 * line's column counts from its `%iops`, not from the calls put before the
 * statement), and a name that tslab no longer knows although an earlier cell
 * set it gets one line saying why: tslab 1.0 carries declarations from cell
 * to cell but drops some kinds, among them `import x = require(...)`, which is
 * how its JavaScript kernel declares every name bound with `require()`: once
 * another cell has run, such a name is unknown, magic or not.
 */

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

/** A diagnostic in the cell itself (tslab puts a file name before those of other files). */
const DIAGNOSTIC = /^(\d+):(\d+) - (.*)$/gm;
const UNKNOWN_NAME = /^Cannot find name '([\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$\u200c\u200d]*)'\./u;

/** A magic cell as handed to tslab and as typed (see CellPlan in magic.ts). */
export interface RewrittenCell {
  /** The source tslab compiles. */
  source: string;
  /** Each typed line's code as it runs ("" for the %%iops line). */
  code: string[];
  /** Where that code starts in the typed line (0-based column). */
  codeStart: number[];
}

/**
 * The 1-based column in typed line `line` (0-based) of 1-based `column` in
 * the rewritten line: every rewritten line is what the rewriting put first,
 * then the line's code as typed from `codeStart`.
 */
export function typedColumn(cell: RewrittenCell, rewrittenLines: string[], line: number, column: number): number {
  if (line >= cell.code.length || line >= rewrittenLines.length) return column;
  const added = rewrittenLines[line].length - cell.code[line].length;
  return cell.codeStart[line] + Math.max(1, column - added);
}

/**
 * Watches the cell's stderr while tslab compiles it; `stop()` (once the
 * compiled code is about to run, or the cell ended without running) puts
 * stderr back and says why any forgotten name is unknown.
 */
export class CompileErrors {
  private saved: Write | null;
  private readonly ours: Write;
  private readonly forgotten = new Set<string>();

  /** `locals`: the values tslab keeps of earlier cells' names (`__tslab__.exports`). */
  constructor(
    private readonly cell: RewrittenCell,
    private readonly locals: object | undefined,
  ) {
    const stderr = process.stderr as unknown as { write: Write };
    const write = stderr.write;
    const rewritten = cell.source.split("\n");
    this.saved = write;
    this.ours = (chunk, ...rest) => write.call(stderr, typeof chunk === "string" ? this.moved(chunk, rewritten) : chunk, ...rest);
    stderr.write = this.ours;
  }

  private moved(text: string, rewritten: string[]): string {
    return text.replace(DIAGNOSTIC, (all, l: string, c: string, message: string) => {
      const name = UNKNOWN_NAME.exec(message)?.[1];
      if (name !== undefined && this.locals && Object.prototype.hasOwnProperty.call(this.locals, name)) this.forgotten.add(name);
      return `${l}:${typedColumn(this.cell, rewritten, Number(l) - 1, Number(c))} - ${message}`;
    });
  }

  stop(): void {
    if (!this.saved) return;
    const stderr = process.stderr as unknown as { write: Write };
    if (stderr.write === this.ours) stderr.write = this.saved;
    this.saved = null;
    if (this.forgotten.size === 0) return;
    const names = [...this.forgotten];
    const example = names[0];
    stderr.write(
      `iops: tslab no longer knows ${names.join(", ")}, set by an earlier cell: tslab 1.0 keeps no declaration of some names past the next cell (in the JavaScript kernel, every name bound with require()), with or without %iops; bind it with import (import * as ${example} from "..."), or set it again in this cell\n`,
    );
  }
}
