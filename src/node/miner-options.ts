import { normalizeOrigin } from "../api/browser-guard.js";
import { DEFAULTS, LOG_FORMATS, LOG_LEVELS, type LogFormat } from "../config/config.js";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { isProofRuleName, PROOF_RULE_NAMES, type ProofRuleName } from "../core/proof-rules.js";
import { expandHome } from "../storage/file/home-path.js";
import type { PrivateNetworkOptions } from "./private-network.js";

/** The Miner's constructor options: the original's names, plus this node's settings. */
export interface MinerOptions {
  pathToChain: string;
  /** true: JSON Lines chain file; false: the binary format (the original's pickle). */
  jsonFormat?: boolean;
  port?: number;
  difficulty?: number;
  /** The proof rule: "original" (default) or "content" (SPEC section 2). */
  proofRule?: ProofRuleName;
  neighbours?: string[];
  forceNewChain?: boolean;
  /**
   * Validate the whole chain file at start even when its .hash vouches for it
   * (default false: such a file has its genesis and last 100 blocks checked).
   */
  verifyChain?: boolean;
  host?: string;
  /** The `host:port` told to peers (default 127.0.0.1:<port>). */
  advertise?: string;
  maxNeighbours?: number;
  gossipIntervalS?: number;
  chainSyncIntervalS?: number;
  dataSyncIntervalS?: number;
  backupIntervalS?: number;
  workers?: number;
  maxMessageBytes?: number;
  maxPending?: number;
  /** Most API connections at once; idle ones are closed to make room (default: half the open-file limit, at most 1024). */
  maxConnections?: number;
  /** false: relay and serve, but do not mine. */
  mine?: boolean;
  logLevel?: string;
  /** Log lines on stderr (default true). */
  consoleLog?: boolean;
  /** How console lines look: readable text (default) or JSON lines for log collectors. */
  logFormat?: LogFormat;
  /** Browser origins allowed to write (`http://host:port`), beyond the node's own. */
  corsOrigins?: string[];
  /** Start even when the chain file's part covered by its .hash changed (after a full validation). */
  acceptModifiedChain?: boolean;
  /**
   * The token of the devnet that started this node (from BLOCKCHAIN_DEVNET_TOKEN):
   * with it, and only then, the node serves the teaching control POST /devnet/partition.
   * "" (the default): no such endpoint.
   */
  devnetToken?: string;
  /** A private network's switches (SPEC section 10): network key, writer tokens, private reads, TLS. */
  privateNetwork?: PrivateNetworkOptions;
  /**
   * A chain sync saves what it brought once this many bytes of records are
   * unsaved (and waits for the save at twice this), so that a long sync
   * holds a bounded tail in memory; 0: only the backup job saves. Default
   * the environment's BLOCKCHAIN_SYNC_SAVE_BYTES, else 64 MiB.
   */
  syncSaveBytes?: number;
  /**
   * The smallest chain file whose index a clean stop keeps on disk
   * (`<chain>.index`) for a faster next start. Default the environment's
   * BLOCKCHAIN_INDEX_SNAPSHOT_BYTES, else 0 (every chain file).
   */
  indexSnapshotBytes?: number;
}

/** The environment variable that sets `syncSaveBytes` when the options do not (tests, benches). */
export const SYNC_SAVE_BYTES_ENV = "BLOCKCHAIN_SYNC_SAVE_BYTES";
/** The environment variable that sets `indexSnapshotBytes` when the options do not. */
export const INDEX_SNAPSHOT_BYTES_ENV = "BLOCKCHAIN_INDEX_SNAPSHOT_BYTES";

export type ResolvedMinerOptions = Required<Omit<MinerOptions, "advertise">> & {
  advertise: string | null;
};

/** A bad constructor argument, named. */
export class MinerOptionError extends TypeError {
  readonly code = "BAD_MINER_OPTION";
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`${option}: ${detail}`);
    this.name = "MinerOptionError";
  }
}

function positiveNumber(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new MinerOptionError(name, `must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MinerOptionError(
      name,
      `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Checks every option and fills in the defaults; throws MinerOptionError for a bad one. */
export function resolveMinerOptions(
  opts: MinerOptions,
  normalizeNeighbour: (address: string) => string,
  normalizeAdvertise: (address: string) => string = normalizeNeighbour,
): ResolvedMinerOptions {
  if (typeof opts !== "object" || opts === null)
    throw new MinerOptionError("options", "must be an object");
  if (typeof opts.pathToChain !== "string" || opts.pathToChain.trim() === "") {
    throw new MinerOptionError("pathToChain", "must be a non-empty path to the chain file");
  }
  const jsonFormat = opts.jsonFormat ?? DEFAULTS.chainSerialization === "json";
  if (typeof jsonFormat !== "boolean")
    throw new MinerOptionError("jsonFormat", "must be a boolean");
  const neighbours = opts.neighbours ?? [];
  if (!Array.isArray(neighbours))
    throw new MinerOptionError("neighbours", "must be an array of host:port strings");
  const normalized = neighbours.map((n) => {
    try {
      return normalizeNeighbour(n);
    } catch (err) {
      throw new MinerOptionError(
        "neighbours",
        `'${String(n)}' is not a host:port address (${(err as Error).message})`,
      );
    }
  });
  if (opts.host !== undefined && (typeof opts.host !== "string" || opts.host.trim() === "")) {
    throw new MinerOptionError(
      "host",
      `must be a listen address such as 127.0.0.1, got ${JSON.stringify(opts.host)}`,
    );
  }
  if (opts.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(opts.logLevel)) {
    throw new MinerOptionError(
      "logLevel",
      `must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(opts.logLevel)}`,
    );
  }
  if (opts.proofRule !== undefined && !isProofRuleName(opts.proofRule)) {
    throw new MinerOptionError(
      "proofRule",
      `must be one of ${PROOF_RULE_NAMES.join(", ")}, got ${JSON.stringify(opts.proofRule)}`,
    );
  }
  let advertise: string | null = null;
  if (opts.advertise !== undefined) {
    try {
      advertise = normalizeAdvertise(opts.advertise);
    } catch (err) {
      throw new MinerOptionError(
        "advertise",
        `${JSON.stringify(opts.advertise)} is not a host:port address (${(err as Error).message})`,
      );
    }
  }
  if (
    opts.logFormat !== undefined &&
    !(LOG_FORMATS as readonly string[]).includes(opts.logFormat)
  ) {
    throw new MinerOptionError(
      "logFormat",
      `must be one of ${LOG_FORMATS.join(", ")}, got ${JSON.stringify(opts.logFormat)}`,
    );
  }
  const corsOrigins = opts.corsOrigins ?? [];
  if (!Array.isArray(corsOrigins))
    throw new MinerOptionError(
      "corsOrigins",
      "must be an array of origins such as http://host:port",
    );
  const origins = corsOrigins.map((origin) => {
    try {
      return normalizeOrigin(String(origin));
    } catch (err) {
      throw new MinerOptionError("corsOrigins", (err as Error).message);
    }
  });
  for (const flag of [
    "forceNewChain",
    "verifyChain",
    "mine",
    "consoleLog",
    "acceptModifiedChain",
  ] as const) {
    if (opts[flag] !== undefined && typeof opts[flag] !== "boolean")
      throw new MinerOptionError(flag, "must be a boolean");
  }
  const privateNetwork = opts.privateNetwork ?? {};
  if (typeof privateNetwork !== "object" || privateNetwork === null)
    throw new MinerOptionError("privateNetwork", "must be an object of file paths");
  for (const file of [
    "networkKeyFile",
    "writeTokensFile",
    "tlsCertFile",
    "tlsKeyFile",
    "tlsCaFile",
  ] as const) {
    const value = privateNetwork[file];
    if (value !== undefined && (typeof value !== "string" || value.trim() === ""))
      throw new MinerOptionError(`privateNetwork.${file}`, "must be a non-empty file path");
  }
  if (privateNetwork.privateReads !== undefined && typeof privateNetwork.privateReads !== "boolean")
    throw new MinerOptionError("privateNetwork.privateReads", "must be a boolean");
  return {
    // As the original (os.path.expanduser): `~` at the start is the user's home.
    pathToChain: expandHome(opts.pathToChain),
    jsonFormat,
    // Port 0 asks the system for a free port (handy for tests); `port` then tells the real one.
    port: integerIn("port", opts.port ?? DEFAULTS.port, 0, 65535),
    difficulty: integerIn("difficulty", opts.difficulty ?? DEFAULTS.difficulty, 1, MAX_DIFFICULTY),
    proofRule: opts.proofRule ?? DEFAULTS.proofRule,
    neighbours: [...new Set(normalized)],
    forceNewChain: opts.forceNewChain ?? false,
    verifyChain: opts.verifyChain ?? false,
    host: opts.host ?? DEFAULTS.host,
    advertise,
    maxNeighbours: integerIn(
      "maxNeighbours",
      opts.maxNeighbours ?? DEFAULTS.maxNeighbours,
      0,
      1000,
    ),
    gossipIntervalS: positiveNumber(
      "gossipIntervalS",
      opts.gossipIntervalS ?? DEFAULTS.gossipIntervalS,
    ),
    chainSyncIntervalS: positiveNumber(
      "chainSyncIntervalS",
      opts.chainSyncIntervalS ?? DEFAULTS.chainSyncIntervalS,
    ),
    dataSyncIntervalS: positiveNumber(
      "dataSyncIntervalS",
      opts.dataSyncIntervalS ?? DEFAULTS.dataSyncIntervalS,
    ),
    backupIntervalS: positiveNumber(
      "backupIntervalS",
      opts.backupIntervalS ?? DEFAULTS.backupIntervalS,
    ),
    workers: integerIn("workers", opts.workers ?? DEFAULTS.workers, 1, 256),
    maxMessageBytes: integerIn(
      "maxMessageBytes",
      opts.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
      1,
      1024 * 1024,
    ),
    maxPending: integerIn("maxPending", opts.maxPending ?? DEFAULTS.maxPending, 1, 10_000_000),
    maxConnections: integerIn(
      "maxConnections",
      opts.maxConnections ?? DEFAULTS.maxConnections,
      1,
      1_000_000,
    ),
    mine: opts.mine ?? true,
    logLevel: opts.logLevel ?? DEFAULTS.logLevel,
    consoleLog: opts.consoleLog ?? true,
    logFormat: opts.logFormat ?? "pretty",
    corsOrigins: [...new Set(origins)],
    acceptModifiedChain: opts.acceptModifiedChain ?? false,
    devnetToken: devnetTokenOf(opts.devnetToken),
    privateNetwork,
    syncSaveBytes: bytesOf("syncSaveBytes", opts.syncSaveBytes, SYNC_SAVE_BYTES_ENV),
    indexSnapshotBytes: bytesOf(
      "indexSnapshotBytes",
      opts.indexSnapshotBytes,
      INDEX_SNAPSHOT_BYTES_ENV,
    ),
  };
}

/** A size in bytes: the option, else the environment's (`envName`), else the default; a whole number. */
function bytesOf(
  name: "syncSaveBytes" | "indexSnapshotBytes",
  option: number | undefined,
  envName: string,
  env = process.env[envName],
): number {
  if (option !== undefined) return integerIn(name, option, 0, MAX_BYTES_SETTING);
  if (env === undefined || env.trim() === "") return DEFAULTS[name];
  const bytes = Number(env);
  if (!/^\s*\d+\s*$/.test(env) || bytes > MAX_BYTES_SETTING) {
    throw new MinerOptionError(
      envName,
      `must be a whole number of bytes from 0 to ${MAX_BYTES_SETTING}, got ${JSON.stringify(env)}`,
    );
  }
  return bytes;
}

/** 1 TiB: beyond, a sync would never save before the backup job anyway, nor a file be that large. */
const MAX_BYTES_SETTING = 2 ** 40;

/** A devnet token: "" for none, else at least 32 characters (a guess must not open the control). */
function devnetTokenOf(token: unknown): string {
  if (token === undefined || token === "") return "";
  if (typeof token !== "string" || token.length < 32) {
    throw new MinerOptionError("devnetToken", "must be a string of at least 32 characters");
  }
  return token;
}
