/**
 * Numbers as every front end shows them: thousands separators, bytes in
 * powers of 1024 with the binary prefixes that say so ("3.91 MiB": one
 * convention everywhere, IEC 80000-13), durations, counts of things with
 * their noun. Pure functions, no locale data.
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 4096000 → "4,096,000" (rounded to an integer). */
export function thousands(n: number): string {
  return localeFixed(Math.round(n), 0);
}

/**
 * `n` with `digits` decimals and commas, exactly as
 * `toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })`
 * prints it (rounding the shortest decimal form, ties away from zero), but
 * by hand: the first toLocaleString of a process loads ICU's locale data,
 * a fifth of `iops import`'s start-up.
 */
export function localeFixed(n: number, digits: number): string {
  const text = String(Math.abs(n));
  if (!Number.isFinite(n) || text.includes("e")) {
    return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  const [int, frac = ""] = text.split(".");
  let all = int + frac.slice(0, digits).padEnd(digits, "0");
  if (frac.length > digits && frac.charCodeAt(digits) >= 53 /* "5" */) {
    // Add one in the last place, carrying through nines.
    let i = all.length - 1;
    while (i >= 0 && all[i] === "9") i--;
    all = (i < 0 ? "1" : all.slice(0, i) + String(Number(all[i]) + 1)) + "0".repeat(all.length - 1 - i);
  }
  const head = all.slice(0, all.length - digits);
  const sign = n < 0 || Object.is(n, -0) ? "-" : "";
  return sign + head.replace(/\B(?=(\d{3})+$)/g, ",") + (digits > 0 ? `.${all.slice(all.length - digits)}` : "");
}

/** 4096000 → "3.91 MiB" (powers of 1024); under 1024 → "512 B". */
export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${UNITS[u]}`;
}

/**
 * A rate in bytes per second, as every front end shows one (the summary's
 * throughput, `iops compare`, the charts' text): two decimals in its unit,
 * below 1 KiB/s too: 9.99508 → "9.995 B/s" is "10.00 B/s"; 4096000 →
 * "3.91 MiB/s". A byte count is whole; a rate is not.
 */
export function humanRate(bytesPerSecond: number): string {
  return bytesPerSecond < 1024 ? `${localeFixed(bytesPerSecond, 2)} B/s` : `${humanBytes(bytesPerSecond)}/s`;
}

/** 4096000 → "3.91 MiB (4,096,000 bytes)"; 1 → "1 byte". */
export function bytesWithExact(n: number): string {
  return n < 1024 ? count(n, "byte") : `${humanBytes(n)} (${thousands(n)} bytes)`;
}

/** A power-of-two size as a short label: 4096 → "4 KiB", 1536 → "1.50 KiB", 0 → "0 B". */
export function sizeLabel(n: number): string {
  return humanBytes(n).replace(".00 ", " ");
}

/**
 * `n` things, with thousands separators and the noun in the number it
 * takes: count(1, "read") → "1 read", count(4016, "open") → "4,016 opens",
 * count(2, "directory read", "directory reads"). The plural is the noun
 * with "s" unless given.
 */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${thousands(n)} ${n === 1 ? one : many}`;
}

/** Seconds → "1.234 s", "12.345 ms" or "3.4 µs". */
export function humanDuration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(3)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

/** The units of `timeScale`, largest first: name, seconds. */
const TIME_UNITS: [string, number][] = [
  ["s", 1],
  ["ms", 1e-3],
  ["µs", 1e-6],
  ["ns", 1e-9],
];

/**
 * Labels for times `step` seconds apart (the rows or columns of a text
 * chart): in the largest of s, ms, µs and ns in which `step` is at least 1
 * (ns below that), with the decimals `step` needs there at 3 significant
 * digits, so that every multiple of `step` reads as itself: "0 µs", "20 µs",
 * "40 µs"; "0 ms", "1.5 ms", "3 ms".
 */
export function timeScale(step: number): (seconds: number) => string {
  const [unit, size] = TIME_UNITS.find(([, s]) => step >= s) ?? TIME_UNITS[TIME_UNITS.length - 1];
  const decimals = (String(+(step / size).toPrecision(3)).split(".")[1] ?? "").length;
  return (seconds) => `${+(seconds / size).toFixed(decimals)} ${unit}`;
}

/** Nanoseconds → as humanDuration. */
export function humanNs(ns: number): string {
  return humanDuration(ns / 1e9);
}
