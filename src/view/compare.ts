/**
 * Two reports side by side (`iops compare a.json b.json`, `%iops compare`):
 * each figure of both with B's ratio to A, and a one-line verdict ("B does
 * 10,000× fewer writes for the same bytes"). Computed once for the text,
 * the JSON, the page and the notebook.
 */
import type { Report } from "../report";
import { humanBytes, humanDuration, humanRate, thousands } from "./units";

export type CompareId = "readOps" | "writeOps" | "totalOps" | "bytes" | "meanSize" | "ioSeconds" | "elapsed" | "iops" | "throughput";

/** One figure of both reports. */
export interface CompareRow {
  id: CompareId;
  label: string;
  /** A's value; null when A's source could not measure it. */
  a: number | null;
  b: number | null;
  /** b / a; null when either is unknown or a is 0 (and b is not). 1 when both are 0. */
  ratio: number | null;
  /** The values as people read them. */
  aText: string;
  bText: string;
}

/** The shape `iops compare --json` writes. */
export interface Comparison {
  a: { name: string; method: string };
  b: { name: string; method: string };
  rows: CompareRow[];
  verdict: string;
}

/** Seconds inside reads and writes (the sum of their latencies); null without durations. */
export function ioSeconds(r: Report): number | null {
  const l = r.latency;
  if (!l) return null;
  const part = (s: { meanNs: number; count: number } | null) => (s ? s.meanNs * s.count : 0);
  return (part(l.read) + part(l.write)) / 1e9;
}

const NONE = "–";

function figures(r: Report): Record<CompareId, number | null> {
  const s = r.summary;
  const ops = s.totalOps;
  return {
    readOps: s.readOps,
    writeOps: s.writeOps,
    totalOps: ops,
    bytes: s.totalBytes,
    meanSize: ops !== null && s.totalBytes !== null && ops > 0 ? s.totalBytes / ops : null,
    ioSeconds: ioSeconds(r),
    elapsed: r.elapsedSeconds,
    iops: s.iops,
    throughput: s.throughputBytesPerSecond,
  };
}

const LABELS: Record<CompareId, [string, (v: number) => string]> = {
  readOps: ["Read operations", thousands],
  writeOps: ["Write operations", thousands],
  totalOps: ["Total operations", thousands],
  bytes: ["Total bytes", humanBytes],
  meanSize: ["Mean size", (v) => humanBytes(Math.round(v))],
  ioSeconds: ["Time in I/O", humanDuration],
  elapsed: ["Execution time", humanDuration],
  iops: ["IOPS", (v) => thousands(Math.round(v))],
  throughput: ["Throughput", humanRate],
};

function ratioOf(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  if (a === 0) return b === 0 ? 1 : null;
  return b / a;
}

/** "10,000×", "2.5×", "1.04×": a factor as people read it. */
export function factor(x: number): string {
  if (x >= 100) return `${thousands(Math.round(x))}×`;
  if (x >= 10) return `${x.toFixed(1).replace(/\.0$/, "")}×`;
  return `${x.toFixed(2).replace(/0$/, "").replace(/\.0$/, "")}×`;
}

/** "10,000× fewer", "2.5× more"; null when within 1 % (the same). */
function change(ratio: number): string | null {
  if (Math.abs(ratio - 1) < 0.01) return null;
  return ratio < 1 ? `${factor(1 / ratio)} fewer` : `${factor(ratio)} more`;
}

/** The verdict: what B does differently from A, in one line. */
function verdict(rows: Record<CompareId, CompareRow>, aName: string, bName: string): string {
  const bytes = rows.bytes.ratio;
  // The kind of operation whose count changed most tells the story.
  const candidates = (["writeOps", "readOps"] as const)
    .map((id) => ({ id, ratio: rows[id].ratio, a: rows[id].a ?? 0, b: rows[id].b ?? 0 }))
    .filter((c) => c.a + c.b > 0);
  const most = candidates
    .filter((c) => c.ratio !== null && c.ratio > 0)
    .sort((x, y) => Math.abs(Math.log(y.ratio!)) - Math.abs(Math.log(x.ratio!)))[0];
  const noun = (id: "writeOps" | "readOps") => (id === "writeOps" ? "writes" : "reads");
  let line: string;
  if (!most) {
    const only = candidates.find((c) => c.a === 0 || c.b === 0);
    if (!only) return `${bName} and ${aName}: no operations to compare`;
    line = only.a === 0 ? `${bName} does ${thousands(only.b)} ${noun(only.id)}, ${aName} none` : `${bName} does no ${noun(only.id)}, ${aName} ${thousands(only.a)}`;
    return line;
  }
  const ops = change(most.ratio!);
  const sameBytes = bytes !== null && Math.abs(bytes - 1) < 0.01;
  if (ops === null) {
    if (sameBytes) return `${bName} does the same I/O as ${aName} (operations and bytes within 1%)`;
    line = `${bName} does as many ${noun(most.id)} as ${aName}`;
  } else line = `${bName} does ${ops} ${noun(most.id)}`;
  if (sameBytes) line += " for the same bytes";
  else if (bytes !== null && bytes > 0) line += ` and moves ${change(bytes)} bytes`;
  const time = rows.ioSeconds.ratio;
  const timeChange = time !== null && time > 0 ? change(time) : null;
  if (timeChange) line += `, with ${timeChange.replace("fewer", "less")} time in I/O`;
  return line;
}

/** A compared with B. `aName`, `bName`: how to call them ("small.json", "small"). */
export function compareReports(a: Report, b: Report, aName = "A", bName = "B"): Comparison {
  const fa = figures(a);
  const fb = figures(b);
  const byId = {} as Record<CompareId, CompareRow>;
  for (const id of Object.keys(LABELS) as CompareId[]) {
    const [label, fmt] = LABELS[id];
    byId[id] = { id, label, a: fa[id], b: fb[id], ratio: ratioOf(fa[id], fb[id]), aText: fa[id] === null ? NONE : fmt(fa[id]!), bText: fb[id] === null ? NONE : fmt(fb[id]!) };
  }
  return { a: { name: aName, method: a.method }, b: { name: bName, method: b.method }, rows: Object.values(byId), verdict: verdict(byId, aName, bName) };
}
