/**
 * The floor of any no-op build, as a command: start Node, read the Flowfile,
 * `statSync` every path listed in the file named by argv[2] (relative to the
 * working directory, one a line). `flow build` with everything up to date
 * minus this is what flow spends on parsing, the graph, keys and the cache.
 */
import { readFileSync, statSync } from "node:fs";

const list = process.argv[2];
if (list === undefined) {
  process.stderr.write("usage: statBaseline.js LIST\n");
  process.exit(2);
}
readFileSync("Flowfile");
let bytes = 0;
for (const path of readFileSync(list, "utf8").split("\n")) {
  if (path !== "") bytes += statSync(path).size;
}
process.stdout.write(`${bytes}\n`);
