/**
 * Profiling code inside this very process: `profile(fn)` and the lower-level
 * `openWindow()` that the notebook magics use. A helper process (see
 * helper.ts) attaches to all of our threads; this process marks the exact
 * start and end of the measured code with marker syscalls the helper
 * recognises. Where ptrace is refused, the window falls back to
 * /proc/self/io counters, labelled as such.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { randomInt } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { native } from "./native";
import { IopsError, parseOutcome, type Report } from "./report";
import { countersMethod, eventSource, windowCountersReason } from "./sources/select";
import { FsUsageWindow, fsUsageCommand } from "./sources/fs_usage";
import { openStraceWindow } from "./sources/strace";

export interface ProfileOptions {
  /** Count sockets, pipes and ttys in the summary too. */
  allFds?: boolean;
  /**
   * Share one CPU between the helper's tracer and our threads while the
   * window is open (default false): faster per traced call, but our threads
   * run on one CPU meanwhile; their CPU sets are given back at the end.
   */
  shareCpu?: boolean;
  /** "ptrace" (default): our own tracer; "strace": the installed strace, attached to this process. */
  method?: "ptrace" | "strace";
}

type HelperMessage = { ready?: true; report?: Report; error?: { code: string; message: string } };

/** The long-lived helper process, started on first use. */
class Helper {
  private waiting: ((m: HelperMessage) => void)[] = [];
  private backlog: HelperMessage[] = [];
  private exited = false;

  constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as HelperMessage;
      const next = this.waiting.shift();
      if (next) next(message);
      else this.backlog.push(message);
    });
    child.on("exit", () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w({ error: { code: "EIO", message: "the tracer helper exited" } });
    });
    this.idle();
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** While idle, the helper must not keep this process alive. */
  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
    (this.child.stdin as unknown as { ref(): void }).ref();
  }

  send(command: object): void {
    this.busy();
    this.child.stdin.write(JSON.stringify(command) + "\n");
  }

  async next(): Promise<HelperMessage> {
    const m =
      this.backlog.shift() ??
      (this.exited
        ? { error: { code: "EIO", message: "the tracer helper exited" } }
        : await new Promise<HelperMessage>((resolve) => this.waiting.push(resolve)));
    if (m.report || m.error) this.idle();
    return m;
  }
}

let helper: Helper | null = null;

function getHelper(): Helper {
  if (helper?.alive) return helper;
  const child = spawn(process.execPath, [join(__dirname, "helper.js")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // Where Yama's ptrace_scope is 1, only a designated process may trace us.
  try {
    native.allowTracer(child.pid!);
  } catch {
    // Not fatal: attach then fails with EPERM and we fall back to counters.
  }
  helper = new Helper(child);
  return helper;
}

/** A measured window: call `begin()` right before and `end()` right after the code. */
export interface IopsWindow {
  /** "ptrace" when traced; "proc-io", "io-counters" or "rusage" when counters are the fallback. */
  readonly method: string;
  /** Why the window fell back to counters, in one line; null when traced. */
  readonly notice: string | null;
  begin(): void;
  end(): Promise<Report>;
}

let active = false;

function release(): void {
  active = false;
}

/**
 * With `shareCpu`, the helper pins our threads to its CPU while tracing and
 * restores them on detach; if it dies first, the kernel detaches us and we
 * undo its pin (`cpus` is null when nothing was pinned).
 */
function recoverFrom(helper: Helper, cpus: number[] | null): void {
  if (!helper.alive && cpus) native.restoreOwnCpus(cpus);
}

class TracedWindow implements IopsWindow {
  readonly method = "ptrace";
  readonly notice = null;
  constructor(
    private readonly helper: Helper,
    private readonly cookie: number,
    private readonly cpus: number[] | null,
  ) {}
  begin(): void {
    native.windowBegin(this.cookie);
  }
  async end(): Promise<Report> {
    native.windowEnd(this.cookie);
    try {
      const m = await this.helper.next();
      if (m.error) {
        recoverFrom(this.helper, this.cpus);
        throw new IopsError(m.error.message, m.error.code);
      }
      return m.report!;
    } finally {
      release();
    }
  }
}

class CountersWindow implements IopsWindow {
  readonly method = countersMethod();
  private before: ReturnType<typeof native.countersSnapshot> | null = null;
  constructor(readonly notice: string) {}
  begin(): void {
    this.before = native.countersSnapshot();
  }
  async end(): Promise<Report> {
    const after = native.countersSnapshot();
    release();
    return parseOutcome(native.countersReport(this.before!, after, this.notice));
  }
}

/**
 * Prepares a window on this process: starts (or reuses) the helper, which
 * attaches to every thread. Only one window may be open at a time.
 */
export async function openWindow(options: ProfileOptions = {}): Promise<IopsWindow> {
  if (active) throw new IopsError("an iops window is already open: windows cannot nest or overlap", "EBUSY");
  active = true;
  // The helper's tracer is Linux's; macOS has fs_usage; elsewhere the window reads counters.
  if (eventSource() === "fs_usage") return macWindow();
  if (process.platform === "win32") return windowsWindow(options);
  if (process.platform !== "linux") return new CountersWindow(windowCountersReason());
  try {
    if (options.method === "strace") return await openStraceWindow(options, release);
    const h = getHelper();
    const cookie = randomInt(1, 2 ** 31);
    const shareCpu = options.shareCpu ?? false;
    const cpus = shareCpu ? native.ownCpus() : null;
    h.send({ attach: process.pid, cookie, allFds: options.allFds ?? false, shareCpu });
    const m = await h.next();
    if (m.ready) return new TracedWindow(h, cookie, cpus);
    recoverFrom(h, cpus);
    if (m.error?.code === "EPERM") return new CountersWindow(m.error.message);
    throw new IopsError(m.error?.message ?? "the tracer helper did not answer", m.error?.code ?? "EIO");
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * Windows: an ETW session on this process, in this process (the events
 * come through the kernel's buffers, not as I/O of ours), counting between
 * the window's marks; without the rights, the I/O counters, saying why.
 * Each window waits about 1.5 s at its end for ETW's last buffers.
 */
async function windowsWindow(options: ProfileOptions): Promise<IopsWindow> {
  const cookie = randomInt(1, 2 ** 31);
  let session: InstanceType<typeof native.TraceSession>;
  try {
    session = native.TraceSession.attach(process.pid, { markerCookie: cookie, allFds: options.allFds ?? false });
  } catch (e) {
    return new CountersWindow((e as Error).message);
  }
  await session.waitReady();
  return {
    method: "etw",
    notice: null,
    begin: () => native.windowBegin(cookie),
    end: async () => {
      native.windowEnd(cookie);
      session.stop();
      try {
        return parseOutcome(await session.wait());
      } finally {
        release();
      }
    },
  };
}

/** macOS: fs_usage on this process when it can run, else rusage, saying why. */
async function macWindow(): Promise<IopsWindow> {
  const how = fsUsageCommand();
  if ("reason" in how) return new CountersWindow(how.reason);
  try {
    const w = await FsUsageWindow.open(how.argv);
    return {
      method: w.method,
      notice: null,
      begin: () => w.begin(),
      end: () => w.end().finally(release),
    };
  } catch (e) {
    return new CountersWindow(`fs_usage could not trace (${(e as Error).message})`);
  }
}

/**
 * Attaches to `pid` from the helper process instead of from this one. Needed
 * for our own child processes: libuv reaps its children with waitpid(),
 * which would steal the stops of a child traced by a thread of ours.
 */
export function captureFromHelper(
  pid: number,
  options: ProfileOptions = {},
): { report: Promise<Report>; stop(): void; pid(): number } {
  if (active) throw new IopsError("an iops window is already open: windows cannot nest or overlap", "EBUSY");
  active = true;
  const h = getHelper();
  h.send({ attach: pid, allFds: options.allFds ?? false, shareCpu: options.shareCpu ?? false });
  const report = (async () => {
    try {
      let m = await h.next();
      if (m.ready) m = await h.next();
      if (m.error) throw new IopsError(m.error.message, m.error.code);
      return m.report!;
    } finally {
      release();
    }
  })();
  return { report, stop: () => h.send({ stop: true }), pid: () => pid };
}

/**
 * Runs `fn` and returns what it did to storage: exactly the calls made
 * between its start and the settling of its promise, on every thread of
 * this process (libuv's thread pool included). If `fn` throws, the error is
 * rethrown with the report attached as `error.iopsReport`.
 */
export async function profile(fn: () => unknown, options: ProfileOptions = {}): Promise<Report> {
  const window = await openWindow(options);
  let failed = false;
  let error: unknown;
  window.begin();
  try {
    await fn();
  } catch (e) {
    failed = true;
    error = e;
  }
  const report = await window.end();
  if (failed) {
    if (error !== null && typeof error === "object") (error as { iopsReport?: Report }).iopsReport = report;
    throw error;
  }
  return report;
}
