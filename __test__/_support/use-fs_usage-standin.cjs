/**
 * Preloaded with `node -r` by __test__/fs_usage-live.spec.mjs: makes this
 * process's iops use the fs_usage source with the stand-in
 * (fs_usage-standin.mjs) in place of /usr/bin/fs_usage, through the
 * in-process hook the package keeps for tests (it honours no environment
 * variable for this). Everything else is the shipped CLI and API.
 */
const path = require("node:path");

require(path.join(__dirname, "..", "..", "dist", "sources", "select.js")).useFsUsageStandIn(
  path.join(__dirname, "fs_usage-standin.mjs"),
);
