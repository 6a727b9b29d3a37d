/**
 * The command line's arguments as they were given. Node decodes
 * `process.argv` as UTF-8, so bytes that are not UTF-8 (a file named
 * `out\xff.c`, made by a program that does not care for encodings) read
 * back as U+FFFD, and a command run with them would get other bytes. On
 * Linux /proc/self/cmdline holds them as execve gave them to us.
 */
import { readFileSync } from "node:fs";

/** An argument: a string when its bytes are UTF-8, else its bytes. */
export type Arg = string | Buffer;

/**
 * `argv` (the tail of this process's `process.argv`), each argument that
 * Node decoded lossily replaced by its bytes. Where the bytes cannot be read
 * (not Linux) or do not match `argv` (called with other arguments), `argv`
 * as it is.
 */
export function argvBytes(argv: readonly string[]): Arg[] {
  let raw: Buffer;
  try {
    raw = readFileSync("/proc/self/cmdline");
  } catch {
    return [...argv];
  }
  // Arguments end with a NUL each; ours are the last argv.length of them.
  const all: Buffer[] = [];
  for (let start = 0; start < raw.length; ) {
    const end = raw.indexOf(0, start);
    const stop = end < 0 ? raw.length : end;
    all.push(raw.subarray(start, stop));
    start = stop + 1;
  }
  if (all.length < argv.length) return [...argv];
  const tail = all.slice(all.length - argv.length);
  if (!tail.every((bytes, i) => bytes.toString("utf8") === argv[i])) return [...argv];
  return tail.map((bytes, i) => (Buffer.from(argv[i], "utf8").equals(bytes) ? argv[i] : Buffer.from(bytes)));
}

/** An argument as text, for messages and reports (bytes that are not UTF-8 as U+FFFD). */
export function argText(arg: Arg): string {
  return typeof arg === "string" ? arg : arg.toString("utf8");
}
