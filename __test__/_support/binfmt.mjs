/**
 * What a built addon file is, read with LLVM's object tools (Debian package
 * `llvm`), which understand ELF, Mach-O and PE alike: its format and CPU,
 * whether it exports the napi module entry point, and what it needs from
 * the system (libraries, glibc symbol versions, the minimum macOS).
 */
import { execFileSync } from "node:child_process";

const tool = (name, args) => execFileSync(name, args, { encoding: "utf8", maxBuffer: 64 << 20 });

/** "2.17" → [2, 17], for comparing versions. */
export const versionParts = (v) => v.split(".").map(Number);
export const versionAtMost = (v, max) => {
  const [a, b] = [versionParts(v), versionParts(max)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return true;
};

export function inspectAddon(file) {
  const headers = tool("llvm-readobj", ["--file-headers", file]);
  const format = /^Format: (.+)$/m.exec(headers)[1];
  const arch = /^Arch: (.+)$/m.exec(headers)[1];
  const info = { format, arch, exports: [], libraries: [], glibcMax: null, minMacos: null };
  if (format.startsWith("Mach-O")) {
    info.fileType = /FileType: (\w+)/.exec(headers)[1];
    info.exports = tool("llvm-nm", ["-g", "--defined-only", "--just-symbol-name", file]).split("\n").filter(Boolean);
    const commands = tool("llvm-objdump", ["--macho", "--private-headers", file]);
    // LC_BUILD_VERSION says "minos 11.0"; older targets get LC_VERSION_MIN_MACOSX "version 10.13".
    info.minMacos = (/\bminos ([\d.]+)/.exec(commands) ?? /LC_VERSION_MIN_MACOSX\s+cmdsize \d+\s+version ([\d.]+)/.exec(commands))?.[1] ?? null;
    const listed = (flag) =>
      tool("llvm-objdump", ["--macho", flag, file])
        .split("\n")
        .slice(1)
        .map((l) => l.trim().split(" (")[0])
        .filter(Boolean);
    const [id] = listed("--dylib-id"); // its own install name, which --dylibs-used lists too
    info.libraries = listed("--dylibs-used").filter((l) => l !== id);
  } else if (format.startsWith("elf")) {
    info.fileType = /Type: (\w+)/.exec(headers)[1];
    info.exports = tool("llvm-nm", ["-D", "--defined-only", "--just-symbol-name", file]).split("\n").filter(Boolean);
    const versions = tool("llvm-nm", ["-D", "--undefined-only", file]).match(/GLIBC_[\d.]+/g) ?? [];
    info.glibcMax = versions.map((v) => v.slice(6)).sort((a, b) => (versionAtMost(a, b) ? -1 : 1)).pop() ?? null;
    info.libraries = [...tool("llvm-readobj", ["--needed-libs", file]).matchAll(/^\s+(\S+\.so\S*)$/gm)].map((m) => m[1]);
  } else if (format.startsWith("COFF")) {
    info.fileType = /Characteristics[^]*?IMAGE_FILE_DLL/.test(headers) ? "DLL" : "EXE";
    info.exports = [...tool("llvm-readobj", ["--coff-exports", file]).matchAll(/Name: (\S+)/g)].map((m) => m[1]);
    info.libraries = [...tool("llvm-readobj", ["--coff-imports", file]).matchAll(/Name: (\S+\.dll)/gi)].map((m) => m[1]);
  }
  return info;
}
