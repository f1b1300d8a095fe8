// A plan reason as one line of text: `flow status`, `flow build --explain`
// and the plans' `reasonText`. Lists of names are cut after a few, with a
// count of the rest, so a header edited under 500 objects stays one line.
import type { PlanReason, ValueChange } from "@flow/graph";

const NAMES_SHOWN = 3;

export function reasonText(r: PlanReason): string {
  switch (r.kind) {
    case "new-task":
      return "new task (never built in this checkout)";
    case "forced":
      return "forced (--force)";
    case "always":
      return "always runs (.ALWAYS)";
    case "phony":
      return "phony: runs every time (list it in .CACHED to cache it)";
    case "schema-changed":
      return "flow's key format changed since its last run";
    case "recipe-changed":
      return "recipe changed";
    case "outputs-declared":
      return `declared outputs changed: ${list([...r.added.map((o) => `+${o}`), ...r.removed.map((o) => `-${o}`)])}`;
    case "input-changed":
      return inputsText(r.changes);
    case "discovered-input-changed":
      return r.changes.length === 0 ? "the inputs its depfile lists are not recorded (built without a depfile)" : `discovered ${inputsText(r.changes)}`;
    case "env-changed":
      return `env value changed: ${list(r.names)}`;
    case "variable-changed":
      return `exported variable changed: ${list(r.names)}`;
    case "dependency-changed":
      return `dependency output changed: ${list(r.names)}`;
    case "last-run-unknown":
      return "changed since its last run (whose cache entry is gone, so what changed is unknown)";
    case "not-in-cache":
      return "not in the cache (same ingredients as its last run)";
    case "outputs-missing":
      return `outputs missing: ${list(r.paths)}`;
    case "outputs-modified":
      return r.paths.length > 0 ? `outputs changed on disk: ${list(r.paths)}` : "outputs changed on disk";
    case "input-missing":
      return `input missing: ${r.path} (the build will fail)`;
    case "waiting-for":
      return `waits for ${list(r.names)}`;
    case "assumed":
      return "assumed fresh (--assume-fresh): not run, not checked";
    case "cannot-assume":
      return `cannot be assumed fresh (--assume-fresh): not a file on disk: ${list(r.paths)} (the build will fail)`;
    case "deps-restored":
      return `dependencies restored from the cache: ${list(r.names)}`;
  }
}

function inputsText(changes: readonly ValueChange<string>[]): string {
  // A discovered input is never added: a change whose new value is null is a deleted file.
  const added = changes.every((c) => c.old === null);
  const removed = changes.every((c) => c.new === null);
  const verb = added ? "added" : removed ? "removed" : "changed";
  const names = changes.map((c) => (added || removed || (c.old !== null && c.new !== null) ? c.name : `${c.name} (${c.old === null ? "added" : "removed"})`));
  return `input${changes.length > 1 ? "s" : ""} ${verb}: ${list(names)}`;
}

/** "a, b, c" or "a, b, c (+4 more)". */
export function list(names: readonly string[], shown = NAMES_SHOWN): string {
  if (names.length <= shown) return names.join(", ");
  return `${names.slice(0, shown).join(", ")} (+${names.length - shown} more)`;
}
