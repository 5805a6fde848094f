import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { waitFor } from "../helpers/wait-for.js";
import { statuses } from "./scenario.js";
import { SimNet, simnetUnavailable } from "./simnet.js";

/*
 * compose.yaml's miners, reproduced in the simnet: one namespace per service,
 * its service name resolving to its address (as on a compose network), and
 * each node started with exactly the flags of its `command`. So what the
 * compose file promises is tested where no container engine runs. The
 * Dockerfile's HEALTHCHECK command is run inside the namespaces too.
 */
const UNAVAILABLE = simnetUnavailable();
const SKIP = UNAVAILABLE ? `simnet unavailable: ${UNAVAILABLE}` : false;
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Service {
  name: string;
  /** `miner start` flags after the chain path. */
  flags: string[];
}

/** The compose file's miners: each service whose command is `miner start <path> ...`. */
function composeMiners(): Service[] {
  const compose = parse(readFileSync(`${ROOT}compose.yaml`, "utf8")) as {
    services?: Record<string, { command?: unknown }>;
  };
  const services: Service[] = [];
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    const command = service.command;
    assert.ok(
      Array.isArray(command) && command.every((part) => typeof part === "string"),
      `compose.yaml: the command of ${name} is a list of strings`,
    );
    if (command[0] !== "miner" || command[1] !== "start") continue;
    services.push({ name, flags: command.slice(3) });
  }
  return services;
}

/** The value of `--flag` in a list of flags. */
function flagValue(flags: readonly string[], flag: string): string | undefined {
  const at = flags.indexOf(flag);
  return at >= 0 ? flags[at + 1] : undefined;
}

/** The Dockerfile's HEALTHCHECK command (its exec form, a JSON list). */
function healthCheck(): string[] {
  const text = readFileSync(`${ROOT}Dockerfile`, "utf8").replace(/\\\n/g, " ");
  const line = text.split("\n").find((l) => l.startsWith("HEALTHCHECK"));
  assert.ok(line, "the Dockerfile has a HEALTHCHECK");
  const command = JSON.parse(line.slice(line.indexOf("CMD") + 3).trim()) as string[];
  assert.ok(Array.isArray(command) && command[0] === "node", "the health check runs node");
  return command;
}

describe("compose.yaml's miners in the simnet", { skip: SKIP, timeout: 300_000 }, () => {
  const services = composeMiners();
  let net: SimNet;

  before(async () => {
    assert.ok(services.length >= 3, "compose.yaml has at least three miners");
    const hosts = Object.fromEntries(services.map((s, i) => [s.name, i]));
    net = await SimNet.create({ nodes: services.length, hosts });
    // Exactly the compose flags: no --host or --advertise of the simnet's own.
    await Promise.all(
      services.map((s, i) => net.start(i, { host: null, advertise: null, args: s.flags })),
    );
  });
  after(async () => {
    await net?.destroy();
  });

  it("each miner is known by its service name and reaches the neighbour its command names", async () => {
    await waitFor(
      async () => {
        const all = await statuses(
          net,
          services.map((_, i) => i),
        );
        return services.every((s, i) => {
          const status = all[i] as { address?: string; neighbours: string[] } | null;
          const named = flagValue(s.flags, "--neighbours")?.split(",") ?? [];
          return (
            status?.address === flagValue(s.flags, "--advertise") &&
            named.every((n) => status?.neighbours.includes(n))
          );
        });
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "every miner with its name and its neighbours" },
    );
  });

  it("a message given to one miner reaches every miner", async () => {
    const id = await net.add(0, "through the compose ring");
    await waitFor(
      async () => {
        const answers = await Promise.all(
          services.map((_, i) => net.request(i, "GET", `/data/${id}`).catch(() => null)),
        );
        return answers.every((a) => a?.status === 200);
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "the message on every miner" },
    );
  });

  it("the image's HEALTHCHECK passes on a serving miner and fails where none serves", async () => {
    const [node, ...args] = healthCheck();
    assert.equal(node, "node");
    assert.equal(net.exec(0, [process.execPath, ...args]), 0);
    await net.kill(1);
    assert.notEqual(net.exec(1, [process.execPath, ...args]), 0);
  });
});
