/** The handler of the command's current phase, if it has one (a build running its tasks). */
let current: ((again: boolean) => void) | undefined;

/**
 * Installs flow's SIGINT/SIGTERM handling for the whole run (main calls it
 * first). Outside a phase that handles interrupts itself (see onInterrupt),
 * that is while the Flowfile is read, the workspace lock is awaited or the
 * cache opened, nothing has started: flow says so and exits 130 at once
 * (Node's default would end it by the signal, without a word). The
 * workspace lock, if taken, is released by its exit handler.
 */
export function listenForInterrupts(): void {
  const on = () => {
    if (current !== undefined) {
      current(false);
      return;
    }
    process.stderr.write("flow: interrupted before any task started; nothing was run\n");
    process.exit(130);
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
}

/**
 * Ctrl-C handling while tasks run: the first SIGINT (or SIGTERM) asks running
 * tasks to stop (forwarded to their process groups, then a grace period); a
 * second one kills them at once. Returns a function that removes the handler.
 * Without listenForInterrupts (tests), it listens to the signals itself.
 */
export function onInterrupt(handler: (again: boolean) => void): () => void {
  let count = 0;
  const on = () => {
    count++;
    handler(count > 1);
  };
  const standalone = process.listenerCount("SIGINT") === 0;
  const previous = current;
  current = () => on();
  if (standalone) {
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  }
  return () => {
    current = previous;
    if (standalone) {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
    }
  };
}
