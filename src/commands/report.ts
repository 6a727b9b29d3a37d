/**
 * `iops report <saved.json>`: shows a report saved with `--json` again, as
 * the text table or (`--html`) as the HTML page, without tracing anything.
 */
import { readFileSync, statSync } from "node:fs";

import { Option } from "commander";

import { optionParser, parseCount } from "../args";
import { native } from "../native";
import { formatText } from "../render/text";
import { printable } from "../view/printable";
import { thousands } from "../view/units";
import { writeReportPage } from "../render/html/page";
import type { Report } from "../report";
import { reportShapeError } from "../report-check";
import { outputsUnusable, parseSubcommand, subcommand, writeOutputs } from "./subcommand";

const EXAMPLES = `
Examples:
  $ iops --json run.json -- ./etl                 save a report while tracing
  $ iops report run.json                          print its table again
  $ iops report run.json --html run.html          render it as a self-contained HTML page
  $ iops report run.json --histogram --top 30     the table with the size histogram and 30 files
`;

/** Reads a saved report, or says in one line why the file is not one. */
/**
 * Larger than any report (its size is bounded by its files and bins) and
 * half the longest string Node holds: larger input is refused unread.
 */
const MAX_REPORT_BYTES = 256 << 20;

export function readSavedReport(path: string): Report {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_REPORT_BYTES) {
      throw new Error(`cannot read ${path}: ${thousands(size)} bytes is too large for an iops report (at most ${MAX_REPORT_BYTES >> 20} MiB)`);
    }
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? new Error(`cannot read ${path}: ${code}`) : e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not JSON (${(e as Error).message}); give a file written by iops --json`);
  }
  const r = value as Partial<Report> | null;
  const looksLikeReport =
    r !== null && typeof r === "object" && typeof r.version === "number" && typeof r.method === "string" &&
    typeof r.summary === "object" && r.summary !== null && Array.isArray(r.warnings);
  if (!looksLikeReport) throw new Error(`${path} is not an iops report (no version, method, summary); give a file written by iops --json`);
  const readable = native.reportVersion();
  if (r.version! > readable) throw new Error(`${path}: report version ${r.version} is newer than this iops reads (${readable}); read it with a newer iops-profiler`);
  const wrong = reportShapeError(r);
  if (wrong) throw new Error(`${path} is not a valid iops report (${wrong}); give a file written by iops --json`);
  return r as Report;
}


/** Runs `iops report ...` (argv after "report"); returns the exit status. */
export async function runReportCommand(argv: string[]): Promise<number> {
  const command = subcommand("iops report")
    .usage("<saved.json> [--html <path>] [--histogram] [--top <n>]")
    .description("Show a report saved with iops --json: the text table, or a self-contained HTML page.")
    .argument("<saved.json>", "a report written by iops --json")
    .option("--html <path|->", "write the HTML page (charts, files, findings) to a file, or - for stdout")
    .option("--histogram", "add the histogram of operation sizes to the table")
    .addOption(new Option("--top <n>", "how many files the table lists").default(10).argParser(optionParser(parseCount)))
    .addHelpText("after", EXAMPLES);
  const parsed = parseSubcommand(command, argv);
  if (parsed !== null) return parsed;
  const opts = command.opts<{ html?: string; histogram?: boolean; top: number }>();
  const [path] = command.args;
  const unusable = outputsUnusable(command, [["--html", opts.html]]);
  if (unusable !== null) return unusable;
  try {
    const report = readSavedReport(path);
    // The table on stdout, as `iops import`, `merge` and `compare` print it; on stderr when the page takes stdout (--html -).
    const out = opts.html === "-" ? process.stderr : process.stdout;
    out.write(formatText(report, { histogram: opts.histogram, topFiles: opts.top, width: Math.max(20, (out.columns ?? 100) - 40) }) + "\n");
    const written = writeOutputs("iops report", [
      [
        "--html",
        opts.html,
        (p) => {
          writeReportPage(report, p);
          if (p !== "-") process.stderr.write(`iops: HTML report written to ${printable(p)}\n`);
        },
      ],
    ]);
    return written ? 0 : 1;
  } catch (e) {
    process.stderr.write(`iops report: ${printable((e as Error).message)}\n`);
    return 1;
  }
}
