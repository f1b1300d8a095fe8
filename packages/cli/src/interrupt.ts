/**
 * Ctrl-C handling: the first SIGINT (or SIGTERM) asks running tasks to stop
 * (forwarded to their process groups, then a grace period); a second one
 * kills them at once. Returns a function that removes the handlers.
 */
export function onInterrupt(handler: (again: boolean) => void): () => void {
  let count = 0;
  const on = () => {
    count++;
    handler(count > 1);
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
  return () => {
    process.off("SIGINT", on);
    process.off("SIGTERM", on);
  };
}
