import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { runCommand } from "../helpers/run-command.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * The image, built from the repository's Dockerfile and run by a real Docker engine, and
 * compose.yaml's ring of three miners. Only with BLOCKCHAIN_DOCKER=1 (a build takes about a
 * minute and needs root or the docker group). Where no registry serves node:20-slim, the
 * check makes the stand-in base (scripts/make-stand-in-base.sh) and says so.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
).version;
const RUN_ID = randomBytes(4).toString("hex");
const IMAGE = `blockchain-node-test:${RUN_ID}`;
const SOURCE = "https://example.invalid/blockchain-node";
/** How long `docker stop` waits for a node before it kills it. */
const STOP_TIMEOUT_S = 30;

/** Runs a command to its end (killed after `timeoutMs`), its output kept, in the repository. */
const run = (command: string, args: string[], timeoutMs?: number) =>
  runCommand(command, args, { cwd: ROOT, timeoutMs });

/** Runs a command that must succeed; returns its stdout, trimmed. */
async function must(command: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await run(command, args, timeoutMs);
  assert.equal(result.code, 0, `${command} ${args.join(" ")}: ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

const docker = (...args: string[]) => must("docker", args);

/** Why the check cannot run here, or false when it can. */
function whySkipped(): string | false {
  if (process.env.BLOCKCHAIN_DOCKER !== "1")
    return "set BLOCKCHAIN_DOCKER=1 to build and run the image";
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  if (info.status !== 0)
    return `no Docker engine answers (docker info: ${(info.stderr || String(info.error)).trim()})`;
  if (composeCommand() === null) return "neither docker-compose nor docker compose is installed";
  return false;
}

/** `docker-compose` (Debian's 1.29) or the `docker compose` plugin. */
function composeCommand(): string[] | null {
  if (spawnSync("docker-compose", ["version"], { timeout: 20_000 }).status === 0)
    return ["docker-compose"];
  if (spawnSync("docker", ["compose", "version"], { timeout: 20_000 }).status === 0)
    return ["docker", "compose"];
  return null;
}

/** node:20-slim from the registry, else the project's stand-in made from Debian packages. */
async function ensureBaseImage(): Promise<void> {
  if ((await run("docker", ["image", "inspect", "node:20-slim"])).code === 0) return;
  const pulled = await run("docker", ["pull", "node:20-slim"], 300_000);
  if (pulled.code === 0) return;
  process.stdout.write(
    `# no registry serves node:20-slim (${pulled.stderr.trim().split("\n").at(-1)}); making the stand-in base with scripts/make-stand-in-base.sh\n`,
  );
  const made = await must("sh", [join(ROOT, "scripts", "make-stand-in-base.sh")], 600_000);
  process.stdout.write(`# ${made.split("\n").at(-1)}\n`);
}

/** The `127.0.0.1:<port>` Docker published a container's port 12345 on. */
async function publishedUrl(container: string): Promise<string> {
  const line = (await docker("port", container, "12345/tcp"))
    .split("\n")
    .find((l) => l.startsWith("127.0.0.1:"));
  assert.ok(line, `${container} publishes 12345 on 127.0.0.1`);
  return `http://${line}`;
}

/**
 * A request and its JSON answer within 5 s. The deadline is a timer of its own, which keeps
 * the event loop alive: docker-proxy takes a connection before the container listens and
 * may then hold it without an answer, and AbortSignal.timeout's timer does not keep a
 * process waiting.
 */
async function requestJson<T>(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`${url}: no answer within 5 s`)),
    5_000,
  );
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    return { status: res.status, body: (await res.json()) as T };
  } finally {
    clearTimeout(timer);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const { status, body } = await requestJson<T>(url);
  if (status !== 200) throw new Error(`GET ${url} answered ${status}`);
  return body;
}

async function add(url: string, message: string): Promise<string> {
  const { status, body } = await requestJson<{ id?: string }>(`${url}/add`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message }),
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.ok(body.id);
  return body.id;
}

async function confirmed(url: string, id: string): Promise<boolean> {
  try {
    return (await getJson<{ status: string }>(`${url}/data/${id}`)).status === "confirmed";
  } catch {
    return false;
  }
}

interface Status {
  length: number;
  tip: string;
  version: string;
  miner_engine?: string;
}

const skip = whySkipped();

describe("the Docker image, built and run", { skip, timeout: 1_200_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  let buildSeconds = 0;

  before(async () => {
    await ensureBaseImage();
    const started = Date.now();
    cleanups.push(() => run("docker", ["image", "rm", "-f", IMAGE]));
    await must(
      "docker",
      [
        "build",
        "-t",
        IMAGE,
        "--build-arg",
        `VERSION=${VERSION}`,
        "--build-arg",
        `SOURCE=${SOURCE}`,
        ROOT,
      ],
      900_000,
    );
    buildSeconds = (Date.now() - started) / 1000;
    process.stdout.write(`# docker build: ${buildSeconds.toFixed(0)} s\n`);
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("is labelled with the package's version, its source and its licence, and runs as a non-root user", async () => {
    const config = JSON.parse(
      await docker("image", "inspect", "--format", "{{json .Config}}", IMAGE),
    ) as {
      User: string;
      Labels: Record<string, string>;
      Healthcheck?: { Test: string[] };
    };
    assert.equal(config.Labels["org.opencontainers.image.version"], VERSION);
    assert.equal(config.Labels["org.opencontainers.image.source"], SOURCE);
    assert.ok(config.Labels["org.opencontainers.image.licenses"]);
    assert.equal(config.User, "node");
    assert.ok(config.Healthcheck?.Test.join(" ").includes("/status"));
    const size = Number(await docker("image", "inspect", "--format", "{{.Size}}", IMAGE));
    process.stdout.write(`# image size: ${(size / 1e6).toFixed(0)} MB\n`);
  });

  it("one container: serves /status, mines a message, turns healthy, keeps its chain over a restart, and exits 0 on SIGTERM", async () => {
    const name = `bc-test-${RUN_ID}`;
    const volume = `bc-test-${RUN_ID}`;
    cleanups.push(() => run("docker", ["volume", "rm", "-f", volume]));
    cleanups.push(() => run("docker", ["rm", "-f", "-v", name]));
    // The image's own HEALTHCHECK command, asked every 2 s instead of every 30 s.
    await docker(
      "run",
      "-d",
      "--name",
      name,
      "-p",
      "127.0.0.1::12345",
      "-v",
      `${volume}:/data`,
      "--stop-timeout",
      String(STOP_TIMEOUT_S),
      "--health-interval",
      "2s",
      "--health-start-period",
      "60s",
      IMAGE,
      "miner",
      "start",
      "/data/chain.json",
      "--host",
      "0.0.0.0",
      "--difficulty",
      "3",
      "--workers",
      "1",
    );
    let url = await publishedUrl(name);
    const status = await waitFor(() => getJson<Status>(`${url}/status`), {
      what: "/status",
      timeoutMs: 60_000,
    });
    assert.equal(status.version, VERSION);
    const id = await add(url, "mined in a container");
    await waitFor(() => confirmed(url, id), { what: "the message mined", timeoutMs: 60_000 });

    const uid = await docker("exec", name, "sh", "-c", "awk '/^Uid:/ {print $2}' /proc/1/status");
    assert.notEqual(uid, "0", "the node runs as a non-root user");
    await waitFor(
      async () =>
        (await docker("inspect", "--format", "{{.State.Health.Status}}", name)) === "healthy",
      {
        what: "HEALTHCHECK healthy",
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );

    await docker("restart", "--time", String(STOP_TIMEOUT_S), name);
    url = await publishedUrl(name);
    await waitFor(() => confirmed(url, id), {
      what: "the message still there after docker restart",
      timeoutMs: 60_000,
    });

    await docker("stop", "--time", String(STOP_TIMEOUT_S), name);
    const state = JSON.parse(await docker("inspect", "--format", "{{json .State}}", name)) as {
      ExitCode: number;
      OOMKilled: boolean;
    };
    assert.equal(
      state.ExitCode,
      0,
      "SIGTERM: saved and exited 0 before the stop timeout's SIGKILL",
    );
    const logs = await run("docker", ["logs", name]);
    assert.doesNotMatch(logs.stdout + logs.stderr, /ERROR|FATAL/);
    // The saved chain file, checked by the image's own verify.
    const verified = await docker(
      "run",
      "--rm",
      "-v",
      `${volume}:/data`,
      IMAGE,
      "verify",
      "/data/chain.json",
    );
    assert.match(verified, /^valid: [2-9]\d* blocks/);
  });

  it("compose.yaml's ring: the three miners agree on messages put to each; one killed and restarted catches up", async () => {
    const compose = composeCommand() as string[];
    const dir = await mkdtemp(join(tmpdir(), "bc-compose-"));
    const project = `bctest${RUN_ID}`;
    const file = join(dir, "compose.yaml");
    const up = (...args: string[]) =>
      must(
        compose[0] as string,
        [...compose.slice(1), "-p", project, "-f", file, ...args],
        300_000,
      );
    cleanups.push(async () => {
      await run(
        compose[0] as string,
        [...compose.slice(1), "-p", project, "-f", file, "down", "-v", "-t", "10"],
        120_000,
      );
      await rm(dir, { recursive: true, force: true });
    });
    // The repository's compose.yaml as it is, but for the image (the one just built) and the
    // host ports (any free port on 127.0.0.1, not 12345-12347 of this shared machine).
    const spec = parse(readFileSync(join(ROOT, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { image?: string; build?: unknown; ports?: string[] }>;
    };
    for (const service of Object.values(spec.services)) {
      service.image = IMAGE;
      if (service.build !== undefined) service.build = ROOT;
      service.ports = ["127.0.0.1::12345"];
    }
    delete (spec as Record<string, unknown>)["x-miner"];
    await writeFile(file, stringify(spec));
    await up("up", "-d");

    const names = Object.keys(spec.services).sort();
    const containerOf = async (service: string) => up("ps", "-q", service);
    const urls = new Map<string, string>();
    for (const service of names) urls.set(service, await publishedUrl(await containerOf(service)));
    for (const [service, url] of urls) {
      await waitFor(() => getJson<Status>(`${url}/status`), {
        what: `${service} /status`,
        timeoutMs: 60_000,
      });
    }
    const ids: string[] = [];
    for (const [service, url] of urls) ids.push(await add(url, `put to ${service}`));
    const agreed = async () => {
      const tips = new Set<string>();
      for (const url of urls.values()) {
        for (const id of ids) if (!(await confirmed(url, id))) return false;
        tips.add((await getJson<Status>(`${url}/status`)).tip);
      }
      return tips.size === 1;
    };
    await waitFor(agreed, {
      what: "the three agree on every message",
      timeoutMs: 180_000,
      intervalMs: 500,
    });

    const [first, second] = names as [string, string];
    await up("kill", "-s", "SIGKILL", second);
    ids.push(await add(urls.get(first) as string, "put while one was down"));
    await waitFor(() => confirmed(urls.get(first) as string, ids.at(-1) as string), {
      what: "mined while one was down",
      timeoutMs: 120_000,
    });
    await up("start", second);
    urls.set(second, await publishedUrl(await containerOf(second)));
    await waitFor(agreed, {
      what: "the restarted miner caught up",
      timeoutMs: 180_000,
      intervalMs: 500,
    });
  });
});
