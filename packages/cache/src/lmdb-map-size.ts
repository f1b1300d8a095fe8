// How much address space the LMDB env maps at open (lmdb-js's `mapSize`).
//
// Left to itself lmdb-js maps 128 KiB and, each time the data outgrows the
// map, maps the file again at twice its size; its LMDB keeps every earlier
// map until the env closes (lmdb-js's change to mdb_env_set_mapsize: readers
// on other threads may still be in them). Every page read through one of
// those maps (a write reads the B-tree's pages; the kernel maps the pages
// around each fault too) stays mapped there, so the process counted the
// file's pages about twice (1 + 1/2 + 1/4 ...) in its RSS: at
// 20,000 tasks over 200,000 sources, the maps of data.mdb held ~250 MiB for a
// 104 MiB file, the largest share of a full build's peak (issue 16).
//
// One map as large as the cache will grow is mapped once: address space
// only (a read-only shared file mapping reserves no memory and charges no
// commit; without MDB_WRITEMAP the file is not grown to it). A cache that
// outgrows it is remapped by lmdb-js as before. The size is kept in the data
// file, but a later open with a smaller one (an older flow) still works.
//
// Only under an unlimited address-space limit (`ulimit -v`, Linux's
// /proc/self/limits): where it is limited, a map larger than the limit
// crashed lmdb-js (a segfault, no error to catch: measured), so the map
// grows as before there, and wherever the limit cannot be read.
import { readFileSync } from "node:fs";

/** 64 GiB: far above any cache measured (~0.5 GiB at 100,000 tasks), and a small share of a 47-bit address space even with many envs open in one process (tests). */
export const LMDB_MAP_BYTES = 64 * 1024 ** 3;

let decided: number | undefined | null = null;

/** The mapSize to open the env with, or undefined to let lmdb-js grow its map (see above). */
export function lmdbMapSize(): number | undefined {
  if (decided === null) decided = addressSpaceUnlimited(readLimits()) ? LMDB_MAP_BYTES : undefined;
  return decided;
}

function readLimits(): string | undefined {
  try {
    return readFileSync("/proc/self/limits", "utf8");
  } catch {
    return undefined; // not Linux, or no /proc: the limit is unknown
  }
}

/** true when /proc/self/limits says the "Max address space" soft limit (the one mmap meets) is unlimited. */
export function addressSpaceUnlimited(limits: string | undefined): boolean {
  const line = limits?.split("\n").find((l) => l.startsWith("Max address space"));
  return line?.slice("Max address space".length).trim().split(/\s+/)[0] === "unlimited";
}
