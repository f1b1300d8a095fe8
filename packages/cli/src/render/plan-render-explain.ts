// `flow explain TASK` as text: the task's state and reason, then each part of
// its key against the same part at its last successful run.
//
//   build/words.o: stale (will run): input changed: src/words.c
//   key       6c1f...  (last run 0e9a...)
//
//   inputs: 1 of 3 changed
//     changed  src/words.c
//              old 1f0c...
//              new 93ab...
//   recipe: unchanged
//   env: none declared
//   exported variables: none
//   dependencies' outputs: none
import { lineDiff, type DepValue, type Ingredients, type PlanState, type TaskExplanation, type ValueChange } from "@flow/graph";
import { reasonText } from "./plan-render-reason.js";

const STATE: Readonly<Record<PlanState, string>> = {
  fresh: "fresh (up to date)",
  cached: "cached (outputs will be restored from the cache)",
  stale: "stale (will run)",
  waiting: "waiting (its key is known once its dependencies have run)",
};

/** Unchanged entries listed per section, before "and N more". */
const UNCHANGED_SHOWN = 10;

export function explanationText(x: TaskExplanation): string {
  const out: string[] = [];
  out.push(`${x.task.name}: ${STATE[x.state]}${x.reason ? `: ${reasonText(x.reason)}` : ""}`);
  out.push(`key       ${x.key ?? "(not known yet)"}${x.lastKey !== undefined ? `  (last run ${x.lastKey})` : ""}`);
  out.push("");
  if (x.lastRun === "none") out.push("no successful run in this checkout: its current ingredients, with nothing to compare", "");
  if (x.lastRun === "gone") out.push("its last run's cache entry is gone: its current ingredients, with nothing to compare", "");
  const before = x.before;
  inputs(out, x.now, before, x.diff?.inputs);
  recipe(out, x.now, before);
  env(out, x.now, before);
  exported(out, x.now, x.diff?.exported, before !== undefined);
  deps(out, x, before);
  if (x.diff && (x.diff.outputsAdded.length > 0 || x.diff.outputsRemoved.length > 0)) {
    out.push("declared outputs: changed");
    for (const o of x.diff.outputsAdded) out.push(`  added    ${o}`);
    for (const o of x.diff.outputsRemoved) out.push(`  removed  ${o}`);
  }
  if (x.diff?.schemaChanged) out.push(`key format: changed (schema ${before?.schema} -> ${x.now.schema})`);
  return `${out.join("\n")}\n`;
}

function inputs(out: string[], now: Ingredients, before: Ingredients | undefined, changes: readonly ValueChange<string>[] | undefined): void {
  if (!before || !changes) {
    out.push(now.inputs.length === 0 ? "inputs: none" : `inputs: ${now.inputs.length}`);
    for (const [p, h] of now.inputs.slice(0, UNCHANGED_SHOWN)) out.push(`  ${p}  ${h}`);
    more(out, now.inputs.length - UNCHANGED_SHOWN);
    return;
  }
  const total = new Set([...now.inputs.map(([p]) => p), ...before.inputs.map(([p]) => p)]).size;
  out.push(total === 0 ? "inputs: none" : changes.length === 0 ? `inputs: ${total}, unchanged` : `inputs: ${changes.length} of ${total} changed`);
  for (const c of changes) {
    const what = c.old === null ? "added" : c.new === null ? "removed" : "changed";
    out.push(`  ${what.padEnd(8)} ${c.name}`);
    if (c.old !== null) out.push(`           old ${c.old}`);
    if (c.new !== null) out.push(`           new ${c.new}`);
  }
}

function recipe(out: string[], now: Ingredients, before: Ingredients | undefined): void {
  if (before && before.recipe === now.recipe) {
    out.push("recipe: unchanged");
    return;
  }
  out.push(before ? "recipe: changed" : "recipe:");
  const lines = before ? lineDiff(before.recipe, now.recipe) : lineDiff(now.recipe, now.recipe);
  for (const l of lines) out.push(`  ${l.op} ${l.line}`.trimEnd());
}

function env(out: string[], now: Ingredients, before: Ingredients | undefined): void {
  const names = [...new Set([...now.env.map(([n]) => n), ...(before?.env ?? []).map(([n]) => n)])].sort();
  if (names.length === 0) {
    out.push("env: none declared");
    return;
  }
  const cur = new Map(now.env);
  const old = new Map(before?.env ?? []);
  const changed = before ? names.filter((n) => cur.get(n) !== old.get(n) || cur.has(n) !== old.has(n)) : [];
  out.push(before ? `env: ${changed.length === 0 ? "unchanged" : `${changed.length} of ${names.length} changed`}` : "env:");
  for (const n of names) {
    if (changed.includes(n)) out.push(`  changed  ${n}: ${envValue(old, n)} -> ${envValue(cur, n)}`);
    else out.push(`           ${n}=${envValue(cur, n)}`);
  }
}

function envValue(m: ReadonlyMap<string, string | null>, n: string): string {
  if (!m.has(n)) return "(not declared)";
  const v = m.get(n);
  return v === null || v === undefined ? "(unset)" : JSON.stringify(v);
}

function exported(out: string[], now: Ingredients, changes: readonly ValueChange<string>[] | undefined, compared: boolean): void {
  if (!compared || !changes) {
    out.push(now.exported.length === 0 ? "exported variables: none" : "exported variables:");
    for (const [n, v] of now.exported) out.push(`           ${n}=${JSON.stringify(v)}`);
    return;
  }
  if (changes.length === 0) {
    out.push(now.exported.length === 0 ? "exported variables: none" : `exported variables: ${now.exported.length}, unchanged`);
    return;
  }
  out.push(`exported variables: ${changes.length} changed`);
  const show = (v: string | null) => (v === null ? "(not exported)" : JSON.stringify(v));
  for (const c of changes) out.push(`  changed  ${c.name}: ${show(c.old)} -> ${show(c.new)}`);
}

function deps(out: string[], x: TaskExplanation, before: Ingredients | undefined): void {
  const total = x.task.deps.length;
  if (total === 0) {
    out.push("dependencies' outputs: none");
    return;
  }
  const changes = x.diff?.deps ?? [];
  const known = x.now.deps.length;
  const parts: string[] = [];
  const unchanged = total - changes.filter((c) => c.new !== null).length - x.pendingDeps.length;
  if (before && unchanged > 0) parts.push(`${unchanged} unchanged`);
  if (changes.length > 0) parts.push(`${changes.length} changed`);
  if (x.pendingDeps.length > 0) parts.push(`${x.pendingDeps.length} not known yet`);
  out.push(`dependencies' outputs: ${total}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`);
  for (const c of changes) {
    const what = c.old === null ? "added" : c.new === null ? "removed" : "changed";
    out.push(`  ${what.padEnd(8)} ${c.name}`);
    for (const line of depValueDiff(c.old, c.new)) out.push(`           ${line}`);
  }
  for (const n of x.pendingDeps) out.push(`  pending  ${n} (stale or waiting: its outputs are known once it runs)`);
  if (!before) {
    for (const [n, v] of x.now.deps.slice(0, UNCHANGED_SHOWN)) out.push(`           ${n}: ${typeof v === "string" ? `key ${v}` : v.map(([p, h]) => `${p} ${h}`).join(", ")}`);
    more(out, known - UNCHANGED_SHOWN);
  }
}

/** Per output path: old and new hash; or a phony dependency's old and new key. */
function depValueDiff(old: DepValue | null, cur: DepValue | null): string[] {
  if (typeof old === "string" || typeof cur === "string") return [`key ${typeof old === "string" ? old : "-"} -> ${typeof cur === "string" ? cur : "-"}`];
  const a = new Map((old ?? []).map(([p, h, m]) => [p, `${h} mode ${m.toString(8)}`] as const));
  const b = new Map((cur ?? []).map(([p, h, m]) => [p, `${h} mode ${m.toString(8)}`] as const));
  const lines: string[] = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(p) === b.get(p)) continue;
    lines.push(p);
    lines.push(`  old ${a.get(p) ?? "(none)"}`);
    lines.push(`  new ${b.get(p) ?? "(none)"}`);
  }
  return lines;
}

function more(out: string[], n: number): void {
  if (n > 0) out.push(`  ... and ${n} more`);
}
