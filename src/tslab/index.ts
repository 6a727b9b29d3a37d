/**
 * `import "iops-profiler/tslab";` in a tslab notebook cell turns on the
 * `%iops` and `%%iops` magics in the running kernel (loading it again does
 * nothing). See options.ts for the magics' help text.
 */
import { KernelTraffic } from "./host-traffic";
import { findKernel } from "./kernel";
import { RUNTIME_KEY } from "./magic";
import { MagicRuntime } from "./runtime";

const INSTALLED = Symbol.for("iops-profiler.tslab.installed");

function install(): void {
  const kernel = findKernel();
  const proto = kernel.handlerPrototype as typeof kernel.handlerPrototype & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const runtime = new MagicRuntime(kernel, KernelTraffic.atLoad());
  Reflect.set(globalThis, Symbol.for(RUNTIME_KEY), runtime);
  const handleExecuteImpl = proto.handleExecuteImpl;
  // Each cell goes through handleExecuteImpl(); from there the handler's
  // executor is reachable, and adopted before the cell runs.
  proto.handleExecuteImpl = function (...args: unknown[]) {
    runtime.adopt(this.executor);
    return handleExecuteImpl.apply(this, args);
  };
  proto[INSTALLED] = true;
}

install();

export { HELP } from "./options";
