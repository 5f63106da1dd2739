/**
 * A periodic task that never overlaps itself: `runOnce()` starts a run unless one is in flight (then it
 * returns that run), the timer calls it every `intervalMs` without keeping the process alive, and `stop()`
 * clears the timer and waits for the run in flight. The task handles its own errors.
 */
export interface PeriodicTask<T> {
  runOnce(): Promise<T>;
  /** Stops the timer and waits for a running pass to finish. */
  stop(): Promise<void>;
}

export function startPeriodic<T>(task: () => Promise<T>, intervalMs: number): PeriodicTask<T> {
  let running: Promise<T> | undefined;
  const runOnce = (): Promise<T> => {
    running ??= task().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
