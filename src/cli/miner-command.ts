import { type Command, Option } from "commander";
import { DEFAULTS, LOG_FORMATS, LOG_LEVELS } from "../config/config.js";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { PROOF_RULE_NAMES, type ProofRuleName } from "../core/proof-rules.js";
import { hostPort, hostPortList, intIn, originList, PROOF_RULE_HELP, seconds } from "./options.js";

interface StartFlags {
  host: string;
  port: number;
  advertise?: string;
  chainSerialization: string;
  difficulty: number;
  proofRule: ProofRuleName;
  neighbours?: string[];
  maxNeighbours: number;
  forceNewChain?: boolean;
  verifyChain?: boolean;
  gossipInterval: number;
  chainSyncInterval: number;
  dataSyncInterval: number;
  backupInterval: number;
  workers?: number;
  maxMessageBytes: number;
  maxPending: number;
  maxConnections: number;
  mine: boolean;
  logLevel: string;
  logFormat: "pretty" | "json";
  corsOrigin?: string[];
  acceptModifiedChain?: boolean;
  networkKey?: string;
  writeTokens?: string;
  privateReads?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

function isJsonFormat(name: string): boolean {
  return name === "json";
}

/** `blockchain miner start <chain_path>`: runs a miner node until SIGINT or SIGTERM. */
export function registerMinerCommand(program: Command): void {
  const miner = program.command("miner").description("run a miner node");
  miner
    .command("start")
    .description(
      "start a miner: load (or create) the chain, serve the API and the explorer, mine pending messages",
    )
    .argument("<chain_path>", "the chain file (created with the genesis block when missing)")
    .addOption(
      new Option("--host <addr>", "listen address").default(DEFAULTS.host).env("BLOCKCHAIN_HOST"),
    )
    .addOption(
      new Option("--port <n>", "listen port")
        .argParser(intIn(0, 65535))
        .default(DEFAULTS.port)
        .env("BLOCKCHAIN_PORT"),
    )
    .option("--advertise <host:port>", "address told to peers (default 127.0.0.1:<port>)", hostPort)
    .addOption(
      new Option("--chain-serialization <format>", "chain file format ('pickle' = binary)")
        .choices(["json", "binary", "pickle"])
        .default(DEFAULTS.chainSerialization),
    )
    .option(
      "--difficulty <n>",
      "trailing zeros a proof needs",
      intIn(1, MAX_DIFFICULTY),
      DEFAULTS.difficulty,
    )
    .addOption(
      new Option("--proof-rule <rule>", PROOF_RULE_HELP)
        .choices(PROOF_RULE_NAMES)
        .default(DEFAULTS.proofRule),
    )
    .option(
      "--neighbours <host:port,...>",
      "neighbours to start with, comma-separated (a host alone is port 12345; http:// is stripped; 0.0.0.0 is 127.0.0.1)",
      hostPortList,
    )
    .option("--max-neighbours <n>", "most neighbours kept", intIn(0, 1000), DEFAULTS.maxNeighbours)
    .option("--force-new-chain", "start from genesis (the old chain file is kept as a backup copy)")
    .option(
      "--gossip-interval <s>",
      "seconds between neighbour gossip rounds",
      seconds,
      DEFAULTS.gossipIntervalS,
    )
    .option(
      "--chain-sync-interval <s>",
      "seconds between chain syncs",
      seconds,
      DEFAULTS.chainSyncIntervalS,
    )
    .option(
      "--data-sync-interval <s>",
      "seconds between pending-message syncs",
      seconds,
      DEFAULTS.dataSyncIntervalS,
    )
    .option(
      "--backup-interval <s>",
      "seconds between chain backups to disk",
      seconds,
      DEFAULTS.backupIntervalS,
    )
    .option("--workers <n>", "mining threads (default: the number of cores)", intIn(1, 256))
    .option(
      "--max-message-bytes <n>",
      "largest message, in bytes of UTF-8",
      intIn(1, 1024 * 1024),
      DEFAULTS.maxMessageBytes,
    )
    .option(
      "--max-pending <n>",
      "most pending messages held before /add answers 503",
      intIn(1, 10_000_000),
      DEFAULTS.maxPending,
    )
    .option(
      "--max-connections <n>",
      "most API connections at once; idle ones are closed to make room",
      intIn(1, 1_000_000),
      DEFAULTS.maxConnections,
    )
    .option("--no-mine", "relay and serve, but do not mine")
    .option(
      "--verify-chain",
      "validate the whole chain file at start, even when its .hash matches (otherwise: its last 100 blocks)",
    )
    .option(
      "--cors-origin <origin,...>",
      "browser origins allowed to write (/add, POST /blocks, POST /data), e.g. http://127.0.0.1:8080",
      originList,
    )
    .option(
      "--accept-modified-chain",
      "start even when the chain file's part covered by its .hash changed (after a full validation)",
    )
    .option(
      "--network-key <file>",
      "private network: the group's key (blockchain keygen); peers must prove it, and this node proves it to them",
    )
    .option(
      "--write-tokens <file>",
      "private network: PUT/POST /add need 'Authorization: Bearer <token>' of a writer of this file (blockchain token)",
    )
    .option(
      "--private-reads",
      "private network: every endpoint but the explorer's page needs a writer's token too (peers: the network key)",
    )
    .option("--tls-cert <pem>", "serve HTTPS with this certificate (blockchain tls-init)")
    .option("--tls-key <pem>", "the private key of --tls-cert (mode 0600)")
    .option(
      "--tls-ca <pem>",
      "the group's CA: peers are called over HTTPS and their certificates must chain to it",
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(LOG_LEVELS)
        .default(DEFAULTS.logLevel)
        .env("BLOCKCHAIN_LOG_LEVEL"),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "console log lines: readable text, or JSON lines for log collectors (miner.log is always JSON)",
      )
        .choices(LOG_FORMATS)
        .default("pretty"),
    )
    .action(async (chainPath: string, flags: StartFlags) => {
      await runMiner(chainPath, flags);
    });
}

async function runMiner(chainPath: string, flags: StartFlags): Promise<void> {
  const neighbours = flags.neighbours ?? [];
  // Loaded here, not at the top: the other commands start faster without the node's modules.
  const { Miner } = await import("../node/miner.js");
  const node = new Miner({
    pathToChain: chainPath,
    jsonFormat: isJsonFormat(flags.chainSerialization),
    port: flags.port,
    host: flags.host,
    ...(flags.advertise ? { advertise: flags.advertise } : {}),
    difficulty: flags.difficulty,
    proofRule: flags.proofRule,
    neighbours,
    maxNeighbours: flags.maxNeighbours,
    forceNewChain: flags.forceNewChain ?? false,
    verifyChain: flags.verifyChain ?? false,
    gossipIntervalS: flags.gossipInterval,
    chainSyncIntervalS: flags.chainSyncInterval,
    dataSyncIntervalS: flags.dataSyncInterval,
    backupIntervalS: flags.backupInterval,
    ...(flags.workers ? { workers: flags.workers } : {}),
    maxMessageBytes: flags.maxMessageBytes,
    maxPending: flags.maxPending,
    maxConnections: flags.maxConnections,
    mine: flags.mine,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
    corsOrigins: flags.corsOrigin ?? [],
    acceptModifiedChain: flags.acceptModifiedChain ?? false,
    // Set by `blockchain devnet` for the nodes it starts (the teaching controls); unset otherwise.
    devnetToken: process.env.BLOCKCHAIN_DEVNET_TOKEN ?? "",
    privateNetwork: {
      ...(flags.networkKey ? { networkKeyFile: flags.networkKey } : {}),
      ...(flags.writeTokens ? { writeTokensFile: flags.writeTokens } : {}),
      privateReads: flags.privateReads ?? false,
      ...(flags.tlsCert ? { tlsCertFile: flags.tlsCert } : {}),
      ...(flags.tlsKey ? { tlsKeyFile: flags.tlsKey } : {}),
      ...(flags.tlsCa ? { tlsCaFile: flags.tlsCa } : {}),
    },
  });
  // The signals are taken before the node starts, not after it says it listens: a parent that
  // sends SIGTERM as soon as it reads "listening on" must get a clean stop (the chain saved, the
  // lock released), never the default exit. A signal during the start stops the node once started.
  let started = false;
  let stopping = false;
  let stopNow: () => void = () => undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    if (started) stopNow();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  await node.start();
  started = true;
  process.stdout.write(`listening on ${node.url}\n`);
  await new Promise<void>((resolve) => {
    stopNow = () => {
      node.stop().then(resolve, (err) => {
        process.stderr.write(`blockchain: stop failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    if (stopping) stopNow();
    // Started by a parent with an IPC channel (devnet): stop when the parent is gone.
    if (process.channel) {
      process.channel.unref();
      process.once("disconnect", () => {
        if (!stopping) onSignal("SIGTERM");
      });
    }
  });
}
