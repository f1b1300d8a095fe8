// @flow/cache/remote: the remote tier, its own entry point. It loads node:http,
// node:https and node:crypto, which a build without a remote cache never
// needs: importing them with the package's main entry cost every build
// ~60M instructions at start-up (measured with callgrind on a 1-task no-op).
export { RemoteTier, REMOTE_DEFAULTS } from "./remote-tier.js";
export type { RemoteConfig, RemoteCounts, RemoteTierOptions, EnsureResult } from "./remote-tier.js";
export type { DrainReport } from "./upload-queue.js";
