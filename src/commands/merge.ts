/**
 * `iops merge <reports…|dir>`: one job-level report from the reports of its
 * processes (`mpirun -n 4 iops --json out/%r.json -- ./app`). The merge
 * itself is the core's (`crates/iops-core/src/merge.rs`, through the
 * binding's `mergeReports`): a streaming fold, one report in memory at a time.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

import { Option } from "commander";

import { optionParser, parseCount } from "../args";
import { native } from "../native";
import { writeOutputFile } from "../output";
import { writeReportPage } from "../render/html/page";
import { formatText } from "../render/text";
import { parseOutcome, type Report } from "../report";
import { printable } from "../view/printable";
import { outputsUnusable, parseSubcommand, subcommand, writeOutputs } from "./subcommand";

const EXAMPLES = `
Examples:
  $ mpirun -n 4 iops --json out/%r.json -- ./app   one report per rank (see iops --help for %r, %j, %h, %p)
  $ iops merge out/                                 the job's table, with one row per rank
  $ iops merge out/*.json --json job.json --html job.html

A directory stands for the .json files in it (in name order, rank 10 after
rank 9). The reports must come from one source (all ptrace, all ebpf, ...).
`;

/** The .json files of a directory, in natural name order; `skip`: our own outputs. */
function reportsIn(dir: string, skip: Set<string>): string[] {
  const names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return names.map((n) => join(dir, n)).filter((p) => !skip.has(resolve(p)));
}

/** The report files `args` name (directories expanded); throws with one line when there are none. */
export function reportFiles(args: string[], skip: Set<string> = new Set()): string[] {
  const files: string[] = [];
  for (const a of args) {
    let isDir = false;
    try {
      isDir = statSync(a).isDirectory();
    } catch (e) {
      throw new Error(`cannot read ${a}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!isDir) files.push(a);
    else {
      const found = reportsIn(a, skip);
      if (found.length === 0) throw new Error(`${a} holds no .json report`);
      files.push(...found);
    }
  }
  return files;
}

/** The merged report of the report files `paths` (see mergeReports in the binding); throws with one line. */
export function mergeReportFiles(paths: string[]): Report {
  return parseOutcome(native.mergeReports(paths), false);
}

/** Runs `iops merge ...` (argv after "merge"); returns the exit status. */
export async function runMergeCommand(argv: string[]): Promise<number> {
  const command = subcommand("iops merge")
    .usage("<reports...|dir> [--json <path>] [--html <path>]")
    .description(
      "Merge the reports of a job's processes (saved with iops --json) into one: totals, files by host and path, histograms, a wall-clock timeline, and a per-process table that shows imbalance and stragglers.",
    )
    .argument("<reports...>", "reports written by iops --json, or directories of them")
    .option("--json <path|->", "write the merged report as JSON to a file, or - for stdout")
    .option("--html <path|->", "write the merged report as a self-contained HTML page, or - for stdout")
    .addOption(new Option("--top <n>", "how many files the table lists").default(10).argParser(optionParser(parseCount)))
    .addHelpText("after", EXAMPLES);
  const parsed = parseSubcommand(command, argv);
  if (parsed !== null) return parsed;
  const opts = command.opts<{ json?: string; html?: string; top: number }>();
  const unusable = outputsUnusable(command, [["--json", opts.json], ["--html", opts.html]]);
  if (unusable !== null) return unusable;
  const top = opts.top;
  let report: Report;
  try {
    const ours = new Set([opts.json, opts.html].filter((p): p is string => p !== undefined && p !== "-").map((p) => resolve(p)));
    report = mergeReportFiles(reportFiles(command.args, ours));
  } catch (e) {
    process.stderr.write(`iops merge: ${printable((e as Error).message.split("\n")[0])}\n`);
    return 1;
  }
  try {
    const toStdout = opts.json === "-" || opts.html === "-";
    const out = toStdout ? process.stderr : process.stdout;
    out.write(formatText(report, { topFiles: top }) + "\n");
    const written = writeOutputs("iops merge", [
      ["--json", opts.json, (p) => writeOutputFile("--json", p, JSON.stringify(report, null, 2) + "\n")],
      ["--html", opts.html, (p) => writeReportPage(report, p)],
    ]);
    return written ? 0 : 1;
  } catch (e) {
    process.stderr.write(`iops merge: ${printable((e as Error).message)}\n`);
    return 1;
  }
}
