/**
 * Which prebuilt addon fits this machine, and what to tell the user when
 * none does. Pure functions of their inputs, so tests can ask about other
 * platforms than the one they run on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The napi-rs platform suffix: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
export function platformSuffix(platform: string, arch: string, report?: object): string {
  if (platform === "linux") {
    // Node reports the glibc it runs against; musl builds report none.
    const header = (report as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return `linux-${arch}-${header?.glibcVersionRuntime ? "gnu" : "musl"}`;
  }
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const SCOPE = "@iops-profiler/binding-";

/** The platforms with a prebuilt package: this package's optionalDependencies. */
export const PREBUILT_PLATFORMS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
  return Object.keys(pkg.optionalDependencies ?? {})
    .filter((name) => name.startsWith(SCOPE))
    .map((name) => name.slice(SCOPE.length));
})();

/** One line: why there is no addon here, and what to do about it. */
export function addonMissingMessage(suffix: string, prebuilt: boolean): string {
  const fromSource = "install Rust (https://rustup.rs) and run `npm rebuild iops-profiler` to build it from source";
  if (prebuilt) {
    return `the prebuilt addon of iops-profiler for ${suffix} (${SCOPE}${suffix}) is not installed: reinstall iops-profiler without --omit=optional, or ${fromSource}`;
  }
  return `iops-profiler has no prebuilt addon for ${suffix} (prebuilt: ${PREBUILT_PLATFORMS.join(", ")}): ${fromSource}`;
}
