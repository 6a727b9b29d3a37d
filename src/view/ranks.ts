/**
 * The per-process table of a merged report (`iops merge`): one row per
 * merged report, with what shows imbalance (each process's share of the
 * job's bytes and operations) and stragglers (elapsed against the median),
 * and the same per host. Computed once for the text, the page and the notebook.
 */
import type { RankRow, Report } from "../report";

export interface RankLine {
  /** "rank 3", or the report's file when it had no rank. */
  label: string;
  row: RankRow;
  ops: number;
  bytes: number;
  /** Share of the job's bytes, 0 to 1. */
  shareOfBytes: number;
  /** elapsed / the median process's elapsed; null without a clock. */
  elapsedOverMedian: number | null;
}

export interface HostLine {
  host: string;
  processes: number;
  ops: number;
  bytes: number;
  /** Seconds in reads and writes over its processes; null when one had no durations. */
  ioSeconds: number | null;
}

export interface RanksView {
  /** In rank order (reports without a rank after, in the order merged). */
  lines: RankLine[];
  hosts: HostLine[];
  /** The busiest process's bytes over the mean process's: 1 is perfectly even. */
  bytesMaxOverMean: number | null;
  /** The longest elapsed over the median; null without a clock. */
  elapsedMaxOverMedian: number | null;
}

/** The median of ascending `sorted`: its middle value, or the mean of its two middle values for an even count. */
function median(sorted: number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** The per-process view of a merged report; null for the report of one process. */
export function ranksView(report: Report): RanksView | null {
  const rows = report.ranks;
  if (!rows || rows.length === 0) return null;
  const bytesOf = (r: RankRow) => r.readBytes + r.writeBytes;
  const total = rows.reduce((n, r) => n + bytesOf(r), 0);
  const elapsed = rows.map((r) => r.elapsedSeconds).filter((e): e is number => e !== null).sort((a, b) => a - b);
  const mid = elapsed.length === rows.length ? median(elapsed) : null;
  const lines = rows
    .map((row) => ({
      label: row.rank !== null ? `rank ${row.rank}` : row.file,
      row,
      ops: row.readOps + row.writeOps,
      bytes: bytesOf(row),
      shareOfBytes: total > 0 ? bytesOf(row) / total : 0,
      elapsedOverMedian: mid && row.elapsedSeconds !== null ? row.elapsedSeconds / mid : null,
    }))
    .sort((a, b) => (a.row.rank ?? Infinity) - (b.row.rank ?? Infinity));
  const hosts = new Map<string, HostLine>();
  for (const l of lines) {
    const name = l.row.host ?? "unknown host";
    const h = hosts.get(name) ?? { host: name, processes: 0, ops: 0, bytes: 0, ioSeconds: 0 };
    h.processes += 1;
    h.ops += l.ops;
    h.bytes += l.bytes;
    h.ioSeconds = h.ioSeconds === null || l.row.ioSeconds === null ? null : h.ioSeconds + l.row.ioSeconds;
    hosts.set(name, h);
  }
  const mean = total / rows.length;
  return {
    lines,
    hosts: [...hosts.values()],
    bytesMaxOverMean: mean > 0 ? Math.max(...lines.map((l) => l.bytes)) / mean : null,
    elapsedMaxOverMedian: mid ? elapsed[elapsed.length - 1] / mid : null,
  };
}
