export interface Repeating {
  /** Stops the timer and waits for a run in progress to end. */
  stop(): Promise<void>;
}

/**
 * Runs `task` now and then every `intervalMs`, one run at a time, on a timer that does not keep the
 * process alive. A run that fails is reported to `onFailure` and tried again at the next turn.
 */
export function repeatEvery(
  intervalMs: number,
  task: () => Promise<void>,
  onFailure: (error: unknown) => void,
): Repeating {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await task();
      } catch (error) {
        onFailure(error);
      }
    });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
