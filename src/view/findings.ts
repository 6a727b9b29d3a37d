/**
 * Findings: the storage problems the reference tool was built to reveal,
 * named from a report with the numbers that show them. One list for every
 * front end (HTML page, notebook, terminal).
 */
import { humanBytes, thousands } from "./units";
import type { AccessSummary, FileReport, Report } from "../report";

export type FindingKind = "small-random-reads" | "small-random-writes" | "many-small-files" | "tiny-writes" | "fsync-per-write" | JobFindingKind;
/** A merged report's findings about the job, computed by the core (crates/iops-core/src/merge.rs). */
export type JobFindingKind = "one-rank-most-io" | "shared-file-small-writes" | "straggler";

export interface Finding {
  kind: FindingKind;
  /** One sentence with the numbers, e.g. "Many small random reads on /data/x: ...". */
  text: string;
  /** What usually helps. */
  advice: string;
  /** The file it is about, for the per-file findings. */
  path?: string;
}

/** Below this many operations (or files), nothing is "many". */
export const MANY = 100;
/** "Small" operations are under one page (the core counts them per file). */
export const SMALL_BYTES = 4096;
/** "Tiny" writes are under this size: each one is a syscall for a few hundred bytes. */
export const TINY_BYTES = 1024;
/** A file's mean size under this makes "many small files". */
export const SMALL_FILE_BYTES = 64 * 1024;
/** Per-file findings listed at most (the busiest first). */
const MAX_PER_KIND = 5;

const pct = (part: number, whole: number) => `${whole > 0 ? Math.round((100 * part) / whole) : 0}%`;

function smallRandom(f: FileReport, access: AccessSummary | null, ops: number, bytes: number, what: "reads" | "writes"): Finding | null {
  if (!access || ops < MANY) return null;
  const known = access.sequentialOps + access.stridedOps + access.randomOps;
  if (access.randomOps * 2 < known || known === 0 || access.smallOps * 2 < ops) return null;
  return {
    kind: what === "reads" ? "small-random-reads" : "small-random-writes",
    path: f.path,
    text:
      `Many small random ${what} on ${f.path}: ${thousands(ops)} ${what}, ${pct(access.randomOps, known)} at random offsets, ` +
      `${pct(access.smallOps, ops)} under 4 KiB (mean ${humanBytes(Math.round(bytes / ops))}).`,
    advice:
      what === "reads"
        ? "Read larger contiguous blocks, sort the accesses by offset, or load the file into memory once."
        : "Collect the records and write them in larger, ordered blocks.",
  };
}

/** The findings of a report, most specific first; empty when nothing stands out. */
export function findings(report: Report): Finding[] {
  // The core's findings come first (a merged report's, about the job).
  const out: Finding[] = (report.findings ?? []).map((f) => ({ kind: f.code as FindingKind, text: f.text, advice: f.advice, path: f.file ?? undefined }));
  const storageFiles = (report.files ?? []).filter((f) => f.kind === "file" || f.kind === "blockDevice");

  for (const what of ["reads", "writes"] as const) {
    const found = storageFiles
      .map((f) =>
        what === "reads"
          ? smallRandom(f, f.readAccess ?? null, f.readOps, f.readBytes, what)
          : smallRandom(f, f.writeAccess ?? null, f.writeOps, f.writeBytes, what),
      )
      .filter((x): x is Finding => x !== null);
    out.push(...found.slice(0, MAX_PER_KIND));
  }

  const m = report.metadataOps;
  const regular = storageFiles.filter((f) => f.kind === "file");
  if (m && m.opens >= MANY && regular.length >= MANY) {
    const bytes = regular.reduce((n, f) => n + f.readBytes + f.writeBytes, 0);
    const mean = bytes / regular.length;
    if (mean < SMALL_FILE_BYTES) {
      out.push({
        kind: "many-small-files",
        text: `Many small files: ${thousands(m.opens)} opens, ${thousands(regular.length)} files read or written, mean ${humanBytes(Math.round(mean))} per file.`,
        advice: "Pack small records into fewer, larger files (an archive, a table format, one file per batch).",
      });
    }
  }

  // Null counts (a source that cannot count operations) come without a histogram: no finding.
  const s = { writeOps: report.summary.writeOps ?? 0, writeBytes: report.summary.writeBytes ?? 0 };
  if (report.histogram && s.writeOps >= MANY) {
    const tiny = report.histogram.write.filter((b) => b.hi <= TINY_BYTES).reduce((n, b) => n + b.count, 0);
    if (tiny * 5 >= s.writeOps * 4) {
      out.push({
        kind: "tiny-writes",
        text: `Many tiny writes: ${thousands(s.writeOps)} writes, ${pct(tiny, s.writeOps)} under ${humanBytes(TINY_BYTES).replace(".00", "")} (mean ${humanBytes(Math.round(s.writeBytes / s.writeOps))}); consider buffering.`,
        advice: "Buffer the output (a write stream, BufWriter, a larger chunk size) so each syscall moves many KiB.",
      });
    }
  }

  if (m && m.fsyncs >= 10 && s.writeOps > 0 && m.fsyncs * 2 >= s.writeOps) {
    out.push({
      kind: "fsync-per-write",
      text: `fsync per write: ${thousands(m.fsyncs)} fsyncs for ${thousands(s.writeOps)} writes; each waits for the device.`,
      advice: "Sync once per batch or at the end, unless every single write must be durable on its own.",
    });
  }
  return out;
}
