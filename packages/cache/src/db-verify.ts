// Script, never imported: `node db-verify.js <dbDir>` reads every entry of
// every named database of an LMDB env and exits 0 when that survives.
//
// Why a child process: corrupt LMDB pages crash the reader with SIGSEGV
// rather than throw, so the only safe way to look at a suspect env is from a
// process whose death we can observe. LocalCache runs this only when a
// previous process died with the env open (see session-marker.ts); a normal
// open costs nothing.
import { open } from "lmdb";

const dbDir = process.argv[2];
if (dbDir === undefined) process.exit(2);
const env = open(dbDir, { compression: false, maxDbs: 8, readOnly: true, encoding: "binary" });
let bytes = 0;
// Names first: opening a database while iterating the root invalidates the iterator.
const names = [...env.getKeys()].filter((k): k is string => typeof k === "string");
for (const name of names) {
  const db = env.openDB(name, { encoding: "binary" });
  for (const { value } of db.getRange()) bytes += (value as Uint8Array).length;
}
await env.close();
process.exit(bytes >= 0 ? 0 : 1);
