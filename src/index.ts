// The library's public API (SPEC section 8): the original's Miner in TypeScript form,
// the server that serves a miner's HTTP API, and the ledger's types and functions.

export type { DataLookup, NodeApi, NodeEvents, NodeStatus } from "./api/node-api.js";
export { buildServer, type ServerOptions, startServer } from "./api/server.js";
export { type AdoptResult, ChainState, type Reorg } from "./chain/chain-state.js";
export { DEFAULTS } from "./config/config.js";
export {
  BadInputError,
  NodeError,
  type NodeErrorCode,
  NotStartedError,
  PendingFullError,
} from "./config/errors.js";
export * from "./core/index.js";
export { ProofSearchPool } from "./mining/proof-search-pool.js";
export { normalizeAddress } from "./net/address.js";
export { Miner, MinerOptionError, type MinerOptions } from "./node/miner.js";
export { ChainLoadError } from "./storage/chain-load-error.js";
export { type ChainFormat, ChainStore, normalizeFormat } from "./storage/chain-store.js";
export { readChainFile, writeChainFile } from "./storage/file/chain-file.js";
