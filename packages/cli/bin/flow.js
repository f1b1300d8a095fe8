#!/usr/bin/env -S node --no-concurrent-recompilation
// The V8 flag above is not decoration: with lmdb, fast-glob, p-queue and
// clipanion loaded together, Node hangs at exit in ~10% of runs without it
// (nodejs/node#54918; see docs/architecture.md). NODE_OPTIONS cannot carry it.
import { main } from "../dist/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`flow: internal error (a bug in flow, please report it):\n${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
