/**
 * `iops compare <a.json> <b.json>`: two saved reports side by side, with
 * B's ratio to A for each figure and a one-line verdict; `--json` writes the
 * comparison (view/compare.ts's `Comparison`), `--html` a page with the
 * size histograms overlaid.
 */
import { basename } from "node:path";

import { writeOutputFile } from "../output";
import { compareHtml, compareSubtitle, compareTextLines } from "../render/compare";
import { pageShell } from "../render/html/page";
import { figureHtml } from "../render/plotly";
import type { Report } from "../report";
import { compareReports, type Comparison } from "../view/compare";
import { printable } from "../view/printable";
import { readSavedReport } from "./report";
import { outputsUnusable, parseSubcommand, subcommand, writeOutputs } from "./subcommand";

const EXAMPLES = `
Examples:
  $ iops --json small.json -- ./write-small
  $ iops --json large.json -- ./write-large
  $ iops compare small.json large.json              "B does 10,000× fewer writes for the same bytes"
  $ iops compare small.json large.json --html c.html
`;

/** The comparison page: verdict, table, overlaid histograms. */
export function comparePage(c: Comparison, a: Report, b: Report): string {
  return pageShell(`iops: ${c.a.name} vs ${c.b.name}`, "IOPS comparison", compareSubtitle(c), compareHtml(c, a, b, figureHtml));
}

/** Runs `iops compare ...` (argv after "compare"); returns the exit status. */
export async function runCompareCommand(argv: string[]): Promise<number> {
  const command = subcommand("iops compare")
    .usage("<a.json> <b.json> [--json <path>] [--html <path>]")
    .description("Compare two reports saved with iops --json: each figure side by side with B's ratio to A, and a verdict.")
    .argument("<a.json>", "the first report (A)")
    .argument("<b.json>", "the second report (B)")
    .option("--json <path|->", "write the comparison as JSON to a file, or - for stdout")
    .option("--html <path|->", "write a page with the table and the size histograms overlaid, or - for stdout")
    .addHelpText("after", EXAMPLES);
  const parsed = parseSubcommand(command, argv);
  if (parsed !== null) return parsed;
  const opts = command.opts<{ json?: string; html?: string }>();
  const unusable = outputsUnusable(command, [["--json", opts.json], ["--html", opts.html]]);
  if (unusable !== null) return unusable;
  const [aPath, bPath] = command.args;
  try {
    const a = readSavedReport(aPath);
    const b = readSavedReport(bPath);
    let [aName, bName] = [basename(aPath), basename(bPath)];
    if (aName === bName) [aName, bName] = [aPath, bPath];
    const c = compareReports(a, b, aName, bName);
    const out = opts.json === "-" || opts.html === "-" ? process.stderr : process.stdout;
    out.write(compareTextLines(c).join("\n") + "\n");
    const written = writeOutputs("iops compare", [
      ["--json", opts.json, (p) => writeOutputFile("--json", p, JSON.stringify(c, null, 2) + "\n")],
      ["--html", opts.html, (p) => writeOutputFile("--html", p, comparePage(c, a, b))],
    ]);
    return written ? 0 : 1;
  } catch (e) {
    process.stderr.write(`iops compare: ${printable((e as Error).message)}\n`);
    return 1;
  }
}
