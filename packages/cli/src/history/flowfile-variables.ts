// The Flowfile's variables as a run's environment file records them: the
// ones the Flowfile (and its includes) set, by name, secrets masked.
// Recursive variables (`=`) as written, unexpanded: expanding one could run
// a `$(shell)`, and what it expands to is in the recipes anyway.
import type { FlowfileModel } from "@flow/graph";
import type { SecretMask } from "./secrets.js";

/** [name, value] pairs, sorted by name. */
export type VariableList = readonly (readonly [string, string])[];

export function flowfileVariables(model: FlowfileModel, mask: SecretMask): VariableList {
  const out: [string, string][] = [];
  for (const name of model.globals.names()) {
    const v = model.globals.own(name);
    // Set by the Flowfile: not the environment's, make's defaults, the command line's (recorded apart) or flow's own list of files read.
    if (v === undefined || (v.origin !== "file" && v.origin !== "override") || name === "MAKEFILE_LIST") continue;
    out.push([name, mask.value(name, v.value)]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
