/**
 * The addon's own capture of another process: `native.TraceSession`, which
 * is Linux's ptrace tracer, Windows' ETW session (with its I/O counters
 * fallback), or the labelled counters of a platform without an event
 * source. Runs it and turns it into a Capture.
 */
import { apiIntervalMs } from "../args";
import { native } from "../native";
import { parseOutcome } from "../report";
import type { Capture, CaptureOptions } from "./capture";

type Session = InstanceType<typeof native.TraceSession>;

/** Checks what would otherwise be converted silently (an interval past 2^31 ms fires every 1 ms). */
export function checkCaptureOptions(options: CaptureOptions): CaptureOptions {
  return { ...options, progressIntervalMs: apiIntervalMs("progressIntervalMs", options.progressIntervalMs ?? 250) };
}

function sessionOptions(options: CaptureOptions, fallbackReason?: string, method?: "ebpf") {
  const o = { allFds: options.allFds ?? false, shareCpu: options.shareCpu ?? false, ...(method ? { method } : {}) };
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
  return { report, stop: () => session.stop(), pid: () => session.pid() };
}

/**
 * Runs `argv` under the addon's session until it exits. `fallbackReason`:
 * measure with the platform's counters, leading the warnings with it (a
 * platform whose event source runs outside the addon, macOS's fs_usage).
 */
export function launchSession(argv: string[], options: CaptureOptions, fallbackReason?: string, method?: "ebpf"): Capture {
  return run(native.TraceSession.launch(argv, sessionOptions(options, fallbackReason, method)), options);
}

/** Attaches the addon's session to `pid` until `stop()` (see launchSession for `fallbackReason`). */
export function attachSession(pid: number, options: CaptureOptions, fallbackReason?: string, method?: "ebpf"): Capture {
  return run(native.TraceSession.attach(pid, sessionOptions(options, fallbackReason, method)), options);
}
