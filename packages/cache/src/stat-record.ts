// One stat-memo record: what a file looked like when its bytes were hashed.
//
// On disk (LMDB `statmemo`, key = absolute path) it is a fixed 56-byte
// little-endian layout read with getBinaryFast, because a no-op build reads
// one record per input and msgpack decoding of an object costs ~2x more:
//   [0] format (1)  [1] trusted (0/1)  [2..4) unused  [4..8) mode u32
//   [8) size f64  [16) mtimeMs f64  [24) ctimeMs f64  [32) ino f64  [40..56) hash (16 raw bytes)
// Anything else (other length, other format byte) decodes as "no record".
import type { ContentHash } from "./content-hash.js";

export interface StatRecord {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  hash: ContentHash;
  /** False while the mtime was too recent to rule out a same-tick edit ("racy git"). */
  trusted: boolean;
}

const FORMAT = 1;
export const STAT_RECORD_BYTES = 56;

export function encodeStatRecord(r: StatRecord): Buffer {
  const buf = Buffer.alloc(STAT_RECORD_BYTES);
  buf[0] = FORMAT;
  buf[1] = r.trusted ? 1 : 0;
  buf.writeUInt32LE(r.mode >>> 0, 4);
  buf.writeDoubleLE(r.size, 8);
  buf.writeDoubleLE(r.mtimeMs, 16);
  buf.writeDoubleLE(r.ctimeMs, 24);
  buf.writeDoubleLE(r.ino, 32);
  buf.write(r.hash, 40, 16, "hex");
  return buf;
}

export function decodeStatRecord(buf: Uint8Array): StatRecord | undefined {
  if (buf.length !== STAT_RECORD_BYTES || buf[0] !== FORMAT) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    trusted: b[1] === 1,
    mode: b.readUInt32LE(4),
    size: b.readDoubleLE(8),
    mtimeMs: b.readDoubleLE(16),
    ctimeMs: b.readDoubleLE(24),
    ino: b.readDoubleLE(32),
    hash: b.toString("hex", 40, 56) as ContentHash,
  };
}
