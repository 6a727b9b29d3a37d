/**
 * `iops import <log>`: the usual report from a saved trace (an strace log;
 * the format is detected from its first lines unless --format says). The
 * log is read in chunks and parsed as it streams, so memory stays flat
 * however long it is; `-` reads standard input.
 */
import { createReadStream, statSync } from "node:fs";
import { parseArgs } from "node:util";

import type * as Commander from "commander";

import type * as Args from "../args";
import type * as Output from "../output";
import type * as Text from "../render/text";
import type * as Printable from "../view/printable";
import type * as FfFiles from "./ff-files";
import { native } from "../native";
import type * as ReportModule from "../report";
import type { Report } from "../report";

// Loaded when used: `iops import` starts reading its log first, and loads
// these (node:crypto among them) while the log is read on threads of their own.
const argParsers = (): typeof Args => require("../args");
const output = (): typeof Output => require("../output");
const text = (): typeof Text => require("../render/text");
const printing = (): typeof Printable => require("../view/printable");
const bad = (message: string, code: string): Error => new (require("../report") as typeof ReportModule).IopsError(message, code);
const parseOutcome = (json: string): Report => (require("../report") as typeof ReportModule).parseOutcome(json, false);

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** How long an input may stay silent before `iops import` says what it waits for. */
const WAIT_NOTICE_MS = 1000;

export const IMPORT_HELP = `
Saved traces:
  $ iops import trace.log                  the report of a saved strace log (strace -f -y -T -ttt -o trace.log ...)
  $ strace -f -y ./app 2>&1 >/dev/null | iops import -   ...or strace's output on standard input
  (iops import --help for its options)`;

interface ImportCommandOptions {
  format?: string;
  json?: string;
  html?: string;
  histogram?: boolean;
  allFds?: boolean;
  top: number;
}

const DETAILS = `
Examples:
  $ strace -f -yy -T -ttt -o app.log ./app      record a trace with everything iops can use
  $ iops import app.log                         the report: operations, bytes, files, latency
  $ iops import --json - app.log > report.json  the full report as JSON on stdout
  $ iops import --histogram - < app.log         read standard input
  $ iops import --html app.html app.log         also write the HTML page (findings, charts, files)
  $ sudo fs_usage -w -f filesys 1234 > fs.log   on macOS: record fs_usage output (wide mode, -w)
  $ iops import fs.log                          ...and its report (format detected: fs_usage)
  $ strace -ff -yy -ttt -o app ./app            a file per process (app.PID)...
  $ iops import app.*                           ...read as one log: each line's pid from its file's name

What a log can show depends on the flags strace ran with:
  -f          calls of every thread and child (without it: the first process only)
  -y or -yy   each fd's target, which tells files from sockets, pipes and ttys and
              fills the files table; without it every fd is counted, and the report says so
  -T          the time spent in each call (latency)
  -t/-tt/-ttt timestamps (elapsed time, IOPS, throughput, the timeline)
  Logs written with the Python iops-profiler's flags (strace -f -e trace=<data calls>
  -o FILE -p PID) import too. Lines that are not understood are counted and shown in a
  warning with the first example; they never stop the import.

Exit status: 0; ${EXIT.failure} when the log cannot be read or its format is unknown; ${EXIT.usage} on a usage error.
`;

/**
 * Chunks of input: a Buffer (or Uint8Array) each, valid only until the next
 * one is asked for, or text (a stream opened with an encoding, an array of
 * strings), read as UTF-8.
 */
type Chunks = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

type Importer = InstanceType<typeof native.LineImport>;

type FileImport = InstanceType<typeof native.FileImport>;

/**
 * The import of `path` started on threads of its own when it is a regular
 * file (see `FileImport`); undefined for a FIFO, a device, /dev/stdin...,
 * which are read as streams. Throws statSync's error (ENOENT...), or EISDIR.
 */
function startFileImport(path: string, options: ImportOptions): FileImport | undefined {
  const st = statSync(path);
  if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  return st.isFile() ? new native.FileImport(path, { format: options.format, allFds: options.allFds ?? false }) : undefined;
}

/** An importer of the given format, or one that detects it from the first lines. */
function importer(format: string | undefined): Importer {
  return format ? new native.LineImport(format) : native.LineImport.detecting();
}

/** A chunk as the native importer takes it; throws IopsError for what is no chunk of text. */
function chunkBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const what = chunk === null ? "null" : Array.isArray(chunk) ? "an array" : typeof chunk;
  throw bad(`importTrace(): each chunk must be a Buffer, a Uint8Array or a string (a Readable stream, an array of them); got ${what}`, "EINVAL");
}

/** Reads `input` to its end into `into`; `first` is called on the first chunk. */
async function importChunks(input: Chunks, into: Importer, first?: () => void): Promise<Importer> {
  for await (const chunk of input) {
    first?.();
    first = undefined;
    into.push(chunkBuffer(chunk));
  }
  return into;
}


export interface ImportOptions {
  /** The trace's format (one of `traceFormats()`); detected from its first lines when absent. */
  format?: string;
  /** Count sockets, pipes and ttys in the summary too. */
  allFds?: boolean;
  /**
   * Called with a one-line notice when a stream input (a FIFO, standard
   * input) has given nothing for a second: what the import is waiting for.
   */
  onWaiting?: (notice: string) => void;
}

/**
 * Reads a FIFO, a device or standard input as a stream. When it stays
 * silent for `WAIT_NOTICE_MS`, `onWaiting` hears what the import waits for:
 * a writer to open the FIFO (its open returns only then), or input.
 */
async function importStream(stream: NodeJS.ReadableStream, what: string, fifo: boolean, options: ImportOptions): Promise<Importer> {
  let opened = !fifo;
  stream.once("open", () => (opened = true));
  const timer = options.onWaiting
    ? setTimeout(() => {
        options.onWaiting!(opened ? `iops: waiting for input on ${what} ...` : `iops: waiting for a writer on FIFO ${what} ...`);
      }, WAIT_NOTICE_MS)
    : undefined;
  try {
    return await importChunks(stream as AsyncIterable<Buffer>, importer(options.format), () => clearTimeout(timer));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The report of a saved trace: `iops import`'s work, usable from code
 * too. `input` is a file's path (a regular file is read and parsed on
 * threads of their own: the event loop stays free), or chunks (a Readable
 * stream, say). Rejects when the input cannot be read, its format cannot be
 * told, or it is not text (compressed, UTF-16 or binary data in its first
 * 4 KiB; a line with no end after 64 MiB that holds NUL bytes, as
 * /dev/zero gives). A long line of text is read whatever its length.
 */
export async function importTrace(input: string | Chunks, options: ImportOptions = {}): Promise<Report> {
  if (options === null || typeof options !== "object") {
    throw bad(`importTrace(input, options): options must be an object ({ format: "strace" }, say) or left out; got ${options === null ? "null" : typeof options}`, "EINVAL");
  }
  if (typeof input === "string") {
    let file;
    try {
      file = startFileImport(input, options);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "ENOENT") throw bad(`importTrace(): no such file: ${input} (pass a log's path, or its chunks: a Readable stream, say)`, "ENOENT");
      if (err.code === "EISDIR") throw bad(`importTrace(): ${input} is a directory (pass a log's path, or its chunks)`, "EISDIR");
      throw e;
    }
    if (file) return parseOutcome(await file.report());
  } else if (input === null || (typeof input !== "object" && typeof input !== "function") || !(Symbol.asyncIterator in input || Symbol.iterator in input)) {
    const what = input === null ? "null" : typeof input;
    throw bad(`importTrace(input): input must be a log's path or its chunks (a Readable stream, an array of Buffers or strings); got ${what}`, "EINVAL");
  }
  return importChunksOf(input, options);
}

/** importTrace() of anything but a regular file. */
async function importChunksOf(input: string | Chunks, options: ImportOptions): Promise<Report> {
  let done: Importer;
  if (typeof input === "string") {
    // A FIFO, a device, /dev/stdin...: read once, as a stream.
    const fifo = statSync(input).isFIFO();
    done = await importStream(createReadStream(input, { highWaterMark: 1 << 20 }), input, fifo, options);
  } else if (input === process.stdin) {
    done = await importStream(process.stdin, "standard input", false, options);
  } else {
    done = await importChunks(input, importer(options.format));
  }
  done.endOfInput();
  // The report's method is the format's own saved-log source (crates/iops-core/src/parse/formats.rs).
  const report = done.finish({ allFds: options.allFds ?? false });
  return parseOutcome(report);
}

/**
 * The usual command lines (`iops import [--json F] [--top N] ... LOG`),
 * read with Node's own parser: loading commander takes about 15 ms of
 * every start. Anything else (help, a usage error, an option given twice)
 * gives undefined, and commander reads it, with its messages.
 */
function plainArgs(argv: string[], formats: string[]): { logs: string[]; opts: ImportCommandOptions } | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        format: { type: "string" },
        json: { type: "string" },
        html: { type: "string" },
        histogram: { type: "boolean" },
        "all-fds": { type: "boolean" },
        top: { type: "string" },
      },
    });
  } catch {
    return undefined;
  }
  const names = parsed.tokens.flatMap((t) => (t.kind === "option" ? [t.name] : []));
  if (new Set(names).size !== names.length || parsed.positionals.length === 0) return undefined;
  const v = parsed.values;
  if (v.format !== undefined && !formats.includes(v.format)) return undefined;
  let top = 10;
  if (v.top !== undefined) {
    try {
      top = argParsers().parseCount(v.top);
    } catch {
      return undefined;
    }
  }
  const opts = { format: v.format, json: v.json, html: v.html, histogram: v.histogram, allFds: v["all-fds"], top };
  return { logs: parsed.positionals, opts };
}

/** The command line as commander reads it: help, usage errors (to stderr). */
function commanderArgs(argv: string[], formats: string[]): { logs: string[]; opts: ImportCommandOptions } | number {
  const { Command, Option } = require("commander") as typeof Commander;
  const cmd = new Command("iops import")
    .usage("[options] <log|-> | <PREFIX.PID...>")
    .description("Show the report of a saved trace: an strace log (format detected from its first lines).")
    .argument("<log...>", "the trace file, or - for standard input; or the files of one strace -ff -o PREFIX capture (PREFIX.PID each), read as one log")
    .addOption(new Option("--format <name>", "the trace's format (default: detected)").choices(formats))
    .option("--json <path|->", "also write the full report as JSON to a file, or - for stdout (the table then goes to stderr)")
    .option("--html <path|->", "also write the self-contained HTML page (findings, charts, files with access patterns) to a file, or - for stdout (the table then goes to stderr)")
    .option("--histogram", "add a histogram of operation sizes, drawn in the terminal")
    .option("--all-fds", "count sockets, pipes and ttys in the summary too")
    .addOption(new Option("--top <n>", "how many files to list").default(10).argParser(argParsers().optionParser(argParsers().parseCount)))
    .addHelpText("after", DETAILS)
    .showHelpAfterError("(run iops import --help for usage)")
    .configureOutput({ outputError: (message, write) => write(printing().printableLines(message)) })
    .exitOverride();
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "commander.helpDisplayed" || code === "commander.version" ? EXIT.ok : EXIT.usage;
  }
  return { logs: cmd.args, opts: cmd.opts<ImportCommandOptions>() };
}

export async function runImport(argv: string[]): Promise<number> {
  const formats = native.traceFormats();
  const args = plainArgs(argv, formats) ?? commanderArgs(argv, formats);
  if (typeof args === "number") return args;
  const { logs, opts } = args;
  // Several files: the per-process files of one strace -ff capture (see ff-files.ts).
  const log = logs.length === 1 ? logs[0] : logs.join(" ");
  const ff = logs.length > 1 ? logs : undefined;
  const options: ImportOptions = { format: opts.format, allFds: opts.allFds };
  // A log file is read from now on, while the rest loads and the output paths are checked.
  let file: FileImport | undefined;
  let startError: unknown;
  if (log !== "-" && !ff) {
    try {
      file = startFileImport(log, options);
    } catch (e) {
      startError = e;
    }
  }
  const { printable } = printing();
  // Before a long import: a report that cannot be written is known now.
  const { outputPathsProblem, writeOutputFile } = output();
  const problem = outputPathsProblem([["--json", opts.json], ["--html", opts.html]]);
  if (problem) {
    file?.cancel();
    process.stderr.write(`iops: ${printable(problem)}\n`);
    return EXIT.usage;
  }
  const { formatText } = text();
  let report: Report;
  if (log === "-" && process.stdin.isTTY) {
    process.stderr.write("iops: reading the trace from the terminal (standard input); end it with Ctrl-D\n");
  }
  const onWaiting = log === "-" && process.stdin.isTTY ? undefined : (notice: string) => process.stderr.write(`${notice}\n`);
  try {
    if (startError !== undefined) throw startError;
    if (ff) {
      const { ffChunks } = require("./ff-files") as typeof FfFiles;
      report = await importChunksOf(ffChunks(ff), options);
    } else {
      report = file ? parseOutcome(await file.report()) : await importChunksOf(log === "-" ? process.stdin : log, { ...options, onWaiting });
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = log === "-" ? "standard input" : err.code === "ENOENT" && err.path ? err.path : log;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message;
    process.stderr.write(`iops: cannot import ${printable(what)}: ${printable(why)}\n`);
    return EXIT.failure;
  }
  const toStderr = opts.json === "-" || opts.html === "-";
  const width = Math.max(20, ((toStderr ? process.stderr.columns : process.stdout.columns) ?? 100) - 40);
  const table = formatText(report, { histogram: opts.histogram, topFiles: opts.top, width }) + "\n";
  (toStderr ? process.stderr : process.stdout).write(table);
  let status: number = EXIT.ok;
  const write = (f: () => void) => {
    try {
      f();
    } catch (e) {
      process.stderr.write(`iops: ${printable((e as Error).message)}\n`);
      status = EXIT.failure;
    }
  };
  if (opts.json !== undefined) write(() => writeOutputFile("--json", opts.json!, JSON.stringify(report, null, 2) + "\n"));
  if (opts.html !== undefined) {
    // Loaded only here: most imports write no page.
    const { writeReportPage } = await import("../render/html/page");
    write(() => {
      writeReportPage(report, opts.html!);
      if (opts.html !== "-") process.stderr.write(`iops: HTML report written to ${printable(opts.html!)}\n`);
    });
  }
  return status;
}
