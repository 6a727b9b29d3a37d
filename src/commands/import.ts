/**
 * `iops import <log>`: the usual report from a saved trace (an strace log;
 * the format is detected from its first lines unless --format says). The
 * log is read in chunks and parsed as it streams, so memory stays flat
 * however long it is; `-` reads standard input.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";

import { Command, Option } from "commander";

import { optionParser, parseCount } from "../args";
import { formatText, printable, printableLines } from "../format";
import { writeReportPage } from "../html/page";
import { native } from "../native";
import { checkOutputPaths, OutputPathError, writeOutputFile } from "../output";
import { parseOutcome, type Report } from "../report";

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** How much of the start of the input format detection looks at. */
const DETECT_BYTES = 64 * 1024;

export const IMPORT_HELP = `
Saved traces:
  $ iops import trace.log                  the report of a saved strace log (strace -f -y -T -ttt -o trace.log ...)
  $ strace -f -y ./app 2>&1 >/dev/null | iops import -   ...or strace's output on standard input
  (iops import --help for its options)`;

interface ImportOptions {
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

/** Chunks of input: a Buffer each, valid only until the next one is asked for. */
type Chunks = AsyncIterable<Buffer> | Iterable<Buffer>;

/** Reads `input` to its end into a LineImport of the given (or detected) format. */
async function importChunks(input: Chunks, format: string | undefined): Promise<InstanceType<typeof native.LineImport>> {
  let importer: InstanceType<typeof native.LineImport> | undefined = format ? new native.LineImport(format) : undefined;
  let head: Buffer[] = [];
  let headBytes = 0;
  const start = () => {
    const first = Buffer.concat(head);
    const detected = native.detectTraceFormat(first);
    if (!detected) {
      throw new ImportError(unknownFormat());
    }
    importer = new native.LineImport(detected);
    importer.push(first);
    head = [];
  };
  for await (const chunk of input) {
    const buf = chunk as Buffer;
    if (importer) {
      importer.push(buf);
      continue;
    }
    head.push(Buffer.from(buf)); // a copy: the chunk's memory may be reused
    headBytes += buf.length;
    if (headBytes >= DETECT_BYTES) start();
  }
  if (!importer) start();
  return importer!;
}

class ImportError extends Error {}

/** The report's `method` for a saved log of each format. */
const LOG_METHOD: Record<string, string> = { strace: "strace-log", fs_usage: "fs_usage" };

/** The format of a file, from its first bytes (or the one given). */
function fileFormat(path: string, format: string | undefined): string {
  if (format) return format;
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(DETECT_BYTES);
    const n = readSync(fd, head, 0, head.length, 0);
    const detected = native.detectTraceFormat(head.subarray(0, n));
    if (!detected) throw new ImportError(unknownFormat());
    return detected;
  } finally {
    closeSync(fd);
  }
}

function unknownFormat(): string {
  return `cannot tell the format of this input (known: ${native.traceFormats().join(", ")}); give it with --format`;
}

/**
 * The report of a saved trace: `iops import <log>`'s work, usable from code
 * too. `input` is a file's path (read ahead on a thread of its own while
 * the core parses; blocks until done), or chunks (a Readable stream, say).
 */
export async function importTrace(input: string | Chunks, options: { format?: string; allFds?: boolean } = {}): Promise<Report> {
  let importer: InstanceType<typeof native.LineImport>;
  if (typeof input === "string" && !statSync(input).isFile()) {
    // A FIFO, a device, /dev/stdin...: read once, as a stream.
    if (statSync(input).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    importer = await importChunks(createReadStream(input, { highWaterMark: 1 << 20 }), options.format);
  } else if (typeof input === "string") {
    importer = new native.LineImport(fileFormat(input, options.format));
    importer.pushFile(input);
  } else {
    importer = await importChunks(input, options.format);
  }
  return parseOutcome(importer.finish({ method: LOG_METHOD[importer.format()] ?? importer.format(), allFds: options.allFds ?? false }));
}

export async function runImport(argv: string[]): Promise<number> {
  const formats = native.traceFormats();
  const cmd = new Command("iops import")
    .usage("[options] <log|->")
    .description("Show the report of a saved trace: an strace log (format detected from its first lines).")
    .argument("<log>", "the trace file, or - for standard input")
    .addOption(new Option("--format <name>", "the trace's format (default: detected)").choices(formats))
    .option("--json <path|->", "also write the full report as JSON to a file, or - for stdout (the table then goes to stderr)")
    .option("--html <path|->", "also write the self-contained HTML page (findings, charts, files with access patterns) to a file, or - for stdout (the table then goes to stderr)")
    .option("--histogram", "add a histogram of operation sizes, drawn in the terminal")
    .option("--all-fds", "count sockets, pipes and ttys in the summary too")
    .addOption(new Option("--top <n>", "how many files to list").default(10).argParser(optionParser(parseCount)))
    .addHelpText("after", DETAILS)
    .showHelpAfterError("(run iops import --help for usage)")
    .configureOutput({ outputError: (text, write) => write(printableLines(text)) })
    .exitOverride();
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "commander.helpDisplayed" || code === "commander.version" ? EXIT.ok : EXIT.usage;
  }
  const opts = cmd.opts<ImportOptions>();
  const [log] = cmd.args;
  if (opts.json === "-" && opts.html === "-") {
    process.stderr.write("iops: only one of --json and --html can go to stdout (-)\n");
    return EXIT.usage;
  }
  // Before a long import: a report that cannot be written is known now.
  try {
    checkOutputPaths([["--json", opts.json], ["--html", opts.html]]);
  } catch (e) {
    if (!(e instanceof OutputPathError)) throw e;
    process.stderr.write(`iops: ${printable(e.message)}\n`);
    return EXIT.usage;
  }
  let report: Report;
  try {
    report = await importTrace(log === "-" ? process.stdin : log, { format: opts.format, allFds: opts.allFds });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = log === "-" ? "standard input" : log;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message;
    process.stderr.write(`iops: cannot import ${printable(what)}: ${printable(why)}\n`);
    return EXIT.failure;
  }
  const toStderr = opts.json === "-" || opts.html === "-";
  const width = Math.max(20, ((toStderr ? process.stderr.columns : process.stdout.columns) ?? 100) - 40);
  const text = formatText(report, { histogram: opts.histogram, topFiles: opts.top, width }) + "\n";
  (toStderr ? process.stderr : process.stdout).write(text);
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
    write(() => {
      writeReportPage(report, opts.html!);
      if (opts.html !== "-") process.stderr.write(`iops: HTML report written to ${printable(opts.html!)}\n`);
    });
  }
  return status;
}
