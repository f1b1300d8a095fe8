// A full structural check of an LMDB data file, in JavaScript, without LMDB.
//
// Why not let LMDB read it: LMDB trusts its pages. A garbage page makes it
// read or write through a wild pointer (SIGSEGV, SIGBUS), fail an assertion
// (abort), or hand out a live page as free and corrupt the env further; none
// of that is an error we can catch. Reading the file with plain preads and
// checking every page the newest snapshot uses cannot crash the process, so
// the check runs in-process and a failure is an ordinary value.
//
// What is checked, from the newest meta page (see lmdb-header-check.ts for
// the layout): every page of the free-page db, of the main db and of every
// named db below it, and every overflow page a record points to. Each page
// must lie inside the file, be used once, carry its own page number and the
// type its place in the tree implies (branch above the tree's depth, leaf at
// it), have sane lower/upper bounds, node offsets and node sizes inside the
// page, keys in order within the page, and the tree's page and entry counts
// must match its MDB_db record. The free-page lists (lmdb-js's format:
// a count, then page numbers or -length,pgno runs) must name pages inside
// the file that no tree uses: LMDB hands them out for writing.
//
// Record values are not decoded here: a value of garbage is a decode error,
// which the cache already treats as a miss.
//
// Cost: one pread per page used (not per page of the file), ~1 ms per MiB
// (measured; see docs/clean.md). It runs only when the file may have
// changed outside flow's control (see env-identity.ts).
import { closeSync, fstatSync, openSync } from "node:fs";
import { DB_BYTES, DBS_AT, PAGE_HEADER, lmdbMetaProblem, readAt } from "./lmdb-header-check.js";

const NODE_HEADER = 8;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_TYPE_BITS = 0x7f; // branch, leaf, overflow, meta, leaf2, subpage (and the unused 0x10)
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const OVPAGE_BYTES = 24; // MDB_ovpage: pgno, txnid, page count
const MDB_DUPSORT = 0x04;
const MDB_INTEGERKEY = 0x08;
const INVALID_PGNO = 0xffffffffffffffffn;

/** Why the file cannot be trusted to LMDB, or undefined when every page the newest snapshot uses is sound. */
export function lmdbWalkProblem(dataFile: string): string | undefined {
  const fd = openSync(dataFile, "r");
  try {
    let problem: string | undefined;
    // Another process sharing the cache may commit during the walk; once the
    // newest snapshot has changed, the pages walked may have been reused. The
    // walk counts only if no commit happened meanwhile; a writer that keeps
    // committing has the env open and working, and is trusted after 3 tries.
    for (let attempt = 0; attempt < 3; attempt++) {
      const fileSize = fstatSync(fd).size;
      if (fileSize === 0) return undefined; // created, never written: LMDB initialises it
      const header = lmdbMetaProblem(fd, fileSize);
      if (typeof header === "string") return header;
      problem = new Walker(fd, header.pageSize, header.filePages, header.lastPgno).walk(header.newest);
      if (problem === undefined) return undefined;
      const after = lmdbMetaProblem(fd, fstatSync(fd).size);
      if (typeof after === "string" || after.newest.equals(header.newest)) return problem;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

interface Tree {
  name: string;
  flags: number;
  depth: number;
  root: bigint;
  branchPages: bigint;
  leafPages: bigint;
  overflowPages: bigint;
  entries: bigint;
}

interface Counts {
  branch: bigint;
  leaf: bigint;
  overflow: bigint;
  entries: bigint;
}

class Damage extends Error {}

class Walker {
  private readonly used: Uint8Array;
  private readonly named: Tree[] = [];
  private readonly freeLists: Buffer[] = [];

  constructor(
    private readonly fd: number,
    private readonly pageSize: number,
    private readonly filePages: number,
    private readonly lastPgno: bigint,
  ) {
    this.used = new Uint8Array(filePages);
  }

  walk(meta: Buffer): string | undefined {
    try {
      this.tree(treeAt(meta, DBS_AT, "the free-page db"), true, false);
      this.tree(treeAt(meta, DBS_AT + DB_BYTES, "the main db"), false, true);
      for (const t of this.named) this.tree(t, false, false);
      for (const list of this.freeLists) this.freeList(list);
      return undefined;
    } catch (err) {
      if (err instanceof Damage) return err.message;
      throw err;
    }
  }

  private tree(t: Tree, isFreeDb: boolean, isMain: boolean): void {
    const counts: Counts = { branch: 0n, leaf: 0n, overflow: 0n, entries: 0n };
    if (t.root === INVALID_PGNO) {
      if (t.depth !== 0 || t.entries !== 0n) throw new Damage(`${t.name}: no root page but depth ${t.depth}, ${t.entries} entries`);
      return;
    }
    if (t.depth < 1 || t.depth > 32) throw new Damage(`${t.name}: depth ${t.depth}`);
    if (!isFreeDb && (t.flags & MDB_DUPSORT) !== 0) throw new Damage(`${t.name}: flags ${t.flags} (duplicate keys, which flow never uses)`);
    this.page(t, t.root, 1, counts, isFreeDb, isMain);
    if (counts.branch !== t.branchPages || counts.leaf !== t.leafPages || counts.overflow !== t.overflowPages || counts.entries !== t.entries) {
      throw new Damage(
        `${t.name}: its record says ${t.branchPages}/${t.leafPages}/${t.overflowPages} branch/leaf/overflow pages and ${t.entries} entries, the tree has ${counts.branch}/${counts.leaf}/${counts.overflow} and ${counts.entries}`,
      );
    }
  }

  private page(t: Tree, pgno: bigint, level: number, counts: Counts, isFreeDb: boolean, isMain: boolean): void {
    const where = `${t.name}, page ${pgno}`;
    const p = this.claim(pgno, 1n, where);
    const page = readAt(this.fd, p * this.pageSize, this.pageSize);
    if (page.length < this.pageSize) throw new Damage(`${where}: beyond the end of the file`);
    if (page.readBigUInt64LE(0) !== pgno) throw new Damage(`${where}: it says it is page ${page.readBigUInt64LE(0)}`);
    const leaf = level === t.depth;
    const type = page.readUInt16LE(18) & P_TYPE_BITS;
    if (type !== (leaf ? P_LEAF : P_BRANCH)) throw new Damage(`${where}: flags ${type}, expected a ${leaf ? "leaf" : "branch"} page at level ${level} of ${t.depth}`);
    const lower = page.readUInt16LE(20);
    const upper = page.readUInt16LE(22);
    const room = this.pageSize - PAGE_HEADER;
    if (lower % 2 !== 0 || lower > upper || upper > room) throw new Damage(`${where}: bounds lower ${lower}, upper ${upper}`);
    const n = lower / 2;
    if (n === 0 || (!leaf && n < 2 && level > 1)) throw new Damage(`${where}: ${n} nodes`);
    if (leaf) counts.leaf++;
    else counts.branch++;
    let previous: Buffer | undefined;
    for (let i = 0; i < n; i++) {
      const off = page.readUInt16LE(PAGE_HEADER + 2 * i);
      if (off < upper || off % 2 !== 0 || off + NODE_HEADER > room) throw new Damage(`${where}: node ${i} at ${off}, outside ${upper}..${room}`);
      const node = PAGE_HEADER + off;
      const lo = page.readUInt16LE(node);
      const hi = page.readUInt16LE(node + 2);
      const flags = page.readUInt16LE(node + 4);
      const keySize = page.readUInt16LE(node + 6);
      const keyAt = node + NODE_HEADER;
      if (keyAt + keySize > this.pageSize) throw new Damage(`${where}: node ${i}'s key runs past the page`);
      const key = page.subarray(keyAt, keyAt + keySize);
      // The first key of a branch page is a placeholder (LMDB never compares it).
      if (leaf || i > 0) {
        if (previous !== undefined && !inOrder(previous, key, isFreeDb || (t.flags & MDB_INTEGERKEY) !== 0)) throw new Damage(`${where}: keys out of order at node ${i}`);
        previous = key;
      }
      if (!leaf) {
        // A branch node's child page number is lo | hi << 16 | flags << 32.
        const child = BigInt(lo) | (BigInt(hi) << 16n) | (BigInt(flags) << 32n);
        this.page(t, child, level + 1, counts, isFreeDb, isMain);
        continue;
      }
      counts.entries++;
      const dataSize = lo | (hi << 16);
      const dataAt = keyAt + keySize;
      if ((flags & ~(F_BIGDATA | F_SUBDATA)) !== 0 || flags === (F_BIGDATA | F_SUBDATA)) throw new Damage(`${where}: node ${i} has flags ${flags}`);
      if ((flags & F_BIGDATA) !== 0) {
        if (dataAt + OVPAGE_BYTES > this.pageSize) throw new Damage(`${where}: node ${i}'s overflow reference runs past the page`);
        counts.overflow += this.overflow(page.subarray(dataAt, dataAt + OVPAGE_BYTES), dataSize, `${where}, node ${i}`);
        continue;
      }
      if (dataAt + dataSize > this.pageSize) throw new Damage(`${where}: node ${i}'s value (${dataSize} bytes) runs past the page`);
      const value = page.subarray(dataAt, dataAt + dataSize);
      if ((flags & F_SUBDATA) !== 0) {
        if (!isMain || dataSize !== DB_BYTES) throw new Damage(`${where}: node ${i} is a named db where none can be`);
        this.named.push(treeAt(value, 0, `db ${JSON.stringify(key.toString("latin1"))}`));
      } else if (isFreeDb) {
        if (keySize !== 8) throw new Damage(`${where}: a free-page list under a ${keySize}-byte key`);
        this.freeLists.push(value);
      }
    }
  }

  /** Claims the pages of one overflow record; returns how many. */
  private overflow(ref: Buffer, dataSize: number, where: string): bigint {
    const pgno = ref.readBigUInt64LE(0);
    const pages = ref.readBigUInt64LE(16);
    const needed = BigInt(Math.floor((PAGE_HEADER - 1 + dataSize) / this.pageSize) + 1);
    if (pages !== needed) throw new Damage(`${where}: overflow of ${dataSize} bytes on ${pages} pages`);
    const p = this.claim(pgno, pages, where);
    const head = readAt(this.fd, p * this.pageSize, PAGE_HEADER);
    if (head.length < PAGE_HEADER || head.readBigUInt64LE(0) !== pgno) throw new Damage(`${where}: overflow page ${pgno} is not that page`);
    if ((head.readUInt16LE(18) & P_TYPE_BITS) !== P_OVERFLOW) throw new Damage(`${where}: page ${pgno} is not an overflow page`);
    if (BigInt(head.readUInt32LE(20)) !== pages) throw new Damage(`${where}: overflow page ${pgno} spans ${head.readUInt32LE(20)} pages, not ${pages}`);
    return pages;
  }

  /** An lmdb-js free list: a count, then entries: 0 (a hole), a page number, or -length followed by the run's first page. */
  private freeList(list: Buffer): void {
    if (list.length < 8 || list.length % 8 !== 0) throw new Damage(`a free-page list of ${list.length} bytes`);
    const n = list.readBigUInt64LE(0);
    if (n * 8n + 8n > BigInt(list.length)) throw new Damage(`a free-page list claims ${n} entries in ${list.length} bytes`);
    for (let i = 1; i <= Number(n); i++) {
      const entry = list.readBigInt64LE(i * 8);
      if (entry === 0n) continue;
      if (entry > 0n) {
        this.free(entry, 1n);
        continue;
      }
      if (i === Number(n)) throw new Damage("a free-page run without its first page");
      i++;
      this.free(list.readBigInt64LE(i * 8), -entry);
    }
  }

  private free(pgno: bigint, count: bigint): void {
    if (pgno < 2n || pgno + count - 1n > this.lastPgno) throw new Damage(`the free-page list names pages ${pgno}..${pgno + count - 1n}, outside 2..${this.lastPgno}`);
    for (let p = pgno; p < pgno + count; p++) {
      if (p < BigInt(this.filePages) && this.used[Number(p)] === 1) throw new Damage(`the free-page list names page ${p}, which is in use`);
    }
  }

  /** Marks pages as used by a tree; they must be inside the file and used once. */
  private claim(pgno: bigint, count: bigint, where: string): number {
    if (pgno < 2n || count < 1n || pgno + count - 1n > this.lastPgno || pgno + count > BigInt(this.filePages)) {
      throw new Damage(`${where}: page ${pgno} (+${count - 1n}) outside 2..${this.lastPgno} or past the end of the file`);
    }
    const first = Number(pgno);
    for (let p = first; p < first + Number(count); p++) {
      if (this.used[p] === 1) throw new Damage(`${where}: page ${p} is used twice`);
      this.used[p] = 1;
    }
    return first;
  }
}

function treeAt(buf: Buffer, at: number, name: string): Tree {
  return {
    name,
    flags: buf.readUInt16LE(at + 4),
    depth: buf.readUInt16LE(at + 6),
    branchPages: buf.readBigUInt64LE(at + 8),
    leafPages: buf.readBigUInt64LE(at + 16),
    overflowPages: buf.readBigUInt64LE(at + 24),
    entries: buf.readBigUInt64LE(at + 32),
    root: buf.readBigUInt64LE(at + 40),
  };
}

function inOrder(a: Buffer, b: Buffer, integerKeys: boolean): boolean {
  if (!integerKeys) return Buffer.compare(a, b) < 0;
  if (a.length !== 8 || b.length !== 8) return false;
  return a.readBigUInt64LE(0) < b.readBigUInt64LE(0);
}
