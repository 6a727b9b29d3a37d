/**
 * The tracer helper process behind `profile()` and the notebook magics. A
 * process cannot ptrace its own threads, so the process being profiled
 * starts this script once, with the same Node binary, and asks it to attach
 * for each window. It reads one JSON command per line on stdin:
 *
 *   {"attach": <pid>, "cookie": <u32>, "allFds": bool, "shareCpu": bool}
 *   {"stop": true}
 *
 * and answers one JSON message per line on stdout: {"ready": true} once
 * every thread is traced, then {"report": {...}} after the end marker (or,
 * without a cookie, after a stop command), or {"error": {"code", "message"}}. When stdin closes (its parent is gone) it
 * stops any capture, which detaches, and exits.
 */
import { createInterface } from "node:readline";

import { native } from "./native";

type Session = InstanceType<typeof native.TraceSession>;

let current: Session | null = null;
let closing = false;

function send(message: unknown): void {
  process.stdout.write(JSON.stringify(message) + "\n");
}

async function capture(cmd: { attach: number; cookie?: number; allFds?: boolean; shareCpu?: boolean }) {
  let session: Session;
  try {
    session = native.TraceSession.attach(cmd.attach, {
      markerCookie: cmd.cookie,
      allFds: cmd.allFds ?? false,
      shareCpu: cmd.shareCpu ?? false,
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

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  if (cmd.stop) {
    current?.stop();
    return;
  }
  queue = queue.then(() => capture(cmd));
});
lines.on("close", () => {
  closing = true;
  current?.stop();
  void queue.then(() => process.exit(0));
});
