// @flow/cli's exports, for the bench harness and other programs that drive
// flow in-process. The `flow` binary itself starts at bin/flow.js -> main.
export { main } from "./main.js";
export { loadProject } from "./project/load-project.js";
export type { Project, ProjectRequest } from "./project/load-project.js";
// For `flow ui` and other readers of a project's products: earlier versions of an output the cache holds.
export { outputVersions, readOutputVersion } from "./history/output-versions.js";
export type { OutputVersion, VersionsContext } from "./history/output-versions.js";
