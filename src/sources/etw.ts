/**
 * Windows' window on this very process: an ETW session on this process, in
 * this process (the events come through the kernel's buffers, not as I/O of
 * ours), counting between the window's marks. Each window waits about 1.5 s
 * at its end for ETW's last buffers.
 */
import { randomInt } from "node:crypto";

import { native } from "../native";
import { parseOutcome, type Report } from "../report";
import { releaseWindow, type IopsWindow, type ProfileOptions } from "./capture";

export class EtwWindow implements IopsWindow {
  readonly method = "etw";
  readonly notice = null;
  private constructor(
    private readonly session: InstanceType<typeof native.TraceSession>,
    private readonly cookie: number,
  ) {}

  /** Starts the session (the caller holds the window slot); throws when ETW is refused (no rights). */
  static start(options: ProfileOptions): EtwWindow {
    const cookie = randomInt(1, 2 ** 31);
    const session = native.TraceSession.attach(process.pid, { markerCookie: cookie, allFds: options.allFds ?? false });
    return new EtwWindow(session, cookie);
  }

  /** Resolves once the session sees events. */
  async ready(): Promise<void> {
    await this.session.waitReady();
  }

  begin(): void {
    native.windowBegin(this.cookie);
  }

  async end(): Promise<Report> {
    native.windowEnd(this.cookie);
    this.session.stop();
    try {
      return parseOutcome(await this.session.wait());
    } finally {
      releaseWindow();
    }
  }
}
