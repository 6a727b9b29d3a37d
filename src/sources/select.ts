/**
 * Which source measures, and when it falls back to counters: decided here
 * and only here, for the CLI, the API and the notebook magics alike, from
 * what the binding's registry of live sources declares (names.ts'
 * `liveSources()`: the `live` clauses of the source table,
 * crates/iops-core/src/source.rs, as crates/iops-node/src/live.rs expands them):
 *
 *   which source          the one asked for (`--method`, profile()'s
 *                         `method`; one that cannot run here is an error,
 *                         IopsError "ENOTSUP", never a fallback), else the
 *                         platform's first `byDefault` row that may run in
 *                         this process (its `permitted` probe; Linux: eBPF,
 *                         else ptrace; macOS: fs_usage; Windows: ETW); a
 *                         default refused when it starts (the kernel would
 *                         not load eBPF: "ENOTSUP", nothing started) gives
 *                         way to the next; a row skipped either way is said
 *                         in the report's first warning
 *                         (`default-source-unavailable`)
 *   a command (launch)    the binding's session of that source (the addon
 *                         falls back to the I/O counters where ETW is
 *                         refused or ptrace is, on Linux), or its TypeScript
 *                         module (strace; fs_usage, else the binding's
 *                         counters session, saying why)
 *   a pid (attach)        the same; our own child, with a source whose
 *                         windows need the tracer helper, is traced from the
 *                         helper (libuv would reap its stops); where the
 *                         source is refused, the CLI reads the pid's counters
 *                         (never for a method asked for by name: its
 *                         refusal is the error, "ENOTSUP")
 *   this process (window) by the row's `window`: the tracer helper, the
 *                         binding's session in this process, or the source's
 *                         module; each falls back to this process's counters
 *                         when refused (a default; one asked for: "ENOTSUP")
 *
 * The counters fallback is always labelled: the report's `method` names the
 * counters source and its first warning says why the event source did not run.
 */
import { readFileSync } from "node:fs";

import { apiPid } from "../args";
import type { Arg } from "../argv-bytes";
import { IopsError, type Report } from "../report";
import { Readiness, claimWindow, releaseWindow, type Capture, type CaptureOptions, type IopsWindow, type ProfileOptions, type WindowOptions } from "./capture";
import { CountersWindow, countersCapture } from "./counters";
import { InProcessWindow } from "./in-process";
import { FsUsageWindow, attachWithFsUsage, fsUsageCommand, launchWithFsUsage } from "./fs_usage";
import { countersSession, liveSources, requestedSource, unavailableReason, type LiveSource, type RequestedSource } from "./names";
import { attachSession, checkCaptureOptions, launchSession } from "./native-session";
import { openStraceWindow, straceCommand, stracePid } from "./strace";
import { captureFromHelper, openHelperWindow } from "./tracer-helper";

export { countersSource, eventSource, isCountersMethod, requestableSources, useFsUsageStandIn } from "./names";
export type { Capture, CaptureOptions, IopsWindow, ProfileOptions, WindowOptions, HostTraffic } from "./capture";

export type { LiveSource, RequestedSource } from "./names";

/** What a source run by its TypeScript module (`start: "script"`) offers. */
interface ScriptedSource {
  launch(argv: string[], options: CaptureOptions): Capture;
  attach(pid: number, options: CaptureOptions): Capture;
  window(options: ProfileOptions): Promise<IopsWindow>;
}

/** The sources whose capture runs in TypeScript, by name; every other source is the binding's. */
const SCRIPTED: Readonly<Record<string, ScriptedSource>> = {
  strace: { launch: straceCommand, attach: stracePid, window: (options) => openStraceWindow(options, releaseWindow) },
  fs_usage: { launch: launchWithFsUsageOrCounters, attach: attachWithFsUsageOrCounters, window: fsUsageWindowOrCounters },
};

function scripted(source: LiveSource): ScriptedSource {
  const s = SCRIPTED[source.name];
  if (!s) throw new IopsError(`the ${source.name} source has no TypeScript module in this build`, "ENOTSUP");
  return s;
}

/** The source that runs: asked for, or the first default that may run here. */
interface Choice {
  source: LiveSource | null;
  /** Why the first default row did not run (its probe, or its refusal as it started); null when none was skipped. */
  skipped: string | null;
  /** The default rows after it, tried in turn when it is refused as it starts ("ENOTSUP"); none for a source asked for. */
  rest: LiveSource[];
  /** Asked for by name: a refusal is the capture's error, never the labelled counters fallback. */
  asked: boolean;
}

/**
 * The source for `method`: the one asked for, which must be able to run here
 * (else IopsError "ENOTSUP" with its probe's words, never a silent
 * fallback), or the first default row that may. IopsError "EINVAL" for an
 * unknown method.
 */
function choose(method: unknown): Choice {
  if (method !== undefined) {
    const source = requestedSource(method);
    const why = source && unavailableReason(source);
    if (why) throw new IopsError(`--method ${source!.name}: ${why}`, "ENOTSUP");
    return { source, skipped: null, rest: [], asked: true };
  }
  const defaults = liveSources().filter((s) => s.byDefault);
  return defaults.length > 0 ? firstPermitted(defaults, null) : { source: null, skipped: null, rest: [], asked: false };
}

/** The first of `rows` that may run here (the last always may: its refusal is its own to say); `skipped`: why a row before them did not. */
function firstPermitted(rows: LiveSource[], skipped: string | null): Choice {
  for (let i = 0; i < rows.length; i++) {
    const reason = i === rows.length - 1 ? null : unavailableReason(rows[i]);
    if (reason === null) return { source: rows[i], skipped, rest: rows.slice(i + 1), asked: false };
    skipped ??= reason;
  }
  throw new Error("unreachable: the last default row always runs");
}

/** The line that says which source ran instead and why ("ptrace: eBPF ... needs CAP_BPF ..."); null when none was skipped. */
function noticeOf(choice: Choice): string | null {
  return choice.skipped === null || choice.source === null ? null : `${choice.source.name}: ${choice.skipped}`;
}

/** `report` with `notice` (a skipped default) as its first warning. */
function withNotice(report: Report, notice: string | null): Report {
  if (notice === null) return report;
  return { ...report, warnings: [notice, ...report.warnings], warningCodes: ["default-source-unavailable", ...report.warningCodes] };
}

/** Starts `choice`'s capture with `start`; a default refused as it starts ("ENOTSUP": nothing ran) gives way to the next default row. */
function startChosen(choice: Choice, start: (source: LiveSource | null) => Capture): Capture {
  let current = start(choice.source);
  let stopped = false;
  let readiness: Readiness | null = null;
  const report: Promise<Report> = current.report.then(
    (r) => withNotice(r, noticeOf(choice)),
    (e: unknown) => {
      // A source asked for and refused by the kernel (ptrace: already traced, Yama) cannot run here.
      if (choice.asked && e instanceof IopsError && e.code === "EPERM") throw new IopsError(`--method ${choice.source!.name}: ${e.message}`, "ENOTSUP");
      if (!(e instanceof IopsError && e.code === "ENOTSUP" && choice.rest.length > 0)) throw e;
      current = startChosen(firstPermitted(choice.rest, choice.skipped ?? e.message), start);
      readiness?.handOver(current);
      if (stopped) current.stop();
      return current.report;
    },
  );
  return {
    report,
    stop: () => {
      stopped = true;
      current.stop();
    },
    pid: () => current.pid(),
    ready: () => (readiness ??= new Readiness(current, report)).ready(),
  };
}

/**
 * Runs `argv` measured by `method` (default: this platform's first source
 * that may run here) until it exits. Throws IopsError "EINVAL" for a bad
 * option or an unknown method, "ENOTSUP" when the method asked for cannot
 * run here.
 */
export function launch(argv: readonly Arg[], options: CaptureOptions, method?: RequestedSource): Capture {
  const chosen = choose(method);
  return startChosen(chosen, (source) => {
    if (source?.start === "script") return scripted(source).launch(asText(argv, source.name), options);
    return launchSession(argv, checkCaptureOptions(options), source?.name, undefined, !chosen.asked);
  });
}

/**
 * `argv` for a source whose module starts the command with Node's spawn,
 * which passes text only (as UTF-8): an argument given as bytes that are not
 * UTF-8 is refused (IopsError "EINVAL"), never passed changed.
 */
function asText(argv: readonly Arg[], source: string): string[] {
  return argv.map((arg, i) => {
    if (typeof arg === "string") return arg;
    const text = arg.toString("utf8");
    if (!Buffer.from(text, "utf8").equals(arg)) {
      throw new IopsError(
        `--method ${source} cannot pass argument ${i} (${JSON.stringify(text)}) as it is: its bytes are not UTF-8 and Node's spawn would change them; the eBPF and ptrace sources pass them unchanged`,
        "EINVAL",
      );
    }
    return text;
  });
}

/** macOS: fs_usage when it can run, else the binding's counters, saying why. */
function launchWithFsUsageOrCounters(argv: string[], options: CaptureOptions): Capture {
  options = checkCaptureOptions(options);
  const how = fsUsageCommand();
  const byCounters = (reason: string) => launchSession(argv, options, countersSession(), reason);
  if ("reason" in how) return byCounters(how.reason);
  let pid = 0;
  let fallback: Capture | null = null;
  const report = launchWithFsUsage(how.argv, argv, (p) => (pid = p)).catch((e: unknown) => {
    // fs_usage would not trace (ktrace busy, refused): the command has not run yet.
    if (e instanceof IopsError && (e.code === "EIO" || e.code === "ETIMEDOUT")) {
      fallback = byCounters(`fs_usage could not trace (${e.message})`);
      return fallback.report;
    }
    throw e;
  });
  return { report, stop: () => {}, pid: () => fallback?.pid() ?? pid };
}

/** macOS: fs_usage on `pid` when it can run, else the binding's counters, saying why. */
function attachWithFsUsageOrCounters(pid: number, options: CaptureOptions): Capture {
  apiPid(pid);
  options = checkCaptureOptions(options);
  const how = fsUsageCommand();
  if ("argv" in how) return { ...attachWithFsUsage(how.argv, pid), pid: () => pid };
  return attachSession(pid, options, countersSession(), how.reason);
}

/**
 * Measures process `pid` with `method` (default: this platform's first
 * source that may run here) until `stop()` (or its end). With
 * `countersOnRefusal`, a refused attach (IopsError "EPERM": already traced,
 * Yama, another user's process) reads the pid's counters over the same span
 * instead, labelled, unless the method was asked for by name; otherwise
 * the report rejects with that error ("ENOTSUP" for a method asked for). Throws
 * IopsError "EINVAL" for an unknown method or a pid that is not a whole
 * number from 1 to 2^31 - 1, "ENOTSUP" when the method asked for cannot run here.
 */
export function attach(pid: number, options: CaptureOptions, method?: RequestedSource, countersOnRefusal = false): Capture {
  const chosen = choose(method);
  const capture = startChosen(chosen, (source) => attachBy(pid, options, source));
  return countersOnRefusal && !chosen.asked ? orCounters(capture, pid) : capture;
}

function attachBy(pid: number, options: CaptureOptions, source: LiveSource | null): Capture {
  if (source?.start === "script") return scripted(source).attach(pid, options);
  apiPid(pid);
  options = checkCaptureOptions(options);
  if (source?.window === "helper" && parentOf(pid) === process.pid) return captureFromHelper(pid, options, source.name);
  return attachSession(pid, options, source?.name);
}

/** `capture`, or the pid's counters from the moment it is refused. */
function orCounters(capture: Capture, pid: number): Capture {
  let stopped = false;
  let fallback: Capture | null = null;
  let readiness: Readiness | null = null;
  const report = capture.report.catch((e: unknown) => {
    if (!(e instanceof IopsError && e.code === "EPERM")) throw e;
    fallback = countersCapture(pid, e.message);
    readiness?.handOver(fallback);
    if (stopped) fallback.stop();
    return fallback.report;
  });
  return {
    report,
    stop: () => {
      stopped = true;
      (fallback ?? capture).stop();
    },
    pid: capture.pid,
    ready: () => (readiness ??= new Readiness(fallback ?? capture, report)).ready(),
  };
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/**
 * Prepares a window on this process with `options.method` (default: this
 * platform's first source that may run here), falling back to its counters
 * where the source is refused. Only one window may be open at a time:
 * IopsError "EBUSY" otherwise; an unknown method: IopsError "EINVAL"; a
 * method asked for that cannot run here: IopsError "ENOTSUP".
 */
export async function openWindow(options: WindowOptions = {}): Promise<IopsWindow> {
  claimWindow();
  try {
    return await windowBy(options);
  } catch (e) {
    releaseWindow();
    throw e;
  }
}

async function windowBy(options: WindowOptions, choice: Choice = choose(options.method)): Promise<IopsWindow> {
  let w: IopsWindow;
  try {
    w = await windowOf(options, choice.source, choice.asked);
  } catch (e) {
    // A default refused as it starts: the next default row (which says why).
    if (!(e instanceof IopsError && e.code === "ENOTSUP" && choice.rest.length > 0)) throw e;
    return windowBy(options, firstPermitted(choice.rest, choice.skipped ?? e.message));
  }
  const notice = noticeOf(choice);
  if (notice === null || w.notice !== null) return w;
  const endSync = w.endSync?.bind(w);
  return {
    method: w.method,
    notice: null,
    begin: () => w.begin(),
    end: () => w.end().then((r) => withNotice(r, notice)),
    ...(endSync && {
      endSync: (ms: number) => {
        const r = endSync(ms);
        return r && withNotice(r, notice);
      },
    }),
  };
}

/** `asked`: the source was asked for by name, so its refusal is the error ("ENOTSUP"), not the counters fallback. */
async function windowOf(options: WindowOptions, source: LiveSource | null, asked: boolean): Promise<IopsWindow> {
  const orCounters = (e: unknown): IopsWindow => {
    if (asked) throw new IopsError(`--method ${source!.name}: ${(e as Error).message}`, "ENOTSUP");
    return new CountersWindow((e as Error).message);
  };
  switch (source?.window ?? "counters") {
    case "script":
      return scripted(source!).window(options);
    case "in-process": {
      let w: InProcessWindow;
      try {
        w = InProcessWindow.start(source!.name, options);
      } catch (e) {
        return orCounters(e);
      }
      await w.ready();
      return w;
    }
    case "helper":
      try {
        return await openHelperWindow(options, source!.name);
      } catch (e) {
        if (e instanceof IopsError && e.code === "EPERM") return orCounters(e);
        throw e;
      }
    case "counters":
      return new CountersWindow(windowCountersReason());
  }
}

/** Why a window measures with counters on a platform without an event source. */
export function windowCountersReason(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "profile() on macOS has no event source in this build";
  return `profile() has no event source on ${platform}`;
}

/** macOS: fs_usage on this process when it can run, else rusage, saying why. */
async function fsUsageWindowOrCounters(): Promise<IopsWindow> {
  const how = fsUsageCommand();
  if ("reason" in how) return new CountersWindow(how.reason);
  try {
    const w = await FsUsageWindow.open(how.argv);
    return {
      method: w.method,
      notice: null,
      begin: () => w.begin(),
      end: () => w.end().finally(releaseWindow),
    };
  } catch (e) {
    return new CountersWindow(`fs_usage could not trace (${(e as Error).message})`);
  }
}
