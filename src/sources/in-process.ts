/**
 * A window on this very process measured by a session of the binding in this
 * process (a source whose registry row has `window: "in-process"`): Windows'
 * ETW session on this process (the events come through the kernel's
 * buffers, not as I/O of ours), counting between the window's marks. An ETW
 * window waits about 1.5 s at its end for ETW's last buffers.
 */
import { randomInt } from "node:crypto";

import { native } from "../native";
import { parseOutcome, type Report, type Source } from "../report";
import { releaseWindow, type IopsWindow, type ProfileOptions } from "./capture";

export class InProcessWindow implements IopsWindow {
  readonly notice = null;
  private constructor(
    readonly method: Source,
    private readonly session: InstanceType<typeof native.TraceSession>,
    private readonly cookie: number,
  ) {}

  /** Starts the session of `method` (the caller holds the window slot); throws when the source is refused (ETW: no rights). */
  static start(method: Source, options: ProfileOptions): InProcessWindow {
    const cookie = randomInt(1, 2 ** 31);
    const session = native.TraceSession.attach(process.pid, { method, markerCookie: cookie, allFds: options.allFds ?? false });
    return new InProcessWindow(method, session, cookie);
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
