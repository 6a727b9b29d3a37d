#!/usr/bin/env node
/**
 * `npm run bench [-- section ...]`: runs the named benchmark sections, or all
 * of them, one after the other in this process. Each section is a module in
 * this folder exporting `run()`, which prints its own figures and sets
 * process.exitCode when what it measured was wrong (a miscount, say).
 */
const SECTIONS = {
  tracer: () => import("./tracer.mjs"),
  fidelity: () => import("./fidelity.mjs"),
  ebpf: () => import("./ebpf.mjs"),
  import: () => import("./import.mjs"),
  fs_usage: () => import("./fs_usage.mjs"),
  notebook: () => import("./notebook.mjs"),
  merge: () => import("./merge.mjs"),
};

async function main() {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((s) => !(s in SECTIONS));
  if (unknown.length > 0) {
    console.error(`unknown bench section: ${unknown.join(", ")} (sections: ${Object.keys(SECTIONS).join(", ")})`);
    process.exit(2);
  }
  for (const name of asked.length > 0 ? asked : Object.keys(SECTIONS)) {
    console.log(`\n=== bench: ${name} ===`);
    await (await SECTIONS[name]()).run();
  }
}

// Exit explicitly: nothing a section started (the profile() helper, say) may keep the bench alive.
main().then(
  () => process.exit(),
  (e) => {
    console.error(`bench failed: ${e.stack ?? e}`);
    process.exit(1);
  },
);
