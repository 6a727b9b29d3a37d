/**
 * Captures of other processes: run a command under the tracer, or attach to
 * a running pid. Both return the report when the capture ends. The source
 * (and its counters fallback) is picked by sources/select.ts.
 */
import type { Arg } from "./argv-bytes";
import { attach, launch, type Capture, type CaptureOptions } from "./sources/select";

export type { Capture, CaptureOptions };

/**
 * Runs `argv` with every thread and child process traced, until it and the
 * processes that stay in its session have exited. A process that left the
 * session (a daemon) is not waited for once the command has ended, and
 * `stop()` once the command has ended ends the wait for all that is left;
 * the report's `left-running` warning names them (the ptrace source waits
 * for daemons under its seccomp filter: `stop()` asks what is left to end,
 * SIGTERM, and a second `stop()` ends it, SIGKILL).
 * An argument may be a Buffer: its bytes reach the command as they are (a
 * file name that is not UTF-8); the report names it with U+FFFD for them.
 */
export function traceCommand(argv: ReadonlyArray<Arg>, options: CaptureOptions = {}): Capture {
  return launch(argv, options, options.method);
}

/**
 * Attaches to every thread of `pid` (following new threads and children)
 * until `stop()`; then detaches, leaving the process running as before.
 * A child of this process is traced from the helper process (libuv would
 * otherwise reap its stops); `onProgress` is not called in that case.
 * Throws IopsError "EINVAL" when `pid` is not a whole number from 1 to
 * 2^31 - 1 (it is never wrapped to 32 bits); a pid no process has gives
 * IopsError "ESRCH" from the report.
 */
export function tracePid(pid: number, options: CaptureOptions = {}): Capture {
  return attach(pid, options, options.method);
}
