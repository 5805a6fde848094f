import type { AddressInfo } from "node:net";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULTS } from "../config/config.js";
import { normalizeAddress } from "../net/address.js";
import { intIn } from "./options.js";

interface UiFlags {
  port: number;
  node: string;
  host: string;
}

/**
 * A commander parser for the node: a URL (http or https, the trailing slash dropped),
 * or `host:port` (or a host alone) as every other command takes it, meaning http.
 */
function nodeUrl(value: string): string {
  if (!value.includes("://")) {
    try {
      return `http://${normalizeAddress(value)}`;
    } catch (err) {
      throw new InvalidArgumentError(
        `must be host:port or a URL such as http://127.0.0.1:12345 (${(err as Error).message}).`,
      );
    }
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("must be a URL such as http://127.0.0.1:12345.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("must start with http:// or https://.");
  }
  return value.replace(/\/+$/, "");
}

/** How a listening address is written in a URL (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** `blockchain ui`: serves the explorer alone, pointed at any node, until SIGINT or SIGTERM. */
export function registerUiCommand(program: Command): void {
  program
    .command("ui")
    .description(
      "serve the web explorer on its own, pointed at a node (which must allow CORS, as this node's API does)",
    )
    .option("--port <n>", "listen port", intIn(0, 65535), DEFAULTS.uiPort)
    .option(
      "--node <url|host:port>",
      "the node the explorer calls",
      nodeUrl,
      `http://${DEFAULTS.host}:${DEFAULTS.port}`,
    )
    .option("--host <addr>", "listen address", DEFAULTS.host)
    .action(async (flags: UiFlags) => {
      await runUi(flags);
    });
}

async function runUi(flags: UiFlags): Promise<void> {
  // Loaded here, not at the top: the other commands start faster without the server's modules.
  const { default: Fastify } = await import("fastify");
  const { registerExplorer } = await import("../api/explorer.js");
  const app = Fastify({ logger: false, forceCloseConnections: true });
  registerExplorer(app, { nodeUrl: flags.node });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ message: `'${request.url.replace(/^\//, "")}' is not a page of the explorer` });
  });
  await app.listen({ port: flags.port, host: flags.host });
  // With --port 0 the system picks the port: print the one actually bound.
  const { port } = app.server.address() as AddressInfo;
  process.stdout.write(`explorer on http://${urlHost(flags.host)}:${port} (node: ${flags.node})\n`);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      app.close().then(resolve, (err: Error) => {
        process.stderr.write(`blockchain: closing the explorer failed: ${err.message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
