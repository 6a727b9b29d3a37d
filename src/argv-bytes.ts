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
  // Node decodes what is not UTF-8 as U+FFFD: without one, every argument is as given.
  if (!argv.some((a) => a.includes("\ufffd"))) return [...argv];
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

/**
 * Why iops cannot take its own arguments `given` (options, their paths,
 * a subcommand's files) as they are: the first that is not UTF-8, said in
 * one line; null when all are. Its paths go through Node's fs as text, so
 * such a name would be another file (U+FFFD in its place).
 */
export function ownArgsProblem(given: readonly Arg[]): string | null {
  const i = given.findIndex((a) => typeof a !== "string");
  if (i < 0) return null;
  const shown = [...(given[i] as Buffer)].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
  return `argument ${shown} is not UTF-8: iops takes its own options and file names as UTF-8 only (a command's arguments after -- may be any bytes); give it another name`;
}
