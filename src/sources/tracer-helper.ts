/**
 * The window on this very process (`profile()`, the notebook magics) of a
 * source whose registry row has `window: "helper"` (Linux's ptrace tracer):
 * a process cannot ptrace its own threads, so a helper process (helper.ts,
 * started once, reused) attaches to all of our threads for each window,
 * with that source;
 * this process marks the exact start and end of the measured code with
 * marker syscalls the helper recognises. Also traces our own children,
 * whose stops libuv would otherwise reap.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { randomInt } from "node:crypto";
import { readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { native } from "../native";
import { ownNodeEnv } from "../node-env";
import { IopsError, type Report, type Source } from "../report";
import { claimWindow, releaseWindow, type Capture, type CaptureOptions, type IopsWindow, type WindowOptions } from "./capture";

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

  /**
   * While idle, and while a window is open (the measured code decides
   * whether this process lives on: a promise that never settles must not
   * hang it), the helper must not keep this process alive. When this
   * process exits meanwhile, the helper's stdin closes: it detaches and exits.
   */
  idle(): void {
    this.child.unref();
    (this.protocol as unknown as { unref?(): void }).unref?.();
    (this.child.stdin as unknown as { unref?(): void }).unref?.();
  }

  /** While a request waits for the helper's answer, the helper keeps this process alive. */
  busy(): void {
    if (this.failure !== null) return;
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

  /**
   * The next message, waited for synchronously, at most `ms` milliseconds:
   * for the exit of this process (no event loop to wait in), when the
   * report of a window still open is wanted there. null when none came.
   */
  nextSync(ms: number): HelperMessage | null {
    const queued = this.backlog.shift();
    if (queued) return queued;
    const fd = (this.protocol as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (this.failure !== null || typeof fd !== "number" || fd < 0) return null;
    const deadline = Date.now() + ms;
    const chunk = Buffer.alloc(64 * 1024);
    const parts: Buffer[] = [];
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || Date.now() > deadline) return null;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      if (n === 0) return null; // the helper is gone
      parts.push(Buffer.from(chunk.subarray(0, n)));
      const text = Buffer.concat(parts).toString("utf8");
      const end = text.indexOf("\n");
      if (end < 0) continue;
      try {
        const m: unknown = JSON.parse(text.slice(0, end));
        return isMessage(m) ? m : null;
      } catch {
        return null;
      }
    }
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
  const child = spawn(process.execPath, [join(__dirname, "..", "helper.js")], {
    // stdin: commands; fd 3: messages; stdout unused; stderr shared, for a crash's message.
    stdio: ["pipe", "ignore", "inherit", "pipe"],
    env: ownNodeEnv(), // no preloads of the host's
    // Its own session (setsid): a SIGINT to our process group (Jupyter's
    // interrupt, Ctrl-C in a terminal) must not kill it mid-window. It still
    // ends with us: our end of its stdin closes when we exit, however we die.
    detached: true,
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

/**
 * With `shareCpu`, the helper pins our threads to its CPU while tracing and
 * restores them on detach; if it dies first, the kernel detaches us and we
 * undo its pin (`cpus` is null when nothing was pinned).
 */
function recoverFrom(helper: Helper, cpus: number[] | null): void {
  if (!helper.alive && cpus) native.restoreOwnCpus(cpus);
}

class TracedWindow implements IopsWindow {
  readonly notice = null;
  constructor(
    readonly method: Source,
    private readonly helper: Helper,
    private readonly cookie: number,
    private readonly cpus: number[] | null,
  ) {}
  begin(): void {
    this.helper.idle();
    native.windowBegin(this.cookie);
  }
  /**
   * Ends the window without the event loop (this process is exiting with
   * the window open): the report, or null when the helper did not give it
   * within `ms` milliseconds.
   */
  endSync(ms: number): Report | null {
    native.windowEnd(this.cookie);
    releaseWindow();
    return this.helper.nextSync(ms)?.report ?? null;
  }
  async end(): Promise<Report> {
    this.helper.busy();
    native.windowEnd(this.cookie);
    try {
      const m = await this.helper.next();
      if (m.error) {
        recoverFrom(this.helper, this.cpus);
        throw new IopsError(m.error.message, m.error.code);
      }
      return m.report!;
    } finally {
      releaseWindow();
    }
  }
}

/**
 * Opens a window on this process, traced by the helper (the caller holds
 * the window slot; the window gives it back at its end). Where ptrace is
 * refused, IopsError "EPERM" saying why: the caller falls back to counters.
 */
export async function openHelperWindow(options: WindowOptions, method: Source): Promise<IopsWindow> {
  const cookie = randomInt(1, 2 ** 31);
  const shareCpu = options.shareCpu ?? false;
  const cpus = shareCpu ? native.ownCpus() : null;
  for (let attempt = 1; ; attempt++) {
    const h = getHelper();
    const host = options.host ?? { threads: [], fds: [] };
    h.send({ attach: process.pid, method, cookie, allFds: options.allFds ?? false, shareCpu, hostThreads: host.threads, hostFds: host.fds });
    const m = await h.next();
    if (m.ready) return new TracedWindow(method, h, cookie, cpus);
    recoverFrom(h, cpus);
    // A helper that died while idle is found dead only now: nothing was measured yet, so a new one may try.
    if (m.error?.code !== "EPERM" && !h.alive && attempt === 1) continue;
    throw new IopsError(m.error?.message ?? "the tracer helper did not answer", m.error?.code ?? "EIO");
  }
}

/**
 * Attaches to `pid` from the helper process instead of from this one. Needed
 * for our own child processes: libuv reaps its children with waitpid(),
 * which would steal the stops of a child traced by a thread of ours.
 */
export function captureFromHelper(pid: number, options: CaptureOptions, method: Source): Capture {
  claimWindow();
  const command = { attach: pid, method, allFds: options.allFds ?? false, shareCpu: options.shareCpu ?? false };
  let h = getHelper();
  let stopped = false;
  // The report is in: a stop then would be a command no capture answers,
  // and the helper, busy waiting for the answer, would keep this process alive.
  let ended = false;
  let readyAs!: (ok: boolean) => void;
  const ready = new Promise<boolean>((resolve) => (readyAs = resolve));
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
      if (m.ready) {
        readyAs(true);
        m = await h.next();
      }
      if (m.error) throw new IopsError(m.error.message, m.error.code);
      return m.report!;
    } finally {
      ended = true;
      readyAs(false);
      releaseWindow();
    }
  })();
  return {
    report,
    stop: () => {
      if (stopped || ended) return;
      stopped = true;
      h.send({ stop: true });
    },
    pid: () => pid,
    ready: () => ready,
  };
}
