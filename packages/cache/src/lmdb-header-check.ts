// A cheap sanity check of an LMDB data file before handing it to LMDB.
//
// Why: LMDB trusts its file. Opening garbage (zeros, random bytes, a
// half-written copy) does not throw, it segfaults the process, and a build
// tool that crashes on every start because of its cache breaks the rule
// that the cache can always be thrown away. Reading the meta pages (8 KiB)
// costs microseconds; the full walk (lmdb-walk.ts) runs only when the file
// may have changed outside flow's control (see env-identity.ts).
//
// Layout checked (lmdb-js 3.x, LMDB "mdb.master3", 64-bit, little-endian):
// pages 0 and 1 are meta pages. Each starts with a 24-byte page header
// (pgno u64, txnid u64, pad u16, flags u16 with P_META = 0x08, lower/upper),
// then MDB_meta: magic u32 0xBEEFC0DE, version u32, address u64, mapsize u64,
// two MDB_db of 48 bytes (pad u32 - the page size in the free db -, flags
// u16, depth u16, branch/leaf/overflow page counts u64, entries u64, root
// u64), last_pgno u64, txnid u64. With lmdb-js's overlapping sync, the
// second half of page 0 holds a third meta (the last one flushed to disk;
// page header, magic and version left zero); LMDB reads it at open without
// checking it, so it must be all zeros (never written) or sane, and no
// newer than the other two. Both metas must be sane, every root must lie inside the file
// (the last page need not: see metaProblem),
// and the main db's root page must say so in its own header. Anything else
// is "not an LMDB file we wrote".
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export const PAGE_HEADER = 24;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_META = 0x08;
const MAGIC = 0xbeefc0de;
export const DB_BYTES = 48;
const INVALID_PGNO = 0xffffffffffffffffn;
export const DBS_AT = PAGE_HEADER + 24;
const LAST_PGNO_AT = DBS_AT + 2 * DB_BYTES;
const TXNID_AT = LAST_PGNO_AT + 8;
const META_BYTES = TXNID_AT + 8;

export interface LmdbMetas {
  pageSize: number;
  /** Whole pages in the file. */
  filePages: number;
  /** The newest meta's last used page. */
  lastPgno: bigint;
  /** The newest of the two meta pages (the snapshot LMDB opens), META_BYTES long. */
  newest: Buffer;
}

/** Returns why the file is unusable, or undefined when it looks sound. */
export function lmdbHeaderProblem(dataFile: string): string | undefined {
  const fd = openSync(dataFile, "r");
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize === 0) return undefined; // created but never written: LMDB initialises it
    const metas = lmdbMetaProblem(fd, fileSize);
    if (typeof metas === "string") return metas;
    const mainRoot = metas.newest.readBigUInt64LE(DBS_AT + DB_BYTES + 40);
    if (mainRoot !== INVALID_PGNO) {
      const root = readAt(fd, Number(mainRoot) * metas.pageSize, PAGE_HEADER);
      if (root.length < PAGE_HEADER || root.readBigUInt64LE(0) !== mainRoot) return `root page ${mainRoot} is not a page`;
      if ((root.readUInt16LE(18) & (P_BRANCH | P_LEAF)) === 0) return `root page ${mainRoot} is neither branch nor leaf`;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Checks the meta pages of a non-empty data file: why they are unusable, or what they say. */
export function lmdbMetaProblem(fd: number, fileSize: number): string | LmdbMetas {
  const first = readAt(fd, 0, 4096);
  if (first.length < 4096) return `file too short (${fileSize} bytes)`;
  const pageSize = first.readUInt32LE(DBS_AT);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `bad page size ${pageSize}`;
  if (fileSize < 2 * pageSize) return `file too short (${fileSize} bytes)`;
  const filePages = Math.floor(fileSize / pageSize);
  const pages = BigInt(filePages);
  const metas: Buffer[] = [];
  for (const pgno of [0, 1]) {
    const page = readAt(fd, pgno * pageSize, META_BYTES);
    const problem = metaProblem(page, pageSize, pages, BigInt(pgno));
    if (problem !== undefined) return `meta page ${pgno}: ${problem}`;
    metas.push(page);
  }
  // Only the newest meta's roots matter: the older one's pages may have been
  // freed and reused since, legitimately.
  const [m0, m1] = metas as [Buffer, Buffer];
  const newest = m0.readBigUInt64LE(TXNID_AT) >= m1.readBigUInt64LE(TXNID_AT) ? m0 : m1;
  const flushed = readAt(fd, pageSize / 2, META_BYTES);
  if (flushed.some((b) => b !== 0)) {
    const problem = metaProblem(flushed, pageSize, pages, undefined);
    if (problem !== undefined) return `the flushed meta in page 0: ${problem}`;
    if (flushed.readBigUInt64LE(TXNID_AT) > newest.readBigUInt64LE(TXNID_AT)) return "the flushed meta in page 0 is newer than both meta pages";
  }
  return { pageSize, filePages, lastPgno: newest.readBigUInt64LE(LAST_PGNO_AT), newest };
}

/** `pgno`: the page number its header must carry (the flushed meta has none). */
function metaProblem(page: Buffer, pageSize: number, pages: bigint, pgno: bigint | undefined): string | undefined {
  if (page.length < META_BYTES) return "truncated";
  // The flushed meta is written from the map size on: no page header, magic or version.
  if (pgno !== undefined) {
    if (page.readBigUInt64LE(0) !== pgno) return "wrong page number";
    if ((page.readUInt16LE(18) & P_META) === 0) return "not a meta page";
    if (page.readUInt32LE(PAGE_HEADER) !== MAGIC) return "bad magic";
    const version = page.readUInt32LE(PAGE_HEADER + 4);
    if (version < 1 || version > 2) return `unknown version ${version}`;
  }
  if (page.readUInt32LE(DBS_AT) !== pageSize) return `page size ${page.readUInt32LE(DBS_AT)}, not ${pageSize}`;
  // The last page may lie past the end of the file: LMDB counts pages a transaction took from the
  // end and freed again before committing ("loose" pages), and never writes them (mdb_page_flush
  // skips P_LOOSE). A file of 151,474 pages whose meta said 151,484 was a sound cache at 100,000
  // tasks, once set aside as corrupt for it. Roots are written pages, so they must be inside; the
  // full walk (lmdb-walk.ts) checks that every page in use is.
  const lastPgno = page.readBigUInt64LE(LAST_PGNO_AT);
  for (const db of [0, 1]) {
    const root = page.readBigUInt64LE(DBS_AT + db * DB_BYTES + 40);
    if (root !== INVALID_PGNO && (root < 2n || root > lastPgno)) return `db ${db} root ${root} out of range`;
    if (root !== INVALID_PGNO && root >= pages) return `db ${db} root ${root} beyond the file's ${pages} pages`;
  }
  return undefined;
}

export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}
