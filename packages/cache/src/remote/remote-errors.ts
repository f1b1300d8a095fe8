// How a remote request can fail, as classes the tier tells apart: each kind
// has its own consequence (see artifacts-client.ts).
//
//   RemoteUnavailable  the server is not usable for this build (refused,
//                      unreachable, timed out, token refused, breaker open):
//                      a miss, and the breaker is open
//   RemoteFailed       a request failed after its retries, or for good (413...):
//                      a miss, counted towards the breaker
//   ArtifactRejected   a body arrived and is not a trustworthy artifact (bad
//                      signature, hash, record or path): a miss, never retried
//   RetryableFailure   inside the client only: 5xx, 429, a reset, a body cut short
export class RemoteUnavailable extends Error {
  override readonly name: string = "RemoteUnavailable";
}

export class RemoteFailed extends Error {
  override readonly name: string = "RemoteFailed";
}

export class ArtifactRejected extends Error {
  override readonly name: string = "ArtifactRejected";
}

export class RetryableFailure extends Error {
  override readonly name: string = "RetryableFailure";

  constructor(
    message: string,
    /** From a Retry-After header, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The body ended before the artifact did: the connection broke or the server cut it. */
export class TruncatedBody extends RetryableFailure {
  override readonly name: string = "TruncatedBody";
}
