/**
 * macOS's event source: Apple's `fs_usage -w -f filesys <pid>` run as a
 * child process, its output written to a temporary file and parsed by the
 * native line parser (crates/iops-core/src/parse/fs_usage.rs). fs_usage
 * needs root: we run it directly as root, or through `sudo -n` where a
 * sudoers rule allows it without a password; otherwise the caller falls
 * back to the rusage counters with one line saying how to allow it. It is
 * stopped with SIGINT sent to its own pid (never by name), which makes it
 * deliver its last events and exit.
 *
 * Output goes to a file, not a pipe: reading a pipe during the window
 * would itself be I/O of the traced process.
 *
 * Untested on a real Mac: the parser and the native stream are tested on
 * recorded fs_usage output, and this orchestration on Linux against a
 * stand-in that prints strace's view of the real calls in fs_usage's format
 * (__test__/fs_usage-live.spec.mjs).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { randomInt } from "node:crypto";

import { native } from "../native";
import { IopsError, parseOutcome, type Report } from "../report";

export const FS_USAGE = process.env.IOPS_FS_USAGE ?? "/usr/bin/fs_usage";

/** The one line that says how to let iops use fs_usage. */
export function sudoersHint(user = safeUser()): string {
  return `fs_usage needs root: run with sudo, or allow fs_usage alone without a password with the sudoers rule \`${user} ALL=(root) NOPASSWD: ${FS_USAGE}\` (sudo visudo -f /etc/sudoers.d/iops-fs_usage)`;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "<user>";
  }
}

/** How to run fs_usage here, or why it cannot run. */
export function fsUsageCommand(): { argv: string[] } | { reason: string } {
  if (!existsSync(FS_USAGE)) return { reason: `${FS_USAGE} not found` };
  if (process.geteuid?.() === 0) return { argv: [FS_USAGE] };
  // -n: never prompt for a password from inside the library.
  const allowed = spawnSync("sudo", ["-n", "-l", FS_USAGE], { stdio: "ignore", timeout: 5000 }).status === 0;
  return allowed ? { argv: ["sudo", "-n", FS_USAGE] } : { reason: sudoersHint() };
}

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

/** A running fs_usage, writing to its own temporary file. */
export class FsUsageTrace {
  private exited = false;
  private stderr = "";
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly out: string,
    readonly marker: string,
  ) {
    child.on("exit", () => (this.exited = true));
    child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
  }

  static start(argv: string[], pids: number[], marker: string): FsUsageTrace {
    const dir = mkdtempSync(join(tmpdir(), "iops-fs_usage-"));
    const out = join(dir, "trace.txt");
    const fd = openSync(out, "w");
    try {
      const child = spawn(argv[0], [...argv.slice(1), "-w", "-f", "filesys", ...pids.map(String)], {
        stdio: ["ignore", fd, "pipe"],
      });
      return new FsUsageTrace(child, dir, out, marker);
    } finally {
      closeSync(fd);
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

  /** SIGINT to fs_usage's own pid: it delivers what it has and exits. */
  async stop(): Promise<void> {
    if (!this.exited && this.child.pid) process.kill(this.child.pid, "SIGINT");
    for (let i = 0; i < 250 && !this.exited; i++) await sleep(20);
    if (!this.exited && this.child.pid) process.kill(this.child.pid, "SIGKILL");
  }

  /** Parses everything it wrote, within the window if one is given. */
  report(context: Parameters<InstanceType<typeof native.FsUsageStream>["finish"]>[0], window?: [number, number]): Report {
    const stream = new native.FsUsageStream();
    stream.setMarker(this.marker);
    if (window) stream.setWindow(window[0], window[1]);
    stream.push(readFileSync(this.out));
    const notes = [...(context?.warnings ?? [])];
    if (this.stderr.includes("buffer overrun")) notes.push("fs_usage reported a buffer overrun: events were lost, counts are a lower bound");
    const report = parseOutcome(stream.finish({ ...context, warnings: notes }));
    rmSync(this.dir, { recursive: true, force: true });
    return report;
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
 */
export async function launchWithFsUsage(
  fsUsage: string[],
  argv: string[],
  onStarted: (pid: number) => void,
): Promise<Report> {
  if (!findCommand(argv[0])) throw new IopsError(`command not found: ${argv[0]}`, "ENOENT");
  const cookie = `iops-go-${process.pid}-${randomInt(1, 2 ** 31)}`;
  const goFile = join(tmpdir(), cookie);
  const child = spawn("/bin/sh", ["-c", 'while [ ! -e "$0" ]; do sleep 0.01; done; exec "$@"', goFile, ...argv], {
    stdio: "inherit",
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const trace = FsUsageTrace.start(fsUsage, [child.pid!], cookie);
  try {
    await trace.ready(() => {});
  } catch (e) {
    process.kill(child.pid!, "SIGKILL");
    await trace.stop();
    throw e;
  }
  onStarted(child.pid!);
  const began = process.hrtime.bigint();
  writeFileSync(goFile, "");
  const { code, signal } = await exit;
  const elapsedNs = Number(process.hrtime.bigint() - began);
  rmSync(goFile, { force: true });
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
}

/**
 * Traces a running process until `stop()`. fs_usage cannot be told apart
 * from the process's own start-up here, so the span is what it printed.
 */
export function attachWithFsUsage(fsUsage: string[], pid: number): { report: Promise<Report>; stop(): void } {
  const trace = FsUsageTrace.start(fsUsage, [pid], `iops-attach-${process.pid}-${randomInt(1, 2 ** 31)}`);
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
    const marker = `/.iops-probe-${process.pid}-${randomInt(1, 2 ** 31)}`;
    const trace = FsUsageTrace.start(fsUsage, [process.pid], marker);
    const w = new FsUsageWindow(trace);
    // A failing stat of a path that cannot exist: a line fs_usage prints.
    await trace.ready(() => {
      try {
        statSync(`${marker}-${w.probes++}`);
      } catch {}
    });
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
