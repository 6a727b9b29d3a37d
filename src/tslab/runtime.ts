/**
 * The magics' runtime in the kernel: wraps tslab's executor so that a cell
 * with `%%iops` or `%iops` is rewritten before tslab compiles it, then takes
 * over the compiled code's run: the tracer attaches after the compilation,
 * and exceptions and interrupts end the window at once. The rewritten cell
 * reaches this object through a symbol-keyed global.
 */
import vm from "node:vm";

import { userStack, type CellSource } from "./cell-errors";
import { CellRun, CellStopped } from "./cell-run";
import { CompileErrors } from "./compile-errors";
import type { KernelTraffic } from "./host-traffic";
import type { TslabExecutor, TslabKernel } from "./kernel";
import { planCell, RUNTIME_EXPR, type CellPlan } from "./magic";
import { HELP } from "./options";
import { keptReport } from "./kept";
import { compareDisplay } from "../render/compare";
import { carriesPlotly } from "./plotly-carrier";

const ADOPTED = Symbol("iops-profiler adopted this executor");

/** A cell to run measured: its plan, and its lines as typed. */
type RunPlan = Extract<CellPlan, { kind: "run" }> & { shown: string[] };

/**
 * Takes over the next script run by vm.runInThisContext: the cell that tslab
 * has just compiled (one-shot, so code that the cell itself runs with vm is
 * left alone). It returns at once a promise that tslab awaits (the rewritten
 * cell is compiled as one with top-level await); the promise waits for the
 * first window to be open (`opening`: the tracer attaches in the helper
 * process while tslab compiles), then runs the script. tslab's compilation
 * is never measured: counting starts at the window's start mark.
 *
 * The script is wrapped in a try/catch that ends the window the moment the
 * code throws, inside the script: before Node tears down its SIGINT watch (a
 * read and a write on libuv's signal-lock pipe) and before tslab prints the
 * error. An asynchronous failure ends it in the first reaction to the
 * script's promise.
 *
 * Code with a top-level await of its own is run without `breakOnSigint`:
 * Node would tear that watch down when the script returns at the first
 * await, inside the window. Such a cell is interrupted the way tslab
 * interrupts any awaiting cell, through the kernel's SIGINT handler (only a
 * busy loop before its first await would wait for that await). Other cells
 * keep `breakOnSigint`, so a busy loop is interrupted as in any tslab cell.
 */
function takeNextScript(run: CellRun, plan: RunPlan, opening: Promise<void>, compiled: () => void): () => void {
  const original = vm.runInThisContext;
  const taking = function (this: unknown, code: string, options?: vm.RunningScriptOptions | string) {
    vm.runInThisContext = original;
    compiled();
    if (!/^\(async function\b/.test(code) || typeof options !== "object") {
      // Not compiled the way the rewriting expects (another tslab version?): run it unmeasured.
      run.skip("this tslab compiled the cell in an unexpected way");
      return original.call(vm, code, options as vm.RunningScriptOptions);
    }
    // A name of its own, so that its frames are known in a stack trace (cell-errors.ts).
    const filename = `evalmachine.<iops-run-${run.id}>`;
    const runOptions = { ...options, filename, breakOnSigint: Boolean(options.breakOnSigint) && !plan.userAwaits };
    const guarded = guardThrows(code, run.id, plan.magics[0].kind === "cell");
    if (guarded === null) {
      run.skip("this tslab wrapped the cell in an unexpected way");
      return original.call(vm, code, options);
    }
    const cell: CellSource = { filename, compiled: guarded, shown: plan.shown, code: plan.code, codeStart: plan.codeStart };
    const result = (async () => {
      await opening;
      try {
        return await (original.call(vm, guarded, runOptions) as Promise<unknown>);
      } catch (e) {
        // A rejection, or an interrupt (breakOnSigint terminates the script: not catchable inside it).
        run.cut(cutReason(e));
        showAtUserLines(e, cell);
        throw e;
      }
    })();
    // Registered before tslab awaits the promise, so this runs first.
    result.then(undefined, (e) => run.cut(cutReason(e)));
    return result;
  } as typeof vm.runInThisContext;
  vm.runInThisContext = taking;
  return () => {
    if (vm.runInThisContext === taking) vm.runInThisContext = original;
  };
}

/** The cell's error as tslab prints it: it prints `error.stack` (util.inspect). */
function showAtUserLines(error: unknown, cell: CellSource): void {
  const stack = userStack(error, cell);
  if (stack === null) return;
  try {
    (error as Error).stack = stack;
  } catch {
    // A frozen error: shown as it is.
  }
}

/** How tslab 1.0 wraps a cell with top-level await. */
const ASYNC_PREFIX = "(async function(exports, require) { ";
const ASYNC_SUFFIX = "\n})(__tslab__.exports, __tslab__.require)";

/**
 * Wraps the compiled cell's body in a try/catch that tells the runtime of
 * a throw the moment it happens (an exception in an async function would
 * otherwise only surface as a rejection once the script has returned).
 * With `cellWindow` (a `%%iops` cell), the body is the window: its start
 * and end marks go right before and after it (tslab's compiler never sees
 * them). The first line stays the first line, and the wrapping's own lines
 * are the last two, so positions in stack traces hold (cell-errors.ts).
 * Null when the code is not wrapped as tslab 1.0 does and a window's marks
 * would have no place.
 */
function guardThrows(code: string, runId: number, cellWindow: boolean): string | null {
  const R = RUNTIME_EXPR;
  const onThrow = `catch (error) { ${R}.threw(${runId}, error); throw error; }`;
  if (code.startsWith(ASYNC_PREFIX) && code.endsWith(ASYNC_SUFFIX)) {
    const body = code.slice(ASYNC_PREFIX.length, -ASYNC_SUFFIX.length);
    const [begin, end] = cellWindow ? [`${R}.begin(${runId}, 0); `, `;${R}.end(${runId}, 0); `] : ["", ""];
    return `${ASYNC_PREFIX}try { ${begin}${body}\n${end}} ${onThrow}${ASYNC_SUFFIX}`;
  }
  if (cellWindow) return null;
  // Another wrapping: catch what throws synchronously; the try's completion value is the code's.
  return `try { ${code}\n} ${onThrow}`;
}

/** Why a window stopped short: the code threw, or the kernel was interrupted. */
function cutReason(error: unknown): string {
  return (error as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" ? "interrupted" : "the code threw an exception";
}

export class MagicRuntime {
  private nextRunId = 1;
  private current: CellRun | null = null;

  constructor(
    private readonly kernel: TslabKernel,
    /** The kernel's own traffic, as it was when the magics were loaded. */
    private readonly kernelTraffic: KernelTraffic,
  ) {}

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
    const plan = planCell(source, runId, this.kernel.typescript);
    // From a microtask of its own: the code then runs with none of our
    // frames under it, so its errors' stack traces show none of ours.
    if (plan.kind === "plain") return Promise.resolve(source).then(execute);
    if (plan.kind === "help") {
      process.stdout.write(HELP + "\n");
      return true;
    }
    if (plan.kind === "compare") return this.compare(plan.a, plan.b, source);
    if (plan.kind === "error") {
      process.stderr.write(`%iops: ${plan.message}\n`);
      return false;
    }
    const run = new CellRun(runId, plan.magics, this.kernel.writeDisplayData(), this.kernelTraffic, source);
    this.current = run;
    // The first window opens while tslab compiles the cell: the helper
    // attaches on its own CPU time, not after the compilation. A cell that
    // never runs (a compile error) needs no answer: finish() detaches.
    const opening = run.open(0);
    opening.catch(() => {});
    // tslab's compile errors, if any, at the columns typed (compile-errors.ts).
    const compiling = new CompileErrors(plan, (globalThis as { __tslab__?: { exports?: object } }).__tslab__?.exports);
    const release = takeNextScript(run, { ...plan, shown: source.split("\n") }, opening, () => compiling.stop());
    try {
      return await execute(plan.source);
    } finally {
      compiling.stop();
      release();
      this.current = null;
      await run.finish();
    }
  }

  /** `%iops compare a b`: the two kept reports side by side (no code runs). */
  private compare(a: string, b: string, source: string): boolean {
    let data;
    try {
      data = compareDisplay(a, keptReport(a), b, keptReport(b), carriesPlotly(source));
    } catch (e) {
      process.stderr.write(`%iops: ${(e as Error).message}\n`);
      return false;
    }
    const write = this.kernel.writeDisplayData();
    if (write) write({ data, metadata: {}, transient: {} }, false);
    else process.stdout.write(data["text/plain"] + "\n");
    return true;
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
