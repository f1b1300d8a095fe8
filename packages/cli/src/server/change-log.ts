// What changed, in order: each changed path with the sequence number of its
// last change, and the points where changes may have been lost. A token is
// `<instance>:<sequence>`; it stands for "everything up to this sequence was
// answered". An answer lists every path whose last change is after the
// token, or says "unknown" when the token is not this instance's or when a
// loss was recorded after it: a short list is never given.

export type Changes = readonly string[] | "unknown";

/** Past this many distinct paths the log forgets them all (a loss): memory stays bounded. */
export const MAX_TRACKED_PATHS = 1_000_000;

export class ChangeLog {
  private seq = 0;
  /** Tokens below this sequence may have missed changes. */
  private validFrom = 0;
  /** Path -> sequence of its last change; re-inserted on change, so iteration is in sequence order. */
  private readonly last = new Map<string, number>();
  private readonly lossCounts: Record<string, number> = {};
  private recorded = 0;

  constructor(
    readonly instance: string,
    private readonly maxPaths = MAX_TRACKED_PATHS,
  ) {}

  get sequence(): number {
    return this.seq;
  }

  get events(): number {
    return this.recorded;
  }

  get pathsTracked(): number {
    return this.last.size;
  }

  get losses(): Readonly<Record<string, number>> {
    return this.lossCounts;
  }

  record(path: string): void {
    this.recorded++;
    this.seq++;
    this.last.delete(path);
    this.last.set(path, this.seq);
    if (this.last.size > this.maxPaths) this.lose("too-many-paths");
  }

  /** Changes may have been missed from here on: every token issued so far becomes "unknown". */
  lose(cause: string): void {
    this.lossCounts[cause] = (this.lossCounts[cause] ?? 0) + 1;
    this.seq++;
    this.validFrom = this.seq;
    // No token older than this can be answered any more: the paths are of no use.
    this.last.clear();
  }

  token(): string {
    return `${this.instance}:${this.seq}`;
  }

  /** Every path changed after `token`, or "unknown" (see the file's comment). */
  since(token: string | undefined | null): { token: string; changed: Changes } {
    const now = this.token();
    const from = this.parse(token);
    if (from === undefined || from < this.validFrom || from > this.seq) return { token: now, changed: "unknown" };
    const changed: string[] = [];
    for (const [path, seq] of this.last) if (seq > from) changed.push(path);
    return { token: now, changed };
  }

  private parse(token: string | undefined | null): number | undefined {
    if (typeof token !== "string") return undefined;
    const colon = token.lastIndexOf(":");
    if (colon < 0 || token.slice(0, colon) !== this.instance) return undefined;
    const text = token.slice(colon + 1);
    return /^[0-9]+$/.test(text) ? Number(text) : undefined;
  }
}
