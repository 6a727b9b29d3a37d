#!/usr/bin/env node
/**
 * An "fs_usage" that ignores SIGINT and exits only on SIGTERM, printing
 * nothing: for the test that stopping fs_usage escalates to SIGTERM and
 * waits for it, also through sudo.
 */
process.on("SIGINT", () => {});
process.on("SIGTERM", () => process.exit(0));
setInterval(() => {}, 1000);
