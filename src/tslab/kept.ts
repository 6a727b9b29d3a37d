/**
 * Reports kept by name in this kernel (`%%iops --save-as small`), for
 * `%iops compare small large`. One per name: a later cell saved under the
 * same name replaces it. Reports are small (bounded by files and bins).
 */
import type { Report } from "../report";

const kept = new Map<string, Report>();

export function keepReport(name: string, report: Report): void {
  kept.set(name, report);
}

/** The report kept as `name`; throws with one line naming what is kept. */
export function keptReport(name: string): Report {
  const r = kept.get(name);
  if (r) return r;
  const names = [...kept.keys()];
  throw new Error(
    `no report is kept as "${name}": ${names.length ? `kept are ${names.join(", ")}` : "none is kept yet"} (run a cell with %%iops --save-as ${name})`,
  );
}
