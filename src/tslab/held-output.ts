/**
 * Holds back what a cell writes to stdout and stderr (in tslab: its stream
 * messages) from the moment the profiled code threw until the results are
 * shown, so the error appears after the results of what ran before it.
 */
type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
type Stream = { write: Write };

export class HeldOutput {
  private readonly held: [Stream, unknown][] = [];
  private saved: [Stream, Write][] | null = null;

  hold(): void {
    if (this.saved) return;
    const streams = [process.stdout, process.stderr] as unknown as Stream[];
    this.saved = streams.map((s) => [s, s.write]);
    for (const s of streams) {
      s.write = (chunk: unknown) => {
        this.held.push([s, chunk]);
        return true;
      };
    }
  }

  /** Puts the writers back and writes what was held, in order. */
  release(): void {
    if (!this.saved) return;
    for (const [s, write] of this.saved) s.write = write;
    this.saved = null;
    for (const [s, chunk] of this.held.splice(0)) s.write(chunk);
  }
}
