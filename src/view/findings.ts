/**
 * Findings: what a report's figures show that a reader can act on, with
 * the numbers that show them. The Rust core computes them with the report
 * (`report.findings`, crates/iops-core/src/findings/), so `--json`,
 * `profile()` and every front end carry the same list; a report saved
 * before reports carried them gets them computed from its figures, by the
 * same code.
 */
import { native } from "../native";
import type { Finding, Report } from "../report";

export type { Finding } from "../report";
/** A finding's stable code ("fsync-heavy", "many-small-files", ...). */
export type FindingKind = Finding["code"];

/** The findings of `report`, most important first; empty when nothing stands out. */
export function findings(report: Report): Finding[] {
  if (Array.isArray(report.findings)) return report.findings;
  return JSON.parse(native.reportFindings(JSON.stringify(report))) as Finding[];
}
