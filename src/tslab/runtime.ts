/**
 * The magics' runtime in the kernel: wraps tslab's executor so that a cell
 * with `%%iops` or `%iops` is rewritten before tslab compiles it, and
 * watches the compiled code's run for exceptions and interrupts. The
 * rewritten cell reaches this object through a symbol-keyed global.
 */
import vm from "node:vm";

import { CellRun, CellStopped } from "./cell-run";
import type { TslabExecutor, TslabKernel } from "./kernel";
import { planCell, RUNTIME_EXPR } from "./magic";
import { HELP } from "./options";

const ADOPTED = Symbol("iops-profiler adopted this executor");

/**
 * Watches the next script run by vm.runInThisContext: the cell tslab just
 * compiled (one-shot, so code that the cell itself runs with vm is left
 * alone). The script is wrapped in a try/catch that calls `threw` the moment
 * the code throws, inside the script: before Node tears down its SIGINT
 * watch (a read and a write on libuv's signal-lock pipe) and before tslab
 * prints the error. A cell with top-level await (tslab wraps it in an async
 * function) rejects instead: `threw` is called by the first reaction to its
 * promise. Returns the undo.
 *
 * Such a cell is run without `breakOnSigint`: Node would tear that watch
 * down when the script returns at the code's first await, inside the window.
 * It is interrupted the way tslab interrupts every awaiting cell, through
 * the kernel's SIGINT handler (only a busy loop before its first await would
 * wait for that await).
 */
function watchNextScript(runId: number, threw: (error: unknown) => void): () => void {
  const original = vm.runInThisContext;
  const watching = function (this: unknown, code: string, options?: vm.RunningScriptOptions | string) {
    vm.runInThisContext = original;
    const isAsync = /^\(async function\b/.test(code);
    if (isAsync && typeof options === "object") options = { ...options, breakOnSigint: false };
    // Same first line (line numbers in stack traces stay right); the try's completion value is the code's.
    const guarded = `try { ${code}\n} catch (error) { ${RUNTIME_EXPR}.threw(${runId}, error); throw error; }`;
    let ret: unknown;
    try {
      ret = original.call(vm, guarded, options as vm.RunningScriptOptions);
    } catch (e) {
      // Not catchable inside the script: an interrupt (breakOnSigint terminates it).
      threw(e);
      throw e;
    }
    // Registered before tslab awaits the promise, so this runs first.
    if (ret instanceof Promise) ret.then(undefined, threw);
    return ret;
  } as typeof vm.runInThisContext;
  vm.runInThisContext = watching;
  return () => {
    if (vm.runInThisContext === watching) vm.runInThisContext = original;
  };
}

/** Why a window stopped short: the code threw, or the kernel was interrupted. */
function cutReason(error: unknown): string {
  return (error as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" ? "interrupted" : "the code threw an exception";
}

export class MagicRuntime {
  private nextRunId = 1;
  private current: CellRun | null = null;

  constructor(private readonly kernel: TslabKernel) {}

  /** Wraps the executor's execute and interrupt, once. */
  adopt(executor: TslabExecutor & { [ADOPTED]?: true }): void {
    if (executor[ADOPTED]) return;
    executor[ADOPTED] = true;
    const execute = executor.execute;
    const interrupt = executor.interrupt;
    executor.execute = (source) => this.execute(source, execute);
    executor.interrupt = () => {
      this.current?.cut("interrupted");
      interrupt();
    };
  }

  private async execute(source: string, execute: (source: string) => Promise<boolean>): Promise<boolean> {
    const runId = this.nextRunId++;
    const plan = planCell(source, runId);
    if (plan.kind === "plain") return execute(source);
    if (plan.kind === "help") {
      process.stdout.write(HELP + "\n");
      return true;
    }
    if (plan.kind === "error") {
      process.stderr.write(`%iops: ${plan.message}\n`);
      return false;
    }
    const run = new CellRun(runId, plan.magics, this.kernel.writeDisplayData());
    this.current = run;
    try {
      // The tracer attaches now, before tslab compiles the cell; counting
      // starts only at the begin marker, right before the user's code.
      await run.open(0);
    } catch (e) {
      this.current = null;
      await run.finish();
      if (!(e instanceof CellStopped)) throw e;
      process.stderr.write(`%iops: ${e.message}\n`);
      return false;
    }
    const unwatch = watchNextScript(runId, (e) => run.cut(cutReason(e)));
    try {
      return await execute(plan.source);
    } finally {
      unwatch();
      this.current = null;
      await run.finish();
    }
  }

  private run(runId: number): CellRun | null {
    return this.current?.id === runId ? this.current : null;
  }

  // Called by the rewritten cell (see magic.ts). Calls from a cell that is
  // no longer current (async code left running by an interrupt) do nothing,
  // except open, which stops that code.

  async open(runId: number, k: number): Promise<void> {
    const run = this.run(runId);
    if (!run) throw new CellStopped("this cell was stopped");
    await run.open(k);
  }

  threw(runId: number, error: unknown): void {
    this.run(runId)?.cut(cutReason(error));
  }

  begin(runId: number, k: number): void {
    this.run(runId)?.begin(k);
  }

  end(runId: number, k: number): void {
    this.run(runId)?.end(k);
  }

  async show(runId: number, k: number): Promise<void> {
    await this.run(runId)?.show(k);
  }
}
