// The remote cache as a further tier of a TieredCache (after the home tier):
// one artifact per key on a server that speaks the Turborepo v8 API.
//
//   get      GET the artifact, check it whole (artifact-archive.ts: record,
//            paths, sizes, hashes, signature) into staging files under the
//            cache's tmp/; blobPath serves them to the home tier's copy, and
//            release removes them. Any failure is a miss. `peek` changes
//            nothing here: the server has no use order to disturb, and
//            TieredCache copies nothing inward on a peek.
//   put      queues an upload and returns: uploads run in the background,
//            `uploadConcurrency` at a time; `drain` waits for them, bounded.
//            Read-only: nothing is uploaded.
//   delete   nothing: the API has no delete. A bad artifact stays a miss
//            each time it is fetched, and a good upload replaces it.
//
// Warnings, so that a dead server costs one line, not one per task:
// REMOTE_UNAVAILABLE once when the breaker opens; REMOTE_LOOKUP_FAILED and
// REMOTE_UPLOAD_FAILED for the first failure of each kind (the rest are
// counted: see `counts` and drain); REMOTE_ARTIFACT_REJECTED for each
// artifact refused, since each one is somebody's forged or damaged upload.
import { mkdirSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import type { BlobReader, CacheTier } from "../action-cache.js";
import type { ActionRecord } from "../action-record.js";
import { errorMessage, type WarningSink } from "../cache-warning.js";
import type { ContentHash, Hasher } from "../content-hash.js";
import { readArchive, writeArchive } from "./artifact-archive.js";
import { ArtifactSigner, tagsMatch } from "./artifact-signature.js";
import { ArtifactsClient } from "./artifacts-client.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { ArtifactRejected, RemoteUnavailable } from "./remote-errors.js";
import { UploadQueue, type DrainReport } from "./upload-queue.js";

/** How to reach the server; from flags and FLOW_REMOTE_* in the CLI. */
export interface RemoteConfig {
  readonly url: string;
  readonly token: string;
  readonly team: string;
  /** Set: artifacts are signed on upload and must carry a matching signature to be used. */
  readonly signingKey?: string;
  /** Look up only; never upload (pull requests, untrusted builds). */
  readonly readOnly?: boolean;
  /** Idle timeout of one request (default 5 s). */
  readonly timeoutMs?: number;
  /** Tries of a request whose failure may pass (default 3). */
  readonly attempts?: number;
  /** The first retry's backoff (default 250 ms). */
  readonly backoffMs?: number;
  /** Uploads at once (default 4). */
  readonly uploadConcurrency?: number;
}

export interface RemoteTierOptions {
  readonly hasher: Hasher;
  /** A directory on the cache's disk (its tmp/, swept of old files at open): downloads and bodies being built go below it. */
  readonly tmpDir: string;
  readonly onWarning: WarningSink;
  /** The wiring's own check of a record before its blobs are fetched (the CLI: paths within the declared outputs). */
  readonly checkRecord?: (record: ActionRecord) => string | undefined;
}

export interface RemoteCounts {
  uploaded: number;
  uploadFailed: number;
  /** Lookups answered by the server with an artifact that passed every check. */
  hits: number;
  rejected: number;
}

export type EnsureResult = "found" | "uploaded" | "failed";

export const REMOTE_DEFAULTS = { timeoutMs: 5000, attempts: 3, backoffMs: 250, uploadConcurrency: 4 } as const;

export class RemoteTier implements CacheTier {
  readonly counts: RemoteCounts = { uploaded: 0, uploadFailed: 0, hits: 0, rejected: 0 };
  private readonly client: ArtifactsClient;
  private readonly breaker: CircuitBreaker;
  private readonly queue: UploadQueue;
  private readonly dir: string;
  private dirMade = false;
  private seq = 0;
  /** Verified downloaded blobs, shared by the hits that hold them. */
  private readonly staged = new Map<ContentHash, { path: string; refs: number }>();
  private readonly held = new Map<string, ContentHash[]>();
  private warnedLookup = false;
  private warnedUpload = false;

  constructor(
    private readonly config: RemoteConfig,
    private readonly opts: RemoteTierOptions,
  ) {
    this.breaker = new CircuitBreaker((reason) =>
      opts.onWarning({ code: "REMOTE_UNAVAILABLE", message: `the remote cache is unavailable: ${reason}; building without it for the rest of this run` }),
    );
    this.client = new ArtifactsClient({
      url: config.url,
      token: config.token,
      team: config.team,
      timeoutMs: config.timeoutMs ?? REMOTE_DEFAULTS.timeoutMs,
      attempts: config.attempts ?? REMOTE_DEFAULTS.attempts,
      backoffMs: config.backoffMs ?? REMOTE_DEFAULTS.backoffMs,
      breaker: this.breaker,
    });
    this.queue = new UploadQueue(config.uploadConcurrency ?? REMOTE_DEFAULTS.uploadConcurrency);
    this.dir = join(opts.tmpDir, `remote-${process.pid}-${randomBytes(6).toString("hex")}`);
  }

  /** Where the server is, for messages (no credentials). */
  get where(): string {
    return this.client.where;
  }

  get readOnly(): boolean {
    return this.config.readOnly === true;
  }

  /** Set once the breaker has opened: the server is not used again in this process. */
  get unavailable(): boolean {
    return this.breaker.isOpen;
  }

  async get(key: string): Promise<ActionRecord | undefined> {
    if (this.breaker.isOpen) return undefined;
    try {
      const got = await this.client.get(key, (body, tag) => this.receive(key, body, tag));
      if (got === undefined) return undefined;
      this.counts.hits++;
      return got;
    } catch (err) {
      this.lookupFailed(key, err);
      return undefined;
    }
  }

  /** Queues the upload of `record` (its blobs read through `read` when it starts); read-only: nothing. */
  async put(record: ActionRecord, read: BlobReader): Promise<void> {
    if (this.readOnly) return;
    this.queue.add(async () => {
      const ok = await this.upload(record, read);
      if (ok) this.counts.uploaded++;
      else this.counts.uploadFailed++;
    });
  }

  async delete(): Promise<void> {
    // The v8 API has no delete (see the header).
  }

  async blobPath(hash: ContentHash): Promise<string | undefined> {
    return this.staged.get(hash)?.path;
  }

  async release(key: string): Promise<void> {
    const hashes = this.held.get(key);
    if (hashes === undefined) return;
    this.held.delete(key);
    for (const h of hashes) {
      const s = this.staged.get(h);
      if (s === undefined || --s.refs > 0) continue;
      this.staged.delete(h);
      rmSync(s.path, { force: true });
    }
  }

  /**
   * Whether the server holds each key (HEAD, `concurrency` at a time);
   * undefined for a key whose question failed (or once the server is unavailable).
   */
  async hasMany(keys: readonly string[], concurrency = 8): Promise<Map<string, boolean | undefined>> {
    const out = new Map<string, boolean | undefined>();
    await forEachLimited(keys, concurrency, async (key) => {
      if (this.breaker.isOpen) return void out.set(key, undefined);
      try {
        out.set(key, await this.client.has(key));
      } catch (err) {
        this.lookupFailed(key, err);
        out.set(key, undefined);
      }
    });
    return out;
  }

  /** Makes sure the server holds `record`'s artifact: found (HEAD), uploaded now, or failed. Read-only: found or failed. */
  async ensure(record: ActionRecord, read: BlobReader): Promise<EnsureResult> {
    const has = (await this.hasMany([record.key])).get(record.key);
    if (has === true) return "found";
    if (has === undefined || this.readOnly) return "failed";
    const ok = await this.upload(record, read);
    if (ok) this.counts.uploaded++;
    else this.counts.uploadFailed++;
    return ok ? "uploaded" : "failed";
  }

  /** Uploads queued or running. */
  get pendingUploads(): number {
    return this.queue.size;
  }

  /** Waits for the queued uploads, at most `timeoutMs`; what is left is counted (and abandoned at exit). */
  drain(timeoutMs: number, signal?: AbortSignal): Promise<DrainReport> {
    return this.queue.drain(timeoutMs, signal);
  }

  /** Closes the sockets and removes the staging directory. Call after drain. */
  close(): void {
    this.queue.abandon();
    this.client.close();
    if (this.dirMade) rmSync(this.dir, { recursive: true, force: true });
  }

  private stagingDir(): string {
    if (!this.dirMade) {
      mkdirSync(this.dir, { recursive: true });
      this.dirMade = true;
    }
    return this.dir;
  }

  private async receive(key: string, body: IncomingMessage, tag: string | undefined): Promise<ActionRecord> {
    const { signingKey } = this.config;
    try {
      if (signingKey !== undefined && tag === undefined) {
        throw new ArtifactRejected("it carries no signature (x-artifact-tag); turborepo-remote-cache keeps tags only when it runs with TURBO_REMOTE_CACHE_SIGNATURE_KEY set");
      }
      const signer = signingKey === undefined ? undefined : new ArtifactSigner(signingKey);
      const dir = this.stagingDir();
      const n = ++this.seq;
      const { record, staged } = await readArchive(body, {
        key,
        hasher: this.opts.hasher,
        partPath: (h) => join(dir, `${h}.part-${n}`),
        finalPath: (h) => join(dir, h),
        ...(signer !== undefined ? { signer, verify: () => this.verify(signer, key, tag) } : {}),
        ...(this.opts.checkRecord !== undefined ? { checkRecord: this.opts.checkRecord } : {}),
      });
      const hashes = [...staged.keys()];
      for (const [h, path] of staged) {
        const s = this.staged.get(h);
        if (s === undefined) this.staged.set(h, { path, refs: 1 });
        else s.refs++;
      }
      this.held.set(key, [...(this.held.get(key) ?? []), ...hashes]);
      return record;
    } catch (err) {
      // Unread bytes must not stay on a kept-alive socket.
      body.destroy();
      throw err;
    }
  }

  private verify(signer: ArtifactSigner, key: string, tag: string | undefined): void {
    if (!tagsMatch(tag, signer.tag(key, this.config.team))) throw new ArtifactRejected("its signature does not match (another key's or another team's artifact, a changed body, or another signing key)");
  }

  /** Builds the body in a temp file (the signature goes before it) and PUTs it; false, with a warning for the first, when it fails. */
  private async upload(record: ActionRecord, read: BlobReader): Promise<boolean> {
    if (this.breaker.isOpen) return false;
    const path = join(this.stagingDir(), `upload-${++this.seq}`);
    try {
      const signer = this.config.signingKey === undefined ? undefined : new ArtifactSigner(this.config.signingKey);
      const size = await writeArchive(record, read, path, this.opts.hasher, signer);
      const tag = signer?.tag(record.key, this.config.team);
      await this.client.put(record.key, { path, size }, { durationMs: record.durationMs, ...(tag !== undefined ? { tag } : {}) });
      return true;
    } catch (err) {
      if (!(err instanceof RemoteUnavailable) && !this.warnedUpload) {
        this.warnedUpload = true;
        this.opts.onWarning({ code: "REMOTE_UPLOAD_FAILED", message: `could not upload the result of key ${record.key} to the remote cache: ${errorMessage(err)} (later upload failures are only counted)` });
      }
      return false;
    } finally {
      rmSync(path, { force: true });
    }
  }

  private lookupFailed(key: string, err: unknown): void {
    if (err instanceof ArtifactRejected) {
      this.counts.rejected++;
      this.opts.onWarning({ code: "REMOTE_ARTIFACT_REJECTED", message: `the remote cache's artifact for key ${key} was refused: ${err.message}; treated as a miss` });
      return;
    }
    // Unavailable: the breaker's one warning says it all.
    if (err instanceof RemoteUnavailable || this.warnedLookup) return;
    this.warnedLookup = true;
    this.opts.onWarning({ code: "REMOTE_LOOKUP_FAILED", message: `could not look up key ${key} in the remote cache: ${errorMessage(err)}; treated as a miss (later lookup failures are only counted)` });
  }
}

/** `fn` over `items`, at most `limit` at once; `fn` handles its own failures. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
