/**
 * Chart figures built from a report, as plain Plotly `{ data, layout }`
 * objects. The one implementation behind every chart we draw: the HTML
 * report page and the notebook output both render these.
 */
import type { Bin, Report } from "./report";

export interface Figure {
  /** A stable name, used in element ids and tests. */
  id: string;
  title: string;
  data: object[];
  layout: object;
}

/** Sizes are shown by powers of two: [2^k, 2^(k+1)) bytes. */
interface Bucket {
  lo: number;
  count: number;
  bytes: number;
}

/** Regroups the core's fine log bins into power-of-two buckets; zero-byte ops are left out (no place on a log axis). */
export function octaveBuckets(bins: Bin[]): Bucket[] {
  const byLo = new Map<number, Bucket>();
  for (const b of bins) {
    if (b.hi <= 1) continue;
    const lo = 2 ** Math.floor(Math.log2(Math.max(b.lo, 1)));
    const bucket = byLo.get(lo) ?? { lo, count: 0, bytes: 0 };
    bucket.count += b.count;
    bucket.bytes += b.sum;
    byLo.set(lo, bucket);
  }
  return [...byLo.values()].sort((a, b) => a.lo - b.lo);
}

const COLORS = { read: "#1f77b4", write: "#d62728", all: "#2ca02c" };
/** Translucent grey: grid lines that read on light and dark backgrounds alike. */
const GRID = "rgba(128,128,128,0.25)";

/**
 * The reference tool's two charts: operation count and total bytes by
 * bytes-per-operation, log x axis, one line each for reads, writes and all.
 * Empty when the report has no histogram (a counters-only source).
 */
export function sizeHistogramFigures(report: Report): Figure[] {
  if (!report.histogram) return [];
  const read = octaveBuckets(report.histogram.read);
  const write = octaveBuckets(report.histogram.write);
  const all = octaveBuckets([...report.histogram.read, ...report.histogram.write]);
  const zeroOps = [...report.histogram.read, ...report.histogram.write]
    .filter((b) => b.hi <= 1)
    .reduce((n, b) => n + b.count, 0);
  const note = zeroOps > 0 ? ` (${zeroOps.toLocaleString("en-US")} zero-byte ops not shown)` : "";
  const series = [
    { name: "reads", buckets: read, color: COLORS.read },
    { name: "writes", buckets: write, color: COLORS.write },
    { name: "all", buckets: all, color: COLORS.all },
  ];
  const figure = (id: string, title: string, yTitle: string, y: (b: Bucket) => number): Figure => ({
    id,
    title,
    data: series.map((s) => ({
      type: "scatter",
      mode: "lines+markers",
      name: s.name,
      x: s.buckets.map((b) => b.lo),
      y: s.buckets.map(y),
      line: { color: s.color, dash: s.name === "all" ? "dot" : "solid" },
      hovertemplate: "%{x:,} B and up: %{y:,}<extra>" + s.name + "</extra>",
    })),
    layout: {
      title: { text: title + note },
      xaxis: { title: { text: "bytes per operation" }, type: "log", exponentformat: "SI", gridcolor: GRID },
      yaxis: { title: { text: yTitle }, rangemode: "tozero", gridcolor: GRID, zerolinecolor: GRID },
      margin: { t: 50, r: 20, b: 50, l: 70 },
      legend: { orientation: "h" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: "#888" },
      modebar: { bgcolor: "rgba(0,0,0,0)", color: "#888" },
    },
  });
  return [
    figure("size-count", "Operations by size", "operations", (b) => b.count),
    figure("size-bytes", "Bytes moved by size", "bytes", (b) => b.bytes),
  ];
}
