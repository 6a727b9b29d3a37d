/**
 * The files of one `strace -ff -o PREFIX` capture (PREFIX.PID, a file per
 * process, its lines without a pid) read as the one log `strace -f -o`
 * would have written: each line given its pid, taken from its file's name,
 * and the files' lines merged in the order of their timestamps (a log
 * without timestamps: file after file, lowest pid first, the first process
 * usually being the lowest). strace -r stamps (time since the file's
 * previous line) have no common origin across files: they are left out,
 * and the log reads as one without timestamps (its elapsed time unknown,
 * not the sum of every file's deltas).
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { createInterface } from "node:readline";

import { IopsError } from "../report";

/** The pid a file of a `strace -ff -o PREFIX` capture is named by (PREFIX.PID). */
export function pidOfFile(path: string): number {
  const m = /\.(\d+)$/.exec(basename(path));
  if (!m) {
    throw new IopsError(
      `several logs are read as the files of one strace -ff -o PREFIX capture, named PREFIX.PID: ${path} does not end in .PID (for unrelated logs, import each alone)`,
      "EINVAL",
    );
  }
  return Number(m[1]);
}

/**
 * A line's timestamp in seconds, for ordering: -ttt (seconds since the
 * epoch), -tt/-t (time of day); undefined without one. -r (time since the
 * previous line of that file) orders nothing across files: undefined.
 */
function secondsOf(line: string): number | undefined {
  const m = /^\s*(?:(\d+):(\d+):(\d+(?:\.\d+)?)|(\d{9,}\.\d+))\s/.exec(line);
  if (!m) return undefined;
  if (m[4] !== undefined) return Number(m[4]);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** strace -r's stamp alone at a line's start (no absolute time before it). */
const RELATIVE = /^\s*\d{1,8}\.\d+ +(?=[^\s(])/;

interface Source {
  pid: number;
  lines: AsyncIterator<string>;
  head: string | undefined;
  at: number | undefined;
  /** The file's lines carry -r stamps (decided on its first line). */
  relative: boolean | undefined;
}

async function advance(s: Source): Promise<void> {
  const next = await s.lines.next();
  s.head = next.done ? undefined : next.value;
  if (s.head !== undefined) {
    s.relative ??= RELATIVE.test(s.head);
    if (s.relative) s.head = s.head.replace(RELATIVE, "");
  }
  s.at = s.head === undefined ? undefined : secondsOf(s.head);
}

/**
 * Chunks of the merged log of `paths` (each a PREFIX.PID file): `PID line`
 * lines, earliest timestamp first. Throws IopsError when a name has no pid.
 */
export async function* ffChunks(paths: string[]): AsyncGenerator<Buffer> {
  const sources: Source[] = paths
    .map((p) => ({ path: p, pid: pidOfFile(p) }))
    .sort((a, b) => a.pid - b.pid)
    .map(({ path, pid }) => ({
      pid,
      lines: createInterface({ input: createReadStream(path), crlfDelay: Infinity })[Symbol.asyncIterator](),
      head: undefined,
      at: undefined,
      relative: undefined,
    }));
  for (const s of sources) await advance(s);
  let out: string[] = [];
  let size = 0;
  for (;;) {
    // The earliest head; a line without a timestamp goes with its file's order.
    let pick: Source | undefined;
    for (const s of sources) {
      if (s.head === undefined) continue;
      if (!pick) pick = s;
      else if (s.at !== undefined && pick.at !== undefined && s.at < pick.at) pick = s;
      if (pick.at === undefined) break;
    }
    if (!pick) break;
    out.push(`${pick.pid} ${pick.head}\n`);
    size += pick.head!.length;
    await advance(pick);
    if (size >= 1 << 20) {
      yield Buffer.from(out.join(""));
      out = [];
      size = 0;
    }
  }
  if (out.length) yield Buffer.from(out.join(""));
}
