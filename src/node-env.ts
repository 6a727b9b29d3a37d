/**
 * The environment of the Node processes iops starts for itself (the tracer
 * helper, the strace relay): the host's, less what would make that Node run
 * the host's code or options. A host's NODE_OPTIONS preload (an APM agent
 * printing a banner, --inspect on a fixed port) is for the host alone, and
 * an inherited IPC channel fd would collide with our own pipes.
 */
const HOST_ONLY = ["NODE_OPTIONS", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "NODE_UNIQUE_ID"];

/** `process.env` without the host-only variables (a copy). */
export function ownNodeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of HOST_ONLY) delete env[name];
  return env;
}
