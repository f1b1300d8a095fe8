// `flow build --watch`: build, then watch the project root with
// @parcel/watcher (a subscription in this process; no server needed) and
// build again when something changes, once no event has come for
// DEBOUNCE_MS. A change during a build queues exactly one more build.
//
// The build's own writes: `.flow/` (cache, logs, lock) is not watched at all.
// Outputs written into the tree are events like any other, so a build that
// wrote outputs is followed by one more build, which finds everything up to
// date and writes nothing, and the loop goes quiet. Telling outputs from
// inputs here would need the graph, and would hide a recipe that rewrites
// an input: that one rebuilds each round, as make would.
//
// Ctrl-C while waiting: stops watching and exits 130 (interrupted). Ctrl-C
// during a build is the build's (its tasks are stopped), and the loop ends
// with the build's exit code.
import type { Writable } from "node:stream";
import parcel from "@parcel/watcher";
import { findProjectRoot } from "../run/cache-dir.js";
import { onInterrupt } from "../run/interrupt.js";
import { EXIT } from "../exit-codes.js";

/** Quiet time after the last event before a build starts: an editor's save is several events. */
export const DEBOUNCE_MS = 200;

export interface WatchLoopOptions {
  readonly cwd: string;
  readonly dir: string | undefined;
  readonly file: string | undefined;
  /** Where the loop says what it does (the build's progress stream). */
  readonly out: Writable;
  /** One build; its exit code. */
  readonly build: () => Promise<number>;
  readonly debounceMs?: number;
}

export async function watchBuilds(opts: WatchLoopOptions): Promise<number> {
  const root = findProjectRoot(opts.cwd, opts.dir, opts.file);
  // No Flowfile: the build says so, once.
  if (root === undefined) return opts.build();
  const debounceMs = opts.debounceMs ?? DEBOUNCE_MS;
  let changed = false;
  let lastEvent = 0;
  let firstPath: string | undefined;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const sub = await parcel.subscribe(
    root,
    (err, events) => {
      if (err !== null) failure = err;
      else if (events.length > 0) {
        changed = true;
        lastEvent = Date.now();
        firstPath ??= events[0]?.path;
      }
      wake?.();
    },
    { ignore: [/^\.flow(?:\/|$)/] },
  );
  try {
    for (;;) {
      changed = false;
      firstPath = undefined;
      const code = await opts.build();
      if (code === EXIT.interrupted) return code;
      if (!changed) opts.out.write(`flow: watching ${root} for changes (Ctrl-C to stop)\n`);
      let interrupted = false;
      const stopListening = onInterrupt(() => {
        interrupted = true;
        wake?.();
      });
      try {
        // Wait for a change (or one made during the build), then for quiet.
        while (!interrupted && failure === undefined && (!changed || Date.now() - lastEvent < debounceMs)) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (changed) setTimeout(resolve, Math.max(1, debounceMs - (Date.now() - lastEvent)));
          });
          wake = undefined;
        }
      } finally {
        stopListening();
      }
      if (interrupted) {
        opts.out.write("flow: stopped watching\n");
        return EXIT.interrupted;
      }
      if (failure !== undefined) {
        opts.out.write(`flow: the file watcher failed (${failure.message}); stopped watching\n`);
        return EXIT.taskFailed;
      }
      opts.out.write(`flow: ${firstPath ?? "a file"} changed; building again\n`);
    }
  } finally {
    await sub.unsubscribe().catch(() => undefined);
  }
}
