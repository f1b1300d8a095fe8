// A client for the Turborepo remote cache HTTP API (v8), which existing
// servers speak unchanged (turborepo-remote-cache with local, S3, GCS or
// Azure storage; Vercel's own):
//
//   HEAD /v8/artifacts/:hash?teamId=|slug=   200 present, 404 absent
//   GET  /v8/artifacts/:hash?...             200 and the body, 404 absent;
//                                            `x-artifact-tag` when the server keeps tags
//   PUT  /v8/artifacts/:hash?...             the body; `x-artifact-duration` (ms),
//                                            `x-artifact-tag` (the signature)
//   Authorization: Bearer <token> on each.
//
// Failure policy (RELIABILITY 31-34), one request at a time:
// - every request has an idle timeout (no response, or no body byte, for
//   `timeoutMs`; after an upload's last byte, plus its size at STORE_BYTES_PER_MS):
//   a hung server costs one timeout, then the breaker is open;
// - refused, unreachable, timed out, or the token refused (401/403): the
//   breaker opens at once and the request is a RemoteUnavailable;
// - 5xx, 429, a reset connection, a body cut short: retried after a backoff
//   (doubling from `backoffMs`, with jitter; a Retry-After of at most
//   RETRY_AFTER_MAX_MS is honoured), `attempts` times in all, then a
//   RemoteFailed that counts towards the breaker;
// - once the breaker is open, requests fail at once without touching the network.
// The token goes in the header only; no message here names it, and URLs in
// messages are shown without credentials or query (describeUrl).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createReadStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describeUrl } from "./describe-url.js";
import type { CircuitBreaker, RequestKind } from "./circuit-breaker.js";
import { RemoteFailed, RemoteUnavailable, RetryableFailure } from "./remote-errors.js";

export interface ArtifactsClientOptions {
  /** The server's base URL; `/v8/artifacts/...` is appended to its path. */
  readonly url: string;
  readonly token: string;
  /** A Vercel team id (`team_...`, sent as teamId) or a slug (sent as slug). */
  readonly team: string;
  /** Idle timeout of one request: no response, or no body byte, for this long. */
  readonly timeoutMs: number;
  /** Tries of a request whose failure may pass (5xx, 429, reset, truncated body). */
  readonly attempts: number;
  /** The first backoff; doubled at each retry. */
  readonly backoffMs: number;
  readonly breaker: CircuitBreaker;
  /** Sockets kept open to the server. */
  readonly maxSockets?: number;
}

/** A Retry-After longer than this is cut short: a build does not wait minutes for its cache. */
export const RETRY_AFTER_MAX_MS = 2000;

/** The slowest a server is assumed to store an uploaded body (32 MiB/s), for the wait for its answer. */
export const STORE_BYTES_PER_MS = 32 * 1024;

/** Errors that say the server is not there (or not reachable) at all. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);

export class ArtifactsClient {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly teamParam: [string, string];

  constructor(private readonly opts: ArtifactsClientOptions) {
    this.base = new URL(opts.url);
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 16 };
    this.agent = this.base.protocol === "https:" ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
    this.teamParam = opts.team.startsWith("team_") ? ["teamId", opts.team] : ["slug", opts.team];
  }

  /** Where the server is, for messages: no credentials, no query. */
  get where(): string {
    return describeUrl(this.opts.url);
  }

  /** true when the server holds the artifact. */
  async has(hash: string): Promise<boolean> {
    return this.withRetries(`HEAD ${hash}`, async () => {
      const res = await this.send("HEAD", hash);
      res.resume();
      if (res.statusCode === 200) return true;
      if (res.statusCode === 404) return false;
      throw this.failureOf(res);
    });
  }

  /**
   * The artifact's body handed to `consume` (with its tag), or undefined when
   * the server has none. A RetryableFailure thrown by `consume` (a body cut
   * short) retries the whole request; anything else it throws is passed on.
   */
  async get<T>(hash: string, consume: (body: IncomingMessage, tag: string | undefined) => Promise<T>): Promise<T | undefined> {
    return this.withRetries(`GET ${hash}`, async () => {
      const res = await this.send("GET", hash);
      if (res.statusCode === 404) {
        res.resume();
        return undefined;
      }
      if (res.statusCode !== 200) {
        res.resume();
        throw this.failureOf(res);
      }
      const tag = res.headers["x-artifact-tag"];
      return consume(res, typeof tag === "string" ? tag : undefined);
    });
  }

  /** Uploads the file at `path` (`size` bytes) as the artifact's body. */
  async put(hash: string, file: { path: string; size: number }, meta: { durationMs: number; tag?: string }): Promise<void> {
    await this.withRetries(`PUT ${hash}`, async () => {
      const headers: OutgoingHttpHeaders = {
        "content-type": "application/octet-stream",
        "content-length": file.size,
        "x-artifact-duration": String(Math.max(0, Math.round(meta.durationMs))),
        ...(meta.tag !== undefined ? { "x-artifact-tag": meta.tag } : {}),
      };
      const res = await this.send("PUT", hash, headers, file);
      res.resume();
      if (res.statusCode === 413) throw new RemoteFailed(`the server refused an artifact of ${file.size} bytes as too large (HTTP 413; turborepo-remote-cache's BODY_LIMIT)`);
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) throw this.failureOf(res);
    });
  }

  /** Closes the kept-alive sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const { breaker } = this.opts;
    const kind: RequestKind = what.startsWith("PUT") ? "write" : "read";
    for (let i = 1; ; i++) {
      if (breaker.isOpen) throw new RemoteUnavailable(`${what}: the remote cache is not used any more in this build (${breaker.openReason ?? ""})`);
      try {
        const value = await attempt();
        breaker.success(kind);
        return value;
      } catch (err) {
        if (err instanceof RetryableFailure) {
          if (i < this.opts.attempts) {
            await sleep(this.backoff(i, err.retryAfterMs));
            continue;
          }
          breaker.failure(kind, err.message);
          throw new RemoteFailed(`${what}: ${err.message} (${i} attempts)`, { cause: err });
        }
        if (err instanceof RemoteUnavailable) {
          breaker.trip(err.message);
          throw err;
        }
        if (err instanceof RemoteFailed) breaker.failure(kind, err.message);
        throw err;
      }
    }
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, RETRY_AFTER_MAX_MS);
    const base = this.opts.backoffMs * 2 ** (attempt - 1);
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  /** One request; resolves with the response (its body unread), rejects with a classified error. */
  private send(method: string, hash: string, headers: OutgoingHttpHeaders = {}, body?: { path: string; size: number }): Promise<IncomingMessage> {
    const url = new URL(`${this.base.pathname.replace(/\/+$/, "")}/v8/artifacts/${encodeURIComponent(hash)}`, this.base);
    url.searchParams.set(this.teamParam[0], this.teamParam[1]);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const req = request(url, { method, agent: this.agent, headers: { ...headers, authorization: `Bearer ${this.opts.token}` } });
      // An idle timeout: it also covers the body, which the caller reads later.
      req.setTimeout(this.opts.timeoutMs, () => {
        timedOut = true;
        req.destroy(new RemoteUnavailable(`${this.where} did not answer within ${this.opts.timeoutMs} ms`));
      });
      req.on("error", (err) => reject(classify(err, timedOut, this.where)));
      req.on("response", (res) => {
        res.on("error", () => undefined); // surfaced to the reader of the body
        if (res.statusCode === 401 || res.statusCode === 403) {
          res.resume();
          reject(new RemoteUnavailable(`${this.where} refused the token (HTTP ${res.statusCode}); check FLOW_REMOTE_TOKEN and FLOW_REMOTE_TEAM`));
          return;
        }
        resolve(res);
      });
      if (body === undefined) {
        req.end();
        return;
      }
      const stream = createReadStream(body.path);
      stream.on("error", (err) => req.destroy(err));
      // Servers answer a PUT once the body is stored, and some (turborepo-remote-cache)
      // hold it whole first: a large body's answer takes time that is not a hang.
      req.on("finish", () => req.setTimeout(this.opts.timeoutMs + Math.ceil(body.size / STORE_BYTES_PER_MS)));
      stream.pipe(req);
    });
  }

  private failureOf(res: IncomingMessage): Error {
    const status = res.statusCode ?? 0;
    if (status === 429 || status >= 500) return new RetryableFailure(`${this.where} answered HTTP ${status}`, retryAfterOf(res));
    return new RemoteFailed(`${this.where} answered HTTP ${status}`);
  }
}

function classify(err: Error, timedOut: boolean, where: string): Error {
  if (err instanceof RemoteUnavailable) return err;
  const code = (err as { code?: unknown }).code;
  if (timedOut) return new RemoteUnavailable(`${where} did not answer in time`);
  if (typeof code === "string" && UNREACHABLE.has(code)) return new RemoteUnavailable(`${where} is unreachable (${code})`);
  // A reset or a hang-up mid-request: the server may be restarting; worth another try.
  return new RetryableFailure(`the connection to ${where} failed (${typeof code === "string" ? code : err.message})`);
}

function retryAfterOf(res: IncomingMessage): number | undefined {
  const v = res.headers["retry-after"];
  if (typeof v !== "string") return undefined;
  const seconds = Number(v);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
