/**
 * Discovered inputs: the files a task's recipe read that its rule does not
 * declare, as its depfile lists them (a compiler's `-MMD`: the headers).
 * Ninja's `deps = gcc` and ccache's direct-mode manifest are the models:
 *
 *   after a run   the depfile is parsed (reader/depfile.ts) and each file it
 *                 names inside the project, beyond the declared inputs and
 *                 outputs, is recorded with its content hash in the cache
 *                 record, next to the outputs (ActionRecord.discovered);
 *   deciding      a record is trusted only when every discovered input still
 *                 has the recorded hash; a changed or deleted one makes the
 *                 task run, and the reason names it. A deleted header is not
 *                 an error (the compiler decides whether it is still needed).
 *
 * They never enter the key: the key is what the Flowfile declares, so it
 * is the same before the first build (no depfile yet) and after it, and a
 * header edit reruns only the objects whose records name the header. The
 * cost falls on tasks with a depfile only: the others never call this file.
 *
 * Files outside the project (system headers, with `-MD`) are not recorded:
 * like the compiler itself, they are not in flow's view of a build.
 *
 * Rejected: the depfile's own bytes as an extra output. It would be
 * restored, but it would also enter every dependent's key (a link step
 * would rerun whenever an object's header list changed) and be checked as
 * an output; the record already holds what the next decision needs.
 */
import type { ContentHash, FileState } from "@flow/cache";
import { depfileInputs } from "../reader/depfile.js";
import type { Workspace } from "./build-host.js";
import type { ValueChange } from "./ingredient-diff.js";
import type { PlanReason } from "./plan-reason.js";
import type { Task } from "../graph/task-graph.js";
import { projectPath } from "../graph/depfile-name.js";

export type Discovered = readonly (readonly [string, ContentHash])[];

/**
 * Why a recorded result cannot be trusted, judged by its discovered inputs;
 * undefined when each has its recorded hash. A record without them (made
 * before the task had a depfile) knows nothing of what it read: it is not
 * trusted either (an empty list of changes says so).
 */
export function discoveredReason(recorded: readonly (readonly [string, string])[] | undefined, ws: Pick<Workspace, "inputState">): PlanReason | undefined {
  if (recorded === undefined) return { kind: "discovered-input-changed", changes: [] };
  let changes: ValueChange<string>[] | undefined;
  for (let i = 0; i < recorded.length; i++) {
    const [path, hash] = recorded[i] as readonly [string, string];
    const now = stateValue(ws.inputState(path));
    if (now !== hash) (changes ??= []).push({ name: path, old: hash, new: now });
  }
  return changes === undefined ? undefined : { kind: "discovered-input-changed", changes };
}

function stateValue(st: FileState): string | null {
  return st.kind === "file" ? st.hash : st.kind === "missing" ? null : st.kind;
}

export type RecordedDiscovered =
  | { readonly ok: true; readonly discovered: Discovered }
  /** A file the depfile names changed (or vanished) while the task ran: its result must not be cached. */
  | { readonly ok: false; readonly changed: string };

/**
 * What a finished run read, from its depfile's text (undefined: the recipe
 * wrote none, which records an empty list). `root` is the absolute project
 * root with a trailing `/`, for compilers that write absolute paths.
 */
export function recordDiscovered(task: Task, text: string | undefined, root: string, ws: Pick<Workspace, "inputState" | "recheckInput">): RecordedDiscovered {
  const named = text === undefined ? undefined : depfileInputs(text);
  if (named === undefined) return { ok: true, discovered: [] };
  const declared = new Set<string>(task.inputs);
  for (const o of task.outputs) declared.add(o.path);
  if (task.depfile !== undefined) declared.add(task.depfile);
  const out: [string, ContentHash][] = [];
  const seen = new Set<string>();
  for (const raw of named) {
    const p = projectPath(raw.startsWith(root) ? raw.slice(root.length) : raw);
    if (p === undefined || declared.has(p) || seen.has(p)) continue;
    seen.add(p);
    // The state the build saw, if it looked before, against the disk now: a header edited
    // while the compiler ran leaves a result that matches neither version.
    const before = ws.inputState(p);
    const after = ws.recheckInput(p);
    if (after.kind === "missing" || before.kind !== after.kind || (before.kind === "file" && after.kind === "file" && before.hash !== after.hash)) {
      return { ok: false, changed: p };
    }
    if (after.kind === "file") out.push([p, after.hash]);
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ok: true, discovered: out };
}
