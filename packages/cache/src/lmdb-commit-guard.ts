// lmdb-js opens each batch of asynchronous writes with a promise of its own
// that no caller can reach. When that batch fails to commit (MDB_BAD_TXN on
// a damaged page), the promise's rejection is unhandled and Node ends the
// process with exit 1 and a stack trace: a damaged env failed every build,
// though each write flow makes has its own handler. Such a rejection (an
// Error carrying lmdb-js's `commitError`) goes to the caches open in this
// process instead; any other unhandled rejection is rethrown, which ends the
// process as Node would have. The listener stays once installed: a failed
// commit can surface after the cache that made it was closed.
import { absorbCommitError } from "./cache-warning.js";

type CommitFailureSink = (err: Error) => void;

const sinks = new Set<CommitFailureSink>();
let installed = false;

function onUnhandledRejection(reason: unknown): void {
  if (!(reason instanceof Error && "commitError" in reason)) throw reason;
  // Its `commitError` is a second promise nobody holds, rejected with the cause.
  absorbCommitError(reason);
  for (const sink of sinks) sink(reason);
}

/** Routes lmdb-js's unobservable commit failures to `sink` until the returned function is called. */
export function onLmdbCommitFailure(sink: CommitFailureSink): () => void {
  if (!installed) {
    installed = true;
    process.on("unhandledRejection", onUnhandledRejection);
  }
  sinks.add(sink);
  return () => sinks.delete(sink);
}
