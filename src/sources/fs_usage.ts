/**
 * macOS's event source: Apple's `fs_usage -w -f filesys <pid>` run as a
 * child process, its output written to a temporary file and parsed by the
 * native line parser (crates/iops-core/src/parse/fs_usage.rs). fs_usage
 * needs root: we run /usr/bin/fs_usage (that path only: never one from the
 * environment or PATH) directly as root, or through `sudo -n` where a
 * sudoers rule allows it without a password (preferably through the
 * one-process wrapper, scripts/iops-fs_usage); otherwise the caller falls
 * back to the rusage counters with one line saying how to allow it. It is
 * stopped with SIGINT, then SIGTERM, sent to its own pid or to sudo's, which
 * relays them (never by name), and waited for.
 *
 * Output goes to a file, not a pipe: reading a pipe during the window
 * would itself be I/O of the traced process. Every file we create lives in
 * a directory of our own from mkdtemp (mode 0700, an unguessable name) and
 * is created with O_EXCL|O_NOFOLLOW: as root, iops must never write through
 * a path someone else could have planted.
 *
 * Untested on a real Mac: the parser and the native stream are tested on
 * recorded fs_usage output, and this orchestration on Linux against a
 * stand-in that prints strace's view of the real calls in fs_usage's format
 * (__test__/fs_usage-live.spec.mjs, through names.ts' `useFsUsageStandIn`).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, constants, existsSync, openSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

import { native } from "../native";
import { IopsError, parseOutcome, type Report, type WarningCode } from "../report";
import { TempDirError, privateTempDir } from "../temp";
import { fsUsageStandInPath } from "./names";

/** Apple's fs_usage. */
export const FS_USAGE = "/usr/bin/fs_usage";

/**
 * Where an administrator installs scripts/iops-fs_usage: a root-owned
 * wrapper that runs `fs_usage -w -f filesys <pid>` for one pid and refuses
 * anything else, so that a sudoers rule can allow exactly that. (A rule on
 * fs_usage itself cannot: sudo matches a rule's arguments as one
 * space-joined string, so `fs_usage -w -f 'filesys 1'` passes a rule pinned
 * to `-w -f filesys <digits>`, and fs_usage then traces every process.)
 */
export const FS_USAGE_ONE_PID = "/usr/local/libexec/iops-fs_usage";

/** The arguments we give fs_usage: wide lines, file-system calls, the one process `pid`. */
function fsUsageArgs(pid: number): string[] {
  return ["-w", "-f", "filesys", String(pid)];
}

const SUDO = "/usr/bin/sudo";

/** The one line that says how to let iops use fs_usage, and what that grants. */
export function sudoersHint(user = safeUser()): string {
  const wrapper = join(__dirname, "..", "..", "scripts", "iops-fs_usage");
  return (
    `fs_usage needs root: run iops with sudo, or let ${user} trace one process at a time without a password: ` +
    `\`sudo install -d -o root -m 755 ${dirname(FS_USAGE_ONE_PID)} && sudo install -o root -m 755 ${wrapper} ${FS_USAGE_ONE_PID}\`, ` +
    `then the sudoers rule \`${user} ALL=(root) NOPASSWD: ${FS_USAGE_ONE_PID}\` (sudo visudo -f /etc/sudoers.d/iops-fs_usage); ` +
    `it lets ${user} see the file calls of any one process, any user's, and the disk I/O of every process (README: "macOS: fs_usage")`
  );
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "<user>";
  }
}

/**
 * Why `path` is not safe to run as root, or null: it and every directory
 * above it (symbolic links resolved) must be owned by root and writable by
 * no one else (sticky directories aside), or whoever can write there could
 * run anything as root.
 */
export function notRootOnly(path: string): string | null {
  let p: string;
  try {
    p = realpathSync(path);
  } catch (e) {
    return `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  for (;;) {
    const st = statSync(p);
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    // A sticky directory (/tmp) lets others add entries, but not replace root's.
    const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0;
    if (st.mode & 0o022 && !sticky) return `${p} is writable by others than root (mode ${(st.mode & 0o777).toString(8)})`;
    if (p === dirname(p)) return null;
    p = dirname(p);
  }
}

/**
 * How to run fs_usage here (its argv, before fsUsageArgs), or why it cannot
 * run. As root: fs_usage itself. Otherwise `sudo -n` (never a password
 * prompt from inside the library) with what a sudoers rule allows for our
 * arguments: the one-process wrapper, else fs_usage itself.
 */
export function fsUsageCommand(): { argv: string[] } | { reason: string } {
  const standIn = fsUsageStandInPath();
  const exe = standIn ?? FS_USAGE;
  if (!existsSync(exe)) return { reason: `${exe} not found` };
  if (process.geteuid?.() === 0) return { argv: [exe] };
  // Asked with the arguments we pass (our own pid as the sample): a rule may pin them.
  const allows = (cmd: string) =>
    spawnSync(SUDO, ["-n", "-l", cmd, ...fsUsageArgs(process.pid)], { stdio: "ignore", timeout: 5000 }).status === 0;
  let unsafe: string | null = null;
  if (standIn === null && existsSync(FS_USAGE_ONE_PID)) {
    unsafe = notRootOnly(FS_USAGE_ONE_PID);
    if (unsafe === null && allows(FS_USAGE_ONE_PID)) return { argv: [SUDO, "-n", FS_USAGE_ONE_PID] };
  }
  if (allows(exe)) return { argv: [SUDO, "-n", exe] };
  return { reason: unsafe ? `${FS_USAGE_ONE_PID} not used (${unsafe}); ${sudoersHint()}` : sudoersHint() };
}

/** A directory of our own under $TMPDIR, else /tmp: mode 0700, an unguessable name; without one fs_usage cannot run here ("ENOTSUP"). */
function privateDir(prefix: string): string {
  try {
    return privateTempDir(prefix);
  } catch (e) {
    if (e instanceof TempDirError) throw new IopsError(`fs_usage: ${e.message} (set TMPDIR to a writable directory)`, "ENOTSUP");
    throw e;
  }
}

/** Creates `path` for writing; fails if anything (a symbolic link included) is there already. */
function createNew(path: string): number {
  return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
}

/** A name no one can guess, for markers. */
const unguessable = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;

/** Microseconds since local midnight (the clock fs_usage prints) of a wall-clock time. */
export function localTimeOfDayUs(ms: number): number {
  const d = new Date(ms);
  return ((d.getHours() * 60 + d.getMinutes()) * 60 + d.getSeconds()) * 1e6 + Math.round((ms % 1000) * 1000);
}

/**
 * The next millisecond boundary of the wall clock, waited for without a
 * syscall fs_usage shows: Node's clock has millisecond steps, and every
 * call made before the wait ended completed before the boundary. A window
 * from such a boundary to another holds exactly the calls made between them.
 */
function nextMillisecond(): number {
  const t = Date.now();
  let now = t;
  while (now === t) now = Date.now();
  return now;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `p` settles or after `ms`, whichever is first; true if `p` did. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long fs_usage gets to exit after each of SIGINT and SIGTERM. */
const STOP_GRACE_MS = 5000;

/** The traces still running: told to stop if this process exits first. */
const running = new Set<FsUsageTrace>();
let exitHook = false;

/** A running fs_usage, writing to its own temporary file. */
export class FsUsageTrace {
  private exited = false;
  private readonly exit: Promise<void>;
  private stderr = "";
  private readonly notes: { code: WarningCode; text: string }[] = [];
  private constructor(
    private readonly child: ChildProcess,
    /** Run through sudo: `child` is sudo, and fs_usage its (root) child. */
    private readonly viaSudo: boolean,
    private readonly dir: string,
    private readonly out: string,
    readonly marker: string,
  ) {
    this.exit = new Promise((resolve) => {
      const done = () => {
        this.exited = true;
        running.delete(this);
        resolve();
      };
      child.on("exit", done);
      // Not started at all (no exit event follows).
      child.on("error", (e) => {
        this.stderr += e.message;
        done();
      });
    });
    child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    running.add(this);
    if (!exitHook) {
      exitHook = true;
      // The host exits with a trace running (a window never ended): fs_usage must not outlive it.
      process.on("exit", () => running.forEach((t) => t.signal("SIGTERM")));
    }
  }

  /** Starts `argv` (fs_usage, or sudo and fs_usage) on `pid`. */
  static start(argv: string[], pid: number, marker: string): FsUsageTrace {
    const dir = privateDir("iops-fs_usage-");
    const out = join(dir, "trace.txt");
    const fd = createNew(out);
    try {
      const child = spawn(argv[0], [...argv.slice(1), ...fsUsageArgs(pid)], { stdio: ["ignore", fd, "pipe"] });
      return new FsUsageTrace(child, argv[0] === SUDO, dir, out, marker);
    } finally {
      closeSync(fd);
    }
  }

  /** The pid of fs_usage, or of the sudo running it. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exited || !this.child.pid) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // Exited meanwhile.
    }
  }

  /** Resolves once fs_usage has printed a line holding the marker; `probe` makes one. */
  async ready(probe: () => void, timeoutMs = 15000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.exited) throw new IopsError(`fs_usage exited before tracing: ${this.stderr.trim() || "no message"}`, "EIO");
      probe();
      if (statSync(this.out).size > 0 && readFileSync(this.out, "latin1").includes(this.marker)) return;
      await sleep(20);
    }
    throw new IopsError("fs_usage did not start tracing within 15 s", "ETIMEDOUT");
  }

  /**
   * Stops fs_usage and waits until it has exited: SIGINT (it delivers what
   * it has and exits), then SIGTERM. Under sudo both go to sudo, which
   * relays a signal another process sends it to fs_usage and exits only
   * once fs_usage has. SIGKILL only to an fs_usage of our own: it would end
   * sudo alone and leave a root fs_usage running. If fs_usage under sudo
   * outlives both signals (we cannot kill a root process), the report says so.
   */
  async stop(): Promise<void> {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      if (this.exited) return;
      this.signal(signal);
      if (await within(this.exit, STOP_GRACE_MS)) return;
    }
    if (!this.viaSudo) {
      this.signal("SIGKILL");
      if (await within(this.exit, STOP_GRACE_MS)) return;
    }
    this.notes.push({
      code: "tracer-still-running",
      text: `fs_usage (${this.viaSudo ? "under sudo, " : ""}pid ${this.child.pid}) did not exit after SIGINT and SIGTERM and may still be running`,
    });
  }

  /** Stops fs_usage and removes its output, for a trace that will not report. */
  async discard(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Parses everything it wrote, within the window if one is given. */
  report(context: Parameters<InstanceType<typeof native.FsUsageStream>["finish"]>[0], window?: [number, number]): Report {
    try {
      const stream = new native.FsUsageStream();
      stream.setMarker(this.marker);
      if (window) stream.setWindow(window[0], window[1]);
      stream.push(readFileSync(this.out));
      const notes = [...(context?.warnings ?? []), ...this.notes];
      if (this.stderr.includes("buffer overrun")) notes.push({ code: "events-lost", text: "fs_usage reported a buffer overrun: events were lost, counts are a lower bound" });
      return parseOutcome(stream.finish({ ...context, warnings: notes }));
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** `cmd` as a shell finds it, so that "not found" is ours to say. */
function findCommand(cmd: string): boolean {
  if (cmd.includes("/")) return existsSync(cmd);
  return (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/**
 * Runs `argv` traced by fs_usage. The command starts under a shell that
 * waits for a go file (its `stat` of that path is the marker telling us
 * fs_usage sees it), then becomes the command with exec, keeping its pid.
 * The go file's directory is ours alone, and its name unguessable.
 */
export async function launchWithFsUsage(
  fsUsage: string[],
  argv: string[],
  onStarted: (pid: number) => void,
): Promise<Report> {
  if (!findCommand(argv[0])) throw new IopsError(`command not found: ${argv[0]}`, "ENOENT");
  const goDir = privateDir("iops-go-");
  try {
    const marker = unguessable("iops-go");
    const goFile = join(goDir, marker);
    const child = spawn("/bin/sh", ["-c", 'while [ ! -e "$0" ]; do sleep 0.01; done; exec "$@"', goFile, ...argv], {
      stdio: "inherit",
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    const trace = FsUsageTrace.start(fsUsage, child.pid!, marker);
    try {
      await trace.ready(() => {});
    } catch (e) {
      process.kill(child.pid!, "SIGKILL");
      await trace.discard();
      throw e;
    }
    onStarted(child.pid!);
    const began = process.hrtime.bigint();
    closeSync(createNew(goFile));
    const { code, signal } = await exit;
    const elapsedNs = Number(process.hrtime.bigint() - began);
    await trace.stop();
    const signalNumber = signal ? (require("node:os").constants.signals[signal] as number) : undefined;
    return trace.report({
      command: argv,
      pid: child.pid,
      elapsedNs,
      exitCode: code ?? undefined,
      exitSignal: signal ?? undefined,
      exitSignalNumber: signalNumber,
    });
  } finally {
    rmSync(goDir, { recursive: true, force: true });
  }
}

/**
 * Traces a running process until `stop()`. fs_usage cannot be told apart
 * from the process's own start-up here, so the span is what it printed.
 */
export function attachWithFsUsage(fsUsage: string[], pid: number): { report: Promise<Report>; stop(): void } {
  const trace = FsUsageTrace.start(fsUsage, pid, unguessable("iops-attach"));
  let stopped!: () => void;
  const stopping = new Promise<void>((r) => (stopped = r));
  // The capture also ends when the process does.
  const watch = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      stopped();
    }
  }, 200);
  const report = (async () => {
    await stopping;
    clearInterval(watch);
    await trace.stop();
    return trace.report({ pid });
  })();
  return { report, stop: () => stopped() };
}

/** A profile() window traced by fs_usage on this process. */
export class FsUsageWindow {
  readonly method = "fs_usage";
  readonly notice = null;
  private begin_ = 0;
  private probes = 0;
  private constructor(private readonly trace: FsUsageTrace) {}

  static async open(fsUsage: string[]): Promise<FsUsageWindow> {
    // A path no one creates (an unguessable name in /), only ever stat-ed.
    const marker = `/.${unguessable("iops-probe")}`;
    const trace = FsUsageTrace.start(fsUsage, process.pid, marker);
    const w = new FsUsageWindow(trace);
    // A failing stat of that path: a line fs_usage prints.
    try {
      await trace.ready(() => {
        try {
          statSync(`${marker}-${w.probes++}`);
        } catch {}
      });
    } catch (e) {
      await trace.discard();
      throw e;
    }
    // The first local-time conversion loads the time zone (/etc/localtime):
    // now, not inside the window that begin() opens.
    localTimeOfDayUs(Date.now());
    return w;
  }

  begin(): void {
    this.begin_ = localTimeOfDayUs(nextMillisecond());
  }

  async end(): Promise<Report> {
    const end = localTimeOfDayUs(nextMillisecond());
    await this.trace.stop();
    return this.trace.report({ pid: process.pid }, [this.begin_, end]);
  }
}
