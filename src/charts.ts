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
/** Legend below the x axis title, not on it. */
const LEGEND = { orientation: "h", y: -0.28 };
const MARGIN = { t: 50, r: 20, b: 90, l: 70 };

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
      margin: MARGIN,
      legend: LEGEND,
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

/** The layout every figure shares: transparent, readable on light and dark pages. */
function baseLayout(title: string, xaxis: object, yaxis: object): object {
  return {
    title: { text: title },
    xaxis: { gridcolor: GRID, zerolinecolor: GRID, ...xaxis },
    yaxis: { rangemode: "tozero", gridcolor: GRID, zerolinecolor: GRID, ...yaxis },
    margin: MARGIN,
    legend: LEGEND,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: "#888" },
  };
}

/**
 * Latency per operation: how many reads and writes took each time, by
 * power-of-two buckets of the core's latency bins, log x axis in µs.
 * Empty when the source measured no latency.
 */
export function latencyFigures(report: Report): Figure[] {
  const l = report.latency;
  if (!l || (!l.read && !l.write)) return [];
  const series = [
    { name: "reads", summary: l.read, color: COLORS.read },
    { name: "writes", summary: l.write, color: COLORS.write },
  ].filter((s) => s.summary && s.summary.count > 0);
  if (series.length === 0) return [];
  return [
    {
      id: "latency",
      title: "Latency per operation",
      data: series.map((s) => {
        const buckets = octaveBuckets(s.summary!.bins);
        return {
          type: "scatter",
          mode: "lines+markers",
          name: `${s.name} (p50 ${(s.summary!.p50Ns / 1e3).toFixed(1)} µs, p99 ${(s.summary!.p99Ns / 1e3).toFixed(1)} µs)`,
          x: buckets.map((b) => b.lo / 1e3),
          y: buckets.map((b) => b.count),
          line: { color: s.color },
          hovertemplate: "%{x:,.3~f} µs and up: %{y:,} ops<extra>" + s.name + "</extra>",
        };
      }),
      layout: baseLayout(
        "Latency per operation (syscall entry to exit, as traced)",
        { title: { text: "µs per operation" }, type: "log" },
        { title: { text: "operations" } },
      ),
    },
  ];
}

/**
 * IOPS and throughput over the window, from the report's timeline (one point
 * per interval; rates are per second). Empty without a timeline.
 */
export function timelineFigures(report: Report): Figure[] {
  const tl = report.timeline;
  if (!tl || tl.points.length === 0 || !(tl.intervalSeconds > 0)) return [];
  const x = tl.points.map((p) => p.t);
  const rate = (v: number) => v / tl.intervalSeconds;
  const line = (name: string, y: number[], color: string) => ({
    type: "scatter",
    mode: tl.points.length > 1 ? "lines" : "markers",
    name,
    x,
    y,
    line: { color, shape: "hv", dash: name === "all" ? "dot" : "solid" },
  });
  const xaxis = { title: { text: `seconds since start (intervals of ${+tl.intervalSeconds.toPrecision(3)} s)` } };
  return [
    {
      id: "iops-over-time",
      title: "IOPS over time",
      data: [
        line("reads", tl.points.map((p) => rate(p.readOps)), COLORS.read),
        line("writes", tl.points.map((p) => rate(p.writeOps)), COLORS.write),
        line("all", tl.points.map((p) => rate(p.readOps + p.writeOps)), COLORS.all),
      ],
      layout: baseLayout("IOPS over time", xaxis, { title: { text: "operations per second" } }),
    },
    {
      id: "throughput-over-time",
      title: "Throughput over time",
      data: [
        line("reads", tl.points.map((p) => rate(p.readBytes)), COLORS.read),
        line("writes", tl.points.map((p) => rate(p.writeBytes)), COLORS.write),
        line("all", tl.points.map((p) => rate(p.readBytes + p.writeBytes)), COLORS.all),
      ],
      layout: baseLayout("Throughput over time", xaxis, { title: { text: "bytes per second" }, exponentformat: "SI", ticksuffix: "B/s" }),
    },
  ];
}

/** Every figure of a report, in page order: the sizes, latency, then time. */
export function reportFigures(report: Report): Figure[] {
  return [...sizeHistogramFigures(report), ...latencyFigures(report), ...timelineFigures(report)];
}
