// bench:actions only, never the product: calls into a workflow's V8 context without a timeout. Node runs a `timeout`
// by starting a watchdog thread for the call and joining it after; the SDK passes its deadlock timeout
// (isolateExecutionTimeout: 5 s in a worker's workflow threads, 2^32 ms in the replayer's main thread) on every call.
// Preloaded with --import, so it applies in every thread of the child that replays.
import vm from 'node:vm';

type RunOptions = vm.RunningScriptOptions | undefined;

function withoutTimeout(options: RunOptions): RunOptions {
  if (!options || options.timeout === undefined) return options;
  const { timeout: _timeout, ...rest } = options;
  return rest;
}

{
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (this: vm.Script, context: vm.Context, options?: RunOptions) {
    return runInContext.call(this, context, withoutTimeout(options));
  };
  const run = vm.runInContext;
  vm.runInContext = (code: string, context: vm.Context, options?: RunOptions | string) =>
    run(code, context, typeof options === 'string' ? options : withoutTimeout(options));
}
