/**
 * SIGINT/SIGTERM once: an AbortSignal the run watches (stop enqueuing, let
 * in-flight batches finish or stay queued in Redis for a resume). Twice: exit now.
 */
export function shutdownSignal(onFirst: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\nosfp: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    onFirst(signal);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
