// @flow/cli's exports, for the bench harness and other programs that drive
// flow in-process. The `flow` binary itself starts at bin/flow.js -> main.
export { main } from "./main.js";
export { loadProject } from "./project/load-project.js";
export type { Project, ProjectRequest } from "./project/load-project.js";
