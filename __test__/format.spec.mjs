/**
 * The text report's number formatting: grouped by hand (toLocaleString's
 * first call loads ICU data, a large part of the CLI's start-up), it must
 * print exactly what toLocaleString("en-US") prints.
 */
import { createRequire } from "node:module";

import test from "ava";

const require = createRequire(import.meta.url);
const { localeFixed, thousands } = require("../dist/view/units.js");

/** Rounding edges (ties, carries through nines, -0), large and tiny values, non-finite ones. */
const EDGES = [
  0, -0, 1, -1, 9, 999, 1000, -1000, 999_999, 1_000_000, 123_456_789, 2 ** 53, 2 ** 53 + 2, 1e20, 1e21, 1e25, 0.5, -0.5, 1.5, 2.5,
  1.005, 2.675, 1.045, 8.345, 1234.565, -1234.565, 0.004, -0.004, 0.005, -0.005, 0.0049999, 9.995, 99.995, 999.995, 999_999.995,
  99_999.999, 0.125, 0.375, 1e-7, 1.5e-7, 0.0000015, NaN, Infinity, -Infinity,
];

/** A fixed pseudo-random sample over many magnitudes (xorshift; the same every run). */
function sample(n) {
  let x = 2463534242;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const out = [];
  for (let i = 0; i < n; i++) {
    const magnitude = 10 ** (Math.floor(next() * 22) - 4);
    out.push((next() - 0.25) * magnitude, Math.round(next() * magnitude) / 1000);
  }
  return out;
}

test("thousands() prints what Math.round(n).toLocaleString('en-US') prints", (t) => {
  for (const v of [...EDGES, ...sample(3_000)]) {
    const want = Math.round(v).toLocaleString("en-US");
    if (thousands(v) !== want) t.fail(`thousands(${v}) = ${thousands(v)}, toLocaleString: ${want}`);
  }
  t.is(thousands(4_096_000), "4,096,000");
  t.is(thousands(-1234.6), "-1,235");
});

test("localeFixed(n, d) prints what toLocaleString('en-US') with d fraction digits prints", (t) => {
  for (const v of [...EDGES, ...sample(3_000)]) {
    for (const d of [0, 1, 2, 3]) {
      const want = v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
      if (localeFixed(v, d) !== want) t.fail(`localeFixed(${v}, ${d}) = ${localeFixed(v, d)}, toLocaleString: ${want}`);
    }
  }
  t.is(localeFixed(1234.5, 2), "1,234.50");
  t.is(localeFixed(999.995, 2), "1,000.00");
});
