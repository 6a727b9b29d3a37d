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

/** A <div> and the script that draws `figure` into it once Plotly is loaded. */
export function figureHtml(figure: Figure, elementId: string): string {
  return (
    `<div id="${elementId}" class="iops-chart" data-figure="${figure.id}"></div>\n` +
    `<script>Plotly.newPlot(${scriptJson(elementId)}, ${scriptJson(figure.data)}, ${scriptJson(figure.layout)}, ${scriptJson(PLOTLY_CONFIG)});</script>`
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
  const args = [elementId, figure.data, figure.layout, PLOTLY_CONFIG].map(scriptJson).join(", ");
  const text = figure.text ? `<pre id="${elementId}-text" class="iops-chart-text">${escapeHtml(figure.text.join("\n"))}</pre>\n` : "";
  return (
    `${text}<div id="${elementId}" class="iops-chart" data-figure="${figure.id}" style="width: 100%; max-width: 760px"></div>\n` +
    `<script>${draw}(\n${args});</script>`
  );
}
