/**
 * `node generateProject.js SIZE_DIR SIZE`: writes the project of SIZE tasks
 * into SIZE_DIR/template, every source and output path into SIZE_DIR/paths.txt,
 * and what the harness needs to know into SIZE_DIR/manifest.json.
 *
 * A process of its own so the harness stays small: the graph of 100,000
 * tasks takes about 1 GiB, and the cost of every process the harness spawns
 * (each timed build) grows with the harness's resident memory.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "./generate.js";
import { benchGraph } from "./graph.js";
import { shapeForSize, type Shape } from "./shape.js";

/** What generateProject.js tells the harness. */
export interface Manifest {
  shape: Shape;
  sources: number;
  tasks: number;
  editFile: string;
  dependentsOfEdit: number;
}

const [sizeDir, size] = process.argv.slice(2);
if (sizeDir === undefined || size === undefined) {
  process.stderr.write("usage: generateProject.js SIZE_DIR SIZE\n");
  process.exit(2);
}
const graph = benchGraph(shapeForSize(Number(size)));
generate(join(sizeDir, "template"), graph);
writeFileSync(join(sizeDir, "paths.txt"), [...graph.sources, ...graph.tasks.map((t) => t.output)].join("\n") + "\n");
const manifest: Manifest = {
  shape: graph.shape,
  sources: graph.sources.length,
  tasks: graph.tasks.length,
  editFile: graph.editFile,
  dependentsOfEdit: graph.dependentsOfEdit,
};
writeFileSync(join(sizeDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
