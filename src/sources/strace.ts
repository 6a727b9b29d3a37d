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
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { Socket } from "node:net";
import { delimiter, join } from "node:path";

import { apiIntervalMs, apiPid } from "../args";
import { native } from "../native";
import { ownNodeEnv } from "../node-env";
import { IopsError, parseOutcome, type Report } from "../report";
import { TempDirError, privateTempDir } from "../temp";
import type { Capture, CaptureOptions, IopsWindow, ProfileOptions } from "./capture";

/**
 * What strace traces: the data calls, the metadata calls, rt_sigreturn (to
 * tell EINTR failures from restarted calls), io_uring (for its warning) and
 * execve (so that the log shows that metadata calls were traced), and the
 * calls that move or copy fd positions (lseek, dup*, fcntl), and those that
 * make threads and processes (clone, clone3, fork, vfork, unshare: the child's fds
 * are its parent's, or copies holding the same positions), so that the
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
  "?clone", "?clone3", "?fork", "?vfork", "?execveat", "?unshare",
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

/** A private directory for strace's FIFO or the relay's report ($TMPDIR, else /tmp); without one strace cannot run here: "ENOTSUP". */
function straceDir(): string {
  try {
    return privateTempDir("iops-strace-");
  } catch (e) {
    if (e instanceof TempDirError) throw new IopsError(`--method strace: ${e.message} for strace's output (set TMPDIR to a writable directory)`, "ENOTSUP");
    throw e;
  }
}

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
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT") return false;
    // strace would only say "Can't stat" and exit 1: said as a shell says it, as our tracer does.
    throw new IopsError(`cannot execute ${name}: ${PATH_ERRORS[code] ?? code} (${code})`, code);
  }
}

/** What execve's errno for a path says, in the C library's words (strerror). */
const PATH_ERRORS: Record<string, string> = {
  ENOTDIR: "Not a directory",
  EACCES: "Permission denied",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
};

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

/** CAP_SYS_PTRACE, in this process's effective set (/proc/self/status). */
const CAP_SYS_PTRACE = 19n;

/** Whether a tracer we start keeps a traced program's set-user-ID privileges: root's, or one with CAP_SYS_PTRACE. */
function capablePtracer(): boolean {
  try {
    const eff = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "latin1"))?.[1];
    return eff !== undefined && ((BigInt(`0x${eff}`) >> CAP_SYS_PTRACE) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Mode bits (sys/stat.h): set-user-ID, set-group-ID, group execute. */
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o010;

/** A successful execve in strace's log: its path (strace's escapes kept). */
const EXEC_OK = /execve\("((?:[^"\\]|\\.)*)", .*\) = 0(?: <[\d.]+>)?$/gm;

/**
 * Which of `paths` carry file capabilities (a security.capability
 * attribute), as getcap (libcap) lists them; none known without getcap.
 */
function withFileCaps(paths: string[]): Set<string> {
  if (paths.length === 0) return new Set();
  const r = spawnSync("getcap", paths, { encoding: "utf8" });
  if (r.error || typeof r.stdout !== "string") return new Set();
  // "PATH cap_x=ep" (libcap 2.4x), or "PATH = cap_x+ep" (older).
  return new Set(r.stdout.split("\n").flatMap((line) => paths.filter((p) => line.startsWith(`${p} `))));
}

/**
 * The programs a log shows exec'd, for a tracer without CAP_SYS_PTRACE: the
 * kernel then ignores a program's set-user-ID and set-group-ID bits (as
 * crates/iops-linux/src/leftover.rs says for our tracer, whose words the
 * warning takes). Only the execs are looked at, one chunk at a time.
 */
class Execs {
  private paths = new Set<string>();
  private rest = "";

  push(chunk: Buffer): void {
    const text = this.rest + chunk.toString("latin1");
    const cut = text.lastIndexOf("\n") + 1;
    this.rest = text.slice(cut);
    if (this.rest.length > 65536) this.rest = "";
    if (!text.includes("execve(")) return;
    for (const m of text.slice(0, cut).matchAll(EXEC_OK)) if (this.paths.size < 64) this.paths.add(m[1]);
  }

  /** `report` with the warning naming the programs that ran without their privileges, if any. */
  said(report: Report): Report {
    const named: string[] = [];
    const capped = withFileCaps([...this.paths]);
    for (const p of this.paths) {
      let st;
      try {
        st = statSync(p);
      } catch {
        continue; // an escaped or vanished path: not guessed
      }
      const lost: string[] = [];
      if (st.mode & S_ISUID && st.uid !== process.geteuid!()) lost.push(`set-user-ID ${st.uid === 0 ? "root" : `uid ${st.uid}`}`);
      if (st.mode & S_ISGID && st.mode & S_IXGRP && st.gid !== process.getegid!()) lost.push(`set-group-ID gid ${st.gid}`);
      if (capped.has(p) && process.geteuid!() !== 0) lost.push("file capabilities");
      if (lost.length > 0) named.push(`${p} (without its ${lost.join(", ")})`);
    }
    if (named.length === 0) return report;
    const shown = named.length > 5 ? [...named.slice(0, 5), `and ${named.length - 5} more`] : named;
    const text = `${shown.join(", ")} ran without the privileges of its file: the kernel ignores set-user-ID, set-group-ID and file capabilities for a program traced by strace from a process without CAP_SYS_PTRACE, so it ran (and may have failed) as an unprivileged program would; as root, the default eBPF source does not trace by ptrace and keeps them`;
    return { ...report, warnings: [...report.warnings, text], warningCodes: [...report.warningCodes, "privileges-ignored"] };
  }
}

interface Run {
  strace: ChildProcess;
  report: Promise<Report>;
  /** The first pid of the log (a command's own), 0 before it. */
  firstPid(): number;
  /** Whether the log holds that pid's end. */
  rootEnded(): boolean;
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
  if (!which("strace")) throw new IopsError(INSTALL_STRACE, "ENOTSUP");
  const interval = apiIntervalMs("progressIntervalMs", options.progressIntervalMs ?? 250);
  const dir = straceDir();
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
  const firstPid = () => Number(/^(\d+) /.exec(head)?.[1] ?? 0);
  // Where strace cannot keep a program's privileges, its execs are read.
  const execs = capablePtracer() ? null : new Execs();
  // Whether the log holds the command's end (its first pid's "+++ exited" or "+++ killed" line).
  let rootEnded = false;
  let tail = "";
  const streamed = new Promise<void>((resolve, reject) => {
    input.on("data", (chunk: Buffer) => {
      received = true;
      if (command && head.length < 65536) head += chunk.toString("latin1");
      if (command && !rootEnded && chunk.includes("+++")) {
        const text = tail + chunk.toString("latin1");
        rootEnded = new RegExp(`^${firstPid()} +(?:[\\d.]+ +)?\\+\\+\\+ (?:exited|killed)`, "m").test(text);
      }
      if (command) tail = chunk.subarray(Math.max(0, chunk.length - 256)).toString("latin1");
      execs?.push(chunk);
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
      const neverTraced = !received && !tracedQuietly();
      if (neverTraced || (command && !report.exit)) {
        const how = status.signal ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
        // strace never traced (the kernel or a policy refused its ptrace): the method cannot run here, as --method ptrace says then.
        if (neverTraced) throw new IopsError(`--method strace: strace ${how} before tracing anything (its message is above)`, "ENOTSUP");
        throw new IopsError(`strace ${how} before tracing anything (its message is above)`, "EIO");
      }
      if (!command) report.command = null;
      return execs ? execs.said(report) : report;
    })
    .finally(() => {
      clearInterval(timer);
      input.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
  return { strace, report, firstPid, rootEnded: () => rootEnded };
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

/** The session of process `pid` (the sixth field of /proc/<pid>/stat); null once it is gone. */
function sessionOf(pid: number | "self"): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const session = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
    return Number.isInteger(session) ? session : null;
  } catch {
    return null;
  }
}

/** The live processes (not zombies) that `tracer` traces, from /proc. */
function tracedBy(tracer: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "latin1");
      if (Number(/^TracerPid:\s*(\d+)/m.exec(status)?.[1]) === tracer && !/^State:\s*[ZX]/m.test(status)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `pid`'s command line, as the other sources' warnings name it. */
function commandLine(pid: number): string {
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return line || readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/** How often a launch looks whether its command has ended leaving only daemons, ms. */
const LEFTOVER_POLL_MS = 100;

/**
 * A launch's leftovers (the rule of crates/iops-linux/src/leftover.rs):
 * once the command has ended, processes that left its session (daemons) are
 * not waited for, nor any once a stop is asked. strace, which blocks the
 * fatal signals while it runs a command (-I3), lets go of them only by its
 * end: killed, it ends without a word and the kernel detaches its tracees,
 * which run on untouched (strace does not ask PTRACE_O_EXITKILL). Its log
 * is written line by line, the command's end already in it.
 */
class Leftovers {
  private session = sessionOf("self");
  private stopAsked = false;
  private root = 0;
  left: { pids: number[]; commands: string[]; stopAsked: boolean } | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly strace: ChildProcess,
    private readonly firstPid: () => number,
    private readonly rootEnded: () => boolean,
  ) {
    this.timer = setInterval(() => this.look(), LEFTOVER_POLL_MS).unref();
    strace.on("exit", () => clearInterval(this.timer));
  }

  /** The command's pid once the log names it (it stays known after its end). */
  pid(): number {
    this.root ||= this.firstPid() || childOf(this.strace.pid);
    return this.root;
  }

  stop(): void {
    this.stopAsked = true;
    this.look();
  }

  private look(): void {
    const root = this.pid();
    if (!root || this.left || this.strace.pid === undefined || this.strace.exitCode !== null) return;
    const rootSession = sessionOf(root);
    if (rootSession !== null) {
      this.session = rootSession; // running (or a zombie): its session is the command's
      return;
    }
    // Reaped, but its end may not be in the log yet: strace is not ended before it is.
    if (!this.rootEnded()) return;
    const left = tracedBy(this.strace.pid);
    if (left.length === 0) return;
    if (!this.stopAsked && left.some((p) => sessionOf(p) === this.session)) return;
    this.left = { pids: left, commands: left.map(commandLine), stopAsked: this.stopAsked };
    clearInterval(this.timer);
    this.strace.kill("SIGKILL");
  }

  /** The report with the warning naming what was left running, if anything was. */
  said(report: Report): Report {
    if (!this.left) return report;
    const { pids, commands, stopAsked } = this.left;
    const names = pids.slice(0, 5).map((p, i) => `pid ${p} (${commands[i]})`);
    if (pids.length > 5) names.push(`and ${pids.length - 5} more`);
    const n = pids.length === 1 ? "1 process" : `${pids.length} processes`;
    const when = stopAsked
      ? `iops was asked to stop after the command had ended, leaving ${n} running`
      : `the command ended leaving ${n} running outside its session (daemons: they called setsid)`;
    const [them, their, they] = pids.length === 1 ? ["it", "its", "it"] : ["them", "their", "they"];
    const text = `${when}: ${names.join(", ")}; iops stopped waiting for ${them} there and ${their} I/O after that is not counted; strace let go of ${them}, and ${they} will run on untouched`;
    return { ...report, warnings: [...report.warnings, text], warningCodes: [...report.warningCodes, "left-running"] };
  }
}

/** Runs `argv` under strace, until it exits; the report is strace's view, `method: "strace"`. */
export function straceCommand(argv: string[], options: CaptureOptions = {}): Capture {
  if (!commandExists(argv[0])) throw new IopsError(`command not found: ${argv[0]}`, "ENOENT");
  const { strace, report, firstPid, rootEnded } = start(["--", ...execvpArgv(argv)], "strace", argv, options);
  const leftovers = new Leftovers(strace, firstPid, rootEnded);
  return { report: report.then((r) => leftovers.said(r)), stop: () => leftovers.stop(), pid: () => leftovers.pid() };
}

/** Attaches strace to `pid` (all threads, and children it creates) until `stop()`. */
export function stracePid(asked: number, options: CaptureOptions = {}): Capture {
  apiPid(asked);
  const refused = (message: string, code: string): Capture => ({ report: Promise.reject(new IopsError(message, code)), stop: () => {}, pid: () => asked });
  // strace would only say "Operation not permitted" of a kernel thread.
  if (isKernelThread(asked)) return refused(`${asked} is a kernel thread: it runs no program and makes no system calls of one, so there is nothing to trace; give the pid of a process`, "EINVAL");
  // strace would only say "No such process" and exit, which reads as strace refused.
  if (!existsSync(`/proc/${asked}`)) return refused(`no process with pid ${asked}`, "ESRCH");
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
  if (!which("strace")) throw new IopsError(INSTALL_STRACE, "ENOTSUP");
  // Above every fcntl command number, so that strace prints it as a number.
  const cookie = randomInt(0x10000, 2 ** 31);
  const dir = straceDir();
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
