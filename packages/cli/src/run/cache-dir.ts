// Where a project's cache is: one rule for every command (build, status,
// explain, clean, cache), and where the project root is when the Flowfile
// must not be read.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Names tried when no -f is given (as load-project.ts does); here only to find the root, never parsed. */
const FLOWFILE_NAMES = ["Flowfile", "Makefile", "makefile"];

/** `--cache-dir`, else $FLOW_CACHE_DIR, else `.flow/` at the project root: the build's rule. */
export function resolveCacheDir(cwd: string, option: string | undefined, env: NodeJS.ProcessEnv, root: string): string;
export function resolveCacheDir(cwd: string, option: string | undefined, env: NodeJS.ProcessEnv, root: string | undefined): string | undefined;
export function resolveCacheDir(cwd: string, option: string | undefined, env: NodeJS.ProcessEnv, root: string | undefined): string | undefined {
  const chosen = option ?? (env["FLOW_CACHE_DIR"] || (root !== undefined ? join(root, ".flow") : undefined));
  return chosen === undefined ? undefined : resolve(cwd, chosen);
}

/** The directory of the Flowfile that -C/-f designate, without reading it (a broken Flowfile must not block cache upkeep). */
export function findProjectRoot(cwd: string, dir: string | undefined, file: string | undefined): string | undefined {
  const base = resolve(cwd, dir ?? ".");
  if (file !== undefined) return existsSync(resolve(base, file)) ? dirname(resolve(base, file)) : undefined;
  return FLOWFILE_NAMES.some((n) => existsSync(join(base, n))) ? base : undefined;
}

/** Where recipes' logs go: `.flow/logs` at the project root (never in the cache: logs belong to the checkout). */
export function logDirOf(root: string): string {
  return join(root, ".flow", "logs");
}
