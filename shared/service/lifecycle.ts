/** How a process ends: the one place every entry point registers its clean stop. */

/**
 * Runs `close` once, then exits, on Ctrl-C, SIGTERM, or — for a process the
 * launcher started — when the launcher goes away (its IPC channel closes),
 * however it ended: no server outlives `npm start`.
 */
export function stopOnExitSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.connected) process.once('disconnect', stop);
}
