/**
 * The windows of one cell being executed: the rewritten cell calls
 * open → begin → (the user's code) → end → show for each magic. Anything that
 * cuts the code short (an exception, an interrupt) ends the open window at
 * once, and `finish()` makes sure that no window outlives the cell: the
 * kernel is never left traced.
 */
import { inspect } from "node:util";

import { writeOutputFile } from "../output";
import { openWindow, type IopsWindow, type ProfileOptions } from "../profile";
import { IopsError, type Report } from "../report";
import { keepReport } from "./kept";
import { notebookDisplays } from "../render/notebook";
import { HeldOutput } from "./held-output";
import type { KernelTraffic } from "./host-traffic";
import type { WriteDisplayData } from "./kernel";
import type { Magic } from "./magic";
import { carriesPlotly } from "./plotly-carrier";

type State = "idle" | "opening" | "open" | "begun" | "ended" | "unmeasured" | "shown";

interface Slot {
  magic: Magic;
  state: State;
  opening: Promise<void> | null;
  window: IopsWindow | null;
  report: Promise<Report> | null;
  /** Why the figures stop short of the code's end, if they do. */
  cut: string | null;
}

/**
 * Stops a cell's code from running on (its run was cut short, or its window
 * could not open); shown as tslab shows any error, in one line.
 */
export class CellStopped extends IopsError {
  constructor(message: string, code = "ECANCELED") {
    super(message, code);
  }

  /** tslab prints errors with util.inspect: one line, no stack (it is not the user's code). */
  [inspect.custom](): string {
    return `${this.name}: ${this.message}`;
  }
}

export class CellRun {
  private readonly slots: Slot[];
  private readonly output = new HeldOutput();
  private stopped: string | null = null;
  private skipped = false;
  private readonly stderr: (text: string) => void;

  constructor(
    readonly id: number,
    magics: Magic[],
    private readonly writeDisplayData: WriteDisplayData | null,
    private readonly kernelTraffic: KernelTraffic,
    /** The cell's source, as sent by the frontend (which output carries Plotly: plotly-carrier.ts). */
    private readonly source = "",
  ) {
    this.slots = magics.map((magic) => ({ magic, state: "idle", opening: null, window: null, report: null, cut: null }));
    const write = process.stderr.write.bind(process.stderr);
    this.stderr = (text) => void write(text);
  }

  private slot(k: number): Slot {
    return this.slots[k];
  }

  /**
   * Attaches the tracer to the kernel for window k: the first window once
   * tslab has compiled the cell, right before its code runs; a later `%iops`
   * line's window when the cell reaches it. Counting starts only at begin().
   */
  async open(k: number): Promise<void> {
    if (this.stopped) throw new CellStopped(`this cell was stopped (${this.stopped})`);
    const slot = this.slot(k);
    if (this.skipped) return;
    const { allFds, shareCpu, method } = slot.magic.options;
    slot.state = "opening";
    slot.opening = (async () => {
      try {
        slot.window = await openWindow({ allFds, shareCpu, host: this.kernelTraffic.now(), ...(method === null ? {} : { method: method as ProfileOptions["method"] }) });
        slot.state = "open";
      } catch (e) {
        const err = e as { code?: string; message?: string };
        if (err.code === "EBUSY") {
          slot.state = "shown";
          throw new CellStopped(`${err.message} (is a profile() still running?); the code did not run`, "EBUSY");
        }
        slot.state = "unmeasured";
        this.stderr(`iops: tracing could not start (${err.message}); the code runs unmeasured\n`);
      }
    })();
    await slot.opening;
    if (this.stopped && (slot.state as State) === "open") {
      // Interrupted while the tracer was attaching: run nothing (finish() detaches).
      throw new CellStopped(`this cell was stopped (${this.stopped})`);
    }
  }

  /** The cell runs, but unmeasured: says why, in one line. */
  skip(reason: string): void {
    this.skipped = true;
    this.stderr(`iops: ${reason}; it ran unmeasured\n`);
  }

  begin(k: number): void {
    const slot = this.slot(k);
    if (slot.state !== "open") return;
    slot.state = "begun";
    slot.window!.begin();
  }

  end(k: number): void {
    const slot = this.slot(k);
    if (slot.state !== "begun") return;
    slot.state = "ended";
    slot.report = slot.window!.end();
  }

  /** Shows window k's results (once). */
  async show(k: number): Promise<void> {
    const slot = this.slot(k);
    if (slot.state === "unmeasured") slot.state = "shown";
    if (slot.state !== "ended") return;
    slot.state = "shown";
    let report: Report;
    try {
      report = await slot.report!;
    } catch (e) {
      this.stderr(`iops: no figures for this ${slot.magic.kind === "cell" ? "cell" : "line"}: ${(e as Error).message}; the next %iops starts a new tracer\n`);
      return;
    }
    const { histogram, heatmap, top, json, saveAs } = slot.magic.options;
    if (saveAs) keepReport(saveAs, report);
    if (json) {
      try {
        writeOutputFile("--json", json, JSON.stringify(report, null, 2) + "\n");
      } catch (e) {
        this.stderr(`iops: ${(e as Error).message}\n`);
      }
    }
    const notice = [slot.window!.notice, slot.cut].filter(Boolean).join("; ") || null;
    const displays = notebookDisplays(report, { histogram, heatmap, top, notice, embedPlotly: () => carriesPlotly(this.source) });
    for (const data of displays) {
      if (this.writeDisplayData) this.writeDisplayData({ data, metadata: {}, transient: {} }, false);
      else process.stdout.write(data["text/plain"] + "\n");
    }
  }

  /**
   * The code threw or was interrupted: end the open window right now (its
   * figures stop here) and hold the cell's further output (tslab printing
   * the error) until the results are shown.
   */
  cut(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    for (let k = 0; k < this.slots.length; k++) {
      const slot = this.slots[k];
      if (slot.state === "begun") {
        this.end(k);
        slot.cut = `${reason}: the figures cover the code up to there`;
        this.output.hold();
      }
    }
  }

  /** After the cell: no window may stay open; results not yet shown are shown. */
  async finish(): Promise<void> {
    this.stopped ??= "the cell ended";
    await Promise.allSettled(this.slots.map((s) => s.opening));
    for (let k = 0; k < this.slots.length; k++) {
      const slot = this.slots[k];
      if (slot.state === "open") {
        // Its code never ran (stopped before it began): detach, show nothing.
        this.begin(k);
        this.end(k);
        slot.state = "shown";
        void slot.report!.catch(() => {});
      }
      if (slot.state === "begun") {
        this.end(k);
        slot.cut = "the cell ended before this window's end";
      }
    }
    try {
      for (let k = 0; k < this.slots.length; k++) await this.show(k);
    } finally {
      this.output.release();
    }
  }
}
