/**
 * Loads the compiled addon: the file built in this package's folder (from
 * source), or the prebuilt one from this platform's npm package
 * (`@iops-profiler/binding-<platform>`, an optional dependency that npm
 * installs only where its os/cpu/libc match). When neither loads, it says in
 * one line what to do: never a bare "Cannot find module".
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

import type * as Binding from "../native";
import { PREBUILT_PLATFORMS, addonMissingMessage, platformSuffix } from "./platform";

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

/**
 * Node's diagnostic report, for the glibc version in its header. Without
 * the network section (half its cost); the caller's setting is restored.
 */
function libcReport(): object | undefined {
  // `excludeNetwork`: Node 20.13 and later (older ones ignore it).
  const report = process.report as (NodeJS.ProcessReport & { excludeNetwork?: boolean }) | undefined;
  if (!report) return undefined;
  const excluded = report.excludeNetwork;
  try {
    report.excludeNetwork = true;
    return report.getReport();
  } finally {
    report.excludeNetwork = excluded;
  }
}

const localBuild = (suffix: string): string => join(__dirname, "..", `iops-profiler.${suffix}.node`);

/**
 * On Linux, a build from source loads only on the libc it was built for:
 * trying it first spares the diagnostic report (about 10 ms of every start)
 * wherever one is there. The report decides only when none loads.
 */
function loadLocalLinux(): typeof Binding | undefined {
  for (const libc of ["gnu", "musl"]) {
    const local = localBuild(`linux-${process.arch}-${libc}`);
    if (!existsSync(local)) continue;
    let binding: typeof Binding;
    try {
      binding = require(local);
    } catch {
      // Built for the other libc, or damaged: the report tells which below.
      continue;
    }
    return checked(binding, local, REBUILD);
  }
  return undefined;
}

/**
 * `binding` (loaded from `where`), when it has every export this JavaScript
 * was compiled against (dist/native-exports.json, written from native.d.ts
 * by the TypeScript build); an addon left from an older build lacks some,
 * which would otherwise surface as "... is not a function" mid-run.
 */
function checked(binding: typeof Binding, where: string, remedy: string): typeof Binding {
  let expected: string[] = [];
  try {
    expected = require("./native-exports.json");
  } catch {
    // A build without the list (tsc run by hand): nothing to check against.
  }
  const missing = expected.filter((name) => !(name in binding));
  if (missing.length > 0) {
    const named = missing.slice(0, 3).join(", ") + (missing.length > 3 ? `, and ${missing.length - 3} more` : "");
    throw new Error(`the addon of iops-profiler (${where}) is older than its JavaScript (it lacks ${named}): ${remedy}`);
  }
  return binding;
}

const REBUILD = "rebuild it with `npm run build:native` (or `npm rebuild iops-profiler`)";

function load(): typeof Binding {
  if (process.platform === "linux") {
    const loaded = loadLocalLinux();
    if (loaded) return loaded;
  }
  const suffix = platformSuffix(process.platform, process.arch, process.platform === "linux" ? libcReport() : undefined);
  const local = localBuild(suffix);
  if (existsSync(local)) {
    let binding: typeof Binding;
    try {
      binding = require(local);
    } catch (e) {
      throw new Error(`the addon of iops-profiler built from source (${local}) does not load: ${firstLine(e)}; rebuild it with \`npm rebuild iops-profiler\``);
    }
    return checked(binding, local, REBUILD);
  }
  const pkg = `@iops-profiler/binding-${suffix}`;
  let prebuilt: typeof Binding | undefined;
  try {
    prebuilt = require(pkg);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Only "the package itself is not there" means missing; anything else
    // (a wrong glibc, a damaged file) is a load failure worth naming.
    if (err.code !== "MODULE_NOT_FOUND" || !String(err.message).includes(pkg)) {
      throw new Error(`the prebuilt addon of iops-profiler (${pkg}) does not load here: ${firstLine(e)}`);
    }
  }
  if (prebuilt) return checked(prebuilt, pkg, `install the ${pkg} of iops-profiler's own version`);
  throw new Error(addonMissingMessage(suffix, PREBUILT_PLATFORMS.includes(suffix)));
}

/**
 * Loaded at import, before any measured window can begin (loading inside
 * one would count the addon's own file I/O). When it does not load, the
 * error waits for the first use, so `iops --help` still works and the CLI
 * prints the reason as one line where a capture was asked for.
 */
function loadOrDefer(): typeof Binding {
  try {
    return load();
  } catch (e) {
    const failure = e as Error;
    return new Proxy({} as typeof Binding, {
      get() {
        throw failure;
      },
    });
  }
}

export const native: typeof Binding = loadOrDefer();
