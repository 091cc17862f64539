/** How a process ends: the one place every entry point registers its clean stop. */

/**
 * Runs `stop` once, then exits 0 (1 if it failed), on Ctrl-C, SIGTERM, or —
 * for a process the launcher started — when the launcher goes away (its IPC
 * channel closes), however it ended: no server outlives `npm start`. A
 * second signal while stopping ends the process at once.
 */
export function stopOnExitSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(1);
    stopping = true;
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (process.connected) process.once('disconnect', onSignal);
}
