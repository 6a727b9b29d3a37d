#!/usr/bin/env node
/**
 * A stand-in for macOS's `fs_usage -w -f filesys <pid>...` on Linux, to test
 * the orchestration in src/sources/fs_usage.ts (spawn, readiness probe,
 * stop by pid, output file, time-of-day window) on real calls of a real
 * process: it traces the pids with strace and prints each call the way
 * fs_usage's format_print() does (fs_usage.c), on the local time-of-day
 * clock. On SIGINT or SIGTERM (fs_usage handles both) it stops strace by
 * its pid, prints what is left, exits.
 * Not a model of fs_usage's coverage: only the calls the tests use.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const pids = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
// Handlers before strace exists: a SIGINT that came while Node still had
// none would end us at once and leave strace attached, with no one to stop it.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => strace.kill("SIGINT"));
const strace = spawn(
  "strace",
  ["-f", "-qq", "-ttt", "-T", "-e", "trace=read,write,pread64,pwrite64,openat,close,newfstatat,statx,stat,lstat,fstat", ...pids.flatMap((p) => ["-p", p])],
  { stdio: ["ignore", "ignore", "pipe"] },
);

const ERRNO = { EPERM: 1, ENOENT: 2, EBADF: 9, EAGAIN: 35, EACCES: 13, EISDIR: 21, EINVAL: 22 };
// strace's own format on stderr: "[pid N] " when several tasks are traced.
const LINE = /^(?:\[pid\s+(\d+)\] )?(\d+)\.(\d{6}) (\w+)\((.*)\) += (-?\d+|\?)(?: (E[A-Z0-9]+) \(.*\))? <(\d+)\.(\d{6})>$/;

/** fs_usage stamps a call with the time it completed; strace with the time it began. */
function tod(sec, usec, dsec, dusec) {
  const endUs = Number(sec) * 1e6 + Number(usec) + Number(dsec) * 1e6 + Number(dusec);
  const d = new Date(Math.floor(endUs / 1000));
  const two = (n) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(endUs % 1e6).padStart(6, "0")}`;
}

/** The top-level arguments of a call, split at commas outside quotes and brackets. */
function args(text) {
  const out = [];
  let depth = 0, quoted = false, cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      cur += c;
      if (c === "\\") cur += text[++i] ?? "";
      else if (c === '"') quoted = false;
    } else if (c === '"') (quoted = true), (cur += c);
    else if ("[{(".includes(c)) depth++, (cur += c);
    else if ("]})".includes(c)) depth--, (cur += c);
    else if (c === "," && depth === 0) out.push(cur.trim()), (cur = "");
    else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const unquote = (s) => (s?.startsWith('"') ? s.slice(1, s.lastIndexOf('"')) : "");
const err = (e) => `[${String(ERRNO[e] ?? 5).padStart(3)}]`;

function emit(m) {
  const [, tid, sec, usec, name, argText, ret, errno, dsec, dusec] = m;
  const a = args(argText);
  const ok = !errno;
  let call = name;
  let fields;
  if (["read", "write", "pread64", "pwrite64"].includes(name)) {
    call = name.replace("64", "");
    fields = `F=${a[0]}  ` + (ok ? `B=0x${Number(ret).toString(16)}` : err(errno));
    if (ok && name.startsWith("p")) fields += `  O=0x${Number(a[3]).toString(16).padStart(8, "0")}`;
  } else if (name === "openat") {
    call = "open";
    fields = (ok ? `F=${ret}      ` : `      ${err(errno)} `) + `(R_____)  ${unquote(a[1])}`;
  } else if (name === "close" || name === "fstat") {
    call = name === "fstat" ? "fstat64" : "close";
    fields = `F=${a[0]}` + (ok ? "" : err(errno));
  } else {
    const path = unquote(name === "stat" || name === "lstat" ? a[0] : a[1]);
    if (path === "") {
      call = "fstat64";
      fields = `F=${a[0]}`;
    } else {
      call = "stat64";
      fields = `${ok ? "     " : err(errno)}  ${path}`;
    }
  }
  process.stdout.write(`${tod(sec, usec, dsec, dusec)}  ${call.padEnd(17)} ${fields}   ${dsec}.${dusec}   node.${tid ?? pids[0]}\n`);
}

/** fs_usage <pid> shows the threads of that process, not its children (strace -f follows both). */
const groupOf = new Map();
function traced(tid) {
  if (tid === undefined) return true;
  if (!groupOf.has(tid)) {
    let tgid = null;
    try {
      tgid = /^Tgid:\s+(\d+)/m.exec(readFileSync(`/proc/${tid}/status`, "utf8"))?.[1] ?? null;
    } catch {}
    groupOf.set(tid, tgid);
  }
  return pids.includes(groupOf.get(tid));
}

createInterface({ input: strace.stderr }).on("line", (line) => {
  const m = LINE.exec(line);
  if (m && traced(m[1])) emit(m);
});
strace.on("exit", () => setTimeout(() => process.exit(0), 50));
