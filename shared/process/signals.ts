// The one way a Hookbridge process waits for its end: run until SIGINT or SIGTERM, then shut down
// gracefully once. A second signal means the person (or the kubelet, after its grace period) is done
// waiting, so it exits at once rather than starting a second shutdown over the first.
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): never;
}

export interface UntilSignalOptions {
  /** Exit code of a second signal (default 130, as a shell reports ^C). */
  secondSignalExitCode?: number;
  /** Told about the second signal just before the exit (a log line). */
  onSecondSignal?: (signal: NodeJS.Signals) => void;
  /** A failed shutdown is reported here and the promise still resolves: the process is ending anyway. */
  onShutdownError?: (err: unknown) => void;
  /** The process by default; tests pass an EventEmitter. */
  target?: SignalTarget;
}

/** Resolves once `shutdown` has finished after the first SIGINT or SIGTERM. */
export function untilSignal(shutdown: (signal: NodeJS.Signals) => Promise<void>, o: UntilSignalOptions = {}): Promise<void> {
  const target = o.target ?? process;
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (stopping) {
        o.onSecondSignal?.(signal);
        target.exit(o.secondSignalExitCode ?? 130);
        return;
      }
      stopping = true;
      shutdown(signal).then(resolve, (err: unknown) => {
        (o.onShutdownError ?? printError)(err);
        resolve();
      });
    };
    target.on('SIGINT', handler);
    target.on('SIGTERM', handler);
  });
}

function printError(err: unknown): void {
  console.error(err instanceof Error ? err.message : String(err));
}
