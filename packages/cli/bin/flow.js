#!/usr/bin/env -S node --no-concurrent-recompilation
// The V8 flag above is not decoration: with lmdb, fast-glob, p-queue and
// clipanion loaded together, Node hangs at exit in ~10% of runs without it
// (nodejs/node#54918; see docs/architecture.md). NODE_OPTIONS cannot carry it.
import { thinBuild } from "../dist/server/thin-client.js";

const argv = process.argv.slice(2);
// A build the project's watching server knows to be a no-op is answered before flow is loaded
// (docs/server.md); anything else, or any doubt, runs the full flow.
const thin = await thinBuild(argv).catch(() => undefined);
if (thin !== undefined) process.exitCode = thin;
else {
  const { main } = await import("../dist/main.js");
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`flow: internal error (a bug in flow, please report it):\n${err?.stack ?? err}\n`);
      process.exitCode = 70;
    },
  );
}
