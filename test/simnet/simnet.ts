import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NodeProcess } from "../helpers/node-process.js";

/*
 * The simnet: a multi-host test net on one machine. Each node gets a network
 * namespace of its own with an address from 10.213.0.0/16, a veth into a
 * bridge that lives in the simnet's own bridge namespace (the host's network
 * is never touched), and links capped with `tc tbf` (this kernel has no netem).
 * Nodes run with `ip netns exec`, bound to their address. A partition moves
 * nodes' bridge ports onto other bridges; heal moves them back. The test
 * process reaches the nodes through a small proxy that runs in the bridge
 * namespace and listens on Unix sockets. Everything made is removed by
 * destroy(), by the exit and signal handlers, and by a sweep of namespaces
 * left by runs whose process is gone.
 */

/** Every namespace of a simnet is named `bcsim<pid>-<seq>-...`: the sweep knows what is whose. */
const NAME_PREFIX = "bcsim";
const NAME_PATTERN = /^bcsim(\d+)-(\d+)-/;
/** Where SIMNET_KEEP moves a run's folder (under the temp folder). */
const KEPT_FOLDER = "bcsim-kept";
/** The range the simnet's addresses come from; it exists only inside its namespaces. */
const SUBNET = "10.213";
/** Where `ip netns exec` finds files to bind over /etc (the simnet's host names). */
const ETC_NETNS = "/etc/netns";
/** Whether this process made /etc/netns (then it removes it once empty). */
let madeEtcNetns = false;
const PROXY = fileURLToPath(new URL("./simnet-proxy.js", import.meta.url));

export interface SimNetOptions {
  nodes: number;
  /** Each link's rate, both ways (default 8 Mbit/s). */
  rateMbit?: number;
  /** The port every node listens on (default 12345: each node has an address of its own). */
  port?: number;
  /** DNS names -> node index, written to every node's /etc/hosts (via /etc/netns). */
  hosts?: Record<string, number>;
}

export interface SimStartOptions {
  /** Listen address (default: the node's own address); null gives no --host flag. */
  host?: string | null;
  /** `--advertise` (default `ip:port`); null gives no --advertise flag. */
  advertise?: string | null;
  /** More `miner start` flags. */
  args?: string[];
}

export interface SimAnswer<T = unknown> {
  status: number;
  body: T;
}

/** One node of the simnet: its namespace, its address, and its process while it runs. */
export class SimNode {
  process: NodeProcess | null = null;
  /** The flags of its last start, reused by restart(). */
  lastStart: SimStartOptions | null = null;
  group = 0;

  constructor(
    readonly index: number,
    readonly ns: string,
    readonly ip: string,
    readonly port: number,
    readonly chainPath: string,
    readonly socket: string,
  ) {}

  /** Its `host:port`, as peers write it. */
  get address(): string {
    return `${this.ip}:${this.port}`;
  }

  /** The bridge-side end of its veth. */
  get port_(): string {
    return `p${this.index}`;
  }
}

/** Why the simnet cannot run here, or null when it can (root, `ip`, `tc`, and a namespace can be made). */
export function simnetUnavailable(): string | null {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root (run as root, as CI does)";
  for (const tool of ["ip", "tc"]) {
    const found = spawnSync(tool, ["-V"], { stdio: "ignore" });
    if (found.error) return `'${tool}' is missing: install iproute2 (apt-get install iproute2)`;
  }
  const probe = `${NAME_PREFIX}${process.pid}-0-probe`;
  const made = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (made.status !== 0) return `'ip netns add' fails here: ${made.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return null;
}

const live = new Set<SimNet>();
let handlersInstalled = false;
let seq = 0;

/** Removes everything of every live simnet, synchronously (usable in an exit handler). */
function destroyAllSync(): void {
  for (const net of live) net.destroySync();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", destroyAllSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      destroyAllSync();
      // Dies of the signal as it would have, unless the program handles it itself.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function tryIp(...args: string[]): void {
  spawnSync("ip", args, { stdio: "ignore" });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Kills what runs in a namespace, deletes it, and removes its /etc/netns folder. */
function removeNamespace(name: string): void {
  const pids = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" }).stdout ?? "";
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  tryIp("netns", "del", name);
  rmSync(join(ETC_NETNS, name), { recursive: true, force: true });
  // /etc/netns itself goes too when a simnet made it and nothing else is in it.
  if (madeEtcNetns) {
    try {
      rmdirSync(ETC_NETNS);
      madeEtcNetns = false;
    } catch {
      // Not empty (another simnet's names, or files of someone else): left.
    }
  }
}

/** Whether `name` is a simnet's (namespace, /etc/netns folder or temp folder) whose process is gone. */
function isStale(name: string): boolean {
  const match = NAME_PATTERN.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  return pid !== process.pid && !isAlive(pid);
}

/**
 * What simnets whose process is gone (a crashed or killed run) left behind:
 * their namespaces (and what still runs in them), /etc/netns folders and temp
 * folders, removed. Returns the namespaces removed.
 */
export function sweepStaleNamespaces(): string[] {
  // Folders first: an /etc/netns that held only a dead simnet's names was that simnet's.
  for (const folder of [ETC_NETNS, tmpdir()]) {
    if (!existsSync(folder)) continue;
    const left = readdirSync(folder).filter(isStale);
    for (const name of left) rmSync(join(folder, name), { recursive: true, force: true });
    if (folder === ETC_NETNS && left.length > 0 && readdirSync(folder).length === 0)
      rmdirSync(folder);
  }
  const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  const stale = listed
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter(isStale);
  for (const name of stale) removeNamespace(name);
  return stale;
}

function addressOf(index: number): string {
  return `${SUBNET}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

/** The bridge namespace's own address on bridge `k` (the proxy talks from it). */
function controlAddressOf(k: number): string {
  return `${SUBNET}.255.${k + 1}`;
}

/** A multi-host test net: see the comment at the top of this file. */
export class SimNet {
  readonly nodes: SimNode[] = [];
  private proxy: ChildProcess | null = null;
  private readonly namespaces: string[] = [];
  private readonly bridges = new Set<number>();
  private destroyed = false;

  private constructor(
    readonly prefix: string,
    readonly dir: string,
    private readonly opts: Required<Omit<SimNetOptions, "hosts">> & Pick<SimNetOptions, "hosts">,
  ) {}

  /** Runs a command in node `index`'s namespace (e.g. a health check); its exit code. */
  exec(index: number, command: string[]): number | null {
    const ran = spawnSync("ip", ["netns", "exec", this.node(index).ns, ...command], {
      stdio: "ignore",
      timeout: 30_000,
    });
    return ran.status;
  }

  /** Makes the namespaces, the bridge, the links and the proxy; nodes are started with start(). */
  static async create(options: SimNetOptions): Promise<SimNet> {
    if (!(options.nodes >= 1 && options.nodes <= 1000))
      throw new RangeError("nodes must be 1 to 1000");
    installHandlers();
    sweepStaleNamespaces();
    const prefix = `${NAME_PREFIX}${process.pid}-${++seq}-`;
    const dir = await mkdtemp(join(tmpdir(), prefix));
    const net = new SimNet(prefix, dir, { rateMbit: 8, port: 12345, ...options });
    live.add(net);
    try {
      net.build();
      await net.startProxy();
    } catch (err) {
      net.destroySync();
      throw err;
    }
    return net;
  }

  private get bridgeNs(): string {
    return `${this.prefix}br`;
  }

  private addNamespace(name: string): void {
    ip("netns", "add", name);
    this.namespaces.push(name);
  }

  private build(): void {
    const br = this.bridgeNs;
    this.addNamespace(br);
    ip("-n", br, "link", "set", "lo", "up");
    this.addBridge(0);
    for (let i = 0; i < this.opts.nodes; i++) {
      const ns = `${this.prefix}n${i}`;
      const node = new SimNode(
        i,
        ns,
        addressOf(i),
        this.opts.port,
        join(this.dir, `node-${i}`, "chain.json"),
        join(this.dir, `node-${i}.sock`),
      );
      mkdirSync(join(this.dir, `node-${i}`));
      this.addNamespace(ns);
      // Both ends are made inside their namespaces: no interface ever appears in the host's.
      ip(
        "link",
        "add",
        "eth0",
        "netns",
        ns,
        "type",
        "veth",
        "peer",
        "name",
        node.port_,
        "netns",
        br,
      );
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", `${node.ip}/16`, "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      ip("-n", br, "link", "set", node.port_, "master", "br0");
      ip("-n", br, "link", "set", node.port_, "up");
      this.capLink(ns, "eth0");
      this.capLink(br, node.port_);
      this.writeHosts(ns);
      this.nodes.push(node);
    }
  }

  private capLink(ns: string, dev: string): void {
    const rate = `${this.opts.rateMbit}mbit`;
    execFileSync(
      "ip",
      ["netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf"].concat([
        "rate",
        rate,
        "burst",
        "64kbit",
        "latency",
        "400ms",
      ]),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  }

  /**
   * Points the names at other nodes, in every namespace at once: the files are
   * rewritten in place, so running nodes see the change at their next lookup
   * (as after a DNS update).
   */
  setHosts(hosts: Record<string, number>): void {
    this.opts.hosts = hosts;
    for (const node of this.nodes) this.writeHosts(node.ns);
  }

  /** `ip netns exec` bind-mounts /etc/netns/<ns>/hosts over /etc/hosts: the names of the test net. */
  private writeHosts(ns: string): void {
    const hosts = this.opts.hosts;
    if (!hosts) return;
    if (!existsSync(ETC_NETNS)) {
      mkdirSync(ETC_NETNS);
      madeEtcNetns = true;
    }
    const folder = join(ETC_NETNS, ns);
    mkdirSync(folder, { recursive: true });
    const lines = ["127.0.0.1 localhost"];
    for (const [name, index] of Object.entries(hosts)) lines.push(`${addressOf(index)} ${name}`);
    writeFileSync(join(folder, "hosts"), `${lines.join("\n")}\n`);
  }

  private addBridge(k: number): void {
    if (this.bridges.has(k)) return;
    const br = this.bridgeNs;
    ip("-n", br, "link", "add", `br${k}`, "type", "bridge");
    ip("-n", br, "link", "set", `br${k}`, "up");
    // Bridge 0 carries the /16 route; the others only their own address, reached by host routes.
    ip("-n", br, "addr", "add", `${controlAddressOf(k)}/${k === 0 ? 16 : 32}`, "dev", `br${k}`);
    this.bridges.add(k);
  }

  private async startProxy(): Promise<void> {
    const routes = this.nodes.map((n) => ({ socket: n.socket, host: n.ip, port: n.port }));
    const child = spawn(
      "ip",
      ["netns", "exec", this.bridgeNs, process.execPath, PROXY, JSON.stringify(routes)],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    this.proxy = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the simnet proxy did not start")), 10_000);
      child.stdout?.once("data", () => {
        clearTimeout(timer);
        resolve();
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the simnet proxy exited (${code})`));
      });
    });
  }

  node(index: number): SimNode {
    const node = this.nodes[index];
    if (!node) throw new RangeError(`no node ${index} in a simnet of ${this.nodes.length}`);
    return node;
  }

  /** Starts `miner start` in node `index`'s namespace, bound to its address; resolves once it serves. */
  async start(index: number, options: SimStartOptions = {}): Promise<NodeProcess> {
    const node = this.node(index);
    if (node.process?.running) throw new Error(`node ${index} is running already`);
    node.lastStart = options;
    const advertise = options.advertise === undefined ? node.address : options.advertise;
    node.process = await NodeProcess.start({
      chainPath: node.chainPath,
      port: node.port,
      wrapper: ["ip", "netns", "exec", node.ns],
      // Many nodes start at once on a shared machine: give them time.
      startTimeoutMs: 60_000,
      args: [
        ...(options.host === null ? [] : ["--host", options.host ?? node.ip]),
        ...(advertise === null ? [] : ["--advertise", advertise]),
        ...(options.args ?? []),
      ],
    });
    return node.process;
  }

  /** Starts node `index` again with the flags of its last start (its chain file kept). */
  async restart(index: number): Promise<NodeProcess> {
    const last = this.node(index).lastStart;
    if (!last) throw new Error(`node ${index} was never started`);
    return this.start(index, last);
  }

  /** kill -9 of node `index`; resolves once it is gone. */
  async kill(index: number): Promise<void> {
    await this.node(index).process?.kill();
  }

  /** SIGTERM, waiting for the exit; resolves to the exit code. */
  async stop(index: number): Promise<number | null> {
    return (await this.node(index).process?.stop()) ?? null;
  }

  /**
   * Cuts the net into groups: nodes of group k see only each other (group 0
   * stays on bridge 0; every node not named stays in group 0).
   */
  partition(groups: readonly (readonly number[])[]): void {
    const br = this.bridgeNs;
    for (const [k, members] of groups.entries()) {
      this.addBridge(k);
      for (const index of members) {
        const node = this.node(index);
        if (node.group === k) continue;
        ip("-n", br, "link", "set", node.port_, "master", `br${k}`);
        const route = `${node.ip}/32`;
        if (k === 0) tryIp("-n", br, "route", "del", route);
        else ip("-n", br, "route", "replace", route, "dev", `br${k}`, "src", controlAddressOf(k));
        node.group = k;
      }
    }
  }

  /** Puts every node back on one bridge. */
  heal(): void {
    this.partition([this.nodes.map((n) => n.index)]);
  }

  /** An HTTP request to node `index` from outside (through the proxy); the status and parsed body. */
  request<T = unknown>(
    index: number,
    method: "GET" | "POST" | "PUT",
    path: string,
    body?: unknown,
    timeoutMs = 10_000,
  ): Promise<SimAnswer<T>> {
    const node = this.node(index);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: node.socket,
          // A fresh connection each time: one kept from before a partition or a heal
          // would go on from the control address of the old bridge, which the node
          // can no longer reach until its ARP entry expires (tens of seconds).
          agent: false,
          method,
          path,
          headers: {
            host: node.address,
            ...(payload === undefined
              ? {}
              : {
                  "content-type": "application/json",
                  "content-length": Buffer.byteLength(payload),
                }),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text === "" ? null : JSON.parse(text);
            } catch {
              // Not JSON: the text as it is.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on("timeout", () =>
        req.destroy(new Error(`${method} ${path} on node ${index} timed out`)),
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** GET a JSON answer; throws unless 200. */
  async get<T = unknown>(index: number, path: string): Promise<T> {
    const answer = await this.request<T>(index, "GET", path);
    if (answer.status !== 200)
      throw new Error(`GET ${path} on node ${index} answered ${answer.status}`);
    return answer.body;
  }

  /** Adds a message at node `index` (POST /add); resolves to its id. */
  async add(index: number, message: string): Promise<string> {
    const answer = await this.request<{ id: string }>(index, "POST", "/add", { message });
    if (answer.status !== 200)
      throw new Error(
        `POST /add on node ${index} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    return answer.body.id;
  }

  /** Stops every node (kill -9), the proxy, and removes the namespaces and files. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process?.kill()));
    this.destroySync();
  }

  /** Removes everything, synchronously: namespaces (and what runs in them), /etc/netns files, the folder. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const node of this.nodes) {
      if (node.process?.running) node.process.child.kill("SIGKILL");
    }
    this.proxy?.kill("SIGKILL");
    for (const name of [...this.namespaces].reverse()) removeNamespace(name);
    if (!process.env.SIMNET_KEEP) rmSync(this.dir, { recursive: true, force: true });
    else if (existsSync(this.dir)) {
      // Out of the sweep's reach (it removes a dead simnet's folders): kept until removed by hand.
      const kept = join(tmpdir(), KEPT_FOLDER, basename(this.dir));
      mkdirSync(join(tmpdir(), KEPT_FOLDER), { recursive: true });
      renameSync(this.dir, kept);
      process.stderr.write(`simnet: kept ${kept}\n`);
    }
  }
}
