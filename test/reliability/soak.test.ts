import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { isProofOfWorkValid, proofOfWork } from "../../src/core/pow.js";
import { validateChain } from "../../src/core/validate.js";
import {
  chainOf,
  freePort,
  getJson,
  metricOf,
  NodeProcess,
  type ServedBlock,
} from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * Long soak and stress runs, only with BLOCKCHAIN_SOAK=1 (skipped with a reason otherwise):
 * `npm run build && BLOCKCHAIN_SOAK=1 node scripts/run-tests.mjs reliability`.
 * BLOCKCHAIN_SOAK_MINUTES (default 3) sets how long they run; BLOCKCHAIN_SOAK_SEED
 * replays a run's choices (which node gets each message, which node is killed when).
 */
const SOAK = process.env.BLOCKCHAIN_SOAK === "1";
const SKIP = SOAK ? false : "set BLOCKCHAIN_SOAK=1 to run the soak tests";
const MINUTES = Number(process.env.BLOCKCHAIN_SOAK_MINUTES ?? 3);
const SEED = Number(process.env.BLOCKCHAIN_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const D = 3;
/** Miner flags shared by every node here: short job intervals, so that a soak minute sees many rounds. */
const NODE_ARGS = [
  ...["--difficulty", String(D), "--workers", "1", "--log-level", "warn"],
  ...["--gossip-interval", "1", "--chain-sync-interval", "1"],
  ...["--data-sync-interval", "0.5", "--backup-interval", "0.5"],
];

function checkSettings(): void {
  assert.ok(
    Number.isFinite(MINUTES) && MINUTES > 0 && MINUTES <= 24 * 60,
    `BLOCKCHAIN_SOAK_MINUTES must be a number of minutes in (0, 1440], not ${process.env.BLOCKCHAIN_SOAK_MINUTES}`,
  );
  assert.ok(Number.isSafeInteger(SEED), `BLOCKCHAIN_SOAK_SEED must be an integer, not ${SEED}`);
}

/** A small seeded PRNG (mulberry32): a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits until `at` (ms since the epoch) or the signal aborts: pacing, not synchronisation. */
async function until(at: number, signal: AbortSignal): Promise<void> {
  const ms = at - Date.now();
  if (ms > 0) await delay(ms, undefined, { signal }).catch(() => undefined);
}

const running: NodeProcess[] = [];
const dirs: string[] = [];
/** Set when a test fails, so that its chain folders (and miner.log files) stay for a look. */
let keepDirs = false;
after(async () => {
  await Promise.all(running.map((node) => node.stop()));
  if (keepDirs) {
    if (dirs.length > 0) console.log(`soak: kept for inspection: ${dirs.join(" ")}`);
    return;
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bc-soak-"));
  dirs.push(dir);
  return dir;
}

/** A POST with a JSON body and a time-out; the status and the parsed answer (null when not JSON). */
async function post(
  url: string,
  body: unknown,
  timeoutMs = 5_000,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Left null: the caller says what it expected.
  }
  return { status: res.status, json };
}

interface Status {
  length: number;
  tip: string;
  pending: number;
  mining: boolean;
}

/** One position of the ring: its port and chain file outlive the processes started on them. */
interface Slot {
  name: string;
  port: number;
  chainPath: string;
  node: NodeProcess;
  /** Lines of the processes killed so far that tell of a switch of branch (log level warn). */
  reorgLines: number;
}

test("a ring of 3 miners under a steady stream of messages, with one node killed -9 and restarted repeatedly, loses no acknowledged message and ends in one agreed chain, each message exactly once", {
  skip: SKIP,
  timeout: (MINUTES + 6) * 60_000,
}, async () => {
  checkSettings();
  keepDirs = true;
  const random = prng(SEED);
  const ports = [await freePort(), await freePort(), await freePort()];
  const neighbourOf = (i: number) => `127.0.0.1:${ports[(i + 1) % ports.length]}`;
  const startAt = async (i: number, chainPath: string) => {
    const node = await NodeProcess.start({
      chainPath,
      port: ports[i],
      args: [...NODE_ARGS, "--neighbours", neighbourOf(i)],
    });
    running.push(node);
    return node;
  };
  const slots: Slot[] = [];
  for (const [i, port] of ports.entries()) {
    const chainPath = join(await tempDir(), "chain.json");
    const node = await startAt(i, chainPath);
    slots.push({ name: `node ${i} (:${port})`, port, chainPath, node, reorgLines: 0 });
  }
  const outputs = () =>
    slots.map((s) => `--- ${s.name} said (last lines):\n${s.node.output()}`).join("\n");

  const acked = new Map<string, string>(); // id -> message text
  const sentTexts = new Set<string>();
  const refused = new Map<number, number>(); // status -> count
  let failed = 0; // no answer (the node was killed under the request, or timed out)
  const kills: { victim: string; at: number; restartMs: number }[] = [];
  const stop = new AbortController();
  const t0 = Date.now();
  const streamEnd = t0 + MINUTES * 60_000;

  // The stream: one message every PERIOD_MS to a random live node, never faster (no catch-up burst).
  const PERIOD_MS = 40;
  const submitter = async () => {
    let next = Date.now();
    for (let n = 0; n < 1_000_000 && Date.now() < streamEnd && !stop.signal.aborted; n++) {
      next = Math.max(next + PERIOD_MS, Date.now());
      const live = slots.filter((s) => s.node.running);
      const target = live[Math.floor(random() * live.length)];
      if (target) {
        const text = `soak ${SEED} message ${n} to ${target.name}`;
        sentTexts.add(text);
        try {
          const { status, json } = await post(`${target.node.url}/add`, { message: text });
          const id = (json as { id?: unknown } | null)?.id;
          if (status === 200 && typeof id === "string") acked.set(id, text);
          else refused.set(status, (refused.get(status) ?? 0) + 1);
        } catch {
          failed++;
        }
      }
      await until(next, stop.signal);
    }
  };

  // The killer: every 15-25 s one node, never the same twice in a row, gets SIGKILL and is
  // restarted on the same chain file and port (so its neighbours' lists stay right).
  const killer = async () => {
    let last = -1;
    for (let k = 0; k < 10_000; k++) {
      const at = Date.now() + 15_000 + random() * 10_000;
      if (at > streamEnd - 5_000) break;
      await until(at, stop.signal);
      if (stop.signal.aborted) break;
      const pick = Math.floor(random() * (slots.length - 1));
      const v = last === -1 ? pick : (last + 1 + pick) % slots.length;
      last = v;
      const slot = slots[v] as Slot;
      const old = slot.node;
      old.child.kill("SIGKILL");
      const exit = await old.waitExit();
      assert.equal(exit.signal, "SIGKILL", `${slot.name} died of SIGKILL`);
      slot.reorgLines += (old.output().match(/switched to another branch/g) ?? []).length;
      const down = Date.now();
      try {
        slot.node = await startAt(v, slot.chainPath);
      } catch (err) {
        throw new Error(`${slot.name} did not come back after kill -9: ${(err as Error).message}`);
      }
      kills.push({ victim: slot.name, at: down - t0, restartMs: Date.now() - down });
    }
  };

  try {
    await Promise.all([
      submitter(),
      killer().catch((err) => {
        stop.abort();
        throw err;
      }),
    ]);
  } finally {
    stop.abort();
  }
  const streamed = Date.now();

  let last: Status[] = [];
  try {
    await waitFor(
      async () => {
        last = await Promise.all(slots.map((s) => getJson<Status>(`${s.node.url}/status`)));
        const [first] = last;
        return last.every(
          (s) => s.tip === first?.tip && s.length === first?.length && s.pending === 0,
        );
      },
      { timeoutMs: 120_000, intervalMs: 250, what: "all three nodes on one tip, none pending" },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nlast statuses: ${JSON.stringify(last)}\n${outputs()}`,
    );
  }
  const convergeMs = Date.now() - streamed;

  const chains = await Promise.all(slots.map((s) => chainOf(s.node.url)));
  const chain = chains[0] as ServedBlock[];
  for (const [i, other] of chains.entries()) {
    assert.deepEqual(other, chain, `${slots[i]?.name} serves the same chain as ${slots[0]?.name}`);
  }
  assert.deepEqual(validateChain(chain as never, { difficulty: D }), { ok: true });
  assert.equal(chain.length, (last[0] as Status).length);

  const count = new Map<string, number>();
  for (const block of chain.slice(1)) count.set(block.data.id, (count.get(block.data.id) ?? 0) + 1);
  const twice = [...count].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], "no id appears twice in the chain");
  const textCount = new Map<string, number>();
  for (const block of chain.slice(1)) {
    textCount.set(block.data.message, (textCount.get(block.data.message) ?? 0) + 1);
  }
  const textTwice = [...textCount].filter(([, n]) => n > 1).map(([text]) => text);
  assert.deepEqual(textTwice, [], "no submitted message is in the chain under two ids");
  const invented = chain.slice(1).filter((b) => !sentTexts.has(b.data.message));
  assert.deepEqual(invented, [], "the chain holds only messages this test sent");

  const byId = new Map(chain.map((b) => [b.data.id, b.data.message]));
  const lost = [...acked.keys()].filter((id) => !byId.has(id));
  const altered = [...acked].filter(([id, text]) => byId.has(id) && byId.get(id) !== text);
  assert.deepEqual(
    lost,
    [],
    `${lost.length} of ${acked.size} acknowledged messages are not in the chain: ${lost
      .slice(0, 10)
      .map((id) => `${id} (${acked.get(id)})`)
      .join(", ")}\n${outputs()}`,
  );
  assert.deepEqual(altered, [], "every acknowledged id holds the text that was sent");
  assert.ok(kills.length >= Math.min(3, Math.floor((MINUTES * 60 - 5) / 25)), "enough kills");
  assert.ok(new Set(kills.map((k) => k.victim)).size > 1 || kills.length < 2, "varied victims");

  // A graceful stop saves the agreed chain: each file holds exactly it.
  for (const slot of slots) {
    slot.reorgLines += (slot.node.output().match(/switched to another branch/g) ?? []).length;
    assert.equal(await slot.node.stop(), 0, `${slot.name} exits 0 on SIGTERM`);
    const lines = readFileSync(slot.chainPath, "utf8").trimEnd().split("\n");
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      chain,
      `${slot.name}'s chain file holds the agreed chain`,
    );
  }
  const unacked = sentTexts.size - acked.size;
  const ackedTexts = new Set(acked.values());
  const unackedMined = [...textCount.keys()].filter((t) => !ackedTexts.has(t));
  console.log(
    [
      `soak ring (seed ${SEED}, ${MINUTES} min, difficulty ${D}):`,
      `  ${sentTexts.size} messages sent, ${acked.size} acknowledged (200), ${failed} without an answer, refused ${JSON.stringify(Object.fromEntries(refused))}`,
      `  ${unacked} unacknowledged, of which ${unackedMined.length} were mined anyway (each once)`,
      `  ${kills.length} kills -9: ${kills.map((k) => `${k.victim} at ${(k.at / 1000).toFixed(0)} s, back in ${k.restartMs} ms`).join("; ")}`,
      `  converged ${convergeMs} ms after the stream stopped, on a chain of ${chain.length} blocks (tip ${chain.at(-1)?.index}), every acknowledged message exactly once`,
      `  branch switches logged: ${slots.map((s) => `${s.name} ${s.reorgLines}`).join(", ")} (within the last 200 lines of each process)`,
    ].join("\n"),
  );
  keepDirs = false;
});

/** One kind of bad request of the flood. */
interface BadCase {
  name: string;
  send: (url: string, signal: AbortSignal) => Promise<Response>;
  /**
   * The request is over a size limit: the node answers (413, 431) and closes the connection
   * while the client may still be sending, so the answer can be lost to the reset (EPIPE, ECONNRESET).
   */
  mayBeCut?: boolean;
}

function postRaw(path: string, body: string, contentType = "application/json"): BadCase["send"] {
  return (url, signal) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
      signal,
    });
}

function get(path: string, method = "GET"): BadCase["send"] {
  return (url, signal) => fetch(`${url}${path}`, { method, signal });
}

/** The flood's bad requests: each must get a 4xx JSON answer with a `message`, never a 5xx. */
function badCases(): BadCase[] {
  const genesis = genesisBlock();
  const parentHash = hashBlock(genesis);
  const goodProof = proofOfWork(genesis.proof, D);
  const block = (over: Record<string, unknown>) => ({
    index: 1,
    timestamp: Date.now(),
    data: { id: "ab".repeat(16), message: "forged" },
    previous_hash: parentHash,
    proof: goodProof,
    ...over,
  });
  let badProof = goodProof + 1;
  while (isProofOfWorkValid(genesis.proof, badProof, D)) badProof++;
  const json = (value: unknown) => JSON.stringify(value);
  const nine = json({ data: "x".repeat(9 * 1024 * 1024) }); // over the 8 MiB body limit
  const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  return [
    { name: "malformed JSON to /add", send: postRaw("/add", "{nope") },
    { name: "malformed JSON to /blocks", send: postRaw("/blocks", '{"blocks": [') },
    { name: "malformed JSON to /data", send: postRaw("/data", '\u0000{"data"}') },
    { name: "deeply nested JSON to /data", send: postRaw("/data", deep) },
    { name: "deeply nested JSON to /add", send: postRaw("/add", `{"message":${deep}}`) },
    { name: "a body over the 8 MiB limit", send: postRaw("/data", nine), mayBeCut: true },
    { name: "a message over 16 KiB", send: postRaw("/add", json({ message: "x".repeat(20_000) })) },
    { name: "a message that is no string", send: postRaw("/add", json({ message: { a: 1 } })) },
    { name: "text/plain to /blocks", send: postRaw("/blocks", "hello", "text/plain") },
    { name: "junk block", send: postRaw("/blocks", json({ blocks: [{ index: 1, junk: true }] })) },
    {
      name: "block with a bad proof",
      send: postRaw("/blocks", json({ blocks: [block({ proof: badProof })] })),
    },
    {
      name: "block from the far future",
      send: postRaw("/blocks", json({ blocks: [block({ timestamp: Date.now() + 86_400_000 })] })),
    },
    {
      name: "block not after its parent",
      send: postRaw("/blocks", json({ blocks: [block({ timestamp: 0 })] })),
    },
    {
      name: "block with an unknown parent",
      send: postRaw(
        "/blocks",
        json({ blocks: [block({ index: 7, previous_hash: "0".repeat(64) })] }),
      ),
    },
    {
      name: "blocks that do not follow each other",
      send: postRaw("/blocks", json({ blocks: [block({}), block({ index: 3 })] })),
    },
    { name: "blocks that are no array", send: postRaw("/blocks", json({ blocks: { 0: 1 } })) },
    { name: "/data that is no array", send: postRaw("/data", json({ data: "x" })) },
    {
      name: "/data with bad fields",
      send: postRaw("/data", json({ data: [{ id: 1, message: [] }] })),
    },
    {
      name: "/data with an upper-case id",
      send: postRaw("/data", json({ data: [{ id: "AB".repeat(16), message: "x" }] })),
    },
    {
      name: "/data with an extra field",
      send: postRaw("/data", json({ data: [{ id: "cd".repeat(16), message: "x", more: 1 }] })),
    },
    { name: "unknown path", send: get("/no/such/thing") },
    { name: "long unknown path", send: get(`/${"p".repeat(4000)}`) },
    { name: "unknown method", send: get("/chain", "DELETE") },
    { name: "bad percent-encoding", send: get("/%E0%A4%A") },
    { name: "huge number in a query", send: get(`/blocks?from=${"9".repeat(400)}`) },
    { name: "8 KB query with a bad number", send: get(`/blocks?limit=x${"y".repeat(8_000)}`) },
    {
      name: "query over the header limit",
      send: get(`/status?x=${"a".repeat(20_000)}`),
      mayBeCut: true,
    },
    {
      name: "PUT /add over the header limit",
      send: get(`/add?message=${"m".repeat(17_000)}`, "PUT"),
      mayBeCut: true,
    },
    { name: "empty message", send: get("/add?message=", "PUT") },
    { name: "negative block index", send: get("/blocks/-1") },
    { name: "unknown message id", send: get(`/data/${"0".repeat(31)}z`) },
  ];
}

test("a node keeps serving under a flood of bad input", {
  skip: SKIP,
  timeout: (MINUTES + 4) * 60_000,
}, async () => {
  checkSettings();
  keepDirs = true;
  const chainPath = join(await tempDir(), "chain.json");
  const node = await NodeProcess.start({ chainPath, args: NODE_ARGS });
  running.push(node);
  const url = node.url;
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const rssStart = await metricOf(url, "process_resident_memory_bytes");
  const fdsStart = await metricOf(url, "process_open_fds");
  let rssPeak = rssStart;

  const cases = badCases();
  const answers = new Map<string, Map<string, number>>(); // case -> status (or "cut") -> count
  const tally = (name: string, key: string) => {
    const byKey = answers.get(name) ?? new Map<string, number>();
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    answers.set(name, byKey);
  };
  const problems: string[] = [];
  const problem = (what: string) => {
    if (problems.length < 50) problems.push(what);
  };
  const goodIds: string[] = [];
  let statusChecks = 0;
  let slowestStatusMs = 0;
  const floodEnd = Date.now() + Math.max(20_000, MINUTES * 20_000);
  const random = prng(SEED);

  const flooder = async () => {
    for (let i = 0; i < 1_000_000 && Date.now() < floodEnd && problems.length < 50; i++) {
      const bad = cases[Math.floor(random() * cases.length)] as BadCase;
      let response: Response;
      try {
        response = await bad.send(url, AbortSignal.timeout(15_000));
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? String(err);
        if (bad.mayBeCut && /EPIPE|ECONNRESET|UND_ERR_SOCKET/.test(cause)) tally(bad.name, "cut");
        else problem(`${bad.name}: no answer (${cause})`);
        continue;
      }
      tally(bad.name, String(response.status));
      const text = await response.text().catch((err: Error) => `<unreadable: ${err.message}>`);
      let body: { message?: unknown } | null = null;
      try {
        body = JSON.parse(text) as { message?: unknown };
      } catch {
        // Reported below.
      }
      if (response.status < 400 || response.status >= 500) {
        problem(`${bad.name}: status ${response.status}: ${text.slice(0, 200)}`);
      } else if (!/json/.test(response.headers.get("content-type") ?? "")) {
        problem(`${bad.name}: content-type ${response.headers.get("content-type")}`);
      } else if (typeof body?.message !== "string") {
        problem(`${bad.name}: answer without a message: ${text.slice(0, 200)}`);
      } else if (response.status === 431 && response.headers.get("connection") !== "close") {
        // The node closes the socket after a 431: without this a client's next request on it fails.
        problem(`${bad.name}: a 431 without "Connection: close"`);
      }
    }
  };
  // Valid messages at a steady pace, and a watch on /status and memory, all through the flood.
  const adder = async () => {
    const signal = AbortSignal.timeout(floodEnd - Date.now() + 1_000);
    for (let n = 0; n < 100_000 && Date.now() < floodEnd; n++) {
      try {
        const { status, json } = await post(`${url}/add`, { message: `good ${n}` }, 15_000);
        const id = (json as { id?: unknown } | null)?.id;
        if (status === 200 && typeof id === "string") goodIds.push(id);
        else problem(`valid message ${n}: status ${status}: ${JSON.stringify(json)}`);
      } catch (err) {
        problem(`valid message ${n}: no answer (${(err as Error).message})`);
      }
      await until(Date.now() + 200, signal);
    }
  };
  const watcher = async () => {
    const signal = AbortSignal.timeout(floodEnd - Date.now() + 1_000);
    for (let n = 0; n < 100_000 && Date.now() < floodEnd; n++) {
      const started = Date.now();
      try {
        await getJson(`${url}/status`);
        statusChecks++;
        slowestStatusMs = Math.max(slowestStatusMs, Date.now() - started);
        rssPeak = Math.max(rssPeak, await metricOf(url, "process_resident_memory_bytes"));
      } catch (err) {
        problem(`GET /status during the flood: ${(err as Error).message}`);
      }
      await until(started + 1_000, signal);
    }
  };
  const started = Date.now();
  await Promise.all([...Array.from({ length: 12 }, flooder), adder(), watcher()]);
  const floodMs = Date.now() - started;

  assert.ok(node.running, `the node is still running; it said:\n${node.output()}`);
  const summary = [...answers]
    .map(([name, byKey]) => `    ${name}: ${[...byKey].map(([k, n]) => `${k}×${n}`).join(" ")}`)
    .join("\n");
  assert.deepEqual(problems, [], `answers to the flood:\n${summary}\n${node.output()}`);
  const cutOnly = cases
    .filter((c) => c.mayBeCut)
    .filter((c) => [...(answers.get(c.name)?.keys() ?? [])].every((k) => k === "cut"));
  assert.deepEqual(
    cutOnly.map((c) => c.name),
    [],
    "each over-limit case got a readable 4xx answer at least once",
  );

  await waitFor(async () => (await getJson<Status>(`${url}/status`)).pending === 0, {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: "the valid messages to be mined",
  });
  const chain = await chainOf(url);
  assert.deepEqual(validateChain(chain as never, { difficulty: D }), { ok: true });
  const mined = chain.slice(1).map((b) => b.data.id);
  assert.deepEqual(
    [...mined].sort(),
    [...goodIds].sort(),
    "the chain holds each valid message exactly once, and nothing else",
  );
  const status = await getJson<Status>(`${url}/status`);
  assert.equal(status.length, goodIds.length + 1);
  const rssEnd = await metricOf(url, "process_resident_memory_bytes");
  const fdsEnd = await metricOf(url, "process_open_fds");
  const requests = [...answers.values()].reduce(
    (sum, byKey) => sum + [...byKey.values()].reduce((a, b) => a + b, 0),
    0,
  );
  console.log(
    [
      `soak flood (seed ${SEED}, ${(floodMs / 1000).toFixed(0)} s, 12 parallel senders):`,
      `  ${requests} bad requests (${cases.length} kinds), every answer 4xx JSON with a message:`,
      summary,
      `  ${goodIds.length} valid messages acknowledged and mined, each once`,
      `  GET /status answered ${statusChecks} times during the flood, slowest ${slowestStatusMs} ms`,
      `  RSS ${mib(rssStart)} at start, ${mib(rssPeak)} at peak, ${mib(rssEnd)} at end; open fds ${fdsStart} -> ${fdsEnd}`,
    ].join("\n"),
  );
  assert.ok(rssPeak < rssStart * 3, `RSS peaked at ${rssPeak} bytes, from ${rssStart}`);
  assert.ok(rssEnd < rssStart * 3, `RSS grew from ${rssStart} to ${rssEnd} bytes`);
  assert.ok(fdsEnd < fdsStart + 50, `open file descriptors grew from ${fdsStart} to ${fdsEnd}`);
  assert.equal(await node.stop(), 0, "the node exits 0 on SIGTERM after the flood");
  keepDirs = false;
});
