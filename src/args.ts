/**
 * The numeric values iops takes from users (options of every subcommand,
 * the notebook magics' options, tracePid()'s pid): each is checked against
 * what it will be converted to, so that nothing wraps or is clamped
 * silently (a pid of 2^32 + 1 is not pid 1; 1e308 seconds is not 1 ms).
 */
import type * as Commander from "commander";

import { IopsError } from "./report";

/** setTimeout's and setInterval's largest delay; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The largest `--top` and the like: a signed 32-bit count. */
export const MAX_COUNT = 2 ** 31 - 1;

/** A value out of range or of the wrong form; `message` says what is expected. */
export class ArgumentError extends Error {}

/**
 * The largest pid iops takes: what the binding's 32-bit pid holds (Linux's
 * pid_max is at most 2^22; a larger pid is refused by the kernel as "no such
 * process", which the attach then says). Beyond it a pid would wrap.
 */
export const MAX_PID = 2 ** 31 - 1;

/** A process id given as a number (the API); throws ArgumentError unless a whole number from 1 to MAX_PID. */
export function checkPid(pid: unknown): number {
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid < 1 || pid > MAX_PID) {
    throw new ArgumentError(`${String(pid)} is not a process id (expected a whole number from 1 to ${MAX_PID})`);
  }
  return pid;
}

/** checkPid for the API (tracePid, stracePid): throws IopsError with code "EINVAL". */
export function apiPid(pid: unknown): number {
  try {
    return checkPid(pid);
  } catch (e) {
    throw new IopsError(`pid ${(e as Error).message}`, "EINVAL");
  }
}

/** An API interval in ms (progressIntervalMs): throws IopsError "EINVAL" unless 1 ≤ ms ≤ MAX_TIMER_MS. */
export function apiIntervalMs(name: string, ms: unknown): number {
  if (typeof ms !== "number" || !(ms >= 1 && ms <= MAX_TIMER_MS)) {
    throw new IopsError(`${name} must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, not ${String(ms)}`, "EINVAL");
  }
  return ms;
}

/** A pid option's text: digits only, then checkPid. */
export function parsePid(text: string): number {
  const t = text.trim();
  if (!/^\d{1,20}$/.test(t)) throw new ArgumentError(`expected a process id (a whole number from 1 to ${MAX_PID})`);
  // Named as typed: a number past 2^53 would print rounded (1e20 for 99999999999999999999).
  const n = Number(t);
  if (!(n >= 1 && n <= MAX_PID)) throw new ArgumentError(`${t} is not a process id (expected a whole number from 1 to ${MAX_PID})`);
  return n;
}

/** A count (`--top`): a whole number from 1 to MAX_COUNT. */
export function parseCount(text: string): number {
  const t = text.trim();
  const n = /^\d{1,20}$/.test(t) ? Number(t) : NaN;
  if (!(n >= 1 && n <= MAX_COUNT)) throw new ArgumentError(`expected a whole number from 1 to ${MAX_COUNT}`);
  return n;
}

/** A duration in seconds (`--duration`): a finite number > 0, in decimal or exponent form. */
export function parseSeconds(text: string): number {
  const t = text.trim();
  const n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
  // Below a millisecond a timer cannot tell; above 2^53 ms the sum of chained timers is no longer exact.
  if (!(n >= 0.001 && n * 1000 <= Number.MAX_SAFE_INTEGER)) {
    throw new ArgumentError(`expected a number of seconds from 0.001 to ${Math.floor(Number.MAX_SAFE_INTEGER / 1000)}`);
  }
  return n;
}

/**
 * setTimeout for any delay: longer than MAX_TIMER_MS is waited in steps (a
 * plain setTimeout would fire after 1 ms). Returns the cancel function.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const arm = (left: number) => {
    const step = Math.min(Math.max(left, 1), MAX_TIMER_MS);
    timer = setTimeout(() => (left - step > 0 ? arm(left - step) : fn()), step);
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** A parser of this module as a commander option parser (its message becomes commander's usage error). */
export function optionParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      // commander is loaded here, when it already reads the command line: `iops import` and profile() start without it.
      throw e instanceof ArgumentError ? new (require("commander") as typeof Commander).InvalidArgumentError(e.message) : e;
    }
  };
}
