import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import { DEFAULTS, LOG_FORMATS, LOG_LEVELS } from "../config/config.js";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { PROOF_RULE_NAMES, type ProofRuleName } from "../core/proof-rules.js";
import { expandHome } from "../storage/file/home-path.js";
import { DevnetControls, type DevnetNode } from "./devnet-controls.js";
import { type PrivateDevnet, preparePrivateDevnet } from "./devnet-private.js";
import { intIn, PROOF_RULE_HELP } from "./options.js";

interface DevnetFlags {
  nodes: number;
  basePort: number;
  difficulty: number;
  proofRule: ProofRuleName;
  dir: string;
  workers?: number;
  logLevel: string;
  logFormat: string;
  fresh?: boolean;
  watchPort?: number;
  watch: boolean;
  private?: boolean;
  tls?: boolean;
}

/** The `blockchain` command of this checkout (from dist/src/cli/). */
const BIN = fileURLToPath(new URL("../../../bin/blockchain", import.meta.url));
/** How long a node may take to start serving, and to stop, before devnet gives up on it. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/** `blockchain devnet`: N miners on this machine, in a ring, until Ctrl-C. */
export function registerDevnetCommand(program: Command): void {
  program
    .command("devnet")
    .description(
      "run N miner nodes on this machine in a ring (node i's neighbour is node i+1), with the network view (split, heal, stop and start nodes from it); Ctrl-C stops them all",
    )
    .option("--nodes <n>", "how many nodes", intIn(1, 64), DEFAULTS.devnetNodes)
    .option(
      "--base-port <n>",
      "port of node 0; node i listens on base-port + i",
      intIn(1, 65535),
      DEFAULTS.port,
    )
    .option(
      "--difficulty <n>",
      "trailing zeros a proof needs",
      intIn(1, MAX_DIFFICULTY),
      DEFAULTS.devnetDifficulty,
    )
    .addOption(
      new Option("--proof-rule <rule>", PROOF_RULE_HELP)
        .choices(PROOF_RULE_NAMES)
        .default(DEFAULTS.proofRule),
    )
    .option("--dir <dir>", "folder of the chain files (DIR/node-i/chain.json)", ".devnet")
    .option(
      "--workers <n>",
      "mining threads per node (default: the cores shared among the nodes)",
      intIn(1, 256),
    )
    .addOption(
      new Option("--log-level <level>", "the nodes' log level (info shows each mined block)")
        .choices(LOG_LEVELS)
        .default("info")
        .env("BLOCKCHAIN_LOG_LEVEL"),
    )
    .addOption(
      new Option("--log-format <format>", "the nodes' console log lines")
        .choices(LOG_FORMATS)
        .default("pretty"),
    )
    .option("--fresh", "start new chains: delete DIR/node-*/ (chains, journals, logs) first")
    .option(
      "--watch-port <n>",
      "port of the network view (default: base-port - 1; 0: any free port)",
      intIn(0, 65535),
    )
    .option("--no-watch", "do not run the network view")
    .option(
      "--private",
      "a private network: a network key and a writer token (printed) in DIR/private, kept between runs; the network view reads the nodes with that token",
    )
    .option(
      "--tls",
      "the nodes serve HTTPS with a group CA and certificates made in DIR/private/tls (the network view calls them with that CA)",
    )
    .action(async (flags: DevnetFlags) => {
      if (flags.basePort + flags.nodes - 1 > 65535) {
        throw new Error(
          `--base-port ${flags.basePort} leaves no room for ${flags.nodes} nodes below port 65536`,
        );
      }
      process.exitCode = await runDevnet(flags);
    });
}

async function runDevnet(flags: DevnetFlags): Promise<number> {
  const workers = flags.workers ?? Math.max(1, Math.floor(availableParallelism() / flags.nodes));
  const nodes: DevnetNode[] = [];
  let stopping = false;
  // Only the nodes started here get it: with it they serve the view's split control.
  const token = randomBytes(32).toString("hex");
  // Children run in their own process group, so that Ctrl-C reaches devnet only and
  // each node gets exactly one SIGTERM from here; if devnet itself dies, they go too.
  const killAll = () => {
    for (const node of nodes) if (node.child.exitCode === null) node.child.kill("SIGKILL");
  };
  process.on("exit", killAll);
  const stopped = new Promise<void>((resolveStop) => {
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      resolveStop();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    // A closed terminal: stop the nodes as Ctrl-C would.
    process.once("SIGHUP", onSignal);
  });
  const dir = resolve(expandHome(flags.dir));
  if (flags.fresh) removeNodeFolders(dir);
  process.stdout.write(
    `devnet: ${flags.nodes} nodes, difficulty ${flags.difficulty}, proof rule ${flags.proofRule}, chains under ${dir}\n`,
  );
  const group = await preparePrivateDevnet(dir, {
    private: flags.private ?? false,
    tls: flags.tls ?? false,
  });
  for (const line of group.lines) process.stdout.write(`${line}\n`);
  const scheme = flags.tls ? "https" : "http";
  for (let i = 0; i < flags.nodes; i++) {
    const port = flags.basePort + i;
    const next = flags.basePort + ((i + 1) % flags.nodes);
    const chainDir = join(dir, `node-${i}`);
    mkdirSync(chainDir, { recursive: true });
    const args = [BIN, "miner", "start", join(chainDir, "chain.json"), "--port", String(port)];
    args.push(
      "--difficulty",
      String(flags.difficulty),
      "--proof-rule",
      flags.proofRule,
      "--workers",
      String(workers),
      "--log-level",
      flags.logLevel,
      "--log-format",
      flags.logFormat,
    );
    args.push(...group.nodeArgs);
    if (flags.nodes > 1) args.push("--neighbours", `127.0.0.1:${next}`);
    nodes.push(spawnNode(`node-${i}`, port, args, token));
  }
  const ready = await Promise.race([
    Promise.all(nodes.map((node) => waitListening(node))).then(() => true),
    stopped.then(() => false),
  ]).catch((err: Error) => {
    process.stderr.write(`devnet: ${err.message}\n`);
    if (!flags.fresh) {
      process.stderr.write(
        `devnet: a chain left under ${dir} may not fit these flags (another --difficulty?); --fresh starts new chains\n`,
      );
    }
    return false;
  });
  let watcher: import("../watch/watcher.js").Watcher | null = null;
  if (ready) {
    for (const node of nodes)
      process.stdout.write(`${node.name} ${scheme}://127.0.0.1:${node.port}\n`);
    if (flags.watch) watcher = await startView(flags, nodes, token, group).catch(viewFailed);
    process.stdout.write("devnet ready; Ctrl-C stops every node\n");
    const looking = new AbortController();
    await Promise.race([stopped, allExited(nodes, looking.signal)]);
    looking.abort();
  }
  await watcher?.stop();
  const codes = await stopAll(nodes);
  process.off("exit", killAll);
  const clean = ready && codes.every((code) => code === 0);
  process.stdout.write(
    clean ? "devnet stopped\n" : `devnet stopped; exit codes ${codes.join(", ")}\n`,
  );
  return clean ? 0 : 1;
}

/** Deletes the node folders an earlier devnet left in `dir` (node-0, node-1, ...), nothing else. */
function removeNodeFolders(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (/^node-\d+$/.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Starts the network view on the devnet's nodes, with its teaching controls;
 * prints its URL. On a private devnet the view reads with the writer token,
 * and with --tls calls the nodes (and the controls) over HTTPS with the group's CA.
 */
async function startView(
  flags: DevnetFlags,
  nodes: DevnetNode[],
  token: string,
  group: PrivateDevnet,
) {
  const { Watcher } = await import("../watch/watcher.js");
  const tlsCa = group.caFile ? readFileSync(group.caFile) : undefined;
  const controls = new DevnetControls({
    nodes,
    token,
    ...(tlsCa ? { tlsCa } : {}),
    stopNode: async (node) => {
      await stopAll([node]);
    },
    restart: async (node) => {
      Object.assign(node, spawnNode(node.name, node.port, node.args, token));
      await waitListening(node);
    },
  });
  const watcher = new Watcher({
    nodes: nodes.map((n) => `${tlsCa ? "https://" : ""}127.0.0.1:${n.port}`),
    ...(group.token ? { token: group.token } : {}),
    ...(tlsCa ? { tlsCa } : {}),
    port: flags.watchPort ?? Math.max(0, flags.basePort - 1),
    host: DEFAULTS.host,
    maxNodes: Math.max(flags.nodes, DEFAULTS.watchMaxNodes),
    controls,
  });
  await watcher.start();
  process.stdout.write(`network view: ${watcher.url}\n`);
  return watcher;
}

function viewFailed(err: Error): null {
  process.stderr.write(`devnet: the network view did not start: ${err.message}\n`);
  return null;
}

/** How often devnet looks whether its nodes are all gone. */
const EXIT_CHECK_MS = 500;

/**
 * Resolves once every node has exited on its own. A node stopped from the
 * view does not count (it may be started again, as a new process): so the
 * processes are looked at, not awaited.
 */
function allExited(nodes: DevnetNode[], signal: AbortSignal): Promise<void> {
  return new Promise((resolveAll) => {
    const timer = setInterval(() => {
      const down = nodes.every((n) => n.child.exitCode !== null || n.child.signalCode !== null);
      if (!down || nodes.some((n) => n.stoppedOnPurpose)) return;
      clearInterval(timer);
      resolveAll();
    }, EXIT_CHECK_MS);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  });
}

function spawnNode(name: string, port: number, args: string[], token: string): DevnetNode {
  // The IPC channel is the node's lifeline: when devnet ends, however it ends (SIGKILL
  // included), the channel closes and the node stops by itself.
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    detached: true,
    env: { ...process.env, BLOCKCHAIN_DEVNET_TOKEN: token },
  });
  const exited = new Promise<number | null>((resolveExit) =>
    child.once("exit", (code) => resolveExit(code)),
  );
  prefixLines(child.stderr, process.stderr, name);
  return { name, port, args, child, exited, stoppedOnPurpose: false };
}

/** Resolves when the node prints `listening on`; rejects when it exits first or takes too long. */
function waitListening(node: DevnetNode): Promise<void> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${node.name} did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    let text = "";
    node.child.stdout?.setEncoding("utf8");
    node.child.stdout?.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("listening on ")) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    void node.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${node.name} exited (code ${code}) before serving`));
    });
  });
}

/** SIGTERM to every node still running, then waits (SIGKILL after a deadline); the exit codes. */
async function stopAll(nodes: DevnetNode[]): Promise<(number | null)[]> {
  for (const node of nodes) {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGTERM");
  }
  return Promise.all(
    nodes.map(async (node) => {
      const timer = setTimeout(() => node.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      const code = await node.exited;
      clearTimeout(timer);
      return code;
    }),
  );
}

function prefixLines(
  from: NodeJS.ReadableStream | null,
  to: NodeJS.WritableStream,
  name: string,
): void {
  let rest = "";
  from?.setEncoding("utf8");
  from?.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) to.write(`[${name}] ${line}\n`);
  });
}
