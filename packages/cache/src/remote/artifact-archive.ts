// The artifact: one task's record, log and output blobs in one stream, so a
// hit is one GET and a store one PUT (the server stores opaque bodies).
//
//   "FLOWART" 0x01                      magic and format version (8 bytes)
//   frames, each: type (1 byte), u64be payload length, payload
//     'R'  the ActionRecord as UTF-8 JSON (first, once, at most RECORD_MAX_BYTES)
//     'B'  a blob: its content hash (32 ASCII hex), then its bytes
//     'E'  the end (empty); nothing may follow it
//
// Bounded memory both ways: blobs are streamed from the home store's files
// into the body (a temp file, since the signature goes in a header before
// the body), and from the body into staging files, chunk by chunk; only the
// record is held whole. On the way in, everything is checked before the
// caller sees anything: the record (remote-record-check.ts), that each blob
// is one the record names, its size (files) and its content hash, that no
// blob is missing and nothing follows the end, then the signature over the
// whole body. A blob's bytes go to a `.part` file named by the caller and
// are renamed to their final staging name only when all of that holds.
// Rejected: tar (Turborepo's format), whose entries carry their own paths,
// modes and link targets, a second description to keep in step with the
// record and a classic source of path escapes.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import type { BlobReader } from "../action-cache.js";
import type { ActionRecord } from "../action-record.js";
import { HASH_CHUNK_BYTES, isContentHash, type ContentHash, type Hasher } from "../content-hash.js";
import { blobsOf } from "../local-tier.js";
import type { ArtifactSigner } from "./artifact-signature.js";
import { checkRemoteRecord } from "./remote-record-check.js";
import { ArtifactRejected, RemoteUnavailable, TruncatedBody } from "./remote-errors.js";

const MAGIC = Buffer.from("FLOWART\x01", "latin1");
const FRAME_HEADER = 9;
const HASH_CHARS = 32;
/** A record larger than this is refused: it is the one part held in memory. */
export const RECORD_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Writes the artifact of `record` to `outPath`, reading its blobs through
 * `read` and checking each against its hash as it is copied (a damaged
 * blob in the home store is never uploaded). Returns the body's size.
 */
export async function writeArchive(record: ActionRecord, read: BlobReader, outPath: string, hasher: Hasher, signer?: ArtifactSigner): Promise<number> {
  const out = openSync(outPath, "wx", 0o600);
  let size = 0;
  const put = (bytes: Uint8Array): void => {
    let off = 0;
    while (off < bytes.length) off += writeSync(out, bytes, off, bytes.length - off);
    signer?.update(bytes);
    size += bytes.length;
  };
  try {
    put(MAGIC);
    // The artifact's format does not change with the local one: files kept inline at home
    // (OutputEntry.data) travel as blobs like any other, and the record names them only by hash.
    const inline = new Map<ContentHash, Uint8Array>();
    const outputs = record.outputs.map((o) => {
      if (o.data === undefined) return o;
      inline.set(o.hash as ContentHash, o.data);
      const { data: _bytes, ...described } = o;
      return described;
    });
    const json = Buffer.from(JSON.stringify({ ...record, outputs }), "utf8");
    put(frameHeader("R", json.length));
    put(json);
    const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    for (const hash of new Set([...inline.keys(), ...blobsOf(record)])) {
      const bytes = inline.get(hash);
      if (bytes !== undefined) {
        if (hasher.hashBytes(bytes) !== hash) throw new Error(`the bytes of ${hash} kept in a record in the local cache do not match their name; not uploaded`);
        put(frameHeader("B", HASH_CHARS + bytes.length));
        put(Buffer.from(hash, "latin1"));
        put(bytes);
        continue;
      }
      const path = await read(hash);
      if (path === undefined) throw new Error(`blob ${hash} of key ${record.key} is not in the local cache`);
      const src = openSync(path, "r");
      try {
        const length = fstatSync(src).size;
        put(frameHeader("B", HASH_CHARS + length));
        put(Buffer.from(hash, "latin1"));
        const digest = hasher.stream();
        let copied = 0;
        for (;;) {
          const n = readSync(src, chunk, 0, HASH_CHUNK_BYTES, null);
          if (n === 0) break;
          const bytes = chunk.subarray(0, n);
          digest.update(bytes);
          put(bytes);
          copied += n;
        }
        if (copied !== length || digest.digest() !== hash) throw new Error(`blob ${hash} in the local cache does not match its name; not uploaded`);
      } finally {
        closeSync(src);
      }
    }
    put(frameHeader("E", 0));
    return size;
  } finally {
    closeSync(out);
  }
}

export interface ReadArchiveOptions {
  /** The key the artifact was asked for: a record of another key is refused. */
  readonly key: string;
  readonly hasher: Hasher;
  /** Where a blob's bytes are written while they arrive. */
  readonly partPath: (hash: ContentHash) => string;
  /** Where a blob goes once the whole artifact has been checked. */
  readonly finalPath: (hash: ContentHash) => string;
  /** Set when artifacts are signed: fed every byte of the body. */
  readonly signer?: ArtifactSigner;
  /** Checks the signature once the body has been read; throws ArtifactRejected when it does not match. */
  readonly verify?: () => void;
  /** The wiring's own check of the record (declared outputs); a problem refuses the artifact. */
  readonly checkRecord?: (record: ActionRecord) => string | undefined;
}

/**
 * Reads an artifact from `body` into staging files. Resolves with the
 * record and the blobs it staged (hash -> final path) only when every check
 * holds; otherwise nothing it wrote remains, and it rejects with an
 * ArtifactRejected (bad content), a TruncatedBody (the body ended early or
 * the connection broke) or a RemoteUnavailable (timed out).
 */
export async function readArchive(body: AsyncIterable<Uint8Array>, o: ReadArchiveOptions): Promise<{ record: ActionRecord; staged: Map<ContentHash, string> }> {
  const reader = new ByteReader(body, (b) => o.signer?.update(b));
  const parts = new Map<ContentHash, string>();
  try {
    if (!(await reader.exact(MAGIC.length)).equals(MAGIC)) throw new ArtifactRejected("it is not a flow artifact (or of another format version)");
    const first = await frame(reader);
    if (first.type !== "R" || first.length > RECORD_MAX_BYTES) throw new ArtifactRejected("it does not start with a record of a sane size");
    let value: unknown;
    try {
      value = JSON.parse((await reader.exact(first.length)).toString("utf8"));
    } catch (err) {
      if (err instanceof SyntaxError) throw new ArtifactRejected("its record is not JSON");
      throw err;
    }
    const checked = checkRemoteRecord(value, o.key);
    if (!checked.ok) throw new ArtifactRejected(checked.problem);
    const { record } = checked;
    const wiringProblem = o.checkRecord?.(record);
    if (wiringProblem !== undefined) throw new ArtifactRejected(wiringProblem);
    const expected = expectedBlobs(record);
    for (;;) {
      const f = await frame(reader);
      if (f.type === "E") break;
      if (f.type !== "B" || f.length < HASH_CHARS) throw new ArtifactRejected(`unexpected frame ${JSON.stringify(f.type)}`);
      const hash = (await reader.exact(HASH_CHARS)).toString("latin1");
      if (!isContentHash(hash) || !expected.has(hash)) throw new ArtifactRejected(`it carries blob ${JSON.stringify(hash)}, which its record does not name`);
      if (parts.has(hash)) throw new ArtifactRejected(`it carries blob ${hash} twice`);
      const size = f.length - HASH_CHARS;
      const want = expected.get(hash);
      if (want !== undefined && want !== size) throw new ArtifactRejected(`blob ${hash} is ${size} bytes; its record says ${want}`);
      const part = o.partPath(hash);
      parts.set(hash, part);
      await receiveBlob(reader, size, part, hash, o.hasher);
    }
    if (!(await reader.atEnd())) throw new ArtifactRejected("bytes follow its end");
    for (const hash of expected.keys()) if (!parts.has(hash)) throw new ArtifactRejected(`blob ${hash} is missing`);
    o.verify?.();
    const staged = new Map<ContentHash, string>();
    for (const [hash, part] of parts) {
      const dest = o.finalPath(hash);
      renameSync(part, dest);
      staged.set(hash, dest);
    }
    return { record, staged };
  } catch (err) {
    for (const part of parts.values()) rmSync(part, { force: true });
    throw err;
  }
}

/** Every blob the record names, with its size when the record gives one (files; a log's is not recorded). */
function expectedBlobs(record: ActionRecord): Map<ContentHash, number | undefined> {
  const out = new Map<ContentHash, number | undefined>();
  if (record.log !== undefined) out.set(record.log, undefined);
  for (const o of record.outputs) if (o.kind === "file") out.set(o.hash as ContentHash, o.size);
  return out;
}

async function receiveBlob(reader: ByteReader, size: number, part: string, hash: ContentHash, hasher: Hasher): Promise<void> {
  const fd = openSync(part, "wx", 0o600);
  const digest = hasher.stream();
  try {
    await reader.stream(size, (bytes) => {
      digest.update(bytes);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    });
  } finally {
    closeSync(fd);
  }
  if (digest.digest() !== hash) throw new ArtifactRejected(`blob ${hash} does not match its hash`);
}

function frameHeader(type: "R" | "B" | "E", length: number): Buffer {
  const b = Buffer.alloc(FRAME_HEADER);
  b.write(type, 0, "latin1");
  b.writeBigUInt64BE(BigInt(length), 1);
  return b;
}

async function frame(reader: ByteReader): Promise<{ type: string; length: number }> {
  const h = await reader.exact(FRAME_HEADER);
  const length = h.readBigUInt64BE(1);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArtifactRejected("a frame length is out of range");
  return { type: String.fromCharCode(h[0] as number), length: Number(length) };
}

/** Pulls a body chunk by chunk: exact small reads, and streamed large ones, never the whole body. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly seen: (bytes: Uint8Array) => void,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  async exact(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.fill())) throw new TruncatedBody("the artifact ended early");
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async stream(n: number, sink: (bytes: Buffer) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw new TruncatedBody("the artifact ended early");
      const take = Math.min(left, this.buf.length);
      sink(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      left -= take;
    }
  }

  async atEnd(): Promise<boolean> {
    while (this.buf.length === 0) if (!(await this.fill())) return true;
    return false;
  }

  private async fill(): Promise<boolean> {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.it.next();
    } catch (err) {
      if (err instanceof RemoteUnavailable) throw err;
      throw new TruncatedBody(`the artifact's download broke off (${err instanceof Error ? err.message : String(err)})`);
    }
    if (r.done === true) return false;
    const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.seen(chunk);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }
}
