/**
 * Chart figures laid out from the view model, as plain Plotly
 * `{ data, layout }` objects. The one implementation behind every chart we
 * draw: the HTML report page and the notebook output both render these.
 *
 * Distributions are bars over fixed power-of-two bins with every bin from
 * the smallest to the largest present (an empty bin is a bar of 0, never a
 * line drawn across it); every axis says its unit; byte axes are scaled to
 * one binary unit (KiB, MiB...) as the text is; titles sit on the left, clear
 * of Plotly's mode bar on the right.
 */
import type { Heatmap, Report, TimelinePoint, TimelineReport } from "../report";
import { count, humanRate, sizeLabel, thousands, timeScale } from "../view/units";
import { buildView, everyOctave, octaves, type Octave, type ReportView } from "../view/view";
import { BAR_WIDTH, barLines, gridLines, groups, sizeHistogramLines } from "./chart-text";

export interface Figure {
  /** A stable name, used in element ids and tests. */
  id: string;
  title: string;
  data: object[];
  layout: object;
  /**
   * The same chart as text lines (chart-text.ts): what shows where no
   * script runs. Absent for a chart with no text picture.
   */
  text?: string[];
}

export interface FigureOptions {
  /** Add the size-over-time heatmaps (operations and bytes). */
  heatmap?: boolean;
}

export const COLORS = { read: "#1f77b4", write: "#d62728", all: "#2ca02c" };
/** Translucent grey: grid lines that read on light and dark backgrounds alike. */
const GRID = "rgba(128,128,128,0.25)";
/** Legend below the x axis title, not on it. */
const LEGEND = { orientation: "h", y: -0.3, traceorder: "normal" };
/**
 * Room above the plot for the mode bar (the top 30 px or so, on the right)
 * and, under it, the title: however long the title, the two never meet.
 */
const MARGIN = { t: 72, r: 20, b: 100, l: 80 };

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** The binary unit `max` bytes read best in: its divisor and name ("MiB"). */
export function byteScale(max: number): { divisor: number; unit: string } {
  let u = 0;
  while (max >= 1024 * 2 ** (10 * u) && u < BINARY.length - 1) u++;
  return { divisor: 2 ** (10 * u), unit: BINARY[u] };
}

/** The layout every figure shares: transparent, readable on light and dark pages, title on the left. */
export function baseLayout(title: string, xaxis: object, yaxis: object, extra: object = {}): object {
  return {
    // Just above the plot area, below the mode bar's row.
    title: { text: title, x: 0, xref: "paper", xanchor: "left", y: 1, yref: "paper", yanchor: "bottom", pad: { b: 10 } },
    xaxis: { gridcolor: GRID, zerolinecolor: GRID, automargin: true, ...xaxis },
    yaxis: { rangemode: "tozero", gridcolor: GRID, zerolinecolor: GRID, automargin: true, ...yaxis },
    margin: MARGIN,
    legend: LEGEND,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: "#888" },
    modebar: { bgcolor: "rgba(0,0,0,0)", color: "#888", activecolor: "#555" },
    ...extra,
  };
}

/** Hover text of a bar of operation counts whose `customdata` is its bin's range. */
const COUNT_HOVER = "%{customdata}: %{y:,} ops";

/**
 * One series of bars over the bins `x` (their lower bounds), in the series'
 * colour; the hover box shows `hover` and the series' name. `legend` is its
 * name in the legend when that says more.
 */
function bars(series: { name: string; color: string }, x: number[], y: number[], customdata: unknown[], hover: string, legend = series.name): object {
  return {
    type: "bar",
    name: legend,
    x,
    y,
    customdata,
    marker: { color: series.color },
    hovertemplate: `${hover}<extra>${series.name}</extra>`,
  };
}

/**
 * The "all" series of a size chart: reads and writes together in each bin,
 * drawn as a dotted line of points over the tops of the stacked bars (a
 * scatter trace is not stacked), as the Python tool draws its third line.
 */
function allLine(x: number[], y: number[], customdata: unknown[], hover: string): object {
  return {
    type: "scatter",
    mode: "lines+markers",
    name: "all",
    x,
    y,
    customdata,
    line: { color: COLORS.all, dash: "dot" },
    marker: { color: COLORS.all },
    hovertemplate: `${hover}<extra>all</extra>`,
  };
}

/** "[4 KiB, 8 KiB)" for the bin of lo (the zero bin: "0 B"). */
export function binRange(lo: number, label: (n: number) => string): string {
  return lo === 0 ? label(0) : `[${label(lo)}, ${label(lo * 2)})`;
}

/**
 * The reference tool's two charts, as bars: operation count and bytes
 * moved by bytes per operation, one bar per power of two [size, 2×size),
 * reads and writes stacked, and a third series, "all" (reads and writes
 * together: the bar's height), as a line of points. Every bin
 * between the smallest and largest operation is present, zero-byte
 * operations in a "0 B" bin of their own. The x values are the bins' lower
 * bounds in bytes, on a category axis labelled by size; the bytes chart's y
 * is in one binary unit (its axis says which), `customdata` the exact bytes.
 * Empty when the report has no histogram (a counters-only source).
 */
export function sizeHistogramFigures(report: Report): Figure[] {
  return sizeFigures(buildView(report));
}

function sizeFigures(view: Pick<ReportView, "sizes">): Figure[] {
  if (!view.sizes) return [];
  const { los, filled } = everyOctave([view.sizes.read, view.sizes.write]);
  const labels = los.map(sizeLabel);
  const ranges = los.map((lo) => binRange(lo, sizeLabel));
  const series = [
    { name: "reads", bins: filled[0], color: COLORS.read },
    { name: "writes", bins: filled[1], color: COLORS.write },
  ];
  const xaxis = {
    title: { text: "bytes per operation (bins of [size, 2×size))" },
    type: "category",
    tickvals: los,
    ticktext: labels,
  };
  /** Per bin, reads and writes together. */
  const both = (f: (b: Octave) => number) => los.map((_, i) => series.reduce((n, s) => n + f(s.bins[i]), 0));
  const allCounts = both((b) => b.count);
  const count: Figure = {
    id: "size-count",
    title: "Operations by size",
    data: [...series.map((s) => bars(s, los, s.bins.map((b) => b.count), ranges, COUNT_HOVER)), allLine(los, allCounts, ranges, COUNT_HOVER)],
    layout: baseLayout("Operations by size", xaxis, { title: { text: "operations" } }, { barmode: "stack", bargap: 0.1 }),
    text: sizeHistogramLines(view, BAR_WIDTH, "ops"),
  };
  const allBytes = both((b) => b.sum);
  const { divisor, unit } = byteScale(Math.max(0, ...allBytes));
  const bytesHover = "%{customdata[1]}: %{customdata[0]:,} bytes";
  const bytes: Figure = {
    id: "size-bytes",
    title: "Bytes moved by size",
    data: [
      ...series.map((s) => bars(s, los, s.bins.map((b) => b.sum / divisor), s.bins.map((b, i) => [b.sum, ranges[i]]), bytesHover)),
      allLine(los, allBytes.map((b) => b / divisor), allBytes.map((b, i) => [b, ranges[i]]), bytesHover),
    ],
    layout: baseLayout("Bytes moved by size", xaxis, { title: { text: `bytes moved (${unit})` } }, { barmode: "stack", bargap: 0.1 }),
    text: sizeHistogramLines(view, BAR_WIDTH, "bytes"),
  };
  return [count, bytes];
}

/** A latency bin's lower bound in nanoseconds as a short label: "512 ns", "4.1 µs", "1 ms". */
function nsLabel(ns: number): string {
  if (ns === 0) return "0";
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${+(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${+(ns / 1e6).toPrecision(3)} ms`;
  return `${+(ns / 1e9).toPrecision(3)} s`;
}

/**
 * Latency per operation: how many reads and writes took each time, bars
 * side by side over every power-of-two bin of nanoseconds between the
 * quickest and the slowest. x: the bins' lower bounds in ns, on a category
 * axis labelled in ns/µs/ms. Empty when the source measured no latency.
 */
export function latencyFigures(report: Report): Figure[] {
  const l = report.latency;
  if (!l || (!l.read && !l.write)) return [];
  const series = [
    { name: "reads", summary: l.read, color: COLORS.read },
    { name: "writes", summary: l.write, color: COLORS.write },
  ].filter((s) => s.summary && s.summary.count > 0);
  if (series.length === 0) return [];
  const { los, filled } = everyOctave(series.map((s) => octaves(s.summary!.bins)));
  const ranges = los.map((lo) => binRange(lo, nsLabel));
  return [
    {
      id: "latency",
      title: "Latency per operation",
      data: series.map((s, i) =>
        bars(s, los, filled[i].map((b) => b.count), ranges, COUNT_HOVER, `${s.name} (p50 ${nsLabel(s.summary!.p50Ns)}, p99 ${nsLabel(s.summary!.p99Ns)})`),
      ),
      layout: baseLayout(
        "Latency per operation",
        { title: { text: "time per operation, syscall entry to exit as traced (bins of [t, 2×t))" }, type: "category", tickvals: los, ticktext: los.map(nsLabel) },
        { title: { text: "operations" } },
        { barmode: "group", bargap: 0.15 },
      ),
      text: barLines(
        `Latency per operation (${series.map((s) => `${s.name[0].toUpperCase()} = ${s.name}: p50 ${nsLabel(s.summary!.p50Ns)}, p99 ${nsLabel(s.summary!.p99Ns)}`).join("; ")}; each row is [t, 2×t)):`,
        los.map((lo, i) => {
          const ops = filled.reduce((n, f) => n + f[i].count, 0);
          return { label: nsLabel(lo), values: filled.map((f) => f[i].count), note: count(ops, "op") };
        }),
        series.map((s) => s.name[0].toUpperCase()),
      ),
    },
  ];
}

/**
 * IOPS and throughput over the window, in the report's time bins (one step
 * per interval; rates are per second; throughput in one binary unit per
 * second). Empty without a timeline.
 */
export function timelineFigures(report: Report): Figure[] {
  const tl = report.timeline;
  if (!tl || tl.points.length === 0 || !(tl.intervalSeconds > 0)) return [];
  // A window with no operation has nothing to draw (its points are all zero).
  if (!tl.points.some((p) => p.readOps + p.writeOps > 0)) return [];
  const rate = (v: number) => v / tl.intervalSeconds;
  const line = (name: string, y: number[], color: string, unit: string, exact?: number[]) => ({
    type: "scatter",
    mode: tl.points.length > 1 ? "lines" : "markers",
    name,
    // The points are evenly spaced from 0 (t = i × interval): x0 and dx say
    // so in two numbers, where an array would repeat in every trace.
    x0: 0,
    dx: tl.intervalSeconds,
    y,
    ...(exact ? { customdata: exact } : {}),
    line: { color, shape: "hv", dash: name === "all" ? "dot" : "solid" },
    hovertemplate: `from %{x:.3~f} s: %{y:,.4~g} ${unit}<extra>${name}</extra>`,
  });
  const xaxis = { title: { text: `seconds since start (intervals of ${+tl.intervalSeconds.toPrecision(3)} s)` } };
  const peak = Math.max(0, ...tl.points.map((p) => rate(p.readBytes + p.writeBytes)));
  const { divisor, unit } = byteScale(peak);
  return [
    {
      id: "iops-over-time",
      title: "IOPS over time",
      data: [
        line("reads", tl.points.map((p) => rate(p.readOps)), COLORS.read, "ops/s"),
        line("writes", tl.points.map((p) => rate(p.writeOps)), COLORS.write, "ops/s"),
        line("all", tl.points.map((p) => rate(p.readOps + p.writeOps)), COLORS.all, "ops/s"),
      ],
      layout: baseLayout("IOPS over time", xaxis, { title: { text: "operations per second" } }),
      text: timelineText(tl, "IOPS over time", (p) => [p.readOps, p.writeOps], (v) => `${thousands(v)} ops/s`),
    },
    {
      id: "throughput-over-time",
      title: "Throughput over time",
      data: [
        // y in one binary unit per second (the axis says which); customdata the exact bytes per second.
        line("reads", tl.points.map((p) => rate(p.readBytes) / divisor), COLORS.read, `${unit}/s`, tl.points.map((p) => rate(p.readBytes))),
        line("writes", tl.points.map((p) => rate(p.writeBytes) / divisor), COLORS.write, `${unit}/s`, tl.points.map((p) => rate(p.writeBytes))),
        line("all", tl.points.map((p) => rate(p.readBytes + p.writeBytes) / divisor), COLORS.all, `${unit}/s`, tl.points.map((p) => rate(p.readBytes + p.writeBytes))),
      ],
      layout: baseLayout("Throughput over time", xaxis, { title: { text: `${unit}/s` } }),
      text: timelineText(tl, "Throughput over time", (p) => [p.readBytes, p.writeBytes], humanRate),
    },
  ];
}

/** Rows of the text picture over time: at most this many (each a group of the timeline's intervals). */
const TIME_ROWS = 16;

/**
 * A timeline chart as text: reads and writes stacked, one row per group of
 * intervals (the rate over the group), labelled by where it starts.
 */
function timelineText(tl: TimelineReport, title: string, values: (p: TimelinePoint) => [number, number], rate: (perSecond: number) => string): string[] {
  const bins = groups(tl.points.length, TIME_ROWS);
  const at = timeScale(bins[0].size * tl.intervalSeconds);
  const rows = bins.map(({ first, size }) => {
    const span = size * tl.intervalSeconds;
    const sums = tl.points.slice(first, first + size).reduce((acc, p) => values(p).map((v, i) => acc[i] + v), [0, 0]);
    const perSecond = sums.map((v) => v / span);
    return { label: at(tl.points[first].t), values: perSecond, note: rate(perSecond[0] + perSecond[1]) };
  });
  const step = +(bins[0].size * tl.intervalSeconds).toPrecision(3);
  return barLines(`${title} (R = reads, W = writes; each row is ${step} s from its start):`, rows, ["R", "W"]);
}

/**
 * Colour-bar ticks for colours on log2 of the value: every power of `base`
 * from min to max; every power of two when that gives fewer than two; the
 * two ends when even that does.
 */
function logTicks(min: number, max: number, base: number, label: (v: number) => string): { tickvals: number[]; ticktext: string[] } {
  const ticks = powerTicks(min, max, base, label);
  if (ticks.tickvals.length >= 2 || base === 2) return ticks.tickvals.length >= 2 || min === max ? ticks : endTicks(min, max, label);
  return logTicks(min, max, 2, label);
}

function endTicks(min: number, max: number, label: (v: number) => string): { tickvals: number[]; ticktext: string[] } {
  return { tickvals: [Math.log2(min), Math.log2(max)], ticktext: [label(min), label(max)] };
}

function powerTicks(min: number, max: number, base: number, label: (v: number) => string): { tickvals: number[]; ticktext: string[] } {
  const tickvals: number[] = [];
  const ticktext: string[] = [];
  const step = Math.log2(base);
  for (let k = Math.ceil(Math.log2(min) / step - 1e-9); k * step <= Math.log2(max) + 1e-9; k++) {
    tickvals.push(k * step);
    ticktext.push(label(Math.round(base ** k)));
  }
  return { tickvals, ticktext };
}

/**
 * Operation size over time: one cell per time bin (x, seconds) and size
 * bin (y, [size, 2×size)), its colour the operations (or bytes) there on a
 * log scale; empty cells are left blank. Drawn as bars with a base (one bar
 * per non-empty cell, `width` one time bin), which the embedded Plotly
 * bundle has. Each bar's `customdata` is [value, time bin, size bin].
 * Two figures: operations and bytes. Empty without a heatmap or operations.
 */
export function heatmapFigures(report: Report): Figure[] {
  const h = report.heatmap;
  if (!h || h.sizeBins.length === 0 || !(h.binSeconds > 0)) return [];
  return [heatmapFigure(h, "ops"), heatmapFigure(h, "bytes")].filter((f): f is Figure => f !== null);
}

/** Size rows a heatmap shows: every bin from the smallest to the largest with an operation (of both maps, so they align). */
function heatmapRows(h: Heatmap): { first: number; last: number } | null {
  let first = Infinity;
  let last = -1;
  for (const row of h.ops) {
    row.forEach((v, si) => {
      if (v > 0) {
        first = Math.min(first, si);
        last = Math.max(last, si);
      }
    });
  }
  return last < 0 ? null : { first, last };
}

/** At most about a dozen labels on an axis of `n` rows: every row's, every other one's, ... */
const MAX_ROW_LABELS = 12;

function heatmapFigure(h: Heatmap, what: "ops" | "bytes"): Figure | null {
  const grid = what === "ops" ? h.ops : h.bytes;
  const rows = heatmapRows(h);
  if (!rows) return null;
  const x: number[] = [];
  const base: number[] = [];
  const color: number[] = [];
  const custom: [number, number, number][] = [];
  let max = 0;
  let min = Infinity;
  grid.forEach((row, ti) =>
    row.forEach((v, si) => {
      if (!(v > 0)) return;
      x.push((ti + 0.5) * h.binSeconds);
      base.push(si - rows.first);
      color.push(Math.log2(v));
      custom.push([v, ti, si]);
      max = Math.max(max, v);
      min = Math.min(min, v);
    }),
  );
  if (x.length === 0) return null;
  const shown = h.sizeBins.slice(rows.first, rows.last + 1);
  const labels = shown.map((b) => (b.lo === 0 ? "0 B" : sizeLabel(b.lo)));
  const every = Math.ceil(labels.length / MAX_ROW_LABELS);
  const labelled = labels.map((_, i) => i).filter((i) => i % every === 0);
  const ranges = h.sizeBins.map((b) => (b.lo === 0 ? "0 B" : `[${sizeLabel(b.lo)}, ${sizeLabel(b.hi)})`));
  // Operations by powers of 10, bytes by powers of 32 (32 B, 1 KiB, 32 KiB, 1 MiB...).
  const ticks = what === "ops" ? logTicks(min, max, 10, thousands) : logTicks(min, max, 32, sizeLabel);
  const unit = what === "ops" ? "operations" : "bytes moved";
  const title = what === "ops" ? "Sizes over time: operations" : "Sizes over time: bytes moved";
  const width = +h.binSeconds.toPrecision(3);
  return {
    id: what === "ops" ? "heatmap-ops" : "heatmap-bytes",
    title,
    data: [
      {
        type: "bar",
        name: unit,
        x,
        y: x.map(() => 1),
        base,
        width: h.binSeconds,
        customdata: custom.map(([v, ti, si]) => [v, ti * h.binSeconds, ranges[si]]),
        marker: {
          color,
          colorscale: "Viridis",
          cmin: Math.log2(min),
          cmax: Math.max(Math.log2(min) + 1, Math.log2(max)),
          line: { width: 0 },
          colorbar: { title: { text: `${unit} (log)` }, tickvals: ticks.tickvals, ticktext: ticks.ticktext },
        },
        hovertemplate: `%{customdata[2]} from %{customdata[1]:.3~f} s: %{customdata[0]:,} ${what === "ops" ? "ops" : "bytes"}<extra></extra>`,
        showlegend: false,
      },
    ],
    layout: baseLayout(
      title,
      { title: { text: `seconds since start (bins of ${width} s)` }, range: [0, grid.length * h.binSeconds] },
      {
        title: { text: "bytes per operation" },
        range: [0, labels.length],
        tickvals: labelled.map((i) => i + 0.5),
        ticktext: labelled.map((i) => labels[i]),
        rangemode: "normal",
      },
      { bargap: 0, barmode: "overlay" },
    ),
    text: heatmapText(h, grid, rows, title, unit),
  };
}

/** Columns of the text heatmap: at most this many (each a group of time bins). */
const HEATMAP_COLUMNS = 60;

/** A heatmap as a character grid: the largest size on top, time to the right, darker for more. */
function heatmapText(h: Heatmap, grid: number[][], rows: { first: number; last: number }, title: string, unit: string): string[] {
  const columns = groups(grid.length, HEATMAP_COLUMNS);
  const lines = [];
  for (let si = rows.last; si >= rows.first; si--) {
    const b = h.sizeBins[si];
    lines.push({ label: b.lo === 0 ? "0 B" : sizeLabel(b.lo), cells: columns.map(({ first, size }) => grid.slice(first, first + size).reduce((n, row) => n + (row[si] ?? 0), 0)) });
  }
  const column = columns[0].size * h.binSeconds;
  const at = timeScale(column);
  return gridLines(`${title} (bytes per operation by time; darker: more ${unit}, on a log scale):`, lines, `${at(0)} to ${at(grid.length * h.binSeconds)}, ${at(column)} per column`);
}

/** Every figure of a report, in page order: the sizes, latency, then time (and the heatmaps when asked). */
export function reportFigures(report: Report, options: FigureOptions = {}): Figure[] {
  return viewFigures(buildView(report), options);
}

/** reportFigures, from a view. */
export function viewFigures(view: ReportView, options: FigureOptions = {}): Figure[] {
  return [
    ...sizeFigures(view),
    ...latencyFigures(view.report),
    ...timelineFigures(view.report),
    ...(options.heatmap ? heatmapFigures(view.report) : []),
  ];
}
