// Signing remote artifacts: an HMAC-SHA256 in the `x-artifact-tag` header.
//
// What is signed is a versioned, length-prefixed encoding, so that no two
// different (key, team, body) triples encode alike and a later format can
// never be mistaken for this one:
//
//   "flow-artifact-hmac" 0x00, version (u8 = 1),
//   u32be length of key, key (UTF-8), u32be length of team, team (UTF-8),
//   u64be length of body, SHA-256 of body
//
// The body enters through its length and SHA-256 rather than itself: the tag
// travels in a header, before the body, and the body is streamed (never held
// whole), so both sides hash it as it passes. Binding the key and the team
// means an artifact moved under another key, or from another team's space,
// fails the check. The tag is "v1." then the base64 MAC; a tag without that
// prefix, or absent, is a miss. Turborepo signs body || hash || team without
// lengths; flow's tags are not meant to be read by it.
import { createHash, createHmac, timingSafeEqual, type Hash } from "node:crypto";

const DOMAIN = "flow-artifact-hmac\0";
const VERSION = 1;
const TAG_PREFIX = `v${VERSION}.`;

/** Hashes a body as it streams past, then signs it for a key and a team. */
export class ArtifactSigner {
  private readonly body: Hash = createHash("sha256");
  private length = 0;

  constructor(private readonly secret: string) {}

  update(chunk: Uint8Array): void {
    this.body.update(chunk);
    this.length += chunk.length;
  }

  /** The tag for the bytes seen so far; call once, at the end. */
  tag(key: string, team: string): string {
    const mac = createHmac("sha256", this.secret);
    mac.update(DOMAIN);
    mac.update(Uint8Array.of(VERSION));
    for (const field of [key, team]) {
      const bytes = Buffer.from(field, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      mac.update(len);
      mac.update(bytes);
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(this.length));
    mac.update(len);
    mac.update(this.body.digest());
    return TAG_PREFIX + mac.digest("base64");
  }
}

/** Whether `received` is the tag `expected` (constant time; any other shape is false). */
export function tagsMatch(received: string | undefined, expected: string): boolean {
  if (received === undefined || !received.startsWith(TAG_PREFIX)) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
