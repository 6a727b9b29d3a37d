/**
 * The addon's own capture of another process: `native.TraceSession` of a
 * live source the binding runs (its registry row's `start: "binding"`):
 * Linux's ptrace tracer, Windows' ETW session (with its I/O counters
 * fallback), or macOS's labelled counters. Runs it and turns it into a Capture.
 */
import { apiIntervalMs } from "../args";
import type { Arg } from "../argv-bytes";
import { native } from "../native";
import { parseOutcome, type Source } from "../report";
import type { Capture, CaptureOptions } from "./capture";

type Session = InstanceType<typeof native.TraceSession>;

/** Checks what would otherwise be converted silently (an interval past 2^31 ms fires every 1 ms). */
export function checkCaptureOptions(options: CaptureOptions): CaptureOptions {
  return { ...options, progressIntervalMs: apiIntervalMs("progressIntervalMs", options.progressIntervalMs ?? 250) };
}

function sessionOptions(options: CaptureOptions, method: Source | undefined, fallbackReason?: string, countersFallback = true) {
  const o = { method, allFds: options.allFds ?? false, shareCpu: options.shareCpu ?? false, countersFallback };
  return fallbackReason === undefined ? o : { ...o, fallbackReason };
}

function run(session: Session, options: CaptureOptions): Capture {
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  if (options.onProgress) {
    const cb = options.onProgress;
    timer = setInterval(() => {
      const p = session.progress();
      cb({ ...p, elapsedSeconds: Number(process.hrtime.bigint() - started) / 1e9 });
    }, options.progressIntervalMs);
  }
  const report = session.wait().then(parseOutcome).finally(() => clearInterval(timer));
  return { report, stop: () => session.stop(), pid: () => session.pid(), ready: () => session.waitReady() };
}

/**
 * Runs `argv` (strings, or Buffers for arguments that are not UTF-8,
 * passed to exec as they are) under the addon's session of `method` (default: the
 * platform's) until it exits. `fallbackReason`, with a counters `method`:
 * why the event source did not run, leading the warnings (a platform whose
 * event source runs outside the addon, macOS's fs_usage). Without
 * `countersFallback` (a method asked for by name), a refused ptrace is the
 * report's error (IopsError "EPERM") and the command does not run.
 */
export function launchSession(argv: readonly Arg[], options: CaptureOptions, method?: Source, fallbackReason?: string, countersFallback = true): Capture {
  return run(native.TraceSession.launch([...argv], sessionOptions(options, method, fallbackReason, countersFallback)), options);
}

/** Attaches the addon's session of `method` to `pid` until `stop()` (see launchSession). */
export function attachSession(pid: number, options: CaptureOptions, method?: Source, fallbackReason?: string): Capture {
  return run(native.TraceSession.attach(pid, sessionOptions(options, method, fallbackReason)), options);
}
