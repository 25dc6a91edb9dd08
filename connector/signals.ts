// Run until SIGINT/SIGTERM, then shut down gracefully once; a second signal exits at once.
export function untilSignal(shutdown: (signal: string) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) { process.exit(130); }
      stopping = true;
      shutdown(signal).then(resolve, (err: unknown) => {
        console.error(err instanceof Error ? err.message : String(err));
        resolve();
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
