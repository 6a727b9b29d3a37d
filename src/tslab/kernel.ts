/**
 * The parts of the running tslab kernel (npm `tslab`, 1.0.x) that the magics
 * hook into, found from inside a cell. tslab has no extension API; these are
 * its internal modules, so each is checked and a mismatch is reported in one
 * line instead of failing later.
 */
import { createRequire } from "node:module";

import type { TypeScriptModule } from "./code-lines";

/** What a cell's `execute` returns: false when the cell failed. */
export type Execute = (source: string) => Promise<boolean>;

/** tslab's executor: compiles a cell (TypeScript → JavaScript), then runs it with vm.runInThisContext. */
export interface TslabExecutor {
  execute: Execute;
  /** Called on the kernel's SIGINT (Jupyter's interrupt). */
  interrupt: () => void;
}

/** Writes a display_data message for the cell being executed. */
export type WriteDisplayData = (content: { data: Record<string, unknown>; metadata: object; transient: object }, update: boolean) => void;

export interface TslabKernel {
  /** The prototype of the kernel's Jupyter handler, whose handleExecuteImpl(req) runs each cell. */
  handlerPrototype: { handleExecuteImpl: (this: { executor: TslabExecutor }, ...args: unknown[]) => Promise<unknown> };
  /** The display writer of the cell being executed. */
  writeDisplayData(): WriteDisplayData | null;
  /** The TypeScript the kernel compiles cells with (tslab's own copy). */
  typescript: TypeScriptModule;
}

export class NotTslabError extends Error {}

/**
 * Locates the kernel from a cell: tslab puts `__tslab__.require` in the
 * global scope, which resolves "tslab" to the running kernel's own copy;
 * its `jupyter` module holds the handler class and the display writer.
 */
export function findKernel(): TslabKernel {
  const tslab = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (typeof tslab?.require !== "function") {
    throw new NotTslabError('iops-profiler/tslab adds %iops and %%iops to a tslab kernel (npm "tslab"); this is not a tslab kernel. Elsewhere, use profile() from "iops-profiler"');
  }
  const pub = tslab.require("tslab");
  const entry = Object.values(require.cache).find((m) => m?.exports === pub);
  if (!entry) throw new NotTslabError("iops-profiler/tslab: cannot find the running tslab kernel's modules");
  const tslabRequire = createRequire(entry.filename);
  const jupyter = tslabRequire("./jupyter") as {
    JupyterHandlerImpl?: { prototype: TslabKernel["handlerPrototype"] };
    lastWriteDisplayData?: WriteDisplayData | null;
  };
  const proto = jupyter.JupyterHandlerImpl?.prototype;
  if (typeof proto?.handleExecuteImpl !== "function" || !("lastWriteDisplayData" in jupyter)) {
    const version = (pub as { versions?: { tslab?: string } }).versions?.tslab ?? "unknown";
    throw new NotTslabError(`iops-profiler/tslab: this tslab version (${version}) is not supported; it was built for tslab 1.0.x`);
  }
  let typescript: TypeScriptModule;
  try {
    // tslab 1.0 compiles with its copy of TypeScript, under this name.
    typescript = tslabRequire("@tslab/typescript-for-tslab") as TypeScriptModule;
  } catch {
    typescript = tslabRequire("typescript") as TypeScriptModule;
  }
  return { handlerPrototype: proto, writeDisplayData: () => jupyter.lastWriteDisplayData ?? null, typescript };
}
