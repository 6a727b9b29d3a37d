/**
 * How `%%iops --save-as <name>` and `%iops compare <a> <b>` are read,
 * checked without a kernel (notebook-compare-kernel.spec.mjs runs them in a
 * real tslab kernel).
 */
import { createRequire } from "node:module";
import path from "node:path";

import test from "ava";

import { ROOT } from "./_support/util.mjs";

const require = createRequire(import.meta.url);
const { planCell: planWith } = require(path.join(ROOT, "dist", "tslab", "magic.js"));
// The magics find which lines are code with TypeScript's scanner (the kernel's own copy; here the package's).
const ts = require("typescript");
const planCell = (source, runId) => planWith(source, runId, ts);
const { parseOptions } = require(path.join(ROOT, "dist", "tslab", "options.js"));

test("%iops compare goes alone in its cell with two names; --save-as takes a name", (t) => {
  t.deepEqual(planCell("%iops compare small large", 1), { kind: "compare", a: "small", b: "large" });
  t.deepEqual(planCell("\n  %iops compare a-1 b_2  \n", 1), { kind: "compare", a: "a-1", b: "b_2" });
  t.regex(planCell("%iops compare small", 1).message, /takes two names of reports kept with --save-as .*not 1$/);
  t.regex(planCell("%iops compare small large\nf();", 1).message, /goes alone in its cell/);
  t.is(planCell("%iops compare(a, b)", 1).kind, "run", "a statement calling compare() is profiled as any other");
  t.is(parseOptions("--save-as small").options.saveAs, "small");
  t.is(parseOptions("--save-as=run-2 --histogram").options.saveAs, "run-2");
  t.regex(planCell("%%iops --save-as 'two words'\nf();", 1).message, /--save-as needs a name of letters, digits, _ and -/);
});

