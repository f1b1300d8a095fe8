// What `flow ui` tells open pages, through Server-Sent Events: a build
// started (the workspace lock appeared), a build ended (it went), a run was
// recorded (.flow/runs changed), or project files changed (outputs written
// or removed, sources edited). @parcel/watcher watches the project root, so
// a build in another terminal updates the page live. The rest of `.flow/`
// (the cache's database, the blob store, logs) is ignored: planning writes
// the stat memo there, and a page that re-plans on every change it causes
// itself would never stop. Events are gathered for DEBOUNCE_MS, so a build
// writing a thousand files sends a handful of messages, not a thousand.
import { relative, sep } from "node:path";
import watcher from "@parcel/watcher";

export type UiEventType = "build-start" | "build-end" | "runs" | "files";

export const DEBOUNCE_MS = 150;

/** Directories never watched (their changes are not the project's products). */
const IGNORED = [".git", "node_modules"];

export interface UiEvents {
  /** Calls `listener` with each batch of event types; returns the unsubscribe. */
  subscribe(listener: (types: readonly UiEventType[]) => void): () => void;
  close(): Promise<void>;
}

/** The kind of change a path under the root is, or undefined for one the page does not care about. */
export function eventOf(root: string, cacheDir: string, path: string, type: "create" | "update" | "delete"): UiEventType | undefined {
  const cacheRel = relative(root, cacheDir).split(sep).join("/");
  const rel = relative(root, path).split(sep).join("/");
  if (rel === ".flow/lock") return type === "delete" ? "build-end" : type === "create" ? "build-start" : undefined;
  if (rel === ".flow/runs" || rel.startsWith(".flow/runs/")) return "runs";
  if (rel === ".flow" || rel.startsWith(".flow/")) return undefined;
  if (cacheRel !== "" && !cacheRel.startsWith("..") && (rel === cacheRel || rel.startsWith(`${cacheRel}/`))) return undefined;
  return "files";
}

export async function watchProject(root: string, cacheDir: string, onError: (message: string) => void): Promise<UiEvents> {
  const listeners = new Set<(types: readonly UiEventType[]) => void>();
  let pending = new Set<UiEventType>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const types = [...pending];
    pending = new Set();
    for (const l of listeners) l(types);
  };
  const sub = await watcher.subscribe(
    root,
    (err, events) => {
      if (err) {
        onError(err.message);
        return;
      }
      for (const e of events) {
        const t = eventOf(root, cacheDir, e.path, e.type);
        if (t !== undefined) pending.add(t);
      }
      if (pending.size > 0 && timer === undefined) timer = setTimeout(flush, DEBOUNCE_MS);
    },
    { ignore: IGNORED },
  );
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (timer !== undefined) clearTimeout(timer);
      listeners.clear();
      await sub.unsubscribe();
    },
  };
}
