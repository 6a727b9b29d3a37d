#!/usr/bin/env node
/**
 * The `iops` command: trace a command (or attach to a pid) and print what
 * it did to storage.
 */
import type * as Commander from "commander";

import type * as Args from "./args";
import type * as ArgvBytes from "./argv-bytes";
import type { Arg } from "./argv-bytes";
import type * as Text from "./render/text";
import type * as Printable from "./view/printable";
import type * as Units from "./view/units";
import type * as Origin from "./origin";
import type * as Output from "./output";
import type * as ReportModule from "./report";
import type { Report } from "./report";
import type { Capture, CaptureOptions } from "./sources/capture";
import type * as Names from "./sources/names";
import type { RequestedSource } from "./sources/names";
import { IMPORT_HELP, runImport } from "./commands/import";
// The sources, the HTML page, `iops report`, commander and what tracing a
// command prints with are loaded when used: `iops import` starts reading
// its log without waiting for them (it loads what it needs meanwhile).
const args = (): typeof Args => require("./args");
const text = (): typeof Text => require("./render/text");
const printing = (): typeof Printable => require("./view/printable");
const units = (): typeof Units => require("./view/units");
const outputs = (): typeof Output => require("./output");
const reports = (): typeof ReportModule => require("./report");
const names = (): typeof Names => require("./sources/names");

/** commander, loaded on first use (about 15 ms). */
const commander = (): typeof Commander => require("commander");

/** Exit statuses of iops itself (otherwise it exits with the command's status). */
const EXIT = { failure: 1, usage: 2, cannotExecute: 126, notFound: 127 } as const;

interface CliOptions {
  json?: string;
  html?: string;
  histogram?: boolean;
  pid?: number;
  duration?: number;
  allFds?: boolean;
  top: number;
  shareCpu?: boolean;
  progress: boolean;
  method?: RequestedSource;
}

const EXAMPLES = `
Examples:
  $ iops -- python3 train.py               trace a command and its children
  $ iops --histogram -- tar xf data.tar    add a histogram of operation sizes
  $ iops --json report.json -- ./etl       also save the full report as JSON
  $ iops --json /dev/fd/3 -- ./etl 3> report.json
                                           the JSON on a descriptor of its own: ./etl's
                                           stdout stays its own (--json - shares it)
  $ iops --html report.html -- ./etl       also write an HTML page: charts, files, findings
  $ iops report report.json --html r.html  render a saved --json report (iops report --help)
  $ iops -p 1234 --duration 10             attach to a running process for 10 s
  $ iops -p 1234                           ...or until Ctrl-C
  $ iops help import                       the help of a command: report, import, merge, compare

What is counted:
  Operations are successful read/write-family calls (read, write, pread64,
  pwrite64, readv, writev, preadv, pwritev, preadv2, pwritev2, sendfile,
  copy_file_range, splice) on regular files and block devices; each call is
  one operation and moves the bytes it returned. Failed calls are listed
  apart. Sockets, pipes and ttys get a line of their own (--all-fds counts
  them in the table). Opens, closes, stats, fsyncs, unlinks, renames and
  getdents are counted as metadata calls.

Sources: Linux, eBPF where permitted (root, or CAP_BPF and CAP_PERFMON, and
  a kernel with BTF; it never stops the program), else our ptrace tracer,
  saying in one line why; macOS, fs_usage (needs root, or a sudoers rule: see
  the README); Windows, ETW (needs an elevated prompt). Without the rights,
  iops says so in one line and reads the process's counters instead
  (proc-io, rusage, io-counters). The report's header names the source.
  --method asks for one: if it cannot run here, iops says why and exits ${EXIT.usage}.

Exit status: the command's own (128 + N when it was killed by signal N);
  ${EXIT.usage} on a usage error or when the --method asked for cannot run here,
  ${EXIT.notFound} when the command is not found, ${EXIT.cannotExecute} when it cannot be executed
  (${EXIT.notFound} if its interpreter is missing), ${EXIT.failure} when the capture failed or a
  report could not be written where asked (it is then kept in $TMPDIR, else
  /tmp, as iops-report-<pid>.json, and one line says where).
  With --pid: 0, or ${EXIT.failure} as above.

Streams: the table goes to stderr (stdout is the command's); iops report,
  import, merge and compare print it on stdout, or on stderr when --json -
  or --html - takes stdout.

Signals: Ctrl-C and Ctrl-\\ reach the command from the terminal, and iops
  reports once it ends; SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 and SIGALRM sent
  to iops alone are passed on to the command. Once the command has ended,
  SIGINT, SIGQUIT, SIGTERM and SIGHUP end the wait for what it left running
  and iops reports. With --pid, SIGINT, SIGTERM, SIGHUP and SIGQUIT end the
  capture: iops detaches and reports.

Processes the command leaves: iops follows its processes while they stay
  in its session, as strace -f does (a background job of sh -c 'x &' is
  waited for). A process that left the session (setsid: a daemon) is not
  waited for once the command has ended: iops reports, with a warning
  naming what was left running (pid, command); its later I/O is not
  counted, and it runs on untouched (eBPF: no longer followed; strace:
  detached). Our ptrace tracer is the exception: a daemon started under
  its seccomp filter cannot run untraced, so it waits for it (and says
  so); Ctrl-C or SIGTERM then ask it to end (SIGTERM; a second time,
  SIGKILL).

Set-user-ID programs: under ptrace (--method ptrace or strace, the default
  for a normal user) the kernel runs a set-user-ID or set-group-ID program,
  or one with file capabilities, without those privileges; the report names
  it. As root, the default eBPF source keeps them.
`;

const MANY_HELP = `
Many processes, many runs:
  $ mpirun -n 4 iops --json out/%r.json -- ./app    one report per rank
  $ srun iops --json out/%j-%r.json -- ./app        the same under Slurm
  $ iops merge out/ --html job.html                 one job report, per-rank table (iops merge --help)
  $ iops compare small.json large.json              side by side, with ratios (iops compare --help)
`;

/** "\r12,345 ops · 48.00 MiB · 3.2 s" on a terminal, once a capture runs past 1 s. */
function progressPrinter(enabled: boolean): { options: Partial<CaptureOptions>; done(): void } {
  if (!enabled || !process.stderr.isTTY) return { options: {}, done() {} };
  const { humanBytes, thousands } = units();
  let shown = false;
  return {
    options: {
      progressIntervalMs: 250,
      onProgress: ({ ops, bytes, elapsedSeconds }) => {
        if (elapsedSeconds < 1) return;
        shown = true;
        process.stderr.write(`\r\x1b[Kiops: ${thousands(ops)} ops, ${humanBytes(bytes)} so far (${elapsedSeconds.toFixed(1)} s)`);
      },
    },
    done() {
      if (shown) process.stderr.write("\r\x1b[K");
    },
  };
}

/** Prints the table and writes --json/--html; false when a file could not be written (each is tried). */
async function output(report: Report, opts: CliOptions): Promise<boolean> {
  const { printable } = printing();
  const { writeOutputFile } = outputs();
  let shown = report;
  // Which source ran instead and why goes first, on its own line, not with the warnings.
  const notices = (["default-source-unavailable", "counters-fallback"] as const).filter((code) => report.warningCodes.includes(code));
  for (const code of notices) process.stderr.write(`iops: ${printable(report.warnings[report.warningCodes.indexOf(code)])}\n`);
  if (notices.length > 0) shown = { ...report, ...reports().withoutWarnings(report, ...notices) };
  process.stderr.write(
    text().formatText(shown, { histogram: opts.histogram, topFiles: opts.top, width: Math.max(20, (process.stderr.columns ?? 100) - 40) }) +
      "\n",
  );
  let ok = true;
  const write = (f: () => void) => {
    try {
      f();
    } catch (e) {
      process.stderr.write(`iops: ${printable((e as Error).message)}\n`);
      ok = false;
    }
  };
  if (opts.json !== undefined) write(() => writeOutputFile("--json", opts.json!, JSON.stringify(report, null, 2) + "\n"));
  if (opts.html !== undefined) {
    // Loaded only here: most runs write no page.
    const { writeReportPage } = await import("./render/html/page");
    write(() => writeReportPage(report, opts.html!));
  }
  return ok;
}

function exitStatusOf(report: Report): number {
  const exit = report.exit;
  if (!exit) return 0;
  if (exit.signalNumber !== null) return 128 + exit.signalNumber;
  return exit.code ?? 0;
}

/** Whether `path` names a directory (false when it cannot be stat'ed). */
function isDirectory(path: Arg): boolean {
  try {
    return require("node:fs").statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Signals the terminal sends to its whole foreground group, the command included. */
const TERMINAL_SIGNALS = ["SIGINT", "SIGQUIT"] as const;
/** Signals that reach iops alone (kill, a supervisor): the command's to handle. */
const FORWARDED_SIGNALS = ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM"] as const;

/** How long a wait after the command's end goes on before iops says so (on a terminal), ms. */
const WAIT_NOTE_MS = 1000;

/** Signals that, once the command has ended, end the wait for what it left running (and report). */
const END_WAIT_SIGNALS: readonly string[] = ["SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP"];

async function runLaunch(argv: Arg[], opts: CliOptions): Promise<number> {
  const progress = progressPrinter(opts.progress);
  // The command decides how to end: we trace until it exits, then report.
  // Ctrl-C and Ctrl-\ reach it from the terminal (same process group);
  // iops must only not die of them.
  let capture: Capture | undefined;
  // The command has ended (its pid reaped); what it left running (a
  // background job ignoring SIGINT, a daemon) is still being waited for.
  const commandEnded = (): boolean => {
    const pid = capture?.pid() ?? 0;
    if (pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ESRCH";
    }
  };
  const endWait = (sig: string) => {
    if (END_WAIT_SIGNALS.includes(sig) && commandEnded()) capture?.stop();
  };
  for (const sig of TERMINAL_SIGNALS) process.on(sig, () => endWait(sig));
  for (const sig of FORWARDED_SIGNALS) {
    process.on(sig, () => {
      const pid = capture?.pid() ?? 0;
      try {
        if (pid > 0) process.kill(pid, sig);
      } catch {
        // ESRCH: the command has ended; its report is on its way, or its
        // leftovers are being waited for.
        endWait(sig);
      }
    });
  }
  // On a terminal, a wait that goes on after the command's end is said once, with how to end it.
  let waitNote: NodeJS.Timeout | undefined;
  if (process.stderr.isTTY) {
    let endedAt = 0;
    waitNote = setInterval(() => {
      if (!commandEnded()) return;
      endedAt ||= Date.now();
      if (Date.now() - endedAt < WAIT_NOTE_MS) return;
      clearInterval(waitNote);
      progress.done();
      process.stderr.write("iops: the command has ended; waiting for the processes it left running (Ctrl-C: stop waiting and report)\n");
    }, WAIT_NOTE_MS / 4).unref();
  }
  try {
    const { launch } = await import("./sources/select");
    capture = launch(argv, { allFds: opts.allFds, shareCpu: opts.shareCpu, ...progress.options }, opts.method);
    const report = await capture.report;
    clearInterval(waitNote);
    progress.done();
    return (await output(report, opts)) ? exitStatusOf(report) : EXIT.failure;
  } catch (e) {
    clearInterval(waitNote);
    progress.done();
    const { IopsError } = reports();
    const { printable } = printing();
    const name = argv[0];
    const shown = printable(typeof name === "string" ? name : name.toString("latin1"));
    if (e instanceof IopsError && e.message.startsWith("cannot execute ")) {
      // Found, but execve refused it (ENOEXEC, E2BIG, EACCES...), as a shell says; a directory (EACCES) as what it is.
      process.stderr.write(e.code === "EACCES" && isDirectory(name) ? `iops: cannot execute ${shown}: Is a directory\n` : `iops: ${printable(e.message)}\n`);
      return e.code === "ENOENT" ? EXIT.notFound : EXIT.cannotExecute;
    }
    if (e instanceof IopsError && e.code === "ENOENT") {
      // A name with a slash is a path, never looked up on PATH: said as a shell says it.
      const isPath = (typeof name === "string" ? Buffer.from(name) : name).includes(0x2f);
      process.stderr.write(isPath ? `iops: ${shown}: No such file or directory\n` : `iops: ${printable(e.message)} (is it installed and on PATH?)\n`);
      return EXIT.notFound;
    }
    throw e;
  }
}

/** The longest an attach's --duration waits for the capture to be in place, ms. */
const READY_WAIT_MS = 1000;

/** Signals that end an attach-mode capture with its report. */
const ATTACH_STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

async function runAttach(pid: number, opts: CliOptions): Promise<number> {
  const progress = progressPrinter(opts.progress);
  const { attach } = await import("./sources/select");
  // Where the source is refused, the pid's counters over the same span.
  const capture = attach(pid, { allFds: opts.allFds, shareCpu: opts.shareCpu, ...progress.options }, opts.method, true);
  // Every catchable end detaches cleanly (and gives back CPU sets) and reports.
  const stop = () => capture.stop();
  for (const sig of ATTACH_STOP_SIGNALS) process.on(sig, stop);
  // The duration counts from when the capture is in place (loading eBPF, seizing threads take their time).
  let cancelTimer: (() => void) | undefined;
  let ended = false;
  if (opts.duration) {
    const ms = opts.duration * 1000;
    // Never waits on readiness alone: a ptrace attach to a process that keeps
    // making threads can take long to call every thread resumed, and the
    // capture would then run on past its duration; after READY_WAIT_MS the
    // duration counts from then.
    const inPlace = capture.ready?.() ?? Promise.resolve(true);
    const waited = new Promise<boolean>((resolve) => setTimeout(() => resolve(true), READY_WAIT_MS).unref());
    void Promise.race([inPlace, waited]).then((ok) => {
      if (ok && !ended) cancelTimer = args().setLongTimeout(stop, ms);
    });
  }
  if (!opts.duration && process.stderr.isTTY) process.stderr.write(`iops: tracing pid ${pid}; press Ctrl-C to stop\n`);
  try {
    const report = await capture.report;
    progress.done();
    return (await output(report, opts)) ? 0 : EXIT.failure;
  } catch (e) {
    progress.done();
    throw e;
  } finally {
    ended = true;
    cancelTimer?.();
  }
}

/**
 * `--method`: the live sources this platform runs (the binding's registry),
 * the first its default. Without a loadable addon, --help still works: the
 * option then takes any name, and a capture says in one line what to do.
 */
function methodOption(Option: typeof Commander.Option): Commander.Option {
  let sources;
  try {
    sources = names().requestableSources();
  } catch {
    return new Option("--method <source>", "the source: one of this platform's live sources (listed here once the addon loads)");
  }
  // No commander default: a source asked for is held to it, the default may fall back (select.ts).
  const defaults = sources.filter((s) => s.byDefault).map((s) => s.name);
  const when = defaults.length > 1 ? ` (default: the first of ${defaults.join(", ")} that may run here)` : defaults.length === 1 ? ` (default: ${defaults[0]})` : "";
  return new Option("--method <source>", sources.map((s) => `${s.name}: ${s.about}`).join("; ") + when).choices(sources.map((s) => s.name));
}

/** The words `iops` reads as its own commands rather than a program to trace. */
const SUBCOMMANDS = ["report", "import", "merge", "compare"];

export async function main(argv: string[]): Promise<number> {
  const argvBytes = require("./argv-bytes") as typeof ArgvBytes;
  const given = argvBytes.argvBytes(argv);
  if (SUBCOMMANDS.includes(argv[0])) {
    const problem = argvBytes.ownArgsProblem(given);
    if (problem) {
      process.stderr.write(`iops: ${problem}\n`);
      return EXIT.usage;
    }
  }
  // `iops report <saved.json>`; a program named "report" is traced with `iops -- report`.
  if (argv[0] === "report") return (await import("./commands/report")).runReportCommand(argv.slice(1));
  if (argv[0] === "import") return runImport(argv.slice(1));
  if (argv[0] === "merge") return (await import("./commands/merge")).runMergeCommand(argv.slice(1));
  if (argv[0] === "compare") return (await import("./commands/compare")).runCompareCommand(argv.slice(1));
  // `iops help [subcommand]`, as git and npm read it; a program named "help" is traced with `iops -- help`.
  if (argv[0] === "help") return main(argv.length > 1 && SUBCOMMANDS.includes(argv[1]) ? [argv[1], "--help"] : ["--help"]);
  const { Command, Option } = commander();
  const { optionParser, parseCount, parsePid, parseSeconds } = args();
  const { printable, printableLines } = printing();
  const program = new Command()
    .name("iops")
    .usage("[options] -- <command> [args...]\n       iops [options] -p <pid> [--duration <seconds>]")
    .description(
      "Show what a program does to storage: read and write operations, bytes, sizes,\nfiles and latency, measured exactly by tracing its syscalls.",
    )
    .argument("[command...]", "the command to run and trace, after --")
    .option("--json <path|->", "also write the full report as JSON to a file, or - for stdout (after the command's own output, on the same stream: give a file or /dev/fd/3 when the command prints)")
    .option("--html <path|->", "also write a self-contained HTML page (findings, charts, files with access patterns) to a file, or - for stdout (likewise)")
    .option("--histogram", "add a histogram of operation sizes, drawn in the terminal")
    .option("-p, --pid <pid>", "attach to a running process (all its threads and new children)", optionParser(parsePid))
    .option("--duration <seconds>", "with --pid: stop after this many seconds (default: at Ctrl-C)", optionParser(parseSeconds))
    .option("--all-fds", "count sockets, pipes and ttys in the summary too")
    .addOption(new Option("--top <n>", "how many files to list").default(10).argParser(optionParser(parseCount)))
    .option(
      "--share-cpu",
      "ptrace source: run the tracer and the program on one CPU while tracing: each traced call is much faster, but the program sees and uses one CPU (nproc says 1, threads lose their parallelism; the report says so); with --pid its CPU set is given back at the end (the eBPF source never stops the program: there it is ignored, and the report says so)",
    )
    .addOption(new Option("--no-share-cpu", "the default: the program keeps its CPUs").hideHelp())
    .option("--no-progress", "no live progress line on a terminal")
    .addOption(methodOption(Option))
    .version(require("../package.json").version, "-V, --version")
    .addHelpText("after", EXAMPLES + IMPORT_HELP + "\n\n" + (require("./origin") as typeof Origin).PLACEHOLDER_HELP + "\n" + MANY_HELP)
    .showHelpAfterError("(run iops --help for usage)")
    .configureOutput({ outputError: (text, write) => write(printableLines(text)) })
    .exitOverride();

  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number; code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version") return 0;
    return EXIT.usage;
  }
  const opts = program.opts<CliOptions>();
  const command = program.args;
  // The command's arguments go to it as bytes; iops's own before them must be UTF-8.
  const at = argv.length - command.length;
  const asGiven = at >= 0 && command.every((a, i) => a === argv[at + i]);
  const ownProblem = argvBytes.ownArgsProblem(asGiven ? given.slice(0, at) : given);
  if (ownProblem) {
    process.stderr.write(`iops: ${ownProblem}\n`);
    return EXIT.usage;
  }
  if (opts.pid !== undefined && command.length > 0) {
    process.stderr.write("iops: give either a command or --pid, not both\n");
    return EXIT.usage;
  }
  if (opts.duration !== undefined && opts.pid === undefined) {
    process.stderr.write("iops: --duration goes with --pid\n");
    return EXIT.usage;
  }
  if (opts.shareCpu && opts.method === "ebpf") {
    // Without --method the default source may be eBPF: its report says --share-cpu was ignored (share-cpu-ignored).
    process.stderr.write("iops: --share-cpu goes with --method ptrace: the eBPF source never stops the program, so there is no tracer to share a CPU with\n");
    return EXIT.usage;
  }
  // Placeholders first (%r of a launcher's rank...): one report per process of a job.
  try {
    const { fillPlaceholders } = require("./origin") as typeof Origin;
    if (opts.json !== undefined && opts.json !== "-") opts.json = fillPlaceholders("--json", opts.json);
    if (opts.html !== undefined && opts.html !== "-") opts.html = fillPlaceholders("--html", opts.html);
  } catch (e) {
    process.stderr.write(`iops: ${printable((e as Error).message)}\n`);
    return EXIT.usage;
  }
  // Before anything runs: a report that cannot be written is known now, not after the command.
  const problem = outputs().outputPathsProblem([["--json", opts.json], ["--html", opts.html]]);
  if (problem) {
    process.stderr.write(`iops: ${printable(problem)}\n`);
    return EXIT.usage;
  }
  try {
    if (opts.pid !== undefined) return await runAttach(opts.pid, opts);
    if (command.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    // The command as its bytes: arguments that are not UTF-8 reach it unchanged.
    return await runLaunch(asGiven ? given.slice(at) : command, opts);
  } catch (e) {
    process.stderr.write(`iops: ${printable((e as Error).message)}\n`);
    // The --method asked for cannot run here: a matter of how iops was called, not a failed capture.
    return e instanceof reports().IopsError && e.code === "ENOTSUP" ? EXIT.usage : EXIT.failure;
  }
}

if (require.main === module) {
  // A reader that stops early (`iops --help | head`) is not an error of ours.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
