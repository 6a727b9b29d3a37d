/**
 * `iops compare <a.json> <b.json>`: two saved reports side by side, with
 * B's ratio to A for each figure and a one-line verdict; `--json` writes the
 * comparison (view/compare.ts's `Comparison`), `--html` a page with the
 * size histograms overlaid.
 */
import { basename } from "node:path";

import { Command } from "commander";

import { outputPathsProblem, writeOutputFile } from "../output";
import { compareHtml, compareSubtitle, compareTextLines } from "../render/compare";
import { html, trusted } from "../render/html/escape";
import { CSP, STYLE, plotlyScript } from "../render/html/page";
import { figureHtml } from "../render/plotly";
import type { Report } from "../report";
import { compareReports, type Comparison } from "../view/compare";
import { printable, printableLines } from "../view/printable";
import { readSavedReport } from "./report";

const EXAMPLES = `
Examples:
  $ iops --json small.json -- ./write-small
  $ iops --json large.json -- ./write-large
  $ iops compare small.json large.json              "B does 10,000× fewer writes for the same bytes"
  $ iops compare small.json large.json --html c.html
`;

/** The comparison page: verdict, table, overlaid histograms. */
export function comparePage(c: Comparison, a: Report, b: Report): string {
  const title = `iops: ${c.a.name} vs ${c.b.name}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="iops-profiler">
<title>${title}</title>
<style>${trusted(STYLE)}</style>
${plotlyScript()}
</head>
<body>
<h1>IOPS comparison</h1>
<p class="subtitle">${compareSubtitle(c)}</p>
${compareHtml(c, a, b, figureHtml)}
</body>
</html>
`.markup;
}

/** Runs `iops compare ...` (argv after "compare"); returns the exit status. */
export async function runCompareCommand(argv: string[]): Promise<number> {
  const command = new Command()
    .name("iops compare")
    .usage("<a.json> <b.json> [--json <path>] [--html <path>]")
    .description("Compare two reports saved with iops --json: each figure side by side with B's ratio to A, and a verdict.")
    .argument("<a.json>", "the first report (A)")
    .argument("<b.json>", "the second report (B)")
    .option("--json <path|->", "write the comparison as JSON to a file, or - for stdout")
    .option("--html <path|->", "write a page with the table and the size histograms overlaid, or - for stdout")
    .addHelpText("after", EXAMPLES)
    .showHelpAfterError("(run iops compare --help for usage)")
    .configureOutput({ outputError: (text, write) => write(printableLines(text)) })
    .exitOverride();
  try {
    command.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "commander.helpDisplayed" ? 0 : 2;
  }
  const opts = command.opts<{ json?: string; html?: string }>();
  const problem = outputPathsProblem([["--json", opts.json], ["--html", opts.html]]);
  if (problem) {
    process.stderr.write(`iops compare: ${printable(problem)}\n`);
    return 2;
  }
  const [aPath, bPath] = command.args;
  try {
    const a = readSavedReport(aPath);
    const b = readSavedReport(bPath);
    let [aName, bName] = [basename(aPath), basename(bPath)];
    if (aName === bName) [aName, bName] = [aPath, bPath];
    const c = compareReports(a, b, aName, bName);
    const out = opts.json === "-" || opts.html === "-" ? process.stderr : process.stdout;
    out.write(compareTextLines(c).join("\n") + "\n");
    if (opts.json !== undefined) writeOutputFile("--json", opts.json, JSON.stringify(c, null, 2) + "\n");
    if (opts.html !== undefined) writeOutputFile("--html", opts.html, comparePage(c, a, b));
    return 0;
  } catch (e) {
    process.stderr.write(`iops compare: ${printable((e as Error).message)}\n`);
    return 1;
  }
}
