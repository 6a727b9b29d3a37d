/**
 * Charts as text: the picture of a chart where no script runs (an
 * untrusted notebook, a code-hosting site's viewer that drops scripts, an
 * HTML export read with JavaScript off, a plain-text frontend). Two
 * layouts, nothing else: bars (one row per bin, its series stacked as
 * letters, as the terminal's `--histogram` draws them) and a grid (one
 * character per cell, darker for more). charts.ts fills them from the same
 * bins its figures draw; the size histogram here is also the terminal's
 * `--histogram` (text.ts).
 */
import { count, humanBytes, sizeLabel } from "../view/units";
import { everyOctave, type Octave, type ReportView } from "../view/view";

/** One row of a bar chart: its label, one value per series (stacked in the bar), the text after the bar. */
export interface BarRow {
  label: string;
  values: number[];
  note: string;
}

/** Bars at most this many characters long: the picture stays narrow and light. */
export const BAR_WIDTH = 50;

/**
 * A heading line, then one line per row: the label right-aligned, `|`, the
 * bar (each series' share of it in its own letter, `marks[i]`), its note.
 * The longest bar is `width` characters; a row with any value gets one at
 * least; an empty row has no bar.
 */
export function barLines(heading: string, rows: BarRow[], marks: string[], width = BAR_WIDTH): string[] {
  const total = (r: BarRow) => r.values.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...rows.map(total));
  const labelWidth = Math.max(8, ...rows.map((r) => r.label.length));
  return [
    heading,
    ...rows.map((r) => {
      const sum = total(r);
      const len = sum === 0 ? 0 : Math.max(1, Math.round((sum / max) * width));
      let bar = "";
      let before = 0;
      r.values.forEach((v, i) => {
        // Each series ends where its running total ends, so the parts add up to the bar.
        before += v;
        const end = i === r.values.length - 1 ? len : Math.round((before / sum) * len);
        bar += marks[i].repeat(Math.max(0, end - bar.length));
      });
      return `${r.label.padStart(labelWidth)} | ${bar ? `${bar} ` : ""}${r.note}`;
    }),
  ];
}

/** Shades from an empty cell to the fullest: ten steps. */
const SHADES = " .:-=+*#%@";

/**
 * A heading, then one line per row (the first row on top): the label
 * right-aligned, `|`, one character per column shaded by its value on a
 * log scale from the smallest value above 0 (`.`) to the largest (`@`), 0
 * blank; then a line under the columns and `footer` below it.
 */
export function gridLines(heading: string, rows: { label: string; cells: number[] }[], footer: string): string[] {
  const values = rows.flatMap((r) => r.cells).filter((v) => v > 0);
  const lo = Math.log(Math.min(...values));
  const span = Math.log(Math.max(...values)) - lo;
  const shade = (v: number) => (v > 0 ? SHADES[1 + (span > 0 ? Math.round(((Math.log(v) - lo) / span) * (SHADES.length - 2)) : SHADES.length - 2)] : " ");
  const labelWidth = Math.max(8, ...rows.map((r) => r.label.length));
  const columns = Math.max(0, ...rows.map((r) => r.cells.length));
  return [
    heading,
    ...rows.map((r) => `${r.label.padStart(labelWidth)} |${r.cells.map(shade).join("")}`.trimEnd()),
    `${" ".repeat(labelWidth)} +${"-".repeat(columns)}`,
    `${" ".repeat(labelWidth + 2)}${footer}`,
  ];
}

/**
 * `n` consecutive bins grouped into at most `most` groups of equal length
 * (the last may be shorter): each group's first bin and how many it holds.
 */
export function groups(n: number, most: number): { first: number; size: number }[] {
  const per = Math.max(1, Math.ceil(n / most));
  const out: { first: number; size: number }[] = [];
  for (let first = 0; first < n; first += per) out.push({ first, size: Math.min(per, n - first) });
  return out;
}

/**
 * The size histogram, from a view (or anything with its `sizes`): bars of
 * operations (`by` "ops", each row saying its operations and bytes) or of
 * bytes moved (`by` "bytes"), reads and writes stacked.
 */
export function sizeHistogramLines(view: Pick<ReportView, "sizes"> | { sizes: { read: Octave[]; write: Octave[] } | null }, width = 50, by: "ops" | "bytes" = "ops"): string[] {
  if (!view.sizes) return ["Histogram: not available from this source"];
  // Every power of two between the smallest and the largest, empty ones included.
  const { los, filled } = everyOctave([view.sizes.read, view.sizes.write]);
  if (los.length === 0) return ["Histogram: no operations"];
  const [reads, writes] = filled;
  const rows = los.map((lo, i) => {
    const ops = reads[i].count + writes[i].count;
    const bytes = reads[i].sum + writes[i].sum;
    return by === "ops"
      ? { label: sizeLabel(lo), values: [reads[i].count, writes[i].count], note: `${count(ops, "op")}, ${humanBytes(bytes)}` }
      : { label: sizeLabel(lo), values: [reads[i].sum, writes[i].sum], note: `${humanBytes(bytes)} in ${count(ops, "op")}` };
  });
  const heading =
    by === "ops"
      ? `Operations by size (R = reads, W = writes; each row is [size, 2×size)):`
      : `Bytes moved by size (R = read, W = written; each row is [size, 2×size)):`;
  return barLines(heading, rows, ["R", "W"], width);
}
