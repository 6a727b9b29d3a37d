/**
 * Where iops puts files of its own (strace's FIFO, fs_usage's log, a report
 * that could not be written where asked): `$TMPDIR` (os.tmpdir()), else
 * /tmp when that one cannot be used (gone, read-only, full), so that an
 * unusable TMPDIR never keeps a command from running.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The directories tried, in turn: os.tmpdir() (`$TMPDIR`), then /tmp. */
export function tempDirs(): string[] {
  const own = tmpdir();
  return own === "/tmp" ? ["/tmp"] : [own, "/tmp"];
}

/** Why a temporary file or directory could not be made in any of `tempDirs()`: one line, without the program name. */
export class TempDirError extends Error {}

/** "ENOENT" for a failed call, else its message. */
function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * Tries `make(dir)` in each of `tempDirs()` and returns the first result;
 * throws TempDirError naming each directory and its errno ("cannot make
 * <what> in /nonexistent (ENOENT) or /tmp (EROFS)").
 */
export function inTempDir<T>(what: string, make: (dir: string) => T): T {
  const failures: string[] = [];
  for (const dir of tempDirs()) {
    try {
      return make(dir);
    } catch (e) {
      failures.push(`${dir} (${errno(e)})`);
    }
  }
  throw new TempDirError(`cannot make ${what} in ${failures.join(" or ")}`);
}

/** A directory of our own (mode 0700, an unguessable name `<prefix>XXXXXX`) under `$TMPDIR`, else /tmp; TempDirError when neither takes one. */
export function privateTempDir(prefix: string): string {
  return inTempDir("a temporary directory", (dir) => mkdtempSync(join(dir, prefix)));
}
