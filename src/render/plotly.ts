/**
 * Plotly, embedded: the minified basic bundle (scatter and bar traces) is
 * read from the installed `plotly.js-basic-dist-min` package and inlined, so
 * a page or notebook output draws its charts with no network access.
 */
import { readFileSync } from "node:fs";
import type { Figure } from "./charts";

let bundle: string | undefined;

/** The Plotly bundle's source, read once. */
export function plotlySource(): string {
  bundle ??= readFileSync(require.resolve("plotly.js-basic-dist-min"), "utf8");
  return bundle;
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

/** A <div> and the script that draws `figure` into it once Plotly is loaded. */
export function figureHtml(figure: Figure, elementId: string): string {
  const config = { displaylogo: false, responsive: true };
  return (
    `<div id="${elementId}" class="iops-chart" data-figure="${figure.id}"></div>\n` +
    `<script>Plotly.newPlot(${scriptJson(elementId)}, ${scriptJson(figure.data)}, ${scriptJson(figure.layout)}, ${scriptJson(config)});</script>`
  );
}
