// Entry point of the server process (started detached by start-server.ts):
//   node server-main.js ROOT IDLE_TIMEOUT_MS
// Its file name is the mark server-lock.ts looks for in /proc/PID/cmdline.
import { runServer } from "./server-process.js";

const [root, idleText] = process.argv.slice(2);
if (root === undefined || idleText === undefined || !/^[0-9]+$/.test(idleText)) {
  process.stderr.write("usage: server-main.js ROOT IDLE_TIMEOUT_MS\n");
  process.exit(2);
}
runServer({ root, idleTimeoutMs: Number(idleText) }).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`flow server: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(70);
  },
);
