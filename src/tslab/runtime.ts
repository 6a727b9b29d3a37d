/**
 * The magics' runtime in the kernel: wraps tslab's executor so that a cell
 * with `%%iops` or `%iops` is rewritten before tslab compiles it, and
 * watches the compiled code's run for exceptions and interrupts. The
 * rewritten cell reaches this object through a symbol-keyed global.
 */
import vm from "node:vm";

import { CellRun, CellStopped } from "./cell-run";
import type { TslabExecutor, TslabKernel } from "./kernel";
import { planCell } from "./magic";
import { HELP } from "./options";

const ADOPTED = Symbol("iops-profiler adopted this executor");

/**
 * Calls `onThrow` as soon as the next script run by vm.runInThisContext (the
 * cell tslab just compiled) throws or, for a cell with top-level await,
 * rejects: before tslab prints the error. One-shot, so code that the cell
 * itself runs with vm is left alone. Returns the undo.
 */
function watchNextScript(onThrow: () => void): () => void {
  const original = vm.runInThisContext;
  const watching = function (this: unknown, code: string, options?: vm.RunningScriptOptions | string) {
    vm.runInThisContext = original;
    let ret: unknown;
    try {
      ret = original.call(vm, code, options as vm.RunningScriptOptions);
    } catch (e) {
      onThrow();
      throw e;
    }
    // Registered before tslab awaits the promise, so this runs first.
    if (ret instanceof Promise) ret.then(undefined, onThrow);
    return ret;
  } as typeof vm.runInThisContext;
  vm.runInThisContext = watching;
  return () => {
    if (vm.runInThisContext === watching) vm.runInThisContext = original;
  };
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
    const unwatch = watchNextScript(() => run.cut("the code threw an exception"));
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
