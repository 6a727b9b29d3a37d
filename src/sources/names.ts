/**
 * The live sources by the name a report gives them in `method`, as the
 * binding's registry declares them for this platform (`liveSources()`: the
 * `live` clauses of the source table, crates/iops-core/src/source.rs): Linux's eBPF source, ptrace tracer and strace, macOS's
 * fs_usage (root) and rusage disk counters, Windows' ETW. Facts only:
 * select.ts decides which one runs.
 */

import { native } from "../native";
import { COUNTER_SOURCES, IopsError, type Source } from "../report";

/** A live source, as the binding's registry declares it. */
export interface LiveSource {
  /** Its report `method`, and the name one asks for it by. */
  readonly name: Source;
  /** What it is, in a few words (`iops --method`'s help). */
  readonly about: string;
  /** Tried when no source is asked for: the first such is the platform's default. */
  readonly byDefault: boolean;
  /**
   * How a window on this process is measured: "helper", by the tracer helper
   * process (a process cannot ptrace itself), which also traces our own
   * children; "in-process", by this process's own session; "script", by the
   * source's TypeScript module; "counters", by this process's counters.
   */
  readonly window: "helper" | "in-process" | "script" | "counters";
  /** Who runs it: the binding's TraceSession, or its TypeScript module (src/sources/<name>.ts). */
  readonly start: "binding" | "script";
  /** A counters source: the labelled fallback, never asked for. */
  readonly counters: boolean;
}

/**
 * The name of a source one can ask for (`iops --method`, profile()'s
 * `method`): a report `method`; which ones this platform runs is
 * `requestableSources()`, and any other is refused (IopsError "EINVAL").
 */
export type RequestedSource = Source;

let registry: readonly LiveSource[] | null = null;

/** The live sources of this build, in default order (read from the binding once). */
export function liveSources(): readonly LiveSource[] {
  registry ??= native.liveSources() as LiveSource[];
  return fsUsageStandIn === null ? registry : [FS_USAGE_STAND_IN, ...registry.filter((s) => s.name !== "fs_usage")];
}

/** The sources one can ask for on this platform, in default order. */
export function requestableSources(): LiveSource[] {
  return liveSources().filter((s) => !s.counters);
}

/**
 * Why `source` cannot run in this process, in one line that says how to get
 * it (its registry row's `permitted` probe: rights, kernel, build); null
 * when it may. Cheap: nothing is loaded or started.
 */
export function unavailableReason(source: LiveSource): string | null {
  if (source === FS_USAGE_STAND_IN) return null;
  return native.sourceUnavailable(source.name) ?? null;
}

/** The source one asked for (`value`), or with none the platform's first default row (null: it has none; select.ts skips the rows that cannot run here); IopsError "EINVAL" for anything else (never a silent default). */
export function requestedSource(value: unknown): LiveSource | null {
  if (value === undefined) return liveSources().find((s) => s.byDefault) ?? null;
  const known = requestableSources();
  const found = known.find((s) => s.name === value);
  if (found) return found;
  throw new IopsError(`unknown method ${JSON.stringify(value)}: one of ${known.map((s) => s.name).join(", ")}`, "EINVAL");
}

/** The binding's counters session of this platform (macOS: rusage), which measures a command or a pid when its event source cannot; undefined where the binding's own sources fall back by themselves. */
export function countersSession(): Source | undefined {
  return liveSources().find((s) => s.counters && s.start === "binding")?.name;
}

/** Sources that read per-process counters instead of per-call events. */
export type CountersSource = Extract<Source, "proc-io" | "io-counters" | "rusage">;
const COUNTERS_SOURCES = new Set<string>(COUNTER_SOURCES);

/** Whether a report's `method` is a counters source (its first warning then says why). */
export function isCountersMethod(method: string): boolean {
  return COUNTERS_SOURCES.has(method);
}

/** The counters source of this platform, used when no event source can run. */
export function countersSource(platform: NodeJS.Platform = process.platform): CountersSource {
  if (platform === "win32") return "io-counters";
  if (platform === "darwin") return "rusage";
  return "proc-io";
}

/** The per-call event source this platform runs when none is asked for (Linux: eBPF where this process may load it, else our ptrace tracer; macOS: fs_usage; Windows: ETW); null where it has none. */
export function eventSource(): Source | null {
  return (liveSources().find((s) => s.byDefault && unavailableReason(s) === null) ?? requestedSource(undefined))?.name ?? null;
}

/**
 * An fs_usage stand-in to run in place of Apple's, set in-process only: the
 * tests run the fs_usage pipeline on Linux with it. Never read from the
 * environment: iops runs fs_usage as root or through sudo, so an executable
 * chosen by a variable would run with those rights.
 */
let fsUsageStandIn: string | null = null;

/**
 * @internal For tests: run the fs_usage source, with the executable at the
 * absolute path `path` in place of /usr/bin/fs_usage, on any platform
 * (`null` goes back to the platform's own source). Not part of the package's
 * API (its `exports` map hides dist/sources/).
 */
export function useFsUsageStandIn(path: string | null): void {
  fsUsageStandIn = path;
}

/** The fs_usage source where the stand-in runs it (on Linux, whose binding has no fs_usage row), first: the default. */
const FS_USAGE_STAND_IN: LiveSource = { name: "fs_usage", about: "fs_usage (the tests' stand-in)", byDefault: true, window: "script", start: "script", counters: false };

/** The stand-in set by `useFsUsageStandIn`, or null. */
export function fsUsageStandInPath(): string | null {
  return fsUsageStandIn;
}
