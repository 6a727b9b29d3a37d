/**
 * Plotly, embedded: the minified basic bundle (scatter and bar traces) is
 * read from the installed `plotly.js-basic-dist-min` package and inlined, so
 * a page or notebook output draws its charts with no network access.
 */
import { readFileSync } from "node:fs";
import type { Figure } from "./charts";
import { escapeHtml } from "./html/escape";

let bundle: string | undefined;

/** The Plotly bundle's source, read once. */
export function plotlySource(): string {
  bundle ??= readFileSync(require.resolve("plotly.js-basic-dist-min"), "utf8");
  return bundle;
}

/** The bundle as the body of an inline <script>: no `</script` in it may end the element early. */
function inlinePlotly(): string {
  return plotlySource().replace(/<\/script/gi, "<\\/script");
}

/**
 * JSON that is safe inside an HTML <script> element: no `</script>`, no
 * `<!--`, and no line separators that older parsers treat as newlines.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Plotly's config for every chart we draw. */
export const PLOTLY_CONFIG = { displaylogo: false, responsive: true };

/**
 * Colour scales by name, as Plotly defines them (stops: [position in 0..1,
 * colour]), for the traces `drawnData` colours itself.
 */
const COLORSCALES: Record<string, [number, string][]> = {
  Viridis: [
    [0, "#440154"], [16 / 255, "#48186a"], [32 / 255, "#472d7b"], [48 / 255, "#424086"], [64 / 255, "#3b528b"], [80 / 255, "#33638d"],
    [96 / 255, "#2c728e"], [112 / 255, "#26828e"], [128 / 255, "#21918c"], [144 / 255, "#1fa088"], [160 / 255, "#28ae80"],
    [176 / 255, "#3fbc73"], [192 / 255, "#5ec962"], [208 / 255, "#84d44b"], [224 / 255, "#addc30"], [240 / 255, "#d8e219"], [1, "#fde725"],
  ],
};

/** The colour at `at` (0..1) of a scale: linear between its stops, in RGB, as Plotly does. */
function scaleColor(stops: [number, string][], at: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(at) ? at : 0));
  let i = 1;
  while (i < stops.length - 1 && stops[i][0] < x) i++;
  const [p0, c0] = stops[i - 1];
  const [p1, c1] = stops[i];
  const f = p1 > p0 ? (x - p0) / (p1 - p0) : 0;
  const rgb = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  const [a, b] = [rgb(c0), rgb(c1)];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

type Marker = { color?: unknown; colorscale?: unknown; cmin?: number; cmax?: number; colorbar?: object; line?: object };
type Trace = { type?: string; marker?: Marker } & Record<string, unknown>;

/**
 * A figure's traces as we hand them to Plotly. Plotly 4 reads a bar's
 * numeric `marker.color` (values on a colour scale) as a colour before it
 * maps it, and warns on the console once per bar ("Invalid color specifier:
 * number …", with a stack) though the bars end up coloured right: such a
 * bar trace (on a scale of `COLORSCALES`, with `cmin`/`cmax`) is given the
 * colours themselves, and its colour bar moves to a scatter trace with no
 * points that keeps the scale. Every other trace is as the figure has it.
 */
export function drawnData(data: object[]): object[] {
  const out: object[] = [];
  const carriers: object[] = [];
  for (const trace of data as Trace[]) {
    const m = trace.marker;
    const stops = typeof m?.colorscale === "string" ? COLORSCALES[m.colorscale] : undefined;
    if (trace.type !== "bar" || !m || !stops || !Array.isArray(m.color) || typeof m.cmin !== "number" || typeof m.cmax !== "number") {
      out.push(trace);
      continue;
    }
    const { cmin, cmax } = m;
    const span = cmax - cmin || 1;
    const { colorscale, colorbar, ...rest } = m;
    out.push({ ...trace, marker: { ...rest, color: (m.color as number[]).map((v) => scaleColor(stops, (v - cmin) / span)) } });
    carriers.push({
      type: "scatter",
      mode: "markers",
      x: [null],
      y: [null],
      marker: { color: [cmin, cmax], colorscale, cmin, cmax, showscale: true, colorbar },
      hoverinfo: "skip",
      showlegend: false,
    });
  }
  return [...out, ...carriers];
}

/** A <div> and the script that draws `figure` into it once Plotly is loaded. */
export function figureHtml(figure: Figure, elementId: string): string {
  return (
    `<div id="${elementId}" class="iops-chart" data-figure="${figure.id}"></div>\n` +
    `<script>Plotly.newPlot(${scriptJson(elementId)}, ${scriptJson(drawnData(figure.data))}, ${scriptJson(figure.layout)}, ${scriptJson(PLOTLY_CONFIG)});</script>`
  );
}

/**
 * Where a notebook's charts wait for Plotly, on `window`: the outputs of a
 * notebook share one page (JupyterLab, Notebook 7, VS Code, an nbconvert
 * export), Plotly is defined by one of them, and the others may run first.
 */
const WAITING = "iopsPlotlyWaiting";

/**
 * The script that defines `window.Plotly` on the page unless an earlier
 * output did, then draws the charts that were waiting for it. In one output
 * per notebook (see `notebookFigureHtml`).
 */
export function plotlyLoaderHtml(): string {
  return (
    `<script>if (!window.Plotly) {\n${inlinePlotly()}\n}\n` +
    `(window.${WAITING} || []).splice(0).forEach(function (draw) { draw(); });</script>`
  );
}

/**
 * A notebook chart: the chart as text in a <pre> (`figure.text`: what
 * shows where no script runs: an untrusted notebook, a viewer that drops
 * scripts, an export read with JavaScript off), a <div>, and a script that
 * draws `figure` into the div at once when Plotly is on the page, or else
 * when the output that carries Plotly (`plotlyLoaderHtml`) runs, and then
 * hides the text. The div takes its height only then, so where no script
 * runs it leaves no empty box. `onDrawn` is JavaScript run after the chart
 * is drawn. The call's arguments stand on the script's last line.
 */
export function notebookFigureHtml(figure: Figure, elementId: string, onDrawn = ""): string {
  const draw =
    `(function (id, data, layout, config) { var draw = function () { var el = document.getElementById(id); if (!el) return; ` +
    `el.style.height = "360px"; Plotly.newPlot(el, data, layout, config); ` +
    `var text = document.getElementById(id + "-text"); if (text) text.style.display = "none"; ${onDrawn} }; ` +
    `if (window.Plotly) draw(); else (window.${WAITING} = window.${WAITING} || []).push(draw); })`;
  const args = [elementId, drawnData(figure.data), figure.layout, PLOTLY_CONFIG].map(scriptJson).join(", ");
  const text = figure.text ? `<pre id="${elementId}-text" class="iops-chart-text">${escapeHtml(figure.text.join("\n"))}</pre>\n` : "";
  return (
    `${text}<div id="${elementId}" class="iops-chart" data-figure="${figure.id}" style="width: 100%; max-width: 760px"></div>\n` +
    `<script>${draw}(\n${args});</script>`
  );
}
