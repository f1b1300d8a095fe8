// A cheap sanity check of an LMDB data file before handing it to LMDB.
//
// Why: LMDB trusts its file. Opening garbage (zeros, random bytes, a
// half-written copy) does not throw, it segfaults the process, and a build
// tool that crashes on every start because of its cache breaks the rule
// that the cache can always be thrown away. Reading two meta pages (8 KiB)
// costs microseconds; a full walk happens only in a child process after a
// crash (see db-verify.ts).
//
// Layout checked (lmdb-js 3.x, LMDB "mdb.master3", 64-bit, little-endian):
// pages 0 and 1 are meta pages. Each starts with a 24-byte page header
// (pgno u64, txnid u64, pad u16, flags u16 with P_META = 0x08, lower/upper),
// then MDB_meta: magic u32 0xBEEFC0DE, version u32, address u64, mapsize u64,
// two MDB_db of 48 bytes (pad u32 - the page size in the free db -, flags
// u16, depth u16, branch/leaf/overflow page counts u64, entries u64, root
// u64), last_pgno u64, txnid u64. Both metas must be sane, every root must
// lie inside the file, and the main db's root page must say so in its own
// header. Anything else is "not an LMDB file we wrote".
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const PAGE_HEADER = 24;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_META = 0x08;
const MAGIC = 0xbeefc0de;
const DB_BYTES = 48;
const INVALID_PGNO = 0xffffffffffffffffn;
const DBS_AT = PAGE_HEADER + 24;
const LAST_PGNO_AT = DBS_AT + 2 * DB_BYTES;
const TXNID_AT = LAST_PGNO_AT + 8;
const META_BYTES = TXNID_AT + 8;

/** Returns why the file is unusable, or undefined when it looks sound. */
export function lmdbHeaderProblem(dataFile: string): string | undefined {
  const fd = openSync(dataFile, "r");
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize === 0) return undefined; // created but never written: LMDB initialises it
    const first = readAt(fd, 0, 4096);
    if (first.length < 4096) return `file too short (${fileSize} bytes)`;
    const pageSize = first.readUInt32LE(DBS_AT);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `bad page size ${pageSize}`;
    if (fileSize < 2 * pageSize) return `file too short (${fileSize} bytes)`;
    const pages = BigInt(Math.floor(fileSize / pageSize));
    const metas: Buffer[] = [];
    for (const pgno of [0, 1]) {
      const page = readAt(fd, pgno * pageSize, META_BYTES);
      const problem = metaProblem(page, BigInt(pgno), pages);
      if (problem !== undefined) return `meta page ${pgno}: ${problem}`;
      metas.push(page);
    }
    // Only the newest meta's root is checked: the older one's pages may have
    // been freed and reused since, legitimately.
    const [m0, m1] = metas as [Buffer, Buffer];
    const newest = m0.readBigUInt64LE(TXNID_AT) >= m1.readBigUInt64LE(TXNID_AT) ? m0 : m1;
    const mainRoot = newest.readBigUInt64LE(DBS_AT + DB_BYTES + 40);
    if (mainRoot !== INVALID_PGNO) {
      const root = readAt(fd, Number(mainRoot) * pageSize, PAGE_HEADER);
      if (root.length < PAGE_HEADER || root.readBigUInt64LE(0) !== mainRoot) return `root page ${mainRoot} is not a page`;
      if ((root.readUInt16LE(18) & (P_BRANCH | P_LEAF)) === 0) return `root page ${mainRoot} is neither branch nor leaf`;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function metaProblem(page: Buffer, pgno: bigint, pages: bigint): string | undefined {
  if (page.length < PAGE_HEADER + 8) return "truncated";
  if (page.readBigUInt64LE(0) !== pgno) return "wrong page number";
  if ((page.readUInt16LE(18) & P_META) === 0) return "not a meta page";
  if (page.readUInt32LE(PAGE_HEADER) !== MAGIC) return "bad magic";
  const version = page.readUInt32LE(PAGE_HEADER + 4);
  if (version < 1 || version > 2) return `unknown version ${version}`;
  if (page.length < META_BYTES) return "truncated";
  const lastPgno = page.readBigUInt64LE(LAST_PGNO_AT);
  if (lastPgno >= pages) return `last page ${lastPgno} beyond the file's ${pages} pages`;
  for (const db of [0, 1]) {
    const root = page.readBigUInt64LE(DBS_AT + db * DB_BYTES + 40);
    if (root !== INVALID_PGNO && (root < 2n || root > lastPgno)) return `db ${db} root ${root} out of range`;
  }
  return undefined;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}
