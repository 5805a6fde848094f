import { type Command, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import { callNode, type NodeTarget } from "./node-client.js";
import { intIn } from "./options.js";
import { addedWithoutId, callOwnEndpoint, decodeClientAnswer } from "./original-answers.js";
import { escapeControl } from "./terminal-text.js";

interface TargetFlags {
  host: string;
  port: number;
  json?: boolean;
  token?: string;
  tlsCa?: string;
  cookie?: string;
}

function withTarget(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--host <addr>",
        "the node's address, or its URL (https://host:port for a node with TLS)",
      )
        .default(DEFAULTS.host)
        .env("BLOCKCHAIN_HOST"),
    )
    .addOption(
      new Option("--port <n>", "the node's port")
        .argParser(intIn(1, 65535))
        .default(DEFAULTS.port)
        .env("BLOCKCHAIN_PORT"),
    )
    .addOption(new Option("--json", "print the node's JSON answer"))
    .addOption(
      new Option(
        "--token <token>",
        "a writer's token, for a node with --write-tokens or --private-reads",
      ).env("BLOCKCHAIN_TOKEN"),
    )
    .addOption(
      new Option(
        "--cookie <file>",
        "take the token from this node cookie file (default: the local node's)",
      ).env("BLOCKCHAIN_COOKIE"),
    )
    .addOption(new Option("--tls-ca <pem>", "the group's CA, for an https:// node"));
}

/** The message of `add`: the argument, or stdin for `-` with one trailing newline dropped. */
async function messageOf(argument: string): Promise<string> {
  if (argument !== "-") return argument;
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, "");
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** A value from the node, as one line of human-readable output (control characters escaped). */
function safe(value: unknown): string {
  return escapeControl(String(value));
}

function formatBlock(block: Block): string {
  const time = new Date(block.timestamp).toISOString();
  return `#${safe(block.index)}  ${time}  proof ${safe(block.proof ?? "-")}  ${safe(block.data.id)}\n    ${safe(block.data.message)}`;
}

function formatData(list: Data[]): string {
  if (list.length === 0) return "no pending messages";
  return list.map((d) => `${safe(d.id)}  ${safe(d.message)}`).join("\n");
}

function formatStatus(s: Record<string, unknown>): string {
  const rows: [string, unknown][] = [
    ["address", s.address],
    ["version", s.version],
    ["length", s.length],
    ["tip", s.tip],
    ["difficulty", s.difficulty],
    ["proof rule", s.proof_rule ?? "original"],
    ["pending", s.pending],
    ["mining", s.mining],
    ["hashrate", `${Math.round(Number(s.hashrate))} H/s`],
    ["engine", s.miner_engine],
    ["neighbours", (s.neighbours as string[]).join(", ") || "none"],
  ];
  return rows.map(([k, v]) => `${k.padEnd(11)}${safe(v)}`).join("\n");
}

/** `blockchain add` and `blockchain get ...`: talk to a running node. */
export function registerClientCommands(program: Command): void {
  withTarget(
    program
      .command("add")
      .description("submit a message to a node; prints its id")
      .argument(
        "<message>",
        "the message text, or - to read it from stdin (one trailing newline dropped)",
      ),
  ).action(async (argument: string, flags: TargetFlags) => {
    const message = await messageOf(argument);
    // PUT /add?message= is the one form both this node and the original Python node serve.
    const path = `/add?message=${encodeURIComponent(message)}`;
    const answer = (await callNode(flags, "PUT", path)) as { id?: unknown; message?: unknown };
    if (flags.json) return print(JSON.stringify(answer));
    print(safe(typeof answer.id === "string" ? answer.id : addedWithoutId(answer)));
  });

  const get = program
    .command("get")
    .description("read from a node: chain, neighbours, data, status, block <index>, message <id>");
  const what = {
    chain: "the chain, oldest block first",
    neighbours: "the node's neighbours",
    data: "the pending messages",
    status: "the node's status",
  } as const;
  for (const [name, description] of Object.entries(what)) {
    withTarget(get.command(name).description(description)).action(async (flags: TargetFlags) => {
      await printResource(name as keyof typeof what, flags);
    });
  }
  registerGetBlock(get);
  withTarget(
    get
      .command("message")
      .description("a message by id: pending, or confirmed in block N")
      .argument("<id>", "the message id"),
  ).action(async (id: string, flags: TargetFlags) => {
    const answer = (await callOwnEndpoint(flags, `/data/${encodeURIComponent(id)}`)) as {
      status: string;
      message: string;
      index?: number;
      confirmations?: number;
    };
    if (flags.json) return print(JSON.stringify(answer));
    const where =
      answer.status === "confirmed"
        ? `confirmed in block ${safe(answer.index)} (${plural(Number(answer.confirmations), "confirmation")})`
        : "pending";
    print(`${where}\n${safe(answer.message)}`);
  });
}

/** `blockchain get block <index>`: one block, with its hash. */
function registerGetBlock(get: Command): void {
  withTarget(
    get
      .command("block")
      .description("one block by index, with its hash")
      .argument("<index>", "the block's index (0 is genesis)", intIn(0, Number.MAX_SAFE_INTEGER)),
  ).action(async (index: number, flags: TargetFlags) => {
    const block = (await callOwnEndpoint(flags, `/blocks/${index}`)) as Block;
    if (flags.json) return print(JSON.stringify(block));
    // Loaded here, not with the commands: it loads node:crypto, which no other client command needs.
    const { hashBlock } = await import("../core/hash.js");
    print(`${formatBlock(block)}\n    hash ${hashBlock(block)}`);
  });
}

async function printResource(
  name: "chain" | "neighbours" | "data" | "status",
  flags: TargetFlags,
): Promise<void> {
  const target: NodeTarget = flags;
  const answer =
    name === "status"
      ? await callOwnEndpoint(target, "/status")
      : decodeClientAnswer(name, await callNode(target, "GET", `/${name}`)).answer;
  if (flags.json) return print(JSON.stringify(answer));
  switch (name) {
    case "chain": {
      const { chain, length } = answer as { chain: Block[]; length: number };
      return print(`${chain.map(formatBlock).join("\n")}\n${safe(length)} blocks`);
    }
    case "neighbours": {
      const { neighbours } = answer as { neighbours: string[] };
      return print(neighbours.length === 0 ? "no neighbours" : neighbours.map(safe).join("\n"));
    }
    case "data":
      return print(formatData(answer as Data[]));
    case "status":
      return print(formatStatus(answer as Record<string, unknown>));
  }
}
