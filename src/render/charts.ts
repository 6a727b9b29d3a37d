/**
 * Chart figures laid out from the view model, as plain Plotly
 * `{ data, layout }` objects. The one implementation behind every chart we
 * draw: the HTML report page and the notebook output both render these.
 */
import type { Report } from "../report";
import { thousands } from "../view/units";
import { buildView, octaves, type Octave, type ReportView } from "../view/view";

export interface Figure {
  /** A stable name, used in element ids and tests. */
  id: string;
  title: string;
  data: object[];
  layout: object;
}

/** Octaves a log axis can show: the zero-byte (or zero-ns) octave has no place on it. */
const onLogAxis = (list: Octave[]) => list.filter((o) => o.lo > 0);

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
  return sizeFigures(buildView(report));
}

function sizeFigures(view: Pick<ReportView, "sizes">): Figure[] {
  if (!view.sizes) return [];
  const read = onLogAxis(view.sizes.read);
  const write = onLogAxis(view.sizes.write);
  const all = onLogAxis(view.sizes.all);
  const zeroOps = view.sizes.all.filter((o) => o.lo === 0).reduce((n, o) => n + o.count, 0);
  const note = zeroOps > 0 ? ` (${thousands(zeroOps)} zero-byte ops not shown)` : "";
  const series = [
    { name: "reads", buckets: read, color: COLORS.read },
    { name: "writes", buckets: write, color: COLORS.write },
    { name: "all", buckets: all, color: COLORS.all },
  ];
  const figure = (id: string, title: string, yTitle: string, y: (b: Octave) => number): Figure => ({
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
    figure("size-bytes", "Bytes moved by size", "bytes", (b) => b.sum),
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
        const buckets = onLogAxis(octaves(s.summary!.bins));
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
  return viewFigures(buildView(report));
}

/** reportFigures, from a view. */
export function viewFigures(view: ReportView): Figure[] {
  return [...sizeFigures(view), ...latencyFigures(view.report), ...timelineFigures(view.report)];
}
