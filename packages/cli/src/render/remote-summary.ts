// The line a build ends with when a remote cache is set: what it restored
// and uploaded. The server is named without credentials (describeUrl).

/** What the remote did in one build, for the summary and --json (never the token). */
export interface RemoteReport {
  readonly url: string;
  readonly readOnly: boolean;
  readonly unavailable: boolean;
  readonly hits: number;
  readonly rejected: number;
  readonly uploaded: number;
  readonly uploadFailed: number;
  /** Uploads still queued or running when the flush timed out. */
  readonly unfinished: number;
}

export function remoteSummary(r: RemoteReport): string {
  const parts = [`${r.hits} restored`];
  if (r.readOnly) parts.push("read-only: nothing uploaded");
  else parts.push(`${r.uploaded} uploaded`);
  if (r.uploadFailed > 0) parts.push(`${r.uploadFailed} upload${r.uploadFailed === 1 ? "" : "s"} failed`);
  if (r.unfinished > 0) parts.push(`${r.unfinished} upload${r.unfinished === 1 ? "" : "s"} unfinished`);
  if (r.rejected > 0) parts.push(`${r.rejected} artifact${r.rejected === 1 ? "" : "s"} refused`);
  if (r.unavailable) parts.push("unavailable");
  return `remote cache ${r.url}: ${parts.join(", ")}\n`;
}
