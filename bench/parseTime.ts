/**
 * One measurement of "parse and validate": in a fresh Node process, load the
 * measured flow's @flow/cli (argv[2]: its dist/index.js, so that --flow-bin
 * measures the same build), then time loadProject on the Flowfile of the
 * working directory: read it (with its includes), build the task graph and
 * validate it (existence of every input, cycles, duplicate outputs), as
 * every `flow build` and `flow status` does before anything runs. Nothing is
 * hashed, run or cached. Prints one JSON line:
 * {"ms": in-process time of loadProject, "tasks": N, "rules": N}.
 */
import { pathToFileURL } from "node:url";

const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write("usage: parseTime.js PATH/TO/packages/cli/dist/index.js\n");
  process.exit(2);
}
const cli = (await import(pathToFileURL(entry).href)) as typeof import("@flow/cli");
const t0 = performance.now();
const project = cli.loadProject({ cwd: process.cwd(), words: [], env: process.env });
const ms = performance.now() - t0;
if (!project.ok) {
  process.stderr.write(`parseTime: the Flowfile did not load: ${project.error.message}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ ms, tasks: project.value.graph.tasks.length, rules: project.value.model.rules.length })}\n`);
