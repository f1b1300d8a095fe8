// The tier interface. LocalCache implements it; a remote tier (the
// Turborepo HTTP cache protocol) will implement it too, so the graph package
// can ask "local, then remote" without knowing which is which. Keys are
// opaque strings: computing them is the graph package's business.
import type { ActionRecord } from "./action-record.js";
import type { ContentHash } from "./content-hash.js";

export interface ArtifactStore {
  getAction(key: string): Promise<ActionRecord | undefined>;
  putAction(record: ActionRecord): Promise<void>;
  hasBlob(hash: ContentHash): Promise<boolean>;
}
