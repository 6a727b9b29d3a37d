/**
 * Which source measures, and when it falls back to counters: decided here
 * and only here, for the CLI, the API and the notebook magics alike.
 *
 *   a command (launch)    strace when asked; else ptrace on Linux, ETW on
 *                         Windows (the addon falls back to the I/O counters
 *                         where ETW is refused or ptrace is, on Linux);
 *                         macOS: fs_usage, else rusage, saying why
 *   a pid (attach)        the same; our own child is traced from the tracer
 *                         helper (libuv would reap its stops); where ptrace
 *                         is refused, the CLI reads the pid's counters
 *   this process (window) ptrace through the tracer helper, strace when
 *                         asked, fs_usage on macOS, ETW on Windows; each
 *                         falls back to this process's counters when refused
 *
 * The counters fallback is always labelled: the report's `method` names the
 * counters source and its first warning says why the event source did not run.
 */
import { readFileSync } from "node:fs";

import { apiPid } from "../args";
import { IopsError } from "../report";
import { claimWindow, releaseWindow, type Capture, type CaptureOptions, type IopsWindow, type ProfileOptions } from "./capture";
import { CountersWindow, countersCapture } from "./counters";
import { EtwWindow } from "./etw";
import { FsUsageWindow, attachWithFsUsage, fsUsageCommand, launchWithFsUsage } from "./fs_usage";
import { eventSource, requestedSource, type RequestedSource } from "./names";
import { attachSession, checkCaptureOptions, launchSession } from "./native-session";
import { openStraceWindow, straceCommand, stracePid } from "./strace";
import { captureFromHelper, openHelperWindow } from "./tracer-helper";

export { countersSource, eventSource, isCountersMethod, useFsUsageStandIn } from "./names";
export type { Capture, CaptureOptions, IopsWindow, ProfileOptions } from "./capture";

export type { RequestedSource } from "./names";

/**
 * Runs `argv` measured by `source` (ptrace: this platform's event source)
 * until it exits. Throws IopsError "EINVAL" for a bad option.
 */
export function launch(argv: string[], options: CaptureOptions, source: RequestedSource = "ptrace"): Capture {
  if (source === "strace") return straceCommand(argv, options);
  options = checkCaptureOptions(options);
  if (source === "ebpf") return launchSession(argv, options, undefined, linuxOnly("ebpf"));
  if (eventSource() === "fs_usage") return launchWithFsUsageOrCounters(argv, options);
  return launchSession(argv, options);
}

/** macOS: fs_usage when it can run, else the rusage counters, saying why. */
function launchWithFsUsageOrCounters(argv: string[], options: CaptureOptions): Capture {
  const how = fsUsageCommand();
  const byCounters = (reason: string) => launchSession(argv, options, reason);
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

/**
 * Measures process `pid` with `source` until `stop()` (or its end). With
 * `countersOnRefusal`, a refused attach (IopsError "EPERM": already traced,
 * Yama, another user's process) reads the pid's counters over the same span
 * instead, labelled; without it, the report rejects with that error.
 * Throws IopsError "EINVAL" for a pid that is not a whole number from 1 to 2^31 - 1.
 */
export function attach(pid: number, options: CaptureOptions, source: RequestedSource = "ptrace", countersOnRefusal = false): Capture {
  const capture = attachBy(pid, options, source);
  return countersOnRefusal ? orCounters(capture, pid) : capture;
}

function attachBy(pid: number, options: CaptureOptions, source: RequestedSource): Capture {
  if (source === "strace") return stracePid(pid, options);
  apiPid(pid);
  options = checkCaptureOptions(options);
  if (source === "ebpf") return attachSession(pid, options, undefined, linuxOnly("ebpf"));
  if (process.platform === "linux" && parentOf(pid) === process.pid) return captureFromHelper(pid, options);
  if (eventSource() === "fs_usage") {
    const how = fsUsageCommand();
    if ("argv" in how) return { ...attachWithFsUsage(how.argv, pid), pid: () => pid };
    return attachSession(pid, options, how.reason);
  }
  return attachSession(pid, options);
}

/** `method` where this platform has it; IopsError "EINVAL" elsewhere. */
function linuxOnly(method: "ebpf"): "ebpf" {
  if (process.platform !== "linux") throw new IopsError(`--method ${method} is only available on Linux`, "EINVAL");
  return method;
}

/** `capture`, or the pid's counters from the moment it is refused. */
function orCounters(capture: Capture, pid: number): Capture {
  let stopped = false;
  let fallback: Capture | null = null;
  const report = capture.report.catch((e: unknown) => {
    if (!(e instanceof IopsError && e.code === "EPERM")) throw e;
    fallback = countersCapture(pid, e.message);
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
 * Prepares a window on this process with this platform's source (or
 * `options.method` "strace" on Linux), falling back to its counters where
 * the source is refused. Only one window may be open at a time: IopsError
 * "EBUSY" otherwise.
 */
export async function openWindow(options: ProfileOptions = {}): Promise<IopsWindow> {
  claimWindow();
  try {
    return await windowBy(options);
  } catch (e) {
    releaseWindow();
    throw e;
  }
}

async function windowBy(options: ProfileOptions): Promise<IopsWindow> {
  if (options.method !== undefined) requestedSource(options.method);
  switch (eventSource()) {
    case "fs_usage":
      return fsUsageWindowOrCounters();
    case "etw": {
      let w: EtwWindow;
      try {
        w = EtwWindow.start(options);
      } catch (e) {
        return new CountersWindow((e as Error).message);
      }
      await w.ready();
      return w;
    }
    case "ptrace":
      if (options.method === "strace") return openStraceWindow(options, releaseWindow);
      try {
        return await openHelperWindow(options);
      } catch (e) {
        if (e instanceof IopsError && e.code === "EPERM") return new CountersWindow(e.message);
        throw e;
      }
    case null:
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
