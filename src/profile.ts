/**
 * Profiling code inside this very process: `profile(fn)` and the lower-level
 * `openWindow()` that the notebook magics use. A helper process (see
 * helper.ts) attaches to all of our threads; this process marks the exact
 * start and end of the measured code with marker syscalls the helper
 * recognises. Where ptrace is refused, the window falls back to
 * /proc/self/io counters, labelled as such.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { native } from "./native";
import { ownNodeEnv } from "./node-env";
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

/**
 * The helper's protocol fd: its messages come on a pipe of their own, not on
 * its stdout, so that nothing else the helper's Node might print (a preload's
 * banner, a warning) can be taken for a message.
 */
const PROTOCOL_FD = 3;

/** How often a waiting window looks whether its helper was stopped by a signal. */
const STOPPED_POLL_MS = 250;

/** Whether a parsed line is one of the helper's messages. */
function isMessage(m: unknown): m is HelperMessage {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
  const x = m as Record<string, unknown>;
  if (x.ready === true) return true;
  if (typeof x.report === "object" && x.report !== null) return true;
  const e = x.error as Record<string, unknown> | undefined;
  return typeof e === "object" && e !== null && typeof e.code === "string" && typeof e.message === "string";
}

/**
 * The long-lived helper process, started on first use. Whatever goes wrong
 * with it (it exits or is killed at any time, a write to it fails, it sends
 * something that is not a message) fails the pending request with an
 * IopsError and retires it: the next window starts a new helper. Nothing of
 * it may throw in this process or keep it alive while idle.
 */
class Helper {
  private waiting: ((m: HelperMessage) => void)[] = [];
  private backlog: HelperMessage[] = [];
  /** Why this helper can no longer be used; null while it can. */
  private failure: string | null = null;
  private readonly protocol: Readable;

  constructor(private readonly child: ChildProcess) {
    this.protocol = child.stdio[PROTOCOL_FD] as Readable;
    child.on("error", (e) => this.fail(`the tracer helper could not run (${e.message})`));
    // After the protocol pipe is drained: a message sent just before the exit is still read.
    child.on("close", () => this.fail("the tracer helper exited"));
    child.stdin!.on("error", (e: NodeJS.ErrnoException) => this.fail(`the tracer helper stopped reading (${e.code ?? e.message})`));
    this.protocol.on("error", (e: NodeJS.ErrnoException) => this.fail(`the tracer helper's pipe failed (${e.code ?? e.message})`));
    createInterface({ input: this.protocol }).on("line", (line) => this.receive(line));
    this.idle();
  }

  get alive(): boolean {
    return this.failure === null;
  }

  private receive(line: string): void {
    if (this.failure !== null) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = undefined;
    }
    if (!isMessage(message)) {
      this.fail(`the tracer helper sent something that is not a message: ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(message);
    else this.backlog.push(message);
  }

  /** Retires the helper: fails what waits on it, ends it, and lets this process exit. */
  private fail(why: string): void {
    if (this.failure !== null) return;
    this.failure = why;
    for (const w of this.waiting.splice(0)) w({ error: { code: "EIO", message: why } });
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill("SIGKILL"); // detaches it from us, if it was tracing
      } catch {
        // already gone
      }
    }
    this.child.stdin?.destroy();
    this.idle();
  }

  /** While idle, the helper must not keep this process alive. */
  private idle(): void {
    this.child.unref();
    (this.protocol as unknown as { unref?(): void }).unref?.();
    (this.child.stdin as unknown as { unref?(): void }).unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.protocol as unknown as { ref?(): void }).ref?.();
    (this.child.stdin as unknown as { ref?(): void }).ref?.();
  }

  /** Sends a command; a helper that cannot take it fails the next `next()` instead of throwing. */
  send(command: object): void {
    if (this.failure !== null) return;
    this.busy();
    this.child.stdin!.write(JSON.stringify(command) + "\n");
  }

  async next(): Promise<HelperMessage> {
    const m =
      this.backlog.shift() ??
      (this.failure !== null
        ? { error: { code: "EIO", message: this.failure } }
        : await new Promise<HelperMessage>((resolve) => {
            this.waiting.push(resolve);
            // A helper stopped by a signal (SIGSTOP, SIGTSTP) would never answer: we would wait for ever.
            const watch = setInterval(() => {
              if (this.waiting.length === 0) clearInterval(watch);
              else if (this.isStopped()) this.fail("the tracer helper was stopped by a signal");
            }, STOPPED_POLL_MS);
            watch.unref();
          }));
    if (m.report || m.error) this.idle();
    return m;
  }

  /** Whether the helper is in a stop by a signal (state T in /proc/<pid>/stat; not t, a debugger's stop). */
  private isStopped(): boolean {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, "latin1");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "T";
    } catch {
      return false; // gone: its exit is reported by "close"
    }
  }
}

let helper: Helper | null = null;

function getHelper(): Helper {
  if (helper?.alive) return helper;
  const child = spawn(process.execPath, [join(__dirname, "helper.js")], {
    // stdin: commands; fd 3: messages; stdout unused; stderr shared, for a crash's message.
    stdio: ["pipe", "ignore", "inherit", "pipe"],
    env: ownNodeEnv(), // no preloads of the host's
  });
  // Where Yama's ptrace_scope is 1, only a designated process may trace us.
  try {
    if (child.pid !== undefined) native.allowTracer(child.pid);
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
    const cookie = randomInt(1, 2 ** 31);
    const shareCpu = options.shareCpu ?? false;
    const cpus = shareCpu ? native.ownCpus() : null;
    for (let attempt = 1; ; attempt++) {
      const h = getHelper();
      h.send({ attach: process.pid, cookie, allFds: options.allFds ?? false, shareCpu });
      const m = await h.next();
      if (m.ready) return new TracedWindow(h, cookie, cpus);
      recoverFrom(h, cpus);
      if (m.error?.code === "EPERM") return new CountersWindow(m.error.message);
      // A helper that died while idle is found dead only now: nothing was measured yet, so a new one may try.
      if (!h.alive && attempt === 1) continue;
      throw new IopsError(m.error?.message ?? "the tracer helper did not answer", m.error?.code ?? "EIO");
    }
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
  const command = { attach: pid, allFds: options.allFds ?? false, shareCpu: options.shareCpu ?? false };
  let h = getHelper();
  let stopped = false;
  h.send(command);
  const report = (async () => {
    try {
      let m = await h.next();
      if (m.error && !h.alive) {
        // Found dead only now (it died while idle): nothing was traced yet, so a new one may try.
        h = getHelper();
        h.send(command);
        if (stopped) h.send({ stop: true });
        m = await h.next();
      }
      if (m.ready) m = await h.next();
      if (m.error) throw new IopsError(m.error.message, m.error.code);
      return m.report!;
    } finally {
      release();
    }
  })();
  return {
    report,
    stop: () => {
      stopped = true;
      h.send({ stop: true });
    },
    pid: () => pid,
  };
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
