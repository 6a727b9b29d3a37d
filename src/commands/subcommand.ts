/**
 * What `iops report`, `iops merge` and `iops compare` share: commander set
 * up the same way (errors in one printable line, help pointed at after a
 * usage error, no process.exit) and the output paths checked before any
 * work, then each written in turn. Exit statuses: 0 after --help, 2 for a
 * usage error, 1 when an output could not be written where asked.
 */
import { Command } from "commander";

import { outputPathsProblem } from "../output";
import { printable, printableLines } from "../view/printable";

/** A commander program named `name` ("iops merge"), to be given its usage, arguments and options. */
export function subcommand(name: string): Command {
  return new Command()
    .name(name)
    .showHelpAfterError(`(run ${name} --help for usage)`)
    .configureOutput({ outputError: (text, write) => write(printableLines(text)) })
    .exitOverride();
}

/** Parses `argv`: null when it parsed, else the exit status (0 after --help, 2 for a usage error). */
export function parseSubcommand(command: Command, argv: string[]): number | null {
  try {
    command.parse(argv, { from: "user" });
    return null;
  } catch (e) {
    return (e as { code?: string }).code === "commander.helpDisplayed" ? 0 : 2;
  }
}

/** Checks the output paths before any work: 2 after saying what is wrong in one line, else null. */
export function outputsUnusable(command: Command, paths: [string, string | undefined][]): number | null {
  const problem = outputPathsProblem(paths);
  if (problem === null) return null;
  process.stderr.write(`${command.name()}: ${printable(problem)}\n`);
  return 2;
}

/**
 * Writes each output whose path is given, in turn (`data` made only then),
 * each tried whatever befell the one before: a failure (the report then kept
 * elsewhere, see output.ts) is said in one line, `<name>: ...`. False when
 * any failed.
 */
export function writeOutputs(name: string, outputs: [option: string, path: string | undefined, write: (path: string) => void][]): boolean {
  let ok = true;
  for (const [, path, write] of outputs) {
    if (path === undefined) continue;
    try {
      write(path);
    } catch (e) {
      process.stderr.write(`${name}: ${printable((e as Error).message)}\n`);
      ok = false;
    }
  }
  return ok;
}
