#!/usr/bin/env node
/**
 * An "fs_usage" that ignores SIGINT and exits only on SIGTERM: for the test
 * that stopping fs_usage escalates to SIGTERM and waits for it, also through
 * sudo. It says on stdout (the trace file) when its handlers are in place.
 */
process.on("SIGINT", () => {});
process.on("SIGTERM", () => process.exit(0));
process.stdout.write("stubborn: ignoring SIGINT\n");
setInterval(() => {}, 1000);
