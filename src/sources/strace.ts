/**
 * `--method strace`: runs the installed `strace` on a command (or a pid) and
 * parses its output as it streams, with the same core and report as our own
 * tracer. strace writes to a FIFO that only we read (a pipe: nothing grows
 * on disk), so the command's own stdout and stderr are untouched, and the
 * FIFO's write end, opened by strace close-on-exec, never reaches the
 * command.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

import { apiIntervalMs, apiPid } from "../args";
import { native } from "../native";
import { ownNodeEnv } from "../node-env";
import { IopsError, parseOutcome, type Report } from "../report";
import type { Capture, CaptureOptions, IopsWindow, ProfileOptions } from "./capture";

/**
 * What strace traces: the data calls, the metadata calls, rt_sigreturn (to
 * tell EINTR failures from restarted calls), io_uring (for its warning) and
 * execve (so that the log shows that metadata calls were traced), and the
 * calls that move or copy fd positions (lseek, dup*, fcntl), so that the
 * parser can give read/write their offsets; the other sync, transfer and
 * metadata calls, timed for where the time goes, and mmap, for the files
 * mapped into memory. `?` lets strace skip names this architecture does not
 * have.
 */
const TRACED = [
  "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
  "sendfile", "copy_file_range", "splice",
  "?open", "openat", "?openat2", "?creat", "close", "?stat", "?fstat", "?lstat", "?newfstatat", "?statx",
  "fsync", "fdatasync", "?unlink", "unlinkat", "?rmdir", "?rename", "renameat", "?renameat2", "?getdents", "getdents64",
  "rt_sigreturn", "?io_uring_setup", "?io_uring_enter", "execve",
  "lseek", "?_llseek", "dup", "dup2", "dup3", "fcntl", "?close_range",
  "sync_file_range", "syncfs", "sync", "msync", "tee", "?mkdir", "mkdirat", "truncate", "ftruncate", "fallocate",
  "?link", "linkat", "?symlink", "symlinkat", "?mmap", "?mmap2",
];

/**
 * -q: no "Process N attached" notices; -f: every thread and child; -yy: each fd's target (files vs sockets, pipes,
 * ttys; device numbers); -T: time in each call; -ttt: timestamps; -s 0: no
 * data previews (we need only the counts), which keeps the stream small.
 */
const STRACE_FLAGS = ["-q", "-f", "-yy", "-T", "-ttt", "-s", "0", "-e", `trace=${TRACED.join(",")}`];

export const INSTALL_STRACE =
  "strace is not installed: install it (Debian/Ubuntu: apt-get install strace; Fedora: dnf install strace), or use --method ptrace, our own tracer, which needs nothing";

/** The executable `name` would run as, from PATH; null when there is none. */
function which(name: string): string | null {
  const candidates = name.includes("/") ? [name] : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * Finds a command as a shell does: a name on PATH must be executable; a
 * path is exec'd whatever is there (execve then says why it is refused),
 * and is only "not found" when nothing is there.
 */
function commandExists(name: string): boolean {
  if (!name.includes("/")) return which(name) !== null;
  try {
    statSync(name);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** The command's own execve, failed, as the first line of strace's log: `PID [TIME] execve(...) = -1 ERRNO (words)`. */
const FAILED_EXEC = / = -1 (E[A-Z0-9]+) \(([^)]*)\)/;
/**
 * A line of strace's log that starts (or resumes) an execve: `[pid] [time]
 * execve(...` or `<... execve resumed>`. strace pads a pid to five columns:
 * a pid below 10000 is followed by two spaces or more.
 */
const EXECVE_LINE = /^(?:\d+ +)?(?:[\d.]+ +)?(?:execve\(|<\.\.\. execve resumed>)/;

/**
 * The command's own execve failed, as the head of strace's log says: the
 * outcome of its first execve, whole or split into unfinished and resumed
 * halves (another line may come between them), whatever precedes it.
 * Exported for its test.
 */
export function failedExec(head: string): RegExpExecArray | null {
  for (const line of head.split("\n")) {
    if (!EXECVE_LINE.test(line) || line.endsWith("<unfinished ...>")) continue;
    return FAILED_EXEC.exec(line);
  }
  return null;
}

/** The pid of strace's child (the command), once it runs; 0 before. */
function childOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0];
    return Number(first) || 0;
  } catch {
    return 0;
  }
}

interface Run {
  strace: ChildProcess;
  report: Promise<Report>;
}

/**
 * Starts strace with `args` (after our flags), writing to a FIFO we parse.
 * `tracedQuietly()` says, once strace has ended, whether an empty log is a
 * capture that saw no call rather than a strace that never traced.
 */
function start(
  args: string[],
  method: string,
  command: string[] | null,
  options: CaptureOptions,
  tracedQuietly: () => boolean = () => false,
): Run {
  if (process.platform !== "linux") throw new IopsError("--method strace works on Linux only", "ENOTSUP");
  if (!which("strace")) throw new IopsError(INSTALL_STRACE, "ENOSTRACE");
  const interval = apiIntervalMs("progressIntervalMs", options.progressIntervalMs ?? 250);
  const dir = mkdtempSync(join(tmpdir(), "iops-strace-"));
  const fifo = join(dir, "trace");
  const made = spawnSync("mkfifo", ["-m", "600", fifo], { encoding: "utf8" });
  if (made.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new IopsError(`cannot make a FIFO for strace's output: ${made.stderr || made.error?.message}`, "EIO");
  }
  // Opened before strace starts, without blocking: strace's open for writing
  // then succeeds at once, and we see end-of-file only once strace is done.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const input = new Socket({ fd, readable: true, writable: false });
  const importer = native.LineImport.straceOwn();
  const strace = spawn("strace", [...STRACE_FLAGS, "-o", fifo, ...args], { stdio: "inherit" });
  const started = process.hrtime.bigint();

  let timer: NodeJS.Timeout | undefined;
  if (options.onProgress) {
    const cb = options.onProgress;
    timer = setInterval(() => {
      const { ops, opBytes } = importer.progress();
      cb({ ops, bytes: opBytes, elapsedSeconds: Number(process.hrtime.bigint() - started) / 1e9 });
    }, interval);
  }

  let received = false;
  // The log's head, for a command: its first execve, which may have failed.
  let head = "";
  const streamed = new Promise<void>((resolve, reject) => {
    input.on("data", (chunk: Buffer) => {
      received = true;
      if (command && head.length < 65536) head += chunk.toString("latin1");
      importer.push(chunk);
    });
    input.on("end", resolve);
    input.on("close", () => resolve());
    input.on("error", reject);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    strace.on("error", reject);
    strace.on("exit", (code, signal) => {
      resolve({ code, signal });
      // strace, the FIFO's only writer, is gone and what it wrote is in the
      // pipe. A writer of ours that comes and goes makes the end-of-file
      // certain, after that data, even if strace never opened the FIFO (a
      // timer here lost a log that a busy machine had not yet read).
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        input.destroy();
      }
    });
  });

  const report = Promise.all([exited, streamed])
    .then(([status]) => {
      // Our time of the capture: its report's when the log is empty (nothing traced).
      const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const json = importer.finish({ method, command: command ?? undefined, allFds: options.allFds ?? false, elapsedSeconds });
      const failed = command ? failedExec(head) : null;
      if (failed) {
        // strace has said "strace: exec: <words>"; we say it as a shell, as --method ptrace does.
        const [, errno, words] = failed;
        const missing = errno === "ENOENT" ? ": its interpreter or loader is missing" : "";
        throw new IopsError(`cannot execute ${command![0]}: ${words} (${errno})${missing}`, errno);
      }
      const report = parseOutcome(json);
      if ((!received && !tracedQuietly()) || (command && !report.exit)) {
        const how = status.signal ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
        throw new IopsError(`strace ${how} before tracing anything (its message is above)`, "EIO");
      }
      if (!command) report.command = null;
      return report;
    })
    .finally(() => {
      clearInterval(timer);
      input.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
  return { strace, report };
}

/**
 * What strace is to exec for `argv`: `argv`, or, for a file the kernel
 * would refuse with ENOEXEC (neither ELF nor `#!`, and no binfmt_misc
 * handler registered that might take it), `/bin/sh file args...`, as
 * execvp(3) and a shell run it (strace itself only says "exec: Exec format
 * error").
 */
function execvpArgv(argv: string[]): string[] {
  const file = which(argv[0]);
  if (file === null) return argv;
  let head: Buffer;
  try {
    const fd = openSync(file, constants.O_RDONLY);
    try {
      head = Buffer.alloc(4);
      head = head.subarray(0, readSync(fd, head, 0, 4, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return argv; // unreadable (execute-only) or not a file: execve says
  }
  const known = head.equals(Buffer.from("\x7fELF", "latin1")) || head.subarray(0, 2).toString("latin1") === "#!";
  if (known || binfmtHandlers()) return argv;
  return ["/bin/sh", file, ...argv.slice(1)];
}

/** Whether binfmt_misc has a handler registered (it may run files of other formats). */
function binfmtHandlers(): boolean {
  try {
    return readdirSync("/proc/sys/fs/binfmt_misc").some((n) => n !== "register" && n !== "status");
  } catch {
    return false;
  }
}

/** Runs `argv` under strace, until it exits; the report is strace's view, `method: "strace"`. */
export function straceCommand(argv: string[], options: CaptureOptions = {}): Capture {
  if (!commandExists(argv[0])) throw new IopsError(`command not found: ${argv[0]}`, "ENOENT");
  const { strace, report } = start(["--", ...execvpArgv(argv)], "strace", argv, options);
  return { report, stop: () => {}, pid: () => childOf(strace.pid) };
}

/** Attaches strace to `pid` (all threads, and children it creates) until `stop()`. */
export function stracePid(asked: number, options: CaptureOptions = {}): Capture {
  apiPid(asked);
  const refused = (message: string, code: string): Capture => ({ report: Promise.reject(new IopsError(message, code)), stop: () => {}, pid: () => asked });
  // strace would only say "Operation not permitted" of a kernel thread.
  if (isKernelThread(asked)) return refused(`${asked} is a kernel thread: it runs no program and makes no system calls of one, so there is nothing to trace; give the pid of a process`, "EINVAL");
  // A thread's id is its process's, as under the binding's tracers (strace -p would take that thread alone).
  const pid = processOf(asked);
  // strace would only say "Operation not permitted" of a zombie.
  if (isZombie(pid)) return refused(`process ${pid} is a zombie (exited, not yet reaped by its parent): nothing to trace`, "ESRCH");
  const thread =
    pid === asked
      ? (r: Report) => r
      : (r: Report): Report => ({
          ...r,
          warnings: [`${asked} is a thread of process ${pid}: the whole process ${pid} was traced, all its threads and children (reports are per process)`, ...r.warnings],
          warningCodes: ["pid-is-thread", ...r.warningCodes],
        });
  // A process that makes no traced call in the window (asleep, blocked)
  // leaves the log empty: still a capture, if strace was tracing it when
  // stopped.
  let attachedWhenStopped = false;
  const { strace, report } = start(["-p", String(pid)], "strace", null, options, () => attachedWhenStopped);
  let ended = false;
  void report.then(
    () => (ended = true),
    () => (ended = true),
  );
  return {
    // The process attached, not the first task in the log (a thread's tid, in a process with threads).
    report: report.then((r) => thread({ ...r, pid })),
    // In place once strace traces the process's main thread (it seizes the others just before).
    ready: async () => {
      while (!ended) {
        if (strace.pid !== undefined && tracerOf(pid) === strace.pid) return true;
        await sleep(5);
      }
      return false;
    },
    stop: () => {
      attachedWhenStopped = strace.pid !== undefined && tracerOf(pid) === strace.pid;
      // strace detaches from every thread on SIGINT, leaving the process running.
      strace.kill("SIGINT");
    },
    pid: () => pid,
  };
}

/** The pid tracing `pid`'s main thread (0: none, or unreadable). */
function tracerOf(pid: number): number {
  try {
    return Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Every thread of `pid` has exited and its parent has not reaped it yet. */
/** The process (thread group) of task `tid`: itself for a process, or when unreadable (strace then says what it finds). */
function processOf(tid: number): number {
  try {
    const m = /^Tgid:\s*(\d+)$/m.exec(readFileSync(`/proc/${tid}/status`, "utf8"));
    return m ? Number(m[1]) : tid;
  } catch {
    return tid;
  }
}

/** `pid` is a kernel thread: PF_KTHREAD in the flags of /proc/<pid>/stat. */
function isKernelThread(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const flags = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[6]);
    return (flags & 0x00200000) !== 0;
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8")) && readdirSync(`/proc/${pid}/task`).length === 1;
  } catch {
    return false; // gone: strace says so
  }
}

// ------------------------------------------------- profile(fn, { method: "strace" })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A word for /bin/sh, quoted. */
function shellWord(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Whether every thread of this process is traced by `tracer`. */
function allTracedBy(tracer: number): boolean {
  for (const task of readdirSync("/proc/self/task")) {
    let status: string;
    try {
      status = readFileSync(`/proc/self/task/${task}/status`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    if (Number(/^TracerPid:\s*(\d+)/m.exec(status)?.[1]) !== tracer) return false;
  }
  return true;
}

/**
 * A window on this process measured by strace: strace attaches to every
 * thread (-p, -f) and sends its output to a relay process that parses it
 * (strace-relay.ts), counting between this window's markers only. Its
 * `end()` detaches strace and returns the relay's report.
 */
export async function openStraceWindow(options: ProfileOptions, release: () => void): Promise<IopsWindow> {
  if (process.platform !== "linux") throw new IopsError("the strace method works on Linux only", "ENOTSUP");
  if (!which("strace")) throw new IopsError(INSTALL_STRACE, "ENOSTRACE");
  // Above every fcntl command number, so that strace prints it as a number.
  const cookie = randomInt(0x10000, 2 ** 31);
  const dir = mkdtempSync(join(tmpdir(), "iops-strace-"));
  const out = join(dir, "report.json");
  const relay = `|${shellWord(process.execPath)} ${shellWord(join(__dirname, "strace-relay.js"))} ${cookie} ${shellWord(out)}`;
  // TRACED has fcntl, the markers' call.
  // The relay is a Node of ours: without the host's preloads (ownNodeEnv).
  const strace = spawn("strace", [...STRACE_FLAGS, "-o", relay, "-p", String(process.pid)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: ownNodeEnv(),
  });
  let stderr = "";
  strace.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => strace.on("close", () => resolve()));
  const cleanup = () => {
    process.off("exit", cleanup);
    rmSync(dir, { recursive: true, force: true });
  };
  // A process that exits with the window open (its fn never settled) leaves no folder behind.
  process.on("exit", cleanup);
  try {
    // Where Yama's ptrace_scope is 1, only a designated process may trace us.
    native.allowTracer(strace.pid!);
  } catch {
    // Not fatal: strace then fails to attach and says so.
  }
  const deadline = Date.now() + 10_000;
  while (!allTracedBy(strace.pid!)) {
    if (strace.exitCode !== null || strace.signalCode !== null || Date.now() > deadline) {
      strace.kill("SIGKILL");
      await exited;
      cleanup();
      const why = stderr.trim().split("\n").pop() || "strace did not attach in time";
      throw new IopsError(`strace could not trace this process: ${why}`, /not permitted/.test(stderr) ? "EPERM" : "EIO");
    }
    await sleep(5);
  }
  return {
    method: "strace",
    notice: null,
    begin() {
      // The measured code alone decides whether this process lives on (a
      // promise that never settles must not hang it): if it exits meanwhile,
      // strace loses its tracees and ends too.
      holdOpen(strace, false);
      native.windowBegin(cookie);
    },
    async end() {
      holdOpen(strace, true);
      native.windowEnd(cookie);
      try {
        strace.kill("SIGINT"); // detaches from every thread; the relay then sees the end of its input
        await exited;
        const until = Date.now() + 10_000;
        while (!existsSync(out)) {
          if (Date.now() > until) throw new IopsError(`strace's output was not parsed: ${stderr.trim() || "the relay did not finish"}`, "EIO");
          await sleep(5);
        }
        const report = parseOutcome(readFileSync(out, "utf8"));
        report.command = null;
        report.pid = process.pid;
        return report;
      } finally {
        cleanup();
        release();
      }
    },
  };
}

/** Whether strace (its process and stderr pipe) keeps this process alive. */
function holdOpen(strace: ChildProcess, hold: boolean): void {
  const stderr = strace.stderr as unknown as { ref?(): void; unref?(): void } | null;
  if (hold) {
    strace.ref();
    stderr?.ref?.();
  } else {
    strace.unref();
    stderr?.unref?.();
  }
}
