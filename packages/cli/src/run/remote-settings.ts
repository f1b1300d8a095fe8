// The remote cache as the CLI sets it up: flags and FLOW_REMOTE_* read once,
// the tier opened next to the local cache, and closed with a bounded wait
// for its uploads.
//
//   --remote-url URL        FLOW_REMOTE_URL          the server (Turborepo v8 API)
//   (environment only)      FLOW_REMOTE_TOKEN        its Bearer token
//   --remote-team TEAM      FLOW_REMOTE_TEAM         teamId (team_...) or slug; default "flow"
//   (environment only)      FLOW_REMOTE_SIGNING_KEY  sign uploads, refuse unsigned artifacts
//   --remote-read-only      FLOW_REMOTE_READ_ONLY=1  look up only, never upload
//   --no-remote                                      ignore the above
//   FLOW_REMOTE_TIMEOUT_MS (5000), FLOW_REMOTE_FLUSH_TIMEOUT_MS (30000)
//
// The token and the signing key are read from the environment only: a flag
// would put them in process listings and shell history. Neither is ever
// printed: messages name the server by describeUrl (no credentials, no query).
import { asIngredients } from "@flow/graph";
import { describeUrl, type ActionRecord, type CacheWarning, type Hasher, type RemoteConfig } from "@flow/cache";
import type { RemoteTier } from "@flow/cache/remote";
import { join } from "node:path";
import type { RemoteReport } from "../render/remote-summary.js";

export interface RemoteFlags {
  readonly url: string | undefined;
  readonly team: string | undefined;
  readonly readOnly: boolean;
  readonly off: boolean;
}

export interface RemoteSettings {
  readonly config: RemoteConfig;
  /** How long the end of a build waits for its uploads. */
  readonly flushTimeoutMs: number;
}

export type RemoteSetup =
  | { readonly ok: true; readonly settings: RemoteSettings | undefined; readonly warning?: CacheWarning }
  /** A configuration mistake (a malformed URL or number): a usage error. */
  | { readonly ok: false; readonly message: string };

export const DEFAULT_TEAM = "flow";
export const FLUSH_TIMEOUT_MS = 30_000;

export function remoteSetup(flags: RemoteFlags, env: NodeJS.ProcessEnv): RemoteSetup {
  const url = flags.url ?? nonEmpty(env.FLOW_REMOTE_URL);
  if (flags.off || url === undefined) return { ok: true, settings: undefined };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, message: `the remote cache URL is not a URL: ${JSON.stringify(describeUrl(url))}; give http(s)://host:port` };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return { ok: false, message: `the remote cache URL must be http:// or https://, got ${parsed.protocol}` };
  const token = nonEmpty(env.FLOW_REMOTE_TOKEN);
  if (token === undefined) {
    // A pull request from a fork gets no secrets: that must not fail its build.
    return { ok: true, settings: undefined, warning: { code: "REMOTE_UNAVAILABLE", message: `a remote cache is set (${describeUrl(url)}) but FLOW_REMOTE_TOKEN is not; building without it` } };
  }
  const timeoutMs = msFrom(env.FLOW_REMOTE_TIMEOUT_MS, "FLOW_REMOTE_TIMEOUT_MS");
  const flushTimeoutMs = msFrom(env.FLOW_REMOTE_FLUSH_TIMEOUT_MS, "FLOW_REMOTE_FLUSH_TIMEOUT_MS");
  if (typeof timeoutMs === "string") return { ok: false, message: timeoutMs };
  if (typeof flushTimeoutMs === "string") return { ok: false, message: flushTimeoutMs };
  const signingKey = nonEmpty(env.FLOW_REMOTE_SIGNING_KEY);
  const config: RemoteConfig = {
    url,
    token,
    team: flags.team ?? nonEmpty(env.FLOW_REMOTE_TEAM) ?? DEFAULT_TEAM,
    readOnly: flags.readOnly || isTrue(env.FLOW_REMOTE_READ_ONLY),
    ...(signingKey !== undefined ? { signingKey } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
  return { ok: true, settings: { config, flushTimeoutMs: flushTimeoutMs ?? FLUSH_TIMEOUT_MS } };
}

/** The remote tier of a cache directory: downloads go to its tmp/ (the same disk as the blobs, swept at open). */
export async function openRemoteTier(s: RemoteSettings, o: { hasher: Hasher; cacheDir: string; onWarning: (w: CacheWarning) => void }): Promise<RemoteTier> {
  // Loaded here, not at the top: a build without a remote cache never pays for node:http and node:crypto.
  const { RemoteTier } = await import("@flow/cache/remote");
  return new RemoteTier(s.config, { hasher: o.hasher, tmpDir: join(o.cacheDir, "tmp"), onWarning: o.onWarning, checkRecord: outputsWithinDeclared });
}

/** Waits (bounded) for the uploads, says what did not finish, closes the tier. */
export async function closeRemoteTier(
  tier: RemoteTier,
  o: { flushTimeoutMs: number; interrupted: () => boolean; signal: AbortSignal; say: (line: string) => void },
  onWarning: (w: CacheWarning) => void,
): Promise<RemoteReport> {
  const waiting = tier.pendingUploads;
  // A wait the user can see the reason for: a slow server holds the end of the build.
  if (waiting > 0 && o.flushTimeoutMs > 0) o.say(`flow: waiting up to ${o.flushTimeoutMs / 1000}s for ${waiting} upload${waiting === 1 ? "" : "s"} to the remote cache`);
  const { unfinished } = await tier.drain(o.flushTimeoutMs, o.signal);
  if (unfinished > 0) {
    const why = o.interrupted() ? "the build was interrupted" : `they did not finish within ${o.flushTimeoutMs / 1000}s (FLOW_REMOTE_FLUSH_TIMEOUT_MS)`;
    onWarning({ code: "REMOTE_UPLOAD_FAILED", message: `${unfinished} upload${unfinished === 1 ? "" : "s"} to the remote cache abandoned: ${why}` });
  }
  tier.close();
  const c = tier.counts;
  return { url: tier.where, readOnly: tier.readOnly, unavailable: tier.unavailable, hits: c.hits, rejected: c.rejected, uploaded: c.uploaded, uploadFailed: c.uploadFailed, unfinished };
}

/**
 * A remote record is used only if every output it would write is one of the
 * outputs its own ingredients declare (or below a declared directory). The
 * ingredients are the key's canonical text, which the build compares with
 * its own before trusting a hit, so this confines a restore to the task's
 * declared outputs (RELIABILITY 24) without the cache package reading keys.
 */
export function outputsWithinDeclared(record: ActionRecord): string | undefined {
  const ingredients = asIngredients(record.ingredients);
  if (ingredients === undefined) return "its ingredients are not a flow key's";
  const files = new Set(ingredients.outputs.filter((o) => !o.endsWith("/")));
  const dirs = ingredients.outputs.filter((o) => o.endsWith("/"));
  for (const o of record.outputs) {
    if (files.has(o.path)) continue;
    if (dirs.some((d) => o.path === d.slice(0, -1) || o.path.startsWith(d))) continue;
    return `${o.path} is not one of the task's declared outputs`;
  }
  return undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ["1", "true", "yes"].includes(v.toLowerCase());
}

function msFrom(v: string | undefined, name: string): number | undefined | string {
  if (v === undefined || v === "") return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) return `${name} needs a whole number of milliseconds, got ${JSON.stringify(v)}`;
  return Number(v);
}
