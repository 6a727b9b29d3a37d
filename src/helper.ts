/**
 * The tracer helper process behind `profile()` and the notebook magics. A
 * process cannot ptrace its own threads, so the process being profiled
 * starts this script once, with the same Node binary, and asks it to attach
 * for each window. It reads one JSON command per line on stdin:
 *
 *   {"attach": <pid>, "method": <live source>, "cookie": <u32>, "allFds": bool, "shareCpu": bool,
 *    "hostThreads": [tid], "hostFds": [fd]}   (the host's traffic, left out: see sources/capture.ts)
 *   {"stop": true}
 *
 * and answers one JSON message per line on fd 3, a pipe of its own (stdout
 * is not used: nothing printed there can be taken for a message):
 * {"ready": true} once every thread is traced, then {"report": {...}} after
 * the end marker (or, without a cookie, after a stop command), or
 * {"error": {"code", "message"}}. When stdin closes or fd 3 breaks (its
 * parent is gone) it stops any capture, which detaches, and exits.
 */
import { writeSync } from "node:fs";
import { createInterface } from "node:readline";

import { native } from "./native";

type Session = InstanceType<typeof native.TraceSession>;

let current: Session | null = null;
let closing = false;

/** The protocol pipe (see sources/tracer-helper.ts). */
const PROTOCOL_FD = 3;

/** Writes a whole message (a blocking write: the pipe's end here is a blocking fd). */
function send(message: unknown): void {
  const line = Buffer.from(JSON.stringify(message) + "\n");
  let off = 0;
  try {
    while (off < line.length) {
      try {
        off += writeSync(PROTOCOL_FD, line, off, line.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    }
  } catch {
    // The parent is gone: nothing to answer to.
    shutDown();
  }
}

type AttachCommand = { attach: number; method?: string; cookie?: number; allFds?: boolean; shareCpu?: boolean; hostThreads?: number[]; hostFds?: number[] };

async function capture(cmd: AttachCommand) {
  let session: Session;
  try {
    session = native.TraceSession.attach(cmd.attach, {
      method: cmd.method,
      markerCookie: cmd.cookie,
      allFds: cmd.allFds ?? false,
      shareCpu: cmd.shareCpu ?? false,
      hostThreads: numbers(cmd.hostThreads),
      hostFds: numbers(cmd.hostFds),
    });
  } catch (e) {
    send({ error: { code: "EIO", message: (e as Error).message } });
    return;
  }
  current = session;
  if (closing) session.stop();
  if (await session.waitReady()) send({ ready: true });
  const outcome = JSON.parse(await session.wait());
  current = null;
  send(outcome.error ? { error: outcome.error } : { report: outcome });
}

/** A list of whole numbers from a command; anything else is no list. */
function numbers(x: unknown): number[] {
  return Array.isArray(x) ? x.filter((n): n is number => Number.isInteger(n)) : [];
}

/** Stops any capture (which detaches) and exits once it has ended. */
function shutDown(): void {
  if (closing) return;
  closing = true;
  current?.stop();
  void queue.then(() => process.exit(0));
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (!line.trim()) return;
  let cmd: Omit<AttachCommand, "attach"> & { attach?: unknown; stop?: unknown };
  try {
    cmd = JSON.parse(line);
  } catch {
    send({ error: { code: "EINVAL", message: "the tracer helper got a command that is not JSON" } });
    return;
  }
  if (cmd.stop) {
    current?.stop();
    return;
  }
  if (typeof cmd.attach !== "number") {
    send({ error: { code: "EINVAL", message: "the tracer helper got a command without a pid" } });
    return;
  }
  const attach = cmd.attach;
  queue = queue.then(() => capture({ ...cmd, attach })).catch((e: unknown) => {
    current = null;
    send({ error: { code: "EIO", message: `the tracer helper failed: ${(e as Error).message}` } });
  });
});
lines.on("close", shutDown);
process.stdin.on("error", shutDown);
