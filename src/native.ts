/**
 * Loads the compiled addon: the file built in this package's folder (from
 * source), or the prebuilt one from this platform's npm package. When
 * neither exists, it says in one line what to do.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

import type * as Binding from "../native";

function platformSuffix(): string {
  const { platform, arch } = process;
  if (platform === "linux") {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const libc = report?.header?.glibcVersionRuntime ? "gnu" : "musl";
    return `linux-${arch}-${libc}`;
  }
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function load(): typeof Binding {
  const suffix = platformSuffix();
  const local = join(__dirname, "..", `iops-profiler.${suffix}.node`);
  if (existsSync(local)) return require(local);
  try {
    return require(`iops-profiler-${suffix}`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== "MODULE_NOT_FOUND") throw e;
  }
  throw new Error(
    `iops-profiler has no native addon for ${suffix}: install Rust (https://rustup.rs) and run \`npm rebuild iops-profiler\` to build it from source`,
  );
}

export const native: typeof Binding = load();
