import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import { parseNeighbour } from "../net/neighbour-forms.js";
import { readTlsCa } from "../net/node-endpoint.js";
import { intIn } from "./options.js";

interface WatchFlags {
  port: number;
  host: string;
  maxNodes: number;
  token?: string;
  tlsCa?: string;
}

/**
 * A node address as the watch command takes it (the neighbours' forms:
 * host:port, http://..., a host alone), kept https:// for a node with TLS.
 */
function nodeAddress(value: string, previous: string[] = []): string[] {
  try {
    const address = parseNeighbour(value);
    return [...previous, /^https:\/\//i.test(value.trim()) ? `https://${address}` : address];
  } catch (err) {
    throw new InvalidArgumentError(`'${value}' is not a node address (${(err as Error).message}).`);
  }
}

/** `blockchain watch`: the network view, until SIGINT or SIGTERM. */
export function registerWatchCommand(program: Command): void {
  program
    .command("watch")
    .description(
      "serve a live view of a whole network: every node found from the ones given (through their neighbours), the fork tree, propagation, the peer graph and an event log",
    )
    .argument(
      "<host:port...>",
      "nodes to start from (https://host:port for nodes with TLS: their neighbours are called over HTTPS too)",
      (value: string, previous: string[]) => nodeAddress(value, previous),
    )
    .option("--port <n>", "listen port of the view", intIn(0, 65535), DEFAULTS.watchPort)
    .option("--host <addr>", "listen address of the view", DEFAULTS.host)
    .option("--max-nodes <n>", "most nodes followed", intIn(1, 4096), DEFAULTS.watchMaxNodes)
    .addOption(
      new Option(
        "--token <token>",
        "a writer's token, sent to every node followed (for nodes with --private-reads)",
      ).env("BLOCKCHAIN_TOKEN"),
    )
    .addOption(
      new Option("--tls-ca <pem>", "the group's CA that https:// nodes' certificates chain to"),
    )
    .action(async (nodes: string[], flags: WatchFlags) => {
      await runWatch(nodes, flags);
    });
}

async function runWatch(nodes: string[], flags: WatchFlags): Promise<void> {
  // Loaded here: the other commands start faster without the server's modules.
  // The CA would go unused: only https:// nodes (and those found through them) are called over TLS.
  if (flags.tlsCa && !nodes.some((node) => node.startsWith("https://"))) {
    throw new Error(
      `--tls-ca is for nodes with TLS, and none of ${nodes.join(", ")} is one: write them https://host:port`,
    );
  }
  const { Watcher } = await import("../watch/watcher.js");
  const watcher = new Watcher({
    nodes,
    port: flags.port,
    host: flags.host,
    maxNodes: flags.maxNodes,
    ...(flags.token ? { token: flags.token } : {}),
    ...(flags.tlsCa ? { tlsCa: readTlsCa(flags.tlsCa) } : {}),
  });
  await watcher.start();
  process.stdout.write(`network view: ${watcher.url}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      watcher.stop().then(resolve, (err: Error) => {
        process.stderr.write(`blockchain: closing the view failed: ${err.message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
