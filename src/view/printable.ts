/**
 * Text from a report, a log or the command line made safe to show on a
 * terminal. Every text front end (the table, the notebook's plain text, the
 * CLI's messages) goes through it.
 */

/**
 * Characters that would act on a terminal rather than show: C0 controls
 * (ESC starts escape sequences, CR and BS overwrite), DEL, C1 controls (CSI,
 * OSC...), and the bidirectional overrides that reorder what follows.
 */
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0x7f ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/**
 * Text made safe to print on a terminal: every character that is not
 * printable shows as an escape (`\x1b`, `\u009b`), so a file name or a
 * crafted report cannot move the cursor, set the title or hide text. Line
 * feeds are escaped too: the text stays on its line.
 */
export function printable(text: string): string {
  return String(text).replace(NOT_PRINTABLE, escapeChar);
}

/** printable() for text of several lines: the line feeds are kept. */
export function printableLines(text: string): string {
  return String(text).split("\n").map(printable).join("\n");
}

/** A file name, printable (see printable()). */
export const printablePath = printable;
