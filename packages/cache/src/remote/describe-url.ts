// Kept apart from the HTTP client so that naming a server in a message (the
// CLI does it while reading its settings) loads none of the remote tier.

/** A URL for messages: scheme, host, port and path; never user, password or query. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "the remote cache URL";
  }
}
