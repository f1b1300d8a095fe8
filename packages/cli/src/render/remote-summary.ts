// The line a build ends with when a remote cache is set: what it restored
// and uploaded. The server is named without credentials (describeUrl).
import type { RemoteReport } from "../run/remote-settings.js";

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
