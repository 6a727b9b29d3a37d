/**
 * The options of `%iops` and `%%iops`, their parsing and their help text.
 * They are the CLI's options that make sense in a notebook.
 */
import { MAX_COUNT, parseCount } from "../args";
import { checkOutputPath } from "../output";
import { requestableSources } from "../sources/names";

export interface MagicOptions {
  histogram: boolean;
  /** Add the size-over-time heatmaps. */
  heatmap: boolean;
  allFds: boolean;
  /** How many files the table lists. */
  top: number;
  /** Also save the full report as JSON to this path. */
  json: string | null;
  shareCpu: boolean;
  /** The source asked for (`--method`), or null: the platform's default (profile()'s `method`). */
  method: string | null;
  help: boolean;
  /** Keep the report under this name, for `%iops compare <a> <b>`. */
  saveAs: string | null;
}

export const DEFAULT_OPTIONS: MagicOptions = {
  histogram: false,
  heatmap: false,
  allFds: false,
  top: 10,
  json: null,
  shareCpu: false,
  method: null,
  help: false,
  saveAs: null,
};

export const HELP = `%iops and %%iops: what code does to storage, measured exactly
(iops-profiler, loaded with: import "iops-profiler/tslab";)

  %%iops [options]          on the first line of a cell: profiles the whole cell
  %iops [options] <stmt>    on a line of its own: profiles that one statement;
                            the cell's other lines run normally, unmeasured
  %iops compare <a> <b>     alone in a cell: two reports kept with --save-as,
                            side by side with B's ratios and a verdict

Counted: every read and write call (read, write, pread64, pwrite64, readv,
writev, ...) made by any thread of the kernel between the start and the end
of your code, awaited asynchronous I/O (libuv's thread pool) included. Not
counted: compiling the cell, the kernel's own messaging, showing the results.
Names declared in a profiled cell or line stay visible to later cells, and
top-level await works as in any cell.

Options:
  --histogram        add the charts (count of operations and total bytes by
                     bytes per operation, latency, IOPS and throughput over
                     time) and a text histogram
  --heatmap          add the heatmaps of operation size over time (colour:
                     operations, and bytes moved), which show a run's phases
  --all-fds          count sockets, pipes and ttys in the table too (by
                     default they are left out and shown on a line of their own)
  --top <n>          how many files to list (default 10)
  --json <path>      also save the full report as JSON to <path>
  --save-as <name>   keep the report under <name> (letters, digits, _ and -)
                     for %iops compare; a later --save-as <name> replaces it
  --share-cpu        run the tracer and your code on one CPU while measuring:
                     much faster per traced call, but your code runs on one
                     CPU meanwhile (its CPU set is given back at the end)
  --no-share-cpu     the default: your code keeps its CPUs
  --method <source>  measure with this source (Linux: ebpf or ptrace; the
                     default is eBPF where permitted, else ptrace, saying why)
  -h, --help         this help

Examples:
  %%iops --histogram
  const data = fs.readFileSync("input.csv");
  fs.writeFileSync("copy.csv", data);

  %iops const text = await fs.promises.readFile("notes.txt", "utf8");

  %%iops --save-as small            (then, in another cell, --save-as large)
  %iops compare small large

Windows cannot nest: a %iops line inside a %%iops cell is refused.
Where no tracer is permitted (or the --method asked for cannot run), the cell still runs and the figures come from
the kernel's /proc/<pid>/io counters, labelled as such.`;

export class OptionsError extends Error {}

const FLAGS: Record<string, (o: MagicOptions) => void> = {
  "--histogram": (o) => (o.histogram = true),
  "--heatmap": (o) => (o.heatmap = true),
  "--all-fds": (o) => (o.allFds = true),
  "--share-cpu": (o) => (o.shareCpu = true),
  "--no-share-cpu": (o) => (o.shareCpu = false),
  "--help": (o) => (o.help = true),
  "-h": (o) => (o.help = true),
};

const VALUED: Record<string, (o: MagicOptions, value: string) => void> = {
  "--top": (o, v) => {
    try {
      o.top = parseCount(v);
    } catch {
      throw new OptionsError(`--top needs a whole number of files, not "${v}" (1 to ${MAX_COUNT})`);
    }
  },
  "--method": (o, v) => {
    const known = requestableSources().map((s) => s.name as string);
    if (!known.includes(v)) throw new OptionsError(`unknown method "${v}": one of ${known.join(", ")}`);
    o.method = v;
  },
  "--json": (o, v) => {
    // Checked before the code runs: a report that cannot be saved is known now.
    try {
      checkOutputPath("--json", v);
    } catch (e) {
      throw new OptionsError((e as Error).message);
    }
    o.json = v;
  },
  "--save-as": (o, v) => {
    if (!NAME.test(v)) throw new OptionsError(`--save-as needs a name of letters, digits, _ and - (such as small or run-2), not "${v}"`);
    o.saveAs = v;
  },
};

/** A kept report's name. */
export const NAME = /^[A-Za-z_][\w-]{0,63}$/;

/** One token at the start of `text`: a "quoted string" or up to the next space. */
function token(text: string): { value: string; rest: string } | null {
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/.exec(text);
  if (!m) return null;
  const value = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3]);
  return { value, rest: text.slice(m[0].length) };
}

/**
 * Parses the options at the start of `text` (what follows `%iops` or
 * `%%iops`) and returns them with the rest: the statement of a line magic.
 * Options end at the first word that does not start with "-".
 */
export function parseOptions(text: string): { options: MagicOptions; rest: string } {
  const options = { ...DEFAULT_OPTIONS };
  let rest = text;
  for (;;) {
    const t = token(rest);
    if (!t || !t.value.startsWith("-")) break;
    const [name, inline] = t.value.includes("=") ? [t.value.slice(0, t.value.indexOf("=")), t.value.slice(t.value.indexOf("=") + 1)] : [t.value, null];
    if (FLAGS[name] && inline === null) {
      FLAGS[name](options);
      rest = t.rest;
    } else if (VALUED[name]) {
      let value = inline;
      rest = t.rest;
      if (value === null) {
        const v = token(rest);
        if (!v) throw new OptionsError(`${name} needs a value (%iops --help explains the options)`);
        value = v.value;
        rest = v.rest;
      }
      VALUED[name](options, value);
    } else {
      throw new OptionsError(`unknown option ${t.value} (%iops --help lists the options)`);
    }
  }
  return { options, rest: rest.trim() };
}
