/**
 * Where reports are written: every front end (`iops -- cmd`, `iops -p`,
 * `iops report`, `iops import`, the notebook's `--json`) checks its output
 * paths before it runs anything, so that a path that cannot be written is a
 * usage error and never a report lost after a long run; and writes each
 * file atomically (a temporary file beside it, then rename), so that a kill
 * mid-write leaves the old file or the new one, never a part of one. A
 * report that still cannot be written after the run (its directory removed
 * meanwhile, a full disk, `-` into a pipe whose reader has gone) is kept in
 * `$TMPDIR` (else /tmp) as `iops-report-<pid>.json` (`.html`), and the one
 * line that says it was not written says where it is.
 */
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  fstatSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";

import { inTempDir } from "./temp";

/** A path that cannot be written; `message` is one line without the program name. */
export class OutputPathError extends Error {}

/** The errno of a failed call ("ENOENT"), or its message. */
function reason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** What an option writes, for messages: "--html" → "HTML report". */
function what(option: string): string {
  return option === "--html" ? "HTML report" : option === "--json" ? "JSON report" : `${option} file`;
}

function cannotWrite(option: string, path: string, why: string): OutputPathError {
  return new OutputPathError(`cannot write the ${what(option)} to ${path} (${why}); give a writable path`);
}

/**
 * `path` made absolute through process.cwd() where that string names the
 * working directory; else `path` as given. A directory whose name is not
 * UTF-8 reads back with U+FFFD in process.cwd() (a name that is not there),
 * while the kernel resolves a relative path against the real one.
 */
function absolute(path: string): string {
  return isAbsolute(path) || cwdIsItsName() ? resolve(path) : path;
}

/** Whether process.cwd() is the working directory's name, byte for byte (Linux: /proc/self/cwd; elsewhere assumed). */
function cwdIsItsName(): boolean {
  try {
    return Buffer.from(process.cwd(), "utf8").equals(readlinkSync("/proc/self/cwd", { encoding: "buffer" }));
  } catch {
    return true;
  }
}

/** `link` (a symlink's target) as a path from where `from` is: relative to its directory, as the kernel reads it. */
function besideLink(from: string, link: string): string {
  return isAbsolute(link) ? link : isAbsolute(from) ? resolve(dirname(from), link) : join(dirname(from), link);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * Where a write to `path` goes: `{ inPlace }` for what must be written
 * through as it is (a device, a FIFO, /dev/stdout or /proc/self/fd/N, whose
 * target may be this process's own pipe), else the regular file to replace:
 * a symlink is followed (the rename must replace its target, not the link),
 * a dangling one to the name it points at.
 */
function destination(path: string): { inPlace: true; file: string } | { inPlace: false; file: string; existing: Stats | null } {
  const given = absolute(path);
  // A name for an fd of ours (/dev/stdout, /proc/self/fd/1): its target, even a regular file, is shared with others.
  if (/^\/(dev\/(stdout|stderr|fd\/)|proc\/)/.test(given)) return { inPlace: true, file: given };
  let target: Stats | null = null;
  try {
    target = statSync(given);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (target && !target.isFile()) {
    if (target.isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
    return { inPlace: true, file: given };
  }
  if (target && isAbsolute(given)) return { inPlace: false, file: realpathSync(given), existing: target };
  // Relative (a working directory not named in UTF-8): its symlinks followed by hand, the path kept relative.
  let p = given;
  for (let hops = 0; hops < 40; hops++) {
    if (!lstatOrNull(p)?.isSymbolicLink()) return { inPlace: false, file: p, existing: target };
    p = besideLink(p, readlinkSync(p));
  }
  throw Object.assign(new Error("ELOOP"), { code: "ELOOP" });
}

/**
 * FIFOs opened by the check, by path, held until the write: a writer that
 * opened and closed at check time would end its reader's input early.
 */
const heldFifos = new Map<string, number>();

/**
 * Opens a FIFO for writing without blocking: with no reader the open fails
 * with ENXIO at once (a blocking open would wait for ever). The fd returned
 * blocks, as writes of a whole report should.
 */
function openFifo(file: string): number {
  const probe = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    // A reader is there, and our probe keeps the FIFO open meanwhile: this open returns at once.
    return openSync(file, constants.O_WRONLY);
  } finally {
    closeSync(probe);
  }
}

/** A name beside `file` that nothing else uses: `.name.<random>.tmp`. */
function tempName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Checks, before anything runs, that `path` (an option's value; `-` is
 * standard output) can be written: its directory exists and takes new files
 * (a probe file is created and removed), and what is there already is not a
 * directory. Throws OutputPathError saying which option and why.
 */
export function checkOutputPath(option: string, path: string): void {
  if (path === "-") return;
  const fail = (why: string) => {
    throw cannotWrite(option, path, why);
  };
  if (path === "") fail("empty path");
  try {
    const where = destination(path);
    if (where.inPlace) {
      accessSync(where.file, constants.W_OK);
      if (statSync(where.file).isFIFO() && !heldFifos.has(where.file)) {
        try {
          heldFifos.set(where.file, openFifo(where.file));
        } catch (e) {
          if (reason(e) === "ENXIO") fail("a FIFO with no reader: start its reader first");
          throw e;
        }
      }
      return;
    }
    if (where.existing) accessSync(where.file, constants.W_OK);
    if (!statSync(dirname(where.file)).isDirectory()) fail("ENOTDIR");
    const probe = tempName(where.file);
    try {
      closeSync(openSync(probe, "wx", 0o600));
    } catch (e) {
      // A file we may write in a directory we may not add to: written in place, as a shell's > would.
      if (where.existing && isDenied(e)) return;
      throw e;
    }
    unlinkSync(probe);
  } catch (e) {
    if (e instanceof OutputPathError) throw e;
    fail(reason(e));
  }
}

function isDenied(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EACCES" || code === "EPERM";
}

/** Writes `data` through `fd` from its start, then closes it. */
function writeThrough(fd: number, data: string | Buffer): void {
  try {
    writeAll(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** Names of this process's standard output besides `-`. */
const STDOUT_NAMES = new Set(["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", `/proc/${process.pid}/fd/1`]);

/**
 * What an output path writes to, as keys two outputs must not share:
 * "stdout" for `-` and its other names; the inode (`dev:ino`) of a file,
 * FIFO or stdout's target, whatever spelling, symlink or hard link reaches
 * it; for a file yet to be made, the real path it will get (a dangling
 * symlink's target included). A character device (/dev/null, a tty other
 * than stdout) gives none: it takes any number of writers.
 */
function outputKeys(path: string): string[] {
  const keys: string[] = [];
  const given = path === "-" ? null : absolute(path);
  if (given === null || STDOUT_NAMES.has(given)) keys.push("stdout");
  let target: Stats | null = null;
  try {
    target = given === null ? fstatSync(1) : statSync(given);
  } catch {
    // not there yet (or stdout closed): named below by where it will be made
  }
  if (target) {
    if (!target.isCharacterDevice()) keys.push(`inode ${target.dev}:${target.ino}`);
  } else if (given !== null) {
    const { file } = destination(given);
    keys.push(`path ${isAbsolute(file) ? resolve(realpathSync(dirname(file)), basename(file)) : file}`);
  }
  return keys;
}

/**
 * Checks each `[option, path]` whose path is given (see checkOutputPath),
 * and that no two name the same file (by any spelling, symlink or hard
 * link) or both standard output.
 */
export function checkOutputPaths(paths: [string, string | undefined | null][]): void {
  const seen = new Map<string, string>();
  for (const [option, path] of paths) {
    if (path === undefined || path === null) continue;
    checkOutputPath(option, path);
    for (const key of outputKeys(path)) {
      const other = seen.get(key);
      if (other && key === "stdout") throw new OutputPathError(`only one of ${other} and ${option} can go to stdout (-)`);
      if (other) throw new OutputPathError(`${other} and ${option} name the same file, ${path}; give each its own`);
      seen.set(key, option);
    }
  }
}

/** checkOutputPaths' verdict as a message (null: every path can be written). */
export function outputPathsProblem(paths: [string, string | undefined | null][]): string | null {
  try {
    checkOutputPaths(paths);
    return null;
  } catch (e) {
    if (e instanceof OutputPathError) return e.message;
    throw e;
  }
}

/** Waits `ms` milliseconds, blocking (a full non-blocking pipe: its reader is slow). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Writes all of `data` to `fd`; a non-blocking fd that is full (EAGAIN: the reader is behind) is waited on. */
function writeAll(fd: number, data: string | Buffer): void {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      pause(5);
    }
  }
}

/**
 * Keeps `data`, which could not be written where `option` asked, as a new
 * file `iops-report-<pid>.json` (`.html` for --html; `-2`, `-3`... when the
 * name is taken) in `$TMPDIR`, else /tmp: written whole under a temporary
 * name, then linked into place, so the file is never seen in part. Returns
 * its path; throws TempDirError when no directory takes it.
 */
function keepElsewhere(option: string, data: string | Buffer): string {
  const ext = option === "--html" ? "html" : "json";
  return inTempDir("a copy", (dir) => {
    const temp = join(dir, `.iops-report-${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    const fd = openSync(temp, "wx", 0o666);
    try {
      try {
        writeAll(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      for (let n = 1; ; n++) {
        const kept = join(dir, `iops-report-${process.pid}${n > 1 ? `-${n}` : ""}.${ext}`);
        try {
          linkSync(temp, kept);
          return kept;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST" || n >= 100) throw e;
        }
      }
    } finally {
      unlinkSync(temp);
    }
  });
}

/** The error for a report not written to `where` (a path, or "stdout") for `why`, having kept it elsewhere where possible. */
function notWritten(option: string, where: string, why: string, data: string | Buffer): OutputPathError {
  let kept: string;
  try {
    kept = `written to ${keepElsewhere(option, data)} instead`;
  } catch (e) {
    kept = `and ${(e as Error).message}: it is lost`;
  }
  return new OutputPathError(`cannot write the ${what(option)} to ${where} (${why}); ${kept}`);
}

/**
 * Writes `data` to `path` (`-`: standard output) so that `path` holds either
 * what it held before or all of `data`, whatever happens mid-write: the data
 * goes to a temporary file in the same directory, is synced, then renamed
 * over `path`. An existing file keeps its mode (and, where we may, its
 * owner); a new one gets 0666 less the umask, as with any write. A device
 * or FIFO at `path` is written in place, and so is an existing file in a
 * directory where no file may be added (what a shell's `>` would do). `-`
 * is written through fd 1 at once. On failure `data` is kept elsewhere (see
 * keepElsewhere) and OutputPathError says, in one line naming `option` (the
 * option that gave the path: "--json", "--html"), why and where it is.
 */
export function writeOutputFile(option: string, path: string, data: string | Buffer): void {
  if (path === "-") {
    // Written through fd 1 at once, so that a failure is known here (a stream would say EPIPE later, or not at all).
    try {
      writeAll(1, data);
    } catch (e) {
      const why = reason(e);
      throw notWritten(option, "stdout", why === "EPIPE" ? "EPIPE: its reader has closed the pipe" : why, data);
    }
    return;
  }
  let temp: string | null = null;
  try {
    const where = destination(path);
    if (where.inPlace) {
      const held = heldFifos.get(where.file);
      heldFifos.delete(where.file);
      const isFifo = held === undefined && statSync(where.file).isFIFO();
      writeThrough(held ?? (isFifo ? openFifo(where.file) : openSync(where.file, "w")), data);
      return;
    }
    const { file, existing } = where;
    temp = tempName(file);
    let fd: number;
    try {
      fd = openSync(temp, "wx", 0o666);
    } catch (e) {
      if (!existing || !isDenied(e)) throw e;
      // No new file may be made beside it (see checkOutputPath): in place, not atomic.
      temp = null;
      writeThrough(openSync(file, "w"), data);
      return;
    }
    try {
      if (existing) {
        fchmodSync(fd, existing.mode & 0o7777);
        try {
          chownSync(temp, existing.uid, existing.gid);
        } catch {
          // Only root may give a file away; the mode is what matters.
        }
      }
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    temp = null;
  } catch (e) {
    throw notWritten(option, path, reason(e), data);
  } finally {
    if (temp !== null) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }
}
